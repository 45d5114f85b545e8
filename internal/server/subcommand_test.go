package server

import (
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/command"
)

// Replies of redis-server 7.0.15 to container calls its handlers refuse.
func TestSubcommandErrorMatchesRedis(t *testing.T) {
	client := &command.Spec{Name: "client", Subcommands: []string{"getname", "pause", "setinfo", "unblock"}}
	slowlog := &command.Spec{Name: "slowlog", Subcommands: []string{"get", "len"}}
	for _, tc := range []struct {
		spec *command.Spec
		args string
		want string
	}{
		// Variable arity, enough arguments: the handler's message.
		{slowlog, "SLOWLOG GET 1 l", "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP."},
		{client, "client Pause 1 write x", "ERR unknown subcommand or wrong number of arguments for 'Pause'. Try CLIENT HELP."},
		{client, "abc123 unblock 1 2 3", "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try ABC123 HELP."},
		// Too few for a variable arity, or a fixed one: the arity error.
		{client, "CLIENT PAUSE", "ERR wrong number of arguments for 'client|pause' command"},
		{client, "CLIENT GETNAME x", "ERR wrong number of arguments for 'client|getname' command"},
		{slowlog, "SLOWLOG LEN x", "ERR wrong number of arguments for 'slowlog|len' command"},
		// A subcommand of Tandem's own (Redis 7.2's SETINFO): its arity.
		{client, "CLIENT SETINFO a", "ERR wrong number of arguments for 'client|setinfo' command"},
		// Unknown: named as typed, the container as typed, upper-cased.
		{slowlog, "slowlog nope", "ERR unknown subcommand 'nope'. Try SLOWLOG HELP."},
		{client, "abc123 nope", "ERR unknown subcommand 'nope'. Try ABC123 HELP."},
		{slowlog, "SLOWLOG GET\x00x 1 2", "ERR unknown subcommand 'GET'. Try SLOWLOG HELP."},
		{slowlog, "SLOWLOG " + strings.Repeat("x", 200), "ERR unknown subcommand '" + strings.Repeat("x", 128) + "'. Try SLOWLOG HELP."},
	} {
		var args [][]byte
		for _, a := range strings.Fields(tc.args) {
			args = append(args, []byte(a))
		}
		c := &command.Ctx{Spec: tc.spec, Args: args}
		if got := subcommandError(c); got != tc.want {
			t.Errorf("%q: %q\nwant %q", tc.args, got, tc.want)
		}
	}
}

func TestCArgStopsAtNulAndLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", -1, "abc"}, {"a\x00b", -1, "a"}, {"\x00", -1, ""}, {"abcdef", 3, "abc"}, {"ab\x00cdef", 3, "ab"},
	} {
		if got := cArg([]byte(tc.in), tc.max); got != tc.want {
			t.Errorf("cArg(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
