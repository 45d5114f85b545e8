package server

import (
	"strings"

	"github.com/tandemdb/tandem/internal/command"
)

// registerNotBuilt adds the commands Tandem does not build yet. They answer
// a clear error rather than "unknown command", so users see the feature is
// missing, not mistyped, and COMMAND INFO shows Redis 7.0's shape for them.
// The persistence and replication commands are stubs only until their
// packages register the real ones (a server on its own keeps the stubs).
func (s *Server) registerNotBuilt() {
	adm := command.Admin | command.NoScript
	s.eng.Table.Add(
		// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT are internal/script's.
		notYet("fcall", "scripting", "scripting (FCALL)", command.NoScript),
		notYet("fcall_ro", "scripting", "scripting (FCALL_RO)", command.NoScript),
		notYet("function", "scripting", "scripting (FUNCTION)", command.NoScript),
	)
	for _, fam := range []struct {
		what  string
		names []string
	}{
		{"cluster mode", []string{"cluster", "readonly", "readwrite", "asking"}},
	} {
		for _, name := range fam.names {
			if s.eng.Table.Lookup([]byte(name)) == nil {
				sp := notYet(name, "server", fam.what, 0)
				// COMMAND INFO shows Redis 7.0's arity and key triple, so
				// tools that read the table see the real shape.
				if a, ok := notBuiltShapes[name]; ok {
					sp.Arity, sp.FirstKey, sp.LastKey, sp.Step = a[0], a[1], a[2], a[3]
				}
				s.eng.Table.Add(sp)
			}
		}
	}
	for _, name := range []string{"save", "bgsave", "bgrewriteaof", "replicaof", "slaveof", "sync", "psync", "replconf"} {
		if s.eng.Table.Lookup([]byte(name)) == nil {
			flags := adm
			if name == "replconf" || name == "sync" || name == "psync" {
				flags |= command.NoMulti
			}
			s.eng.Table.Add(notYet(name, "server", strings.ToUpper(name), flags))
		}
	}
}

// notYet is the stub of a command not built yet: Redis 7.0's arity where
// it is known (-1 otherwise), and an error naming what is missing.
func notYet(name, group, what string, flags command.Flag) *command.Spec {
	arity := -1
	if a, ok := notBuiltArity(name); ok {
		arity = a
	}
	return &command.Spec{Name: name, Arity: arity, Flags: flags, Group: group, Handler: func(c *command.Ctx) {
		c.Error("ERR " + what + " is not supported by Tandem yet")
	}}
}

// notBuiltArity is Redis 7.0's arity of the stubs registered without a
// shape, so COMMAND INFO and arity errors match.
func notBuiltArity(name string) (int, bool) {
	switch name {
	case "fcall", "fcall_ro", "psync":
		return -3, true
	case "function":
		return -2, true
	case "save", "bgrewriteaof", "sync":
		return 1, true
	case "bgsave", "replconf":
		return -1, true
	case "replicaof", "slaveof":
		return 3, true
	}
	return 0, false
}

// notBuiltShapes are Redis 7.0.15's COMMAND INFO arity and (first, last,
// step) key triple of the commands Tandem does not build yet.
var notBuiltShapes = map[string][4]int{
	"acl":       {-2, 0, 0, 0},
	"cluster":   {-2, 0, 0, 0},
	"readonly":  {1, 0, 0, 0},
	"readwrite": {1, 0, 0, 0},
	"asking":    {1, 0, 0, 0},
	"module":    {-2, 0, 0, 0},
}
