// Package ticks is a cheap clock for short durations: the processor's
// time-stamp counter, read in about 10 ns where the operating system's
// monotonic clock (time.Since, through the vDSO) costs about 25.
//
// Why: a script's redis.call is timed like any command (INFO commandstats,
// latency histograms, SLOWLOG, the latency monitor), two readings per call,
// and with a thousand calls per script those readings were a seventh of
// the script's time. The counter is used only where it can be trusted:
// on amd64, when Linux itself keeps time with it (clocksource "tsc", which
// the kernel picks only for an invariant counter that agrees across CPUs).
// Elsewhere Get answers nil and callers read the usual clock.
//
// A reading is not ordered against the instructions around it (no LFENCE,
// which would cost as much as the clock saved): a duration may be off by a
// few tens of cycles, well under the microsecond Redis's own figures are
// counted in.
package ticks

import (
	"math/bits"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Clock turns counter readings into durations. It is calibrated once
// against the monotonic clock and never changes afterwards.
type Clock struct {
	// mult is nanoseconds per tick as a 32.32 fixed-point number.
	mult uint64
	// base, ns0 and t0 are the calibration's last pair of readings
	// (monotonic ns since base, counter), for Verify.
	base time.Time
	ns0  int64
	t0   uint64
}

// Now is a counter reading, for Since.
func (c *Clock) Now() uint64 { return read() }

// Since is the time elapsed from the reading t0 to now, never negative.
func (c *Clock) Since(t0 uint64) time.Duration {
	d := read() - t0
	if int64(d) < 0 {
		return 0
	}
	return c.toDuration(d)
}

// toDuration converts ticks to a duration: the product takes 128 bits, so
// that hours of ticks do not overflow.
func (c *Clock) toDuration(ticks uint64) time.Duration {
	hi, lo := bits.Mul64(ticks, c.mult)
	return time.Duration(hi<<32 | lo>>32)
}

var (
	calibrated atomic.Pointer[Clock]
	startOnce  sync.Once
)

// Get returns the counter's clock, or nil while it is being calibrated
// (the first tens of milliseconds after Start) or when there is no
// counter to trust: the caller then reads the monotonic clock. It costs an
// atomic load.
func Get() *Clock { return calibrated.Load() }

// Verify compares the counter's clock with the monotonic clock over the
// time since calibration, and drops it for good when the two disagree by
// more than 1% (the kernel gave up on the counter, a virtual machine
// moved to a host that counts at another rate): Get then answers nil, and
// durations come from the monotonic clock again. The server calls it from
// its periodic cycle; it costs a few clock readings.
func Verify() {
	c := calibrated.Load()
	if c == nil {
		return
	}
	if ns, t := pair(c.base); !c.agrees(ns, t) {
		calibrated.CompareAndSwap(c, nil)
	}
}

// agrees reports whether the readings (ns, t) taken now agree with the
// calibration, within 1% of the time since it (CLOCK_MONOTONIC is slewed
// by NTP, by at most 0.05%). Under a second is too short to judge.
func (c *Clock) agrees(ns int64, t uint64) bool {
	want := ns - c.ns0
	if want < int64(time.Second) {
		return true
	}
	got := int64(c.toDuration(t - c.t0))
	return got-want >= -want/100 && got-want <= want/100
}

// Start begins the calibration, in the background, unless it has begun
// already; Get answers a clock once it is done. It returns at once.
func Start() {
	startOnce.Do(func() {
		if haveCounter && trusted() {
			go func() {
				if c := calibrate(50 * time.Millisecond); c != nil {
					calibrated.Store(c)
				}
			}()
		}
	})
}

// clocksourcePath names the clock Linux keeps time with.
const clocksourcePath = "/sys/devices/system/clocksource/clocksource0/current_clocksource"

// trusted reports whether the kernel keeps time with the counter, which
// it does only after checking that the counter runs at a constant rate,
// through sleep states, and in step on every CPU.
func trusted() bool {
	b, err := os.ReadFile(clocksourcePath)
	return err == nil && strings.TrimSpace(string(b)) == "tsc"
}

// calibrate measures the counter's rate against the monotonic clock over
// span, and returns nil if the rate is not believable (0.1 to 20 GHz).
func calibrate(span time.Duration) *Clock {
	base := time.Now()
	ns0, t0 := pair(base)
	time.Sleep(span)
	ns1, t1 := pair(base)
	if t1 <= t0 || ns1 <= ns0 {
		return nil
	}
	ghz := float64(t1-t0) / float64(ns1-ns0)
	if ghz < 0.1 || ghz > 20 {
		return nil
	}
	return &Clock{mult: uint64(float64(ns1-ns0) / float64(t1-t0) * (1 << 32)), base: base, ns0: ns1, t0: t1}
}

// pair reads the monotonic clock and the counter together: of a few
// tries, the one where the two monotonic readings around the counter's
// are closest (a goroutine preempted in between would skew the rate).
func pair(base time.Time) (ns int64, t uint64) {
	best := time.Duration(1<<63 - 1)
	for range 5 {
		a := time.Since(base)
		c := read()
		b := time.Since(base)
		if b-a < best {
			best, ns, t = b-a, int64(a+(b-a)/2), c
		}
	}
	return ns, t
}
