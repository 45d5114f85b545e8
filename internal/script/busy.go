package script

import (
	"strings"

	"github.com/tandemdb/tandem/internal/command"
)

// The BUSY errors while an EVAL script, or a function, is busy.
const (
	errBusy         = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)

// Gate implements server.Gate: while a script is busy (past
// busy-reply-threshold) other clients' commands get BUSY, except those
// Redis allows then (SCRIPT KILL, SHUTDOWN, MULTI/DISCARD/WATCH/UNWATCH,
// AUTH, HELLO, QUIT, RESET, REPLCONF).
func (s *Scripting) Gate(sess *command.Session, spec *command.Spec, args [][]byte) string {
	// Our master's stream is never refused: a refused write would be
	// lost, and the replica would diverge. (Redis postpones it until the
	// script ends; here it runs while the script is suspended.)
	if !s.Busy() || sess == &s.cur.sess || sess.Flags&command.FlagMaster != 0 || allowBusy(spec, args) {
		return ""
	}
	if !s.cur.eval {
		return errBusyFunction
	}
	return errBusy
}

func allowBusy(spec *command.Spec, args [][]byte) bool {
	if spec.Flags&command.AllowBusy != 0 && spec.Name != "shutdown" {
		return true
	}
	switch spec.Name {
	case "multi", "discard", "watch", "unwatch", "replconf", "auth", "hello", "quit", "reset":
		return true
	case "shutdown":
		// Only SHUTDOWN NOSAVE (or ABORT) while a script is busy, as in
		// Redis: a save now would store the script's effects half done.
		for _, a := range args[1:] {
			if strings.EqualFold(string(a), "nosave") || strings.EqualFold(string(a), "abort") {
				return true
			}
		}
		return false
	case "script", "function":
		if len(args) >= 2 {
			sub := strings.ToLower(string(args[1]))
			return sub == "kill" || (spec.Name == "function" && sub == "stats")
		}
	}
	return false
}
