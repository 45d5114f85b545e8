package types

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestNewHashFromEqualsSets: the bulk builder gives the hash n Sets give,
// same encoding, fields, values and order, across the thresholds.
func TestNewHashFromEqualsSets(t *testing.T) {
	lim := &Limits{HashMaxListpackEntries: 4, HashMaxListpackValue: 8}
	for _, pairs := range [][][2]string{
		{{"a", "1"}},
		{{"a", "1"}, {"", ""}, {"ccc", "12345678"}, {"d", "x"}},
		{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}},
		{{"a", "123456789"}},
		{{"123456789", "a"}, {"b", "c"}},
		{{strings.Repeat("f", 200), strings.Repeat("v", 300)}},
	} {
		for _, l := range []*Limits{lim, nil, {HashMaxListpackValue: 64}} {
			want := NewHash()
			for _, p := range pairs {
				want.Set([]byte(p[0]), []byte(p[1]), l)
			}
			var in []Pair
			for _, p := range pairs {
				in = append(in, Pair{Field: []byte(p[0]), Value: []byte(p[1])})
			}
			got := NewHashFrom(in, l)
			if got.Encoding() != want.Encoding() || got.Len() != want.Len() || render(got) != render(want) {
				t.Errorf("%v %v: got %s %s, want %s %s", pairs, l, got.Encoding(), render(got), want.Encoding(), render(want))
			}
			if want.Encoding() == "listpack" && !bytes.Equal(got.lp, want.lp) {
				t.Errorf("%v: listpack bytes differ", pairs)
			}
		}
	}
	if h := NewHashFrom(nil, nil); h.Len() != 0 {
		t.Error("empty")
	}
}

func render(h *Hash) string {
	var b strings.Builder
	h.Each(func(f, v []byte) bool { fmt.Fprintf(&b, "%s=%s ", f, v); return true })
	return b.String()
}
