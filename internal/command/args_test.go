package command

import (
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// Argument parsers that mirror Redis's C parsing (strtoul, C int ranges,
// NUL-terminated %s), with the replies Redis 7.0.15 gives.
func TestArgumentParsersMatchRedis(t *testing.T) {
	e := NewEngine(keyspace.New(16))
	ctx := func() *Ctx {
		return &Ctx{E: e, W: &resp.Writer{Proto: 2}, Spec: &Spec{Name: "test"}}
	}
	cursors := []struct {
		arg  string
		want uint64
		err  bool
	}{
		{"", 0, false}, {"\x00", 0, false}, {"7\x00junk", 7, false}, {"+5", 5, false},
		{"-1", 1<<64 - 1, false}, {"18446744073709551615", 1<<64 - 1, false},
		{"18446744073709551616", 0, true}, {" 1", 0, true}, {"-", 0, true}, {"-\x00", 0, true}, {"0x10", 0, true},
	}
	for _, tc := range cursors {
		c := ctx()
		got, ok := ParseCursor(c, []byte(tc.arg))
		if ok == tc.err || (ok && got != tc.want) {
			t.Errorf("ParseCursor(%q) = %d, %v (reply %q)", tc.arg, got, ok, c.W.Buf)
		}
	}
	const notInt = "-ERR value is not an integer or out of range\r\n"
	const rangeErr = "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
	const dbRange = "-ERR DB index is out of range\r\n"
	dbs := []struct{ arg, reply string }{
		{"0", ""}, {"15", ""}, {"16", dbRange}, {"-1", dbRange}, {"2147483647", dbRange}, {"-2147483648", dbRange},
		{"2147483648", rangeErr}, {"-2147483649", rangeErr}, {"9223372036854775807", rangeErr},
		{"9223372036854775808", notInt}, {"x", notInt}, {"", notInt},
	}
	for _, tc := range dbs {
		c := ctx()
		if _, ok := parseDBIndex(c, []byte(tc.arg)); ok != (tc.reply == "") || string(c.W.Buf) != tc.reply {
			t.Errorf("parseDBIndex(%q): ok %v reply %q, want %q", tc.arg, ok, c.W.Buf, tc.reply)
		}
	}
	unknown := []struct {
		args []string
		want string
	}{
		{[]string{"nosuch", "a\x00b", "c"}, "ERR unknown command 'nosuch', with args beginning with: 'a' 'c' "},
		{[]string{"no\x00such"}, "ERR unknown command 'no', with args beginning with: "},
		{[]string{"x", strings.Repeat("a", 100), strings.Repeat("b", 100), "c"},
			"ERR unknown command 'x', with args beginning with: '" + strings.Repeat("a", 100) + "' '" + strings.Repeat("b", 25) + "' "},
		{[]string{"x", strings.Repeat("a", 200), "b"}, "ERR unknown command 'x', with args beginning with: '" + strings.Repeat("a", 128) + "' "},
	}
	for _, tc := range unknown {
		args := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			args[i] = []byte(a)
		}
		if got := ErrUnknown(args); got != tc.want {
			t.Errorf("ErrUnknown(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
