package server

import (
	"slices"
	"testing"

	"github.com/tandemdb/tandem/internal/command"
)

func TestTrackedReaders(t *testing.T) {
	var r trackedReaders
	added := 0
	for _, id := range []int64{5, 5, 9, 5, 1, 9, 1, 7, 7, 3} {
		if r.add(id) {
			added++
		}
	}
	var got []int64
	r.each(func(id int64) { got = append(got, id) })
	slices.Sort(got)
	if added != 5 || r.len() != 5 || !slices.Equal(got, []int64{1, 3, 5, 7, 9}) {
		t.Fatalf("added %d, len %d, ids %v; want 5, 5, [1 3 5 7 9]", added, r.len(), got)
	}
	// Past the inline ids, the slice and the map: each id once.
	var many trackedReaders
	for round := 0; round < 2; round++ {
		for id := int64(100); id < 200; id++ {
			if many.add(id) != (round == 0) {
				t.Fatalf("round %d: add(%d) said new %v", round, id, round != 0)
			}
		}
	}
	got = got[:0]
	many.each(func(id int64) { got = append(got, id) })
	slices.Sort(got)
	if many.len() != 100 || len(got) != 100 || got[0] != 100 || got[99] != 199 {
		t.Fatalf("100 readers: len %d, each gave %d (%v…)", many.len(), len(got), got[:min(3, len(got))])
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
		r.add(int64(i + 1))
		tt.set(k, r)
	}
	if tt.len() != len(keys) || len(tt.long) != 1 {
		t.Fatalf("len %d (long %d), want %d (1)", tt.len(), len(tt.long), len(keys))
	}
	for i, k := range keys {
		if r := tt.get(k); r.len() != 1 || r.ids[0] != int64(i+1) {
			t.Fatalf("get(%q) = %+v", k, r)
		}
	}
	seen := map[string]bool{}
	tt.eachKey(func(k []byte) bool {
		seen[string(k)] = true
		if string(k) == "a" {
			tt.take(k) // removing while listing
		}
		return true
	})
	if len(seen) != len(keys) {
		t.Fatalf("eachKey listed %d keys, want %d", len(seen), len(keys))
	}
	if _, ok := tt.take([]byte("a")); ok {
		t.Fatal(`"a" still there after take`)
	}
	if r, ok := tt.take(keys[5]); !ok || r.ids[0] != 6 {
		t.Fatalf("take(long) = %+v %v", r, ok)
	}
	if r := tt.get([]byte("a\x00")); tt.len() != len(keys)-2 || r.len() != 1 {
		t.Fatalf("after takes: len %d", tt.len())
	}
}
