package types

import "encoding/binary"

// Pair is one hash field and its value, as a decoded value (an RDB load,
// RESTORE) hands them over; internal/rdb's Pair is this type.
type Pair struct{ Field, Value []byte }

// NewHashFrom builds a hash of pairs, all with distinct fields, in the
// encoding Set would reach for them. A listpack is written in one
// allocation, without the lookups and regrowth of one Set per pair: a
// RESTORE of a 1 KB hash spent most of its time there. A repeated field is
// not detected (the RDB decoder refuses them): it would be stored twice.
func NewHashFrom(pairs []Pair, lim *Limits) *Hash {
	l := limitsOrDefault(lim)
	h := NewHash()
	n := len(pairs)
	size, small := 4, n <= l.HashMaxListpackEntries
	for i := 0; i < n && small; i++ {
		f, v := pairs[i].Field, pairs[i].Value
		if len(f) > l.HashMaxListpackValue || len(v) > l.HashMaxListpackValue {
			small = false
		}
		size += uvarintLen(uint64(len(f))) + len(f) + uvarintLen(uint64(len(v))) + len(v)
	}
	if !small {
		for _, p := range pairs {
			h.Set(p.Field, p.Value, lim)
		}
		return h
	}
	if n == 0 {
		return h
	}
	lp := allocBytes(size)[:size]
	off := 4
	for _, p := range pairs {
		off = putLen(lp, off, len(p.Field))
		off += copy(lp[off:], p.Field)
		off = putLen(lp, off, len(p.Value))
		off += copy(lp[off:], p.Value)
	}
	putU32(lp, n)
	h.lp = lp
	return h
}

// putLen is putUvarint with the one-byte case inlined: small hashes'
// fields and values are short.
func putLen(b []byte, off, n int) int {
	if n < 0x80 {
		b[off] = byte(n)
		return off + 1
	}
	return putUvarint(b, off, uint64(n))
}

// AppendPacked appends s to dst in the packed form NewHashPacked takes (a
// length, then the bytes): a decoder writes a hash's fields and values
// there in order, into a buffer it reuses, with no pointers to trace.
func AppendPacked(dst, s []byte) []byte {
	if n := len(s); n < 0x80 {
		dst = append(dst, byte(n))
	} else {
		dst = binary.AppendUvarint(dst, uint64(n))
	}
	return append(dst, s...)
}

// NewHashPacked builds a hash of the pairs packed (n of them: field, value,
// field, ... written by AppendPacked), all with distinct fields, in the
// encoding Set would reach for them; longest is the length of the longest
// field or value, which the packer knows, so the choice of encoding needs
// no second walk. The small encoding is the packed bytes behind a count:
// one allocation and one copy. packed is not kept.
func NewHashPacked(packed []byte, n, longest int, lim *Limits) *Hash {
	h := NewHash()
	h.ResetPacked(packed, n, longest, lim)
	return h
}

// ResetPacked replaces h's contents with the pairs packed, as
// NewHashPacked builds them, writing them into h's own small encoding
// when its buffer has room and is not much larger than they need. Why:
// RESTORE ... REPLACE of a hash frees one of the same shape; rebuilding
// the next payload into it (dump.Manager keeps it) spares the collector a
// kilobyte of garbage per command. The caller must own h alone: a value
// still in a keyspace is reset only after LookupWrite, as any write.
func (h *Hash) ResetPacked(packed []byte, n, longest int, lim *Limits) {
	l := limitsOrDefault(lim)
	h.d = nil
	if n == 0 {
		h.lp = nil
		return
	}
	size := 4 + len(packed)
	if c := cap(h.lp); c >= size && c <= 2*size {
		h.lp = h.lp[:size]
		copy(h.lp[4:], packed)
	} else {
		// Appending to a 4-byte array allocates the size class (as
		// allocBytes does) and copies, zeroing only the tail: no
		// clearing of the whole.
		h.lp = append([]byte{0, 0, 0, 0}, packed...)
	}
	putU32(h.lp, n)
	if n > l.HashMaxListpackEntries || longest > l.HashMaxListpackValue {
		h.convert()
	}
}

// Recyclable reports whether h is worth keeping to ResetPacked into: a
// small encoding of at most max bytes (a larger buffer is left to the
// collector rather than pinned).
func (h *Hash) Recyclable(max int) bool { return h.d == nil && h.lp != nil && cap(h.lp) <= max }
