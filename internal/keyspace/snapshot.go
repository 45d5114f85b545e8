package keyspace

// A snapshot is a point-in-time image of every database, produced while
// clients keep reading and writing, without fork and without copying the
// dataset.
//
// Taking one is O(number of databases): the keyspace epoch is bumped and
// each database's current table is recorded. Every node stamped with an
// older epoch belongs to the snapshot. From then on:
//
//   - A walker (Snapshot.Step, called under the server lock in short steps by
//     a background goroutine) visits each recorded table with the scan
//     cursor and hands every node it has not seen to the Sink, stamping it.
//   - A write that is about to change or remove a node not yet stamped hands
//     that node to the Sink first (beforeWrite), so the snapshot keeps the
//     value as it was at its instant.
//   - A node created after the instant carries the new epoch and is skipped.
//   - A database emptied or swapped during the snapshot keeps its recorded
//     table: the walker still reads the old table, which nothing else
//     touches any more.
//
// The Sink serializes at once (the value may change right after), so memory
// held by a snapshot is what the Sink has produced and not yet written: the
// caller paces Step by how much output is waiting. No command waits for
// more than one node's serialization.

// Sink receives the snapshot's keys. Key is called with the server lock
// held, at most once per key, with the database number at the snapshot
// instant and the key's expiry then (-1 for none). It must not keep e: it
// serializes the value before returning.
type Sink interface {
	Key(db int, e *Entry, expireAt int64)
}

// Snapshot is a running point-in-time snapshot.
type Snapshot struct {
	ks     *Keyspace
	epoch  uint32
	sink   Sink
	tables []snapTable
	cur    int    // index in tables being walked
	cursor uint64 // scan cursor within tables[cur]
	done   bool
	// Keys counts keys handed to the sink.
	Keys int64
	// Captured counts keys handed over by writes ahead of the walker.
	Captured int64
}

type snapTable struct {
	db      int
	dict    *dict
	expires map[string]int64
}

// snapshotState is the keyspace's view of the running snapshot.
type snapshotState struct {
	snap *Snapshot
}

// Snapshot starts a snapshot at this instant of the command stream (lock
// held). Only one runs at a time: it returns nil while another is running.
// The caller must call Step until it reports done, or Abort.
func (ks *Keyspace) Snapshot(sink Sink) *Snapshot {
	if ks.snap != nil {
		return nil
	}
	ks.lastEpoch++
	s := &Snapshot{ks: ks, epoch: ks.lastEpoch, sink: sink}
	for _, db := range ks.DBs {
		s.tables = append(s.tables, snapTable{db: db.ID, dict: db.dict, expires: db.expires})
	}
	ks.snap = &snapshotState{snap: s}
	return s
}

// Sizes reports, per database at the snapshot instant, its number of keys
// and of keys with an expiry (for RESIZEDB hints). Call before the first Step.
func (s *Snapshot) Sizes() [][2]int {
	out := make([][2]int, len(s.tables))
	for i, t := range s.tables {
		out[i] = [2]int{t.dict.len(), len(t.expires)}
	}
	return out
}

// Running reports whether a snapshot is in progress.
func (ks *Keyspace) Running() *Snapshot {
	if ks.snap == nil {
		return nil
	}
	return ks.snap.snap
}

// Step walks about n buckets (lock held) and reports whether the snapshot
// is complete. Keys of one database are handed to the sink in one run, so a
// serializer can group them under one SELECTDB, except for keys captured by
// writes, which arrive whenever the write happens.
func (s *Snapshot) Step(n int) bool {
	for !s.done && n > 0 {
		if s.cur >= len(s.tables) {
			s.finish()
			break
		}
		t := &s.tables[s.cur]
		if t.dict.len() == 0 {
			s.cur++
			s.cursor = 0
			continue
		}
		s.cursor = t.dict.scan(s.cursor, func(e *node) { s.visit(t, e) })
		n--
		if s.cursor == 0 {
			s.cur++
		}
	}
	return s.done
}

// CurrentDB is the database the walker is in (for grouping output).
func (s *Snapshot) CurrentDB() int {
	if s.cur < len(s.tables) {
		return s.tables[s.cur].db
	}
	return -1
}

func (s *Snapshot) visit(t *snapTable, e *node) {
	if e.ver >= s.epoch {
		return
	}
	e.ver = s.epoch
	when := int64(-1)
	if w, ok := t.expires[e.key]; ok {
		when = w
	}
	s.Keys++
	s.sink.Key(t.db, e, when)
}

func (s *Snapshot) finish() {
	s.done = true
	if s.ks.snap != nil && s.ks.snap.snap == s {
		s.ks.snap = nil
	}
	s.tables = nil
}

// Abort stops the snapshot early (lock held); its output is incomplete.
func (s *Snapshot) Abort() { s.finish() }

// epoch returns the stamp for new nodes: the running snapshot's epoch, so a
// node created during a snapshot is never part of it.
func (ks *Keyspace) epoch() uint32 { return ks.lastEpoch }

// beforeWrite must be called before e's value, expiry or presence changes.
func (db *DB) beforeWrite(e *node) {
	st := db.ks.snap
	if st == nil || e.ver >= st.snap.epoch {
		return
	}
	s := st.snap
	for i := range s.tables {
		if s.tables[i].dict == db.dict {
			s.Captured++
			s.visit(&s.tables[i], e)
			return
		}
	}
	// The table is not one the snapshot recorded: the node was created in
	// a table made after the instant, so it was never part of it.
	e.ver = s.epoch
}

// detachForSnapshot is called before a database drops its table. The
// snapshot keeps its own reference to the recorded table, so there is
// nothing to copy.
func (db *DB) detachForSnapshot() {}
