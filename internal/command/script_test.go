package command

// A small harness for the command-family tests (strings_test.go,
// keys_test.go, lists_test.go, …): each case is a script of command lines
// with the reply Redis 7.0 gives, run through Engine.Call as a client
// would, on sessions of one engine whose clock only moves when the script
// says so.
//
// The expected replies are Redis's, not Tandem's. To check a table against
// a real server, point TANDEM_TEST_REDIS at one (a throwaway instance: each
// case begins with FLUSHALL):
//
//	redis-server --port 7391 --save '' --daemonize yes
//	TANDEM_TEST_REDIS=127.0.0.1:7391 go test -run 'Family' ./internal/command
//
// Each case then also runs on that server and every reply must match the
// table there too. ("~sleep" steps really sleep against it.)

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/testutil"
)

// scriptCase is one scenario. Each step is "[@N ]command => reply":
//
//   - @N runs the step on client N (default 1); clients are created on
//     first use and keep their state (SELECT, MULTI, WATCH, blocks);
//   - arguments are separated by spaces; a Go-quoted argument ("a b",
//     "\x00") may hold anything;
//   - the reply is written in the notation of renderReply: +OK, -ERR …,
//     :5, "bulk", nil (null bulk), *nil (null array), [a b] (array),
//     and for RESP3 _ (null), ,1.5 (double), %{k v} (map), ~[a] (set),
//     #t/#f (boolean);
//   - "=> (blocked)" says the command blocks: no reply now;
//   - "~reply => X" takes the reply that reached the client since (a
//     blocked client served by another's write);
//   - "~timeout => X" ends the client's block as its deadline would
//     (against Redis: give the command a short timeout; the step waits);
//   - "~sleep MS" moves the clock on (and sleeps against Redis).
type scriptCase struct {
	name  string
	proto int // 2 (default) or 3
	steps []string
}

// startMs is the scripts' clock at the start: a fixed instant, so that
// absolute expiry times in propagated commands are known.
const startMs = int64(1_700_000_000_000)

// scriptEngine runs scripts on a fresh engine.
type scriptEngine struct {
	e        *Engine
	now      int64
	sessions map[int]*Session
	proto    int
	rec      *propRecorder
}

func newScriptEngine(proto int) *scriptEngine {
	se := &scriptEngine{now: startMs, sessions: map[int]*Session{}, proto: proto}
	ks := keyspace.New(16)
	ks.SetNow(func() int64 { return se.now })
	se.e = NewEngine(ks)
	se.rec = &propRecorder{}
	se.e.Sinks = []Propagator{se.rec}
	return se
}

func (se *scriptEngine) session(n int) *Session {
	s, ok := se.sessions[n]
	if !ok {
		s = &Session{ID: int64(n), Proto: se.proto, Authed: true, W: &resp.Writer{Proto: se.proto}}
		se.sessions[n] = s
	}
	return s
}

// call runs one command line on client n and returns its rendered reply.
func (se *scriptEngine) call(t *testing.T, n int, line string) string {
	t.Helper()
	s := se.session(n)
	s.W.Reset()
	se.e.Call(s, splitArgs(t, line))
	if s.Blocked() {
		if len(s.W.Buf) != 0 {
			t.Fatalf("%q blocked after writing %q", line, s.W.Buf)
		}
		return "(blocked)"
	}
	return renderAll(t, s.W.Buf)
}

// pending renders what reached client n since its last command.
func (se *scriptEngine) pending(t *testing.T, n int) string {
	t.Helper()
	s := se.session(n)
	out := renderAll(t, s.W.Buf)
	s.W.Reset()
	return out
}

// propRecorder is a Propagator that keeps each op as "db:arg arg…".
type propRecorder struct{ ops []string }

func (r *propRecorder) Propagate(db int, argv [][]byte) {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = string(a)
	}
	r.ops = append(r.ops, strconv.Itoa(db)+":"+strings.Join(parts, " "))
}

// take returns the ops recorded since the last take, joined by " | ".
func (r *propRecorder) take() string {
	s := strings.Join(r.ops, " | ")
	r.ops = nil
	return s
}

// parsedStep is one step of a script.
type parsedStep struct {
	client int
	line   string // command line, or ~reply / ~timeout / ~sleep MS
	want   string
}

func parseStep(t *testing.T, step string) parsedStep {
	t.Helper()
	ps := parsedStep{client: 1}
	if strings.HasPrefix(step, "@") {
		n, rest, ok := strings.Cut(step[1:], " ")
		c, err := strconv.Atoi(n)
		if !ok || err != nil {
			t.Fatalf("bad client prefix in %q", step)
		}
		ps.client, step = c, rest
	}
	line, want, ok := strings.Cut(step, " => ")
	if !ok && !strings.HasPrefix(step, "~sleep ") {
		t.Fatalf("step %q has no ' => '", step)
	}
	ps.line, ps.want = line, want
	return ps
}

// runScripts runs each case on a fresh engine (and on the Redis named by
// TANDEM_TEST_REDIS, if any) and checks every reply.
func runScripts(t *testing.T, cases []scriptCase) {
	t.Helper()
	addr := os.Getenv("TANDEM_TEST_REDIS")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proto := tc.proto
			if proto == 0 {
				proto = 2
			}
			se := newScriptEngine(proto)
			var rs *redisScript
			if addr != "" {
				rs = newRedisScript(t, addr, proto)
			}
			for i, raw := range tc.steps {
				st := parseStep(t, raw)
				var got string
				switch {
				case strings.HasPrefix(st.line, "~sleep "):
					ms, err := strconv.Atoi(strings.TrimPrefix(st.line, "~sleep "))
					if err != nil {
						t.Fatalf("step %d: %q", i, raw)
					}
					se.now += int64(ms)
					if rs != nil {
						time.Sleep(time.Duration(ms)*time.Millisecond + 5*time.Millisecond)
					}
					continue
				case st.line == "~reply":
					got = se.pending(t, st.client)
				case st.line == "~timeout":
					s := se.session(st.client)
					s.W.Reset()
					if !se.e.TimeoutBlocked(s) {
						t.Fatalf("step %d: client %d was not blocked", i, st.client)
					}
					got = renderAll(t, s.W.Buf)
				default:
					got = se.call(t, st.client, st.line)
				}
				if got != st.want {
					t.Errorf("step %d, @%d %s:\n got %s\nwant %s", i, st.client, st.line, got, st.want)
				}
				if rs != nil {
					if r := rs.step(t, st); r != st.want {
						t.Errorf("step %d, @%d %s: the table says %s, Redis at %s answers %s", i, st.client, st.line, st.want, addr, r)
					}
				}
			}
		})
	}
}

// splitArgs splits a command line: spaces separate arguments, a
// double-quoted argument is a Go string literal.
func splitArgs(t *testing.T, line string) [][]byte {
	t.Helper()
	var args [][]byte
	for line = strings.TrimLeft(line, " "); line != ""; line = strings.TrimLeft(line, " ") {
		if line[0] == '"' {
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				t.Fatalf("bad quoted argument in %q: %v", line, err)
			}
			u, _ := strconv.Unquote(q)
			args = append(args, []byte(u))
			line = line[len(q):]
			continue
		}
		f, rest, _ := strings.Cut(line, " ")
		args = append(args, []byte(f))
		line = rest
	}
	return args
}

// renderAll renders every reply in b, space-separated ("" for none).
func renderAll(t *testing.T, b []byte) string {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(b))
	var out []string
	for {
		if _, err := r.Peek(1); err == io.EOF {
			break
		}
		s, err := testutil.RenderReply(r)
		if err != nil {
			t.Fatalf("malformed reply %q: %v", b, err)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// redisScript runs the same steps on a real Redis, one connection per
// client.
type redisScript struct {
	addr  string
	proto int
	conns map[int]*redisConn
}

type redisConn struct {
	c net.Conn
	r *bufio.Reader
}

func newRedisScript(t *testing.T, addr string, proto int) *redisScript {
	rs := &redisScript{addr: addr, proto: proto, conns: map[int]*redisConn{}}
	if got := rs.do(t, 0, "FLUSHALL"); got != "+OK" {
		t.Fatalf("FLUSHALL on %s: %s", addr, got)
	}
	return rs
}

func (rs *redisScript) conn(t *testing.T, n int) *redisConn {
	if c, ok := rs.conns[n]; ok {
		return c
	}
	nc, err := net.Dial("tcp", rs.addr)
	if err != nil {
		t.Fatalf("dial %s: %v", rs.addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &redisConn{c: nc, r: bufio.NewReader(nc)}
	rs.conns[n] = c
	if rs.proto == 3 {
		rs.send(t, c, "HELLO 3")
		if _, err := testutil.RenderReply(c.r); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func (rs *redisScript) send(t *testing.T, c *redisConn, line string) {
	args := splitArgs(t, line)
	var b []byte
	b = fmt.Appendf(b, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.c.Write(b); err != nil {
		t.Fatal(err)
	}
}

func (rs *redisScript) read(t *testing.T, c *redisConn, wait time.Duration) (string, bool) {
	c.c.SetReadDeadline(time.Now().Add(wait))
	s, err := testutil.RenderReply(c.r)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return "", false
	}
	if err != nil {
		t.Fatalf("read from %s: %v", rs.addr, err)
	}
	return s, true
}

func (rs *redisScript) do(t *testing.T, n int, line string) string {
	c := rs.conn(t, n)
	rs.send(t, c, line)
	s, ok := rs.read(t, c, 5*time.Second)
	if !ok {
		t.Fatalf("%s: no reply from %s", line, rs.addr)
	}
	return s
}

func (rs *redisScript) step(t *testing.T, st parsedStep) string {
	c := rs.conn(t, st.client)
	switch st.line {
	case "~reply", "~timeout":
		s, ok := rs.read(t, c, 5*time.Second)
		if !ok {
			return "(no reply)"
		}
		return s
	}
	rs.send(t, c, st.line)
	if st.want == "(blocked)" {
		// Nothing may come back while it is blocked.
		if s, ok := rs.read(t, c, 50*time.Millisecond); ok {
			return s
		}
		return "(blocked)"
	}
	s, ok := rs.read(t, c, 5*time.Second)
	if !ok {
		return "(blocked)"
	}
	return s
}

// propCase is a propagation check: after the setup lines (";"-separated,
// "@N" runs one on client N, "~sleep MS" moves the clock), cmd (on client 1) must feed the engine's Propagators
// exactly want ("db:arg arg…" per op, " | " between ops; "" for nothing).
type propCase struct {
	setup, cmd, want string
}

// runPropagation runs each case on a fresh engine with a recording
// Propagator.
func runPropagation(t *testing.T, cases []propCase) {
	t.Helper()
	for _, tc := range cases {
		se := newScriptEngine(2)
		for _, l := range strings.Split(tc.setup, ";") {
			switch l = strings.TrimSpace(l); {
			case l == "":
			case strings.HasPrefix(l, "~sleep "):
				ms, err := strconv.Atoi(strings.TrimPrefix(l, "~sleep "))
				if err != nil {
					t.Fatalf("bad setup %q", l)
				}
				se.now += int64(ms)
			default:
				client := 1
				if strings.HasPrefix(l, "@") {
					n, rest, _ := strings.Cut(l[1:], " ")
					c, err := strconv.Atoi(n)
					if err != nil {
						t.Fatalf("bad client prefix in %q", l)
					}
					client, l = c, rest
				}
				if r := se.call(t, client, l); strings.HasPrefix(r, "-") {
					t.Fatalf("setup %q of %q: %s", l, tc.cmd, r)
				}
			}
		}
		se.rec.take()
		reply := se.call(t, 1, tc.cmd)
		if got := se.rec.take(); got != tc.want {
			t.Errorf("after %q, %s (reply %s) propagated\n %q\nwant %q", tc.setup, tc.cmd, reply, got, tc.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
