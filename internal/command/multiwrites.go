package command

// QueuedMayReplicate reports whether the transaction queued so far holds a
// write, or a command that may replicate (PUBLISH): Redis 7.0 holds such an
// EXEC during a write pause (CLIENT PAUSE WRITE, a shutdown waiting for its
// replicas) as it holds the writes themselves, since running it would change
// the dataset and the replication offset the pause keeps still.
func (s *Session) QueuedMayReplicate() bool {
	for _, q := range s.multi {
		// A script counts with its declared flags (a no-writes EVAL does
		// not hold the EXEC), as Redis's getCommandFlags gives them.
		if q.spec.gated(q.args).Flags&(Write|MayReplicate) != 0 {
			return true
		}
	}
	return false
}
