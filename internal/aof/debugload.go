package aof

import (
	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"strconv"
)

// DEBUG LOADAOF: the dataset is emptied and the AOF on disk loaded back,
// as Redis's tests do to check what the AOF holds (absolute TTLs, the
// rewrite's commands). Redis does it inside the command; Tandem loads the
// way it loads at start-up, in lock holds with other clients answered
// -LOADING, while the DEBUG client waits for the OK. Nothing replayed is
// propagated: not to the AOF it comes from, not to replicas.

// Debug implements server.DebugProvider: DEBUG LOADAOF and DEBUG
// AOF-FLUSH-SLEEP <microseconds> (each write of the AOF buffer sleeps that
// long first, as Redis's tests use it to widen the window between a
// command and its reply under appendfsync always).
func (a *Manager) Debug(c *command.Ctx, sub string) bool {
	if sub == "aof-flush-sleep" && len(c.Args) == 3 {
		us, err := strconv.ParseInt(string(c.Args[2]), 10, 64)
		if err != nil || us < 0 {
			c.Error("ERR value is not an integer or out of range")
			return true
		}
		a.flushSleep.Store(us)
		c.W.OK()
		return true
	}
	if sub != "loadaof" || len(c.Args) != 2 {
		return false
	}
	if c.InExec {
		c.Error("ERR DEBUG LOADAOF is not supported by Tandem inside MULTI")
		return true
	}
	// Redis, with no AOF to load, empties the dataset and exits; Tandem
	// refuses and keeps the data. Without appendonly the files are those
	// a BGREWRITEAOF wrote, as in Redis.
	if man, _, err := readManifest(a.fs, a.dir, a.name); err != nil || man.empty() {
		c.Error("ERR DEBUG LOADAOF: there is no append only file to load")
		return true
	}
	if a.state != stateOff {
		a.flushNow()
	}
	for _, db := range a.ks.DBs {
		db.Flush()
	}
	// The function libraries go with the data (Redis's emptyData): the
	// AOF's FUNCTION LOAD commands, or its RDB preamble, bring them back.
	if err := a.pm.ReplaceFunctions(nil); err != nil {
		a.log.Warningf("DEBUG LOADAOF: %v", err)
	}
	a.srv.SetLoading(true)
	prev := a.ks.ExpireMode()
	a.ks.SetExpireMode(keyspace.ExpireLoading)
	a.eng.Muted = true
	sess := c.S
	c.Block(nil, 0, func(*resp.Writer) {})
	// The goroutine's first lock waits for this command to finish, so
	// the client is parked before it can be woken.
	go a.debugLoad(sess, prev)
	return true
}

func (a *Manager) debugLoad(sess *command.Session, prevExpire keyspace.ExpireMode) {
	a.srv.Lock()
	dir, name, root, truncOK := a.dir, a.name, a.cfg.Dir, a.cfg.AOFLoadTruncated
	a.srv.Unlock()
	man, _, err := readManifest(a.fs, dir, name)
	if err == nil {
		t := &engineTarget{a: a}
		t.newSession()
		_, err = loadDir(loadOptions{fs: a.fs, dir: dir, root: root, name: name, truncOK: truncOK, log: a.log, manifest: man}, t)
		t.release()
		if err == errNoAOF {
			err = nil
		}
	}
	a.srv.Lock()
	defer a.srv.Unlock()
	a.eng.Muted = false
	a.ks.SetExpireMode(prevExpire)
	a.srv.SetLoading(false)
	a.ks.Dirty = 0
	if err != nil {
		a.log.Warningf("DEBUG LOADAOF failed: %v", err)
	} else {
		a.log.Warningf("Append Only File loaded by DEBUG LOADAOF")
	}
	a.eng.UnblockWith(sess, func(w *resp.Writer) {
		if err != nil {
			w.Error("ERR Error loading the append only file: " + err.Error())
			return
		}
		w.OK()
	})
}
