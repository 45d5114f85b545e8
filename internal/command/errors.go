package command

import (
	"bytes"
	"fmt"
	"strings"
)

// Error replies shared by many commands (Redis's exact texts).
const (
	ErrWrongType   = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInt      = "ERR value is not an integer or out of range"
	ErrNotFloat    = "ERR value is not a valid float"
	ErrSyntax      = "ERR syntax error"
	ErrOverflow    = "ERR increment or decrement would overflow"
	ErrNoSuchKey   = "ERR no such key"
	errStringLimit = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
)

// ErrUnknown formats Redis 7.0's unknown-command error. Like Redis's
// printf, it reads each argument as a C string (up to a NUL byte) and
// gives the quoted arguments 128 bytes in all: each is cut to what is left
// of them, and none follows once they are used up.
func ErrUnknown(args [][]byte) string {
	var quoted []byte
	for _, a := range args[1:] {
		if len(quoted) >= 128 {
			break
		}
		a = cstr(a)
		if room := 128 - len(quoted); len(a) > room {
			a = a[:room]
		}
		quoted = append(quoted, '\'')
		quoted = append(quoted, a...)
		quoted = append(quoted, "' "...)
	}
	return "ERR unknown command '" + truncate(args[0]) + "', with args beginning with: " + string(quoted)
}

// truncate is Redis's "%.128s" of an argument: at most 128 bytes, up to
// the first NUL.
func truncate(b []byte) string {
	b = cstr(b)
	if len(b) > 128 {
		b = b[:128]
	}
	return string(b)
}

// cstr is b as C code reads it: up to its first NUL byte. Redis formats
// arguments into its error messages with %s, so a NUL ends them there.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// CStr is cstr for the server's own error texts.
func CStr(b []byte) []byte { return cstr(b) }

// ErrArity formats the wrong-number-of-arguments error.
func ErrArity(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// ErrSubcommand is Redis 7.0's reply to a container command (CLIENT,
// CONFIG, OBJECT, …) called (args) with an unknown subcommand, or with a
// known one and the wrong number of arguments: subcommands are commands of
// their own there ("client|setname"), with their own arity error. The
// unknown-subcommand error names the container as the client typed it,
// upper-cased: after rename-command, "Try ABC123 HELP.".
func ErrSubcommand(spec *Spec, args [][]byte) string {
	name := strings.ToLower(string(args[1]))
	for _, s := range spec.Subcommands {
		if s == name {
			return ErrArity(spec.Name + "|" + name)
		}
	}
	return fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", truncate(args[1]), strings.ToUpper(string(cstr(args[0]))))
}
