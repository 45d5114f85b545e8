package test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestConfigSetBindRebinds: CONFIG SET bind re-binds the listeners at run
// time as Redis 7.0 does: a new address takes over, one that cannot be
// bound is refused with Redis's error and leaves the old one listening,
// "" stops listening on TCP, and the connections already open stay.
func TestConfigSetBindRebinds(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	port := srv.Port
	ctl := dialRaw(t, srv.Addr())
	canDial := func(host string) bool {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, fmt.Sprint(port)), 2*time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("PING\r\n"))
		b := make([]byte, 7)
		n, _ := c.Read(b)
		return string(b[:n]) == "+PONG\r\n"
	}
	if got := ctl.do("CONFIG", "SET", "bind", "999.999.999.999"); !strings.Contains(got, "Failed to bind to specified addresses") {
		t.Fatalf("CONFIG SET bind 999.999.999.999 = %q", got)
	}
	if !canDial("127.0.0.1") {
		t.Fatalf("after a refused CONFIG SET bind the old address no longer answers")
	}
	if got := ctl.do("CONFIG", "SET", "bind", "127.0.0.2"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET bind 127.0.0.2 = %q", got)
	}
	if !canDial("127.0.0.2") || canDial("127.0.0.1") {
		t.Fatalf("after CONFIG SET bind 127.0.0.2: 127.0.0.2 answers %v, 127.0.0.1 answers %v (want true, false)",
			canDial("127.0.0.2"), canDial("127.0.0.1"))
	}
	if got := ctl.do("CONFIG", "GET", "bind"); got != "*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.2\r\n" {
		t.Fatalf("CONFIG GET bind = %q", got)
	}
	if got := ctl.do("CONFIG", "SET", "bind", ""); got != "+OK\r\n" {
		t.Fatalf(`CONFIG SET bind "" = %q`, got)
	}
	if canDial("127.0.0.2") || canDial("127.0.0.1") {
		t.Fatalf(`after CONFIG SET bind "" a new connection was accepted`)
	}
	// The connection that did it still works, and brings TCP back.
	if got := ctl.do("CONFIG", "SET", "bind", "127.0.0.1"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET bind 127.0.0.1 = %q", got)
	}
	if !canDial("127.0.0.1") {
		t.Fatalf("127.0.0.1 does not answer after CONFIG SET bind 127.0.0.1")
	}
}
