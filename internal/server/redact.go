package server

import (
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
)

// redactedArg replaces a secret wherever a command is recorded (SLOWLOG,
// MONITOR), as in Redis 7.0.
var redactedArg = []byte("(redacted)")

// recordedArgs returns args as the slow log and MONITOR may show them:
// the passwords (and user names that go with them) replaced by
// "(redacted)". args itself is never changed; a copy is made only for the
// few commands that carry secrets.
//
// The command is known by its spec, not by args[0], so a command renamed
// with rename-command is still recognised.
//
// Redis 7.0 redacts from within each command as it parses its arguments,
// so a command that fails before it reaches a password shows it (AUTH with
// three arguments, HELLO with a bad protocol version, an unknown CONFIG
// SET name before a sensitive one...). Here the positions depend on the
// arguments' shape only, so those failures are redacted too; Tandem also
// treats the TLS key passwords as sensitive, which Redis 7.0 does not.
func recordedArgs(spec *command.Spec, args [][]byte) [][]byte {
	var secret []int
	switch spec.Name {
	case "auth":
		secret = span(1, len(args))
	case "hello":
		// HELLO [protover [AUTH user pass] [SETNAME name]]: whatever
		// follows AUTH, up to two arguments (also when the version is
		// missing: HELLO AUTH user pass).
		for j := 1; j < len(args); j++ {
			switch {
			case eq(args[j], "auth"):
				secret = append(secret, span(j+1, min(j+3, len(args)))...)
				j += 2
			case eq(args[j], "setname"):
				j++
			}
		}
	case "migrate":
		// MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH pass |
		// AUTH2 user pass] [KEYS key...]
		for j := 6; j < len(args); j++ {
			switch {
			case eq(args[j], "auth"):
				secret = append(secret, span(j+1, min(j+2, len(args)))...)
				j++
			case eq(args[j], "auth2"):
				secret = append(secret, span(j+1, min(j+3, len(args)))...)
				j += 2
			case eq(args[j], "keys"):
				j = len(args)
			}
		}
	case "config":
		// CONFIG SET name value [name value ...]: the value of every
		// sensitive setting, even when the command fails.
		if len(args) > 1 && eq(args[1], "set") {
			for j := 2; j+1 < len(args); j += 2 {
				if config.Sensitive(string(args[j])) {
					secret = append(secret, j+1)
				}
			}
		}
	case "acl":
		// ACL SETUSER name rules...: a rule may be a password.
		if len(args) > 1 && eq(args[1], "setuser") {
			secret = span(2, len(args))
		}
	}
	if len(secret) == 0 {
		return args
	}
	out := make([][]byte, len(args))
	copy(out, args)
	for _, i := range secret {
		out[i] = redactedArg
	}
	return out
}

// span lists the positions from through to-1.
func span(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func eq(b []byte, s string) bool { return strings.EqualFold(string(b), s) }
