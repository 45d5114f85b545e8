package command

import (
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/ticks"
)

// The chained clock: in a chain, a command starts where the previous one
// ended; turning the chain on again, or a clock tick (which moves the base
// Elapsed counts from), starts afresh.
func TestChainClock(t *testing.T) {
	ks := keyspace.New(1)
	e := NewEngine(ks)
	var took []time.Duration
	e.Host = &testHost{slow: func(d time.Duration) { took = append(took, d) }}
	s := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
	get := [][]byte{[]byte("GET"), []byte("k")}
	const gap = 30 * time.Millisecond
	cases := []struct {
		name    string
		between func() // between the two GETs
		chained bool   // the second GET is charged the gap
	}{
		{"chain on: the gap counts (the caller breaks it when time passes)", func() { time.Sleep(gap) }, true},
		{"restarted chain", func() { time.Sleep(gap); e.ChainClock(true) }, false},
		{"chain off", func() { e.ChainClock(false); time.Sleep(gap) }, false},
		{"a tick moves the base", func() { time.Sleep(gap); ks.Tick() }, false},
	}
	for _, c := range cases {
		took = took[:0]
		e.ChainClock(true)
		e.Call(s, get)
		c.between()
		e.Call(s, get)
		if len(took) != 2 {
			t.Fatalf("%s: %d durations", c.name, len(took))
		}
		if took[1] <= 0 {
			// A reading from an older base, clamped: the time is lost.
			t.Errorf("%s: second GET took %v", c.name, took[1])
		}
		if got := took[1] >= gap; got != c.chained {
			t.Errorf("%s: second GET took %v, charged the %v gap: %v, want %v", c.name, took[1], gap, got, c.chained)
		}
	}
	e.ChainClock(false)
}

// testHost is a Host that records what a test asks for.
type testHost struct {
	NopHost
	slow func(d time.Duration)
	warn func(format string, args ...any)
}

func (h *testHost) Slow(_ *Session, _ *Spec, _ [][]byte, d time.Duration) {
	if h.slow != nil {
		h.slow(d)
	}
}

func (h *testHost) Warnf(format string, args ...any) {
	if h.warn != nil {
		h.warn(format, args...)
	}
}

// A nested command (a script's call) is timed on its own, with the
// processor's counter once it is calibrated, and its time adds up in
// commandstats even when each call is shorter than a microsecond: the
// sum is kept in nanoseconds, where cutting each call to whole
// microseconds counted a script's thousand sub-microsecond calls as 0.
func TestNestedCommandTimes(t *testing.T) {
	ticks.Start()
	for deadline := time.Now().Add(2 * time.Second); ticks.Get() == nil && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // no trusted counter: the monotonic clock times them
	}
	e := NewEngine(keyspace.New(1))
	var took []time.Duration
	e.Host = &testHost{slow: func(d time.Duration) { took = append(took, d) }}
	const spin, calls = 400 * time.Nanosecond, 3000
	inner := &Spec{Name: "spin", Arity: 1, Handler: func(c *Ctx) {
		for start := time.Now(); time.Since(start) < spin; {
		}
		c.W.Simple("OK")
	}}
	outer := &Spec{Name: "outer", Arity: 1, Handler: func(c *Ctx) {
		for range calls {
			c.E.RunForScript(c.S, inner, [][]byte{[]byte("spin")})
		}
		c.W.Simple("OK")
	}}
	e.Table.Add(inner, outer)
	s := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
	e.Call(s, [][]byte{[]byte("outer")})
	if inner.Calls != calls || outer.Calls != 1 {
		t.Fatalf("calls: spin %d, outer %d", inner.Calls, outer.Calls)
	}
	if len(took) != calls+1 {
		t.Fatalf("%d durations for SLOWLOG, want %d", len(took), calls+1)
	}
	for i, d := range took[:calls] {
		if d < spin || d > took[calls] {
			t.Fatalf("call %d took %v: not between its %v spin and the outer command's %v", i, d, spin, took[calls])
		}
	}
	if min := int64(calls * spin); inner.Nsec < min || inner.Nsec > outer.Nsec {
		t.Errorf("spin: %d ns in all, want at least %d and at most the outer command's %d", inner.Nsec, min, outer.Nsec)
	}
}
