package keyspace

// HTTable describes one table of a chained hash table for DEBUG HTSTATS:
// its number of buckets, of entries, and Hist[l], the number of buckets
// whose chain holds l entries (Hist[0]: the empty ones).
type HTTable struct {
	Size, Used int
	Hist       []int
}

func chainHist(t []*node) []int {
	hist := []int{0}
	for _, n := range t {
		l := 0
		for ; n != nil; n = n.next {
			l++
		}
		for len(hist) <= l {
			hist = append(hist, 0)
		}
		hist[l]++
	}
	return hist
}

// HTStats describes the database's key table: the main table, then, while
// it is rehashing, the table keys move to (Redis's ht[0] and ht[1]). An
// empty database has one table of size 0.
func (db *DB) HTStats() []HTTable {
	d := db.dict
	out := []HTTable{{Size: len(d.tables[0]), Used: d.used[0], Hist: chainHist(d.tables[0])}}
	if d.rehashing() {
		out = append(out, HTTable{Size: len(d.tables[1]), Used: d.used[1], Hist: chainHist(d.tables[1])})
	}
	return out
}
