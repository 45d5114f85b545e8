package types

// HTTable describes a big encoding's hash table for DEBUG HTSTATS-KEY:
// its number of buckets, of entries, and Hist[l], the number of buckets
// whose chain holds l entries (Hist[0]: the empty ones). The table is
// resized at once, never incrementally, so there is no second table.
type HTTable struct {
	Size, Used int
	Hist       []int
}

func (d *dict) stats() HTTable {
	hist := []int{0}
	for _, head := range d.buckets {
		l := 0
		for i := head; i != 0; i = d.next[i-1] {
			l++
		}
		for len(hist) <= l {
			hist = append(hist, 0)
		}
		hist[l]++
	}
	return HTTable{Size: len(d.buckets), Used: d.len(), Hist: hist}
}

// HTStats describes the hash's table; false when it is listpack-encoded.
func (h *Hash) HTStats() (HTTable, bool) {
	if h.d == nil {
		return HTTable{}, false
	}
	return h.d.stats(), true
}

// HTStats describes the set's table; false when it is an intset.
func (s *Set) HTStats() (HTTable, bool) {
	if s.d == nil {
		return HTTable{}, false
	}
	return s.d.stats(), true
}

// HTStats describes the sorted set's member table (beside its B+tree);
// false when it is listpack-encoded.
func (z *ZSet) HTStats() (HTTable, bool) {
	if z.big == nil {
		return HTTable{}, false
	}
	return z.big.d.stats(), true
}
