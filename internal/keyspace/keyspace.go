// Package keyspace holds Tandem's databases: keys, values, millisecond
// expiry (lazy on access and active in the background), and the Observer
// the rest of the server needs when a key changes (WATCH, blocked clients,
// propagation of expiries) and when a snapshot is running.
//
// Locking: a Keyspace is not safe for concurrent use. The server serializes
// every command under one lock (the command stream is a total order, which
// replication and snapshots depend on); every method here must be called
// with that lock held.
package keyspace

import (
	"hash/maphash"
	"time"
	"unsafe"
)

// Bytes is a string value that has been mutated in place (APPEND, SETRANGE,
// SETBIT): a growable buffer, so repeated appends are amortized O(1) rather
// than copying the whole value each time.
type Bytes struct {
	B []byte
	// Verbatim marks a string stored as written, never read as an integer
	// (INCRBYFLOAT's result: Redis keeps it as a string object, so OBJECT
	// ENCODING answers embstr or raw even for "3"). Mutating it in place
	// clears the mark.
	Verbatim bool
}

// Entry is one key and its value. A plain string value is kept in the
// entry itself; other types (and mutable strings) in Val. The pointer stays
// valid until the key is deleted or overwritten.
type Entry = node

// Key returns the entry's key.
func (e *Entry) Key() string { return e.keyStr() }

// Val returns the value: nil for a plain string (see Str), *Bytes for a
// mutable string, or a collection type.
func (e *Entry) Val() any { return e.val }

// IsString reports whether the entry holds a string value.
func (e *Entry) IsString() bool {
	if e.val == nil {
		return true
	}
	_, ok := e.val.(*Bytes)
	return ok
}

// Str returns a string value's contents. For a mutable string the result
// aliases its buffer: it is valid until the value is next modified.
func (e *Entry) Str() string {
	if b, ok := e.val.(*Bytes); ok {
		return unsafe.String(unsafe.SliceData(b.B), len(b.B))
	}
	return e.strv()
}

// Observer is told what the keyspace cannot handle itself; the command
// engine implements it (and sets it when it is built).
type Observer interface {
	// KeyModified is called after a key's value changed or the key was
	// removed (WATCH invalidation, waking blocked clients).
	KeyModified(db *DB, key []byte)
	// KeyExpired is called after a key was deleted because its time
	// passed, on a master only (propagate a DEL to replicas and the AOF),
	// before KeyModified.
	KeyExpired(db *DB, key string)
}

// Keyspace is the set of databases plus the state shared by all of them.
type Keyspace struct {
	DBs []*DB
	// Observer is told of modified and expired keys (nil: nobody).
	Observer Observer
	// OnNew is told of every key a command creates (keyspace events of
	// class "new"; nil: nobody). Loads do not tell it.
	OnNew func(db *DB, key []byte)
	// OnMiss is told of every read lookup that found no key (keyspace
	// events of class "keymiss"; nil: nobody).
	OnMiss func(db *DB, key []byte)
	// Dirty counts changes since the last successful save (and lets the
	// dispatcher tell whether a command wrote anything).
	Dirty int64
	// Lazy is the lazyfree-lazy-* settings and lazyfreed_objects
	// (lazyfree.go).
	Lazy LazyFree
	// expireMode says who removes keys whose time has passed (see
	// ExpireMode).
	expireMode ExpireMode
	// FromMaster is set while applying commands received from our master
	// (or replayed by the AOF loader, which runs as one): outside
	// ExpireMaster, those see logically expired keys as present, as Redis
	// does.
	FromMaster bool
	// fixedNow replaces the clock in tests (SetNow).
	fixedNow func() int64
	// cmdNow, when not 0, is the time (ms) of the command being run: every
	// expiry decision within one command, a script's many calls included,
	// uses it, as Redis's do (a key cannot expire half-way through a
	// script, which would make its effects depend on timing).
	cmdNow int64
	// clockBase is a wall-clock reading with its monotonic part;
	// clockBaseNs its Unix time in ns. Now derives the wall clock from
	// one monotonic reading, which is cheaper, and Tick re-reads the
	// base so a stepped system clock is followed within a cycle.
	clockBase   time.Time
	clockBaseNs int64
	// Ticks counts Ticks: an Elapsed reading compares with another only
	// under the same count (same base).
	Ticks uint64

	seed  maphash.Seed
	clock uint32
	snap  *snapshotState
	// lastEpoch is the epoch of the most recent snapshot.
	lastEpoch uint32
	// SnapshotsTaken and LastSnapshotTook count the snapshots begun and how
	// long the latest took to begin (lock held): INFO's total_forks and
	// latest_fork_usec, a snapshot being Tandem's fork.
	SnapshotsTaken   int64
	LastSnapshotTook time.Duration
	// ExpiredKeys counts keys removed by expiry (INFO expired_keys).
	ExpiredKeys int64
	// Hits and Misses count key lookups (INFO keyspace_hits/misses).
	Hits, Misses int64
	// lfu: entries' access fields hold LFU counters (lru.go), with
	// lfu-log-factor and lfu-decay-time.
	lfu                        bool
	lfuLogFactor, lfuDecayTime int
	// noSharedInts: see SetSharedIntegers.
	noSharedInts bool
	// lruPolicy: an LRU policy is in force (see SetLRUPolicy).
	lruPolicy bool
	// overLimit: see SetOverLimit.
	overLimit func(more int64) bool
	// spares are evicted nodes kept for new keys (recycle.go).
	spares spareNodes
}

// New returns a keyspace with n empty databases.
func New(n int) *Keyspace {
	ks := &Keyspace{seed: maphash.MakeSeed()}
	ks.clockBase = time.Now()
	ks.clockBaseNs = ks.clockBase.UnixNano()
	ks.DBs = make([]*DB, n)
	for i := range ks.DBs {
		ks.DBs[i] = &DB{ID: i, ks: ks, dict: newDict(ks.seed), expires: map[string]int64{}}
		ks.DBs[i].dict.ks = ks
	}
	ks.clock = uint32(time.Now().Unix())
	return ks
}

// Tick advances the access clock; the server calls it from its periodic
// cycle so lookups need not read the time.
func (ks *Keyspace) Tick() {
	ks.Ticks++
	ks.clockBase = time.Now()
	ks.clockBaseNs = ks.clockBase.UnixNano()
	ks.clock = uint32(ks.clockBase.Unix())
}

// Elapsed is a monotonic reading: the time since the clock base.
func (ks *Keyspace) Elapsed() time.Duration { return time.Since(ks.clockBase) }

// TimeAt is the time of the monotonic reading el (with its monotonic
// reading, so that time.Since of it is monotonic too).
func (ks *Keyspace) TimeAt(el time.Duration) time.Time { return ks.clockBase.Add(el) }

// NowAt is the Unix time in ms at the monotonic reading el.
func (ks *Keyspace) NowAt(el time.Duration) int64 {
	if ks.fixedNow != nil {
		return ks.fixedNow()
	}
	// Summed in nanoseconds, then truncated once, as Redis's mstime is:
	// truncating the base and the elapsed time apart left the clock up to
	// a millisecond behind the wall clock (a TTL set with PXAT now+10000
	// then read 10001).
	return (ks.clockBaseNs + int64(el)) / int64(time.Millisecond)
}

// Now is the Unix time in ms (expiry decisions).
func (ks *Keyspace) Now() int64 { return ks.NowAt(ks.Elapsed()) }

// SetCommandTime fixes the time of expiry decisions to ms for the command
// about to run (0: the live clock again, between commands).
func (ks *Keyspace) SetCommandTime(ms int64) { ks.cmdNow = ms }

// expiryNow is the time expiry decisions use: the running command's, or
// the live clock outside commands (active expiry, snapshots).
func (ks *Keyspace) expiryNow() int64 {
	if ks.cmdNow != 0 {
		return ks.cmdNow
	}
	return ks.Now()
}

// SetNow replaces the clock (tests).
func (ks *Keyspace) SetNow(f func() int64) { ks.fixedNow = f }

// Clock returns the access clock in seconds.
func (ks *Keyspace) Clock() uint32 { return ks.clock }

// DB is one numbered database.
type DB struct {
	ID      int
	ks      *Keyspace
	dict    *dict
	expires map[string]int64 // unix ms; keys share their string with dict
	// replicaTTL holds the keys this replica's own clients gave a TTL
	// (replicattl.go).
	replicaTTL map[string]struct{}
	// AvgTTL is a running estimate of the average TTL of keys with an
	// expiry, kept by the active expiry cycle (INFO keyspace avg_ttl).
	AvgTTL int64
	// used, valued, sizes and pending are the dataset account
	// (memory.go): valued counts the entries with a value other than a
	// plain string, sizes holds their figures of 4 GiB and more.
	used    int64
	valued  int
	sizes   map[*node]int64
	pending *node
}

// Keyspace returns the keyspace the database belongs to.
func (db *DB) Keyspace() *Keyspace { return db.ks }

// Len is the number of keys (including logically expired ones not yet removed).
func (db *DB) Len() int { return db.dict.len() }

// ExpiresLen is the number of keys with an expiry.
func (db *DB) ExpiresLen() int { return len(db.expires) }

// expireIfNeeded reports whether e's time has passed, so that the caller
// treats it as missing, and deletes it when this server decides expiry
// (ExpireMaster). Otherwise the key stays, hidden from everyone but the
// commands of our master (FromMaster), which see it as present.
func (db *DB) expireIfNeeded(e *node) bool { return db.expireIfNeededFor(e, false) }

// expireIfNeededFor is expireIfNeeded for a lookup that is about to write:
// on a replica, a client's write deletes an expired key, as Redis's
// lookupKeyWrite does on a writable replica (replicattl.go).
func (db *DB) expireIfNeededFor(e *node, write bool) bool {
	when, ok := db.expires[e.keyStr()]
	if !ok || when > db.ks.expiryNow() {
		return false
	}
	if db.ks.expireMode != ExpireMaster {
		if !(write && db.ks.expireMode == ExpireReplica && !db.ks.FromMaster) {
			return !db.ks.FromMaster
		}
	}
	db.deleteExpired(e)
	return true
}

// deleteExpired deletes e, whose time has passed, and tells the observer.
func (db *DB) deleteExpired(e *node) {
	key := e.keyStr()
	db.ks.Lazy.Note(e.val, db.ks.Lazy.Expire)
	db.delete([]byte(key))
	db.ks.ExpiredKeys++
	if o := db.ks.Observer; o != nil {
		o.KeyExpired(db, key)
		o.KeyModified(db, []byte(key))
	}
}

// Lookup returns the entry for key for reading, or nil. An expired key is
// removed (on a master) and reported missing.
func (db *DB) Lookup(key []byte) *Entry { return db.lookup(key, true) }

// lookup finds a live key; only read lookups count keyspace hits and
// misses, as Redis's lookupKeyRead does.
func (db *DB) lookup(key []byte, read bool) *Entry {
	e := db.dict.find(key)
	if e == nil {
		if read {
			db.miss(key)
		}
		return nil
	}
	if len(db.expires) > 0 && db.expireIfNeededFor(e, !read) {
		if read {
			db.miss(key)
		}
		return nil
	}
	if read {
		db.ks.Hits++
	}
	db.ks.touch(e)
	return e
}

// Miss records a read lookup made by other means than Lookup that found
// no key (LOOKUP_NOTOUCH reads: EXISTS, TYPE, TTL).
func (db *DB) Miss(key []byte) { db.miss(key) }

// miss counts a read lookup that found nothing and tells OnMiss.
func (db *DB) miss(key []byte) {
	db.ks.Misses++
	if f := db.ks.OnMiss; f != nil {
		f(db, key)
	}
}

// Exists is Lookup without touching the access time (EXISTS, TYPE checks
// that Redis does with LOOKUP_NOTOUCH are close enough to this).
func (db *DB) Exists(key []byte) bool {
	e := db.dict.find(key)
	if e == nil {
		return false
	}
	return !(len(db.expires) > 0 && db.expireIfNeeded(e))
}

// LookupWrite returns the entry for key for modification, or nil. The
// caller may change the value in place and must then call Modified. Before
// returning, a value that a running snapshot has not serialized yet is
// captured, so the snapshot keeps the value as it was at its instant.
func (db *DB) LookupWrite(key []byte) *Entry {
	e := db.lookup(key, false)
	if e != nil {
		db.beforeWrite(e)
		db.pending = e
	}
	return e
}

// Peek returns the entry without expiring or touching it (persistence,
// OBJECT, DEBUG).
func (db *DB) Peek(key []byte) *Entry { return db.dict.find(key) }

// SetString stores a plain string value, replacing any value. The TTL is
// removed unless keepTTL.
func (db *DB) SetString(key []byte, val []byte, keepTTL bool) {
	if e := db.dict.find(key); e != nil {
		// A view of val: overwrite copies it (see ReplaceString).
		db.overwrite(e, unsafe.String(unsafe.SliceData(val), len(val)), nil, keepTTL)
		return
	}
	// A new key takes two allocations, the node and one buffer for key
	// and value (node.go): fewer objects for the collector to mark and
	// sweep, which is most of the cost of a write load under maxmemory
	// (each SET then allocates a key and frees an evicted one).
	n := db.ks.newStringNode(key, val)
	n.lru, n.ver = db.ks.newAccess(), db.ks.epoch()
	db.insertNew(n, key)
}

// ReplaceString gives e, an entry just returned by LookupWrite, the string
// value val, keeping its TTL: SetString without looking the key up again
// (INCR and friends). val is copied, not kept: into the node's buffer when
// it has room (rewriteValue), so that a string returned by e.Str() before
// shows the new value.
func (db *DB) ReplaceString(e *Entry, val []byte) {
	db.beforeWrite(e)
	// A view of val, not a copy: rewriteValue and revalue copy the string
	// into the node (its buffer, packKV, or a Bytes for a long one) and
	// keep nothing of it.
	if s := unsafe.String(unsafe.SliceData(val), len(val)); !e.rewriteValue(s) {
		db.revalue(e, s, nil)
	}
	db.ks.touch(e)
}

// SetValue stores a value of any type (nil is not allowed: use SetString),
// replacing any old value. The TTL is removed unless keepTTL.
func (db *DB) SetValue(key []byte, val any, keepTTL bool) {
	db.set(key, "", val, keepTTL)
}

func (db *DB) set(key []byte, s string, v any, keepTTL bool) {
	if e := db.dict.find(key); e != nil {
		db.overwrite(e, s, v, keepTTL)
		return
	}
	var n *node
	if v != nil {
		n = db.ks.newValueNode(key, v)
	} else {
		n = newNode(key, s, v)
	}
	n.lru, n.ver = db.ks.newAccess(), db.ks.epoch()
	db.insertNew(n, key)
}

// overwrite gives the existing entry e a new value.
func (db *DB) overwrite(e *node, s string, v any, keepTTL bool) {
	db.beforeWrite(e)
	db.ks.Lazy.Note(e.val, db.ks.Lazy.ServerDel) // an overwrite is a server delete
	if v != nil || !e.rewriteValue(s) {
		db.revalue(e, s, v)
	}
	db.ks.touch(e)
	if !keepTTL && len(db.expires) > 0 {
		delete(db.expires, e.keyStr())
	}
}

// ReplaceValue stores val (not nil) under key as a key just created: what
// key held goes with its TTL and its access history, as Delete then
// SetValue would do (RESTORE ... REPLACE), in one lookup and keeping the
// node. OnNew is told either way, as it is of a key deleted and added. It
// reports whether key existed (a logically expired key did not), and the
// value other than a plain string it held: nothing in the keyspace refers
// to that any more (a running snapshot captured it first), so the caller
// may reuse it (RESTORE rebuilds the next hash in it).
func (db *DB) ReplaceValue(key []byte, val any) (old any, existed bool) {
	e := db.lookup(key, false)
	if e == nil {
		n := newNode(key, "", val)
		n.lru, n.ver = db.ks.newAccess(), db.ks.epoch()
		db.insertNew(n, key)
		return nil, false
	}
	db.beforeWrite(e)
	old = e.val
	db.revalue(e, "", val)
	e.setAccess(db.ks.newAccess())
	if len(db.expires) > 0 {
		delete(db.expires, e.keyStr())
	}
	// Modified re-estimates the value: pending spares it the lookup.
	db.pending = e
	if f := db.ks.OnNew; f != nil {
		f(db, key)
	}
	return old, true
}

// insertNew adds n, the node of an absent key. The Modified that follows
// a write creating a key finds n as pending, without a lookup.
func (db *DB) insertNew(n *node, key []byte) {
	db.dict.insert(n)
	db.account(n)
	db.pending = n
	if f := db.ks.OnNew; f != nil {
		f(db, key)
	}
}

// Delete removes key, reporting whether it existed (logically expired keys
// count as missing).
func (db *DB) Delete(key []byte) bool {
	e := db.lookup(key, false)
	if e == nil {
		return false
	}
	db.delete(key)
	return true
}

func (db *DB) delete(key []byte) {
	e := db.dict.find(key)
	if e == nil {
		return
	}
	db.deleteNode(e, key)
}

// deleteNode removes e, the node of key.
func (db *DB) deleteNode(e *node, key []byte) {
	db.beforeWrite(e)
	db.dict.remove(key)
	db.unaccount(e)
	if db.pending == e {
		db.pending = nil
	}
	if len(db.expires) > 0 {
		delete(db.expires, e.keyStr())
	}
}

// Modified records that key changed: counts a change and tells the
// Observer. Handlers call it after every successful write.
func (db *DB) Modified(key []byte) {
	db.ks.Dirty++
	db.remeasure(key)
	if o := db.ks.Observer; o != nil {
		o.KeyModified(db, key)
	}
}

// Reencode changes the encoding of key's value in place, which is not a
// write: no change is counted and the Observer (WATCH, tracking, keyspace
// events) is not told, as Redis's SORT converts a small sorted set without
// either. A snapshot that runs gets the value as it was first, and the
// account the value's new size.
func (db *DB) Reencode(key []byte, change func(val any)) {
	e := db.dict.find(key)
	if e == nil {
		return
	}
	db.beforeWrite(e)
	change(e.val)
	db.remeasure(key)
}

// SetExpire sets key's expiry in unix ms; the key must exist.
func (db *DB) SetExpire(key []byte, at int64) {
	e := db.dict.find(key)
	if e == nil {
		return
	}
	db.beforeWrite(e)
	db.expires[e.keyStr()] = at
	if db.ks.expireMode == ExpireReplica && !db.ks.FromMaster {
		db.noteReplicaTTL(e.keyStr())
	}
}

// rekey stores e's expiry again under its key string after e's kv
// changed (node.go), so that the expiry map does not keep the old buffer,
// and the old value in it, alive: a Go map's assignment to a present
// string key replaces the stored key.
func (db *DB) rekey(e *node) {
	if len(db.expires) == 0 {
		return
	}
	k := e.keyStr()
	if at, ok := db.expires[k]; ok {
		db.expires[k] = at
	}
}

// Persist removes key's expiry, reporting whether it had one.
func (db *DB) Persist(key []byte) bool {
	e := db.dict.find(key)
	if e == nil {
		return false
	}
	if _, ok := db.expires[e.keyStr()]; !ok {
		return false
	}
	db.beforeWrite(e)
	delete(db.expires, e.keyStr())
	return true
}

// ExpireAt returns key's expiry in unix ms, or -1 when it has none.
func (db *DB) ExpireAt(key []byte) int64 {
	if len(db.expires) == 0 {
		return -1
	}
	if when, ok := db.expires[string(key)]; ok {
		return when
	}
	return -1
}

// Random returns a random live key, or nil when the database is empty.
// Expired keys met on the way are removed (on a master); after 100 tries
// among only-expired keys on a replica it gives one back anyway, as Redis
// does, rather than loop.
func (db *DB) Random() *Entry {
	for tries := 0; ; tries++ {
		e := db.dict.random()
		if e == nil {
			return nil
		}
		if len(db.expires) == 0 {
			return e
		}
		if db.ks.expireMode != ExpireMaster && tries > 100 {
			return e
		}
		if !db.expireIfNeeded(e) {
			return e
		}
	}
}

// Scan visits the keys in the bucket(s) at cursor and returns the next
// cursor, with SCAN's guarantee: a key present for the whole scan is
// returned at least once. fn must not modify the database.
func (db *DB) Scan(cursor uint64, fn func(*Entry)) uint64 {
	return db.dict.scan(cursor, fn)
}

// Each calls fn for every key (including logically expired ones) until fn
// returns false. fn must not modify the database.
func (db *DB) Each(fn func(*Entry) bool) { db.dict.each(fn) }

// Flush empties the database. A running snapshot keeps the old contents.
func (db *DB) Flush() {
	db.detachForSnapshot()
	db.dict = newDict(db.ks.seed)
	db.dict.ks = db.ks
	db.expires = map[string]int64{}
	db.replicaTTL = nil
	db.used, db.valued, db.sizes, db.pending = 0, 0, nil, nil
}

// Swap exchanges the contents of two databases (SWAPDB).
func (db *DB) Swap(other *DB) {
	db.dict, other.dict = other.dict, db.dict
	db.expires, other.expires = other.expires, db.expires
	db.replicaTTL, other.replicaTTL = other.replicaTTL, db.replicaTTL
	db.AvgTTL, other.AvgTTL = other.AvgTTL, db.AvgTTL
	db.used, other.used = other.used, db.used
	db.sizes, other.sizes = other.sizes, db.sizes
	db.valued, other.valued = other.valued, db.valued
	db.pending, other.pending = nil, nil
}

// Rename moves src's value and TTL to dst (which must differ), replacing
// dst. Returns false when src is missing.
func (db *DB) Rename(src, dst []byte, keepTTL bool) bool {
	e := db.lookup(src, false)
	if e == nil {
		return false
	}
	s, v := e.strv(), e.val
	when := db.ExpireAt(src)
	db.delete(src)
	db.set(dst, s, v, false)
	if when >= 0 {
		db.SetExpire(dst, when)
	}
	return true
}

// MoveTo moves key with its TTL into another database (MOVE). It reports
// false when key is missing here or already present there.
func (db *DB) MoveTo(key []byte, other *DB) bool {
	e := db.lookup(key, false)
	if e == nil || other.Exists(key) {
		return false
	}
	s, v := e.strv(), e.val
	when := db.ExpireAt(key)
	db.delete(key)
	other.set(key, s, v, false)
	if when >= 0 {
		other.SetExpire(key, when)
	}
	return true
}

// Resize lets the periodic cycle shrink sparse tables and move rehashing
// forward, bounded to about the given number of buckets.
func (db *DB) Resize(steps int) {
	db.dict.shrinkIfNeeded()
	if db.dict.rehashing() {
		db.dict.rehashStep(steps)
	}
}

// LRU returns the entry's access clock (seconds) for OBJECT IDLETIME.
func (e *Entry) LRU() uint32 { return e.access() }
