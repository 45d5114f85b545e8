package command

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// recordSink keeps what the engine propagates, one line per op.
type recordSink struct{ ops []string }

func (r *recordSink) Propagate(db int, argv [][]byte) {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = string(a)
	}
	r.ops = append(r.ops, fmt.Sprintf("%d:%s", db, strings.Join(parts, " ")))
}

func (r *recordSink) take() []string {
	ops := r.ops
	r.ops = nil
	return ops
}

// A handler that panics must leave the engine fully working: depth back at
// 0 (else the command clock stops and relative TTLs are computed from a
// moment in the past), FromMaster cleared, MULTI/EXEC and propagation as
// usual, and the client gets exactly one error reply.
func TestHandlerPanicLeavesEngineWorking(t *testing.T) {
	ks := keyspace.New(16)
	now := int64(1_700_000_000_000)
	ks.SetNow(func() int64 { return now })
	e := NewEngine(ks)
	sink := &recordSink{}
	e.Sinks = []Propagator{sink}
	var warned []string
	e.Host = &testHost{warn: func(format string, args ...any) { warned = append(warned, fmt.Sprintf(format, args...)) }}
	e.Table.Add(&Spec{Name: "boom", Arity: -1, Handler: func(c *Ctx) {
		c.DB.SetString([]byte("half"), []byte("done"), false) // a change made before the bug
		c.W.Array(3)                                          // a reply begun
		c.W.BulkString("partial")
		var s []byte
		_ = s[len(c.Args)+5] // index out of range
	}})

	s := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
	do := func(args ...string) string {
		t.Helper()
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		s.W.Reset()
		e.Call(s, argv)
		return string(s.W.Buf)
	}
	const boomErr = "-ERR internal error in 'boom' command, see the server log\r\n"

	if got := do("BOOM"); got != boomErr {
		t.Fatalf("BOOM replied %q, want %q", got, boomErr)
	}
	if e.depth != 0 {
		t.Fatalf("depth %d after a panic", e.depth)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "index out of range") || !strings.Contains(warned[0], "panic_test.go") {
		t.Fatalf("warning %q: want the panic and its stack", warned)
	}
	if ops := sink.take(); len(ops) != 0 {
		t.Fatalf("the panicking command was propagated: %q", ops)
	}

	// Time passes: the command clock must follow it.
	now += 600_000
	if got := do("SET", "a", "1", "EX", "60"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	if got := do("TTL", "a"); got != ":60\r\n" {
		t.Fatalf("TTL a after a panic and 10 minutes: %q, want :60", got)
	}
	if got := do("GET", "a"); got != "$1\r\n1\r\n" {
		t.Fatalf("GET a: %q", got)
	}
	ops := sink.take()
	if want := fmt.Sprintf("0:SET a 1 PXAT %d", now+60_000); len(ops) != 1 || ops[0] != want {
		t.Fatalf("propagated %q, want [%q]", ops, want)
	}

	// In a transaction the panicking command answers its error in its
	// slot; the others run and propagate as one unit.
	do("MULTI")
	do("SET", "b", "1")
	do("BOOM")
	do("SET", "c", "2")
	want := "*3\r\n+OK\r\n" + boomErr + "+OK\r\n"
	if got := do("EXEC"); got != want {
		t.Fatalf("EXEC: %q, want %q", got, want)
	}
	if s.InMulti() || e.depth != 0 {
		t.Fatalf("after EXEC: in multi %v, depth %d", s.InMulti(), e.depth)
	}
	if got, want := strings.Join(sink.take(), "|"), "0:MULTI|0:SET b 1|0:SET c 2|0:EXEC"; got != want {
		t.Fatalf("EXEC propagated %q, want %q", got, want)
	}
	do("MULTI")
	do("INCR", "n")
	if got := do("EXEC"); got != "*1\r\n:1\r\n" {
		t.Fatalf("a second transaction: %q", got)
	}

	// The master link's flag is cleared too.
	m := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}, Flags: FlagMaster}
	e.Call(m, [][]byte{[]byte("BOOM")})
	if ks.FromMaster || e.depth != 0 {
		t.Fatalf("after a master's panicking command: FromMaster %v, depth %d", ks.FromMaster, e.depth)
	}
}

// BenchmarkCall measures the dispatch path (invoke's deferred recover
// included) for a read, a write and a counter.
func BenchmarkCall(b *testing.B) {
	for _, argv := range [][]string{{"GET", "k"}, {"SET", "k", "v"}, {"INCR", "n"}} {
		b.Run(argv[0], func(b *testing.B) {
			e := NewEngine(keyspace.New(1))
			s := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
			args := make([][]byte, len(argv))
			for i, a := range argv {
				args[i] = []byte(a)
			}
			e.ChainClock(true)
			b.ReportAllocs()
			for b.Loop() {
				s.W.Reset()
				e.Call(s, args)
			}
		})
	}
}

// panicSink panics on its first op, then records like recordSink.
type panicSink struct {
	recordSink
	armed bool
}

func (p *panicSink) Propagate(db int, argv [][]byte) {
	if p.armed {
		p.armed = false
		panic("sink failure")
	}
	p.recordSink.Propagate(db, argv)
}

// A sink that panics (the server recovers it per connection) must not get
// the failed unit again with the next write.
func TestSinkPanicDoesNotRepeatUnit(t *testing.T) {
	e := NewEngine(keyspace.New(1))
	sink := &panicSink{armed: true}
	e.Sinks = []Propagator{sink}
	s := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the sink's panic did not reach the caller")
			}
		}()
		e.Call(s, [][]byte{[]byte("SET"), []byte("a"), []byte("1")})
	}()
	e.Call(s, [][]byte{[]byte("SET"), []byte("b"), []byte("2")})
	if got := strings.Join(sink.take(), "|"); got != "0:SET b 2" {
		t.Fatalf("after a sink's panic the next write propagated %q, want only SET b 2", got)
	}
}

// A blocked client whose command panics when the engine re-runs it (a key
// became ready) is unblocked with the error reply; the writer that woke
// it is not affected.
func TestHandlerPanicWhileServingBlocked(t *testing.T) {
	e := NewEngine(keyspace.New(1))
	e.Table.Add(&Spec{Name: "bboom", Arity: 2, Handler: func(c *Ctx) {
		if _, rerun := c.readyKey(); !rerun {
			c.Block([][]byte{c.Args[1]}, 0, func(w *resp.Writer) { w.Null() })
			return
		}
		panic("bug in a blocking command")
	}})
	waiter := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
	e.Call(waiter, [][]byte{[]byte("BBOOM"), []byte("q")})
	if !waiter.Blocked() {
		t.Fatal("BBOOM did not block")
	}
	writer := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
	e.Call(writer, [][]byte{[]byte("RPUSH"), []byte("q"), []byte("x")})
	if got := string(writer.W.Buf); got != ":1\r\n" {
		t.Fatalf("RPUSH replied %q", got)
	}
	if waiter.Blocked() || e.BlockedClients() != 0 || e.depth != 0 {
		t.Fatalf("after the panic: blocked %v, blocked clients %d, depth %d", waiter.Blocked(), e.BlockedClients(), e.depth)
	}
	if got, want := string(waiter.W.Buf), "-ERR internal error in 'bboom' command, see the server log\r\n"; got != want {
		t.Fatalf("the blocked client got %q, want %q", got, want)
	}
}
