package command

// QueuedMayReplicate reports whether the transaction queued so far holds a
// write, or a command that may replicate (PUBLISH): Redis 7.0 holds such an
// EXEC during a write pause (CLIENT PAUSE WRITE, a shutdown waiting for its
// replicas) as it holds the writes themselves, since running it would change
// the dataset and the replication offset the pause keeps still.
func (s *Session) QueuedMayReplicate() bool {
	for _, q := range s.multi {
		if q.spec.Flags&(Write|MayReplicate) != 0 {
			return true
		}
	}
	return false
}
