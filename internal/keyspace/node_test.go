package keyspace

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/tandemdb/tandem/internal/types"
)

// A node gives back its key and value whatever their lengths, empty ones
// included, across overwrites between kinds.
func TestNodeKeepsKeyAndValue(t *testing.T) {
	long := strings.Repeat("x", 5000)
	cases := []struct{ key, val string }{
		{"", ""}, {"", "v"}, {"k", ""}, {"k", "v"}, {"key:1", long}, {long, "value"},
	}
	for _, c := range cases {
		ks := New(1)
		db := ks.DBs[0]
		db.SetString([]byte(c.key), []byte(c.val), false)
		e := db.Peek([]byte(c.key))
		if e == nil || e.Key() != c.key || e.Str() != c.val || !e.IsString() {
			t.Fatalf("%.10q=%.10q: got entry %v", c.key, c.val, e)
		}
		if c.key == "" && c.val == "" && e.kv != nil {
			t.Fatal("empty key and value allocated a buffer")
		}
		// To a collection, back to a string, to another string.
		db.SetValue([]byte(c.key), types.NewList(-2), true)
		if e.Key() != c.key || e.Str() != "" || e.IsString() {
			t.Fatalf("%.10q as a list: key %.10q str %.10q", c.key, e.Key(), e.Str())
		}
		db.SetString([]byte(c.key), []byte(c.val+"2"), true)
		db.ReplaceString(e, []byte(c.val+"3"))
		if e.Key() != c.key || e.Str() != c.val+"3" {
			t.Fatalf("%.10q overwritten: key %.10q str %.10q", c.key, e.Key(), e.Str())
		}
		if got, want := e.EntryBytes(), int64(nodeBytes+AllocSize(len(c.key)+len(c.val)+1)); got != want {
			t.Fatalf("%.10q=%.10q3: %d bytes counted, want %d", c.key, c.val, got, want)
		}
	}
}

// The key and a plain value share one buffer: a 16-byte key with a
// 100-byte value (bench/maxmemory.sh's SETs) costs 176 bytes of live heap
// besides its table slot, where a node with two strings took 192; a
// 10-byte key (its hit-ratio load) 160. Measured on the heap, not taken
// from the account.
func TestNodeBytesPerKey(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 40 MB")
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	val := make([]byte, 100)
	for _, c := range []struct {
		format string
		want   float64
	}{{"key:%012d", 176}, {"key:%06d", 160}} {
		const n = 100000
		ks := New(1)
		db := ks.DBs[0]
		db.Reserve(n, 0) // the table first, so that it is not counted
		before := heap()
		for i := 0; i < n; i++ {
			db.SetString([]byte(fmt.Sprintf(c.format, i)), val, false)
		}
		per := float64(heap()-before) / n
		runtime.KeepAlive(ks)
		t.Logf("%s with 100-byte values: %.1f bytes a key (account %d)", c.format, per, db.Peek([]byte(fmt.Sprintf(c.format, 0))).EntryBytes())
		if per > c.want+4 {
			t.Fatalf("%s with 100-byte values: %.1f bytes a key, want %.0f", c.format, per, c.want)
		}
	}
}

// A key's expiry entry follows its buffer when the value changes with the
// TTL kept: the expiry map's key string would otherwise keep the old
// buffer, and the old value in it, alive as long as the key lives.
func TestExpiryMapDoesNotPinAnOldValue(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	key := []byte("k")
	db.SetString(key, make([]byte, 1000), false)
	db.SetExpire(key, 1<<60)
	check := func(what string) {
		t.Helper()
		e := db.Peek(key)
		for k := range db.expires {
			if unsafe.StringData(k) != (*byte)(e.kv) {
				t.Fatalf("after %s the expiry map's key is not the node's", what)
			}
		}
	}
	db.SetString(key, make([]byte, 2000), true)
	check("SET KEEPTTL")
	db.ReplaceString(db.LookupWrite(key), []byte("12"))
	check("INCR")
	db.SetValue(key, types.NewList(-2), true)
	check("a value of another type")
}

// ReplaceString (INCR) writes the new digits into the node's buffer when
// they take the bytes the old value had, or fit the same size class of a
// buffer the tiny allocator did not pack; otherwise it takes a new buffer.
// The key, the TTL, and the account's figure stay right either way, and
// nothing is allocated in place.
func TestReplaceStringInPlace(t *testing.T) {
	cases := []struct {
		key, from, to string
		inPlace       bool
	}{
		{"k", "9", "8", true},                                // 2 bytes: tiny, same length
		{"k", "9", "10", false},                              // tiny, longer: may be another's bytes
		{"k", "10", "9", false},                              // tiny, shorter: growing back would be unsafe
		{"counter:1", "1234567", "1234568", true},            // 16 bytes, same length
		{"counter:1", "1234567", "12345678", false},          // 16 → 17: class 16 → 24
		{"counter:123456", "99999999", "100000000", true},    // 22 → 23: class 24
		{"counter:1234567", "99999999", "100000000", true},   // 23 → 24: class 24
		{"counter:12345678", "99999999", "100000000", false}, // 24 → 25: class 24 → 32
		{"counter:123456", "100000000", "99999999", true},    // 23 → 22: class 24
		{"kk", strings.Repeat("7", 30), "5", false},          // 32 → 3: class 32 → 8
	}
	for _, c := range cases {
		ks := New(1)
		db := ks.DBs[0]
		key := []byte(c.key)
		db.SetString(key, []byte(c.from), false)
		db.SetExpire(key, 1<<60)
		used := db.used
		e := db.LookupWrite(key)
		kv := e.kv
		db.ReplaceString(e, []byte(c.to))
		db.Modified(key)
		e = db.Peek(key)
		if e.Key() != c.key || e.Str() != c.to {
			t.Fatalf("%s %s→%s: got %q=%q", c.key, c.from, c.to, e.Key(), e.Str())
		}
		if got := e.kv == kv; got != c.inPlace {
			t.Errorf("%s %s→%s: in place %v, want %v", c.key, c.from, c.to, got, c.inPlace)
		}
		if c.inPlace && db.used != used {
			t.Errorf("%s %s→%s: account moved from %d to %d in place", c.key, c.from, c.to, used, db.used)
		}
		if db.used != entrySize(e) {
			t.Errorf("%s %s→%s: account %d, entry %d", c.key, c.from, c.to, db.used, entrySize(e))
		}
		for k := range db.expires {
			if k != c.key || unsafe.StringData(k) != (*byte)(e.kv) {
				t.Errorf("%s %s→%s: expiry key %q is not the node's", c.key, c.from, c.to, k)
			}
		}
	}
	ks := New(1)
	db := ks.DBs[0]
	db.SetString([]byte("counter:1"), []byte("1000000"), false)
	e := db.LookupWrite([]byte("counter:1"))
	if n := testing.AllocsPerRun(100, func() { db.ReplaceString(e, []byte("1000001")) }); n != 0 {
		t.Errorf("ReplaceString in place allocated %.0f times", n)
	}
}

// An overwrite with a plain string (SET) takes the node's buffer when the
// value fits it, as ReplaceString does, and still drops the TTL unless
// told to keep it; over another kind of value it takes a new buffer.
func TestSetStringOverwritesInPlace(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	key := []byte("cache:item:1")
	db.SetString(key, []byte("value-0001"), false)
	db.SetExpire(key, 1<<60)
	kv, used := db.Peek(key).kv, db.used
	db.SetString(key, []byte("value-0002"), true)
	if e := db.Peek(key); e.kv != kv || e.Str() != "value-0002" || db.ExpireAt(key) != 1<<60 || db.used != used {
		t.Fatalf("SET KEEPTTL: in place %v, %q, ttl %d, account %d→%d", e.kv == kv, e.Str(), db.ExpireAt(key), used, db.used)
	}
	db.SetString(key, []byte("value-0003"), false)
	if e := db.Peek(key); e.kv != kv || e.Str() != "value-0003" || db.ExpireAt(key) != -1 || len(db.expires) != 0 {
		t.Fatalf("SET: in place %v, %q, ttl %d", e.kv == kv, e.Str(), db.ExpireAt(key))
	}
	db.SetString(key, []byte(strings.Repeat("v", 100)), false)
	if e := db.Peek(key); e.kv == kv || e.Str() != strings.Repeat("v", 100) || db.used != entrySize(e) {
		t.Fatalf("SET of a longer value: in place %v, %q, account %d, entry %d", e.kv == kv, e.Str(), db.used, entrySize(e))
	}
	db.SetValue(key, &Bytes{B: []byte("bytes")}, false)
	db.SetString(key, []byte("plain"), false)
	if e := db.Peek(key); e.Val() != nil || e.Str() != "plain" || db.used != entrySize(e) {
		t.Fatalf("SET over a Bytes: val %v, %q, account %d, entry %d", e.Val(), e.Str(), db.used, entrySize(e))
	}
	val := []byte("plain")
	if n := testing.AllocsPerRun(100, func() { db.SetString(key, val, false) }); n != 0 {
		t.Errorf("SET in place allocated %.0f times", n)
	}
}

// An overwrite with the empty string, or of the empty string, in place
// makes no pointer past the buffer's end (go test -race checks pointer
// arithmetic), and the value reads back right.
func TestRewriteValueEmptyStrings(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	key := []byte("a-key-of-16bytes")
	for _, v := range []string{"", "", "x", "", "yz", "12345678", ""} {
		db.SetString(key, []byte(v), false)
		if e := db.Peek(key); e.Str() != v || db.used != entrySize(e) {
			t.Fatalf("after SET %q: %q, account %d, entry %d", v, e.Str(), db.used, entrySize(e))
		}
	}
}
