package keyspace

// Lazy freeing. Redis frees a big value (UNLINK, FLUSHALL ASYNC, and the
// lazyfree-lazy-* paths) in a background thread so that the command loop
// does not stall on freeing millions of allocations one by one. In Go a
// removed value is not freed by the command that removes it at all:
// dropping the last reference is O(1), and the concurrent collector
// reclaims the memory later, on its own goroutines, without ever walking
// the unreachable value (marking only visits live memory). So every
// deletion is already "lazy" in Redis's sense, whatever the settings say,
// and there is nothing to queue: lazyfree_pending_objects is always 0.
//
// What the settings still decide is what Redis reports: lazyfreed_objects
// counts the values a lazy path removed whose free effort is above
// Redis's LAZYFREE_THRESHOLD (smaller ones Redis frees at once even on a
// lazy path), and every key of a database emptied asynchronously.
//
// The O(n) work a deletion may still cause lies elsewhere: a deletion
// while a snapshot (BGSAVE, full sync, AOF rewrite) has not written the key
// yet encodes it first (snapshot.go's beforeWrite), as any write does.

// lazyThreshold is Redis's LAZYFREE_THRESHOLD.
const lazyThreshold = 64

// LazyFree holds the lazyfree-lazy-* settings and the count of values
// freed lazily (INFO lazyfreed_objects; the lock guards it).
type LazyFree struct {
	Eviction, Expire, ServerDel, UserDel, UserFlush bool
	// Freed is lazyfreed_objects.
	Freed int64
	// Backlog is the elements of the big values removed (on any path)
	// since the server last asked for a collection, and Flushed says a
	// non-empty database was emptied since: the server's cron brings the
	// collection forward when they are large, so that memory comes back
	// about as soon as Redis's background free would give it back
	// (server/lazyfree.go).
	Backlog int64
	Flushed bool
}

// Note records the removal of v: counted in lazyfreed_objects when lazy
// is set and v is big enough that Redis would free it in the background.
func (l *LazyFree) Note(v any, lazy bool) {
	if FreeEffort(v) <= lazyThreshold {
		return
	}
	if s, ok := v.(interface{ Len() int }); ok {
		l.Backlog += int64(s.Len())
	}
	if lazy {
		l.Freed++
	}
}

// NoteFlushed records a database of keys keys emptied, asynchronously or
// not (async).
func (l *LazyFree) NoteFlushed(keys int, async bool) {
	if keys == 0 {
		return
	}
	l.Flushed = true
	if async {
		l.Freed += int64(keys)
	}
}

// FreeEffort estimates, as Redis's lazyfreeGetFreeEffort, how many
// allocations freeing v takes: its elements for a hash table or a skip
// list, its nodes for a quicklist (counted up to the threshold) or a
// stream, 1 for a string or a compact encoding. Constant time.
func FreeEffort(v any) int {
	type encoded interface {
		Len() int
		Encoding() string
	}
	if s, ok := v.(interface{ NodeCount() int }); ok {
		return s.NodeCount() // a stream: one allocation per node
	}
	if l, ok := v.(interface{ Nodes(limit int) int }); ok {
		// A quicklist: one allocation per node; counted only as far as
		// the threshold, in constant time.
		return l.Nodes(lazyThreshold + 1)
	}
	e, ok := v.(encoded)
	if !ok {
		return 1 // a string
	}
	switch e.Encoding() {
	case "hashtable", "skiplist":
		return e.Len()
	}
	return 1
}
