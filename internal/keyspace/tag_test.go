package keyspace

import (
	"fmt"
	"hash/maphash"
	"testing"
)

// Every node carries its key's hash tag through whatever writes its access
// field (touches under LRU and LFU, RESTORE's idle time and frequency),
// table growth and the recycling of evicted nodes, so that every key is
// still found.
func TestNodesKeepTheirHashTag(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	key := func(i int) []byte { return []byte(fmt.Sprintf("key:%d", i)) }
	const n = 5000
	for i := 0; i < n; i++ { // grows the table through several rehashes
		db.SetString(key(i), []byte("value"), false)
	}
	for i := 0; i < n; i += 2 { // evicted nodes go to the next new keys
		if !db.Evict(string(key(i))) {
			t.Fatalf("evict %s: not found", key(i))
		}
		db.SetString(key(n+i), []byte("other"), false)
	}
	for _, lfu := range []bool{false, true} {
		ks.SetLFU(lfu, 10, 1)
		for i := 1; i < 2*n; i += 2 {
			if e := db.Lookup(key(i)); e != nil {
				ks.SetAccess(e, 100000000, 200)
				ks.SetFreq(e, 3)
				e.SetLRU(0xffffffff)
			}
		}
	}
	count := 0
	db.dict.each(func(e *node) bool {
		count++
		if got, want := e.lru&^accessMask, hashTag(db.dict.hashString(e.keyStr())); got != want {
			t.Errorf("%s: tag %#x, want %#x", e.keyStr(), got, want)
		}
		if db.dict.find([]byte(e.keyStr())) != e {
			t.Errorf("%s: not found by its key", e.keyStr())
		}
		return true
	})
	if count != n {
		t.Fatalf("%d keys, want %d", count, n)
	}
}

// A chain walk skips a node whose tag differs without comparing its key:
// a node holding the same key bytes under another tag is passed over.
func TestChainWalkComparesTagsFirst(t *testing.T) {
	d := newDict(maphash.MakeSeed())
	real := newNode("k", "v", nil)
	d.insert(real)
	decoy := newNode("k", "decoy", nil)
	h := d.hashString("k")
	decoy.lru = hashTag(h) ^ 1<<accessBits
	tab := d.tables[0]
	idx := h & uint64(len(tab)-1)
	decoy.next, tab[idx] = tab[idx], decoy // ahead of the real node
	if got := d.find([]byte("k")); got != real {
		t.Fatalf("find returned the node with the wrong tag")
	}
	if got := d.remove([]byte("k")); got != real {
		t.Fatalf("remove returned the node with the wrong tag")
	}
}

// The access clock is 24 bits wide, as Redis's LRU_CLOCK: idle times wrap
// as estimateObjectIdleTime computes them, and RESTORE's idle times as
// objectSetLRUOrLFU stores them.
func TestAccessClockWrapsAt24Bits(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	db.SetString([]byte("k"), []byte("v"), false)
	e := db.Peek([]byte("k"))
	for _, tc := range []struct {
		clock uint32 // the seconds clock (only its low 24 bits count)
		idle  int64  // RESTORE's IDLETIME
		want  uint32 // OBJECT IDLETIME
	}{
		{1 << 30, 1000, 1000},
		{1<<30 + 100, 1000, 1000},           // the clock's low bits are 100: access wraps
		{1<<30 + 100, 16777215, 0},          // one turn
		{1<<30 + 100, 16777216, 1},          // one turn and a second
		{1<<30 + 5000, 100000000, 16113920}, // what Redis 7.0.15 answers
	} {
		ks.clock = tc.clock
		ks.SetAccess(e, tc.idle, -1)
		if got := ks.Idle(e); got != tc.want {
			t.Errorf("clock %#x, IDLETIME %d: idle %d, want %d", tc.clock, tc.idle, got, tc.want)
		}
		if got := ks.EvictionScore(e); got != uint64(tc.want) {
			t.Errorf("clock %#x, IDLETIME %d: eviction score %d, want %d", tc.clock, tc.idle, got, tc.want)
		}
	}
	// An access long ago, past a wrap of the clock.
	ks.clock = 1<<24 - 10
	db.Lookup([]byte("k"))
	ks.clock = 1<<24 + 20
	if got := ks.Idle(e); got != 29 {
		t.Fatalf("idle across the wrap: %d, want 29 (Redis's estimate)", got)
	}
}
