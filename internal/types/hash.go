package types

// Hash is Redis's hash. Small hashes are one packed buffer in insertion
// order (the "listpack" encoding): a 4-byte count, then per pair
// varint(len) field varint(len) value. Lookups scan it, which for at most
// hash-max-listpack-entries short pairs is as fast as hashing. A hash
// converts to a dict ("hashtable") when it would exceed
// hash-max-listpack-entries pairs or receives a field or value longer than
// hash-max-listpack-value bytes, and never converts back.
//
// The zero value is an empty hash.
type Hash struct {
	lp []byte // small encoding; nil when empty
	d  *dict  // big encoding, or nil
}

// NewHash returns an empty hash.
func NewHash() *Hash { return &Hash{} }

// Len returns the number of fields (HLEN).
func (h *Hash) Len() int {
	if h.d != nil {
		return h.d.len()
	}
	if h.lp == nil {
		return 0
	}
	return getU32(h.lp)
}

// Encoding answers OBJECT ENCODING: "listpack" or "hashtable".
func (h *Hash) Encoding() string {
	if h.d != nil {
		return "hashtable"
	}
	return "listpack"
}

// lpFind returns the offset of field's pair and the bounds of its value
// (the value's varint starts at vlen); pair is -1 when absent.
func (h *Hash) lpFind(field []byte) (pair, vlen, vs, ve int) {
	for off := 4; off < len(h.lp); {
		fl, p := readUvarint(h.lp, off)
		fe := p + int(fl)
		vl, q := readUvarint(h.lp, fe)
		end := q + int(vl)
		if string(h.lp[p:fe]) == string(field) {
			return off, fe, q, end
		}
		off = end
	}
	return -1, 0, 0, 0
}

// lpNext decodes the pair at off.
func (h *Hash) lpNext(off int) (field, value []byte, next int) {
	fl, p := readUvarint(h.lp, off)
	fe := p + int(fl)
	vl, q := readUvarint(h.lp, fe)
	end := q + int(vl)
	return h.lp[p:fe:fe], h.lp[q:end:end], end
}

// Get returns field's value (HGET).
func (h *Hash) Get(field []byte) ([]byte, bool) {
	if h.d != nil {
		if i := h.d.find(field); i >= 0 {
			return sbytes(h.d.value(i)), true
		}
		return nil, false
	}
	if pair, _, vs, ve := h.lpFind(field); pair >= 0 {
		return h.lp[vs:ve:ve], true
	}
	return nil, false
}

// Exists reports whether field is present (HEXISTS).
func (h *Hash) Exists(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// StrLen returns the length of field's value, 0 when absent (HSTRLEN).
func (h *Hash) StrLen(field []byte) int {
	v, _ := h.Get(field)
	return len(v)
}

// Set stores value under field (HSET, HSETNX after Exists, HINCRBY* after
// Get), converting the encoding when lim says so, and reports whether the
// field is new.
func (h *Hash) Set(field, value []byte, lim *Limits) (created bool) {
	if h.d != nil && h.d.len() == 0 {
		// A reused hash (Reuse): a table until its first pair, which
		// decides the encoding as for a new hash.
		lim := limitsOrDefault(lim)
		if len(field) <= lim.HashMaxListpackValue && len(value) <= lim.HashMaxListpackValue {
			h.d, h.lp = nil, nil
		}
	}
	if h.d == nil {
		lim := limitsOrDefault(lim)
		if len(field) > lim.HashMaxListpackValue || len(value) > lim.HashMaxListpackValue {
			h.convert()
		} else if pair, vlen, _, ve := h.lpFind(field); pair >= 0 {
			h.lpReplace(vlen, ve, value)
			return false
		} else if h.Len()+1 > lim.HashMaxListpackEntries {
			h.convert()
		} else {
			h.lpAppend(field, value)
			return true
		}
	}
	if i := h.d.find(field); i >= 0 {
		h.d.setValue(i, value)
		return false
	}
	h.d.add(field, value)
	return true
}

func (h *Hash) lpAppend(field, value []byte) {
	if h.lp == nil {
		h.lp = allocBytes(4 + entrySize(len(field)) + entrySize(len(value)))[:4]
	}
	n := uvarintLen(uint64(len(field))) + len(field) + uvarintLen(uint64(len(value))) + len(value)
	h.lp = growFor(h.lp, n)
	off := len(h.lp)
	h.lp = h.lp[:off+n]
	off = putUvarint(h.lp, off, uint64(len(field)))
	off += copy(h.lp[off:], field)
	off = putUvarint(h.lp, off, uint64(len(value)))
	copy(h.lp[off:], value)
	addU32(h.lp, 1)
}

// lpReplace rewrites the value whose varint starts at from and which ends at
// to.
func (h *Hash) lpReplace(from, to int, value []byte) {
	size := uvarintLen(uint64(len(value))) + len(value)
	if d := size - (to - from); d > 0 {
		h.lp = insertGap(h.lp, to, d)
	} else if d < 0 {
		h.lp = removeRange(h.lp, to+d, to)
	}
	off := putUvarint(h.lp, from, uint64(len(value)))
	copy(h.lp[off:], value)
}

// convert moves a small hash into a dict, keeping the pairs' order.
func (h *Hash) convert() {
	d := newDict(dictValues, h.Len()+1)
	for off := 4; off < len(h.lp); {
		f, v, next := h.lpNext(off)
		d.add(f, v)
		off = next
	}
	h.d, h.lp = d, nil
}

// Del removes field and reports whether it was present (HDEL).
func (h *Hash) Del(field []byte) bool {
	if h.d != nil {
		if i := h.d.find(field); i >= 0 {
			h.d.delete(i)
			return true
		}
		return false
	}
	pair, _, _, ve := h.lpFind(field)
	if pair < 0 {
		return false
	}
	h.lp = shrinkBytes(removeRange(h.lp, pair, ve))
	addU32(h.lp, -1)
	if getU32(h.lp) == 0 {
		h.lp = nil
	}
	return true
}

// Each calls fn for every pair until fn returns false: insertion order for
// the small encoding, table order (stable while unmodified) for the big one.
func (h *Hash) Each(fn func(field, value []byte) bool) {
	if h.d != nil {
		for i := 0; i < h.d.len(); i++ {
			if !fn(sbytes(h.d.key(i)), sbytes(h.d.value(i))) {
				return
			}
		}
		return
	}
	for off := 4; off < len(h.lp); {
		f, v, next := h.lpNext(off)
		if !fn(f, v) {
			return
		}
		off = next
	}
}

// offsets returns the start of every pair of the small encoding, so random
// picks can address pairs by position.
func (h *Hash) offsets() []int {
	offs := make([]int, 0, h.Len())
	for off := 4; off < len(h.lp); {
		offs = append(offs, off)
		_, _, off = h.lpNext(off)
	}
	return offs
}

// RandField returns a uniformly chosen pair (HRANDFIELD without count).
func (h *Hash) RandField() (field, value []byte, ok bool) {
	n := h.Len()
	if n == 0 {
		return nil, nil, false
	}
	h.RandFields(-1, func(f, v []byte) { field, value = f, v })
	return field, value, true
}

// RandFields implements HRANDFIELD's count: count > 0 yields min(count, Len)
// distinct pairs (all of them, in order, when count >= Len), count < 0 yields
// -count independent uniform picks, repeats allowed. The handler bounds a
// huge negative count.
func (h *Hash) RandFields(count int, fn func(field, value []byte)) {
	n := h.Len()
	if h.d != nil {
		sampleCount(n, count, func(i int) {
			fn(sbytes(h.d.key(i)), sbytes(h.d.value(i)))
		})
		return
	}
	if n == 0 {
		return
	}
	offs := h.offsets()
	sampleCount(n, count, func(i int) {
		f, v, _ := h.lpNext(offs[i])
		fn(f, v)
	})
}

// Scan implements HSCAN: it visits pairs from cursor on and returns the next
// cursor, 0 when done. The small encoding is returned whole with cursor 0,
// whatever the cursor, as in Redis. The big encoding visits buckets until
// about count pairs were seen; every pair present for the whole scan is
// visited at least once (see dict.scan). MATCH filtering is the caller's.
func (h *Hash) Scan(cursor uint64, count int, fn func(field, value []byte)) uint64 {
	if h.d == nil {
		h.Each(func(f, v []byte) bool { fn(f, v); return true })
		return 0
	}
	return h.d.scan(cursor, count, func(i int) {
		fn(sbytes(h.d.key(i)), sbytes(h.d.value(i)))
	})
}
