package server

import (
	"time"

	"github.com/tandemdb/tandem/internal/command"
)

// Write holds: a pause of writes that a part of the server keeps until it
// lets go, beside CLIENT PAUSE's deadline. Redis keeps one pause per
// purpose (a client's CLIENT PAUSE, a FAILOVER, a SHUTDOWN waiting for its
// replicas) and the strongest applies; CLIENT UNPAUSE lifts only the
// client's. A hold is such a purpose: FAILOVER holds writes from the
// moment it starts waiting for a replica until it ends, however long, and
// CLIENT UNPAUSE does not end it.

// heldPauseStep is how long a held command waits before it looks again
// (waitPause sleeps at most this much at a time anyway).
const heldPauseStep = 20 * time.Millisecond

// HoldWrites pauses commands that write or may replicate (CLIENT PAUSE
// WRITE's set) from normal clients until ReleaseWrites(who) (srv.mu
// held). Replicas and the master link are never held.
func (s *Server) HoldWrites(who string) {
	if s.writeHolds == nil {
		s.writeHolds = map[string]bool{}
	}
	s.writeHolds[who] = true
}

// ReleaseWrites ends who's hold (srv.mu held). The commands it held run
// within heldPauseStep, unless another pause still applies to them.
func (s *Server) ReleaseWrites(who string) { delete(s.writeHolds, who) }

// WritesHeld reports whether who holds writes (srv.mu held).
func (s *Server) WritesHeld(who string) bool { return s.writeHolds[who] }

// pauseActive reports whether any pause may apply to a command (srv.mu
// held): a client on the event loop then leaves it, since it may wait.
func (s *Server) pauseActive() bool { return !s.pausedUntil.IsZero() || len(s.writeHolds) > 0 }

// heldFor reports how long a command must wait for the write holds
// (srv.mu held): 0, or a step after which it asks again.
func (s *Server) heldFor(spec *command.Spec) time.Duration {
	if len(s.writeHolds) > 0 && spec.Flags&(command.Write|command.MayReplicate) != 0 {
		return heldPauseStep
	}
	return 0
}
