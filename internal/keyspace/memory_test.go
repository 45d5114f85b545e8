package keyspace

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/tandemdb/tandem/internal/types"
)

// The account follows every kind of change and returns to the empty
// figure when the keys go: what a delete subtracts is what was added.
func TestDatasetAccountReturnsToEmpty(t *testing.T) {
	ks := New(2)
	db := ks.DBs[0]
	empty := ks.DatasetBytes()
	for i := 0; i < 1000; i++ {
		k := []byte(fmt.Sprintf("key:%d", i))
		db.SetString(k, []byte("value"), false)
		db.SetString(k, make([]byte, 200), false) // overwrite
		if i%3 == 0 {
			db.SetExpire(k, 1<<60)
		}
	}
	l := types.NewList(-2)
	db.SetValue([]byte("list"), l, false)
	for i := 0; i < 5000; i++ {
		e := db.LookupWrite([]byte("list"))
		e.Val().(*types.List).PushBack([]byte("element-of-the-list"))
		db.Modified([]byte("list"))
	}
	// Values replaced in place, across kinds (revalue's paths): string to
	// hash, hash to hash (ReplaceValue), hash back to string.
	for i := 0; i < 1000; i += 7 {
		k := []byte(fmt.Sprintf("key:%d", i))
		h := types.NewHash()
		h.Set([]byte("f"), []byte("v"), nil)
		db.SetValue(k, h, false)
		db.ReplaceValue(k, types.NewHashFrom([]types.Pair{{Field: []byte("f"), Value: make([]byte, 50)}}, nil))
		db.Modified(k)
		if i%2 == 0 {
			db.SetString(k, make([]byte, 200), false)
		}
	}
	full := ks.DatasetBytes()
	if full < empty+1000*(64+200)+5000*19 {
		t.Fatalf("account %d for 1000 keys of 200 bytes and a list of 5000 elements", full-empty)
	}
	db.Rename([]byte("list"), []byte("list2"), false)
	db.MoveTo([]byte("key:1"), ks.DBs[1])
	ks.DBs[1].Flush()
	for i := 0; i < 1000; i++ {
		db.Delete([]byte(fmt.Sprintf("key:%d", i)))
	}
	db.Delete([]byte("list2"))
	// The table keeps its size until the cron shrinks it: compare the
	// entries' share only.
	if db.used != 0 || db.valued != 0 || len(db.sizes) != 0 || ks.DBs[1].used != 0 {
		t.Fatalf("after deleting everything: used %d, valued %d, sizes %d, db1 %d", db.used, db.valued, len(db.sizes), ks.DBs[1].used)
	}
}

// The account is close to what the live heap grows by for the same data
// (the figure maxmemory means). Measured here, with the collector run
// before and after.
func TestDatasetAccountTracksTheLiveHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100 MB")
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	ks := New(1)
	db := ks.DBs[0]
	before := heap()
	val := make([]byte, 100)
	for i := 0; i < 300000; i++ {
		db.SetString([]byte(fmt.Sprintf("key:%012d", i)), val, false)
	}
	grew := float64(heap() - before)
	acct := float64(ks.DatasetBytes())
	runtime.KeepAlive(ks)
	t.Logf("300,000 keys of 100 bytes: live heap +%.0f bytes, account %.0f (ratio %.3f)", grew, acct, grew/acct)
	if r := grew / acct; r < 0.85 || r > 1.15 {
		t.Fatalf("live heap grew %.0f bytes, account %.0f: ratio %.2f", grew, acct, r)
	}
}

// LFU counters start at 5, grow logarithmically with accesses and decay
// by one per lfu-decay-time minutes.
func TestLFUCounter(t *testing.T) {
	ks := New(1)
	ks.SetLFU(true, 10, 1)
	db := ks.DBs[0]
	db.SetString([]byte("k"), []byte("v"), false)
	e := db.Peek([]byte("k"))
	if f := ks.Freq(e); f != 5 {
		t.Fatalf("new key: freq %d", f)
	}
	for i := 0; i < 1000; i++ {
		db.Lookup([]byte("k"))
	}
	f := ks.Freq(e)
	if f < 10 || f > 25 {
		t.Fatalf("after 1000 hits: freq %d", f)
	}
	ks.clock += 3 * 60
	if g := ks.Freq(e); g != f-3 {
		t.Fatalf("3 minutes later: freq %d, want %d", g, f-3)
	}
	ks.SetLFU(false, 10, 1)
	db.Lookup([]byte("k"))
	if ks.Idle(e) != 0 {
		t.Fatalf("back to LRU: idle %d after an access", ks.Idle(e))
	}
}

// The sample walks from a random bucket and returns distinct keys.
func TestDictSample(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	for i := 0; i < 10000; i++ {
		db.SetString([]byte(fmt.Sprint(i)), []byte("v"), false)
	}
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		n := 0
		db.SampleKeys(5, func(e *Entry) {
			n++
			seen[e.Key()] = true
		})
		if n != 5 {
			t.Fatalf("sample of 5 gave %d", n)
		}
	}
	if len(seen) < 500 {
		t.Fatalf("200 samples of 5 saw only %d keys", len(seen))
	}
}

// ReplaceValue is Delete then SetValue in one lookup: the TTL goes, the
// access history starts again, OnNew is told, and the account equals a
// fresh insert's.
func TestReplaceValueIsDeleteThenAdd(t *testing.T) {
	ks := New(1)
	ks.SetLFU(true, 10, 1)
	var news []string
	ks.OnNew = func(_ *DB, key []byte) { news = append(news, string(key)) }
	db := ks.DBs[0]
	k := []byte("k")
	first := types.NewHash()
	if old, existed := db.ReplaceValue(k, first); existed || old != nil {
		t.Fatalf("ReplaceValue of an absent key reported it existed (old %v)", old)
	}
	db.SetExpire(k, 1<<60)
	for i := 0; i < 2000; i++ {
		db.Lookup(k)
	}
	if f := ks.Freq(db.Peek(k)); f <= 5 {
		t.Fatalf("freq %d after 2000 hits", f)
	}
	h := types.NewHashFrom([]types.Pair{{Field: []byte("field"), Value: []byte("value")}}, nil)
	if old, existed := db.ReplaceValue(k, h); !existed || old != any(first) {
		t.Fatalf("ReplaceValue of a present key: existed %v, old value %v", existed, old)
	}
	db.Modified(k)
	e := db.Peek(k)
	if e.Val() != any(h) || ks.Freq(e) != 5 || db.ExpireAt(k) != -1 {
		t.Fatalf("after ReplaceValue: value %v, freq %d, ttl %d", e.Val(), ks.Freq(e), db.ExpireAt(k))
	}
	if len(news) != 2 || news[0] != "k" || news[1] != "k" {
		t.Fatalf("OnNew told %q", news)
	}
	used := db.used
	db.Delete(k)
	db.SetValue(k, h, false)
	if db.used != used || db.valued != 1 {
		t.Fatalf("account %d after ReplaceValue, %d after a fresh insert (valued %d)", used, db.used, db.valued)
	}
}

// A value's figure lives in its node (vlen) unless it is 4 GiB or more:
// then in DB.sizes, which a smaller figure, a string value and a delete
// take it out of again, the account exact throughout.
func TestFigureOf4GiBGoesToTheMap(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	k := []byte("k")
	h := types.NewHashFrom([]types.Pair{{Field: []byte("f"), Value: []byte("v")}}, nil)
	db.SetValue(k, h, false)
	e := db.Peek(k)
	if db.figure(e) != entrySize(e) || db.used != entrySize(e) || len(db.sizes) != 0 {
		t.Fatalf("small value: figure %d, used %d, entry %d, sizes %d", db.figure(e), db.used, entrySize(e), len(db.sizes))
	}
	pretendHuge := func() {
		// As if the value had been counted at 5 GiB.
		db.used += 5<<30 - db.figure(e)
		db.setFigure(e, 5<<30)
		if e.vlen != bigFigure || db.figure(e) != 5<<30 || len(db.sizes) != 1 {
			t.Fatalf("huge figure: vlen %d, figure %d, sizes %d", e.vlen, db.figure(e), len(db.sizes))
		}
	}
	pretendHuge()
	db.Modified(k) // re-estimated: small again
	if db.figure(e) != entrySize(e) || db.used != entrySize(e) || len(db.sizes) != 0 {
		t.Fatalf("re-estimated: figure %d, used %d, entry %d, sizes %d", db.figure(e), db.used, entrySize(e), len(db.sizes))
	}
	pretendHuge()
	db.SetString(k, []byte("plain"), false)
	if e.Str() != "plain" || db.used != entrySize(e) || len(db.sizes) != 0 || db.valued != 0 {
		t.Fatalf("to a string: %q, used %d, entry %d, sizes %d, valued %d", e.Str(), db.used, entrySize(e), len(db.sizes), db.valued)
	}
	db.SetValue(k, h, false)
	if e.Str() != "" || db.figure(e) != entrySize(e) {
		t.Fatalf("back to a hash: Str %q, figure %d, entry %d", e.Str(), db.figure(e), entrySize(e))
	}
	pretendHuge()
	db.Delete(k)
	if db.used != 0 || len(db.sizes) != 0 || db.valued != 0 {
		t.Fatalf("deleted: used %d, sizes %d, valued %d", db.used, len(db.sizes), db.valued)
	}
}
