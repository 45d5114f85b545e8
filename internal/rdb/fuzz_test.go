package rdb

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the decoder: it must return (never
// panic or hang), and whatever it accepts must survive an encode/decode
// round trip unchanged. Seeds: every test vector, the diskless payload with
// its framing stripped, and the AOF with an RDB preamble.
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

// checkLoadRoundTrip is the property FuzzLoad checks on one input.
func checkLoadRoundTrip(t *testing.T, data []byte) {
	var c collector
	if err := Load(bytes.NewReader(data), &c, LoadOptions{SkipChecksum: true}); err != nil {
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
