package aof

import (
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
)

// markPrefix starts the annotation line that records the replication
// state: "#tandem-repl:<replid> <offset> <stream-db>". Redis's loader and
// redis-check-aof skip every line starting with '#', so the files stay
// valid for both (see doc.go).
const markPrefix = "#tandem-repl:"

// currentMark renders the replication state the RDB AUX fields would carry
// now (lock held), or "" when there is none (a master without replicas).
func (a *Manager) currentMark() string {
	if a.pm == nil {
		return ""
	}
	var id, off, db string
	for _, x := range a.pm.ReplAux() {
		switch x.Key {
		case "repl-id":
			id = x.Value
		case "repl-offset":
			off = x.Value
		case "repl-stream-db":
			db = x.Value
		}
	}
	if id == "" || off == "" || db == "" {
		return ""
	}
	return markPrefix + id + " " + off + " " + db
}

// markRepl appends the replication mark to the buffer when the state
// changed since the last one (lock held). Called between commands only
// (cron, the rewrite instant, shutdown, turning the AOF off), where the
// dataset and the offset describe the same point of the stream.
func (a *Manager) markRepl() {
	if a.cur == nil || a.state == stateOff {
		return
	}
	m := a.currentMark()
	if m == "" || m == a.mark {
		return
	}
	a.appendRaw([]byte(m), []byte("\r\n"))
	a.mark = m
}

// replTracker follows the replication state through a load: the base's
// AUX fields or mark, then each mark of the incr files. A command applied
// after the last mark makes the state unknown (the offset it corresponds
// to was not recorded), and then nothing is restored: the replica does a
// full sync rather than a wrong partial one.
type replTracker struct {
	id, off, db string
	known       bool
	dirty       bool
}

func (t *replTracker) fromAux(aux map[string]string) {
	id, off, db := aux["repl-id"], aux["repl-offset"], aux["repl-stream-db"]
	if id != "" && off != "" && db != "" {
		t.id, t.off, t.db, t.known, t.dirty = id, off, db, true, false
	}
}

// annotation handles one '#' line.
func (t *replTracker) annotation(line []byte) {
	if !strings.HasPrefix(string(line), markPrefix) {
		return
	}
	f := strings.Fields(string(line[len(markPrefix):]))
	if len(f) != 3 {
		return
	}
	// The mark is ours and written canonically: anything else is not one.
	if _, ok := resp.ParseInt([]byte(f[1])); !ok {
		return
	}
	if _, ok := resp.ParseInt([]byte(f[2])); !ok {
		return
	}
	t.id, t.off, t.db, t.known, t.dirty = f[0], f[1], f[2], true, false
}

// aux returns the restored fields, or nil.
func (t *replTracker) aux() map[string]string {
	if !t.known || t.dirty {
		return nil
	}
	return map[string]string{"repl-id": t.id, "repl-offset": t.off, "repl-stream-db": t.db}
}
