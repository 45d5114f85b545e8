package keyspace

// snapshotState is the copy-on-write side of a point-in-time snapshot.
//
// A snapshot is taken at an instant of the command stream by bumping the
// keyspace epoch: every node older than the new epoch belongs to the
// snapshot. Before a write changes or removes such a node, beforeWrite hands
// the node's current value to capture (which must serialize it at once, as
// the value is about to change) and stamps the node with the epoch, so the
// background walker skips it. A flushed database's old table is handed over
// whole. Nothing is copied unless a write races the walker, so memory stays
// bounded by what waits to be written.
type snapshotState struct {
	epoch uint32
	// capture is called with the lock held for each node about to change
	// that the snapshot has not serialized yet; dbTable identifies the table
	// (and so the database number at the snapshot instant).
	capture func(table *dict, e *node)
	// detached is called when a database's table is replaced (FLUSHDB,
	// FLUSHALL, a full sync load) while the snapshot still needs it.
	detached func(db *DB, table *dict, expires map[string]int64)
}

// epoch returns the stamp for new nodes: the current snapshot epoch, so a
// node created during a snapshot is never part of it.
func (ks *Keyspace) epoch() uint32 {
	if ks.snap != nil {
		return ks.snap.epoch
	}
	return ks.lastEpoch
}

// beforeWrite must be called before e's value, TTL or presence changes.
func (db *DB) beforeWrite(e *node) {
	s := db.ks.snap
	if s == nil || e.ver >= s.epoch {
		return
	}
	s.capture(db.dict, e)
	e.ver = s.epoch
}

// detachForSnapshot hands the current table to a running snapshot before
// the database drops it.
func (db *DB) detachForSnapshot() {
	if s := db.ks.snap; s != nil && s.detached != nil {
		s.detached(db, db.dict, db.expires)
	}
}
