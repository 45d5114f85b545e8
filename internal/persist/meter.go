package persist

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
)

// Metering of a running save: what INFO reports as copy-on-write memory
// (bytes produced and not yet written) and the rdb-key-save-delay pacing,
// both applied by a writer placed between Stream and the file or socket.

// cowMeter is the live figure behind INFO's current_cow_*: the bytes a
// running RDB stream has produced and not yet written (what a fork-less
// snapshot holds instead of a child's copy-on-write pages). The writer
// updates it without the server lock.
type cowMeter struct {
	cur, peak atomic.Int64
	changed   atomic.Int64 // unix ms when cur last changed (0: never)
}

func (c *cowMeter) set(n int64) {
	if c.cur.Swap(n) != n {
		c.changed.Store(time.Now().UnixMilli())
	}
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// cowInfo reads a meter for INFO: current size, peak, and the seconds
// since the size last changed; all 0 without a meter.
func cowInfo(c *cowMeter, now time.Time) (cur, peak, age int64) {
	if c == nil {
		return 0, 0, 0
	}
	if t := c.changed.Load(); t > 0 {
		age = (now.UnixMilli() - t) / 1000
		if age < 0 {
			age = 0
		}
	}
	return c.cur.Load(), c.peak.Load(), age
}

// keySaveDelay is how long rdb-key-save-delay makes a stream pause after
// writing n more keys: delay microseconds per key, or for a negative delay
// 1 microsecond every -delay keys (Redis's debugDelay sleeps 1us with
// probability 1/-delay per key).
func keySaveDelay(n int64, delay int) time.Duration {
	switch {
	case n <= 0 || delay == 0:
		return 0
	case delay > 0:
		return time.Duration(n) * time.Duration(delay) * time.Microsecond
	default:
		return time.Duration(n/int64(-delay)) * time.Microsecond
	}
}

// meteredWriter sits between Stream and the real writer: it keeps the
// stream's cow meter current (each chunk is pending while it is written)
// and applies rdb-key-save-delay outside the server lock, so a debug
// setting can make a save slow without blocking clients.
type meteredWriter struct {
	w     io.Writer
	mu    sync.Locker
	meter *cowMeter
	delay int
	snap  *keyspace.Snapshot // set at the instant
	keys  int64              // keys already paid for by the delay
	stop  <-chan struct{}    // closed when a BGSAVE is killed (nil: never)
}

func (mw *meteredWriter) Write(p []byte) (int, error) {
	mw.meter.set(int64(len(p)))
	n, err := mw.w.Write(p)
	if mw.delay != 0 && mw.snap != nil && err == nil {
		mw.mu.Lock()
		keys := mw.snap.Keys
		mw.mu.Unlock()
		mw.sleep(keySaveDelay(keys-mw.keys, mw.delay))
		mw.keys = keys
	}
	mw.meter.set(0)
	return n, err
}

// sleep pauses for d in short naps and stops early once the save is
// killed or its snapshot aborted: a shutdown, FLUSHALL or an embedding
// program's Close stops a save at once, as killing Redis's child does,
// whatever delay a debug setting asked for. (The walk may be over while
// the writer still pays for its last keys, so the snapshot alone cannot
// tell.)
func (mw *meteredWriter) sleep(d time.Duration) {
	const nap = 10 * time.Millisecond
	for d > 0 {
		s := min(d, nap)
		select {
		case <-mw.stop:
			return
		case <-time.After(s):
		}
		d -= s
		mw.mu.Lock()
		aborted := mw.snap.Aborted()
		mw.mu.Unlock()
		if aborted {
			return
		}
	}
}

// metered wraps w for one stream (lock held). meterAtInstant must wrap
// the stream's AtInstant, and meterDone (lock held) run when it is over.
func (m *Manager) metered(w io.Writer, mu sync.Locker) *meteredWriter {
	return &meteredWriter{w: w, mu: mu, meter: &cowMeter{}, delay: m.cfg.RDBKeySaveDelay}
}

// meterAtInstant wraps the caller's AtInstant hook: from the instant, the
// stream's meter is what INFO shows (lock held).
func (m *Manager) meterAtInstant(mw *meteredWriter, next func()) func() {
	return func() {
		mw.snap = m.ks.Running()
		m.cow = mw.meter
		if next != nil {
			next()
		}
	}
}

// meterDone retires the stream's meter from INFO, unless a later stream
// already took over (lock held).
func (m *Manager) meterDone(mw *meteredWriter) {
	if m.cow == mw.meter {
		m.cow = nil
	}
}

// MeterStream wraps w for a stream written outside this package (an AOF
// rewrite's base, lock held): it counts in INFO's copy-on-write figures
// and is paced by rdb-key-save-delay as BGSAVE is, as Redis applies both
// to its AOF rewrite child. atInstant must become the stream's AtInstant
// hook; done (lock held) runs when the stream is over; closing stop ends
// the pacing at once (the stream was killed).
func (m *Manager) MeterStream(w io.Writer, atInstant func(), stop <-chan struct{}) (metered io.Writer, instant func(), done func()) {
	mw := m.metered(w, m.srv)
	mw.stop = stop
	return mw, m.meterAtInstant(mw, atInstant), func() { m.meterDone(mw) }
}
