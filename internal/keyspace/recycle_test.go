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
