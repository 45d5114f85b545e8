package server

import (
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
)

// A part's write hold (HoldWrites) holds writes, not reads, until that
// part releases it: CLIENT UNPAUSE does not, nor does another part's
// release; while any holds, expired keys stay in place.
func TestWriteHoldsLastUntilTheirOwnRelease(t *testing.T) {
	srv := startServer(t, nil)
	c := dialServer(t, srv)
	if got := c.do("SET k v"); got != "+OK" {
		t.Fatalf("SET: %s", got)
	}
	srv.Lock()
	srv.HoldWrites(shutdownHold)
	srv.HoldWrites("failover")
	paused, mode := srv.WritesPaused(), srv.Keyspace().ExpireMode()
	srv.Unlock()
	if !paused || mode != keyspace.ExpireReplica {
		t.Fatalf("paused %v, expire mode %v: want paused, expiry left to the end of the pause", paused, mode)
	}

	w := dialServer(t, srv)
	w.send("SET", "k", "w")
	if got := c.do("GET k"); got != `"v"` {
		t.Fatalf("GET during the pause: %s", got)
	}
	held := func(what string) {
		t.Helper()
		w.c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if b, err := w.r.Peek(1); err == nil {
			t.Fatalf("%s: the held SET answered (%q)", what, b)
		}
	}
	held("paused")
	if got := c.do("CLIENT UNPAUSE"); got != "+OK" {
		t.Fatal(got)
	}
	held("after CLIENT UNPAUSE")
	srv.Lock()
	srv.ReleaseWrites(shutdownHold)
	srv.Unlock()
	held("after the shutdown's release, with the failover's hold on")
	srv.Lock()
	srv.ReleaseWrites("failover")
	paused, mode = srv.WritesPaused(), srv.Keyspace().ExpireMode()
	srv.Unlock()
	if paused || mode != keyspace.ExpireMaster {
		t.Fatalf("after both releases: paused %v, expire mode %v", paused, mode)
	}
	if got := w.read(); got != "+OK" {
		t.Fatalf("held SET: %s", got)
	}
	if got := c.do("GET k"); got != `"w"` {
		t.Fatalf("GET after the pause: %s", got)
	}
}

// shutdown-timeout takes any int: a huge one waits a century, never a
// deadline in the past (an overflow would end the wait at once).
func TestShutdownWaitNeverOverflows(t *testing.T) {
	for _, tc := range []struct {
		secs int
		want time.Duration
	}{
		{0, 0}, {10, 10 * time.Second}, {1 << 31, (1 << 31) * time.Second}, {1 << 40, 100 * 365 * 24 * time.Hour}, {int(^uint(0) >> 1), 100 * 365 * 24 * time.Hour},
	} {
		if got := shutdownWait(tc.secs); got != tc.want {
			t.Errorf("shutdownWait(%d) = %v, want %v", tc.secs, got, tc.want)
		}
	}
}
