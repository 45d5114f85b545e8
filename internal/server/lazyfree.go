package server

import (
	"runtime/metrics"
	"time"
)

// Memory back after a big free. Redis's background free thread gives a
// big value's memory back within moments of UNLINK or FLUSHALL ASYNC
// (and a synchronous free at once). In Go the removal is O(1) and the
// memory comes back at the next collection, which a quiet server may not
// run for minutes, and which the idle purge (idlepurge.go) does not bring
// forward while clients keep sending commands, even only INFO. So when the
// values removed since the last look are large against the live heap —
// an estimated lazyfreeBytesPerEffort per element, a quarter of the live
// heap at least (4 MB at least), or any non-empty database emptied — the
// cron asks for a collection on a goroutine of its own (purgeMemory), at
// most once a second: the command loop never waits for it, and a steady
// stream of small deletions never reaches the mark (Go's own pacing
// collects them). One more collection follows two seconds later, for what
// the removal left around it. Like the idle purge, this is the work of
// Redis's allocator thread: it follows jemalloc-bg-thread.

const (
	// lazyfreeBytesPerEffort estimates the memory of one element of a big
	// collection (a set member or hash field with its table slot; measured
	// about 190 bytes for small members, so this is on the low side).
	lazyfreeBytesPerEffort = 64
	lazyfreeEvery          = time.Second
)

// lazyfreeState is the cron's memory of the last collection it asked for
// (srv.mu).
type lazyfreeState struct {
	last time.Time
	// again is when to look once more after a collection: what the
	// removed value left around it (a client's buffers and argument
	// tables, trimmed by the cron meanwhile) is garbage by then.
	again   time.Time
	samples []metrics.Sample
}

// lazyfreeTick is the cron's look at what was removed (srv.mu held).
func (s *Server) lazyfreeTick(now time.Time) {
	l := &s.ks.Lazy
	if !s.set.IdlePurge {
		// jemalloc-bg-thread no: memory stays until MEMORY PURGE, as the
		// idle purge's contract says.
		l.Backlog, l.Flushed, s.lazy.again = 0, false, time.Time{}
		return
	}
	if !s.lazy.again.IsZero() && now.After(s.lazy.again) {
		s.lazy.again = time.Time{}
		s.purgeMemory()
		return
	}
	if l.Backlog == 0 && !l.Flushed || now.Sub(s.lazy.last) < lazyfreeEvery {
		return
	}
	if !l.Flushed && l.Backlog*lazyfreeBytesPerEffort < max(s.liveHeap()/4, purgeMinGarbage) {
		return
	}
	l.Backlog, l.Flushed = 0, false
	s.lazy.last = now
	s.lazy.again = now.Add(2 * lazyfreeEvery)
	s.purgeMemory()
}

// liveHeap is the heap found live by the last collection.
func (s *Server) liveHeap() int64 {
	if s.lazy.samples == nil {
		s.lazy.samples = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	}
	metrics.Read(s.lazy.samples)
	if v := s.lazy.samples[0].Value; v.Kind() == metrics.KindUint64 {
		return int64(v.Uint64())
	}
	return 0
}
