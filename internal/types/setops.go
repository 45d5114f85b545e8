package types

import (
	"slices"
	"strconv"
)

// Set algebra for SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms.
// A nil *Set stands for a missing key, i.e. an empty set. Results are new
// sets built member by member with lim, so they get the encoding Redis gives
// a freshly built destination.

// interEach calls fn for each member of the intersection until fn returns
// false. It walks the smallest set and probes the others, smallest first, so
// the cost is O(min size × number of sets).
func interEach(sets []*Set, fn func(m []byte) bool) {
	if len(sets) == 0 {
		return
	}
	sorted := slices.Clone(sets)
	slices.SortFunc(sorted, func(a, b *Set) int { return a.Len() - b.Len() })
	if sorted[0].Len() == 0 {
		return
	}
	small, others := sorted[0], sorted[1:]
	if small.d == nil {
		var buf [20]byte
		for i, n := 0, small.is.len(); i < n; i++ {
			v := small.is.get(i)
			if allHaveInt(others, v) && !fn(strconv.AppendInt(buf[:0], v, 10)) {
				return
			}
		}
		return
	}
	for i := 0; i < small.d.len(); i++ {
		m := sbytes(small.d.key(i))
		if allHave(others, m) && !fn(m) {
			return
		}
	}
}

func allHaveInt(sets []*Set, v int64) bool {
	for _, s := range sets {
		if !s.hasInt(v) {
			return false
		}
	}
	return true
}

func allHave(sets []*Set, m []byte) bool {
	for _, s := range sets {
		if !s.Has(m) {
			return false
		}
	}
	return true
}

// SetInter returns the intersection of sets (SINTER, SINTERSTORE).
func SetInter(lim *Limits, sets ...*Set) *Set {
	res := NewSet()
	interEach(sets, func(m []byte) bool { res.Add(m, lim); return true })
	return res
}

// SetInterCard returns the size of the intersection, stopping once it reaches
// limit when limit > 0 (SINTERCARD).
func SetInterCard(limit int, sets ...*Set) int {
	n := 0
	interEach(sets, func([]byte) bool {
		n++
		return limit <= 0 || n < limit
	})
	return n
}

// SetUnion returns the union of sets (SUNION, SUNIONSTORE). It starts from a
// copy of the largest set.
func SetUnion(lim *Limits, sets ...*Set) *Set {
	var largest *Set
	for _, s := range sets {
		if s.Len() > largest.Len() {
			largest = s
		}
	}
	if largest == nil {
		return NewSet()
	}
	res := largest.Clone()
	for _, s := range sets {
		if s != largest && s.Len() > 0 {
			s.Each(func(m []byte) bool { res.Add(m, lim); return true })
		}
	}
	if res.d == nil && res.Len() > limitsOrDefault(lim).SetMaxIntsetEntries {
		res.convert() // the limit may have been lowered since largest was built
	}
	return res
}

// SetDiff returns the members of sets[0] that are in none of the others (SDIFF,
// SDIFFSTORE).
func SetDiff(lim *Limits, sets ...*Set) *Set {
	res := NewSet()
	if len(sets) == 0 || sets[0].Len() == 0 {
		return res
	}
	others := make([]*Set, 0, len(sets)-1)
	for _, s := range sets[1:] {
		if s.Len() > 0 {
			others = append(others, s)
		}
	}
	sets[0].Each(func(m []byte) bool {
		for _, o := range others {
			if o.Has(m) {
				return true
			}
		}
		res.Add(m, lim)
		return true
	})
	return res
}
