package command

import "github.com/tandemdb/tandem/internal/keyspace"

func transactionCommands() []*Spec {
	return []*Spec{
		{Name: "multi", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Handler: multiCmd, Group: "transactions", Summary: "Starts a transaction.", Since: "1.2.0"},
		{Name: "exec", Arity: 1, Flags: NoScript | Loading | Stale, Handler: execCmd, Group: "transactions", Summary: "Executes all commands in a transaction.", Since: "1.2.0"},
		{Name: "discard", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Handler: discardCmd, Group: "transactions", Summary: "Discards a transaction.", Since: "2.0.0"},
		{Name: "watch", Arity: -2, Flags: NoScript | Loading | Stale | Fast | AllowBusy, FirstKey: 1, LastKey: -1, Step: 1, Handler: watchCmd, Group: "transactions", Summary: "Monitors changes to keys to determine the execution of a transaction.", Since: "2.2.0"},
		{Name: "unwatch", Arity: 1, Flags: NoScript | Loading | Stale | Fast | AllowBusy, Handler: unwatchCmd, Group: "transactions", Summary: "Forgets about watched keys of a transaction.", Since: "2.2.0"},
	}
}

func multiCmd(c *Ctx) {
	if c.S.InMulti() {
		c.Error("ERR MULTI calls can not be nested")
		return
	}
	c.S.Flags |= FlagMulti
	c.S.multi = c.S.multi[:0]
	c.W.OK()
}

func discardCmd(c *Ctx) {
	if !c.S.InMulti() {
		c.Error("ERR DISCARD without MULTI")
		return
	}
	c.E.discard(c.S)
	c.W.OK()
}

func (e *Engine) discard(s *Session) {
	s.multi = nil
	s.Flags &^= FlagMulti | FlagDirtyCAS | FlagDirtyExec
	e.unwatchAll(s)
}

// execCmd runs the queued commands back to back under the server lock, so
// no other client's command can interleave, and propagates their writes as
// one unit (wrapped in MULTI/EXEC when there is more than one).
func execCmd(c *Ctx) {
	s := c.S
	if !s.InMulti() {
		c.Error("ERR EXEC without MULTI")
		return
	}
	// The server's refusals (read-only replica, NOREPLICAS, MISCONF,
	// MASTERDOWN, LOADING) apply to the queued commands at EXEC time, as
	// in Redis's processCommand: one refused command aborts the whole
	// transaction, before the queueing errors and WATCH are looked at.
	// (Redis tests each reason over all the commands in turn; here the
	// first refused command's reason is given. Both agree whenever one
	// reason applies.)
	for _, q := range s.multi {
		if msg := c.E.Host.Gate(s, q.spec.gated(q.args), q.args); msg != "" {
			c.E.discard(s)
			c.Error(execAbortMsg(msg))
			return
		}
	}
	if c.E.watchedKeyExpired(s, c.Now()) {
		s.Flags |= FlagDirtyCAS
	}
	if s.Flags&FlagDirtyExec != 0 {
		c.E.discard(s)
		c.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	if s.Flags&FlagDirtyCAS != 0 {
		c.E.discard(s)
		c.W.NullArray()
		return
	}
	queue := s.multi
	s.multi = nil
	s.Flags &^= FlagMulti
	c.E.unwatchAll(s)
	c.W.Array(len(queue))
	c.E.execRunning++
	defer func() { c.E.execRunning-- }()
	// Nothing is checked per command from here on, as in Redis: a queued
	// CONFIG SET that raises min-replicas-to-write does not stop the
	// writes queued after it.
	for _, q := range queue {
		// Permissions are checked again, as in Redis: the user's rules
		// may have changed since the command was queued.
		if c.E.Perm != nil {
			if msg := c.E.Perm.CheckPerm(s, s, q.spec, q.args, PermExec); msg != "" {
				c.E.TotalErrors++
				c.E.CountError(msg)
				c.W.Error(msg)
				continue
			}
		}
		c.E.run(s, q.spec, q.args, true)
		c.E.feedMonitor(s, q.spec, q.args)
	}
	c.NoPropagate() // the queued commands propagated themselves
}

func watchCmd(c *Ctx) {
	if c.S.InMulti() {
		c.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	for _, k := range c.Args[1:] {
		wk := watchKey{c.DB.ID, string(k)}
		already := false
		for _, w := range c.S.watched {
			if w == wk {
				already = true
				break
			}
		}
		if already {
			continue
		}
		c.S.watched = append(c.S.watched, wk)
		if keyExpiredAt(c.DB, k, c.Now()) {
			if c.S.expiredAtWatch == nil {
				c.S.expiredAtWatch = map[watchKey]bool{}
			}
			c.S.expiredAtWatch[wk] = true
		}
		c.E.watchers[wk] = append(c.E.watchers[wk], c.S)
	}
	c.W.OK()
}

func unwatchCmd(c *Ctx) {
	c.E.unwatchAll(c.S)
	c.S.Flags &^= FlagDirtyCAS
	c.W.OK()
}

func (e *Engine) unwatchAll(s *Session) {
	for _, wk := range s.watched {
		ss := e.watchers[wk]
		for i, o := range ss {
			if o == s {
				ss = append(ss[:i], ss[i+1:]...)
				break
			}
		}
		if len(ss) == 0 {
			delete(e.watchers, wk)
		} else {
			e.watchers[wk] = ss
		}
	}
	s.watched = nil
	s.expiredAtWatch = nil
}

// keyExpiredAt reports whether key is still in db but its time has passed
// at now (Redis's keyIsExpired): logically gone, not deleted yet.
func keyExpiredAt(db *keyspace.DB, key []byte, now int64) bool {
	if db.Peek(key) == nil {
		return false
	}
	when := db.ExpireAt(key)
	return when >= 0 && when <= now
}

// watchedKeyExpired reports whether one of s's watched keys has expired
// since WATCH, deleted or not: EXEC then fails, as in Redis 7.0 (a key
// deleted by its expiry has already marked s through keyModified).
func (e *Engine) watchedKeyExpired(s *Session, now int64) bool {
	for _, wk := range s.watched {
		if !s.expiredAtWatch[wk] && keyExpiredAt(e.KS.DBs[wk.db], []byte(wk.key), now) {
			return true
		}
	}
	return false
}
