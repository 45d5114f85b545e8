package types

import (
	"bytes"
	"fmt"
	"testing"
)

// TestOneEntryTableAllocations: a hash or set created by one field or
// member too long for its small encoding is its header, its one-entry
// table (the dict and its slices in one allocation, dictValues1) and the
// entry's string; it was eight objects (seven for a set) when the table's
// slices were allocated apart.
func TestOneEntryTableAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	long := bytes.Repeat([]byte("v"), 100)
	lim := DefaultLimits()
	hashAllocs := testing.AllocsPerRun(200, func() {
		h := NewHash()
		h.Set([]byte("f"), long, &lim)
		if h.Encoding() != "hashtable" {
			t.Fatal("not a table")
		}
		keepHash = h
	})
	if hashAllocs != 3 {
		t.Errorf("new one-field table hash: %v allocations, want 3 (hash, table, string)", hashAllocs)
	}
	setAllocs := testing.AllocsPerRun(200, func() {
		s := NewSet()
		s.Add(long, &lim)
		keepSet = s
	})
	if setAllocs != 3 {
		t.Errorf("new one-member set: %v allocations, want 3 (set, table, string)", setAllocs)
	}
}

// keepHash and keepSet make the values above escape, as a keyspace's do.
var (
	keepHash *Hash
	keepSet  *Set
)

// TestOneEntryTableGrows: the one-entry table grows out of its arrays and
// back down like any table: every field found, values right, deletes and
// HRANDFIELD-style picks see the live entries only.
func TestOneEntryTableGrows(t *testing.T) {
	lim := DefaultLimits()
	long := bytes.Repeat([]byte("x"), 80)
	h := NewHash()
	h.Set([]byte("f0"), long, &lim)
	for i := 1; i < 300; i++ {
		h.Set(fmt.Appendf(nil, "f%d", i), fmt.Appendf(nil, "v%d", i), &lim)
	}
	for i := 0; i < 300; i += 2 {
		if !h.Del(fmt.Appendf(nil, "f%d", i)) {
			t.Fatalf("f%d not deleted", i)
		}
	}
	if h.Len() != 150 {
		t.Fatalf("len %d, want 150", h.Len())
	}
	for i := 0; i < 300; i++ {
		v, ok := h.Get(fmt.Appendf(nil, "f%d", i))
		if ok != (i%2 == 1) || ok && string(v) != fmt.Sprintf("v%d", i) {
			t.Fatalf("f%d: %q %v", i, v, ok)
		}
	}
	for i := 1; i < 300; i += 2 {
		h.Del(fmt.Appendf(nil, "f%d", i))
	}
	if h.Len() != 0 {
		t.Fatalf("len %d, want 0", h.Len())
	}
	h.Set([]byte("again"), long, &lim)
	if v, ok := h.Get([]byte("again")); !ok || !bytes.Equal(v, long) {
		t.Fatal("set after emptying lost")
	}
}
