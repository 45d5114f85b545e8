package types

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// dict is the big encoding's hash table, shared by hashes, sets and sorted
// sets. It is a chained table, not a Go map, for two reasons:
//
//   - SCAN needs a cursor that survives resizing. Elements sit in bucket
//     hash&mask, so Redis's reverse-binary cursor (see scan) guarantees every
//     element present for the whole scan is returned at least once, however
//     the table grows or shrinks between calls. A Go map offers no cursor.
//   - Memory. Entries live in dense parallel slices (no per-entry object) and
//     chains link by 32-bit index, so a set member costs its string plus 24
//     bytes and a hash field+value pair one string (key and value share an
//     allocation) plus 28 bytes, before buckets (4 bytes each, load factor
//     at most 1). Dense entries also make uniform random picks a single
//     rand.IntN, which SPOP and SRANDMEMBER need.
//
// Deleting moves the last entry into the hole, so entries stay dense; indexes
// are therefore only stable until the next deletion.
type dict struct {
	buckets []int32   // chain head per bucket: entry index+1, 0 = empty; power-of-two length
	keys    []string  // the key, or key+value when klen is set (hashes)
	klen    []uint32  // key length per entry; nil unless the dict stores values
	scores  []float64 // score per entry; nil unless the dict belongs to a sorted set
	next    []int32   // chain link: entry index+1, 0 = end
	hashes  []uint32  // cached hash: rehashing and swap-deletes never rehash keys
}

const (
	dictKeys     = iota // set: keys only
	dictValues          // hash: key+value strings
	dictScores          // sorted set: keys with a float64 score
	dictMinSize  = 4
	dictShrinkAt = 8 // shrink when fewer entries than buckets/dictShrinkAt
)

// hashSeed is fixed for the life of the process and random per process, so
// that clients cannot predict bucket collisions. It is set once when the
// package initializes and never written again, so servers embedded in one
// process may share it: it decides only where entries land in a table.
var hashSeed = maphash.MakeSeed()

func hashBytes(b []byte) uint32 { return uint32(maphash.Bytes(hashSeed, b)) }

// dictValues1 and dictKeys1 are a one-entry dict of a hash or a set with
// its slices' first arrays, in one allocation. A hash or set created by a
// field or member too long for its small encoding (HSET of one 100-byte
// value) starts as a table of one entry: allocated apart, its header and
// five slices were six objects, each a cost to allocate and later to
// collect, which under a write load that evicts is paid for every new key.
// When the dict grows, appends move the slices out and the arrays here
// stay unused (44 bytes) for the dict's life.
type dictValues1 struct {
	d       dict
	buckets [dictMinSize]int32
	keys    [1]string
	klen    [1]uint32
	next    [1]int32
	hashes  [1]uint32
}

type dictKeys1 struct {
	d       dict
	buckets [dictMinSize]int32
	keys    [1]string
	next    [1]int32
	hashes  [1]uint32
}

func newDict(kind, sizeHint int) *dict {
	switch {
	case sizeHint <= 1 && kind == dictValues:
		b := &dictValues1{}
		b.d = dict{buckets: b.buckets[:], keys: b.keys[:0], klen: b.klen[:0], next: b.next[:0], hashes: b.hashes[:0]}
		return &b.d
	case sizeHint <= 1 && kind == dictKeys:
		b := &dictKeys1{}
		b.d = dict{buckets: b.buckets[:], keys: b.keys[:0], next: b.next[:0], hashes: b.hashes[:0]}
		return &b.d
	}
	d := &dict{}
	n := dictMinSize
	for n < sizeHint {
		n <<= 1
	}
	d.buckets = make([]int32, n)
	d.keys = make([]string, 0, sizeHint)
	d.next = make([]int32, 0, sizeHint)
	d.hashes = make([]uint32, 0, sizeHint)
	switch kind {
	case dictValues:
		d.klen = make([]uint32, 0, sizeHint)
	case dictScores:
		d.scores = make([]float64, 0, sizeHint)
	}
	return d
}

func (d *dict) len() int { return len(d.keys) }

func (d *dict) key(i int) string {
	if d.klen != nil {
		return d.keys[i][:d.klen[i]]
	}
	return d.keys[i]
}

func (d *dict) value(i int) string { return d.keys[i][d.klen[i]:] }

// find returns the index of key, or -1.
func (d *dict) find(key []byte) int {
	return d.findHashed(key, hashBytes(key))
}

func (d *dict) findHashed(key []byte, h uint32) int {
	mask := uint32(len(d.buckets) - 1)
	for e := d.buckets[h&mask]; e != 0; e = d.next[e-1] {
		i := int(e - 1)
		if d.hashes[i] == h && d.key(i) == string(key) {
			return i
		}
	}
	return -1
}

// add appends a new entry; the caller has checked that key is absent. val is
// stored only by value dicts. It returns the entry's index.
func (d *dict) add(key, val []byte) int {
	return d.addHashed(key, val, hashBytes(key))
}

func (d *dict) addHashed(key, val []byte, h uint32) int {
	if len(d.keys) >= len(d.buckets) {
		d.resize(len(d.buckets) * 2)
	}
	i := len(d.keys)
	if d.klen != nil {
		d.keys = append(d.keys, d.pairString(i, key, val))
		d.klen = append(d.klen, uint32(len(key)))
	} else {
		d.keys = append(d.keys, newString(key, nil))
	}
	if d.scores != nil {
		d.scores = append(d.scores, 0)
	}
	b := h & uint32(len(d.buckets)-1)
	d.next = append(d.next, d.buckets[b])
	d.hashes = append(d.hashes, h)
	d.buckets[b] = int32(i + 1)
	return i
}

// pairString returns key+val as one string for entry i of a value dict:
// the string a reused hash left past the table's length (Hash.Reuse),
// written again, when the pair fits it and rounds to the same 8 bytes
// (so the account, which rounds a string's length so, reads as for a new
// string); else a new one. Only Reuse leaves a string there: delete
// clears the slot it empties, and a slice grown by append is zeroed past
// its length.
func (d *dict) pairString(i int, key, val []byte) string {
	if i < cap(d.keys) {
		if old := d.keys[:i+1][i]; old != "" {
			n := len(key) + len(val)
			if n > 0 && n <= len(old) && (n+7)&^7 == (len(old)+7)&^7 {
				b := unsafe.Slice(unsafe.StringData(old), n)
				copy(b[copy(b, key):], val)
				return unsafe.String(&b[0], n)
			}
		}
	}
	return newString(key, val)
}

// setValue replaces the value of entry i (value dicts only).
func (d *dict) setValue(i int, val []byte) {
	d.keys[i] = newString(sbytes(d.key(i)), val)
}

// delete removes entry i, moving the last entry into its place.
func (d *dict) delete(i int) {
	d.unlink(i)
	last := len(d.keys) - 1
	if i != last {
		// Repoint whatever links to the last entry, then move it into i.
		p := &d.buckets[d.hashes[last]&uint32(len(d.buckets)-1)]
		for *p != int32(last+1) {
			p = &d.next[*p-1]
		}
		*p = int32(i + 1)
		d.keys[i] = d.keys[last]
		d.next[i] = d.next[last]
		d.hashes[i] = d.hashes[last]
		if d.klen != nil {
			d.klen[i] = d.klen[last]
		}
		if d.scores != nil {
			d.scores[i] = d.scores[last]
		}
	}
	d.keys[last] = "" // let the string be collected
	d.keys = d.keys[:last]
	d.next = d.next[:last]
	d.hashes = d.hashes[:last]
	if d.klen != nil {
		d.klen = d.klen[:last]
	}
	if d.scores != nil {
		d.scores = d.scores[:last]
	}
	if len(d.buckets) > dictMinSize && last < len(d.buckets)/dictShrinkAt {
		n := dictMinSize
		for n < last {
			n <<= 1
		}
		d.resize(n)
		d.clip()
	}
}

func (d *dict) unlink(i int) {
	p := &d.buckets[d.hashes[i]&uint32(len(d.buckets)-1)]
	for *p != int32(i+1) {
		p = &d.next[*p-1]
	}
	*p = d.next[i]
}

// resize rebuilds the chains for n buckets from the cached hashes.
func (d *dict) resize(n int) {
	if n == len(d.buckets) {
		return
	}
	d.buckets = make([]int32, n)
	mask := uint32(n - 1)
	for i, h := range d.hashes {
		b := h & mask
		d.next[i] = d.buckets[b]
		d.buckets[b] = int32(i + 1)
	}
}

// clip returns spare slice capacity after a large shrink.
func (d *dict) clip() {
	if cap(d.keys) < 64 || len(d.keys) > cap(d.keys)/4 {
		return
	}
	c := len(d.keys) + len(d.keys)/4
	d.keys = append(make([]string, 0, c), d.keys...)
	d.next = append(make([]int32, 0, c), d.next...)
	d.hashes = append(make([]uint32, 0, c), d.hashes...)
	if d.klen != nil {
		d.klen = append(make([]uint32, 0, c), d.klen...)
	}
	if d.scores != nil {
		d.scores = append(make([]float64, 0, c), d.scores...)
	}
}

// random returns a uniformly chosen entry index; the dict must not be empty.
func (d *dict) random() int { return rand.IntN(len(d.keys)) }

// clone returns a deep copy (strings are immutable, so they are shared).
func (d *dict) clone() *dict {
	c := &dict{
		buckets: append([]int32(nil), d.buckets...),
		keys:    append([]string(nil), d.keys...),
		next:    append([]int32(nil), d.next...),
		hashes:  append([]uint32(nil), d.hashes...),
	}
	if d.klen != nil {
		c.klen = append([]uint32(nil), d.klen...)
	}
	if d.scores != nil {
		c.scores = append([]float64(nil), d.scores...)
	}
	return c
}

// scan visits the entries of the bucket at cursor and following buckets in
// reverse-binary order, until at least count entries were visited, 10*count
// buckets were looked at, or the cursor wrapped to 0, which ends the scan.
// It returns the cursor to resume from.
//
// The cursor increments its bits from the most significant of the mask down,
// so the buckets already visited are always a set of whole "prefix classes":
// when the table doubles, bucket b splits into b and b|oldsize, both of which
// come after b's position in the new order exactly when b came after it in
// the old one; when it halves, buckets merge and at worst some are visited
// twice. Hence elements present for the whole scan are never missed. fn must
// not modify the dict.
func (d *dict) scan(cursor uint64, count int, fn func(i int)) uint64 {
	if len(d.keys) == 0 {
		return 0
	}
	if count < 1 {
		count = 1
	}
	mask := uint64(len(d.buckets) - 1)
	visited, budget := 0, count*10
	v := cursor
	for {
		for e := d.buckets[v&mask]; e != 0; e = d.next[e-1] {
			fn(int(e - 1))
			visited++
		}
		v |= ^mask
		v = bits.Reverse64(bits.Reverse64(v) + 1)
		budget--
		if v == 0 || visited >= count || budget <= 0 {
			return v
		}
	}
}
