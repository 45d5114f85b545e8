package types

// lnode is one node of a List: a packed buffer of entries, like a quicklist
// node's listpack. An entry is varint(len) | bytes | backlen(len), where
// backlen is the same length readable from its last byte, so the node can be
// walked in both directions without an offset table: 2 bytes of overhead for
// elements under 128 bytes, as in listpack.
//
// Live entries occupy buf[lo:hi]; the free space on both sides makes pushes
// at either end O(1) amortized (a gap buffer) instead of listpack's realloc
// and memmove of the whole node.
type lnode struct {
	prev, next *lnode
	buf        []byte
	lo, hi     int32
	cnt        int32
}

func entrySize(n int) int { return 2*uvarintLen(uint64(n)) + n }

// writeEntry writes v at off and returns the offset past it.
func writeEntry(b []byte, off int, v []byte) int {
	off = putUvarint(b, off, uint64(len(v)))
	off += copy(b[off:], v)
	end := off + uvarintLen(uint64(len(v)))
	putBackLen(b, end, uint64(len(v)))
	return end
}

// entryAt returns the value of the entry starting at off and the offset of
// the next entry.
func (nd *lnode) entryAt(off int) ([]byte, int) {
	n, p := readUvarint(nd.buf, off)
	e := p + int(n)
	return nd.buf[p:e:e], e + uvarintLen(n)
}

// entryBefore returns the value of the entry ending at end and its start.
func (nd *lnode) entryBefore(end int) ([]byte, int) {
	n, p := readBackLen(nd.buf, end)
	s := p - int(n)
	return nd.buf[s:p:p], s - uvarintLen(n)
}

func (nd *lnode) live() int { return int(nd.hi - nd.lo) }

func newLNode(size int) *lnode {
	return &lnode{buf: allocBytes(max(size, 16))}
}

// relocate moves the live bytes into buf (which may be nd.buf itself),
// leaving front bytes free before them.
func (nd *lnode) relocate(buf []byte, front int) {
	live := nd.live()
	copy(buf[front:], nd.buf[nd.lo:nd.hi])
	nd.buf, nd.lo, nd.hi = buf, int32(front), int32(front+live)
}

// room ensures sz free bytes after hi (back) or before lo (front). limit is
// the node's byte budget: growing the buffer past it is useless, so then the
// live bytes are shifted instead. When the node has been used at the other
// end, half of the spare space is kept there.
func (nd *lnode) room(sz int, back bool, limit int) {
	if back && int(nd.hi)+sz <= len(nd.buf) || !back && int(nd.lo) >= sz {
		return
	}
	live := nd.live()
	otherEndUsed := back && nd.lo > 0 || !back && int(nd.hi) < len(nd.buf)
	buf := nd.buf
	if c := len(buf); c-live < sz || (c < limit && c-live < 2*sz) {
		buf = allocBytes(max(live+sz, min(2*c, max(limit, live+sz))))
	}
	keep := 0
	if otherEndUsed {
		keep = (len(buf) - live - sz) / 2
	}
	if back {
		nd.relocate(buf, keep)
	} else {
		nd.relocate(buf, len(buf)-live-keep)
	}
}

// pushBack and pushFront append an entry; the caller checked the node limit.
func (nd *lnode) pushBack(v []byte, limit int) {
	nd.room(entrySize(len(v)), true, limit)
	nd.hi = int32(writeEntry(nd.buf, int(nd.hi), v))
	nd.cnt++
}

func (nd *lnode) pushFront(v []byte, limit int) {
	sz := entrySize(len(v))
	nd.room(sz, false, limit)
	nd.lo -= int32(sz)
	writeEntry(nd.buf, int(nd.lo), v)
	nd.cnt++
}

// insertAt writes v as a new entry at off (an entry boundary in [lo, hi]),
// moving whichever side of off is cheaper.
func (nd *lnode) insertAt(off int, v []byte, limit int) {
	sz := entrySize(len(v))
	lo, hi := int(nd.lo), int(nd.hi)
	switch {
	case off-lo <= hi-off && lo >= sz:
		copy(nd.buf[lo-sz:], nd.buf[lo:off])
		nd.lo -= int32(sz)
		writeEntry(nd.buf, off-sz, v)
	case len(nd.buf)-hi >= sz:
		copy(nd.buf[off+sz:], nd.buf[off:hi])
		nd.hi += int32(sz)
		writeEntry(nd.buf, off, v)
	default:
		live := hi - lo
		buf := allocBytes(max(live+sz, min(2*len(nd.buf), max(limit, live+sz))))
		n := copy(buf, nd.buf[lo:off])
		n = writeEntry(buf, n, v)
		n += copy(buf[n:], nd.buf[off:hi])
		nd.buf, nd.lo, nd.hi = buf, 0, int32(n)
	}
	nd.cnt++
}

// deleteAt removes the entry at [s, e), moving the cheaper side.
func (nd *lnode) deleteAt(s, e int) {
	if s-int(nd.lo) < int(nd.hi)-e {
		copy(nd.buf[int(nd.lo)+e-s:], nd.buf[nd.lo:s])
		nd.lo += int32(e - s)
	} else {
		copy(nd.buf[s:], nd.buf[e:nd.hi])
		nd.hi -= int32(e - s)
	}
	nd.cnt--
	nd.maybeShrink()
}

// maybeShrink gives memory back once a node is mostly empty, keeping the
// live bytes centred so both ends can still grow.
func (nd *lnode) maybeShrink() {
	live := nd.live()
	if len(nd.buf) > 256 && live < len(nd.buf)/4 {
		buf := allocBytes(2*live + 16)
		nd.relocate(buf, (len(buf)-live)/2)
	}
}

// skipForward returns the offset after k entries starting at off.
func (nd *lnode) skipForward(off, k int) int {
	for ; k > 0; k-- {
		n, p := readUvarint(nd.buf, off)
		off = p + int(n) + uvarintLen(n)
	}
	return off
}

// skipBackward returns the start offset of the k-th entry before end.
func (nd *lnode) skipBackward(end, k int) int {
	for ; k > 0; k-- {
		n, p := readBackLen(nd.buf, end)
		end = p - int(n) - uvarintLen(n)
	}
	return end
}

// offsetOf returns the start offset of the i-th entry of the node, walking
// from the nearer end.
func (nd *lnode) offsetOf(i int) int {
	if i <= int(nd.cnt)/2 {
		return nd.skipForward(int(nd.lo), i)
	}
	return nd.skipBackward(int(nd.hi), int(nd.cnt)-i)
}
