package rdb

import (
	"github.com/tandemdb/tandem/internal/types"

	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"testing"
)

// FuzzRestorePayload feeds arbitrary payloads to RESTORE's decoder. With
// fix set the input gets a valid footer first, so the value decoder itself
// is exercised rather than the checksum. The decoder must return (never
// panic or hang) ErrDumpFooter or an error wrapping ErrDumpValue, allocate
// in proportion to the input, and whatever it accepts must dump and
// decode again to the same value. Seeds: Redis 7.0's DUMP replies and
// Tandem's payloads for every kind and encoding of the round-trip table.
func FuzzRestorePayload(f *testing.F) {
	for _, tc := range redisDumps {
		p, err := hex.DecodeString(tc.hex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p, false)
		f.Add(p[:len(p)-10], true)
	}
	var d Dumper
	for _, tc := range roundTrips {
		e := tc.e
		e.ExpireAt = NoExpiry
		p, err := d.Dump(&e, tc.opts)
		if err != nil {
			f.Fatal(err)
		}
		if len(p) > 64<<10 {
			continue // the big strings make slow seeds and teach nothing new
		}
		f.Add(append([]byte{}, p[:len(p)-10]...), true)
	}
	// A stream with deleted entries, a group, a consumer and a pending
	// entry.
	st := types.NewStream()
	for i := uint64(1); i <= 5; i++ {
		st.Append(types.StreamID{Ms: i, Seq: i}, [][]byte{[]byte("f"), []byte("12"), []byte("g"), []byte("v")}, 4096, 3)
	}
	st.Delete(types.StreamID{Ms: 2, Seq: 2})
	g := st.AddGroup([]byte("grp"), types.StreamID{Ms: 3, Seq: 3}, 3)
	c := g.AddConsumer([]byte("alice"), 1700000000000)
	n := &types.StreamNACK{ID: types.StreamID{Ms: 3, Seq: 3}, Consumer: c, DeliveryTime: 1700000000001, DeliveryCount: 2}
	g.PEL.Insert(n)
	c.PEL.Insert(n)
	p, err := d.Dump(&Entry{Kind: KindStream, Stream: st, ExpireAt: NoExpiry}, EncodeOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte{}, p[:len(p)-10]...), true)
	f.Fuzz(checkRestorePayload)
}

func checkRestorePayload(t *testing.T, data []byte, fix bool) {
	p := data
	if fix {
		p = withFooter(data, Version)
	}
	var m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m1)
	ent, err := DecodeDump(p, DumpOptions{})
	runtime.ReadMemStats(&m2)
	if a := m2.TotalAlloc - m1.TotalAlloc; a > loadAllocLimit(len(p)) {
		t.Fatalf("decoding %d bytes allocated %d (limit %d)", len(p), a, loadAllocLimit(len(p)))
	}
	// RESTORE's decoding, which builds listpack hashes itself, accepts
	// and refuses exactly the same payloads, and builds the same hash.
	lim := types.DefaultLimits()
	var u DumpDecoder
	built, berr := u.Decode(p, DumpOptions{HashLimits: &lim})
	if (err == nil) != (berr == nil) || (err != nil && err.Error() != berr.Error()) {
		t.Fatalf("with HashLimits: error %v, without: %v", berr, err)
	}
	if err == nil && built.Built != nil {
		if got, want := hashPairs(built.Built.(*types.Hash)), pairsString(ent.Hash); got != want {
			t.Fatalf("built hash %s, listed %s", got, want)
		}
	}
	if err != nil {
		if !errors.Is(err, ErrDumpFooter) && !errors.Is(err, ErrDumpValue) {
			t.Fatalf("error %v is neither ErrDumpFooter nor ErrDumpValue", err)
		}
		return
	}
	var d Dumper
	again, err := d.Dump(ent, EncodeOptions{Compression: true})
	if err != nil {
		t.Fatalf("re-dumping %s: %v", normalize(ent), err)
	}
	ent2, err := DecodeDump(again, DumpOptions{})
	if err != nil {
		t.Fatalf("decoding the re-dumped value: %v", err)
	}
	if a, b := normalize(ent2), normalize(ent); a != b {
		t.Fatalf("round trip changed the value:\n got %q\nwant %q", a, b)
	}
}

// hashPairs and pairsString render a hash's pairs in order.
func hashPairs(h *types.Hash) string {
	var b []byte
	h.Each(func(f, v []byte) bool {
		b = fmt.Appendf(b, "%q=%q ", f, v)
		return true
	})
	return string(b)
}

func pairsString(pairs []Pair) string {
	var b []byte
	for _, p := range pairs {
		b = fmt.Appendf(b, "%q=%q ", p.Field, p.Value)
	}
	return string(b)
}
