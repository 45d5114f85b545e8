package test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// CONFIG SET port re-binds the TCP listeners at run time, as Redis 7.0
// does: the new port listens before the old one closes, connections
// already open stay, a port that cannot be bound is refused with Redis's
// error and changes nothing, and 0 closes plain TCP (Redis's unit/tls
// "switch between tcp and tls ports" moves one port number between
// tls-port and port). In both connection modes, whose listeners differ.
func TestConfigSetPortRebinds(t *testing.T) {
	inEveryTLSConnMode(t, func(t *testing.T, p *testPKI, srv *testutil.Proc, tlsAddr string) {
		admin := dialRaw(t, srv.Addr())
		newPort := testutil.FreePort(t)
		if got := admin.do("CONFIG", "SET", "port", strconv.Itoa(newPort)); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET port = %q", got)
		}
		if got := dialRaw(t, fmt.Sprintf("127.0.0.1:%d", newPort)).do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING on the new port = %q", got)
		}
		if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
			c.Close()
			t.Fatalf("the old port %s still accepts connections", srv.Addr())
		}
		if got := admin.do("CONFIG", "GET", "port"); got != fmt.Sprintf("*2\r\n$4\r\nport\r\n%s", bulk(strconv.Itoa(newPort))) {
			t.Errorf("CONFIG GET port = %q", got)
		}
		if got := infoFields(admin.do("INFO", "server"))["tcp_port"]; got != strconv.Itoa(newPort) {
			t.Errorf("INFO tcp_port = %q, want %d", got, newPort)
		}

		// A port taken by someone else: refused, nothing changes.
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		busyPort := busy.Addr().(*net.TCPAddr).Port
		want := "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
		if got := admin.do("CONFIG", "SET", "port", strconv.Itoa(busyPort)); got != want {
			t.Errorf("CONFIG SET port <busy> = %q, want %q", got, want)
		}
		if got := dialRaw(t, fmt.Sprintf("127.0.0.1:%d", newPort)).do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING on the port kept = %q", got)
		}

		// One port number moves from TLS to plain TCP and back.
		tlsPort := strings.TrimPrefix(tlsAddr, "127.0.0.1:")
		tc := dialTLSRaw(t, p, tlsAddr)
		for _, cmd := range [][]string{{"tls-port", "0"}, {"port", tlsPort}} {
			if got := tc.do("CONFIG", "SET", cmd[0], cmd[1]); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET %s %s = %q", cmd[0], cmd[1], got)
			}
		}
		plain := dialRaw(t, tlsAddr)
		if got := plain.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("plain PING on %s = %q", tlsAddr, got)
		}
		for _, cmd := range [][]string{{"port", "0"}, {"tls-port", tlsPort}} {
			if got := plain.do("CONFIG", "SET", cmd[0], cmd[1]); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET %s %s = %q", cmd[0], cmd[1], got)
			}
		}
		if r, err := tlsPing(tlsAddr, p.clientConfig(&p.cliPair)); err != nil || r != "+PONG" {
			t.Fatalf("TLS PING on %s after the switch back: %q %v", tlsAddr, r, err)
		}
		if got := infoFields(plain.do("INFO", "server"))["tcp_port"]; got != tlsPort {
			t.Errorf("INFO tcp_port of a TLS-only server = %q, want the TLS port %s", got, tlsPort)
		}
	})
}
