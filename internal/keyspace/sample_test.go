package keyspace

import (
	"fmt"
	"testing"
)

// The sample gives as many distinct nodes as asked, also beyond the heads
// it gathers at once (maxmemory-samples has no upper bound in Redis 7.0),
// and all of a table smaller than the count.
func TestDictSampleCounts(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	for i := 0; i < 5000; i++ {
		db.SetString([]byte(fmt.Sprint(i)), []byte("v"), false)
	}
	for _, count := range []int{1, 5, 63, 64, 65, 200, 1000} {
		seen := map[*node]bool{}
		db.SampleKeys(count, func(e *Entry) { seen[e] = true })
		if len(seen) != count {
			t.Errorf("sample of %d gave %d distinct nodes", count, len(seen))
		}
	}
	small := New(1).DBs[0]
	for i := 0; i < 10; i++ {
		small.SetString([]byte(fmt.Sprint(i)), []byte("v"), false)
	}
	n := 0
	small.SampleKeys(100, func(*Entry) { n++ })
	if n != 10 {
		t.Errorf("sample of 100 from 10 keys gave %d", n)
	}
}
