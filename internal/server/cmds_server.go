package server

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

func (s *Server) registerServerCommands() {
	adm := command.Admin | command.NoScript
	ls := command.Loading | command.Stale
	s.eng.Table.Add(
		&command.Spec{Name: "info", Arity: -1, Flags: ls, Handler: s.infoCmd, Group: "server", Summary: "Returns information and statistics about the server.", Since: "1.0.0"},
		&command.Spec{Name: "command", Arity: -1, Flags: ls, Handler: s.commandCmd, Group: "server", Summary: "Returns detailed information about all commands.", Since: "2.8.13",
			Subcommands: []string{"count", "docs", "getkeys", "getkeysandflags", "help", "info", "list"}},
		&command.Spec{Name: "config", Arity: -2, Flags: adm | ls, Handler: s.configCmd, Group: "server", Summary: "A container for server configuration commands.", Since: "2.0.0",
			Subcommands: []string{"get", "help", "resetstat", "rewrite", "set"}},
		&command.Spec{Name: "time", Arity: 1, Flags: ls | command.Fast, Handler: timeCmd, Group: "server", Summary: "Returns the server time.", Since: "2.6.0"},
		&command.Spec{Name: "lastsave", Arity: 1, Flags: ls | command.Fast, Handler: s.lastsaveCmd, Group: "server", Summary: "Returns the Unix timestamp of the last successful save to disk.", Since: "1.0.0"},
		&command.Spec{Name: "debug", Arity: -2, Flags: adm | ls | command.Protected, Handler: s.debugCommand, Group: "server", Summary: "A container for debugging commands.", Since: "1.0.0"},
		&command.Spec{Name: "module", Arity: -2, Flags: command.Protected, Handler: s.moduleCmd, Group: "server", Summary: "A container for module commands.", Since: "4.0.0",
			Subcommands: command.KnownSubcommands("module")},
		&command.Spec{Name: "monitor", Arity: 1, Flags: adm | ls, Handler: s.monitorCmd, Group: "server", Summary: "Listens for all requests received by the server in real-time.", Since: "1.0.0"},
		&command.Spec{Name: "shutdown", Arity: -1, Flags: adm | ls | command.NoMulti | command.AllowBusy, Handler: s.shutdownCmd, Group: "server", Summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", Since: "1.0.0"},
		&command.Spec{Name: "slowlog", Arity: -2, Flags: command.Admin | ls, Handler: s.slowlogCmd, Group: "server", Summary: "A container for slow log commands.", Since: "2.2.12",
			Subcommands: []string{"get", "help", "len", "reset"}},
		&command.Spec{Name: "lolwut", Arity: -1, Flags: command.ReadOnly | command.Fast, Handler: s.lolwutCmd, Group: "server", Summary: "Display some computer art and the Redis version", Since: "5.0.0"},
		&command.Spec{Name: "latency", Arity: -2, Flags: command.Admin | command.NoScript | ls, Handler: s.latencyCmd, Group: "server", Summary: "A container for latency diagnostics commands.", Since: "2.8.13",
			Subcommands: []string{"doctor", "graph", "help", "histogram", "history", "latest", "reset"}},
		&command.Spec{Name: "memory", Arity: -2, Flags: command.ReadOnly, Handler: s.memoryCmd, Group: "server", Summary: "A container for memory diagnostics commands.", Since: "4.0.0",
			Subcommands: []string{"doctor", "help", "malloc-stats", "purge", "stats", "usage"}},
		&command.Spec{Name: "script", Arity: -2, Flags: command.NoScript, Handler: scriptCmd, Group: "scripting", Summary: "A container for Lua scripts management commands.", Since: "2.6.0"},
		&command.Spec{Name: "role", Arity: 1, Flags: ls | command.Fast | command.NoScript, Handler: s.roleCmd, Group: "server", Summary: "Returns the replication role.", Since: "2.8.12"},
		&command.Spec{Name: "wait", Arity: 3, Flags: command.NoScript, Handler: s.waitCmd, Group: "generic", Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.", Since: "3.0.0"},
	)
	s.registerNotBuilt()
}

func timeCmd(c *command.Ctx) {
	now := time.Now()
	c.W.Array(2)
	c.W.BulkInt(now.Unix())
	c.W.BulkInt(int64(now.Nanosecond() / 1000))
}

func (s *Server) lastsaveCmd(c *command.Ctx) {
	if s.parts.LastSave != nil {
		c.W.Int(s.parts.LastSave.LastSave())
		return
	}
	c.W.Int(s.started.Unix())
}

func scriptCmd(c *command.Ctx) {
	switch strings.ToLower(string(c.Args[1])) {
	case "kill":
		c.Error("NOTBUSY No scripts in execution right now.")
	case "flush":
		// No scripts to flush; the option is checked as Redis checks it.
		if len(c.Args) > 3 || len(c.Args) == 3 && !strings.EqualFold(string(c.Args[2]), "sync") && !strings.EqualFold(string(c.Args[2]), "async") {
			c.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
			return
		}
		c.W.OK()
	case "exists":
		c.W.Array(len(c.Args) - 2)
		for range c.Args[2:] {
			c.W.Int(0)
		}
	default:
		c.Error("ERR scripting (SCRIPT " + strings.ToUpper(string(c.Args[1])) + ") is not supported by Tandem yet")
	}
}

func (s *Server) roleCmd(c *command.Ctx) {
	if s.parts.Repl != nil {
		s.parts.Repl.Role(c)
		return
	}
	c.W.Array(3)
	c.W.BulkString("master")
	c.W.Int(0)
	c.W.Array(0)
}

func (s *Server) waitCmd(c *command.Ctx) {
	if s.parts.Repl != nil && s.IsReplica() {
		s.parts.Repl.Wait(c) // refuses on a replica, before the arguments are read (as Redis)
		return
	}
	if _, ok := resp.ParseInt(c.Args[1]); !ok {
		c.Error(command.ErrNotInt)
		return
	}
	if t, ok := resp.ParseInt(c.Args[2]); !ok || t < 0 {
		if !ok {
			c.Error("ERR timeout is not an integer or out of range")
		} else {
			c.Error("ERR timeout is negative")
		}
		return
	}
	if s.parts.Repl != nil {
		s.parts.Repl.Wait(c)
		return
	}
	c.W.Int(0) // no replicas yet
}

func (s *Server) configCmd(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case sub == "get" && len(c.Args) >= 3:
		pats := make([]string, 0, len(c.Args)-2)
		for _, a := range c.Args[2:] {
			pats = append(pats, string(a))
		}
		var pairs [][2]string
		if s.cfg != nil {
			pairs = s.cfg.Get(pats...)
		}
		c.W.Map(len(pairs))
		for _, p := range pairs {
			c.W.BulkString(p[0])
			c.W.BulkString(p[1])
		}
	case sub == "set" && len(c.Args) >= 4:
		if len(c.Args)%2 != 0 {
			// A name without its value: Redis's handler answers a
			// syntax error (its arity, -4, only asks for one pair).
			c.Error(command.ErrSyntax)
			return
		}
		if s.cfg == nil {
			c.Error("ERR CONFIG SET is not available without a configuration")
			return
		}
		var pairs [][2]string
		for i := 2; i < len(c.Args); i += 2 {
			pairs = append(pairs, [2]string{string(c.Args[i]), string(c.Args[i+1])})
		}
		if err := s.cfg.Set(pairs, s.loading || s.asyncLoading, allowProtected("local", c.S)); err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "ERR ") && !strings.HasPrefix(msg, "LOADING ") {
				msg = "ERR " + msg
			}
			c.Error(msg)
			return
		}
		c.W.OK()
	case sub == "rewrite" && len(c.Args) == 2:
		if s.cfg == nil {
			c.Error("ERR The server is running without a config file")
			return
		}
		if err := s.cfg.Rewrite(); err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "ERR ") {
				msg = "ERR Rewriting config file: " + msg
			}
			s.log.Warningf("CONFIG REWRITE failed: %v", err)
			c.Error(msg)
			return
		}
		s.log.Noticef("CONFIG REWRITE executed with success.")
		c.W.OK()
	case sub == "resetstat" && len(c.Args) == 2:
		s.resetStats()
		c.W.OK()
	case sub == "help" && len(c.Args) == 2:
		writeHelp(c, []string{
			"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
			"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
			"RESETSTAT", "    Reset statistics reported by the INFO command.",
			"REWRITE", "    Rewrite the configuration file.",
		})
	default:
		c.Error(subcommandError(c))
	}
}

func (s *Server) resetStats() {
	s.stats.connections = 0
	s.stats.rejected = 0
	s.stats.netIn.Store(0)
	s.stats.netOut.Store(0)
	s.stats.unexpectedErrors.Store(0)
	s.eng.TotalCommands = 0
	s.eng.TotalErrors = 0
	s.eng.ErrorStats = nil
	s.ks.ExpiredKeys = 0
	s.ks.Hits, s.ks.Misses = 0, 0
	s.cmem.evicted = 0
	if s.parts.Memory != nil {
		s.parts.Memory.ResetStats()
	}
	s.ks.Lazy.Freed = 0
	for _, sp := range statSpecs(s.eng.Table) {
		sp.Calls, sp.Nsec, sp.Rejected, sp.Failed = 0, 0, 0, 0
		sp.Latency = nil // latencystats start again, as Redis's do
	}
	// The slow log stays, as in Redis (SLOWLOG RESET clears it).
	if s.parts.Repl != nil {
		s.parts.Repl.ResetStats()
	}
}

// protectedRefusal is the engine's Protected check: DEBUG and MODULE's
// LOAD, LOADEX and UNLOAD run only where enable-debug-command and
// enable-module-command allow (yes, or local for a loopback or unix socket
// client); elsewhere they are refused before authentication and before
// MULTI queues them, with Redis's text.
func (s *Server) protectedRefusal(sess *command.Session, spec *command.Spec, args [][]byte) string {
	var setting, name string
	switch spec.Name {
	case "debug":
		setting, name = s.set.EnableDebug, "DEBUG"
	case "module":
		switch strings.ToLower(string(args[1])) {
		case "load", "loadex", "unload":
		default:
			return ""
		}
		setting, name = s.set.EnableModule, "MODULE"
	default:
		return ""
	}
	if allowProtected(setting, sess) {
		return ""
	}
	return fmt.Sprintf("ERR %s command not allowed. If the enable-%s-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
		name, strings.ToLower(name))
}

// allowProtected applies one enable-*-command setting (no | yes | local).
func allowProtected(setting string, sess *command.Session) bool {
	switch setting {
	case "yes":
		return true
	case "local":
		if cl, ok := sess.Owner.(*client); ok {
			switch a := cl.conn.RemoteAddr().(type) {
			case *net.TCPAddr:
				return a.IP.IsLoopback()
			case *net.UnixAddr:
				return true
			}
			// A unix socket connection's remote address may be empty.
			_, unix := cl.conn.LocalAddr().(*net.UnixAddr)
			return unix
		}
	}
	return false
}

// moduleCmd is MODULE: Tandem loads no modules, so LIST is empty, UNLOAD
// finds nothing, and LOAD fails: with Redis's reply to a load that fails
// (clients and their tests expect that text) and, as Redis logs why a
// load failed, a log line saying that modules are not supported.
func (s *Server) moduleCmd(c *command.Ctx) {
	switch sub := strings.ToLower(string(c.Args[1])); {
	case sub == "help" && len(c.Args) == 2:
		writeHelp(c, []string{
			"LIST",
			"    Return a list of loaded modules.",
			"LOAD <path> [<arg> ...]",
			"    Load a module library from <path>, passing to it any optional arguments.",
			"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
			"    Load a module library from <path>, while passing it module configurations and optional arguments.",
			"UNLOAD <name>",
			"    Unload a module.",
		})
	case sub == "list" && len(c.Args) == 2:
		c.W.Array(0)
	case (sub == "load" || sub == "loadex") && len(c.Args) >= 3:
		s.log.Warningf("Module %s failed to load: modules are not supported by Tandem", c.Args[2])
		c.Error("ERR Error loading the extension. Please check the server logs.")
	case sub == "unload" && len(c.Args) == 3:
		c.Error("ERR Error unloading module: no such module with that name")
	default:
		c.Error(subcommandError(c))
	}
}

func (s *Server) debugCommand(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case sub == "sleep" && len(c.Args) == 3:
		secs, err := strconv.ParseFloat(string(c.Args[2]), 64)
		if err != nil || secs < 0 || math.IsNaN(secs) {
			secs = 0 // Redis uses atof: anything unparsable sleeps 0
		}
		// DEBUG SLEEP blocks the whole server, as in Redis: that is its point.
		time.Sleep(time.Duration(secs * float64(time.Second)))
		c.W.OK()
	case sub == "set-active-expire" && len(c.Args) == 3:
		v, ok := resp.ParseInt(c.Args[2])
		if !ok {
			c.Error(command.ErrNotInt)
			return
		}
		s.activeExpireOff = v == 0
		c.W.OK()
	case sub == "jmap":
		c.W.OK()
	case sub == "help":
		writeHelp(c, []string{
			"OBJECT <key>", "    Show low level info about the <key> and associated value.",
			"SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
			"SET-ACTIVE-EXPIRE <0|1>", "    Setting it to 0 disables expiring keys in background when they are not accessed.",
			"LOG <message>", "    Write <message> to the server log at warning level.",
			"ERROR <string>", "    Answer an error reply whose text is <string>.",
			"PROTOCOL <type>", "    Answer a sample reply of one RESP type: string, integer, double, bignum,",
			"    null, array, set, map, attrib, push, verbatim, true or false.",
			"PAUSE-CRON <0|1>", "    1 stops the periodic jobs (expiry, buffer resizing, timeouts); 0 resumes them.",
			"REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms>", "    How long a reply buffer's peak is remembered (RESET: the default, 5 s).",
			"REPLYBUFFER RESIZING <0|1>", "    0 stops shrinking idle reply buffers; 1 resumes it.",
			"CHANGE-REPL-ID", "    Give this server new replication IDs (replicas must then resync in full).",
			"RELOAD", "    Save the dataset to the RDB file and load it back.",
			"DIGEST", "    A hex digest of the whole dataset, the same as Redis's for the same data.",
			"DIGEST-VALUE <key> [<key> ...]", "    A hex digest of each key's value.",
			"POPULATE <count> [<prefix>] [<size>]", "    Create <count> string keys <prefix>:<n> (default prefix 'key'), not propagated.",
			"HTSTATS <dbid>", "    Return hash table statistics of the specified Redis database.",
			"HTSTATS-KEY <key>", "    Like HTSTATS but for the hash table stored at <key>'s value.",
			"LISTPACK <key>", "    Show low level info about the listpack encoding of <key>.",
			"QUICKLIST <key> [<0|1>]", "    Show low level info about the quicklist encoding of <key>.",
		})
	default:
		if s.debugServer(c, sub) {
			return
		}
		for _, d := range s.parts.Debug {
			if d.Debug(c, sub) {
				return
			}
		}
		if debugNotBuilt[sub] {
			c.Error("ERR DEBUG " + strings.ToUpper(sub) + " is not supported by Tandem yet")
			return
		}
		c.Error(subcommandSyntaxError(c.Args))
	}
}

// shutdownCmd parses SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] with
// Redis 7.0's rules (ABORT alone; SAVE and NOSAVE not together); the
// shutdown itself is in shutdown.go.
func (s *Server) shutdownCmd(c *command.Ctx) {
	var flags ShutdownFlags
	abort := false
	for _, a := range c.Args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave":
			flags |= ShutdownNoSave
		case "save":
			flags |= ShutdownSave
		case "now":
			flags |= ShutdownNow
		case "force":
			flags |= ShutdownForce
		case "abort":
			abort = true
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	if (abort && flags != 0) || (flags&ShutdownNoSave != 0 && flags&ShutdownSave != 0) {
		c.Error(command.ErrSyntax)
		return
	}
	s.shutdownCommand(c, flags, abort)
}
