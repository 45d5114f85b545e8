package server

import (
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Idle purge. Go's heap keeps the garbage of a burst of writes (a bulk
// load, values overwritten or deleted) until the next collection, and the
// next collection only comes once the heap has grown by GOGC percent again:
// a server that has gone quiet does not grow, so its RSS stays up to twice
// its data for as long as it stays quiet. Redis's allocator returns freed
// pages on a background thread (jemalloc-bg-thread, on by default); ours,
// under the same setting, is one collection once the server has been quiet
// for a second with at least a quarter of its live heap in garbage or in
// free pages kept, after which every free page goes back to the system.
//
// Measured (bench/memory.sh: loaded with redis-cli --pipe, RSS 2 s after):
// 100,000 hashes of 10 fields 62.5 → 42.0 MB (Redis 45.2), 100,000 zsets
// of 10 54.6 → 40.4 MB (Redis 40.8); 1,000,000 strings, whose load leaves
// little garbage, about the same (113 MB, Redis 120).
//
// A server under a steady trickle of commands is never quiet for a second
// and keeps Go's own pacing; a quiet one collects at most once per burst,
// since the collection leaves no garbage behind to trigger another.
type idlePurge struct {
	quietTicks int   // cron ticks in a row without a command
	lastCmds   int64 // TotalCommands at the previous tick
	running    atomic.Bool
	samples    []metrics.Sample
}

// purgeGarbageShare: purge when at least live/4 (and purgeMinGarbage) can
// be given back: below that, it is not worth a collection's CPU.
const (
	purgeGarbageShare = 4
	purgeMinGarbage   = 4 << 20
)

// idlePurgeTick runs at every cron tick (srv.mu held).
func (s *Server) idlePurgeTick(hz int) {
	p := &s.purge
	cmds := s.eng.TotalCommands
	if cmds != p.lastCmds || s.loading {
		p.lastCmds, p.quietTicks = cmds, 0
		return
	}
	p.quietTicks++
	if p.quietTicks != hz || !s.set.IdlePurge {
		return // once per quiet spell, a second into it
	}
	if p.samples == nil {
		p.samples = []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"}, // live and not yet collected
			{Name: "/gc/heap/live:bytes"},                // live at the last collection
			{Name: "/memory/classes/heap/free:bytes"},    // free pages still held
		}
	}
	metrics.Read(p.samples)
	for _, v := range p.samples {
		if v.Value.Kind() != metrics.KindUint64 {
			return
		}
	}
	objects, live, free := p.samples[0].Value.Uint64(), p.samples[1].Value.Uint64(), p.samples[2].Value.Uint64()
	// What a purge can give back: the garbage, once collected, and the
	// free pages the runtime keeps for the heap's next growth (it returns
	// them only slowly, and not below its next collection's goal).
	reclaimable := free
	if objects > live {
		reclaimable += objects - live
	}
	if reclaimable < max(live/purgeGarbageShare, purgeMinGarbage) {
		return
	}
	s.purgeMemory()
}

// purgeMemory collects and returns every free page to the system, on a
// goroutine of its own: a collection of a large heap takes a while, and
// neither the event loop nor the lock holder may wait for it. A purge
// asked for while one runs is that one.
func (s *Server) purgeMemory() {
	p := &s.purge
	if !p.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer p.running.Store(false)
		debug.FreeOSMemory()
	}()
}
