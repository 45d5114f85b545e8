package command

import (
	"bytes"
	"cmp"
	"slices"
	"sync"
)

// SORT's working set, without pointers and recycled through a pool: the
// elements (and ALPHA weights read through BY) are copied into one byte
// arena, each item refers to its bytes by offsets, and the sort permutes
// 4-byte indexes. So a SORT allocates nothing here and the GC neither
// scans nor write-barriers its items; the copies also detach the elements
// from the value (a set formats intset members into a temporary buffer,
// and STORE may replace the sorted key).

// sortEnt is one element: its bytes, its numeric weight, and its ALPHA
// weight read through BY (wOK=false when that key or field is missing).
type sortEnt struct {
	score      float64
	off, end   int
	wOff, wEnd int
	wOK        bool
}

type sortScratch struct {
	arena []byte
	items []sortEnt
	perm  []int32 // after sort: item i of the answer is items[perm[i]]
	// sorted: perm is valid.
	sorted bool
}

var sortScratchPool = sync.Pool{New: func() any { return new(sortScratch) }}

// Scratch larger than this is dropped rather than kept for reuse.
const sortPoolMaxItems = 1 << 14

func getSortScratch() *sortScratch {
	s := sortScratchPool.Get().(*sortScratch)
	s.arena, s.items, s.perm, s.sorted = s.arena[:0], s.items[:0], s.perm[:0], false
	return s
}

func (s *sortScratch) release() {
	if cap(s.items) > sortPoolMaxItems || cap(s.arena) > 64*sortPoolMaxItems {
		return
	}
	sortScratchPool.Put(s)
}

func (s *sortScratch) add(m []byte) {
	off := len(s.arena)
	s.arena = append(s.arena, m...)
	s.items = append(s.items, sortEnt{off: off, end: len(s.arena)})
}

func (s *sortScratch) elem(it *sortEnt) []byte { return s.arena[it.off:it.end:it.end] }

// at returns the i-th item of the answer.
func (s *sortScratch) at(i int) *sortEnt {
	if s.sorted {
		return &s.items[s.perm[i]]
	}
	return &s.items[i]
}

// sort orders the items by Redis's sortCompare: numbers (ties broken by
// the elements' bytes), or ALPHA on the BY weights (missing ones first) or
// on the elements; ALPHA compares as strcoll in the C locale (up to a
// NUL), or every byte when storing. DESC reverses the comparison; equal
// items keep their input order (glibc's qsort, a merge sort, is stable).
func (s *sortScratch) sort(alpha, byPattern, storing, desc bool) {
	items, arena := s.items, s.arena
	sign := 1
	if desc {
		sign = -1
	}
	s.perm = slices.Grow(s.perm[:0], len(items))[:len(items)]
	for i := range s.perm {
		s.perm[i] = int32(i)
	}
	s.sorted = true
	if !alpha {
		// The common case, with its comparison inlined.
		slices.SortFunc(s.perm, func(i, j int32) int {
			a, b := &items[i], &items[j]
			c := 0
			switch {
			case a.score > b.score:
				c = 1
			case a.score < b.score:
				c = -1
			default:
				c = bytes.Compare(arena[a.off:a.end], arena[b.off:b.end])
			}
			if c != 0 {
				return sign * c
			}
			return cmp.Compare(i, j)
		})
		return
	}
	var compare func(a, b *sortEnt) int
	switch {
	case byPattern:
		compare = func(a, b *sortEnt) int {
			switch {
			case !a.wOK || !b.wOK:
				if !a.wOK && b.wOK {
					return -1
				} else if a.wOK && !b.wOK {
					return 1
				}
				return 0
			case storing:
				return bytes.Compare(arena[a.wOff:a.wEnd], arena[b.wOff:b.wEnd])
			}
			return bytes.Compare(cstr(arena[a.wOff:a.wEnd]), cstr(arena[b.wOff:b.wEnd]))
		}
	case storing:
		compare = func(a, b *sortEnt) int { return bytes.Compare(arena[a.off:a.end], arena[b.off:b.end]) }
	default:
		compare = func(a, b *sortEnt) int { return bytes.Compare(cstr(arena[a.off:a.end]), cstr(arena[b.off:b.end])) }
	}
	slices.SortFunc(s.perm, func(i, j int32) int {
		if c := compare(&items[i], &items[j]); c != 0 {
			return sign * c
		}
		return cmp.Compare(i, j)
	})
}
