package server

import (
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// gate refuses commands for reasons that depend on server state. The
// engine has already checked existence, arity and authentication.
func (s *Server) gate(sess *command.Session, spec *command.Spec, args [][]byte) string {
	if (s.closing.Load() || s.stopping.Load()) && spec.Name != "shutdown" {
		return "ERR Server is shutting down"
	}
	// tracking-table-max-keys holds before every command, as in Redis,
	// not only at the cron's tick: the invalidations it sends come before
	// this command's reply (even a QUEUED one).
	s.trackingLimit(s.set.TrackingTableMaxKeys)
	// Loading and the start-up window hold clients only: the AOF loader
	// and our master's stream run as the master (FlagMaster). The loader
	// leaves loading on while its commands run, so a client served while
	// one of them is a busy script gets -LOADING, as in Redis, not BUSY.
	held := (s.loading || s.starting) && sess.Flags&command.FlagMaster == 0
	if held && spec.Flags&command.Loading == 0 {
		return "LOADING Redis is loading the dataset in memory"
	}
	if s.asyncLoading && spec.Meta != nil && spec.Meta.HasFlag("no_async_loading") {
		return "LOADING Redis is loading the dataset in memory"
	}
	for _, g := range s.parts.Gates {
		if msg := g.Gate(sess, spec, args); msg != "" {
			return msg
		}
	}
	return ""
}

func (s *Server) registerCommands() {
	t := s.eng.Table
	any := command.Loading | command.Stale | command.Fast
	t.Add(
		&command.Spec{Name: "ping", Arity: -1, Flags: command.Fast, Handler: s.pingCmd, Group: "connection", Summary: "Returns the server's liveliness response.", Since: "1.0.0"},
		&command.Spec{Name: "echo", Arity: 2, Flags: command.Fast, Handler: echoCmd, Group: "connection", Summary: "Returns the given string.", Since: "1.0.0"},
		&command.Spec{Name: "quit", Arity: -1, Flags: command.NoAuth | any | command.AllowBusy, Handler: quitCmd, Group: "connection", Summary: "Closes the connection.", Since: "1.0.0"},
		&command.Spec{Name: "reset", Arity: 1, Flags: command.NoAuth | any | command.NoScript | command.AllowBusy, Handler: s.resetCmd, Group: "connection", Summary: "Resets the connection.", Since: "6.2.0"},
		&command.Spec{Name: "auth", Arity: -2, Flags: command.NoAuth | any | command.NoScript | command.AllowBusy, Handler: s.authCmd, Group: "connection", Summary: "Authenticates the connection.", Since: "1.0.0"},
		&command.Spec{Name: "hello", Arity: -1, Flags: command.NoAuth | any | command.NoScript | command.AllowBusy, Handler: s.helloCmd, Group: "connection", Summary: "Handshakes with the Redis server.", Since: "6.0.0"},
		&command.Spec{Name: "client", Arity: -2, Flags: command.Loading | command.Stale | command.NoScript, Handler: s.clientCmd, Group: "connection", Summary: "A container for client connection commands.", Since: "2.4.0",
			Subcommands: []string{"caching", "getname", "getredir", "help", "id", "info", "kill", "list", "no-evict", "pause", "reply", "setinfo", "setname", "tracking", "trackinginfo", "unblock", "unpause"}},
	)
	s.eng.Table.Add(s.aclSpec())
	s.registerServerCommands()
	s.registerPubSub()
}

func (s *Server) pingCmd(c *command.Ctx) {
	if len(c.Args) > 2 {
		c.Error(command.ErrArity("ping"))
		return
	}
	if c.S.Proto == 2 && c.S.Subscriptions() > 0 {
		c.W.Array(2)
		c.W.BulkString("pong")
		if len(c.Args) == 2 {
			c.W.Bulk(c.Args[1])
		} else {
			c.W.BulkString("")
		}
		return
	}
	if len(c.Args) == 2 {
		c.W.Bulk(c.Args[1])
		return
	}
	c.W.Simple("PONG")
}

func echoCmd(c *command.Ctx) { c.W.Bulk(c.Args[1]) }

// quitCmd closes the connection once its reply is written (runBuffered
// notes the reason, CloseQuit).
func quitCmd(c *command.Ctx) {
	c.W.OK()
	c.S.Flags |= command.FlagCloseAfterReply
}

func (s *Server) resetCmd(c *command.Ctx) {
	cl := c.S.Owner.(*client)
	s.eng.Disconnect(c.S)
	s.unsubscribeAll(cl)
	s.stopMonitor(cl)
	s.disableTracking(cl)
	c.S.ReplyOn() // its RESET reply included
	c.S.DB = 0
	c.S.Name = ""
	c.S.Proto = 2
	c.W.Proto = 2
	s.setDefaultUser(cl)
	c.S.Flags &^= command.FlagNoEvict
	c.W.Simple("RESET")
}

// authCmd is AUTH [user] password: the ACL user's passwords (requirepass
// is the default user's), Redis's errors, and an ACL LOG entry for a
// failure. As in Redis, a failed AUTH leaves an authenticated client so.
func (s *Server) authCmd(c *command.Ctx) {
	if len(c.Args) > 3 {
		c.Error(command.ErrSyntax)
		return
	}
	s.initACL()
	user, pass := "default", string(c.Args[1])
	if len(c.Args) == 3 {
		user, pass = string(c.Args[1]), string(c.Args[2])
	} else if s.acl.Default.NoPass() {
		c.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if !s.authenticate(c, user, pass) {
		s.log.Verbosef("Authentication failure for user %s from %s", user, c.S.Owner.(*client).addr)
		c.Error("WRONGPASS invalid username-password pair or user is disabled.")
		return
	}
	c.W.OK()
}

func (s *Server) helloCmd(c *command.Ctx) {
	proto := c.S.Proto
	if len(c.Args) >= 2 {
		v, ok := resp.ParseInt(c.Args[1])
		if !ok {
			c.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 && v != 3 {
			c.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
	}
	// Each option takes effect as it is met, as in Redis: a later bad
	// option answers its error, but an AUTH or SETNAME before it stays.
	for i := 2; i < len(c.Args); i++ {
		opt := strings.ToUpper(string(c.Args[i]))
		switch {
		case opt == "AUTH" && i+2 < len(c.Args):
			if !s.authenticate(c, string(c.Args[i+1]), string(c.Args[i+2])) {
				c.Error("WRONGPASS invalid username-password pair or user is disabled.")
				return
			}
			i += 2
		case opt == "SETNAME" && i+1 < len(c.Args):
			if !validClientName(c.Args[i+1]) {
				c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			c.S.Name = string(c.Args[i+1])
			i++
		default:
			c.Error("ERR Syntax error in HELLO option '" + cArg(c.Args[i], -1) + "'")
			return
		}
	}
	if !c.S.Authed {
		c.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	c.S.Proto = proto
	c.W.Proto = proto
	c.W.Map(7)
	c.W.BulkString("server")
	c.W.BulkString("redis")
	c.W.BulkString("version")
	c.W.BulkString(Version)
	c.W.BulkString("proto")
	c.W.Int(int64(proto))
	c.W.BulkString("id")
	c.W.Int(c.S.ID)
	c.W.BulkString("mode")
	c.W.BulkString("standalone")
	c.W.BulkString("role")
	c.W.BulkString(s.roleName())
	c.W.BulkString("modules")
	c.W.Array(0)
}

func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// roleName is "master" or "replica" as HELLO reports it.
func (s *Server) roleName() string {
	if s.IsReplica() {
		return "replica"
	}
	return "master"
}
