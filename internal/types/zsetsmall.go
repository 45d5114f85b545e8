package types

import (
	"encoding/binary"
	"math"
)

// The small sorted-set encoding ("listpack"): a 4-byte count, then entries
// varint(len) member score, sorted by (score, member). A score that is an
// integer of magnitude below 2^53 is stored as a varint (zigzag<<1, usually
// one or two bytes, like listpack's integer entries); any other score is a
// varint 1 followed by its 8 IEEE-754 bytes. Integral scores lose the sign of
// zero, exactly as Redis's listpack (which stores -0 as the integer 0) does.

func scoreLen(f float64) int {
	if i, ok := smallIntScore(f); ok {
		return uvarintLen(zigzag(i) << 1)
	}
	return 9
}

func smallIntScore(f float64) (int64, bool) {
	if f == math.Trunc(f) && f > -(1<<53) && f < 1<<53 {
		return int64(f), true
	}
	return 0, false
}

func zigzag(i int64) uint64 { return uint64(i<<1) ^ uint64(i>>63) }

func putScore(b []byte, off int, f float64) int {
	if i, ok := smallIntScore(f); ok {
		return putUvarint(b, off, zigzag(i)<<1)
	}
	b[off] = 1
	binary.LittleEndian.PutUint64(b[off+1:], math.Float64bits(f))
	return off + 9
}

func readScore(b []byte, off int) (float64, int) {
	v, p := readUvarint(b, off)
	if v&1 == 0 {
		z := v >> 1
		return float64(int64(z>>1) ^ -int64(z&1)), p
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[p:])), p + 8
}

// zlpEntry decodes the entry at off.
func zlpEntry(lp []byte, off int) (member []byte, score float64, next int) {
	n, p := readUvarint(lp, off)
	e := p + int(n)
	score, next = readScore(lp, e)
	return lp[p:e:e], score, next
}

func (z *ZSet) lpLen() int {
	if z.lp == nil {
		return 0
	}
	return getU32(z.lp)
}

// skipScore returns the offset past the score at off without decoding it.
func skipScore(b []byte, off int) int {
	if b[off] == 1 {
		return off + 9
	}
	_, p := readUvarint(b, off)
	return p
}

// lpFind returns the bounds and score of member's entry; off is -1 when
// absent. Scores are only decoded for the match.
func (z *ZSet) lpFind(member []byte) (off, end int, score float64) {
	for off = 4; off < len(z.lp); {
		n, p := readUvarint(z.lp, off)
		e := p + int(n)
		if int(n) == len(member) && string(z.lp[p:e]) == string(member) {
			score, end = readScore(z.lp, e)
			return off, end, score
		}
		off = skipScore(z.lp, e)
	}
	return -1, 0, 0
}

// lpInsert adds a member known to be absent at its place in the order.
func (z *ZSet) lpInsert(member []byte, score float64) {
	if z.lp == nil {
		z.lp = allocBytes(4 + entrySize(len(member)) + 9)[:4]
	}
	off := 4
	for off < len(z.lp) {
		m, s, next := zlpEntry(z.lp, off)
		if s > score || (s == score && string(m) > string(member)) {
			break
		}
		off = next
	}
	size := uvarintLen(uint64(len(member))) + len(member) + scoreLen(score)
	z.lp = insertGap(z.lp, off, size)
	p := putUvarint(z.lp, off, uint64(len(member)))
	p += copy(z.lp[p:], member)
	putScore(z.lp, p, score)
	addU32(z.lp, 1)
}

// lpDelete removes the entries in [off, end), which hold k entries.
func (z *ZSet) lpDelete(off, end, k int) {
	z.lp = shrinkBytes(removeRange(z.lp, off, end))
	addU32(z.lp, -k)
	if getU32(z.lp) == 0 {
		z.lp = nil
	}
}

// lpOffset returns the offset of the entry of rank r (r == Len gives the end).
func (z *ZSet) lpOffset(r int) int {
	off := 4
	for ; r > 0; r-- {
		_, _, off = zlpEntry(z.lp, off)
	}
	return off
}

// lpSeek returns the rank of the first entry for which after is true (see
// btree.seek).
func (z *ZSet) lpSeek(after func(member []byte, score float64) bool) int {
	r := 0
	for off := 4; off < len(z.lp); r++ {
		m, s, next := zlpEntry(z.lp, off)
		if after(m, s) {
			return r
		}
		off = next
	}
	return r
}

// lpWalk visits the entries of ranks [lo, hi), backwards when reverse, until
// fn returns false. Walking backwards needs the entry offsets first: they are
// gathered on the stack for ranges of up to 128 entries.
func (z *ZSet) lpWalk(lo, hi int, reverse bool, fn func(member []byte, score float64) bool) {
	off := z.lpOffset(lo)
	if !reverse {
		for r := lo; r < hi; r++ {
			m, s, next := zlpEntry(z.lp, off)
			if !fn(m, s) {
				return
			}
			off = next
		}
		return
	}
	var stack [128]int32
	offs := stack[:0]
	for r := lo; r < hi; r++ {
		offs = append(offs, int32(off))
		_, _, off = zlpEntry(z.lp, off)
	}
	for i := len(offs) - 1; i >= 0; i-- {
		m, s, _ := zlpEntry(z.lp, int(offs[i]))
		if !fn(m, s) {
			return
		}
	}
}
