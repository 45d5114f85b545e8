package ticks

import (
	"testing"
	"time"
)

// The counter's clock, once calibrated, agrees with the monotonic clock
// over a sleep (within 2%, the sleep being measured by both at once).
func TestClockAgreesWithMonotonic(t *testing.T) {
	if !haveCounter || !trusted() {
		t.Skip("no trusted counter here: callers use the monotonic clock")
	}
	c := calibrate(20 * time.Millisecond)
	if c == nil {
		t.Fatal("calibration failed on a tsc clocksource")
	}
	for _, d := range []time.Duration{2 * time.Millisecond, 30 * time.Millisecond} {
		start, t0 := time.Now(), c.Now()
		time.Sleep(d)
		got, want := c.Since(t0), time.Since(start)
		if diff := got - want; diff < -want/50 || diff > want/50 {
			t.Errorf("sleep %v: counter %v, monotonic %v", d, got, want)
		}
	}
}

// Start publishes the clock in the background; Get is nil until then.
func TestStartPublishes(t *testing.T) {
	if !haveCounter || !trusted() {
		Start()
		if Get() != nil {
			t.Fatal("a clock without a trusted counter")
		}
		return
	}
	Start()
	deadline := time.Now().Add(5 * time.Second)
	for Get() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no clock 5 s after Start")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestToDuration(t *testing.T) {
	for _, tc := range []struct {
		mult  uint64
		ticks uint64
		want  time.Duration
	}{
		{1 << 32, 1000, 1000},                       // 1 GHz
		{1 << 31, 1000, 500},                        // 2 GHz
		{1 << 31, 2 * 3600e9, time.Hour},            // an hour at 2 GHz: no overflow
		{(1 << 32) / 3, 3_000_000_000, 999_999_999}, // 3 GHz, the fraction truncated
	} {
		if got := (&Clock{mult: tc.mult}).toDuration(tc.ticks); got != tc.want {
			t.Errorf("mult %d, %d ticks: %v, want %v", tc.mult, tc.ticks, got, tc.want)
		}
	}
}

// agrees: within 1% of the time since calibration, judged after a
// second at least.
func TestAgrees(t *testing.T) {
	c := &Clock{mult: 1 << 32, ns0: 5e9, t0: 7e9} // 1 GHz
	for _, tc := range []struct {
		ns    int64
		ticks uint64
		want  bool
	}{
		{5e9 + 2e9, 7e9 + 2e9, true},         // in step
		{5e9 + 2e9, 7e9 + 2.01e9, true},      // 0.5% fast
		{5e9 + 2e9, 7e9 + 2.1e9, false},      // 5% fast
		{5e9 + 2e9, 7e9 + 1.9e9, false},      // 5% slow
		{5e9 + 0.5e9, 7e9 + 0.7e9, true},     // too soon to judge
		{5e9 + 3600e9, 7e9 + 3600.5e9, true}, // an hour, 0.014% off
		{5e9 + 3600e9, 7e9 + 3700e9, false},  // an hour, 2.8% off
		{5e9 + 2e9, 7e9 - 1, false},          // the counter went back
	} {
		if got := c.agrees(tc.ns, tc.ticks); got != tc.want {
			t.Errorf("ns %d, ticks %d: agrees = %v, want %v", tc.ns, tc.ticks, got, tc.want)
		}
	}
}

// Verify drops a clock that disagrees with the monotonic clock, and keeps
// one that agrees.
func TestVerify(t *testing.T) {
	if !haveCounter || !trusted() {
		t.Skip("no trusted counter")
	}
	prev := calibrated.Load()
	defer calibrated.Store(prev)
	good := calibrate(10 * time.Millisecond)
	if good == nil {
		t.Fatal("calibration failed")
	}
	// Calibrated two seconds ago, as far as Verify can tell.
	good.ns0 -= 2e9
	good.t0 -= uint64(float64(2e9) * (1 << 32) / float64(good.mult))
	calibrated.Store(good)
	Verify()
	if Get() != good {
		t.Fatal("Verify dropped a clock in step with the monotonic clock")
	}
	bad := *good
	bad.mult = good.mult * 11 / 10 // counts 10% fast
	calibrated.Store(&bad)
	Verify()
	if Get() != nil {
		t.Fatal("Verify kept a clock 10% off")
	}
}

func BenchmarkSince(b *testing.B) {
	c := calibrate(10 * time.Millisecond)
	if c == nil {
		b.Skip("no trusted counter")
	}
	t0 := c.Now()
	var sink time.Duration
	for b.Loop() {
		sink += c.Since(t0)
	}
	_ = sink
}

func BenchmarkTimeSince(b *testing.B) {
	t0 := time.Now()
	var sink time.Duration
	for b.Loop() {
		sink += time.Since(t0)
	}
	_ = sink
}

func BenchmarkRead(b *testing.B) {
	var sink uint64
	for b.Loop() {
		sink += read()
	}
	_ = sink
}
