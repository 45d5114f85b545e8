package repl

// Waiting for replicas to acknowledge the master's offset, as a shutdown
// does before it exits (server.ReplicaWaiter). The waiting itself (the
// write hold, the deadline) is the server's; this reports where each
// replica stands, by the same rule as FAILOVER (caughtUp), and asks them
// to say.

import (
	"time"

	"github.com/tandemdb/tandem/internal/server"
)

var _ server.ReplicaWaiter = (*Manager)(nil)

// ReplicaOffsets implements server.ReplicaWaiter (lock held): our
// replication offset and where every attached replica stands, in the
// order Redis lists them (oldest first). A replica is in sync when it is
// online and has acknowledged every byte of our stream that carries data
// (caughtUp): Redis asks for an ACK equal to our offset, which a replica
// answering our GETACK misses by that GETACK's own bytes until its next
// periodic ACK, up to a second later. On a replica it reports its own
// sub-replicas against the offset it has applied, as Redis does.
func (m *Manager) ReplicaOffsets() (int64, []server.ReplicaOffset) {
	list := m.sortedReplicas()
	out := make([]server.ReplicaOffset, 0, len(list))
	now := time.Now()
	for _, r := range list {
		ro := server.ReplicaOffset{Name: r.name(), Ack: r.ackOff, State: r.state, InSync: m.caughtUp(r)}
		if r.state == stateOnline {
			ro.Lag = int64(now.Sub(r.ackTime).Seconds())
		}
		out = append(out, ro)
	}
	return m.id.Offset, out
}

// RequestAcks implements server.ReplicaWaiter (lock held): it feeds
// REPLCONF GETACK * to the replicas, which answer with their offset at
// once instead of at their next second. Nothing is fed on a replica (its
// stream is its master's) or before any replica ever attached.
func (m *Manager) RequestAcks() {
	if m.link != nil || m.backlog == nil {
		return
	}
	m.Propagate(m.selDB, [][]byte{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")})
}

// FlushReplicas implements server.ReplicaWaiter: it writes what each
// online replica has not been sent yet, as far as its socket takes it
// without waiting (Redis's best-effort flushSlavesOutputBuffers before
// exiting). Any goroutine, lock held or not.
func (m *Manager) FlushReplicas() { m.flushStreams() }
