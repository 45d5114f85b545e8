// Package types holds the in-memory values behind Redis's list, hash, set and
// sorted-set types, with the compact encodings Redis uses for small values
// and the number parsing and formatting rules Redis 7.0 applies to them.
//
// The package depends on nothing else in the server. Values are not safe for
// concurrent use: the server mutates them only while holding its global lock,
// so they carry no locks of their own.
//
// # Encodings
//
// Small values use one packed []byte per value (or per list node) instead of
// a heap object per element, like Redis's listpack and intset. When a value
// crosses a threshold taken from [Limits] it converts to the big encoding:
// a chained hash table whose entries live in dense parallel slices (dict.go),
// plus, for sorted sets, an order-statistic B+tree. Conversion is one-way, as
// in Redis 7.0: a big value never shrinks back. Redis only picks a small
// encoding again when it builds a new value (SINTERSTORE, ZUNIONSTORE, RDB
// loading, ...); building a new value here with the same Limits gives the same
// encoding, because every constructor starts small and converts on the same
// conditions.
//
// Encoding methods answer with the names OBJECT ENCODING uses in Redis 7.0:
// lists are always "quicklist" (7.0 has no listpack lists), hashes
// "listpack"/"hashtable", sets "intset"/"hashtable", sorted sets
// "listpack"/"skiplist" (the big sorted set is a B+tree, see btree.go, but it
// plays the skiplist's role and Redis clients expect that name).
//
// # Borrowed bytes
//
// Methods take members as []byte and never retain the caller's slice: what
// they store is copied. Every []byte they hand out (return values and callback
// arguments) is a read-only view into the value's own memory or a scratch
// buffer: it must not be modified, and it is valid only until the next
// modification of that value (for callbacks, only during the call). Callbacks
// must not modify the value they iterate. Copy what must outlive that.
//
// # Numbers
//
// numfmt.go and longdouble.go reproduce Redis 7.0's number rules byte for
// byte: strtod-based double parsing, "%.17g" score replies, and the x87
// long-double arithmetic and "%.17Lf" formatting of INCRBYFLOAT and
// HINCRBYFLOAT. Integers use resp.ParseInt (string2ll), shared by all
// packages.
package types

// Limits are the encoding thresholds of Redis's configuration. The server
// owns one Limits (CONFIG SET changes it) and passes it to each mutating call,
// so a change applies to existing values at their next modification, as in
// Redis. A nil *Limits means DefaultLimits. This is the one definition of
// the thresholds and of their defaults: the RDB writer (rdb.EncodeOptions)
// reads the same struct with the same meaning, so a file holds each value in
// the encoding it has in memory.
type Limits struct {
	HashMaxListpackEntries int // hash-max-listpack-entries
	HashMaxListpackValue   int // hash-max-listpack-value (bytes of a field or value)
	SetMaxIntsetEntries    int // set-max-intset-entries
	ZSetMaxListpackEntries int // zset-max-listpack-entries
	ZSetMaxListpackValue   int // zset-max-listpack-value (bytes of a member)
	ListMaxListpackSize    int // list-max-listpack-size; pass it to NewList (lists keep theirs)
	HLLSparseMaxBytes      int // hll-sparse-max-bytes: a sparse HyperLogLog growing past it turns dense
	StreamNodeMaxBytes     int // stream-node-max-bytes: a stream node this big takes no more entries (0: no limit)
	StreamNodeMaxEntries   int // stream-node-max-entries: nor one with this many (0: no limit)
}

// DefaultLimits returns Redis 7.0's built-in defaults. Note that the 7.0
// binary defaults hash-max-listpack-entries to 512 (redis.conf examples of
// other versions say 128); redis-server 7.0.15 answers 512 to CONFIG GET.
func DefaultLimits() Limits {
	return Limits{
		HashMaxListpackEntries: 512,
		HashMaxListpackValue:   64,
		SetMaxIntsetEntries:    512,
		ZSetMaxListpackEntries: 128,
		ZSetMaxListpackValue:   64,
		ListMaxListpackSize:    -2,
		HLLSparseMaxBytes:      3000,
		StreamNodeMaxBytes:     4096,
		StreamNodeMaxEntries:   100,
	}
}

// limitsOrDefault resolves a nil *Limits into a copy of the limits to
// apply: the defaults are built, not kept in a package variable that a
// holder of its address could change for every server in the process.
func limitsOrDefault(l *Limits) Limits {
	if l == nil {
		return DefaultLimits()
	}
	return *l
}
