package rdb

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/tandemdb/tandem/internal/resp"
)

// keepScratch bounds the scratch buffers an Encoder keeps between entries.
const keepScratch = 1 << 20

// WriteEntry writes one key with its expiry, eviction metadata and value,
// choosing the encoding Redis 7.0 would:
//
//   - strings: integer encodings for short canonical integers, LZF when
//     Compression is on and it pays, else raw;
//   - lists: LIST_QUICKLIST_2 with listpack (PACKED) nodes sized by
//     Limits.ListMaxListpackSize;
//   - sets: SET_INTSET when every member is a canonical integer and there
//     are at most Limits.SetMaxIntsetEntries of them, else SET (Redis 7.0 has no
//     set listpack);
//   - hashes: HASH_LISTPACK when small (entries and every field and value
//     within the limits), else HASH;
//   - sorted sets: ZSET_LISTPACK sorted by (score, member) when small, else
//     ZSET_2 with binary scores, highest first as Redis writes them;
//   - an expiry as EXPIRETIME_MS, then IDLE and FREQ if set.
//
// If ent.DB differs from the current database a SELECTDB is written first
// (without RESIZEDB: call SelectDB and ResizeDB yourself for the hint).
//
// Empty collections return ErrEmptyCollection, streams and modules
// ErrUnsupportedKind, NaN scores an error; in those cases nothing is written
// and the Encoder stays usable. Duplicate keys, members or fields are not
// detected: Redis refuses such files, so the caller must not produce them.
// ent is not modified and not retained.
func (e *Encoder) WriteEntry(ent *Entry) error {
	if err := e.ready(); err != nil {
		return err
	}
	if err := checkEntry(ent); err != nil {
		return err
	}
	if ent.DB != e.db {
		if err := e.SelectDB(ent.DB); err != nil {
			return err
		}
	}
	if ent.ExpireAt != NoExpiry {
		e.raw(opExpireTimeMs)
		e.u64(uint64(ent.ExpireAt))
	}
	if ent.LRU.HasIdle {
		e.raw(opIdle)
		e.length(ent.LRU.Idle)
	}
	if ent.LRU.HasFreq {
		e.raw(opFreq, ent.LRU.Freq)
	}
	e.writeValue(ent)
	return e.err
}

// writeValue writes the type byte, the key (unless valueOnly) and the value
// of ent.
func (e *Encoder) writeValue(ent *Entry) {
	switch ent.Kind {
	case KindString:
		if e.valueOnly {
			e.raw(byte(TypeString))
			e.string(ent.Str)
			return
		}
		if e.err == nil && e.shortString(ent.Key) && e.shortString(ent.Str) {
			// The common small key: straight into the buffer.
			b := append(e.buf, byte(TypeString))
			b = appendShortString(b, ent.Key)
			b = appendShortString(b, ent.Str)
			e.n += int64(len(b) - len(e.buf))
			e.buf = b
			if len(e.buf) >= flushAt {
				_ = e.Flush()
			}
			return
		}
		e.typeKey(TypeString, ent.Key)
		e.string(ent.Str)
	case KindList:
		e.writeList(ent.Key, ent.List)
	case KindSet:
		e.writeSet(ent.Key, ent.Set)
	case KindHash:
		e.writeHash(ent.Key, ent.Hash)
	case KindZSet:
		e.writeZSet(ent.Key, ent.ZSet)
	case KindStream:
		e.writeStream(ent.Key, ent.Stream)
	}
	e.trimScratch()
}

// typeKey starts a key record: the type byte, then the key, which a DUMP
// payload (valueOnly) leaves out.
func (e *Encoder) typeKey(t Type, key []byte) {
	e.raw(byte(t))
	if !e.valueOnly {
		e.string(key)
	}
}

func checkEntry(ent *Entry) error {
	var n int
	switch ent.Kind {
	case KindString:
		return nil
	case KindList:
		n = len(ent.List)
	case KindSet:
		n = len(ent.Set)
	case KindHash:
		n = len(ent.Hash)
	case KindZSet:
		n = len(ent.ZSet)
		for _, m := range ent.ZSet {
			if math.IsNaN(m.Score) {
				return fmt.Errorf("rdb: key %q: NaN score for member %q", ent.Key, m.Member)
			}
		}
	case KindStream:
		if ent.Stream == nil {
			return fmt.Errorf("%w: stream without a value (key %q)", ErrUnsupportedKind, ent.Key)
		}
		return nil // an empty stream is a valid value
	default:
		return fmt.Errorf("%w: %v (key %q)", ErrUnsupportedKind, ent.Kind, ent.Key)
	}
	if n == 0 {
		return fmt.Errorf("%w: %v %q", ErrEmptyCollection, ent.Kind, ent.Key)
	}
	return nil
}

func (e *Encoder) trimScratch() {
	if cap(e.blob) > keepScratch {
		e.blob = nil
	}
	if cap(e.lzfOut) > keepScratch {
		e.lzfOut = nil
	}
	if cap(e.zset) > keepScratch/32 {
		e.zset = nil
	}
	if cap(e.ints) > keepScratch/8 {
		e.ints = nil
	}
}

// writeList writes a LIST_QUICKLIST_2. Node boundaries are computed twice,
// once to count the nodes (the count comes first) and once to write them,
// so no more than one node is ever built in memory.
func (e *Encoder) writeList(key []byte, list [][]byte) {
	e.typeKey(TypeListQuicklist2, key)
	nodes := 0
	e.splitList(list, func(int, int, bool) { nodes++ })
	e.length(uint64(nodes))
	e.splitList(list, func(from, to int, plain bool) {
		if plain {
			e.length(containerPlain)
			e.string(list[from])
			return
		}
		e.length(containerPacked)
		lp := lpStart(e.blob)
		for _, el := range list[from:to] {
			lp = lpAppendElement(lp, el)
		}
		e.blob = lpFinish(lp, to-from)
		e.string(e.blob)
	})
}

// splitList calls node for each quicklist node of list in order: the range
// of elements it holds and whether it is a PLAIN node. A node takes elements
// while it stays within the fill limit (Redis's _quicklistNodeAllowInsert,
// computed here on exact listpack sizes); an element too big for any node
// still gets a packed node of its own, and one past the plain threshold a
// PLAIN node.
func (e *Encoder) splitList(list [][]byte, node func(from, to int, plain bool)) {
	fill := e.lim.ListMaxListpackSize
	sizeLimit, countLimit := quicklistSafetyLimit, math.MaxInt
	if fill < 0 {
		sizeLimit = 4096 << (-fill - 1)
	} else {
		countLimit = fill
	}
	from, size := 0, lpHeaderSize+1
	for i, el := range list {
		if len(el) >= e.opts.plainThreshold {
			if i > from {
				node(from, i, false)
			}
			node(i, i+1, true)
			from, size = i+1, lpHeaderSize+1
			continue
		}
		sz := lpElementSize(el)
		if i > from && (size+sz > sizeLimit || i-from >= countLimit) {
			node(from, i, false)
			from, size = i, lpHeaderSize+1
		}
		size += sz
	}
	if from < len(list) {
		node(from, len(list), false)
	}
}

func (e *Encoder) writeSet(key []byte, set [][]byte) {
	if ints, ok := e.intsetMembers(set); ok {
		e.typeKey(TypeSetIntset, key)
		e.blob = intsetAppend(e.blob[:0], ints)
		e.string(e.blob)
		return
	}
	e.typeKey(TypeSet, key)
	e.length(uint64(len(set)))
	for _, m := range set {
		e.string(m)
	}
}

// intsetMembers returns the members as sorted integers when the set
// qualifies for an intset.
func (e *Encoder) intsetMembers(set [][]byte) ([]int64, bool) {
	if len(set) > e.lim.SetMaxIntsetEntries {
		return nil, false
	}
	ints := e.ints[:0]
	for _, m := range set {
		v, ok := resp.ParseInt(m)
		if !ok {
			return nil, false
		}
		ints = append(ints, v)
	}
	e.ints = ints
	slices.Sort(ints)
	// A duplicate would make an invalid intset; the plain type lets Redis
	// report it instead of misbehaving.
	for i := 1; i < len(ints); i++ {
		if ints[i] == ints[i-1] {
			return nil, false
		}
	}
	return ints, true
}

func (e *Encoder) writeHash(key []byte, hash []Pair) {
	if e.hashFitsListpack(hash) {
		e.typeKey(TypeHashListpack, key)
		lp := lpStart(e.blob)
		for _, p := range hash {
			lp = lpAppendElement(lp, p.Field)
			lp = lpAppendElement(lp, p.Value)
		}
		e.blob = lpFinish(lp, 2*len(hash))
		e.string(e.blob)
		return
	}
	e.typeKey(TypeHash, key)
	e.length(uint64(len(hash)))
	for _, p := range hash {
		e.string(p.Field)
		e.string(p.Value)
	}
}

func (e *Encoder) hashFitsListpack(hash []Pair) bool {
	if len(hash) > e.lim.HashMaxListpackEntries {
		return false
	}
	total := 0
	for _, p := range hash {
		if len(p.Field) > e.lim.HashMaxListpackValue || len(p.Value) > e.lim.HashMaxListpackValue {
			return false
		}
		total += len(p.Field) + len(p.Value)
	}
	return total < lpMaxSafeSize/2
}

func (e *Encoder) writeZSet(key []byte, zset []ZMember) {
	// Sort a copy: ascending (score, member) is the listpack order Redis
	// relies on for ZRANGE; ZSET_2 is written in the reverse order, as a
	// skiplist walked from its tail, which lets Redis insert at the head.
	sorted := append(e.zset[:0], zset...)
	e.zset = sorted
	slices.SortFunc(sorted, func(a, b ZMember) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.Member, b.Member)
	})
	defer clear(sorted)
	if e.zsetFitsListpack(sorted) {
		e.typeKey(TypeZSetListpack, key)
		lp := lpStart(e.blob)
		for _, m := range sorted {
			lp = lpAppendElement(lp, m.Member)
			e.scratch = appendScore(e.scratch[:0], m.Score)
			lp = lpAppendElement(lp, e.scratch)
		}
		e.blob = lpFinish(lp, 2*len(sorted))
		e.string(e.blob)
		return
	}
	e.typeKey(TypeZSet2, key)
	e.length(uint64(len(sorted)))
	for i := len(sorted) - 1; i >= 0; i-- {
		e.string(sorted[i].Member)
		e.u64(math.Float64bits(sorted[i].Score))
	}
}

func (e *Encoder) zsetFitsListpack(zset []ZMember) bool {
	if len(zset) > e.lim.ZSetMaxListpackEntries {
		return false
	}
	total := 0
	for _, m := range zset {
		if len(m.Member) > e.lim.ZSetMaxListpackValue {
			return false
		}
		total += len(m.Member) + 24
	}
	return total < lpMaxSafeSize/2
}
