package test

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Limits on what one client can make the server hold: the query buffer
// (client-query-buffer-limit), the reply buffer (client-output-buffer-limit
// normal) and huge replies built in slices. Each runs in both connection
// modes: the event loop and a goroutine per connection.

// connModes are the two ways the server serves a connection.
var connModes = []struct {
	name string
	env  []string
}{
	{"evloop", nil},
	{"goroutine", []string{"TANDEM_CONN_MODE=goroutine"}},
}

// streamUntilClosed writes chunks of data until the server closes the
// connection or total bytes were written; it reports whether it was closed.
func streamUntilClosed(c net.Conn, total int) bool {
	chunk := bytes.Repeat([]byte("x"), 64*1024)
	for sent := 0; sent < total; sent += len(chunk) {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(chunk); err != nil {
			return true
		}
	}
	return false
}

// TestQueryBufferLimitClosesEveryKindOfClient: a client that keeps sending
// while blocked in BLPOP, while queueing a MULTI, while subscribed, or just
// with one endless argument is closed once its unrun input passes
// client-query-buffer-limit, with Redis's log line; everyone else is served.
func TestQueryBufferLimitClosesEveryKindOfClient(t *testing.T) {
	t.Parallel()
	for _, mode := range connModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			srv := testutil.StartTandemEnv(t, mode.env)
			admin := dialRaw(t, srv.Addr())
			if got := admin.do("CONFIG", "SET", "client-query-buffer-limit", "1000"); !strings.HasPrefix(got, "-ERR") {
				t.Fatalf("CONFIG SET client-query-buffer-limit 1000 = %q, want Redis's 1mb lower bound error", got)
			}
			if got := admin.do("CONFIG", "SET", "client-query-buffer-limit", "1mb"); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET = %q", got)
			}
			cases := []struct {
				name  string
				setup func(rc *rawConn)
			}{
				{"blocked", func(rc *rawConn) {
					rc.send(encode("BLPOP", "nokey", "0"))
					testutil.Eventually(t, 5*time.Second, "client blocked", func() bool {
						return infoFields(admin.do("INFO", "clients"))["blocked_clients"] == "1"
					})
					// The bytes that follow announce one huge argument.
					rc.send([]byte("*2\r\n$3\r\nGET\r\n$5000000\r\n"))
				}},
				{"multi", func(rc *rawConn) {
					if got := rc.do("MULTI"); got != "+OK\r\n" {
						t.Fatalf("MULTI = %q", got)
					}
					big := strings.Repeat("v", 400*1024)
					for i := 0; i < 2; i++ {
						if got := rc.do("SET", "k", big); got != "+QUEUED\r\n" {
							t.Fatalf("SET = %q", got)
						}
					}
					// 800 KB queued: 300 KB more of a third is over 1 MB.
					rc.send([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$400000\r\n"))
				}},
				{"pubsub", func(rc *rawConn) {
					if got := rc.do("SUBSCRIBE", "ch"); !strings.Contains(got, "subscribe") {
						t.Fatalf("SUBSCRIBE = %q", got)
					}
					rc.send([]byte("*2\r\n$4\r\nPING\r\n$5000000\r\n"))
				}},
				{"plain", func(rc *rawConn) {
					rc.send([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000000\r\n"))
				}},
			}
			for _, tc := range cases {
				before := strings.Count(srv.LogText(), "Closing client that reached max query buffer length")
				rc := dialRaw(t, srv.Addr())
				tc.setup(rc)
				if !streamUntilClosed(rc.c, 4<<20) {
					rc.expectClosed(5 * time.Second)
				}
				testutil.Eventually(t, 5*time.Second, tc.name+": client closed and logged", func() bool {
					f := infoFields(admin.do("INFO", "clients"))
					return f["connected_clients"] == "1" && f["blocked_clients"] == "0" &&
						strings.Count(srv.LogText(), "Closing client that reached max query buffer length") == before+1
				})
				if got := admin.do("PING"); got != "+PONG\r\n" {
					t.Fatalf("%s: PING = %q", tc.name, got)
				}
			}
			if !strings.Contains(srv.LogText(), "(qbuf initial bytes: ") {
				t.Errorf("log line without the query's first bytes:\n%s", srv.LogText())
			}
			// Under the limit, nothing is cut: a 900 KB argument works.
			big := strings.Repeat("w", 900*1024)
			if got := admin.do("SET", "big", big); got != "+OK\r\n" {
				t.Fatalf("SET 900 KB = %q", got)
			}
		})
	}
}
