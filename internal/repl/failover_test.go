package repl

import (
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/resp"
)

// TestParseFailoverArgs: FAILOVER's grammar and its errors, in Redis's
// order (the first bad argument answers).
func TestParseFailoverArgs(t *testing.T) {
	cases := []struct {
		line string
		want failoverArgs
		err  string
	}{
		{"failover", failoverArgs{}, ""},
		{"failover abort", failoverArgs{abort: true}, ""},
		{"FAILOVER ABORT", failoverArgs{abort: true}, ""},
		{"failover abort timeout 10", failoverArgs{}, "ERR syntax error"},
		{"failover timeout 10 abort", failoverArgs{timeout: 10}, "ERR syntax error"},
		{"failover to h 7000", failoverArgs{host: "h", port: 7000}, ""},
		{"failover TO h 7000 FORCE TIMEOUT 5", failoverArgs{host: "h", port: 7000, force: true, timeout: 5}, ""},
		{"failover force timeout 5 to h 1", failoverArgs{host: "h", port: 1, force: true, timeout: 5}, ""},
		{"failover to h", failoverArgs{}, "ERR syntax error"},
		{"failover to h x", failoverArgs{}, "ERR value is not an integer or out of range"},
		{"failover to h 99999", failoverArgs{host: "h", port: 99999}, ""}, // no range check: it is no replica's port
		{"failover to h 1 to h 2", failoverArgs{host: "h", port: 1}, "ERR syntax error"},
		{"failover timeout", failoverArgs{}, "ERR syntax error"},
		{"failover timeout 0", failoverArgs{}, "ERR FAILOVER timeout must be greater than 0"},
		{"failover timeout -5", failoverArgs{}, "ERR FAILOVER timeout must be greater than 0"},
		{"failover timeout x", failoverArgs{}, "ERR value is not an integer or out of range"},
		{"failover timeout 1.5", failoverArgs{}, "ERR value is not an integer or out of range"},
		{"failover timeout 5 timeout 6", failoverArgs{timeout: 5}, "ERR syntax error"},
		{"failover force force", failoverArgs{force: true}, "ERR syntax error"},
		{"failover bogus", failoverArgs{}, "ERR syntax error"},
		{"failover force", failoverArgs{force: true}, ""}, // refused later: it needs TO and TIMEOUT
	}
	for _, c := range cases {
		var args [][]byte
		for _, w := range strings.Fields(c.line) {
			args = append(args, []byte(w))
		}
		got, err := parseFailoverArgs(args)
		if err != c.err || (err == "" && got != c.want) {
			t.Errorf("%q: got %+v %q, want %+v %q", c.line, got, err, c.want, c.err)
		}
	}
}

// TestOnlyKeepalives: the stream tail a caught-up replica may lack holds
// PINGs, GETACKs and SELECTs, nothing that changes data, and whole
// commands only.
func TestOnlyKeepalives(t *testing.T) {
	cmd := func(args ...string) []byte {
		var a [][]byte
		for _, s := range args {
			a = append(a, []byte(s))
		}
		return resp.AppendCommand(nil, a...)
	}
	join := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	getack := cmd("REPLCONF", "GETACK", "*")
	cases := []struct {
		name string
		tail []byte
		want bool
	}{
		{"getack", getack, true},
		{"ping getack", join(cmd("PING"), getack), true},
		{"select ping", join(cmd("SELECT", "3"), cmd("ping")), true},
		{"a write", join(getack, cmd("SET", "k", "v")), false},
		{"replconf ack", cmd("REPLCONF", "ACK", "5"), false},
		{"half a getack", getack[:len(getack)-3], false},
		{"inline", []byte("PING\r\n"), false},
		{"garbage", []byte("*x\r\n"), false},
		{"empty", nil, true},
	}
	for _, c := range cases {
		if got := onlyKeepalives(c.tail); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
