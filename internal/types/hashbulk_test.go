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

// TestResetPackedReusesOnlyWhatFits: ResetPacked gives the hash
// NewHashPacked builds, whatever h held before (small, big, empty),
// writing into h's buffer only when it has room and is not more than
// twice what is needed, and Recyclable keeps big encodings and large
// buffers out.
func TestResetPackedReusesOnlyWhatFits(t *testing.T) {
	lim := &Limits{HashMaxListpackEntries: 4, HashMaxListpackValue: 8}
	pack := func(pairs ...string) (packed []byte, longest int) {
		for _, s := range pairs {
			packed = AppendPacked(packed, []byte(s))
			longest = max(longest, len(s))
		}
		return packed, longest
	}
	small := func(pairs ...string) *Hash {
		p, l := pack(pairs...)
		return NewHashPacked(p, len(pairs)/2, l, lim)
	}
	big := small("a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
	if big.Encoding() != "hashtable" {
		t.Fatalf("5 pairs over a limit of 4: %s", big.Encoding())
	}
	for _, c := range []struct {
		name   string
		from   *Hash
		pairs  []string
		reused bool
	}{
		{"same size", small("f1", "aaaa", "f2", "bbbb"), []string{"g1", "cccc", "g2", "dddd"}, true},
		{"smaller", small("f1", "aaaaaaaa", "f2", "bbbbbbbb"), []string{"g1", "cccccc", "g2", "ddd"}, true},
		{"much smaller", small("f1", "aaaaaaaa", "f2", "bbbbbbbb", "f3", "cccccccc"), []string{"g", "c"}, false},
		{"larger", small("f", "a"), []string{"g1", "cccc", "g2", "dddd"}, false},
		{"from big", big, []string{"g1", "cccc"}, false},
		{"from empty", NewHash(), []string{"g1", "cccc"}, false},
		{"to big", small("f1", "aaaa"), []string{"a", "1", "b", "2", "c", "3", "d", "4", "e", "5"}, false},
		{"to long value", small("f1", "aaaa"), []string{"a", "123456789"}, false},
		{"to empty", small("f1", "aaaa"), nil, false},
	} {
		var before *byte
		if cap(c.from.lp) > 0 {
			before = &c.from.lp[:1][0]
		}
		p, l := pack(c.pairs...)
		want := NewHashPacked(p, len(c.pairs)/2, l, lim)
		c.from.ResetPacked(p, len(c.pairs)/2, l, lim)
		h := c.from
		if h.Encoding() != want.Encoding() || h.Len() != want.Len() || render(h) != render(want) {
			t.Errorf("%s: got %s %d %q, want %s %d %q", c.name, h.Encoding(), h.Len(), render(h), want.Encoding(), want.Len(), render(want))
		}
		if want.lp != nil && !bytes.Equal(h.lp, want.lp) {
			t.Errorf("%s: listpack %q, want %q", c.name, h.lp, want.lp)
		}
		if reused := h.lp != nil && before != nil && &h.lp[0] == before; reused != c.reused {
			t.Errorf("%s: buffer reused %v, want %v", c.name, reused, c.reused)
		}
	}
	if big := small("a", "1", "b", "2", "c", "3", "d", "4", "e", "5"); big.Recyclable(1 << 20) {
		t.Error("a big encoding is recyclable")
	}
	if NewHash().Recyclable(1 << 20) {
		t.Error("an empty hash is recyclable")
	}
	if h := small("f1", "aaaa"); !h.Recyclable(cap(h.lp)) || h.Recyclable(cap(h.lp)-1) {
		t.Errorf("Recyclable ignores its bound (cap %d)", cap(h.lp))
	}
}
