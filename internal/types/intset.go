package types

import "encoding/binary"

// intset is the small set encoding, as in Redis: a sorted array of distinct
// integers stored with the narrowest width (2, 4 or 8 bytes) that fits every
// member. Byte 0 holds the width; little-endian elements follow. The width
// only grows (as in Redis), since shrinking would need a full rescan on every
// removal.
type intset []byte

func newIntset() intset { return intset{2} }

func (s intset) width() int { return int(s[0]) }
func (s intset) len() int   { return (len(s) - 1) / int(s[0]) }

func (s intset) get(i int) int64 {
	switch s[0] {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(s[1+2*i:])))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(s[1+4*i:])))
	default:
		return int64(binary.LittleEndian.Uint64(s[1+8*i:]))
	}
}

func (s intset) set(i int, v int64) {
	switch s[0] {
	case 2:
		binary.LittleEndian.PutUint16(s[1+2*i:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(s[1+4*i:], uint32(v))
	default:
		binary.LittleEndian.PutUint64(s[1+8*i:], uint64(v))
	}
}

func widthFor(v int64) byte {
	switch {
	case v >= -1<<15 && v < 1<<15:
		return 2
	case v >= -1<<31 && v < 1<<31:
		return 4
	}
	return 8
}

// search returns the position of v and whether it is present; when absent the
// position is where it would be inserted.
func (s intset) search(v int64) (int, bool) {
	lo, hi := 0, s.len()
	if hi == 0 {
		return 0, false
	}
	// Appending in order is common (ids, timestamps): check the ends first.
	if v > s.get(hi-1) {
		return hi, false
	}
	if v < s.get(0) {
		return 0, false
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x := s.get(m); x < v {
			lo = m + 1
		} else if x > v {
			hi = m
		} else {
			return m, true
		}
	}
	return lo, false
}

func (s intset) has(v int64) bool {
	if widthFor(v) > s[0] {
		return false
	}
	_, ok := s.search(v)
	return ok
}

// add inserts v, returning the new intset and whether v was added.
func (s intset) add(v int64) (intset, bool) {
	if w := widthFor(v); w > s[0] {
		return s.upgradeAndAdd(v, w), true
	}
	pos, ok := s.search(v)
	if ok {
		return s, false
	}
	w := s.width()
	b := insertGap([]byte(s), 1+pos*w, w)
	s = intset(b)
	s.set(pos, v)
	return s, true
}

// upgradeAndAdd widens every element to w and adds v, which is out of the old
// width's range and so goes first (negative) or last (positive).
func (s intset) upgradeAndAdd(v int64, w byte) intset {
	n := s.len()
	ns := intset(allocBytes(1 + (n+1)*int(w)))
	ns = ns[:1+(n+1)*int(w)]
	ns[0] = w
	off := 0
	if v < 0 {
		ns.set(0, v)
		off = 1
	} else {
		ns.set(n, v)
	}
	for i := 0; i < n; i++ {
		ns.set(i+off, s.get(i))
	}
	return ns
}

func (s intset) remove(v int64) (intset, bool) {
	if widthFor(v) > s[0] {
		return s, false
	}
	pos, ok := s.search(v)
	if !ok {
		return s, false
	}
	w := s.width()
	b := removeRange([]byte(s), 1+pos*w, 1+(pos+1)*w)
	return intset(shrinkBytes(b)), true
}

// removeAt deletes the element at position i.
func (s intset) removeAt(i int) intset {
	w := s.width()
	return intset(shrinkBytes(removeRange([]byte(s), 1+i*w, 1+(i+1)*w)))
}
