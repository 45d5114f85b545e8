package script

import (
	"bytes"
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
)

// scriptFlags are the flags a script declares in its shebang line
// ("#!lua flags=no-writes,allow-stale"). A script without a shebang runs
// in compatibility mode (flagCompat), where the command's own flags apply.
type scriptFlags uint8

const (
	flagNoWrites scriptFlags = 1 << iota
	flagAllowOOM
	flagAllowStale
	flagNoCluster
	flagAllowCrossSlot
	flagCompat
)

var shebangFlags = []struct {
	name string
	f    scriptFlags
}{
	{"no-writes", flagNoWrites},
	{"allow-oom", flagAllowOOM},
	{"allow-stale", flagAllowStale},
	{"no-cluster", flagNoCluster},
	{"allow-cross-slot-keys", flagAllowCrossSlot},
}

// parseShebang reads the flags of body's shebang line, as Redis's
// evalExtractShebangFlags: it returns the flags and the length of the
// shebang line (which is not compiled; its newline is, to keep line
// numbers), or Redis's error text.
func parseShebang(body []byte) (scriptFlags, int, string) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return flagCompat, 0, ""
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return 0, 0, "Invalid script shebang"
	}
	parts, err := resp.SplitArgs(string(body[:end]))
	if err != nil || len(parts) == 0 {
		return 0, 0, "Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return 0, 0, "Unexpected engine in script shebang: " + parts[0]
	}
	var flags scriptFlags
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return 0, 0, "Unknown lua shebang option: " + p
		}
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			found := false
			for _, sf := range shebangFlags {
				if sf.name == name {
					flags |= sf.f
					found = true
					break
				}
			}
			if !found {
				return 0, 0, "Unexpected flag in script shebang: " + name
			}
		}
	}
	return flags, end, ""
}
