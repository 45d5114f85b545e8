package types

// NewHashFrom builds a hash of n pairs given by pair(i), all with distinct
// fields (a decoded value: an RDB load, RESTORE), in the encoding Set would
// reach for them. A listpack is written in one allocation, without the
// lookups and regrowth of n Sets: a RESTORE of a 1 KB hash spent most of
// its time there. A repeated field is not detected (the RDB decoder
// refuses them): it would be stored twice.
func NewHashFrom(n int, pair func(i int) (field, value []byte), lim *Limits) *Hash {
	l := limitsOrDefault(lim)
	h := NewHash()
	size, small := 4, n <= l.HashMaxListpackEntries
	for i := 0; i < n && small; i++ {
		f, v := pair(i)
		if len(f) > l.HashMaxListpackValue || len(v) > l.HashMaxListpackValue {
			small = false
		}
		size += uvarintLen(uint64(len(f))) + len(f) + uvarintLen(uint64(len(v))) + len(v)
	}
	if !small {
		for i := 0; i < n; i++ {
			f, v := pair(i)
			h.Set(f, v, lim)
		}
		return h
	}
	if n == 0 {
		return h
	}
	lp := allocBytes(size)[:size]
	off := 4
	for i := 0; i < n; i++ {
		f, v := pair(i)
		off = putUvarint(lp, off, uint64(len(f)))
		off += copy(lp[off:], f)
		off = putUvarint(lp, off, uint64(len(v)))
		off += copy(lp[off:], v)
	}
	putU32(lp, n)
	h.lp = lp
	return h
}
