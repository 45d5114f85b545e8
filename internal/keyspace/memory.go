package keyspace

import (
	"math"
	"sort"
	"unsafe"

	"github.com/tandemdb/tandem/internal/types"
)

// The dataset account: how many bytes the keys and values take, kept as
// they change, so that maxmemory can be compared with a figure that means
// something under Go's collector.
//
// Why an account and not the heap: Go's heap figures (HeapAlloc, the
// runtime/metrics object bytes) count garbage until the next collection.
// With the default GOGC the heap of a server writing steadily swings
// between the live data and twice that, so a limit checked against the
// heap evicts half the data for nothing right before each collection, and
// reading the figure (ReadMemStats) stops the world. Redis compares
// maxmemory with its allocator's count of live bytes; the account is the
// nearest Go equivalent: every write adds what it allocates and every
// delete subtracts it, at the cost of a few additions per write.
//
// What is counted per key: the node (48 bytes), the buffer holding the
// key's and a plain string value's bytes rounded to Go's size classes
// (node.go), and for other values
// an estimate from internal/types (listpacks by capacity, big encodings by
// their arrays plus a sample of their strings, as MEMORY USAGE SAMPLES 5
// does). The tables (8 bytes a slot) and the expiry map (about 40 bytes a
// key) are added when the figure is read. Measured against the live heap
// (bench/maxmemory.sh, 1M keys of 100-byte strings) the account is within
// a few percent; see the README's Memory section.
//
// Collections change in place: LookupWrite remembers the entry it handed
// out and Modified re-estimates it (a sampled estimate, O(1)), so the
// account follows LPUSH/HSET/ZADD without walking the value. The estimate
// each value was counted with is kept beside it, so that what is
// subtracted is exactly what was added: in the node's vlen, which a node
// with such a value does not otherwise use (a figure of 4 GiB or more
// goes to DB.sizes). Why not a map from node to figure: creating a key
// then cost a map insertion, a quarter of the CPU of a PFADD into a new
// key, and every write to a collection a map lookup or two.

// nodeBytes is the size of a node (kv, klen, vlen, val, next, ver, lru).
const nodeBytes = int(unsafe.Sizeof(node{}))

// expireEntryBytes is what one key of an expiry map costs on average: a
// 24-byte slot (string key and int64) in a table kept at most 7/8 full,
// doubled when it grows, with its control bytes.
const expireEntryBytes = 40

// goSizeClasses are the Go allocator's small size classes (runtime/
// sizeclasses.go): an allocation takes the smallest class that fits.
var goSizeClasses = [...]int{
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280,
	1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528,
	6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432,
	19072, 20480, 21760, 24576, 27264, 28672, 32768,
}

// AllocSize is the bytes an allocation of n bytes takes in Go's heap (0
// for 0: an empty string allocates nothing).
func AllocSize(n int) int {
	switch {
	case n <= 0:
		return 0
	case n <= 8:
		return 8
	case n > 32768:
		return (n + 8191) &^ 8191 // whole pages
	}
	i := sort.SearchInts(goSizeClasses[:], n)
	return goSizeClasses[i]
}

// entrySize is the account's figure for e (its value's estimate for a
// non-string value).
func entrySize(e *node) int64 {
	n := nodeBytes + e.kvBytes()
	if e.val == nil {
		return int64(n)
	}
	return int64(n + ValueSize(e.val))
}

// ValueSize estimates the heap bytes of a value other than a plain string,
// in O(1) (collections are sampled). Used by the account and MEMORY USAGE.
func ValueSize(v any) int {
	switch x := v.(type) {
	case *Bytes:
		return 32 + AllocSize(cap(x.B))
	case *types.List:
		return x.SizeEstimate()
	case *types.Hash:
		return x.MemoryUsage(5)
	case *types.Set:
		return x.MemoryUsage(5)
	case *types.ZSet:
		return x.MemoryUsage(5)
	case *types.Stream:
		return x.SizeEstimate()
	}
	return 64
}

// bigFigure in a node's vlen says that its value's figure is in
// DB.sizes (4 GiB or more).
const bigFigure = math.MaxUint32

// figure is what e's value (not nil) was counted with.
func (db *DB) figure(e *node) int64 {
	if e.vlen == bigFigure {
		return db.sizes[e]
	}
	return int64(e.vlen)
}

// setFigure records sz as what e's value (not nil) is counted with; e's
// vlen holds 0 or a figure setFigure stored.
func (db *DB) setFigure(e *node, sz int64) {
	if sz < bigFigure {
		if e.vlen == bigFigure {
			delete(db.sizes, e)
		}
		e.vlen = uint32(sz)
		return
	}
	if db.sizes == nil {
		db.sizes = make(map[*node]int64)
	}
	db.sizes[e] = sz
	e.vlen = bigFigure
}

// account adds e to its database's figure (a new or re-valued entry whose
// previous figure, if any, was removed with unaccount).
func (db *DB) account(e *node) {
	sz := entrySize(e)
	db.used += sz
	if e.val != nil {
		db.valued++
		e.vlen = 0
		db.setFigure(e, sz)
	}
}

// unaccount removes e's figure, as it was counted.
func (db *DB) unaccount(e *node) {
	if e.val == nil {
		db.used -= int64(nodeBytes + e.kvBytes())
		return
	}
	db.used -= db.figure(e)
	db.valued--
	if e.vlen == bigFigure {
		delete(db.sizes, e)
	}
}

// revalue gives e the value s (val nil) or val and moves the account from
// its old figure to its new one.
func (db *DB) revalue(e *node, s string, val any) {
	var old int64
	if e.val != nil {
		old = db.figure(e)
		if e.vlen == bigFigure {
			delete(db.sizes, e)
		}
		db.valued--
	} else {
		old = int64(nodeBytes + e.kvBytes())
	}
	if e.setValue(s, val) {
		db.rekey(e)
	}
	sz := entrySize(e)
	db.used += sz - old
	if e.val != nil { // val, or a string too long for a node as a *Bytes
		db.valued++
		db.setFigure(e, sz)
	}
}

// remeasure re-estimates the entry of key after a write that may have
// changed its value in place (Modified). The entry LookupWrite handed out
// last is checked first, to spare a lookup.
func (db *DB) remeasure(key []byte) {
	e := db.pending
	db.pending = nil
	if db.valued == 0 {
		return // only plain strings here: set and delete keep them exact
	}
	if e == nil || e.keyStr() != string(key) {
		e = db.dict.find(key)
	}
	if e == nil || e.val == nil {
		return
	}
	// A store only when the figure changed.
	if sz, old := entrySize(e), db.figure(e); sz != old {
		db.used += sz - old
		db.setFigure(e, sz)
	}
}

// DataBytes is the database's share of the account: its entries, its
// table's slots and its expiry map.
func (db *DB) DataBytes() int64 {
	d := db.dict
	return db.used + int64(8*(len(d.tables[0])+len(d.tables[1]))) + int64(expireEntryBytes*len(db.expires))
}

// DatasetBytes is the account over every database: what maxmemory is
// compared with, beside the server's fixed start-up overhead.
func (ks *Keyspace) DatasetBytes() int64 {
	var n int64
	for _, db := range ks.DBs {
		n += db.DataBytes()
	}
	return n
}

// EntryBytes is the account's figure for one key.
func (e *Entry) EntryBytes() int64 { return entrySize(e) }

// Usage is MEMORY USAGE's figure for one key: the account's per-key
// figure plus the key's table slot, with a collection's strings sampled
// from samples entries (0: all of them), as Redis's objectComputeSize
// samples its elements. The default of MEMORY USAGE, 5 samples, gives the
// account's own figure.
func (e *Entry) Usage(samples int) int64 {
	n := nodeBytes + e.kvBytes() + 8
	if e.val == nil {
		return int64(n)
	}
	switch x := e.val.(type) {
	case *types.List:
		return int64(n + x.MemoryUsageSampled(samples))
	case *types.Hash:
		return int64(n + x.MemoryUsage(samples))
	case *types.Set:
		return int64(n + x.MemoryUsage(samples))
	case *types.ZSet:
		return int64(n + x.MemoryUsage(samples))
	case *types.Stream:
		return int64(n + x.MemoryUsage())
	}
	return int64(n + ValueSize(e.val))
}

// SetOverLimit gives the keyspace maxmemory's test: whether allocating
// more bytes would take the memory used over the limit (nil: no limit).
func (ks *Keyspace) SetOverLimit(f func(more int64) bool) { ks.overLimit = f }

// expandAllowed is asked before a table doubles (more bytes for a table
// used at ratio): as Redis's dictExpandAllowed, a table may fill up to a
// load factor of 1.618 rather than grow past maxmemory, since the growth
// itself would make the server evict keys (or refuse writes) at once.
func (ks *Keyspace) expandAllowed(more int, ratio float64) bool {
	if ks.overLimit == nil || ratio > 1.618 {
		return true
	}
	return !ks.overLimit(int64(more))
}
