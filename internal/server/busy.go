package server

import "time"

// A busy script (past busy-reply-threshold) holds srv.mu while it runs;
// Yield is how it lets other clients in, as Redis's
// processEventsWhileBlocked does: their commands run (and mostly get BUSY
// from the scripting gate) while the script is suspended between two of
// its Lua instructions.

// busyPause is how long a yield leaves the lock free for clients served
// on their own goroutines (and background work) to take it.
const busyPause = 200 * time.Microsecond

// Yield implements script.Yielder (srv.mu held on entry and on return).
// When the script runs on the event loop's goroutine, the loop cannot
// serve its other clients meanwhile, so Yield does one round of it here,
// leaving the script's own client alone (its batch is under way).
func (s *Server) Yield() {
	cur := s.running
	batch := s.clientBatch
	s.eng.ChainClock(false)
	s.clientBatch = false
	s.mu.Unlock()
	if cur != nil && cur.mode == modeLoop && s.loop != nil {
		s.loop.busyRound(cur)
	} else {
		time.Sleep(busyPause)
	}
	s.mu.Lock()
	s.running = cur
	s.clientBatch = batch
	if batch {
		s.eng.ChainClock(true)
	}
}
