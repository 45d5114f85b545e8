package test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Multi-client scenarios for blocking commands and WATCH, run against
// Tandem and Redis 7.0 with the transcripts compared: which waiting client
// is served in which order, timeouts, wake-ups by MULTI/EXEC, BLMOVE chains,
// transactions that fail because another client touched a watched key, and
// what is propagated to replicas.

// A mstep is one action of a multi-client scenario.
type mstep struct {
	c   int    // connection index
	cmd string // command line in splitCmd syntax; "" reads c's pending reply
	// bg sends cmd without reading the reply (it blocks); the step then
	// waits until the server counts `blocked` blocked clients.
	bg      bool
	blocked int
}

// waitFor is a step that only waits until blocked clients are counted.
func waitFor(n int) mstep { return mstep{c: -1, blocked: n} }

// call is a step that sends a command and reads its reply.
func call(c int, cmd string) mstep { return mstep{c: c, cmd: cmd} }

// block is a step that sends a command that blocks; n is the number of
// blocked clients afterwards.
func block(c int, cmd string, n int) mstep { return mstep{c: c, cmd: cmd, bg: true, blocked: n} }

// reply is a step that reads the reply a blocked client was given.
func reply(c int) mstep { return mstep{c: c} }

// runScenario plays steps on fresh connections to addr (after FLUSHALL)
// and returns the transcript of replies.
func runScenario(t *testing.T, addr string, nconn int, steps []mstep) []string {
	t.Helper()
	ctl := dialRaw(t, addr)
	ctl.do("FLUSHALL")
	conns := make([]*rawConn, nconn)
	for i := range conns {
		conns[i] = dialRaw(t, addr)
	}
	var out []string
	for _, st := range steps {
		switch {
		case st.c < 0:
			waitBlocked(t, ctl, st.blocked)
		case st.cmd == "":
			out = append(out, fmt.Sprintf("c%d <- %q", st.c, conns[st.c].read()))
		case st.bg:
			conns[st.c].send(encode(splitCmd(st.cmd)...))
			waitBlocked(t, ctl, st.blocked)
		case strings.HasPrefix(st.cmd, "HELLO"):
			conns[st.c].do(splitCmd(st.cmd)...) // its reply holds the client id
			out = append(out, fmt.Sprintf("c%d %s", st.c, st.cmd))
		default:
			out = append(out, fmt.Sprintf("c%d %s -> %q", st.c, st.cmd, conns[st.c].do(splitCmd(st.cmd)...)))
		}
	}
	return out
}

var blockedRe = regexp.MustCompile(`blocked_clients:(\d+)`)

// waitBlocked polls INFO clients until blocked_clients is n.
func waitBlocked(t *testing.T, ctl *rawConn, n int) {
	t.Helper()
	last := -1
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := blockedRe.FindStringSubmatch(ctl.do("INFO", "clients")); m != nil {
			last, _ = strconv.Atoi(m[1])
			if last == n {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: blocked_clients stayed %d, want %d", ctl.addr, last, n)
}

type scenario struct {
	name  string
	conns int
	steps []mstep
	// want lists substrings the Tandem transcript must contain, in order,
	// so a scenario still checks something when redis-server is missing.
	want []string
}

// runScenarios plays each scenario on Tandem, checks its expectations, and
// compares the transcript with Redis's when redis-server is installed.
func runScenarios(t *testing.T, scenarios []scenario) {
	tandem := startTandem(t)
	var refAddr string
	if _, err := lookPathRedis(); err == nil {
		refAddr = startRedis(t).Addr()
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := runScenario(t, tandem.Addr(), sc.conns, sc.steps)
			text := strings.Join(got, "\n")
			pos := 0
			for _, w := range sc.want {
				i := strings.Index(text[pos:], w)
				if i < 0 {
					t.Errorf("transcript lacks %q (in order):\n%s", w, text)
					break
				}
				pos += i + len(w)
			}
			if refAddr == "" {
				return
			}
			want := runScenario(t, refAddr, sc.conns, sc.steps)
			if g, w := text, strings.Join(want, "\n"); g != w {
				t.Errorf("transcript differs from Redis 7.0:\ntandem:\n%s\nredis:\n%s", g, w)
			}
		})
	}
}

// TestBlockingListsServeWaitersLikeRedis covers BLPOP, BRPOP, BLMOVE,
// BRPOPLPUSH and BLMPOP with several waiting clients.
func TestBlockingListsServeWaitersLikeRedis(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "arrival-order", conns: 4, steps: []mstep{
			block(0, "BLPOP l 0", 1), block(1, "BLPOP l 0", 2), block(2, "BRPOP l 0", 3),
			call(3, "RPUSH l a b"), reply(0), reply(1), waitFor(1), call(3, "RPUSH l c d"), reply(2), call(3, "LRANGE l 0 -1"),
		}, want: []string{`c0 <- "*2\r\n$1\r\nl\r\n$1\r\na\r\n"`, `c1 <- "*2\r\n$1\r\nl\r\n$1\r\nb\r\n"`, `c2 <- "*2\r\n$1\r\nl\r\n$1\r\nd\r\n"`}},
		{name: "several-keys", conns: 3, steps: []mstep{
			block(0, "BLPOP a b c 0", 1), block(1, "BRPOP c b 0", 2),
			call(2, "RPUSH b x y"), reply(0), reply(1), call(2, "EXISTS b"),
		}, want: []string{`c0 <- "*2\r\n$1\r\nb\r\n$1\r\nx\r\n"`, `c1 <- "*2\r\n$1\r\nb\r\n$1\r\ny\r\n"`}},
		{name: "multi-exec-wakes-in-ready-order", conns: 2, steps: []mstep{
			block(0, "BLPOP l1 l2 0", 1),
			call(1, "MULTI"), call(1, "RPUSH l2 x"), call(1, "RPUSH l1 y"), call(1, "EXEC"), reply(0),
			call(1, "LRANGE l1 0 -1"), call(1, "EXISTS l2"),
		}, want: []string{`c0 <- "*2\r\n$2\r\nl2\r\n$1\r\nx\r\n"`}},
		{name: "multi-exec-push-then-pop", conns: 2, steps: []mstep{
			block(0, "BLPOP l 0", 1),
			call(1, "MULTI"), call(1, "RPUSH l x"), call(1, "LPOP l"), call(1, "EXEC"), waitFor(1),
			call(1, "MULTI"), call(1, "RPUSH l a"), call(1, "RPUSH l b"), call(1, "EXEC"), reply(0), call(1, "LRANGE l 0 -1"),
		}, want: []string{`c0 <- "*2\r\n$1\r\nl\r\n$1\r\na\r\n"`}},
		{name: "blmove-chain", conns: 4, steps: []mstep{
			block(0, "BLMOVE a b LEFT LEFT 0", 1), block(1, "BRPOPLPUSH b c 0", 2), block(2, "BLPOP c 0", 3),
			call(3, "RPUSH a v"), reply(0), reply(1), reply(2), call(3, "DBSIZE"),
		}, want: []string{`c0 <- "$1\r\nv\r\n"`, `c1 <- "$1\r\nv\r\n"`, `c2 <- "*2\r\n$1\r\nc\r\n$1\r\nv\r\n"`}},
		{name: "blmove-to-itself", conns: 2, steps: []mstep{
			block(0, "BLMOVE a a RIGHT LEFT 0", 1), call(1, "RPUSH a x y"), reply(0), call(1, "LRANGE a 0 -1"),
		}},
		{name: "blmove-wrong-destination", conns: 2, steps: []mstep{
			block(0, "BLMOVE src dst LEFT RIGHT 0", 1), call(1, "SET dst x"), call(1, "RPUSH src v"), reply(0),
			call(1, "LRANGE src 0 -1"), call(1, "GET dst"),
		}, want: []string{`c0 <- "-WRONGTYPE`}},
		{name: "key-of-other-type-keeps-waiting", conns: 2, steps: []mstep{
			block(0, "BLPOP k 0", 1), call(1, "SET k x"), waitFor(1), call(1, "DEL k"), call(1, "ZADD k 1 a"), waitFor(1),
			call(1, "DEL k"), call(1, "LPUSH k v"), reply(0),
		}, want: []string{`c0 <- "*2\r\n$1\r\nk\r\n$1\r\nv\r\n"`}},
		{name: "blmpop-counts", conns: 3, steps: []mstep{
			block(0, "BLMPOP 0 2 a b LEFT COUNT 2", 1), block(1, "BLMPOP 0 1 b RIGHT COUNT 5", 2),
			call(2, "RPUSH b 1 2 3 4 5"), reply(0), reply(1), call(2, "EXISTS b"),
		}, want: []string{`c0 <- "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"`}},
		{name: "timeouts", conns: 3, steps: []mstep{
			block(0, "BLPOP l 0.2", 1), block(1, "BLMOVE l d LEFT LEFT 0.3", 2), block(2, "BLMPOP 0.25 1 l RIGHT", 3),
			reply(0), reply(2), reply(1), waitFor(0), call(0, "RPUSH l x"), call(0, "LLEN l"),
		}, want: []string{`c0 <- "*-1\r\n"`, `c2 <- "*-1\r\n"`, `c1 <- "*-1\r\n"`}},
		{name: "timeout-then-served-others", conns: 3, steps: []mstep{
			block(0, "BLPOP l 0.1", 1), block(1, "BLPOP l 0", 2), reply(0), waitFor(1),
			call(2, "RPUSH l x"), reply(1),
		}},
		{name: "other-database", conns: 2, steps: []mstep{
			call(0, "SELECT 3"), block(0, "BLPOP l 0", 1), call(1, "RPUSH l db0"), waitFor(1), call(1, "SELECT 3"),
			call(1, "RPUSH l db3"), reply(0), call(1, "SELECT 0"), call(1, "LRANGE l 0 -1"),
		}, want: []string{`c0 <- "*2\r\n$1\r\nl\r\n$3\r\ndb3\r\n"`}},
		{name: "resp3-reply", conns: 2, steps: []mstep{
			call(0, "HELLO 3"), block(0, "BLPOP l 0.1", 1), reply(0), block(0, "BLMPOP 0 1 l LEFT", 1),
			call(1, "RPUSH l a"), reply(0),
		}, want: []string{`c0 <- "_\r\n"`}},
	})
}

// TestBlockingZSetsServeWaitersLikeRedis covers BZPOPMIN, BZPOPMAX and
// BZMPOP.
func TestBlockingZSetsServeWaitersLikeRedis(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "arrival-order", conns: 4, steps: []mstep{
			block(0, "BZPOPMIN z 0", 1), block(1, "BZPOPMAX z 0", 2), block(2, "BZMPOP 0 1 z MIN COUNT 2", 3),
			call(3, "ZADD z 1 a 2 b 3 c 4 d 5 e"), reply(0), reply(1), reply(2), call(3, "ZRANGE z 0 -1 WITHSCORES"),
		}, want: []string{`c0 <- "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"`, `c1 <- "*3\r\n$1\r\nz\r\n$1\r\ne\r\n$1\r\n5\r\n"`}},
		{name: "multi-exec", conns: 2, steps: []mstep{
			block(0, "BZPOPMAX z1 z2 0", 1), call(1, "MULTI"), call(1, "ZADD z2 1 x"), call(1, "ZADD z1 2 y"),
			call(1, "EXEC"), reply(0), call(1, "ZCARD z1"),
		}},
		{name: "list-push-does-not-wake-zset-waiter", conns: 2, steps: []mstep{
			block(0, "BZPOPMIN k 0", 1), call(1, "RPUSH k x"), waitFor(1), call(1, "DEL k"), call(1, "ZADD k 7 m"), reply(0),
		}},
		{name: "timeouts-resp3", conns: 2, steps: []mstep{
			call(0, "HELLO 3"), block(0, "BZPOPMIN z 0.1", 1), reply(0), block(0, "BZMPOP 0.1 1 z MAX", 1), reply(0),
			block(0, "BZPOPMAX z 0", 1), call(1, "ZADD z 1.5 m"), reply(0),
		}},
	})
}

// TestBlockingTimeoutIsHonoured checks a timed-out BLPOP waits about as long
// as asked (neither early nor much later).
func TestBlockingTimeoutIsHonoured(t *testing.T) {
	t.Parallel()
	p := startTandem(t)
	c := dialRaw(t, p.Addr())
	start := time.Now()
	if got := c.do("BLPOP", "nol", "0.3"); got != "*-1\r\n" {
		t.Fatalf("BLPOP timeout reply %q", got)
	}
	if d := time.Since(start); d < 280*time.Millisecond || d > 3*time.Second {
		t.Fatalf("BLPOP 0.3 returned after %v", d)
	}
}

// TestWatchRacesMatchRedis runs WATCH/MULTI/EXEC on one client while
// another changes (or only seems to change) the watched collection.
func TestWatchRacesMatchRedis(t *testing.T) {
	t.Parallel()
	watch := func(setup, other string) []mstep {
		steps := []mstep{}
		for _, s := range strings.Split(setup, ";") {
			if s = strings.TrimSpace(s); s != "" {
				steps = append(steps, call(1, s))
			}
		}
		steps = append(steps, call(0, "WATCH k"), call(1, other), call(0, "MULTI"), call(0, "SET done 1"), call(0, "EXEC"))
		return steps
	}
	var scs []scenario
	races := []struct{ name, setup, other, want string }{
		{"lpush", "", "LPUSH k a", "*-1"},
		{"ltrim-noop-still-touches", "RPUSH k a b", "LTRIM k 0 -1", "*-1"},
		{"lrem-nothing", "RPUSH k a", "LREM k 0 z", "*1"},
		{"linsert-missing-pivot", "RPUSH k a", "LINSERT k BEFORE z x", "*1"},
		{"last-pop-deletes", "RPUSH k a", "LPOP k", "*-1"},
		{"hset-same-value", "HSET k f v", "HSET k f v", "*-1"},
		{"hdel-missing", "HSET k f v", "HDEL k nope", "*1"},
		{"hincrbyfloat", "", "HINCRBYFLOAT k f 1.5", "*-1"},
		{"sadd-existing", "SADD k a", "SADD k a", "*1"},
		{"srem", "SADD k a b", "SREM k a", "*-1"},
		{"spop", "SADD k a", "SPOP k", "*-1"},
		{"smove-into", "SADD src x", "SMOVE src k x", "*-1"},
		{"smove-already-there", "SADD src x; SADD k x", "SMOVE src k x", "*1"},
		{"sinterstore-over", "SADD a 1; SADD b 1", "SINTERSTORE k a b", "*-1"},
		{"sinterstore-empty-on-missing", "", "SINTERSTORE k a b", "*1"},
		{"zadd-same-score", "ZADD k 1 a", "ZADD k 1 a", "*1"},
		{"zadd-new-score", "ZADD k 1 a", "ZADD k 2 a", "*-1"},
		{"zadd-xx-missing", "", "ZADD k XX 1 a", "*1"},
		{"zincrby", "", "ZINCRBY k 1 a", "*-1"},
		{"zpopmin", "ZADD k 1 a 2 b", "ZPOPMIN k", "*-1"},
		{"zremrangebyscore-nothing", "ZADD k 1 a", "ZREMRANGEBYSCORE k 5 6", "*1"},
		{"zunionstore", "ZADD a 1 x", "ZUNIONSTORE k 1 a", "*-1"},
		{"zrangestore-empty", "ZADD k 1 a", "ZRANGESTORE k nol 0 -1", "*-1"},
		{"lmove-source", "RPUSH k a", "LMOVE k d LEFT LEFT", "*-1"},
		{"lmove-destination", "RPUSH s a", "LMOVE s k LEFT LEFT", "*-1"},
	}
	for _, r := range races {
		// EXEC answers a null array when aborted, else the one reply.
		exec := `c0 EXEC -> "*-1\r\n"`
		if r.want == "*1" {
			exec = `c0 EXEC -> "*1\r\n+OK\r\n"`
		}
		scs = append(scs, scenario{name: r.name, conns: 2, steps: watch(r.setup, r.other), want: []string{exec}})
	}
	scs = append(scs, scenario{name: "served-blocked-pop-touches", conns: 3, steps: []mstep{
		call(0, "WATCH k"), block(2, "BLPOP k 0", 1), call(1, "RPUSH k x"), reply(2), call(0, "MULTI"),
		call(0, "SET done 1"), call(0, "EXEC"),
	}, want: []string{`c0 EXEC -> "*-1\r\n"`}})
	scs = append(scs, scenario{name: "watch-two-keys-exec-inside", conns: 2, steps: []mstep{
		call(1, "RPUSH k a"), call(0, "WATCH k h"), call(0, "MULTI"), call(0, "LPOP k"), call(0, "HSET h f v"),
		call(0, "EXEC"), call(0, "WATCH h"), call(1, "HGET h f"), call(0, "MULTI"), call(0, "HDEL h f"), call(0, "EXEC"),
	}})
	runScenarios(t, scs)
}

// TestBlockingPopsPropagateAsPops reads the replication stream of Tandem
// and of Redis 7.0 (connecting as a replica with PSYNC) while blocking and
// non-deterministic commands run, and compares what is propagated: BLPOP
// as LPOP, BLMOVE as LMOVE, BZMPOP as ZPOPMIN key n, SPOP as SREM/DEL,
// HINCRBYFLOAT as HSET, no-ops not at all.
func TestBlockingPopsPropagateAsPops(t *testing.T) {
	t.Parallel()
	steps := []mstep{
		call(0, "RPUSH l a b c d e f"), call(0, "BLPOP l 0"), call(0, "BRPOP nol l 0"), call(0, "LMPOP 1 l LEFT COUNT 2"),
		call(0, "BLMPOP 0 1 l RIGHT COUNT 10"), call(0, "LTRIM nol 0 1"), call(0, "RPUSH l x"), call(0, "LTRIM l 0 -1"),
		call(0, "BRPOPLPUSH l l2 0"), call(0, "BLMOVE l2 l3 LEFT RIGHT 0"),
		block(1, "BLPOP q 0", 1), call(0, "RPUSH q v1 v2"), reply(1),
		block(1, "BLMOVE src dst RIGHT LEFT 0", 1), call(0, "RPUSH src s1"), reply(1),
		block(1, "BLMPOP 0 2 m1 m2 LEFT COUNT 3", 1), call(0, "MULTI"), call(0, "RPUSH m2 1 2"), call(0, "RPUSH m1 3"),
		call(0, "EXEC"), reply(1),
		call(0, "SADD s 1"), call(0, "SADD s 1"), call(0, "SPOP s"), call(0, "SADD s 1 2 3"), call(0, "SPOP s 5"),
		call(0, "SADD s 1 2 3"), call(0, "SPOP s 2"), call(0, "SREM s nope"),
		call(0, "HINCRBYFLOAT h f 10.5"), call(0, "HINCRBYFLOAT h f 0.1"), call(0, "HSET h f 1 g 2"), call(0, "HDEL h nope"),
		call(0, "ZADD z 1 a 2 b 3 c 4 d"), call(0, "ZADD z 1 a"), call(0, "ZADD z XX 1 nope"), call(0, "BZPOPMIN z 0"),
		call(0, "BZPOPMAX z 0"), call(0, "ZMPOP 1 z MIN COUNT 10"), call(0, "ZINCRBY z 2.5 n"),
		block(1, "BZMPOP 0 1 z2 MAX COUNT 2", 1), call(0, "ZADD z2 1 x 2 y 3 w"), reply(1),
		block(1, "BZPOPMIN z3 0", 1), call(0, "ZADD z3 5 five"), reply(1),
		call(0, "SET end 1"),
	}
	norm := func(ops []string) []string {
		// SPOP with a count pops random members: keep the shape only.
		re := regexp.MustCompile(`^SREM s \S+$`)
		for i, op := range ops {
			if re.MatchString(op) {
				ops[i] = "SREM s ?"
			}
		}
		return ops
	}
	tandem := startTandem(t, "--repl-diskless-sync", "no")
	got := norm(propagated(t, tandem.Addr(), steps))
	for _, w := range []string{"LPOP l", "RPOP l", "LPOP l 2", "RPOP l 2", "RPOPLPUSH l l2", "LMOVE l2 l3 LEFT RIGHT",
		"LPOP q", "LMOVE src dst right left", "LPOP m2 2", "SREM s ?", "DEL s", "HSET h f 10.5", "HSET h f 10.6",
		"ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 2", "ZPOPMAX z2 2", "ZPOPMIN z3"} {
		found := false
		for _, op := range got {
			if op == w {
				found = true
			}
		}
		if !found {
			t.Errorf("%q not propagated; stream:\n%s", w, strings.Join(got, "\n"))
		}
	}
	if _, err := lookPathRedis(); err != nil {
		return
	}
	ref := startRedis(t, "--repl-diskless-sync", "no")
	want := norm(propagated(t, ref.Addr(), steps))
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("replication stream differs from Redis 7.0:\ntandem:\n%s\nredis:\n%s", g, w)
	}
}

// propagated attaches a fake replica to addr, plays steps, and returns the
// commands streamed to the replica up to SET end 1 (PINGs dropped), each
// as its arguments joined by spaces.
func propagated(t *testing.T, addr string, steps []mstep) []string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "REPLCONF listening-port 1\r\n")
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
		t.Fatalf("REPLCONF: %q %v", line, err)
	}
	fmt.Fprintf(conn, "PSYNC ? -1\r\n")
	var line string
	for {
		if line, err = r.ReadString('\n'); err != nil {
			t.Fatalf("PSYNC: %v", err)
		}
		if line != "\n" {
			break
		}
	}
	if !strings.HasPrefix(line, "+FULLRESYNC") {
		t.Fatalf("PSYNC reply %q", line)
	}
	for {
		if line, err = r.ReadString('\n'); err != nil {
			t.Fatalf("RDB header: %v", err)
		}
		if line != "\n" {
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
	if err != nil {
		t.Fatalf("RDB header %q", line)
	}
	if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
		t.Fatalf("RDB payload: %v", err)
	}
	runScenarioNoFlush(t, addr, 2, steps)
	var ops []string
	for {
		var b bytes.Buffer
		if err := readReply(r, &b); err != nil {
			t.Fatalf("replication stream: %v (so far %q)", err, ops)
		}
		args := parseArray(b.String())
		op := strings.Join(args, " ")
		if strings.EqualFold(op, "PING") {
			continue
		}
		ops = append(ops, op)
		if op == "SET end 1" {
			return ops
		}
	}
}

// runScenarioNoFlush is runScenario without the leading FLUSHALL (which
// would be propagated too).
func runScenarioNoFlush(t *testing.T, addr string, nconn int, steps []mstep) {
	t.Helper()
	ctl := dialRaw(t, addr)
	conns := make([]*rawConn, nconn)
	for i := range conns {
		conns[i] = dialRaw(t, addr)
	}
	for _, st := range steps {
		switch {
		case st.c < 0:
			waitBlocked(t, ctl, st.blocked)
		case st.cmd == "":
			conns[st.c].read()
		case st.bg:
			conns[st.c].send(encode(splitCmd(st.cmd)...))
			waitBlocked(t, ctl, st.blocked)
		default:
			conns[st.c].do(splitCmd(st.cmd)...)
		}
	}
}

// parseArray splits a raw RESP array of bulk strings into its elements.
func parseArray(raw string) []string {
	var out []string
	r := bufio.NewReader(strings.NewReader(raw))
	head, _ := r.ReadString('\n')
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	for i := 0; i < n; i++ {
		l, _ := r.ReadString('\n')
		size, _ := strconv.Atoi(strings.TrimSpace(l[1:]))
		buf := make([]byte, size+2)
		io.ReadFull(r, buf)
		out = append(out, string(buf[:size]))
	}
	return out
}

// lookPathRedis reports whether redis-server is installed (scenario tests
// still check Tandem's own transcript without it).
func lookPathRedis() (string, error) { return exec.LookPath("redis-server") }

// TestWatchStaleKeysAcrossFlushAndSwapdbMatchRedis: a watched key that had
// already expired when it was watched (still in the table: active expiry
// off) has not changed when FLUSHDB removes it, when SWAPDB replaces it
// with nothing or with another expired key, and a missing key replaced by
// an expired one has not changed either; a live key replaced by SWAPDB
// has (Redis 7.0's rules, transcripts compared with redis-server).
func TestWatchStaleKeysAcrossFlushAndSwapdbMatchRedis(t *testing.T) {
	t.Parallel()
	stale := func(steps ...mstep) []mstep {
		pre := []mstep{call(0, "FLUSHALL"), call(0, "DEBUG SET-ACTIVE-EXPIRE 0")}
		post := []mstep{call(0, "MULTI"), call(0, "PING"), call(0, "EXEC"), call(0, "DEBUG SET-ACTIVE-EXPIRE 1")}
		return append(append(pre, steps...), post...)
	}
	const passes, aborts = `c0 EXEC -> "*1\r\n+PONG\r\n"`, `c0 EXEC -> "*-1\r\n"`
	runScenarios(t, []scenario{
		{name: "flushdb-removes-stale", conns: 1, steps: stale(call(0, "SET x foo PX 1"), call(0, "DEBUG SLEEP 0.01"),
			call(0, "WATCH x"), call(0, "FLUSHDB")), want: []string{passes}},
		{name: "flushall-removes-stale", conns: 1, steps: stale(call(0, "SET x foo PX 1"), call(0, "DEBUG SLEEP 0.01"),
			call(0, "WATCH x"), call(0, "FLUSHALL")), want: []string{passes}},
		{name: "flushdb-removes-live", conns: 1, steps: stale(call(0, "SET x foo"),
			call(0, "WATCH x"), call(0, "FLUSHDB")), want: []string{aborts}},
		{name: "swapdb-stale-with-nothing", conns: 1, steps: stale(call(0, "SELECT 1"), call(0, "SET x foo PX 1"),
			call(0, "DEBUG SLEEP 0.01"), call(0, "WATCH x"), call(0, "SWAPDB 0 1"), call(0, "SELECT 1")), want: []string{passes}},
		{name: "swapdb-nothing-with-stale", conns: 1, steps: stale(call(0, "SET x foo PX 1"), call(0, "DEBUG SLEEP 0.01"),
			call(0, "SELECT 1"), call(0, "WATCH x"), call(0, "SWAPDB 0 1")), want: []string{passes}},
		{name: "swapdb-stale-with-stale", conns: 1, steps: stale(call(0, "SELECT 1"), call(0, "SET x foo PX 1"),
			call(0, "SELECT 0"), call(0, "SET x bar PX 1"), call(0, "DEBUG SLEEP 0.01"), call(0, "SELECT 1"),
			call(0, "WATCH x"), call(0, "SWAPDB 0 1")), want: []string{passes}},
		{name: "swapdb-stale-with-live", conns: 1, steps: stale(call(0, "SELECT 1"), call(0, "SET x foo PX 1"),
			call(0, "SELECT 0"), call(0, "SET x bar"), call(0, "DEBUG SLEEP 0.01"), call(0, "SELECT 1"),
			call(0, "WATCH x"), call(0, "SWAPDB 0 1")), want: []string{aborts}},
		{name: "swapdb-live-with-nothing", conns: 1, steps: stale(call(0, "SELECT 1"), call(0, "SET x foo"),
			call(0, "WATCH x"), call(0, "SWAPDB 0 1"), call(0, "SELECT 1")), want: []string{aborts}},
	})
}

// TestClientUnblockErrorCountsAsAFailedCall: a blocked BLPOP ended by
// CLIENT UNBLOCK … ERROR fails with -UNBLOCKED, which counts in errorstats,
// in the command's failed_calls and in total_error_replies, as in Redis.
func TestClientUnblockErrorCountsAsAFailedCall(t *testing.T) {
	t.Parallel()
	p := startTandem(t)
	admin := dialRaw(t, p.Addr())
	admin.do("CONFIG", "RESETSTAT")
	blocked := dialRaw(t, p.Addr())
	id := strings.TrimSuffix(strings.TrimPrefix(blocked.do("CLIENT", "ID"), ":"), "\r\n")
	blocked.send(encode("BLPOP", "nolist", "0"))
	testutil.Eventually(t, 10*time.Second, "BLPOP blocked", func() bool {
		return strings.Contains(admin.do("INFO", "clients"), "blocked_clients:1\r\n")
	})
	if got := admin.do("CLIENT", "UNBLOCK", id, "ERROR"); got != ":1\r\n" {
		t.Fatalf("CLIENT UNBLOCK: %q", got)
	}
	if got := blocked.read(); got != "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" {
		t.Fatalf("blocked client got %q", got)
	}
	info := admin.do("INFO", "all")
	for _, want := range []string{"errorstat_UNBLOCKED:count=1\r\n", "total_error_replies:1\r\n", ",rejected_calls=0,failed_calls=1\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if !strings.Contains(info, "cmdstat_blpop:calls=1,") {
		t.Errorf("INFO lacks BLPOP's one call")
	}
}
