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
// of empty buckets, and giving up after count*10 buckets.
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
	for steps := count * 10; steps > 0; steps-- {
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
					i = rand.IntN(mask + 1)
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
		i = (i + 1) & mask
	}
	d.visit(heads[:nh], count, &stored, fn)
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
