package keyspace

import (
	"fmt"
	"testing"
)

// The sample gives as many distinct nodes as asked, also beyond the heads
// it gathers at once (maxmemory-samples has no upper bound in Redis 7.0),
// and all of a table smaller than the count. (In a table 61% full, as
// here once its rehash is over, the walk never meets the run of empty
// buckets that ends it early; mid-rehash see the next test.)
func TestDictSampleCounts(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	for i := 0; i < 5000; i++ {
		db.SetString([]byte(fmt.Sprint(i)), []byte("v"), false)
	}
	for db.dict.rehashing() {
		db.dict.rehashStep(100)
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

// Mid-rehash the walk meets long runs of empty buckets (the new table's
// stretches not yet filled) and jumps elsewhere: it never gives a node
// twice (a jump once landed on buckets already walked: 61 distinct of
// 65), and seldom fewer than asked (Redis's count*10 buckets often did).
func TestDictSampleNeverRepeatsMidRehash(t *testing.T) {
	db := New(1).DBs[0]
	for i := 0; i < 5000; i++ {
		db.SetString([]byte(fmt.Sprint(i)), []byte("v"), false)
	}
	short := 0
	for round := 0; round < 400; round++ {
		if round%100 == 0 {
			// A fresh table each 100 rounds: sampling moves the rehash on.
			db = New(1).DBs[0]
			for i := 0; i < 5000; i++ {
				db.SetString([]byte(fmt.Sprint(i)), []byte("v"), false)
			}
			if !db.dict.rehashing() {
				t.Fatal("5000 keys in: the table should be rehashing")
			}
		}
		for _, count := range []int{1, 5, 63, 64, 65, 200} {
			seen := map[*node]bool{}
			calls := 0
			db.SampleKeys(count, func(e *Entry) { seen[e] = true; calls++ })
			if len(seen) != calls {
				t.Fatalf("round %d: sample of %d gave %d nodes, %d distinct", round, count, calls, len(seen))
			}
			if calls < count {
				short++
			}
		}
	}
	// Short samples are rare with the walk's 100 extra buckets (none in
	// 20 runs of these 2,400).
	if short > 2 {
		t.Errorf("%d of 2400 samples were short", short)
	}
}

// advance walks on, jumps, wraps and skips what was walked.
func TestWalkedRunsAdvance(t *testing.T) {
	const mask = 15
	w := walkedRuns{start: 10}
	if got := w.advance(10, 11, mask); got != 11 {
		t.Fatalf("plain step = %d", got)
	}
	if got := w.advance(11, 3, mask); got != 3 || w.n != 1 || w.runs[0] != [2]int{10, 12} {
		t.Fatalf("jump = %d, runs %v", got, w.runs[:w.n])
	}
	if got := w.advance(3, 11, mask); got != 12 || w.runs[1] != [2]int{3, 4} {
		t.Fatalf("jump into a walked stretch = %d, runs %v", got, w.runs[:w.n])
	}
	// Walking on to the end wraps to 0, recording [12,16).
	for cur := 12; cur < 15; cur++ {
		if got := w.advance(cur, cur+1, mask); got != cur+1 {
			t.Fatalf("step from %d = %d", cur, got)
		}
	}
	if got := w.advance(15, 16, mask); got != 0 {
		t.Fatalf("wrap = %d, runs %v", got, w.runs[:w.n])
	}
	// From 0 the walk reaches [3,4) at 3, joins it, and goes on at 4.
	for cur := 0; cur < 2; cur++ {
		w.advance(cur, cur+1, mask)
	}
	if got := w.advance(2, 3, mask); got != 4 {
		t.Fatalf("step into a walked stretch = %d, runs %v", got, w.runs[:w.n])
	}
	// 4..9 are left; then every bucket is walked.
	for cur := 4; cur < 9; cur++ {
		if got := w.advance(cur, cur+1, mask); got != cur+1 {
			t.Fatalf("step from %d = %d, runs %v", cur, got, w.runs[:w.n])
		}
	}
	if got := w.advance(9, 10, mask); got != -1 {
		t.Fatalf("after the last bucket = %d, runs %v", got, w.runs[:w.n])
	}
}
