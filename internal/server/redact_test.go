package server

import (
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/command"
)

// recordedArgs hides the secrets of the commands that carry them, where
// Redis 7.0 does (checked against redis-server 7.0.15's SLOWLOG), and
// where its parser fails first too (see below),
// leaves every other command's arguments as they are, uncopied.
func TestRecordedArgsRedactSecrets(t *testing.T) {
	for _, tc := range []struct {
		spec, args, want string
	}{
		{"auth", "AUTH secret", "AUTH (redacted)"},
		{"auth", "auth user secret", "auth (redacted) (redacted)"},
		// Redis 7.0 redacts while it parses, so a command refused before
		// (AUTH a b c: syntax error; HELLO … AUTH user: no password) shows
		// its secrets there; Tandem hides them too, on purpose.
		{"auth", "AUTH a b c", "AUTH (redacted) (redacted) (redacted)"},
		{"hello", "HELLO 3 AUTH user pass", "HELLO 3 AUTH (redacted) (redacted)"},
		{"hello", "HELLO 3 AUTH user pass SETNAME n", "HELLO 3 AUTH (redacted) (redacted) SETNAME n"},
		{"hello", "HELLO 3 SETNAME auth", "HELLO 3 SETNAME auth"},
		{"hello", "hello auth user pass", "hello auth (redacted) (redacted)"},
		{"hello", "HELLO 3 AUTH user", "HELLO 3 AUTH (redacted)"},
		{"hello", "HELLO 3", "HELLO 3"},
		{"migrate", "MIGRATE h 6379 k 0 1000 AUTH pw", "MIGRATE h 6379 k 0 1000 AUTH (redacted)"},
		{"migrate", "MIGRATE h 6379 \"\" 0 1000 COPY AUTH2 u pw KEYS a auth", "MIGRATE h 6379 \"\" 0 1000 COPY AUTH2 (redacted) (redacted) KEYS a auth"},
		{"migrate", "MIGRATE h 6379 k 0 1000 KEYS auth x", "MIGRATE h 6379 k 0 1000 KEYS auth x"},
		{"config", "CONFIG SET requirepass s maxclients 10", "CONFIG SET requirepass (redacted) maxclients 10"},
		{"config", "config set MASTERAUTH s masteruser u", "config set MASTERAUTH (redacted) masteruser (redacted)"},
		{"config", "CONFIG SET nosuch x requirepass s", "CONFIG SET nosuch x requirepass (redacted)"},
		{"config", "CONFIG GET requirepass", "CONFIG GET requirepass"},
		{"config", "CONFIG SET requirepass", "CONFIG SET requirepass"},
		{"acl", "ACL SETUSER bob on >pw", "ACL SETUSER (redacted) (redacted) (redacted)"},
		{"acl", "ACL WHOAMI", "ACL WHOAMI"},
		// Found by its spec: a renamed AUTH is redacted too.
		{"auth", "MYAUTH secret", "MYAUTH (redacted)"},
		{"set", "SET auth secret", "SET auth secret"},
	} {
		args := make([][]byte, 0)
		for _, f := range strings.Fields(tc.args) {
			args = append(args, []byte(f))
		}
		orig := strings.Join(strings.Fields(tc.args), " ")
		out := recordedArgs(&command.Spec{Name: tc.spec}, args)
		got := make([]string, len(out))
		for i, a := range out {
			got[i] = string(a)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s: %q, want %q", tc.args, g, tc.want)
		}
		var after []string
		for _, a := range args {
			after = append(after, string(a))
		}
		if strings.Join(after, " ") != orig {
			t.Errorf("%s: the caller's arguments were changed to %q", tc.args, after)
		}
		if tc.want == orig && len(out) > 0 && &out[0] != &args[0] {
			t.Errorf("%s: copied although nothing is secret", tc.args)
		}
	}
}
