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
