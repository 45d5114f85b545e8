package keyspace

import (
	"fmt"
	"testing"
)

// A node evicted for maxmemory goes to the next new string key, with its
// buffer when the key and value fit in it; never while a snapshot runs,
// never a node of another type, and the account stays that of the
// allocations.
func TestEvictedNodesAreRecycled(t *testing.T) {
	for _, tc := range []struct {
		name       string
		oldVal     string
		newKey     string
		newVal     string
		snapshot   bool
		hashValue  bool
		sameNode   bool
		sameBuffer bool
	}{
		{name: "same size", oldVal: "0123456789", newKey: "kb", newVal: "abcdefghij", sameNode: true, sameBuffer: true},
		{name: "shorter, same size class", oldVal: "0123456789", newKey: "kb", newVal: "abcdefgh", sameNode: true, sameBuffer: true},
		{name: "longer value", oldVal: "0123456789", newKey: "kb", newVal: string(make([]byte, 300)), sameNode: true},
		{name: "smaller size class", oldVal: string(make([]byte, 300)), newKey: "kb", newVal: "abc", sameNode: true},
		{name: "while a snapshot runs", oldVal: "0123456789", newKey: "kb", newVal: "abcdefghij", snapshot: true},
		{name: "not a plain string", hashValue: true, newKey: "kb", newVal: "abcdefghij"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := New(1)
			db := ks.DBs[0]
			for i := 0; i < 100; i++ {
				db.SetString([]byte(fmt.Sprint("other", i)), []byte("x"), false)
			}
			if tc.hashValue {
				db.SetValue([]byte("ka"), &Bytes{B: []byte("not a plain string")}, false)
			} else {
				db.SetString([]byte("ka"), []byte(tc.oldVal), false)
			}
			old := db.Peek([]byte("ka"))
			oldKV := old.kv
			var sink *recordSink
			if tc.snapshot {
				sink = &recordSink{got: map[string]string{}}
				snap := ks.Snapshot(sink)
				defer func() {
					for !snap.Step(100) {
					}
					if got := sink.got["0/ka"]; got != tc.oldVal+"|-1" {
						t.Errorf("the snapshot holds ka=%q, want %q", got, tc.oldVal)
					}
				}()
			}
			if !db.Evict(old.Key()) {
				t.Fatal("Evict found no key")
			}
			db.SetString([]byte(tc.newKey), []byte(tc.newVal), false)
			e := db.Peek([]byte(tc.newKey))
			if e == nil || e.Key() != tc.newKey || e.Str() != tc.newVal {
				t.Fatalf("new key reads %v", e)
			}
			if db.Peek([]byte("ka")) != nil {
				t.Fatal("the evicted key is still there")
			}
			if got := e == old; got != tc.sameNode {
				t.Errorf("node reused: %v, want %v", got, tc.sameNode)
			}
			if got := e.kv == oldKV; got != tc.sameBuffer {
				t.Errorf("buffer reused: %v, want %v", got, tc.sameBuffer)
			}
			// The account is what the same writes give without recycling.
			fresh := New(1)
			for i := 0; i < 100; i++ {
				fresh.DBs[0].SetString([]byte(fmt.Sprint("other", i)), []byte("x"), false)
			}
			fresh.DBs[0].SetString([]byte(tc.newKey), []byte(tc.newVal), false)
			if a, b := db.used, fresh.DBs[0].used; a != b {
				t.Errorf("account %d, want %d", a, b)
			}
		})
	}
}

// Empty keys and values, and a spare buffer too small or too big for the
// next key, all give correct keys (the buffer is only written within the
// length it was made with).
func TestRecycledNodesWithOddSizes(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	sizes := []struct{ k, v int }{{1, 0}, {0, 0}, {0, 5}, {3, 3}, {8, 0}, {1, 15}, {16, 100}, {2, 2000}, {40, 60}, {1, 1}}
	fill := func(n int, c byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = c
		}
		return b
	}
	want := map[string]string{}
	for round := 0; round < 3; round++ {
		for i, a := range sizes {
			for j, b := range sizes {
				old := append(fill(a.k, 'a'), fmt.Sprint("-", round, i, j)...)
				db.SetString(old, fill(a.v, 'x'), false)
				if !db.Evict(string(old)) {
					t.Fatalf("evict %q", old)
				}
				key := append(fill(b.k, 'b'), fmt.Sprint("+", round, i, j)...)
				val := fill(b.v, byte('0'+j))
				db.SetString(key, val, false)
				want[string(key)] = string(val)
			}
		}
	}
	// The empty key with the empty value has no buffer at all.
	for _, kv := range [][2]string{{"", ""}, {"k", "v"}, {"", ""}, {"", "v"}} {
		db.SetString(nil, nil, false)
		if !db.Evict("") {
			t.Fatal("evict the empty key")
		}
		db.SetString([]byte(kv[0]), []byte(kv[1]), false)
		want[kv[0]] = kv[1]
	}
	if db.Len() != len(want) {
		t.Fatalf("%d keys, want %d", db.Len(), len(want))
	}
	for k, v := range want {
		e := db.Peek([]byte(k))
		if e == nil || e.Str() != v {
			t.Fatalf("%q reads %v, want %q", k, e, v)
		}
	}
}
