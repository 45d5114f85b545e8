package script

import (
	"net"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// A forked debugging session (SCRIPT DEBUG YES). Redis forks: the child
// runs the session on a copy-on-write image of the dataset, talking on
// the client's socket, while the parent frees the client and serves the
// others; whatever the script writes vanishes with the child. Tandem
// cannot fork, so it does the same by hand: under the server lock it
// copies the dataset (every key, deep, with its TTL) into a keyspace of
// its own, builds a command engine and a scripting engine over it, and
// runs the session on a goroutine with a duplicate of the client's
// socket; the client itself is closed at once. The copy's engine has the
// data commands only (no CONFIG, INFO, CLIENT, …: a script calling them
// gets "Unknown Redis command called from script") and no replicas, AOF
// or keyspace notifications, so nothing the session does leaves it.
//
// The copy is what fork's page tables are to Redis, but paid in full:
// time and memory proportional to the dataset, taken while the server
// waits. That is fine for the development datasets a debugger is used
// on; a large production dataset is better debugged with SYNC on a copy.

// ldbFork starts a forked session for the EVAL c (server lock held).
func (s *Scripting) ldbFork(c *command.Ctx) {
	c.S.Flags &^= command.FlagLuaDebug | command.FlagLuaDebugSync
	dc, ok := c.S.Owner.(DebugConner)
	if !ok {
		c.Error("ERR Fork() failed: can't run EVAL in debugging mode: no connection")
		return
	}
	conn, err := dc.LuaDebugConnDup()
	if err != nil {
		c.Error("ERR Fork() failed: can't run EVAL in debugging mode: " + err.Error())
		return
	}
	child := s.forkForDebug()
	sess := &command.Session{ID: c.S.ID, DB: c.S.DB, Proto: c.S.Proto, Authed: true, User: c.S.User,
		Flags: command.FlagLuaDebug | command.FlagLuaDebugSync, Owner: ownedConn{conn}}
	sess.W = &resp.Writer{Proto: c.S.Proto}
	// The arguments point into the client's read buffer: copied.
	args := make([][]byte, len(c.Args))
	for i, a := range c.Args {
		args[i] = append([]byte(nil), a...)
	}
	s.log.Warningf("Redis forked for debugging eval")
	// The parent's side of the client ends here, as Redis frees it.
	c.S.Flags |= command.FlagCloseAfterReply
	go child.runForked(sess, args, conn)
}

// forkForDebug is a scripting engine over a copy of the dataset (server
// lock held).
func (s *Scripting) forkForDebug() *Scripting {
	eng := command.NewEngine(cloneKeyspace(s.eng.KS))
	eng.Limits = s.eng.Limits
	eng.MaxStringSize = s.eng.MaxStringSize
	var th int64
	if s.opts.BusyThreshold != nil {
		th = s.opts.BusyThreshold()
	}
	child := New(eng, Options{Log: s.log, MemoryLimit: s.opts.MemoryLimit, BusyThreshold: func() int64 { return th }})
	child.Register()
	child.yield = stopOnly{s.yield}
	child.forked = true
	return child
}

// runForked runs the session (its own goroutine; the engine is its
// own), writes the EVAL's reply and closes the connection.
func (s *Scripting) runForked(sess *command.Session, args [][]byte, conn net.Conn) {
	defer conn.Close()
	s.eng.Call(sess, args)
	conn.SetWriteDeadline(time.Now().Add(ldbSendTimeout))
	conn.Write(sess.W.Buf)
	s.log.Warningf("Lua debugging session child exiting")
}

// cloneKeyspace copies every key of ks, deep, with its TTL.
func cloneKeyspace(ks *keyspace.Keyspace) *keyspace.Keyspace {
	out := keyspace.New(len(ks.DBs))
	for i, db := range ks.DBs {
		dst := out.DBs[i]
		dst.Reserve(uint64(db.Len()), uint64(db.ExpiresLen()))
		db.Each(func(e *keyspace.Entry) bool {
			key := []byte(e.Key())
			if e.IsString() {
				dst.SetString(key, []byte(e.Str()), false)
			} else {
				dst.SetValue(key, command.CloneValue(e.Val()), false)
			}
			if at := db.ExpireAt(key); at >= 0 {
				dst.SetExpire(key, at)
			}
			return true
		})
	}
	return out
}

// ownedConn is a forked session's connection, which it owns.
type ownedConn struct{ net.Conn }

func (o ownedConn) LuaDebugConn() (net.Conn, error)    { return o.Conn, nil }
func (o ownedConn) LuaDebugConnDup() (net.Conn, error) { return o.Conn, nil }

// stopOnly lets a forked session see the server shutting down (its
// Stopping), and nothing else: the session never yields to the server,
// whose lock it does not hold.
type stopOnly struct{ y Yielder }

func (stopOnly) Yield() {}

func (o stopOnly) Stopping() bool {
	st, ok := o.y.(interface{ Stopping() bool })
	return ok && st.Stopping()
}
