package server

import (
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/keyspace"
)

// Write holds: a pause of writes that a part of the server keeps until it
// lets go, beside CLIENT PAUSE's deadline. Redis keeps one pause per
// purpose (a client's CLIENT PAUSE, a FAILOVER, a SHUTDOWN waiting for its
// replicas) and the strongest applies; CLIENT UNPAUSE lifts only the
// client's. A hold is such a purpose: FAILOVER holds writes from the
// moment it starts waiting for a replica until it ends, however long, and
// CLIENT UNPAUSE does not end it. A shutdown holds them while it waits
// for its replicas (shutdown.go).
//
// While any hold is on, the dataset stays still, as during Redis's
// pauses: a key whose time has passed is not deleted, neither by the
// active cycle nor when a client meets it (clients see it as missing, as
// on a replica), so nothing but replication's own PINGs and GETACKs moves
// the offset the holder waits for its replicas to reach. (CLIENT PAUSE
// does not stop expiry in Tandem yet.)

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
	s.refreshExpireMode()
}

// ReleaseWrites ends who's hold (srv.mu held). The commands it held run
// within heldPauseStep, unless another pause still applies to them.
func (s *Server) ReleaseWrites(who string) {
	delete(s.writeHolds, who)
	s.refreshExpireMode()
}

// MasterCommandPaused reports whether CLIENT PAUSE holds the next command of
// this replica's master link (srv.mu held), as Redis 7.0 postpones its
// master client like any other (only replicas are exempt): under PAUSE ALL
// every command, under PAUSE WRITE those that may replicate. held says the
// link is holding one now, so INFO counts it in blocked_clients. The
// failover write holds are a master's own and never apply here.
func (s *Server) MasterCommandPaused(sess *command.Session, args [][]byte) bool {
	held := false
	switch {
	case s.pausedUntil.IsZero():
	case !time.Now().Before(s.pausedUntil):
		s.unpause()
	case s.pauseAll:
		held = true
	default:
		if spec := s.eng.Table.Lookup(args[0]); spec != nil {
			held = mayReplicate(sess, spec.Gated(args))
		}
	}
	s.masterHeld = held
	return held
}

// MasterLinkReleased says the master link holds no command any more (srv.mu
// held): its link ended while a pause held it.
func (s *Server) MasterLinkReleased() { s.masterHeld = false }

// masterHeldCount is 1 while the master link holds a command (srv.mu held).
func (s *Server) masterHeldCount() int {
	if s.masterHeld {
		return 1
	}
	return 0
}

// WritesPaused reports whether writes from clients are paused now, by a
// hold or by CLIENT PAUSE (srv.mu held).
func (s *Server) WritesPaused() bool {
	return len(s.writeHolds) > 0 || (!s.pausedUntil.IsZero() && time.Now().Before(s.pausedUntil))
}

// refreshExpireMode sets who deletes expired keys from the role and the
// holds (srv.mu held): a replica leaves it to its master; a master whose
// writes are held, by a hold or by CLIENT PAUSE (as in Redis 7.0), leaves
// them in place until the pause ends: a deletion would be a write.
func (s *Server) refreshExpireMode() {
	if s.replica.Load() || len(s.writeHolds) > 0 || !s.pausedUntil.IsZero() {
		s.ks.SetExpireMode(keyspace.ExpireReplica)
	} else {
		s.ks.SetExpireMode(keyspace.ExpireMaster)
	}
}

// WritesHeld reports whether who holds writes (srv.mu held).
func (s *Server) WritesHeld(who string) bool { return s.writeHolds[who] }

// pauseActive reports whether any pause may apply to a command (srv.mu
// held): a client on the event loop then leaves it, since it may wait.
// Start-up outside a load counts: its clients wait (the load's answer
// -LOADING at once, and stay on the loop).
func (s *Server) pauseActive() bool {
	return !s.pausedUntil.IsZero() || len(s.writeHolds) > 0 || (s.starting && !s.loading)
}

// heldFor reports how long a command must wait for the write holds
// (srv.mu held): 0, or a step after which it asks again. writes says
// whether the command counts as a write (mayReplicate).
func (s *Server) heldFor(writes bool) time.Duration {
	if len(s.writeHolds) > 0 && writes {
		return heldPauseStep
	}
	return 0
}

// mayReplicate reports whether a command counts as a write for a write
// pause: flagged write or may-replicate, or EXEC of a transaction holding
// such a command (Redis's is_may_replicate_command).
func mayReplicate(sess *command.Session, spec *command.Spec) bool {
	if spec.Flags&(command.Write|command.MayReplicate) != 0 {
		return true
	}
	return spec.Name == "exec" && sess.QueuedMayReplicate()
}
