package keyspace

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tandemdb/tandem/internal/types"
)

// A node evicted for maxmemory goes to the next new string key, with its
// buffer when the key and value fit in it; never while a snapshot runs; a
// node of another type goes too, without its value, which is left as it
// was to whatever still holds it; and the account stays that of the
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
		{name: "not a plain string", hashValue: true, newKey: "kb", newVal: "abcdefghij", sameNode: true},
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
			oldVal := old.val
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
			if b, ok := oldVal.(*Bytes); ok && string(b.B) != "not a plain string" {
				t.Errorf("the evicted value now reads %q", b.B)
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

// An evicted small list goes, with its node and buffer, to the next list
// created by a push, and its keyspace node to the next new key; a list of
// two nodes or a big buffer is not kept, nor anything while a snapshot
// runs. The new list reads what was pushed, from either end, and the
// account is what the same writes give without recycling.
func TestEvictedListsAreRecycled(t *testing.T) {
	small := []string{"0123456789"}
	big := []string{string(make([]byte, 2000))}
	var twoNodes []string
	for i := 0; i < 200; i++ {
		twoNodes = append(twoNodes, fmt.Sprint("element-", i)) // 129 entries a node with fill 128
	}
	for _, tc := range []struct {
		name      string
		old       []string
		push      []string
		front     bool
		snapshot  bool
		sameList  bool
		sameNode  bool
		wantOrder []string
	}{
		{name: "push front", old: small, push: []string{"a", "b", "c"}, front: true, sameList: true, sameNode: true, wantOrder: []string{"c", "b", "a"}},
		{name: "push back", old: small, push: []string{"a", "b", "c"}, sameList: true, sameNode: true, wantOrder: []string{"a", "b", "c"}},
		{name: "outgrows the buffer", old: small, push: []string{string(make([]byte, 300)), "z"}, front: true, sameList: true, sameNode: true, wantOrder: []string{"z", string(make([]byte, 300))}},
		{name: "big buffer", old: big, push: []string{"a"}, sameNode: true, wantOrder: []string{"a"}},
		{name: "two nodes", old: twoNodes, push: []string{"a"}, sameNode: true, wantOrder: []string{"a"}},
		{name: "while a snapshot runs", old: small, push: []string{"a"}, snapshot: true, wantOrder: []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			build := func(ks *Keyspace, evict bool) (*node, *types.List) {
				db := ks.DBs[0]
				for i := 0; i < 100; i++ {
					db.SetString([]byte(fmt.Sprint("other", i)), []byte("x"), false)
				}
				var oldList *types.List
				var old *node
				if evict {
					oldList = types.NewList(128)
					for _, v := range tc.old {
						oldList.PushBack([]byte(v))
					}
					db.SetValue([]byte("list:a"), oldList, false)
					db.Modified([]byte("list:a"))
					old = db.Peek([]byte("list:a"))
					if tc.snapshot {
						sink := &recordSink{got: map[string]string{}}
						snap := ks.Snapshot(sink)
						defer func() {
							for !snap.Step(100) {
							}
						}()
					}
					if !db.Evict(old.Key()) {
						t.Fatal("Evict found no key")
					}
				}
				l := db.NewList(128)
				db.SetValue([]byte("list:b"), l, false)
				for _, v := range tc.push {
					if tc.front {
						l.PushFront([]byte(v))
					} else {
						l.PushBack([]byte(v))
					}
				}
				db.Modified([]byte("list:b"))
				if got := l == oldList; evict && got != tc.sameList {
					t.Errorf("list reused: %v, want %v", got, tc.sameList)
				}
				return old, l
			}
			ks := New(1)
			old, l := build(ks, true)
			e := ks.DBs[0].Peek([]byte("list:b"))
			if e == nil || e.Key() != "list:b" || e.Val() != l {
				t.Fatalf("list:b reads %v", e)
			}
			if got := e == old; got != tc.sameNode {
				t.Errorf("node reused: %v, want %v", got, tc.sameNode)
			}
			var got []string
			l.Each(func(v []byte) bool { got = append(got, string(v)); return true })
			if fmt.Sprint(got) != fmt.Sprint(tc.wantOrder) || l.Len() != len(tc.wantOrder) {
				t.Errorf("list holds %q (len %d), want %q", got, l.Len(), tc.wantOrder)
			}
			fresh := New(1)
			build(fresh, false)
			if a, b := ks.DBs[0].used, fresh.DBs[0].used; a != b {
				t.Errorf("account %d, want %d", a, b)
			}
		})
	}
}

// A string key evicted leaves a node a new list key takes, and a list key
// evicted leaves a node a new string key takes: keys and values read
// right.
func TestRecycledNodesAcrossTypes(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	for i := 0; i < 50; i++ {
		if i%2 == 0 {
			db.SetString([]byte(fmt.Sprint("s", i)), []byte(fmt.Sprint("value", i)), false)
		} else {
			l := db.NewList(-2)
			db.SetValue([]byte(fmt.Sprint("list-key-", i)), l, false)
			l.PushFront([]byte(fmt.Sprint("elem", i)))
			db.Modified([]byte(fmt.Sprint("list-key-", i)))
		}
		if i > 0 && i%3 == 0 {
			prev := fmt.Sprint("s", i-1)
			if (i-1)%2 == 1 {
				prev = fmt.Sprint("list-key-", i-1)
			}
			if !db.Evict(prev) {
				t.Fatalf("evict %s", prev)
			}
		}
	}
	for i := 0; i < 50; i++ {
		evicted := (i+1)%3 == 0 && i+1 < 50 && i+1 > 0
		key := fmt.Sprint("s", i)
		if i%2 == 1 {
			key = fmt.Sprint("list-key-", i)
		}
		e := db.Peek([]byte(key))
		if evicted {
			if e != nil {
				t.Errorf("%s still there", key)
			}
			continue
		}
		if e == nil || e.Key() != key {
			t.Fatalf("%s reads %v", key, e)
		}
		if i%2 == 0 {
			if e.Str() != fmt.Sprint("value", i) {
				t.Errorf("%s = %q", key, e.Str())
			}
			continue
		}
		l := e.Val().(*types.List)
		if v, _ := l.Index(0); string(v) != fmt.Sprint("elem", i) || l.Len() != 1 {
			t.Errorf("%s holds %q (len %d)", key, v, l.Len())
		}
	}
}

// An evicted hash of one long pair goes, with its node, to the next new
// hash (DB.NewHash), whose first pair is written into the evicted pair's
// string when it takes the same bytes; one a reply in slices holds
// (HoldForStream: HRANDFIELD with a large negative count) is never reused,
// and goes on reading as it was. The account is that of a new hash.
func TestEvictedHashesAreRecycledUnlessHeld(t *testing.T) {
	lim := types.DefaultLimits()
	pair := func(v byte, n int) []byte { return bytes.Repeat([]byte{v}, n) }
	for _, tc := range []struct {
		name      string
		held      bool
		newVal    int
		reused    bool
		sameBytes bool
	}{
		{name: "same length", newVal: 100, reused: true, sameBytes: true},
		{name: "shorter, same 8 bytes", newVal: 97, reused: true, sameBytes: true},
		{name: "longer value", newVal: 200, reused: true},
		{name: "held by a reply in slices", held: true, newVal: 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := New(1)
			db := ks.DBs[0]
			old := types.NewHash()
			old.Set([]byte("f"), pair('a', 100), &lim)
			db.SetValue([]byte("h:1"), old, false)
			oldBytes, _ := old.Get([]byte("f"))
			oldPtr := &oldBytes[0]
			if tc.held {
				if old.HoldForStream() != old {
					t.Fatal("a table is held as itself")
				}
			}
			if !db.Evict("h:1") {
				t.Fatal("Evict found no key")
			}
			h := db.NewHash()
			db.SetValue([]byte("h:2"), h, false)
			h.Set([]byte("f"), pair('b', tc.newVal), &lim)
			db.Modified([]byte("h:2"))
			if got := h == old; got != tc.reused {
				t.Fatalf("hash reused: %v, want %v", got, tc.reused)
			}
			v, ok := h.Get([]byte("f"))
			if !ok || !bytes.Equal(v, pair('b', tc.newVal)) || h.Len() != 1 || h.Encoding() != "hashtable" {
				t.Fatalf("new hash: %q %v len %d %s", v, ok, h.Len(), h.Encoding())
			}
			if got := &v[0] == oldPtr; got != tc.sameBytes {
				t.Errorf("pair string reused: %v, want %v", got, tc.sameBytes)
			}
			if tc.held {
				if v, ok := old.Get([]byte("f")); !ok || !bytes.Equal(v, pair('a', 100)) {
					t.Errorf("the held hash now reads %q %v", v, ok)
				}
			}
			fresh := New(1)
			fh := types.NewHash()
			fh.Set([]byte("f"), pair('b', tc.newVal), &lim)
			fresh.DBs[0].SetValue([]byte("h:2"), fh, false)
			fresh.DBs[0].Modified([]byte("h:2"))
			if a, b := db.used, fresh.DBs[0].used; a != b {
				t.Errorf("account %d, want %d", a, b)
			}
		})
	}
}

// A reused hash whose first pair is short takes the small encoding, as a
// new hash does (OBJECT ENCODING listpack), and a small hash held by a
// reply in slices is held as a copy, so that converting it to a table
// later does not make the held one reusable.
func TestReusedHashEncodings(t *testing.T) {
	lim := types.DefaultLimits()
	ks := New(1)
	db := ks.DBs[0]
	old := types.NewHash()
	old.Set([]byte("f"), bytes.Repeat([]byte("a"), 100), &lim)
	db.SetValue([]byte("h:1"), old, false)
	db.Evict("h:1")
	h := db.NewHash()
	if h != old {
		t.Fatal("the evicted hash was not kept")
	}
	h.Set([]byte("f"), []byte("short"), &lim)
	if h.Encoding() != "listpack" {
		t.Errorf("a reused hash with a short first pair is %s", h.Encoding())
	}
	if v, ok := h.Get([]byte("f")); !ok || string(v) != "short" || h.Len() != 1 {
		t.Errorf("reads %q %v len %d", v, ok, h.Len())
	}
	small := types.NewHash()
	small.Set([]byte("f"), []byte("v"), &lim)
	held := small.HoldForStream()
	if held == small {
		t.Fatal("a small hash is held as itself")
	}
	small.Set([]byte("g"), bytes.Repeat([]byte("b"), 100), &lim)
	if v, ok := held.Get([]byte("f")); !ok || string(v) != "v" || held.Len() != 1 {
		t.Errorf("the held copy reads %q %v len %d", v, ok, held.Len())
	}
}
