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
