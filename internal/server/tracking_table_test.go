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
