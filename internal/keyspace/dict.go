package keyspace

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// node is one key of a database. Nodes never move once allocated, so a
// *node stays valid until the key is deleted (handlers mutate n.val in place).
//
// The key and a plain string value share one allocation, kv (see
// node.go), and the node holds a pointer and two lengths instead of two
// string headers: 48 bytes and two objects a key where separate strings
// took 64 bytes and three objects (see the README's Memory limits).
type node struct {
	kv   unsafe.Pointer // the key's bytes then the plain string value's; nil when both are empty
	klen uint32
	// vlen is the plain string value's length (val == nil); with another
	// value, the figure the account counted it with (memory.go).
	vlen uint32
	val  any // any other value
	next *node
	// ver is the snapshot epoch at which this node's value was last captured
	// or created; a node with ver below the running snapshot's epoch has not
	// been serialized by it yet (see snapshot.go).
	ver uint32
	// lru holds the access field (its low 24 bits, as Redis's: see
	// lru.go) and a tag of the key's hash (its top 8 bits; see hashTag).
	lru uint32
}

// accessBits is the width of the access field in node.lru; the bits
// above it hold the hash tag.
const (
	accessBits = 24
	accessMask = 1<<accessBits - 1
)

// hashTag is the tag a node of a key with hash h carries: the hash's top
// 8 bits (a table index uses the low ones). A chain walk compares tags
// before keys, so that a node of another key is skipped, 255 times in
// 256, without reading its key: under an evicting write load each new key
// walks a chain of nodes whose keys are all cache misses, and comparing
// their bytes was a sixth of the server's CPU time. Redis keeps no tag;
// its dict compares every key of the chain.
func hashTag(h uint64) uint32 { return uint32(h>>56) << accessBits }

// access is n's access field (lru.go).
func (n *node) access() uint32 { return n.lru & accessMask }

// setAccess sets n's access field, keeping its tag.
func (n *node) setAccess(v uint32) { n.lru = n.lru&^accessMask | v&accessMask }

// is reports whether n holds key, whose hash is h.
func (n *node) is(key string, h uint64) bool {
	return n.lru&^accessMask == hashTag(h) && n.keyStr() == key
}

// dict is a chained hash table with incremental rehashing, in the manner of
// Redis's dict: growing moves a few buckets per operation instead of
// stopping the world, and its scan cursor (reverse-binary increment) visits
// every key present for a whole scan at least once even across resizes.
// We need our own table rather than a Go map: SCAN's guarantee depends on
// that cursor, and the snapshot walker (snapshot.go) on power-of-two
// tables indexed by hash & mask, which it walks in hash classes.
type dict struct {
	seed      maphash.Seed
	tables    [2][]*node
	used      [2]int
	rehashIdx int // -1 when not rehashing
	// ks is asked before the table grows (maxmemory; nil: always grow).
	ks *Keyspace
	// touched keeps sample's loads of the nodes it gathered (see sample)
	// from being removed by the compiler as unused.
	touched uint32
}

const dictInitialSize = 4

func newDict(seed maphash.Seed) *dict {
	return &dict{seed: seed, rehashIdx: -1}
}

func (d *dict) len() int { return d.used[0] + d.used[1] }

func (d *dict) rehashing() bool { return d.rehashIdx >= 0 }

func (d *dict) hash(key []byte) uint64 { return maphash.Bytes(d.seed, key) }

func (d *dict) hashString(key string) uint64 { return maphash.String(d.seed, key) }

// rehashStep moves up to n buckets from table 0 to table 1, visiting at most
// 10*n empty buckets so a sparse table cannot make one step slow.
func (d *dict) rehashStep(n int) bool {
	empty := n * 10
	for ; n > 0 && d.used[0] > 0; n-- {
		for d.tables[0][d.rehashIdx] == nil {
			d.rehashIdx++
			if empty--; empty == 0 {
				return true
			}
		}
		for e := d.tables[0][d.rehashIdx]; e != nil; {
			next := e.next
			idx := d.hashString(e.keyStr()) & uint64(len(d.tables[1])-1)
			e.next = d.tables[1][idx]
			d.tables[1][idx] = e
			d.used[0]--
			d.used[1]++
			e = next
		}
		d.tables[0][d.rehashIdx] = nil
		d.rehashIdx++
	}
	if d.used[0] == 0 {
		d.tables[0], d.tables[1] = d.tables[1], nil
		d.used[0], d.used[1] = d.used[1], 0
		d.rehashIdx = -1
		return false
	}
	return true
}

// resize starts rehashing into a table sized for the current population.
func (d *dict) resize(size int) {
	if d.rehashing() {
		return
	}
	if size < dictInitialSize {
		size = dictInitialSize
	}
	size = 1 << bits.Len(uint(size-1))
	if size == len(d.tables[0]) {
		return
	}
	if d.tables[0] == nil {
		d.tables[0] = make([]*node, size)
		return
	}
	d.tables[1] = make([]*node, size)
	d.rehashIdx = 0
}

func (d *dict) expandIfNeeded() {
	if d.rehashing() {
		return
	}
	if d.tables[0] == nil {
		d.resize(dictInitialSize)
		return
	}
	if d.used[0] >= len(d.tables[0]) {
		if d.ks != nil && !d.ks.expandAllowed(16*len(d.tables[0]), float64(d.used[0])/float64(len(d.tables[0]))) {
			return
		}
		d.resize(d.used[0] + 1)
	}
}

// shrinkIfNeeded starts a shrink when the table is less than 10% full, as
// Redis's cron does; called from the background cycle, not per operation.
func (d *dict) shrinkIfNeeded() {
	if d.rehashing() || d.tables[0] == nil {
		return
	}
	if size := len(d.tables[0]); size > dictInitialSize && d.used[0]*10 < size {
		d.resize(d.used[0])
	}
}

func (d *dict) find(key []byte) *node {
	if d.len() == 0 {
		return nil
	}
	if d.rehashing() {
		d.rehashStep(1)
	}
	h := d.hash(key)
	for t := 0; t < 2; t++ {
		tab := d.tables[t]
		if tab == nil {
			break
		}
		for e := tab[h&uint64(len(tab)-1)]; e != nil; e = e.next {
			if e.is(string(key), h) {
				return e
			}
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// insert adds a node for a key known to be absent.
func (d *dict) insert(n *node) {
	if d.rehashing() {
		d.rehashStep(1)
	}
	d.expandIfNeeded()
	t := 0
	if d.rehashing() {
		t = 1
	}
	tab := d.tables[t]
	h := d.hashString(n.keyStr())
	n.lru = n.lru&accessMask | hashTag(h)
	idx := h & uint64(len(tab)-1)
	n.next = tab[idx]
	tab[idx] = n
	d.used[t]++
}

// remove unlinks and returns the node for key, or nil.
func (d *dict) remove(key []byte) *node {
	if d.len() == 0 {
		return nil
	}
	if d.rehashing() {
		d.rehashStep(1)
	}
	h := d.hash(key)
	for t := 0; t < 2; t++ {
		tab := d.tables[t]
		if tab == nil {
			break
		}
		idx := h & uint64(len(tab)-1)
		var prev *node
		for e := tab[idx]; e != nil; e = e.next {
			if e.is(string(key), h) {
				if prev == nil {
					tab[idx] = e.next
				} else {
					prev.next = e.next
				}
				e.next = nil
				d.used[t]--
				return e
			}
			prev = e
		}
		if !d.rehashing() {
			break
		}
	}
	return nil
}

// random returns a random node (nil when empty): a random non-empty bucket,
// then a random element of its chain, as Redis's dictGetRandomKey.
func (d *dict) random() *node {
	if d.len() == 0 {
		return nil
	}
	if d.rehashing() {
		d.rehashStep(1)
	}
	var head *node
	for tries := 0; head == nil; tries++ {
		if d.rehashing() {
			// Buckets below rehashIdx in table 0 are empty; skip them.
			s0 := len(d.tables[0])
			total := s0 + len(d.tables[1])
			i := d.rehashIdx + rand.IntN(total-d.rehashIdx)
			if i >= s0 {
				head = d.tables[1][i-s0]
			} else {
				head = d.tables[0][i]
			}
		} else {
			head = d.tables[0][rand.IntN(len(d.tables[0]))]
		}
	}
	n := 0
	for e := head; e != nil; e = e.next {
		n++
	}
	k := rand.IntN(n)
	e := head
	for ; k > 0; k-- {
		e = e.next
	}
	return e
}

// scan calls fn for every node in the bucket(s) addressed by cursor and
// returns the next cursor (0 when the scan is complete). The reverse-binary
// cursor keeps its promise across resizes: buckets of the small table map to
// a contiguous family of buckets in the large one.
func (d *dict) scan(cursor uint64, fn func(*node)) uint64 {
	if d.len() == 0 {
		return 0
	}
	visit := func(tab []*node, idx uint64) {
		for e := tab[idx]; e != nil; {
			next := e.next // fn may not delete, but be safe against relinking
			fn(e)
			e = next
		}
	}
	v := cursor
	if !d.rehashing() {
		t0 := d.tables[0]
		m0 := uint64(len(t0) - 1)
		visit(t0, v&m0)
		v |= ^m0
		v = bits.Reverse64(v)
		v++
		return bits.Reverse64(v)
	}
	small, large := d.tables[0], d.tables[1]
	if len(small) > len(large) {
		small, large = large, small
	}
	m0, m1 := uint64(len(small)-1), uint64(len(large)-1)
	visit(small, v&m0)
	for {
		visit(large, v&m1)
		v |= ^m1
		v = bits.Reverse64(v)
		v++
		v = bits.Reverse64(v)
		if v&(m0^m1) == 0 {
			break
		}
	}
	return v
}

// each calls fn for every node until fn returns false. The table must not
// be modified during the walk.
func (d *dict) each(fn func(*node) bool) {
	for t := 0; t < 2; t++ {
		for _, head := range d.tables[t] {
			for e := head; e != nil; e = e.next {
				if !fn(e) {
					return
				}
			}
		}
	}
}
