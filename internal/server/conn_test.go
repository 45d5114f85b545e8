package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sendRaw writes bytes as they are (malformed requests included).
func (c *wireConn) sendRaw(s string) {
	c.t.Helper()
	if _, err := c.c.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

// line reads one reply line (the first line of an aggregate).
func (c *wireConn) line() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return strings.TrimRight(l, "\r\n")
}

// id asks the server for the connection's client id.
func (c *wireConn) id() int64 {
	c.t.Helper()
	c.send("CLIENT", "ID")
	l := c.line()
	id, err := strconv.ParseInt(strings.TrimPrefix(l, ":"), 10, 64)
	if err != nil {
		c.t.Fatalf("CLIENT ID answered %q", l)
	}
	return id
}

// waitFor polls cond (run with srv.mu held) until it holds.
func waitLocked(t *testing.T, s *Server, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		ok := cond()
		s.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closedFor reports the reason client id closed for, closeNone while it
// has not (srv.mu held).
func closedFor(s *Server, id int64) CloseReason {
	_, recent := s.closeHistory()
	for _, r := range recent {
		if r.id == id {
			return r.reason
		}
	}
	return closeNone
}

// TestCloseReasons: each way a connection can end is recorded with its
// reason — on the event loop, on the goroutine path (a blocked client)
// and with a writer goroutine (a subscriber) — and the first cause wins
// over the failed read that follows a kill.
func TestCloseReasons(t *testing.T) {
	s := startServer(t, func(set *Settings) {
		set.ClientQueryBufferLimit = 256 << 10
		set.OutputLimits[ClassNormal] = OutputLimit{Hard: 64 << 10}
	})
	big := strings.Repeat("x", 100<<10)
	keep := dialServer(t, s) // sets the big value, kills the others
	keep.send("SET", "big", big)
	if l := keep.line(); l != "+OK" {
		t.Fatalf("SET: %q", l)
	}
	for _, tc := range []struct {
		name string
		// act ends the connection c (whose id is id); keep can help.
		act  func(c *wireConn, id int64)
		want CloseReason
	}{
		{"quit", func(c *wireConn, _ int64) { c.send("QUIT") }, CloseQuit},
		{"peer", func(c *wireConn, _ int64) { c.c.Close() }, ClosePeer},
		{"protocol", func(c *wireConn, _ int64) { c.sendRaw("*1\r\n$-5\r\n") }, CloseProtocolError},
		{"query-limit", func(c *wireConn, _ int64) { c.sendRaw("*2\r\n$3\r\nGET\r\n$400000\r\n" + big + big + big) }, CloseQueryBufferLimit},
		{"output-limit", func(c *wireConn, _ int64) { c.send("GET", "big") }, CloseOutputLimitNormal},
		{"kill", func(_ *wireConn, id int64) { keep.send("CLIENT", "KILL", "ID", fmt.Sprint(id)); keep.line() }, CloseKilled},
		{"kill-self", func(c *wireConn, id int64) { c.send("CLIENT", "KILL", "ID", fmt.Sprint(id), "SKIPME", "no") }, CloseKilled},
		{"blocked-peer", func(c *wireConn, _ int64) {
			c.send("BLPOP", "nolist", "0")
			waitLocked(t, s, "the client to block", func() bool { return s.eng.BlockedClients() > 0 })
			c.c.Close()
		}, ClosePeer},
		{"blocked-kill", func(c *wireConn, id int64) {
			c.send("BLPOP", "nolist", "0")
			waitLocked(t, s, "the client to block", func() bool { return s.eng.BlockedClients() > 0 })
			keep.send("CLIENT", "KILL", "ID", fmt.Sprint(id))
			keep.line()
		}, CloseKilled},
		{"subscriber-kill", func(c *wireConn, id int64) {
			c.send("SUBSCRIBE", "ch")
			c.line()
			keep.send("CLIENT", "KILL", "ID", fmt.Sprint(id))
			keep.line()
		}, CloseKilled},
		{"subscriber-quit", func(c *wireConn, _ int64) {
			c.send("SUBSCRIBE", "ch")
			c.line()
			c.send("QUIT")
		}, CloseQuit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialServer(t, s)
			id := c.id()
			tc.act(c, id)
			waitLocked(t, s, "the close", func() bool { return closedFor(s, id) != closeNone })
			s.mu.Lock()
			got := closedFor(s, id)
			s.mu.Unlock()
			if got != tc.want {
				t.Errorf("closed for %q, want %q", got, tc.want)
			}
		})
	}

	// Counters add up per reason.
	s.mu.Lock()
	counts, recent := s.closeHistory()
	s.mu.Unlock()
	if counts[CloseKilled] != 4 || counts[CloseQuit] != 2 || counts[ClosePeer] != 2 {
		t.Errorf("counts: killed %d, quit %d, peer %d", counts[CloseKilled], counts[CloseQuit], counts[ClosePeer])
	}
	if len(recent) == 0 || recent[0].reason == closeNone {
		t.Errorf("recent closes: %+v", recent)
	}
}

// TestCloseReasonIdle: `timeout` closes an idle client for it.
func TestCloseReasonIdle(t *testing.T) {
	s := startServer(t, func(set *Settings) { set.Timeout = 1 })
	c := dialServer(t, s)
	id := c.id()
	waitLocked(t, s, "the idle close", func() bool { return closedFor(s, id) != closeNone })
	s.mu.Lock()
	got := closedFor(s, id)
	s.mu.Unlock()
	if got != CloseIdleTimeout {
		t.Errorf("closed for %q, want %q", got, CloseIdleTimeout)
	}
}

// TestCloseReasonOnShutdown: clients still open when the server stops are
// closed for the shutdown.
func TestCloseReasonOnShutdown(t *testing.T) {
	s := startServer(t, nil)
	a, b := dialServer(t, s), dialServer(t, s)
	ida, idb := a.id(), b.id()
	b.send("SUBSCRIBE", "ch")
	b.line()
	s.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range []int64{ida, idb} {
		if got := closedFor(s, id); got != CloseShutdown {
			t.Errorf("client %d closed for %q, want %q", id, got, CloseShutdown)
		}
	}
}

// TestCloseHistoryKeepsTheLatest: the history keeps the last
// recentCloseLen closes, newest first, and counts them all.
func TestCloseHistoryKeepsTheLatest(t *testing.T) {
	s := New(Options{Settings: DefaultSettings()})
	for i := 1; i <= recentCloseLen+5; i++ {
		c := &client{srv: s, closeReason: CloseReason(1 + i%int(numCloseReasons-1))}
		c.sess.ID = int64(i)
		s.logClose(c)
	}
	counts, recent := s.closeHistory()
	total := int64(0)
	for _, n := range counts {
		total += n
	}
	if total != recentCloseLen+5 {
		t.Errorf("counted %d closes, want %d", total, recentCloseLen+5)
	}
	if len(recent) != recentCloseLen || recent[0].id != recentCloseLen+5 || recent[len(recent)-1].id != 6 {
		t.Errorf("recent: %d entries, newest %d, oldest %d", len(recent), recent[0].id, recent[len(recent)-1].id)
	}
}

// TestClientModeTransitions: a client starts on the event loop (where
// there is one) and stays there when it blocks and is served, and goes
// async when it subscribes; a client dropped is modeClosed.
func TestClientModeTransitions(t *testing.T) {
	s := startServer(t, nil)
	start := modeConn
	if s.loop != nil {
		start = modeLoop
	}
	modeOf := func(id int64) connMode {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c := s.clients[id]; c != nil {
			return c.mode
		}
		return modeClosed
	}
	plain, blocker, sub := dialServer(t, s), dialServer(t, s), dialServer(t, s)
	ip, ib, is := plain.id(), blocker.id(), sub.id()
	for _, id := range []int64{ip, ib, is} {
		if m := modeOf(id); m != start {
			t.Fatalf("client %d starts in mode %d, want %d", id, m, start)
		}
	}
	blocker.send("BLPOP", "l", "0")
	waitLocked(t, s, "the client to block", func() bool { return s.eng.BlockedClients() > 0 })
	if m := modeOf(ib); m != start {
		t.Errorf("blocked client: mode %d, want %d (it stays where it was)", m, start)
	}
	plain.send("RPUSH", "l", "x")
	plain.line()
	if l := blocker.line(); l != "*2" {
		t.Errorf("BLPOP answered %q", l)
	}
	if m := modeOf(ib); m != start {
		t.Errorf("served client: mode %d, want %d", m, start)
	}
	sub.send("SUBSCRIBE", "ch")
	sub.line()
	if m := modeOf(is); m != modeAsync {
		t.Errorf("subscriber: mode %d, want modeAsync", m)
	}
	if m := modeOf(ip); m != start {
		t.Errorf("plain client: mode %d, want %d", m, start)
	}
	s.mu.Lock()
	c := s.clients[ip]
	s.mu.Unlock()
	plain.send("QUIT")
	waitLocked(t, s, "the close", func() bool { return c.mode == modeClosed })
}
