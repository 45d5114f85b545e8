package test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Client-side caching (CLIENT TRACKING): scripts over three connections run
// against Tandem and Redis 7.0, every reply and push compared byte for
// byte. Connection 0 is the tracking client, 1 a writer, 2 a RESP2
// subscriber used as a REDIRECT target; "$ID2" in a command stands for
// connection 2's client id on each server.

type trackStep struct {
	who  int
	args string
	n    int // replies and pushes to read after sending args
}

var trackingScript = []trackStep{
	{0, "CLIENT TRACKINGINFO", 1},
	{0, "CLIENT GETREDIR", 1},
	{0, "CLIENT TRACKING on", 1},
	{0, "CLIENT GETREDIR", 1},
	{0, "CLIENT TRACKINGINFO", 1},
	{0, "GET a", 1},
	{1, "SET a 1", 1},
	{0, "", 1},
	{1, "SET a 2", 1}, // not read since: no push
	{0, "PING", 1},
	{0, "MGET a b c", 1},
	{1, "MSET a 1 b 2", 1},
	{0, "", 2},
	{0, "GET x", 1},
	{0, "SET x 1", 2}, // its own change: the reply, then the push
	{0, "GET x", 1},
	{0, "MULTI", 1},
	{0, "INCR x", 1},
	{0, "GET x", 1},
	{0, "EXEC", 2},
	{0, "CLIENT TRACKING on NOLOOP", 1},
	{0, "GET y", 1},
	{0, "SET y 1", 1},
	{0, "PING", 1},
	{0, "CLIENT TRACKINGINFO", 1},
	{0, "GET f", 1},
	{1, "FLUSHALL", 1},
	{0, "", 1},
	{0, "GET f", 1},
	{0, "FLUSHDB", 2},
	{0, "CLIENT TRACKING off", 1},
	{0, "CLIENT TRACKINGINFO", 1},
	{0, "CLIENT GETREDIR", 1},

	// Errors and their order.
	{0, "CLIENT CACHING yes", 1},
	{0, "CLIENT TRACKING on PREFIX a", 1},
	{0, "CLIENT TRACKING on BCAST OPTIN", 1},
	{0, "CLIENT TRACKING on OPTIN OPTOUT", 1},
	{0, "CLIENT TRACKING on REDIRECT 999999", 1},
	{0, "CLIENT TRACKING on REDIRECT x", 1},
	{0, "CLIENT TRACKING on REDIRECT $ID2 REDIRECT $ID2", 1},
	{0, "CLIENT TRACKING maybe", 1},
	{0, "CLIENT TRACKING on FOO", 1},
	{0, "CLIENT TRACKING on PREFIX", 1},
	{0, "CLIENT TRACKING on BCAST PREFIX a PREFIX ab", 1},
	{0, "CLIENT TRACKING on BCAST PREFIX ab PREFIX a", 1},
	{0, "CLIENT TRACKING", 1},

	// OPTIN: only the command after CLIENT CACHING yes is tracked.
	{0, "CLIENT TRACKING on OPTIN", 1},
	{0, "GET o", 1},
	{1, "SET o 1", 1},
	{0, "PING", 1},
	{0, "CLIENT CACHING yes", 1},
	{0, "CLIENT TRACKINGINFO", 1},
	{0, "GET o", 1},
	{0, "CLIENT TRACKINGINFO", 1},
	{1, "SET o 2", 1},
	{0, "", 1},
	{0, "CLIENT CACHING no", 1},
	{0, "CLIENT CACHING maybe", 1},
	{0, "CLIENT TRACKING on OPTOUT", 1},
	{0, "CLIENT TRACKING on BCAST", 1},
	{0, "CLIENT TRACKING off", 1},

	// OPTOUT: every read but the one after CLIENT CACHING no.
	{0, "CLIENT TRACKING on OPTOUT", 1},
	{0, "CLIENT CACHING no", 1},
	{0, "GET n", 1},
	{1, "SET n 1", 1},
	{0, "PING", 1},
	{0, "GET n", 1},
	{1, "SET n 2", 1},
	{0, "", 1},
	{0, "CLIENT TRACKING off", 1},

	// BCAST with prefixes.
	{0, "CLIENT TRACKING on BCAST PREFIX p: PREFIX q:", 1},
	{0, "CLIENT TRACKINGINFO", 1},
	{1, "SET p:1 x", 1},
	{0, "", 1},
	{1, "MSET q:1 a p:2 b p:3 c", 1},
	{0, "", 2},
	{1, "SET other 1", 1},
	{0, "PING", 1},
	{0, "CLIENT TRACKING on BCAST PREFIX p", 1},
	{0, "CLIENT TRACKING on", 1},
	{0, "SET p:own 1", 2},
	{0, "CLIENT TRACKING on BCAST PREFIX r: NOLOOP", 1},
	{0, "SET r:own 1", 1},
	{0, "PING", 1},
	{0, "CLIENT TRACKING off", 1},
	{0, "CLIENT TRACKING on BCAST", 1},
	{1, "SET anything 1", 1},
	{0, "", 1},
	{0, "CLIENT TRACKING off", 1},

	// REDIRECT to a RESP2 subscriber of __redis__:invalidate.
	{2, "SUBSCRIBE __redis__:invalidate", 1},
	{0, "CLIENT TRACKING on REDIRECT $ID2", 1},
	{0, "CLIENT GETREDIR", 1},
	{0, "GET r", 1},
	{1, "SET r 1", 1},
	{2, "", 1},
	{0, "GET r", 1},
	{1, "FLUSHALL", 1},
	{2, "", 1},
	{0, "CLIENT TRACKING off", 1},
	{0, "CLIENT TRACKING on BCAST REDIRECT $ID2", 1},
	{1, "SET s 1", 1},
	{2, "", 1},
	{0, "CLIENT TRACKING off", 1},
	{0, "QUIT", 1},
}

func TestTrackingMatchesRedis(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{"2", "3"} {
		t.Run("tracking-client-resp"+proto, func(t *testing.T) {
			script := trackingScript
			if proto == "2" {
				// A RESP2 client hears of nothing without REDIRECT: the
				// same script minus the steps that read pushes on 0.
				script = nil
				for _, st := range trackingScript {
					if st.who == 0 && st.args == "" {
						continue
					}
					if st.who == 0 && st.n == 2 {
						st.n = 1 // the reply without the push
					}
					script = append(script, st)
				}
			}
			run := func(addr string) []string {
				conns := []*rawConn{dialRaw(t, addr), dialRaw(t, addr), dialRaw(t, addr)}
				if proto == "3" {
					conns[0].do("HELLO", "3")
				}
				id2 := strings.TrimSpace(strings.TrimPrefix(conns[2].do("CLIENT", "ID"), ":"))
				var out []string
				for _, st := range script {
					c := conns[st.who]
					if st.args != "" {
						c.send(encode(splitCmd(strings.ReplaceAll(st.args, "$ID2", id2))...))
					}
					for i := 0; i < st.n; i++ {
						r, err := c.tryRead(5 * time.Second)
						if err != nil {
							r += fmt.Sprintf(" (error: %v)", err)
						}
						// Client ids differ between the servers.
						if strings.Contains(st.args, "GETREDIR") || strings.Contains(st.args, "TRACKINGINFO") {
							if r == ":"+id2+"\r\n" {
								r = ":$ID2\r\n"
							}
							r = strings.ReplaceAll(r, "\r\n:"+id2+"\r\n", "\r\n:$ID2\r\n")
						}
						out = append(out, fmt.Sprintf("[%d] %s -> %q", st.who, st.args, r))
					}
				}
				return out
			}
			got, want := run(startTandem(t).Addr()), run(startRedis(t).Addr())
			for i := range want {
				if i >= len(got) {
					t.Fatalf("tandem stopped after %d replies", len(got))
				}
				if got[i] != want[i] {
					t.Errorf("tandem %s\n      redis  %s", got[i], want[i])
				}
			}
		})
	}
}

// TestTrackingExpiryAndInfo: the push for an expired key arrives without
// being asked for, INFO counts the table and CLIENT LIST shows the flag.
func TestTrackingExpiryAndInfo(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, time.Minute)
	addr := startTandem(t).Addr()
	w := newClient(t, addr, 2)
	rc := dialRaw(t, addr)
	rc.do("HELLO", "3")
	if got := rc.do("CLIENT", "TRACKING", "on"); got != "+OK\r\n" {
		t.Fatalf("CLIENT TRACKING on: %q", got)
	}
	w.Set(ctx, "e", "1", 300*time.Millisecond)
	rc.do("GET", "e")
	rc.do("MGET", "k1", "k2", "k3")
	info := infoFields(w.Info(ctx, "clients", "stats").Val())
	if info["tracking_clients"] != "1" || info["tracking_total_keys"] != "4" || info["tracking_total_items"] != "4" {
		t.Errorf("INFO: tracking_clients %s keys %s items %s", info["tracking_clients"], info["tracking_total_keys"], info["tracking_total_items"])
	}
	// Active expiry removes e: the tracking client is told by itself.
	got, err := rc.tryRead(5 * time.Second)
	if err != nil || got != ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ne\r\n" {
		t.Fatalf("after expiry: %q %v", got, err)
	}
	list := w.ClientList(ctx).Val()
	if !strings.Contains(list, "flags=t ") {
		t.Errorf("CLIENT LIST does not show the t flag:\n%s", list)
	}
}

// TestTrackingTableMaxKeys: past tracking-table-max-keys, keys are
// forgotten and their clients told, so that none caches a value the server
// no longer watches.
func TestTrackingTableMaxKeys(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, time.Minute)
	addr := startTandem(t, "--tracking-table-max-keys", "2").Addr()
	w := newClient(t, addr, 2)
	rc := dialRaw(t, addr)
	rc.do("HELLO", "3")
	rc.do("CLIENT", "TRACKING", "on")
	rc.do("MGET", "a", "b", "c", "d")
	for i := 0; i < 2; i++ {
		got, err := rc.tryRead(5 * time.Second)
		if err != nil || !strings.HasPrefix(got, ">2\r\n$10\r\ninvalidate\r\n*1\r\n") {
			t.Fatalf("eviction push %d: %q %v", i, got, err)
		}
	}
	if keys := infoFields(w.Info(ctx, "stats").Val())["tracking_total_keys"]; keys != "2" {
		t.Errorf("tracking_total_keys %s, want 2", keys)
	}
}

// TestTrackingTableLimitBeforeEachCommand: a lowered
// tracking-table-max-keys takes effect before the next command, with the
// cron paused too, and its invalidation comes before that command's reply,
// QUEUED included, as in Redis (its unit/tracking "#11715" case).
func TestTrackingTableLimitBeforeEachCommand(t *testing.T) {
	t.Parallel()
	run := func(addr string) []string {
		admin, rc := dialRaw(t, addr), dialRaw(t, addr)
		admin.do("CONFIG", "SET", "tracking-table-max-keys", "2")
		admin.do("DEBUG", "PAUSE-CRON", "1")
		defer admin.do("DEBUG", "PAUSE-CRON", "0")
		rc.do("HELLO", "3")
		rc.do("CLIENT", "TRACKING", "on")
		rc.do("MGET", "1{tag}", "2{tag}")
		rc.do("MULTI")
		admin.do("CONFIG", "SET", "tracking-table-max-keys", "1")
		rc.send(encode("PING"))
		rc.send(encode("EXEC"))
		var out []string
		for i := 0; i < 3; i++ {
			r, err := rc.tryRead(5 * time.Second)
			if err != nil {
				r += " (" + err.Error() + ")"
			}
			// Which of the two keys is dropped is the table's choice.
			r = strings.NewReplacer("1{tag}", "N{tag}", "2{tag}", "N{tag}").Replace(r)
			out = append(out, r)
		}
		return out
	}
	got, want := run(startTandem(t).Addr()), run(startRedis(t).Addr())
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("tandem %q\n      redis  %q", got, want)
	}
}

// TestClientReplyMatchesRedis: CLIENT REPLY OFF drops every reply (errors
// too) until ON; SKIP drops the next one's; neither answers itself.
func TestClientReplyMatchesRedis(t *testing.T) {
	t.Parallel()
	run := func(addr string) string {
		c := dialRaw(t, addr)
		for _, cmd := range [][]string{
			{"CLIENT", "REPLY", "OFF"}, {"SET", "a", "1"}, {"GET", "a"}, {"NOSUCH"}, {"CLIENT", "REPLY", "SKIP"},
			{"CLIENT", "REPLY", "ON"}, {"GET", "a"}, {"CLIENT", "REPLY", "SKIP"}, {"GET", "a"}, {"INCR", "a"},
			{"CLIENT", "REPLY", "FOO"}, {"CLIENT", "REPLY", "SKIP"}, {"NOSUCH"}, {"PING"},
			{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "ON"}, {"PING"},
		} {
			c.send(encode(cmd...))
		}
		var out []string
		for i := 0; i < 5; i++ {
			r, err := c.tryRead(2 * time.Second)
			if err != nil {
				break
			}
			out = append(out, r)
		}
		return strings.Join(out, "|")
	}
	got, want := run(startTandem(t).Addr()), run(startRedis(t).Addr())
	if got != want {
		t.Errorf("tandem %q\nredis  %q", got, want)
	}
}

// TestTrackingRedirectToPlainResp3Client: a REDIRECT target that neither
// subscribes nor tracks (a RESP3 client that only reads) gets the
// invalidations as pushes, between its own replies, as from Redis.
func TestTrackingRedirectToPlainResp3Client(t *testing.T) {
	t.Parallel()
	run := func(addr string) []string {
		target, tracker, writer := dialRaw(t, addr), dialRaw(t, addr), dialRaw(t, addr)
		target.do("HELLO", "3")
		id := strings.TrimSpace(strings.TrimPrefix(target.do("CLIENT", "ID"), ":"))
		out := []string{
			tracker.do("CLIENT", "TRACKING", "on", "REDIRECT", id),
			tracker.do("GET", "k"),
			writer.do("SET", "k", "1"),
		}
		r, err := target.tryRead(5 * time.Second)
		out = append(out, r, fmt.Sprint(err))
		target.send(encode("CLIENT", "REPLY", "OFF"))
		tracker.do("GET", "k")
		writer.do("SET", "k", "2")
		r, err = target.tryRead(5 * time.Second)
		out = append(out, r, fmt.Sprint(err), target.do("CLIENT", "REPLY", "ON"), target.do("PING"))
		return out
	}
	got, want := run(startTandem(t).Addr()), run(startRedis(t).Addr())
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("tandem %q\nredis  %q", got, want)
	}
}

// TestClientReplyOffKeepsPushes: with CLIENT REPLY OFF, (un)subscribe
// confirmations and messages still arrive (Redis sends them as pushes),
// in RESP2 and RESP3, for plain and shard channels.
func TestClientReplyOffKeepsPushes(t *testing.T) {
	t.Parallel()
	run := func(addr, proto string) string {
		c, pub := dialRaw(t, addr), dialRaw(t, addr)
		c.do("HELLO", proto)
		for _, cmd := range [][]string{{"CLIENT", "REPLY", "OFF"}, {"PING"}, {"SSUBSCRIBE", "ch"}, {"SUBSCRIBE", "a", "b"}} {
			c.send(encode(cmd...))
		}
		var out []string
		read := func(n int) {
			for i := 0; i < n; i++ {
				r, err := c.tryRead(2 * time.Second)
				if err != nil {
					out = append(out, "timeout")
					return
				}
				out = append(out, r)
			}
		}
		read(3)
		pub.do("SPUBLISH", "ch", "hi")
		pub.do("PUBLISH", "a", "yo")
		read(2)
		c.send(encode("SUNSUBSCRIBE"))
		c.send(encode("UNSUBSCRIBE", "a"))
		read(2)
		return strings.Join(out, "|")
	}
	tandem, ref := startTandem(t).Addr(), startRedis(t).Addr()
	for _, proto := range []string{"2", "3"} {
		if got, want := run(tandem, proto), run(ref, proto); got != want {
			t.Errorf("RESP%s:\ntandem %q\nredis  %q", proto, got, want)
		}
	}
}

// TestTrackingRedirBrokenKeepsClientServed: a RESP3 client whose REDIRECT
// client left gets the tracking-redir-broken push when a key it read
// changes, and then the reply of its next command and of every one after
// it (the push once stalled a client on the event loop for good: Redis
// 7.0's unit/tracking hung on it).
func TestTrackingRedirBrokenKeepsClientServed(t *testing.T) {
	t.Parallel()
	for _, srv := range []string{"tandem", "redis"} {
		var addr string
		if srv == "tandem" {
			addr = startTandem(t).Addr()
		} else {
			addr = startRedis(t).Addr()
		}
		r, writer, redir := dialRaw(t, addr), dialRaw(t, addr), dialRaw(t, addr)
		id := strings.TrimSpace(strings.TrimPrefix(redir.do("CLIENT", "ID"), ":"))
		r.do("HELLO", "3")
		if got := r.do("CLIENT", "TRACKING", "on", "REDIRECT", id); got != "+OK\r\n" {
			t.Fatalf("%s: CLIENT TRACKING on REDIRECT %s: %q", srv, id, got)
		}
		writer.do("SET", "key1", "1")
		r.do("GET", "key1")
		redir.do("QUIT")
		redir.expectClosed(5 * time.Second)
		writer.do("SET", "key1", "2")
		want := fmt.Sprintf(">2\r\n$21\r\ntracking-redir-broken\r\n:%s\r\n", id)
		if got := r.do("PING"); got != want {
			t.Fatalf("%s: after the redirect client left and key1 changed, PING got %q first, want the push %q", srv, got, want)
		}
		for i := 0; i < 3; i++ {
			if got := r.read(); got != "+PONG\r\n" {
				t.Fatalf("%s: reply %d after the push: %q, want +PONG", srv, i, got)
			}
			if i < 2 {
				r.send(encode("PING"))
			}
		}
	}
}
