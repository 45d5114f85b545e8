package server

import (
	"strings"
	"testing"
)

// Pub/Sub bookkeeping through the commands: subscription counts in the
// replies, PUBSUB CHANNELS/NUMSUB/NUMPAT, delivery to channel and pattern
// subscribers, clean-up on UNSUBSCRIBE and on disconnect. Replies are
// redis-server 7.0.15's.
func TestPubSubBookkeeping(t *testing.T) {
	srv := startServer(t, nil)
	pub := dialServer(t, srv)
	a := dialServer(t, srv)
	b := dialServer(t, srv)

	steps := []struct {
		c          *wireConn
		cmd, want  string
		extraReads []string // replies that follow (one per channel)
	}{
		{a, "SUBSCRIBE news sport", `["subscribe" "news" :1]`, []string{`["subscribe" "sport" :2]`}},
		{a, "SUBSCRIBE news", `["subscribe" "news" :2]`, nil},
		{a, "PSUBSCRIBE n*", `["psubscribe" "n*" :3]`, nil},
		{a, "GET k", `-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`, nil},
		{a, "PING", `["pong" ""]`, nil},
		{b, "PSUBSCRIBE n* s*", `["psubscribe" "n*" :1]`, []string{`["psubscribe" "s*" :2]`}},
		{pub, "PUBSUB CHANNELS", `["news" "sport"]`, nil},
		{pub, "PUBSUB CHANNELS s*", `["sport"]`, nil},
		{pub, "PUBSUB NUMSUB news nope", `["news" :1 "nope" :0]`, nil},
		{pub, "PUBSUB NUMPAT", `:2`, nil},
		{pub, "PUBLISH news hello", `:3`, nil}, // a's channel and pattern, b's pattern
		{pub, "PUBLISH nope x", `:2`, nil},
		{pub, "PUBLISH other x", `:0`, nil},
		{a, "UNSUBSCRIBE sport nosuch", `["unsubscribe" "sport" :2]`, []string{`["unsubscribe" "nosuch" :2]`}},
		{a, "PUNSUBSCRIBE", `["punsubscribe" "n*" :1]`, nil},
		{a, "PUNSUBSCRIBE", `["punsubscribe" nil :1]`, nil},
		{pub, "PUBSUB CHANNELS", `["news"]`, nil},
		{pub, "PUBSUB NUMPAT", `:2`, nil},
		{a, "UNSUBSCRIBE", `["unsubscribe" "news" :0]`, nil},
		{a, "GET k", `nil`, nil},
		{pub, "PUBSUB CHANNELS", `[]`, nil},
		{pub, "PUBSUB NUMSUB", `[]`, nil},
		{pub, "PUBSUB SHARDNUMSUB x", `["x" :0]`, nil},
		{pub, "PUBSUB NOPE", `-ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.`, nil},
	}
	for i, st := range steps {
		got := st.c.do(st.cmd)
		// Messages published meanwhile come first on a subscriber.
		for strings.HasPrefix(got, `["message" `) || strings.HasPrefix(got, `["pmessage" `) {
			got = st.c.read()
		}
		if got != st.want {
			t.Fatalf("step %d, %s = %s, want %s", i, st.cmd, got, st.want)
		}
		for _, w := range st.extraReads {
			if got := st.c.read(); got != w {
				t.Fatalf("step %d, %s: then %s, want %s", i, st.cmd, got, w)
			}
		}
	}

	// What the subscribers received, in order.
	for _, tc := range []struct {
		c    *wireConn
		want []string
	}{
		{a, nil}, // a's messages were read above, between its replies
		{b, []string{`["pmessage" "n*" "news" "hello"]`, `["pmessage" "n*" "nope" "x"]`}},
	} {
		for _, w := range tc.want {
			if got := tc.c.read(); got != w {
				t.Errorf("received %s, want %s", got, w)
			}
		}
	}

	// A subscriber that goes away leaves no subscription behind.
	b.c.Close()
	waitFor(t, "b's patterns to go", func() bool { return pub.do("PUBSUB NUMPAT") == ":0" })
	if got := pub.do("PUBLISH news x"); got != ":0" {
		t.Errorf("PUBLISH after every subscriber left = %s", got)
	}
}

// A RESP3 subscriber gets pushes and may run any command.
func TestPubSubResp3(t *testing.T) {
	srv := startServer(t, nil)
	c := dialServer(t, srv)
	pub := dialServer(t, srv)
	if got := c.do("HELLO 3"); got[:2] != "%{" {
		t.Fatalf("HELLO 3: %s", got)
	}
	for _, st := range []struct{ cmd, want string }{
		{"SUBSCRIBE ch", `>["subscribe" "ch" :1]`},
		{"GET k", `_`},
		{"PING", `+PONG`},
	} {
		if got := c.do(st.cmd); got != st.want {
			t.Errorf("%s = %s, want %s", st.cmd, got, st.want)
		}
	}
	if got := pub.do("PUBLISH ch hi"); got != ":1" {
		t.Errorf("PUBLISH = %s", got)
	}
	if got := c.read(); got != `>["message" "ch" "hi"]` {
		t.Errorf("push %s", got)
	}
}
