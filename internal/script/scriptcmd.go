package script

import (
	"strings"

	"github.com/tandemdb/tandem/internal/command"
)

var scriptHelp = []string{
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
}

// scriptCmd is SCRIPT (Redis's scriptCommand).
func (s *Scripting) scriptCmd(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	n := len(c.Args)
	switch {
	case sub == "help" && n == 2:
		c.W.Array(len(scriptHelp) + 3)
		c.W.Simple(strings.ToUpper(string(c.Args[0])) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
		for _, l := range scriptHelp {
			c.W.Simple(l)
		}
		c.W.Simple("HELP")
		c.W.Simple("    Prints this help.")
	case sub == "flush":
		if n == 3 {
			mode := strings.ToLower(string(c.Args[2]))
			if mode != "sync" && mode != "async" {
				c.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
				return
			}
		} else if n != 2 {
			c.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
			return
		}
		// SYNC and ASYNC alike drop the cache now: Go's collector frees
		// the old state in the background either way.
		s.Flush()
		c.W.OK()
	case sub == "exists":
		c.W.Array(n - 2)
		for _, a := range c.Args[2:] {
			if s.cached(a) != nil {
				c.W.Int(1)
			} else {
				c.W.Int(0)
			}
		}
	case sub == "load" && n == 3:
		sc, msg := s.create(c.Args[2])
		if sc == nil {
			c.Error(msg)
			return
		}
		c.W.BulkString(sc.sha)
	case sub == "kill" && n == 2:
		s.kill(c, true)
	case sub == "debug" && n == 3:
		s.scriptDebug(c)
	default:
		c.Error(command.ErrSubcommand(c.Spec, c.Args))
	}
}

// Flush empties the script cache and starts a fresh Lua state (SCRIPT
// FLUSH; server lock held, no script running).
func (s *Scripting) Flush() {
	s.cache = map[string]*script{}
	s.last = nil
	s.cacheMem = 0
	s.protoMem = 0
	old := s.vm
	s.vm = newVM(s)
	old.L.Close()
}

// kill is SCRIPT KILL (eval) and FUNCTION KILL (Redis's scriptKill): it
// asks the running script to stop, unless it has written or came from our
// master; each kills only its own kind (an EVAL script, a function).
func (s *Scripting) kill(c *command.Ctx, eval bool) {
	r := s.run
	switch {
	case r == nil:
		c.Error("NOTBUSY No scripts in execution right now.")
	case r.sess.Flags&command.FlagMaster != 0:
		c.Error("UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.")
	case r.wrote:
		c.Error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
	case eval && !r.eval:
		c.Error(errBusyFunction)
	case !eval && r.eval:
		c.Error(errBusy)
	default:
		r.killed = true
		s.hook.signal.Store(true)
		c.W.OK()
	}
}
