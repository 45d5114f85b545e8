package keyspace

import (
	"math/bits"
	"time"
)

// A snapshot is a point-in-time image of every database, produced while
// clients keep reading and writing, without fork and without copying the
// dataset.
//
// Taking one is O(number of databases): the keyspace epoch is bumped and
// each database's current table is recorded. Every node stamped with an
// older epoch belongs to the snapshot. From then on:
//
//   - A walker (Snapshot.Step, called under the server lock in short steps by
//     a background goroutine) visits each recorded table, hash class by hash
//     class (see walk), and hands every node it has not seen to the Sink,
//     stamping it.
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
	cur    int // index in tables being walked
	done   bool
	// aborted: Abort stopped the walk before the end.
	aborted bool
	// Progress in tables[cur]: every node whose hash modulo 2^width is
	// below pos has been handed over (see walk). width < 0: not started.
	width int
	pos   uint64
	// Keys counts keys handed to the sink.
	Keys int64
	// Captured counts keys handed over by writes ahead of the walker.
	Captured int64

	heads   []*node // scratch for walk: the chains of one pass
	ahead   []*node // scratch for walk: the nodes of one pass
	touched byte    // what walk read, so that its loads are not dropped
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
	start := time.Now()
	defer func() {
		ks.SnapshotsTaken++
		ks.LastSnapshotTook = time.Since(start)
	}()
	ks.lastEpoch++
	s := &Snapshot{ks: ks, epoch: ks.lastEpoch, sink: sink, width: -1}
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
		if t.dict.len() == 0 || s.walk(t, &n) {
			// An empty table is finished too: whatever it held at the
			// instant was handed over before it went.
			s.cur++
			s.width, s.pos = -1, 0
		}
	}
	return s.done
}

// walkAhead is about how many buckets walk reads before serializing any.
const walkAhead = 64

// walk visits about min(*n, walkAhead) buckets of t's table, at least one,
// deducting them from *n, and reports whether the table is finished.
//
// Order. The walk is linear in the table, for the memory system's sake,
// and still safe against the table growing, shrinking and rehashing
// between steps. Its progress is a set of hash classes: every node whose
// hash h has h mod 2^width < pos has been handed over (or captured), where
// 2^width is at most the size of every table the keys are in. A bucket of
// a table of size 2^c >= 2^width holds keys of one class, h mod 2^width ==
// bucket mod 2^width; so class q is visited by visiting the buckets q,
// q+2^width, q+2*2^width... of each table, which covers every node of the
// class wherever rehashing has put it. If a table smaller than 2^width
// appears (a shrink), the progress is restated for the smaller width: a
// class of it spans 2^(width-c) old classes, spread 2^c apart, so the
// classes below pos - (2^width - 2^c) are entirely done. Keys seen twice
// that way are skipped by their stamp.
//
// Misses. Keys sit anywhere in the heap, so nearly every node and string
// read misses the cache. Serializing each key as it is reached would pay
// those misses one after the other; instead walk reads the bucket heads,
// then the nodes of the chains level by level, then the first byte of
// every key and string value, each pass a run of independent loads whose
// misses overlap, and only then hands the keys over, from cache.
func (s *Snapshot) walk(t *snapTable, n *int) bool {
	d := t.dict
	w := bits.Len(uint(len(d.tables[0]))) - 1
	if d.rehashing() {
		w = min(w, bits.Len(uint(len(d.tables[1])))-1)
	}
	switch {
	case s.width < 0:
		s.width, s.pos = w, 0
	case w < s.width:
		drop := uint64(1)<<s.width - uint64(1)<<w
		s.pos = max(s.pos, drop) - drop
		s.width = w
	}
	classes := uint64(1) << s.width
	perClass := len(d.tables[0]) >> s.width
	if d.rehashing() {
		perClass += len(d.tables[1]) >> s.width
	}
	k := uint64(max(1, min(*n, walkAhead)/perClass))
	k = min(k, classes-s.pos)

	heads := s.heads[:0]
	for ti := range 2 {
		tab := d.tables[ti]
		if tab == nil || (ti == 1 && !d.rehashing()) {
			continue
		}
		for base := s.pos; base < uint64(len(tab)); base += classes {
			for _, h := range tab[base : base+k] {
				if h != nil {
					heads = append(heads, h)
				}
			}
		}
	}
	s.pos += k
	*n -= int(k) * perClass

	nodes := append(s.ahead[:0], heads...)
	for from := 0; from < len(nodes); {
		to := len(nodes)
		for _, e := range nodes[from:to] {
			if e.next != nil {
				nodes = append(nodes, e.next)
			}
		}
		from = to
	}
	var sum byte
	for _, e := range nodes {
		if e.kv != nil {
			sum += *(*byte)(e.kv) // the key and a plain value share it
		}
	}
	s.touched += sum
	clear(nodes)
	s.ahead = nodes[:0]

	for _, h := range heads {
		for e := h; e != nil; {
			next := e.next
			s.visit(t, e)
			e = next
		}
	}
	clear(heads)
	s.heads = heads[:0]
	return s.pos == classes
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
	if w, ok := t.expires[e.keyStr()]; ok {
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

// Abort stops the snapshot early (lock held); its output is incomplete,
// and Aborted tells the writer so, so it never passes for a whole image.
func (s *Snapshot) Abort() {
	s.aborted = true
	s.finish()
}

// Aborted reports whether Abort stopped the snapshot (lock held).
func (s *Snapshot) Aborted() bool { return s.aborted }

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

// Bulk loading (RDB files, full syncs). Like the walker above, it works on
// the table directly to keep its cache misses overlapping; the semantics
// are those of the ordinary write methods.

// maxReserve caps a size hint taken from a file, so that a forged hint
// cannot allocate more than a 128 MB table ahead of keys actually read;
// beyond it the table grows as usual. maxReserveExpires does the same for
// the expiry map, whose entries cost about 50 bytes each: a 31-byte file
// with a forged RESIZEDB allocated 980 MB when both used maxReserve.
const (
	maxReserve        = 1 << 24
	maxReserveExpires = 1 << 20
)

// Reserve sizes db's table for keys more keys (and its expiry map for
// expires more), so that a load does not rehash as it goes: the RESIZEDB
// hint of an RDB file, as Redis's dictExpand on load.
func (db *DB) Reserve(keys, expires uint64) {
	d := db.dict
	if want := min(keys, maxReserve) + uint64(d.len()); !d.rehashing() && want > uint64(len(d.tables[0])) {
		d.resize(int(want))
	}
	// The map can only be replaced while nothing else refers to it.
	if expires > 0 && len(db.expires) == 0 && db.ks.snap == nil {
		db.expires = make(map[string]int64, min(expires, maxReserveExpires))
	}
}

// A BulkLoader inserts keys read from a file (RDB loading, full syncs).
// Add prepares a key without touching the keyspace, so it needs no lock;
// Flush, with the lock held, inserts what was added, in order. Inserting
// many keys at once lets Flush fetch the table slots and chains of a whole
// group before inserting, so that their cache misses overlap instead of
// being paid one after the other: on a big table nearly every insert
// misses, and that used to be most of a load's time. The result is what
// SetString or SetValue (without keepTTL) then SetExpire would give.
type BulkLoader struct {
	items   []bulkItem
	touched byte // what Flush read, so that its loads are not dropped
}

type bulkItem struct {
	db     *DB
	n      *node
	h      uint64
	at     int64
	expire bool
	// idle and freq are the access field the file carried (-1: none).
	idle, freq int64
}

// bulkGroup is how many inserts have their misses overlapped.
const bulkGroup = 32

// Add prepares key for insertion into db: a plain string str when val is
// nil, else val; an expiry when hasExpire. key and str are copied.
func (b *BulkLoader) Add(db *DB, key, str []byte, val any, expireAt int64, hasExpire bool) {
	n := newNode(key, str, val)
	b.items = append(b.items, bulkItem{db: db, n: n, h: db.dict.hash(key), at: expireAt, expire: hasExpire, idle: -1, freq: -1})
}

// SetAccess gives the key added last the idle time (seconds) or LFU
// counter its file carried (RDB's IDLE and FREQ; -1: none), applied as
// Keyspace.SetAccess when it is inserted.
func (b *BulkLoader) SetAccess(idle, freq int64) {
	if len(b.items) > 0 {
		it := &b.items[len(b.items)-1]
		it.idle, it.freq = idle, freq
	}
}

// Len is the number of keys added and not yet flushed.
func (b *BulkLoader) Len() int { return len(b.items) }

// Flush inserts the keys added since the last Flush (lock held).
func (b *BulkLoader) Flush() {
	items := b.items
	for len(items) > 0 {
		g := items[:min(len(items), bulkGroup)]
		items = items[len(g):]
		// Touch the slot of each key, then the nodes of its chain level by
		// level and their keys (the duplicate check compares them): runs
		// of loads independent of one another, so the misses overlap. The
		// sum only keeps the loads from being optimized away.
		var chain [bulkGroup]*node
		for i := range g {
			d := g[i].db.dict
			tab := d.tables[0]
			if d.rehashing() {
				tab = d.tables[1]
			}
			if len(tab) > 0 {
				chain[i] = tab[g[i].h&uint64(len(tab)-1)]
			}
		}
		var sum byte
		for more := true; more; {
			more = false
			for i, e := range chain {
				if e != nil {
					if e.kv != nil {
						sum += *(*byte)(e.kv)
					}
					chain[i] = e.next
					more = more || e.next != nil
				}
			}
		}
		b.touched += sum
		for i := range g {
			g[i].db.insertLoaded(&g[i])
		}
	}
	clear(b.items)
	b.items = b.items[:0]
}

func (db *DB) insertLoaded(it *bulkItem) {
	d, n := db.dict, it.n
	if d.rehashing() {
		d.rehashStep(2) // the pace of find then insert
	}
	if d.len() > 0 && d.findHashed(n.keyStr(), it.h) != nil {
		// A repeated key (Redis refuses those): the general path.
		db.set([]byte(n.keyStr()), n.strv(), n.val, false)
		if it.expire {
			db.SetExpire([]byte(n.keyStr()), it.at)
		}
		return
	}
	n.lru, n.ver = db.ks.newAccess(), db.ks.epoch()
	if it.idle >= 0 || it.freq >= 0 {
		db.ks.SetAccess(n, it.idle, it.freq)
	}
	d.insertHashed(n, it.h)
	db.account(n)
	if it.expire {
		db.expires[n.keyStr()] = it.at
	}
}

// findHashed is find for a key whose hash is h, without a rehash step.
func (d *dict) findHashed(key string, h uint64) *node {
	for t := 0; t < 2; t++ {
		tab := d.tables[t]
		if tab == nil {
			break
		}
		for e := tab[h&uint64(len(tab)-1)]; e != nil; e = e.next {
			if e.is(key, h) {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// insertHashed is insert for a node whose key hashes to h, without a
// rehash step.
func (d *dict) insertHashed(n *node, h uint64) {
	d.expandIfNeeded()
	t := 0
	if d.rehashing() {
		t = 1
	}
	tab := d.tables[t]
	n.lru = n.lru&accessMask | hashTag(h)
	idx := h & uint64(len(tab)-1)
	n.next = tab[idx]
	tab[idx] = n
	d.used[t]++
}
