package types

import (
	"bytes"
	"math"
)

// Each calls fn for every element from head to tail until fn returns false.
func (l *List) Each(fn func(v []byte) bool) {
	for nd := l.head; nd != nil; nd = nd.next {
		for off := int(nd.lo); off < int(nd.hi); {
			var v []byte
			v, off = nd.entryAt(off)
			if !fn(v) {
				return
			}
		}
	}
}

// EachReverse calls fn for every element from tail to head until fn returns
// false.
func (l *List) EachReverse(fn func(v []byte) bool) {
	for nd := l.tail; nd != nil; nd = nd.prev {
		for end := int(nd.hi); end > int(nd.lo); {
			var v []byte
			v, end = nd.entryBefore(end)
			if !fn(v) {
				return
			}
		}
	}
}

// rangeBounds applies LRANGE/LTRIM/ZRANGE index rules: negative indexes count
// from the end, start is clamped to 0 and stop to n-1. ok is false when the
// range is empty.
func rangeBounds(start, stop, n int) (int, int, bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, true
}

// RangeLen returns how many elements Range(start, stop) visits, so a handler
// can write the array header first.
func (l *List) RangeLen(start, stop int) int {
	s, e, ok := rangeBounds(start, stop, l.n)
	if !ok {
		return 0
	}
	return e - s + 1
}

// Range calls fn for the elements from start to stop inclusive with LRANGE's
// index rules, until fn returns false. It allocates nothing.
func (l *List) Range(start, stop int, fn func(v []byte) bool) {
	s, e, ok := rangeBounds(start, stop, l.n)
	if !ok {
		return
	}
	left := e - s + 1
	nd, j := l.locate(s)
	off := nd.offsetOf(j)
	for {
		for off < int(nd.hi) {
			var v []byte
			v, off = nd.entryAt(off)
			if !fn(v) {
				return
			}
			if left--; left == 0 {
				return
			}
		}
		nd = nd.next
		off = int(nd.lo)
	}
}

// Trim keeps only the elements from start to stop inclusive with LTRIM's
// index rules; an empty range empties the list (the caller then deletes the
// key).
func (l *List) Trim(start, stop int) {
	s, e, ok := rangeBounds(start, stop, l.n)
	if !ok {
		l.head, l.tail, l.n = nil, nil, 0
		return
	}
	l.removeFront(s)
	l.removeBack(l.n - (e - s + 1))
}

func (l *List) removeFront(k int) {
	for k > 0 {
		nd := l.head
		if int(nd.cnt) <= k {
			k -= int(nd.cnt)
			l.n -= int(nd.cnt)
			l.unlink(nd)
			continue
		}
		nd.lo = int32(nd.skipForward(int(nd.lo), k))
		nd.cnt -= int32(k)
		l.n -= k
		nd.maybeShrink()
		return
	}
}

func (l *List) removeBack(k int) {
	for k > 0 {
		nd := l.tail
		if int(nd.cnt) <= k {
			k -= int(nd.cnt)
			l.n -= int(nd.cnt)
			l.unlink(nd)
			continue
		}
		nd.hi = int32(nd.skipBackward(int(nd.hi), k))
		nd.cnt -= int32(k)
		l.n -= k
		nd.maybeShrink()
		return
	}
}

// Remove deletes occurrences of v (LREM): count > 0 removes the first count
// from the head, count < 0 the last -count from the tail, 0 all of them. It
// returns how many were removed. Each node is compacted in one pass, so
// removing many elements costs O(Len), not O(Len) per element.
func (l *List) Remove(count int, v []byte) int {
	if count >= 0 {
		return l.removeForward(count, v)
	}
	limit := math.MaxInt
	if count != math.MinInt {
		limit = -count
	}
	removed := 0
	var marks []int // start offsets of matches to drop in the current node
	for nd := l.tail; nd != nil && removed < limit; {
		prev := nd.prev
		marks = marks[:0]
		for end := int(nd.hi); end > int(nd.lo) && removed+len(marks) < limit; {
			e, s := nd.entryBefore(end)
			if bytes.Equal(e, v) {
				marks = append(marks, s)
			}
			end = s
		}
		if len(marks) > 0 {
			removed += len(marks)
			// marks descend; compact forward dropping those starts.
			k := len(marks) - 1
			l.compact(nd, func(s int) bool {
				if k >= 0 && marks[k] == s {
					k--
					return false
				}
				return true
			})
		}
		nd = prev
	}
	return removed
}

func (l *List) removeForward(limit int, v []byte) int {
	if limit == 0 {
		limit = math.MaxInt
	}
	removed := 0
	for nd := l.head; nd != nil && removed < limit; {
		next := nd.next
		l.compact(nd, func(s int) bool {
			if removed < limit {
				if e, _ := nd.entryAt(s); bytes.Equal(e, v) {
					removed++
					return false
				}
			}
			return true
		})
		nd = next
	}
	return removed
}

// compact keeps the entries of nd for which keep(start offset) is true,
// sliding them down in one pass; keep sees each entry at its original
// offset. An emptied node is unlinked.
func (l *List) compact(nd *lnode, keep func(s int) bool) {
	w := int(nd.lo)
	for off := int(nd.lo); off < int(nd.hi); {
		_, e := nd.entryAt(off)
		if keep(off) {
			if w != off {
				copy(nd.buf[w:], nd.buf[off:e])
			}
			w += e - off
		} else {
			nd.cnt--
			l.n--
		}
		off = e
	}
	nd.hi = int32(w)
	if nd.cnt == 0 {
		l.unlink(nd)
	} else {
		nd.maybeShrink()
	}
}

// Pos returns the indexes of matches of v with LPOS semantics, appended to
// dst. rank (never 0; the handler rejects it) picks the first match to
// report: 1 is the first from the head, 2 the second, -1 the first from the
// tail. count is the maximum number of indexes returned, 0 meaning all.
// maxlen bounds how many elements are compared, 0 meaning no bound. Indexes
// always count from the head.
func (l *List) Pos(v []byte, rank, count, maxlen int, dst []int) []int {
	skip := 0
	switch {
	case rank > 0:
		skip = rank - 1
	case rank == math.MinInt:
		skip = math.MaxInt
	default:
		skip = -rank - 1
	}
	compared, found := 0, 0
	visit := func(idx int, e []byte) bool {
		if maxlen > 0 && compared >= maxlen {
			return false
		}
		compared++
		if bytes.Equal(e, v) {
			if skip > 0 {
				skip--
				return true
			}
			dst = append(dst, idx)
			found++
			if count > 0 && found >= count {
				return false
			}
		}
		return true
	}
	if rank > 0 {
		i := 0
		l.Each(func(e []byte) bool { ok := visit(i, e); i++; return ok })
	} else {
		i := l.n - 1
		l.EachReverse(func(e []byte) bool { ok := visit(i, e); i--; return ok })
	}
	return dst
}
