package command

import (
	"time"

	"github.com/tandemdb/tandem/internal/resp"
)

// Blocking commands (BLPOP and friends) work by re-running: a handler that
// finds nothing to serve calls c.Block and writes no reply; the engine
// parks the session on its keys; when one of those keys is modified, the
// engine runs the same command again for the waiting sessions in arrival
// order, right after the command that made the key ready and under the same
// lock, so the pop and its propagation follow the push exactly as in Redis.

type blockRequest struct {
	keys      [][]byte
	timeout   time.Duration
	onTimeout func(w *resp.Writer)
	// args, when set, are what the re-runs get instead of the command's
	// own arguments (XREAD … $ re-runs with the IDs "$" stood for).
	args [][]byte
}

type blockState struct {
	spec      *Spec
	args      [][]byte
	keys      []watchKey
	deadline  time.Time // zero = forever
	onTimeout func(w *resp.Writer)
}

// Block asks the engine to park the client until one of keys changes or
// timeout passes (0 = forever). onTimeout writes the reply on timeout (nil
// writes a null array). Inside MULTI the handler must not call Block: it
// answers as on timeout, which c.InExec tells it.
func (c *Ctx) Block(keys [][]byte, timeout time.Duration, onTimeout func(w *resp.Writer)) {
	c.block = &blockRequest{keys: keys, timeout: timeout, onTimeout: onTimeout}
}

func (e *Engine) blockSession(s *Session, spec *Spec, args [][]byte, req *blockRequest) {
	st := &blockState{spec: spec, onTimeout: req.onTimeout}
	if req.args != nil {
		args = req.args
	}
	st.args = make([][]byte, len(args))
	for i, a := range args {
		st.args[i] = append(make([]byte, 0, len(a)), a...) // never nil (see Call's MULTI queue)
	}
	if req.timeout > 0 {
		st.deadline = time.Now().Add(req.timeout)
	}
	for _, k := range req.keys {
		wk := watchKey{s.DB, string(k)}
		dup := false
		for _, o := range st.keys {
			if o == wk {
				dup = true
			}
		}
		if dup {
			continue
		}
		st.keys = append(st.keys, wk)
		e.blocked[wk] = append(e.blocked[wk], s)
	}
	s.block = st
}

// BlockDeadline returns when a blocked session times out (zero: never).
func (s *Session) BlockDeadline() time.Time {
	if s.block == nil {
		return time.Time{}
	}
	return s.block.deadline
}

// TimeoutBlocked answers a blocked session's timeout reply and unblocks it.
// It reports false when the session was not blocked any more (served
// meanwhile). The server lock must be held.
func (e *Engine) TimeoutBlocked(s *Session) bool {
	if s.block == nil {
		return false
	}
	st := s.block
	e.unblock(s)
	if st.onTimeout != nil {
		st.onTimeout(s.W)
	} else {
		s.W.NullArray()
	}
	return true
}

// UnblockWith ends a session's block with a reply written by reply, and
// wakes it (WAIT answered by replica ACKs). The server lock must be held.
func (e *Engine) UnblockWith(s *Session, reply func(w *resp.Writer)) bool {
	if s.block == nil {
		return false
	}
	e.unblock(s)
	reply(s.W)
	if s.Conn != nil {
		s.Conn.Wake()
	}
	return true
}

// UnblockWithError ends a session's block with an error reply (CLIENT
// UNBLOCK … ERROR); with msg == "" it answers as on timeout.
func (e *Engine) UnblockWithError(s *Session, msg string) bool {
	if msg == "" {
		return e.TimeoutBlocked(s)
	}
	st := s.block
	if st == nil {
		return false
	}
	e.unblock(s)
	s.W.Error(msg)
	// The blocked command fails with this error: it counts as the
	// command's failed call and in errorstats, as in Redis.
	st.spec.StatsFor(st.args).Failed++
	e.TotalErrors++
	e.CountError(msg)
	return true
}

func (e *Engine) unblock(s *Session) {
	st := s.block
	if st == nil {
		return
	}
	for _, wk := range st.keys {
		ss := e.blocked[wk]
		for i, o := range ss {
			if o == s {
				ss = append(ss[:i], ss[i+1:]...)
				break
			}
		}
		if len(ss) == 0 {
			delete(e.blocked, wk)
		} else {
			e.blocked[wk] = ss
		}
	}
	s.block = nil
}

// BlockedClients is the number of sessions blocked on keys.
func (e *Engine) BlockedClients() int {
	seen := map[*Session]bool{}
	for _, ss := range e.blocked {
		for _, s := range ss {
			seen[s] = true
		}
	}
	return len(seen)
}

// serveReady re-runs the commands of sessions blocked on keys that changed.
// Serving one may make another key ready (BLMOVE pushes), so it loops until
// nothing is ready.
func (e *Engine) serveReady() {
	for len(e.ready) > 0 {
		wk := e.ready[0]
		e.ready = e.ready[1:]
		delete(e.readySet, wk)
		waiting := append([]*Session(nil), e.blocked[wk]...)
		for _, s := range waiting {
			st := s.block
			if st == nil {
				continue
			}
			saved := s.DB
			s.DB = wk.db
			e.now = e.KS.Now()
			e.readyKey = []byte(wk.key)
			prevTop, prevSpec, prevArgs := e.top, e.topSpec, e.topArgs
			e.top, e.topSpec, e.topArgs = s, st.spec, st.args
			e.rerunning = true
			c := e.run(s, st.spec, st.args, false)
			e.top, e.topSpec, e.topArgs = prevTop, prevSpec, prevArgs
			e.readyKey = nil
			s.DB = saved
			if c.block != nil {
				continue // still nothing for it: it keeps its place in line
			}
			e.unblock(s)
			e.flushUnit()
			if e.Tracker != nil {
				e.Tracker.AfterCommand(s, st.spec) // invalidations after its reply
			}
			if s.Conn != nil {
				s.Conn.Wake()
			}
		}
	}
}

// signalBlockedDB marks every key clients block on in database db (every
// database when db < 0) ready, so their commands re-run after the
// database was emptied or swapped (FLUSHDB, FLUSHALL, SWAPDB), as Redis's
// scanDatabaseForReadyKeys and scanDatabaseForDeletedStreams do: a list
// or stream that appeared serves its waiters, an XREADGROUP whose key is
// gone fails, and the others keep waiting.
func (e *Engine) signalBlockedDB(db int) {
	for wk := range e.blocked {
		if (db < 0 || wk.db == db) && !e.readySet[wk] {
			e.readySet[wk] = true
			e.ready = append(e.ready, wk)
		}
	}
}
