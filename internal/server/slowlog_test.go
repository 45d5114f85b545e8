package server

import (
	"fmt"
	"strings"
	"testing"
)

// The slow log, with every command slower than 0 µs: entries newest
// first, in Redis 7.0.15's shape (id, unix time, µs, arguments, client
// address, client name), long arguments and argument lists cut as Redis
// cuts them, secrets redacted, EXEC left out but the commands it ran
// logged, the length bounded by slowlog-max-len.
func TestSlowlogRecordsLikeRedis(t *testing.T) {
	srv := startServer(t, func(s *Settings) { s.SlowlogSlowerThan = 0; s.SlowlogMaxLen = 5 })
	c := dialServer(t, srv)
	addr := c.c.LocalAddr().String()
	if got := c.do("SLOWLOG RESET"); got != "+OK" {
		t.Fatalf("SLOWLOG RESET: %s", got)
	}
	c.do("CLIENT SETNAME me")
	c.do("SET", strings.Repeat("k", 130), "v")
	long := []string{"RPUSH", "l"}
	for i := range 40 {
		long = append(long, fmt.Sprint(i))
	}
	c.do(long...)
	c.do("MULTI")
	c.do("INCR n")
	c.do("EXEC")
	if got := c.do("AUTH secret"); !strings.HasPrefix(got, "-ERR AUTH <password> called without any password configured") {
		t.Fatalf("AUTH: %s", got)
	}

	// The entries' arguments, newest first; ids count every entry logged
	// since the start (SLOWLOG RESET, then CLIENT SETNAME were 0 and 1;
	// EXEC has none).
	wantArgs := []string{
		`["AUTH" "(redacted)"]`,
		`["INCR" "n"]`,
		`["MULTI"]`,
		`["RPUSH" "l" "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "10" "11" "12" "13" "14" "15" "16" "17" "18" "19" "20" "21" "22" "23" "24" "25" "26" "27" "28" "... (11 more arguments)"]`,
		`["SET" "` + strings.Repeat("k", 128) + `... (2 more bytes)" "v"]`,
	}
	wantIDs := []int{6, 5, 4, 3, 2}
	c.send("SLOWLOG GET")
	reply := c.read()
	if got := c.do("SLOWLOG LEN"); got != ":5" {
		t.Errorf("SLOWLOG LEN = %s, want :5 (slowlog-max-len)", got)
	}
	if !strings.HasPrefix(reply, "[[") {
		t.Fatalf("SLOWLOG GET = %s", reply)
	}
	entries := splitEntries(reply)
	if len(entries) != len(wantArgs) {
		t.Fatalf("%d entries, want %d: %s", len(entries), len(wantArgs), reply)
	}
	for i, e := range entries {
		// [:id :time :micros [args] "addr" "name"]
		if !strings.HasPrefix(e, fmt.Sprintf("[:%d :", wantIDs[i])) {
			t.Errorf("entry %d: %s, want id %d", i, e, wantIDs[i])
		}
		if !strings.Contains(e, " "+wantArgs[i]+" ") {
			t.Errorf("entry %d: %s\nwant arguments %s", i, e, wantArgs[i])
		}
		if !strings.HasSuffix(e, fmt.Sprintf(` %q "me"]`, addr)) {
			t.Errorf("entry %d: %s, want address %s and name me", i, e, addr)
		}
	}
	for _, tc := range []struct{ cmd, want string }{
		{"SLOWLOG GET 0", "[]"},
		{"SLOWLOG GET -2", "-ERR count should be greater than or equal to -1"},
		{"SLOWLOG GET x", "-ERR count should be greater than or equal to -1"},
		{"SLOWLOG LEN x", "-ERR wrong number of arguments for 'slowlog|len' command"},
		{"SLOWLOG NOPE", "-ERR unknown subcommand 'NOPE'. Try SLOWLOG HELP."},
		{"SLOWLOG RESET", "+OK"},
		{"SLOWLOG LEN", ":1"}, // the RESET itself, logged once it ran
	} {
		if got := c.do(tc.cmd); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.cmd, got, tc.want)
		}
	}
	if got := c.do("SLOWLOG GET -1"); !strings.HasPrefix(got, `[[:`) || strings.Count(got, `["SLOWLOG"`) != 2 {
		t.Errorf("SLOWLOG GET -1 after a reset = %s, want the SLOWLOG LEN and RESET entries", got)
	}
}

// A slowlog-log-slower-than above what commands take, or a negative one,
// logs nothing.
func TestSlowlogThreshold(t *testing.T) {
	for _, th := range []int64{-1, 10_000_000} {
		srv := startServer(t, func(s *Settings) { s.SlowlogSlowerThan = th })
		c := dialServer(t, srv)
		c.do("SET a 1")
		c.do("GET a")
		if got := c.do("SLOWLOG LEN"); got != ":0" {
			t.Errorf("slowlog-log-slower-than %d: SLOWLOG LEN = %s", th, got)
		}
	}
}

// splitEntries splits a rendered array of arrays into its elements.
func splitEntries(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	var out []string
	depth, start, inStr := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case inStr && ch == '\\':
			i++
		case ch == '"':
			inStr = !inStr
		case inStr:
		case ch == '[':
			if depth == 0 {
				start = i
			}
			depth++
		case ch == ']':
			depth--
			if depth == 0 {
				out = append(out, s[start:i+1])
			}
		}
	}
	return out
}
