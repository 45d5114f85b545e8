package test

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// psStep is one step of a Pub/Sub script: connection who sends args (if
// any) and then reads n replies.
type psStep struct {
	who  int
	args string
	n    int
	// anyOrder: the n replies may come in any order (unsubscribing from
	// everything walks a hash table in Redis); only their set and the
	// final count are compared. With n = 1, the one reply is an array
	// compared as a set.
	anyOrder bool
}

var pubsubScript = []psStep{
	{0, "SUBSCRIBE a b", 2, false},
	{0, "SUBSCRIBE a", 1, false},
	{1, "PUBLISH a hello", 1, false},
	{0, "", 1, false},
	{1, "PUBLISH nobody x", 1, false},
	{0, "PSUBSCRIBE h* a", 2, false},
	{1, "PUBLISH a both", 1, false},
	{0, "", 2, false},
	{1, "PUBLISH hat \"with space\"", 1, false},
	{0, "", 1, false},
	{0, "PING", 1, false},
	{0, "PING msg", 1, false},
	{0, "GET k", 1, false},
	{0, "SET k v", 1, false},
	{1, "PUBSUB CHANNELS", 1, false},
	{1, "PUBSUB CHANNELS a*", 1, false},
	{1, "PUBSUB NUMSUB a b c", 1, false},
	{1, "PUBSUB NUMSUB", 1, false},
	{1, "PUBSUB NUMPAT", 1, false},
	{1, "PUBSUB FOO", 1, false},
	{1, "PUBSUB SHARDCHANNELS", 1, false},
	{0, "UNSUBSCRIBE b", 1, false},
	{0, "PUNSUBSCRIBE nomatch", 1, false},
	{0, "UNSUBSCRIBE", 1, false},
	{0, "PUNSUBSCRIBE", 2, true},
	{0, "UNSUBSCRIBE", 1, false},
	{0, "PUNSUBSCRIBE", 1, false},
	{0, "PING", 1, false},
	{0, "GET k", 1, false},
	{1, "PUBLISH a gone", 1, false},
	{0, "SUBSCRIBE", 1, false},
	{0, "PSUBSCRIBE", 1, false},
	{1, "PUBLISH", 1, false},
	{0, "SUBSCRIBE x", 1, false},
	{0, "QUIT", 1, false},
}

// TestPubSubRepliesMatchRedis runs one subscriber and one publisher through
// the same script against both servers and compares every byte, in RESP2
// and RESP3.
func TestPubSubRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	comparePubSubScript(t, pubsubScript)
}

// shardScript: sharded Pub/Sub beside the plain kind. Shard channels are a
// namespace of their own: SPUBLISH reaches SSUBSCRIBE only (never a
// pattern), PUBLISH never reaches SSUBSCRIBE, and subscribe replies count
// shard channels apart from the rest.
var shardScript = []psStep{
	{0, "SSUBSCRIBE a b", 2, false},
	{0, "SSUBSCRIBE a", 1, false},
	{1, "SPUBLISH a hello", 1, false},
	{0, "", 1, false},
	{1, "PUBLISH a plain", 1, false},
	{0, "SUBSCRIBE a", 1, false},
	{0, "PSUBSCRIBE *", 1, false},
	{1, "SPUBLISH a s2", 1, false},
	{0, "", 1, false},
	{1, "PUBLISH b p2", 1, false},
	{0, "", 1, false},
	{1, "PUBSUB SHARDCHANNELS", 1, true},
	{1, "PUBSUB SHARDCHANNELS a*", 1, false},
	{1, "PUBSUB SHARDCHANNELS a b", 1, false},
	{1, "PUBSUB SHARDNUMSUB a b c", 1, false},
	{1, "PUBSUB SHARDNUMSUB", 1, false},
	{1, "PUBSUB CHANNELS", 1, false},
	{1, "PUBSUB NUMSUB a", 1, false},
	{0, "GET k", 1, false},
	{0, "PING", 1, false},
	{0, "SUNSUBSCRIBE b", 1, false},
	{0, "SUNSUBSCRIBE nosuch", 1, false},
	{0, "SUNSUBSCRIBE", 1, false},
	{0, "SUNSUBSCRIBE", 1, false},
	{0, "GET k", 1, false},
	{0, "UNSUBSCRIBE", 1, false},
	{0, "GET k", 1, false},
	{0, "PUNSUBSCRIBE", 1, false},
	{0, "GET k", 1, false},
	{0, "SSUBSCRIBE", 1, false},
	{1, "SPUBLISH", 1, false},
	{1, "SPUBLISH a", 1, false},
	{1, "SPUBLISH a b c", 1, false},
	{1, "MULTI", 1, false},
	{1, "SSUBSCRIBE x", 1, false},
	{1, "SPUBLISH x y", 1, false},
	{1, "EXEC", 1, false},
	{0, "SSUBSCRIBE c", 1, false},
	{0, "RESET", 1, false},
	{1, "PUBSUB SHARDNUMSUB c", 1, false},
	{1, "COMMAND GETKEYS SPUBLISH ch msg", 1, false},
	{1, "COMMAND GETKEYS SSUBSCRIBE a b", 1, false},
	{0, "SSUBSCRIBE x", 1, false},
	{0, "QUIT", 1, false},
}

func TestShardedPubSubRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	comparePubSubScript(t, shardScript)
}

// comparePubSubScript runs a script on two connections to each server and
// compares every reply, in RESP2 and RESP3.
func comparePubSubScript(t *testing.T, script []psStep) {
	tandem := startTandem(t)
	ref := startRedis(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			run := func(addr string) []string {
				conns := []*rawConn{dialRaw(t, addr), dialRaw(t, addr)}
				if proto == 3 {
					conns[0].do("HELLO", "3")
					conns[1].do("HELLO", "3")
				}
				var out []string
				for _, st := range script {
					c := conns[st.who]
					if st.args != "" {
						c.send(encode(splitCmd(st.args)...))
					}
					var replies []string
					for i := 0; i < st.n; i++ {
						r, err := c.tryRead(5 * time.Second)
						if err != nil {
							r += fmt.Sprintf(" (error: %v)", err)
						}
						replies = append(replies, r)
					}
					if st.anyOrder && st.n > 1 {
						last := replies[len(replies)-1]
						last = last[strings.LastIndex(last, ":"):]
						for i, r := range replies {
							replies[i] = r[:strings.LastIndex(r, ":")]
						}
						sort.Strings(replies)
						replies = append(replies, "final count "+last)
					}
					if st.anyOrder && st.n == 1 {
						replies[0] = unordered(replies[0])
					}
					for _, r := range replies {
						out = append(out, fmt.Sprintf("[%d] %s -> %q", st.who, st.args, r))
					}
				}
				return out
			}
			got, want := run(tandem.Addr()), run(ref.Addr())
			for i := range want {
				if i >= len(got) {
					t.Fatalf("tandem stopped after %d replies", len(got))
				}
				if got[i] != want[i] && !unorderedStep(got[i], want[i]) {
					t.Errorf("tandem %s\n      redis  %s", got[i], want[i])
				}
			}
		})
	}
}

// TestGoRedisPubSub: go-redis subscriptions (channel and pattern) receive
// every message in order, in both protocols.
func TestGoRedisPubSub(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ctx := ctxFor(t, 20*time.Second)
			c := newClient(t, srv.Addr(), proto)
			ps := c.Subscribe(ctx, fmt.Sprintf("news%d", proto))
			defer ps.Close()
			if _, err := ps.Receive(ctx); err != nil { // the subscribe confirmation
				t.Fatal(err)
			}
			if err := ps.PSubscribe(ctx, fmt.Sprintf("sport%d.*", proto)); err != nil {
				t.Fatal(err)
			}
			if err := ps.Ping(ctx, "hi"); err != nil {
				t.Fatal(err)
			}
			pub := newClient(t, srv.Addr(), proto)
			testutil.Eventually(t, 5*time.Second, "pattern subscription", func() bool {
				n, _ := pub.PubSubNumPat(ctx).Result()
				return n >= 1
			})
			ch := ps.Channel()
			for i := 0; i < 50; i++ {
				if n, err := pub.Publish(ctx, fmt.Sprintf("news%d", proto), fmt.Sprint(i)).Result(); err != nil || n != 1 {
					t.Fatalf("PUBLISH = %d, %v", n, err)
				}
				pub.Publish(ctx, fmt.Sprintf("sport%d.tennis", proto), fmt.Sprint(i))
			}
			for i := 0; i < 100; i++ {
				select {
				case m := <-ch:
					want := fmt.Sprint(i / 2)
					if m.Payload != want {
						t.Fatalf("message %d: %+v", i, m)
					}
					if i%2 == 1 && m.Pattern != fmt.Sprintf("sport%d.*", proto) {
						t.Fatalf("pattern message %d: %+v", i, m)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("message %d not received", i)
				}
			}
			subs, err := pub.PubSubNumSub(ctx, fmt.Sprintf("news%d", proto)).Result()
			if err != nil || subs[fmt.Sprintf("news%d", proto)] != 1 {
				t.Fatalf("NUMSUB = %v, %v", subs, err)
			}
		})
	}
}

// TestPublishFanOut: many subscribers each get every message, in order,
// while they subscribe and unsubscribe concurrently.
func TestPublishFanOut(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	const subs, msgs = 20, 200
	var ready, done sync.WaitGroup
	errs := make(chan error, subs)
	for i := 0; i < subs; i++ {
		ready.Add(1)
		done.Add(1)
		go func(i int) {
			defer done.Done()
			c := dialRaw(t, srv.Addr())
			c.do("SUBSCRIBE", "fan")
			ready.Done()
			for j := 0; j < msgs; j++ {
				s, err := c.tryRead(10 * time.Second)
				want := fmt.Sprintf("*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$%d\r\n%d\r\n", len(fmt.Sprint(j)), j)
				if err != nil || s != want {
					errs <- fmt.Errorf("subscriber %d message %d: %q %v", i, j, s, err)
					return
				}
			}
		}(i)
	}
	ready.Wait()
	pub := dialRaw(t, srv.Addr())
	churn := dialRaw(t, srv.Addr())
	for j := 0; j < msgs; j++ {
		if got := pub.do("PUBLISH", "fan", fmt.Sprint(j)); got != fmt.Sprintf(":%d\r\n", subs) {
			t.Fatalf("PUBLISH %d: %q", j, got)
		}
		if j%20 == 0 { // an unrelated subscriber coming and going
			churn.do("SUBSCRIBE", "other")
			churn.do("UNSUBSCRIBE", "other")
		}
	}
	done.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSlowSubscriberIsDisconnected: a subscriber that stops reading hits
// the pubsub output buffer limit and is closed; publishers and the server
// carry on.
func TestSlowSubscriberIsDisconnected(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--client-output-buffer-limit", "pubsub", "256kb", "0", "0")
	slow := dialRaw(t, srv.Addr())
	slow.do("SUBSCRIBE", "firehose")
	ctx := ctxFor(t, 30*time.Second)
	pub := newClient(t, srv.Addr(), 2)
	payload := strings.Repeat("x", 64*1024)
	gone := false
	for i := 0; i < 2000 && !gone; i++ {
		if err := pub.Publish(ctx, "firehose", payload).Err(); err != nil {
			t.Fatal(err)
		}
		if i%20 == 19 {
			n, _ := pub.PubSubNumSub(ctx, "firehose").Result()
			gone = n["firehose"] == 0
		}
	}
	if !gone {
		t.Fatal("the subscriber that does not read was never disconnected (128 MB published)")
	}
	if err := pub.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "the output-limit log line", func() bool {
		return strings.Contains(srv.LogText(), "overcoming of output buffer limits")
	})
}

// TestOmemShowsPendingOutputUntilTheLimit: CLIENT LIST's omem is the
// output a client has not taken — what client-output-buffer-limit
// measures — so a subscriber that stops reading is seen to approach the
// limit before it is closed (Redis's unit/obuf-limits checks the same).
func TestOmemShowsPendingOutputUntilTheLimit(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--client-output-buffer-limit", "pubsub", "100000", "0", "0")
	slow := dialRaw(t, srv.Addr())
	slow.do("CLIENT", "SETNAME", "slow")
	slow.do("SUBSCRIBE", "foo")
	admin := dialRaw(t, srv.Addr())
	re := regexp.MustCompile(`name=slow .* omem=(\d+)`)
	last, peak := int64(0), int64(0)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the subscriber was not closed in 60 s (last omem %d)", last)
		}
		admin.do("PUBLISH", "foo", strings.Repeat("x", 100))
		m := re.FindStringSubmatch(admin.do("CLIENT", "LIST"))
		if m == nil {
			break // closed
		}
		last, _ = strconv.ParseInt(m[1], 10, 64)
		peak = max(peak, last)
	}
	if peak < 70000 || peak >= 100000 {
		t.Fatalf("omem peaked at %d before the close; want 70000 <= omem < 100000 (the limit)", peak)
	}
}

// TestGoRedisPubSubReconnectsAfterKill: CLIENT KILL TYPE pubsub drops the
// subscriber; go-redis resubscribes and messages flow again.
func TestGoRedisPubSubReconnectsAfterKill(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 30*time.Second)
	c := newClient(t, srv.Addr(), 3)
	ps := c.Subscribe(ctx, "ch")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	admin := newClient(t, srv.Addr(), 2)
	if n, err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub = %d, %v", n, err)
	}
	ch := ps.Channel()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		admin.Publish(ctx, "ch", "again")
		select {
		case m := <-ch:
			if m.Payload == "again" {
				return
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatal("no message after the subscriber reconnected")
}

// unorderedStep accepts PUBSUB CHANNELS replies whose element order
// differs (Redis iterates a hash table there).
func unorderedStep(got, want string) bool {
	if !strings.Contains(want, "PUBSUB CHANNELS") {
		return false
	}
	a, b := strings.Split(got, `\r\n`), strings.Split(want, `\r\n`)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, "|") == strings.Join(b, "|")
}

// TestPublishReachesReplicaSubscribers: PUBLISH and SPUBLISH on a master
// reach the subscribers of its replicas (both are propagated to replicas,
// never to the AOF), between Tandem and Redis 7.0 in both roles.
func TestPublishReachesReplicaSubscribers(t *testing.T) {
	for _, masterIsTandem := range []bool{true, false} {
		name := "redis-master-tandem-replica"
		if masterIsTandem {
			name = "tandem-master-redis-replica"
		}
		t.Run(name, func(t *testing.T) {
			ctx := ctxFor(t, time.Minute)
			var m, r *replNode
			if masterIsTandem {
				m = startReplTandem(t, "master")
				r = startReplRedis(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
			} else {
				m = startReplRedis(t, "master")
				r = startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
			}
			waitLinkUp(t, ctx, r)
			sub := dialRaw(t, r.proc.Addr())
			if got := sub.do("SUBSCRIBE", "plain"); !strings.Contains(got, "subscribe") {
				t.Fatalf("SUBSCRIBE: %q", got)
			}
			if got := sub.do("SSUBSCRIBE", "shard"); !strings.Contains(got, "ssubscribe") {
				t.Fatalf("SSUBSCRIBE: %q", got)
			}
			m.c.Do(ctx, "PUBLISH", "plain", "one")
			m.c.Do(ctx, "SPUBLISH", "shard", "two")
			for _, want := range []string{
				"*3\r\n$7\r\nmessage\r\n$5\r\nplain\r\n$3\r\none\r\n",
				"*3\r\n$8\r\nsmessage\r\n$5\r\nshard\r\n$3\r\ntwo\r\n",
			} {
				got, err := sub.tryRead(10 * time.Second)
				if err != nil || got != want {
					t.Errorf("replica subscriber got %q (%v), want %q", got, err, want)
				}
			}
		})
	}
}
