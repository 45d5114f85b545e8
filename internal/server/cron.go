package server

import (
	"time"

	"github.com/tandemdb/tandem/internal/ticks"
)

// cron is the periodic cycle, hz times a second: access clock, active
// expiry in small steps (releasing the lock between steps so no client
// waits long), idle-client timeouts, rehashing, ops/sec sampling.
func (s *Server) cron() {
	defer s.wg.Done()
	s.mu.Lock() // CONFIG SET replaces s.set under the lock
	hz := cronHz(s.set.Hz)
	s.mu.Unlock()
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		s.mu.Lock()
		// Checked under the lock: a tick that waited for the lock while
		// SHUTDOWN saved must not propagate anything after the save.
		if s.stopping.Load() || s.cronPaused.Load() {
			s.mu.Unlock()
			continue
		}
		// CONFIG SET hz takes effect at the next tick, as in Redis.
		if h := cronHz(s.set.Hz); h != hz {
			hz = h
			t.Reset(time.Second / time.Duration(hz))
		}
		s.ks.Tick()
		ticks.Verify() // the counter nested commands are timed with
		if !s.pausedUntil.IsZero() && !time.Now().Before(s.pausedUntil) {
			s.unpause() // a CLIENT PAUSE that ran out: expiry resumes
		}
		s.sampleOps()
		for _, db := range s.ks.DBs {
			db.Resize(100)
		}
		s.clientTimeouts()
		s.outputLimits()
		s.trackingLimit(s.set.TrackingTableMaxKeys)
		s.resizeBuffers(time.Now())
		s.clientMemCron()
		s.lazyfreeTick(time.Now())
		s.idlePurgeTick(hz)
		for _, j := range s.parts.Cron {
			j.Cron()
		}
		off := s.activeExpireOff
		s.mu.Unlock()
		if !off {
			s.activeExpire(time.Second / time.Duration(hz) / 4)
		}
	}
}

// activeExpire runs Redis's slow expiry cycle within budget: sample 20 keys
// with a TTL per database, repeat while more than a quarter of a sample had
// expired.
func (s *Server) activeExpire(budget time.Duration) {
	start := time.Now()
	deadline := start.Add(budget)
	defer func() {
		if ms := time.Since(start).Milliseconds(); ms > 0 {
			s.mu.Lock()
			s.LatencySample("expire-cycle", ms)
			s.mu.Unlock()
		}
	}()
	for {
		more := false
		s.mu.Lock()
		if s.stopping.Load() {
			s.mu.Unlock()
			return
		}
		for _, db := range s.ks.DBs {
			sampled, expired := db.ExpireSample(20)
			if sampled > 0 && expired*4 > sampled {
				more = true
			}
		}
		s.mu.Unlock()
		if !more || time.Now().After(deadline) {
			return
		}
	}
}

func (s *Server) sampleOps() {
	now := time.Now()
	total := s.eng.TotalCommands
	if !s.stats.lastSample.IsZero() {
		dt := now.Sub(s.stats.lastSample).Seconds()
		if dt > 0 {
			s.stats.opsSamples[s.stats.opsIdx%len(s.stats.opsSamples)] = int64(float64(total-s.stats.lastOps) / dt)
			s.stats.opsIdx++
		}
	}
	s.stats.lastOps = total
	s.stats.lastSample = now
}

func (s *Server) instantaneousOps() int64 {
	n := len(s.stats.opsSamples)
	if s.stats.opsIdx < n {
		n = s.stats.opsIdx
	}
	if n == 0 {
		return 0
	}
	var sum int64
	for i := 0; i < n; i++ {
		sum += s.stats.opsSamples[i]
	}
	return sum / int64(n)
}

// cronHz is the tick rate for the hz setting: Redis's range 1..500 (CONFIG
// SET refuses values outside it; a zero setting from an embedder means the
// default, 10).
func cronHz(hz int) int {
	switch {
	case hz <= 0:
		return 10
	case hz > 500:
		return 500
	}
	return hz
}
