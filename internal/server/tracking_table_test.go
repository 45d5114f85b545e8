package server

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/tandemdb/tandem/internal/command"
)

func TestTrackedReaders(t *testing.T) {
	var tt trackTable
	var r trackedReaders
	added := 0
	for _, id := range []int64{5, 5, 9, 5, 1, 9, 1, 7, 7, 3} {
		if tt.addReader(&r, id, nil) == readerAdded {
			added++
		}
	}
	got := tt.appendReaders(nil, r)
	slices.Sort(got)
	if added != 5 || !slices.Equal(got, []int64{1, 3, 5, 7, 9}) {
		t.Fatalf("added %d, ids %v; want 5, [1 3 5 7 9]", added, got)
	}
	// Past the inline ids, the slice and the map: each id once.
	var many trackedReaders
	for round := 0; round < 2; round++ {
		for id := int64(100); id < 200; id++ {
			if (tt.addReader(&many, id, nil) == readerAdded) != (round == 0) {
				t.Fatalf("round %d: add(%d) said new %v", round, id, round != 0)
			}
		}
	}
	got = tt.appendReaders(got[:0], many)
	slices.Sort(got)
	if len(got) != 100 || got[0] != 100 || got[99] != 199 {
		t.Fatalf("100 readers: got %d (%v…)", len(got), got[:min(3, len(got))])
	}
	if r.more != 0 || many.more == 0 || len(tt.more) != 1 {
		t.Fatalf("overflow entries %d, %d of %d: want five readers inline, a hundred not", r.more, many.more, len(tt.more))
	}
}

// A reader gone leaves its inline place to a new one while the key has no
// overflow entry; live readers are all kept, and ids past 32 bits go to
// the overflow store.
func TestTrackedReadersReplaceGone(t *testing.T) {
	var tt trackTable
	var r trackedReaders
	live := map[int64]bool{}
	gone := func(id int64) bool { return !live[id] }
	for id := int64(1); id <= inlineReaders; id++ {
		live[id] = true
		if got := tt.addReader(&r, id, gone); got != readerAdded {
			t.Fatalf("add(%d) = %d, want added", id, got)
		}
	}
	live[1], live[100], live[101], live[102] = false, true, true, true
	if got := tt.addReader(&r, 100, gone); got != readerReplaced || r.ids[0] != 100 || r.more != 0 {
		t.Fatalf("add(100) with 1 gone = %d, readers %+v; want 100 in 1's place", got, r)
	}
	if got := tt.addReader(&r, 101, gone); got != readerAdded || r.more == 0 {
		t.Fatalf("add(101), all live = %d, readers %+v; want it in the overflow", got, r)
	}
	live[2], live[3] = false, false
	if got := tt.addReader(&r, 102, gone); got != readerAdded {
		t.Fatalf("add(102) with an overflow = %d; want added (no replacing then)", got)
	}
	if got := tt.addReader(&r, 101, gone); got != readerKnown {
		t.Fatalf("add(101) again = %d; want known (found in the overflow)", got)
	}
	const wide = int64(1) << 40
	var w trackedReaders
	if tt.addReader(&w, wide, gone) != readerAdded || w.more == 0 || tt.addReader(&w, wide, gone) != readerKnown {
		t.Fatalf("an id past 32 bits: readers %+v; want it once, in the overflow", w)
	}
	ids := tt.appendReaders(nil, r)
	slices.Sort(ids)
	if want := []int64{2, 3, 4, 5, 100, 101, 102}; !slices.Equal(ids, want) {
		t.Fatalf("readers %v, want %v", ids, want)
	}
}

// A taken key's overflow entry is reused, empty, by the next key that
// needs one.
func TestTrackTableReusesOverflow(t *testing.T) {
	var tt trackTable
	record := func(k string, ids ...int64) {
		r := tt.get([]byte(k))
		for _, id := range ids {
			tt.addReader(&r, id, nil)
		}
		tt.set([]byte(k), r)
	}
	record("a", 1, 2, 3, 4, 5, 6, 7)
	ids, ok := tt.take([]byte("a"), nil)
	slices.Sort(ids)
	if !ok || !slices.Equal(ids, []int64{1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("take(a) = %v %v", ids, ok)
	}
	record("b", 7, 8, 9, 10, 11, 12)
	ids, _ = tt.take([]byte("b"), nil)
	slices.Sort(ids)
	if len(tt.more) != 1 || !slices.Equal(ids, []int64{7, 8, 9, 10, 11, 12}) {
		t.Fatalf("after reuse: %d overflow entries, b's readers %v", len(tt.more), ids)
	}
	if _, ok := tt.take([]byte("a"), nil); ok {
		t.Fatal("a taken twice")
	}
}

// eachKey visits the indexes Spec.Keys lists.
func TestEachKey(t *testing.T) {
	for _, tc := range []struct {
		spec command.Spec
		args int
	}{
		{command.Spec{FirstKey: 1, LastKey: 1, Step: 1}, 2},
		{command.Spec{FirstKey: 1, LastKey: -1, Step: 1}, 5},
		{command.Spec{FirstKey: 1, LastKey: -1, Step: 2}, 7},
		{command.Spec{FirstKey: 2, LastKey: -2, Step: 1}, 6},
		{command.Spec{FirstKey: 0}, 3},
		{command.Spec{FirstKey: 1, LastKey: 3, Step: 1}, 2},
		{command.Spec{KeysFn: func([][]byte) []int { return []int{2, 4} }}, 5},
	} {
		args := make([][]byte, tc.args)
		var got []int
		eachKey(&tc.spec, args, func(i int) { got = append(got, i) })
		if want := tc.spec.Keys(args); !slices.Equal(got, want) {
			t.Errorf("%+v over %d args: %v, Spec.Keys says %v", tc.spec, tc.args, got, want)
		}
	}
}

// trackTable keeps short keys inline and long ones by string: both kinds
// are found, taken and listed, and keys differing only by trailing zero
// bytes stay apart.
func TestTrackTable(t *testing.T) {
	var tt trackTable
	keys := [][]byte{[]byte(""), []byte("a"), []byte("a\x00"), []byte("k:00000000000000000001"),
		[]byte("exactly-23-bytes-long-k"), []byte("a key longer than twenty-three bytes")}
	for i, k := range keys {
		var r trackedReaders
		tt.addReader(&r, int64(i+1), nil)
		tt.set(k, r)
	}
	if tt.len() != len(keys) || len(tt.long) != 1 {
		t.Fatalf("len %d (long %d), want %d (1)", tt.len(), len(tt.long), len(keys))
	}
	for i, k := range keys {
		if r := tt.get(k); r.ids != [inlineReaders]uint32{uint32(i + 1)} {
			t.Fatalf("get(%q) = %+v", k, r)
		}
	}
	seen := map[string]bool{}
	tt.eachKey(func(k []byte) bool {
		seen[string(k)] = true
		if string(k) == "a" {
			tt.take(k, nil) // removing while listing
		}
		return true
	})
	if len(seen) != len(keys) {
		t.Fatalf("eachKey listed %d keys, want %d", len(seen), len(keys))
	}
	if _, ok := tt.take([]byte("a"), nil); ok {
		t.Fatal(`"a" still there after take`)
	}
	if ids, ok := tt.take(keys[5], nil); !ok || !slices.Equal(ids, []int64{6}) {
		t.Fatalf("take(long) = %v %v", ids, ok)
	}
	if r := tt.get([]byte("a\x00")); tt.len() != len(keys)-2 || r.ids[0] != 3 {
		t.Fatalf("after takes: len %d", tt.len())
	}
}

// BenchmarkTrackTable is the table's share of a tracked GET as
// bench/tracking.sh loads it: key:%012d names of 100,000 keys read at
// random by clients that come and go (a new reader id every 2,000 reads),
// so most reads record a new (key, client) pair and keys gather readers;
// "again" is a client re-reading keys it has recorded already.
func BenchmarkTrackTable(b *testing.B) {
	const nkeys = 100000
	keys := make([][]byte, nkeys)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
	}
	order := rand.New(rand.NewSource(1)).Perm(nkeys)
	// The clients of the previous reader ids have gone.
	record := func(t *trackTable, k []byte, id int64) {
		r := t.get(k)
		if t.addReader(&r, id, func(x int64) bool { return x < id }) != readerKnown {
			t.set(k, r)
		}
	}
	b.Run("new", func(b *testing.B) {
		var t trackTable
		reportCPU(b)
		for i := 0; b.Loop(); i++ {
			record(&t, keys[order[i%nkeys]], int64(1+i/2000))
		}
	})
	b.Run("again", func(b *testing.B) {
		var t trackTable
		for i := range nkeys {
			record(&t, keys[i], 1)
			record(&t, keys[i], 2)
		}
		reportCPU(b)
		for i := 0; b.Loop(); i++ {
			record(&t, keys[order[i%nkeys]], 2)
		}
	})
}
