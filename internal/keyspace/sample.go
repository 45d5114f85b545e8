package keyspace

import (
	"math/rand/v2"
	"unsafe"
)

// Sampling for eviction: the candidates of maxmemory's eviction pool are
// found as Redis's dictGetSomeKeys finds them, by walking the table from a
// random bucket, which is cheaper than count independent random picks and
// random enough for an approximated LRU.

// maxSampleHeads is how many bucket heads sample gathers before touching
// them; a larger maxmemory-samples is served in batches of this many.
const maxSampleHeads = 64

// sample calls fn for up to count nodes found by walking buckets from a
// random one (both tables while rehashing), jumping elsewhere after a run
// of empty buckets, and giving up after count*10+100 buckets (Redis's
// count*10 alone left a sample of 1 empty once in 500 in a table 61%
// full, and often mid-rehash, when half the buckets of the new table
// are still empty). Unlike Redis's dictGetSomeKeys it never gives a node
// twice: after a jump, or the wrap to bucket 0, the walk skips the
// stretches it walked already (a sparse table, e.g. the new one early in
// a rehash, made jumps land on them).
//
// It works in two passes. The first reads only the table (consecutive
// slots, a cache line for eight buckets) and gathers the chains' heads;
// the second (visit) loads each head's access field in a loop with nothing
// else in it, so that the processor has all the misses on the nodes in
// flight at once instead of one after the other behind fn's work, then
// runs fn over the chains in the order of the walk. Under an evicting
// write load those misses were a sixth of the server's CPU time (a node
// is a random place of a heap much larger than the caches).
func (d *dict) sample(count int, fn func(*node)) {
	if d.len() == 0 || count <= 0 {
		return
	}
	count = min(count, d.len())
	for i := 0; i < count && d.rehashing(); i++ {
		d.rehashStep(1)
	}
	tables := 1
	mask := len(d.tables[0]) - 1
	if d.rehashing() {
		tables = 2
		mask = max(mask, len(d.tables[1])-1)
	}
	var heads [maxSampleHeads]*node
	nh, stored := 0, 0
	i := rand.IntN(mask + 1)
	empty := 0
	w := walkedRuns{start: i}
	for steps := count*10 + 100; steps > 0 && i >= 0; steps-- {
		next := i + 1
		for t := 0; t < tables; t++ {
			// Buckets of table 0 below rehashIdx were moved already.
			if tables == 2 && t == 0 && i < d.rehashIdx {
				if i >= len(d.tables[1]) {
					i = d.rehashIdx
				} else {
					continue
				}
			}
			tab := d.tables[t]
			if i >= len(tab) {
				continue
			}
			he := tab[i]
			if he == nil {
				empty++
				if empty >= 5 && empty > count {
					next = rand.IntN(mask + 1)
					empty = 0
				}
				continue
			}
			empty = 0
			heads[nh] = he
			nh++
			// Each head is at least one node: stop gathering once they
			// make up the count.
			if nh == len(heads) || stored+nh == count {
				if d.visit(heads[:nh], count, &stored, fn) {
					return
				}
				nh = 0
			}
		}
		i = w.advance(i, next, mask)
	}
	d.visit(heads[:nh], count, &stored, fn)
}

// walkedRuns records the stretches of buckets a sample has walked,
// [from, to), so that it walks none twice. A few suffice: a stretch ends
// at a jump, which comes after a long run of empty buckets, or at the
// wrap to bucket 0; a walk that reaches a recorded stretch joins it.
type walkedRuns struct {
	runs  [8][2]int
	n     int
	start int // where the stretch being walked began
}

// advance returns the bucket after cur: next (cur+1, or where a jump
// lands), moved past the stretches already walked, or -1 when none is
// left. With no room to record another stretch, a jump is not taken, and
// the walk ends at the table's end.
func (w *walkedRuns) advance(cur, next, mask int) int {
	if next == cur+1 && next <= mask && w.n == 0 {
		return next // the common case: a plain step
	}
	full := w.n == len(w.runs)
	if next != cur+1 && full {
		next = cur + 1
	}
	if next == cur+1 && next <= mask {
		k := w.inside(next)
		if k < 0 {
			return next // a plain step outside the walked stretches
		}
		// The walk reached a stretch walked before: they are one now.
		w.runs[k][0] = w.start
		next = w.runs[k][1]
	} else {
		// A jump or the wrap: the stretch walked so far is recorded.
		if full {
			return -1
		}
		w.runs[w.n] = [2]int{w.start, cur + 1}
		w.n++
	}
	for range len(w.runs) + 1 {
		if next > mask {
			next = 0
		}
		k := w.inside(next)
		if k < 0 {
			w.start = next
			return next
		}
		next = w.runs[k][1]
	}
	return -1 // every bucket walked
}

// inside returns the recorded stretch that holds bucket i, or -1.
func (w *walkedRuns) inside(i int) int {
	for k, r := range w.runs[:w.n] {
		if i >= r[0] && i < r[1] {
			return k
		}
	}
	return -1
}

// visit touches the gathered heads, then calls fn for the nodes of their
// chains until *stored reaches count, which it reports.
func (d *dict) visit(heads []*node, count int, stored *int, fn func(*node)) bool {
	var touch uint32
	for _, he := range heads {
		touch += he.lru
	}
	d.touched = touch
	for _, he := range heads {
		for ; he != nil; he = he.next {
			fn(he)
			if *stored++; *stored == count {
				return true
			}
		}
	}
	return false
}

// SampleKeys calls fn for up to count entries of db taken from one random
// place of its table (maxmemory's allkeys policies).
func (db *DB) SampleKeys(count int, fn func(*Entry)) { db.dict.sample(count, fn) }

// SampleExpires calls fn for up to count keys with a TTL and their expiry
// time (volatile policies). Go's map iteration starts at a random place,
// which gives the same kind of sample as the table walk.
func (db *DB) SampleExpires(count int, fn func(key string, at int64)) {
	if count <= 0 {
		return
	}
	for k, at := range db.expires {
		fn(k, at)
		if count--; count == 0 {
			return
		}
	}
}

// RandomExpiring returns a random key with a TTL, or "" and false.
func (db *DB) RandomExpiring() (string, bool) {
	for k := range db.expires {
		return k, true
	}
	return "", false
}

// RandomEntry returns a random entry (expired or not), or nil.
func (db *DB) RandomEntry() *Entry { return db.dict.random() }

// Evict deletes key for maxmemory, reporting whether it was there. Unlike
// Delete it does not look at the key's expiry: Redis evicts a logically
// expired key like any other.
//
// The node is kept for a new key (recycle.go): the caller must copy key
// (it aliases the node's buffer) if it keeps it past the next write.
func (db *DB) Evict(key string) bool {
	k := unsafe.Slice(unsafe.StringData(key), len(key))
	e := db.dict.find(k)
	if e == nil {
		return false
	}
	db.deleteNode(e, k)
	db.ks.recycle(e)
	return true
}
