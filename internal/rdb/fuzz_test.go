package rdb

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the decoder: it must return (never
// panic or hang) without allocating much more than the input (huge
// declared lengths and counts included), and whatever it accepts must
// survive an encode/decode round trip unchanged. Seeds: every test vector,
// the diskless payload with its framing stripped, the AOF with an RDB
// preamble, and testdata/fuzz/FuzzLoad (forged lengths and counts).
func FuzzLoad(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/*.rdb", "testdata/redis-assets/*.rdb", "testdata/*.aof"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) < 15 {
		f.Fatalf("only %d seed files", len(seeds))
	}
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	payload, err := os.ReadFile("testdata/fullsync-diskless-payload.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(payload[47 : len(payload)-40])

	f.Fuzz(checkLoadRoundTrip)
}

// loadAllocLimit bounds what loading n bytes may allocate: a declared
// length is a promise, not bytes (strings grow as they arrive), and an LZF
// string expands at most lzfMaxRatio times; the rest is the decoder's
// buffers, the collector's copies and the handler's entries.
func loadAllocLimit(n int) uint64 { return uint64(n)*(4*lzfMaxRatio) + 16<<20 }

// checkLoadRoundTrip is the property FuzzLoad checks on one input: no
// panic, an *Error on failure, allocations bounded by loadAllocLimit, and
// what loads survives a round trip.
func checkLoadRoundTrip(t *testing.T, data []byte) {
	var c collector
	var m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m1)
	err := Load(bytes.NewReader(data), &c, LoadOptions{SkipChecksum: true})
	runtime.ReadMemStats(&m2)
	if a := m2.TotalAlloc - m1.TotalAlloc; a > loadAllocLimit(len(data)) {
		t.Fatalf("loading %d bytes allocated %d (limit %d)", len(data), a, loadAllocLimit(len(data)))
	}
	if err != nil {
		if _, ok := err.(*Error); !ok {
			t.Fatalf("error %T is not an *Error: %v", err, err)
		}
		return
	}
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncodeOptions{Compression: true})
	if err := enc.Header(); err != nil {
		t.Fatal(err)
	}
	for _, e := range c.entries {
		if err := enc.WriteEntry(e); err != nil {
			t.Fatalf("re-encoding %q: %v", e.Key, err)
		}
	}
	if err := enc.Finish(); err != nil {
		t.Fatal(err)
	}
	var again collector
	if err := Load(bytes.NewReader(buf.Bytes()), &again, LoadOptions{}); err != nil {
		t.Fatalf("reloading re-encoded data: %v", err)
	}
	if len(again.entries) != len(c.entries) {
		t.Fatalf("%d entries after round trip, want %d", len(again.entries), len(c.entries))
	}
	for i := range c.entries {
		if a, b := normalize(again.entries[i]), normalize(c.entries[i]); a != b {
			t.Fatalf("round trip changed an entry:\n got %q\nwant %q", a, b)
		}
	}
	if !slices.Equal(again.skipped, nil) {
		t.Fatalf("re-encoded data has skipped keys: %q", again.skipped)
	}
}
