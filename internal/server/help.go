package server

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tandemdb/tandem/internal/command"
)

// Replies shared by the container commands (CLIENT, CONFIG, COMMAND, …):
// HELP, and Redis's errors for subcommands their handlers refuse.

// subcommandError is Redis 7.0's reply to a container command whose
// handler does not accept its arguments. A subcommand Redis knows with a
// fixed arity, or too few arguments for a variable one, was refused
// before Redis's handler ran: the arity error. A variable-arity one whose
// handler rejects the count (SLOWLOG GET 1 2) answers the handler's
// "unknown subcommand or wrong number of arguments" message; an unknown
// subcommand, "unknown subcommand". Both name the container as the client
// typed it (after rename-command), upper-cased, and the subcommand as C
// prints it (up to a NUL, at most 128 bytes).
func subcommandError(c *command.Ctx) string {
	sub := string(c.Args[1])
	if arity, ok := command.SubcommandArity(c.Spec.Name, sub); ok && arity < 0 && len(c.Args) >= -arity {
		return subcommandSyntaxError(c.Args)
	}
	return command.ErrSubcommand(c.Spec, c.Args)
}

// subcommandSyntaxError is the message Redis's container handlers answer
// to a subcommand or argument count they do not accept (its
// addReplySubcommandSyntaxError).
func subcommandSyntaxError(args [][]byte) string {
	return fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.",
		cArg(args[1], 128), strings.ToUpper(cArg(args[0], -1)))
}

// cArg is an argument as C's %s prints it: up to its first NUL byte, and
// at most max bytes when max >= 0 (%.128s).
func cArg(b []byte, max int) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if max >= 0 && len(b) > max {
		b = b[:max]
	}
	return string(b)
}

// writeHelp writes a HELP reply as Redis's addReplyHelp does: a title
// naming the container as the client typed it (upper-cased, so a renamed
// command shows its new name), the lines, and HELP's own entry, all as
// status strings.
func writeHelp(c *command.Ctx, lines []string) {
	c.W.Array(len(lines) + 3)
	c.W.Simple(strings.ToUpper(cArg(c.Args[0], -1)) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.W.Simple(l)
	}
	c.W.Simple("HELP")
	c.W.Simple("    Prints this help.")
}
