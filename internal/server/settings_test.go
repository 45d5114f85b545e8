package server

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ApplySettings (what CONFIG SET leads to) takes effect at once for what
// Redis changes at run time, and leaves alone what only a restart changes
// (port, bind, databases).
func TestApplySettingsTakesEffect(t *testing.T) {
	srv := startServer(t, nil)
	c := dialServer(t, srv)
	port := strconv.Itoa(srv.Addr().(*net.TCPAddr).Port)
	if got := c.do("SETRANGE k 100 x"); got != ":101" {
		t.Fatalf("SETRANGE before: %s", got)
	}

	srv.Lock()
	set := srv.set
	set.Port, set.Bind, set.Databases = 1, []string{"10.0.0.1"}, 2
	set.Hz = 42
	set.MaxClients = 2
	set.ProtoMaxBulkLen = 50
	set.RequirePass = "pw"
	set.SlowlogSlowerThan = 0
	set.SlowlogMaxLen = 1
	set.EnableDebug = "yes"
	srv.ApplySettings(set)
	srv.Unlock()

	in := parseInfo(t, c.bulk("INFO server clients"))
	for k, want := range map[string]string{"hz": "42", "configured_hz": "42", "maxclients": "2", "tcp_port": port} {
		if got := in.values[k]; got != want {
			t.Errorf("INFO %s:%s, want %s", k, got, want)
		}
	}
	for _, tc := range []struct{ cmd, want string }{
		{"SETRANGE k 100 x", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{"SETRANGE k 40 x", ":101"},
		{"APPEND s " + strings.Repeat("x", 30), ":30"},
		{"APPEND s " + strings.Repeat("x", 30), "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
		{"GET k", `"` + strings.Repeat(`\x00`, 40) + "x" + strings.Repeat(`\x00`, 59) + `x"`},
		{"SELECT 15", "+OK"}, // databases is fixed at start
		{"DEBUG SLEEP 0", "+OK"},
	} {
		if got := c.do(tc.cmd); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.cmd, got, tc.want)
		}
	}
	// proto-max-bulk-len bounds requests too: a longer argument is a
	// protocol error that closes the connection, as in Redis.
	big := dialServer(t, srv)
	big.do("AUTH pw")
	if got := big.do("ECHO " + strings.Repeat("x", 51)); got != "-ERR Protocol error: invalid bulk length" {
		t.Errorf("a 51-byte argument: %s", got)
	}
	big.c.Close()
	// slowlog-max-len 1, every command logged: only the last one is kept.
	if got := c.do("SLOWLOG LEN"); got != ":1" {
		t.Errorf("SLOWLOG LEN = %s, want :1", got)
	}
	// requirepass: a new client must authenticate; the one already
	// connected stays authenticated, as in Redis.
	n := dialServer(t, srv)
	for _, tc := range []struct{ cmd, want string }{
		{"GET k", "-NOAUTH Authentication required."},
		{"AUTH nope", "-WRONGPASS invalid username-password pair or user is disabled."},
		{"AUTH pw", "+OK"},
		{"EXISTS k", ":1"}, // in db 0: SELECT 15 was the other client's
	} {
		if got := n.do(tc.cmd); got != tc.want {
			t.Errorf("new client: %s = %s, want %s", tc.cmd, got, tc.want)
		}
	}
	// maxclients 2: a third connection is refused with Redis's error.
	third := dialServer(t, srv)
	if got := third.read(); got != "-ERR max number of clients reached" {
		t.Errorf("third client got %s", got)
	}
}

// TestHzChangesTheTickAtRunTime: CONFIG SET hz (ApplySettings) changes how
// often the periodic cycle runs from its next tick on, as in Redis; the
// cycle does not keep the rate it started with.
func TestHzChangesTheTickAtRunTime(t *testing.T) {
	s := startServer(t, func(set *Settings) { set.Hz = 1 })
	ticksIn := func(d time.Duration) uint64 {
		s.Lock()
		before := s.ks.Ticks
		s.Unlock()
		time.Sleep(d)
		s.Lock()
		defer s.Unlock()
		return s.ks.Ticks - before
	}
	if n := ticksIn(1500 * time.Millisecond); n > 3 {
		t.Fatalf("hz 1: %d ticks in 1.5 s", n)
	}
	s.Lock()
	set := s.set
	set.Hz = 100
	s.ApplySettings(set)
	s.Unlock()
	time.Sleep(1100 * time.Millisecond) // the 1 Hz tick that picks it up
	if n := ticksIn(time.Second); n < 40 {
		t.Fatalf("hz 100: %d ticks in 1 s, want about 100", n)
	}
}
