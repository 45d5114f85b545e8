package testutil

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

func dialProxy(t *testing.T, p *Proxy) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// roundTrip sends a line and reads it back within d; ok=false on timeout
// or a closed connection.
func roundTrip(c net.Conn, r *bufio.Reader, line string, d time.Duration) (string, bool) {
	c.SetDeadline(time.Now().Add(d))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", false
	}
	got, err := r.ReadString('\n')
	if err != nil {
		return got, false
	}
	return strings.TrimSuffix(got, "\n"), true
}

func TestProxyFaults(t *testing.T) {
	p := StartProxy(t, EchoServer(t))
	c, r := dialProxy(t, p)
	if got, ok := roundTrip(c, r, "hello", 5*time.Second); !ok || got != "hello" {
		t.Fatalf("forwarding: %q %v", got, ok)
	}

	// Pause holds bytes and delivers them on resume.
	p.Pause(true)
	if _, ok := roundTrip(c, r, "held", 200*time.Millisecond); ok {
		t.Fatal("bytes crossed a paused proxy")
	}
	p.Pause(false)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "held\n" {
		t.Fatalf("after resume: %q %v", got, err)
	}

	// Delay still delivers.
	p.SetDelay(20 * time.Millisecond)
	start := time.Now()
	if got, ok := roundTrip(c, r, "slow", 5*time.Second); !ok || got != "slow" || time.Since(start) < 20*time.Millisecond {
		t.Fatalf("delay: %q %v after %v", got, ok, time.Since(start))
	}
	p.SetDelay(0)

	// Blackhole drops, and ending it cuts the connection that lost bytes.
	p.Blackhole(true)
	if _, ok := roundTrip(c, r, "lost", 200*time.Millisecond); ok {
		t.Fatal("bytes crossed a blackhole")
	}
	p.Blackhole(false)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("connection that lost bytes to the blackhole was not cut")
	}

	// Cut closes; Down also refuses new connections until Up.
	c2, r2 := dialProxy(t, p)
	if _, ok := roundTrip(c2, r2, "x", 5*time.Second); !ok {
		t.Fatal("new connection after blackhole does not work")
	}
	p.Cut()
	if _, ok := roundTrip(c2, r2, "x", 5*time.Second); ok {
		t.Fatal("connection survived Cut")
	}
	p.Down()
	c3, r3 := dialProxy(t, p)
	if _, ok := roundTrip(c3, r3, "x", 5*time.Second); ok {
		t.Fatal("connection accepted while down")
	}
	p.Up()
	c4, r4 := dialProxy(t, p)
	if got, ok := roundTrip(c4, r4, "back", 5*time.Second); !ok || got != "back" {
		t.Fatalf("after Up: %q %v", got, ok)
	}
	if p.Conns() != 1 {
		t.Errorf("Conns = %d, want 1", p.Conns())
	}
}
