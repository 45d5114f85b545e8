package rdb

import (
	"bytes"
	"encoding/hex"
	"hash/crc64"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/resp"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCRC64MatchesStdlibWithRedisConventions(t *testing.T) {
	tab := crc64.MakeTable(crcPoly)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 1000, 5000} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		want := ^crc64.Update(^uint64(0x1234), tab, p)
		if got := CRC64(0x1234, p); got != want {
			t.Errorf("len %d: %x, want %x", n, got, want)
		}
		// Splitting the input anywhere gives the same result.
		if n > 3 {
			if got := CRC64(CRC64(0x1234, p[:3]), p[3:]); got != want {
				t.Errorf("len %d split: %x, want %x", n, got, want)
			}
		}
	}
}

func TestLZFDecompressSpecExample(t *testing.T) {
	// all-types.rdb key lzf: 100 x "a", clen 9.
	in := unhex(t, "01 61 61 e0 57 00 01 61 61")
	out := make([]byte, 100)
	if err := lzfDecompress(in, out); err != nil || string(out) != strings.Repeat("a", 100) {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestLZFDecompressRejectsBadStreams(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ulen int
	}{
		{"literal past input", "05 61 61", 6},
		{"literal past output", "02 61 61 61", 2},
		{"reference before start", "00 61 20 05", 4},
		{"reference past output", "00 61 20 00", 3},
		{"missing offset byte", "00 61 20", 4},
		{"missing length byte", "00 61 e0", 12},
		{"short output", "01 61 61", 3},
		{"empty input", "", 1},
	} {
		if err := lzfDecompress(unhex(t, tc.in), make([]byte, tc.ulen)); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

func TestLZFRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var c lzfCompressor
	inputs := [][]byte{
		[]byte(strings.Repeat("a", 100)),
		[]byte(strings.Repeat("abcdefghij", 1000)),
		[]byte(strings.Repeat("element-number-", 50)),
		bytes.Repeat([]byte{0}, 70000),
	}
	// Text with long-distance repeats (beyond the 8 KB window too).
	var words []string
	for range 5000 {
		words = append(words, []string{"redis", "tandem", "listpack", "quicklist", "x"}[rng.IntN(5)])
	}
	inputs = append(inputs, []byte(strings.Join(words, " ")))
	// Short random texts over small alphabets: literal runs and short
	// references at every distance, near the end of the output too (the
	// decoder's fixed-size copies stop short of it).
	for _, size := range []int{5, 17, 31, 33, 47, 64, 100, 257, 1100} {
		for _, alpha := range []int{2, 4, 26} {
			for range 20 {
				in := make([]byte, size)
				for i := range in {
					in[i] = byte('a' + rng.IntN(alpha))
				}
				inputs = append(inputs, in)
			}
		}
	}
	for _, in := range inputs {
		if len(in) < 16 {
			continue
		}
		out, ok := c.compress(nil, in, 2*len(in)+16)
		if !ok {
			t.Errorf("len %d: no stream", len(in))
			continue
		}
		got := make([]byte, len(in))
		if err := lzfDecompress(out, got); err != nil || !bytes.Equal(got, in) {
			t.Fatalf("len %d: round trip failed: %v", len(in), err)
		}
	}
	// Random data does not fit in len-4 bytes; the compressor says so.
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	if _, ok := c.compress(nil, random, len(random)-4); ok {
		t.Error("random data reported as compressible")
	}
	// Without the bound it still produces a valid stream.
	out, ok := c.compress(nil, random, 2*len(random))
	got := make([]byte, len(random))
	if !ok || lzfDecompress(out, got) != nil || !bytes.Equal(got, random) {
		t.Error("random data round trip failed")
	}
}

func TestListpackEncodingsMatchRedis(t *testing.T) {
	// all-types.rdb key list, byte for byte (spec 1.8.1).
	want := unhex(t, "19000000 0600 816102 816202 0101 0201 df9c02 f270110104 ff")
	lp := lpStart(nil)
	for _, el := range []string{"a", "b", "1", "2", "-100", "70000"} {
		lp = lpAppendElement(lp, []byte(el))
	}
	if lp = lpFinish(lp, 6); !bytes.Equal(lp, want) {
		t.Fatalf("got  %x\nwant %x", lp, want)
	}
}

func TestListpackRoundTripsEveryEncoding(t *testing.T) {
	elems := []string{
		"0", "127", "128", "-1", "4095", "-4096", "4096", "-4097", "32767", "-32768", "32768",
		"8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"", "007", "-0", "+1", " 1", "1.5", strings.Repeat("s", 63), strings.Repeat("m", 64),
		strings.Repeat("m", 4095), strings.Repeat("l", 4096), strings.Repeat("l", 20000),
	}
	lp := lpStart(nil)
	size := lpHeaderSize + 1
	for _, el := range elems {
		lp = lpAppendElement(lp, []byte(el))
		size += lpElementSize([]byte(el))
	}
	lp = lpFinish(lp, len(elems))
	if len(lp) != size {
		t.Errorf("lpElementSize sums to %d, listpack is %d bytes", size, len(lp))
	}
	var got []string
	if _, err := lpIterate(lp, func(el element) error {
		if el.isInt {
			got = append(got, el.String())
		} else {
			got = append(got, string(el.s))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(elems, ",") {
		t.Errorf("got %q", got)
	}
}

func TestListpackBacklenThresholds(t *testing.T) {
	for _, tc := range []struct {
		l    uint64
		size int
	}{{0, 1}, {127, 1}, {128, 2}, {16382, 2}, {16383, 3}, {2097150, 3}, {2097151, 4}, {268435454, 4}, {268435455, 5}} {
		b := lpAppendBacklen(nil, tc.l)
		if len(b) != tc.size || lpBacklenSize(tc.l) != tc.size || lpDecodeBacklen(b) != tc.l {
			t.Errorf("backlen %d: % x (decodes to %d)", tc.l, b, lpDecodeBacklen(b))
		}
	}
}

func TestListpackIntegrityChecks(t *testing.T) {
	good := unhex(t, "19000000 0600 816102 816202 0101 0201 df9c02 f270110104 ff")
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	for name, lp := range map[string][]byte{
		"too short":        unhex(t, "06000000 00"),
		"size mismatch":    mutate(func(b []byte) []byte { b[0]++; return b }),
		"no terminator":    mutate(func(b []byte) []byte { b[len(b)-1] = 0; return b }),
		"wrong count":      mutate(func(b []byte) []byte { b[4] = 5; return b }),
		"bad backlen":      mutate(func(b []byte) []byte { b[8] = 3; return b }),
		"invalid encoding": mutate(func(b []byte) []byte { b[6] = 0xF5; return b }),
		"early terminator": mutate(func(b []byte) []byte { b[9] = 0xFF; return b }),
		"string past end":  mutate(func(b []byte) []byte { b[6] = 0xBF; return b }),
	} {
		if _, err := lpIterate(lp, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// 65535 means "count unknown": accepted whatever the real count.
	unknown := append([]byte{}, good...)
	unknown[4], unknown[5] = 0xFF, 0xFF
	if n, err := lpIterate(unknown, nil); err != nil || n != 6 {
		t.Errorf("unknown count: %d, %v", n, err)
	}
}

func TestZiplistDecodesRedisExampleAndChecksIntegrity(t *testing.T) {
	good := unhex(t, "0f000000 0c000000 0200 00f3 02f6 ff") // ["2", "5"]
	var got []string
	if _, err := zlIterate(good, func(el element) error { got = append(got, el.String()); return nil }); err != nil || strings.Join(got, ",") != "2,5" {
		t.Fatalf("got %v, %v", got, err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	for name, zl := range map[string][]byte{
		"size mismatch":   mutate(func(b []byte) []byte { b[0]++; return b }),
		"tail off":        mutate(func(b []byte) []byte { b[4] = 10; return b }),
		"tail past end":   mutate(func(b []byte) []byte { b[4] = 0x40; return b }),
		"wrong count":     mutate(func(b []byte) []byte { b[8] = 3; return b }),
		"wrong prevlen":   mutate(func(b []byte) []byte { b[12] = 3; return b }),
		"first prevlen":   mutate(func(b []byte) []byte { b[10] = 1; return b }),
		"bad encoding":    mutate(func(b []byte) []byte { b[11] = 0xC1; return b }),
		"no terminator":   mutate(func(b []byte) []byte { b[14] = 0; return b }),
		"string past end": mutate(func(b []byte) []byte { b[11] = 0x3F; return b }),
	} {
		if _, err := zlIterate(zl, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestIntsetEncodeDecode(t *testing.T) {
	// all-types.rdb key iset = {-7, 1, 2, 3}.
	want := unhex(t, "02000000 04000000 f9ff 0100 0200 0300")
	if got := intsetAppend(nil, []int64{-7, 1, 2, 3}); !bytes.Equal(got, want) {
		t.Errorf("got %x", got)
	}
	for _, set := range [][]int64{{1, 70000}, {-5, 1, 1099511627776}, {math.MinInt64, math.MaxInt64}, {math.MinInt16, math.MaxInt16}} {
		b := intsetAppend(nil, set)
		var got []int64
		if _, err := intsetIterate(b, func(v int64) error { got = append(got, v); return nil }); err != nil || len(got) != len(set) {
			t.Fatalf("%v: %v %v", set, got, err)
		}
		for i := range set {
			if got[i] != set[i] {
				t.Errorf("%v: got %v", set, got)
			}
		}
	}
	for name, b := range map[string][]byte{
		"empty":     unhex(t, "02000000 00000000"),
		"width":     unhex(t, "03000000 01000000 010000"),
		"size":      unhex(t, "02000000 02000000 0100"),
		"unsorted":  unhex(t, "02000000 02000000 0200 0100"),
		"duplicate": unhex(t, "02000000 02000000 0100 0100"),
		"header":    unhex(t, "020000"),
		"huge len":  unhex(t, "08000000 ffffffff 0100000000000000"),
	} {
		if _, err := intsetIterate(b, func(int64) error { return nil }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestZipmapDecode(t *testing.T) {
	// handmade-ziplist-v9.rdb key zipmap-hash, with one byte of free space
	// added after "bar" to exercise skipping it.
	zm := unhex(t, "02 03 666f6f 03 01 626172 00 05 68656c6c6f 05 00 776f726c64 ff")
	var got []string
	if n, err := zipmapIterate(zm, func(f, v []byte) error { got = append(got, string(f)+"="+string(v)); return nil }); err != nil || n != 2 {
		t.Fatalf("%v %v", got, err)
	}
	if strings.Join(got, ",") != "foo=bar,hello=world" {
		t.Errorf("got %v", got)
	}
	for name, b := range map[string][]byte{
		"empty":         unhex(t, "00 ff"),
		"count":         unhex(t, "05 01 61 01 00 62 ff"),
		"value too far": unhex(t, "01 01 61 09 00 62 ff"),
		"free too far":  unhex(t, "01 01 61 01 09 62 ff"),
		"no end":        unhex(t, "01 01 61 01 00 62 00"),
	} {
		if _, err := zipmapIterate(b, func(f, v []byte) error { return nil }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCanonicalIntegers(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "1": true, "-1": true, "9223372036854775807": true, "-9223372036854775808": true,
		"": false, "-": false, "-0": false, "007": false, "+1": false, " 1": false, "1 ": false,
		"9223372036854775808": false, "-9223372036854775809": false, "1e3": false, "99999999999999999999": false,
	} {
		v, ok := resp.ParseInt([]byte(s))
		if ok != want {
			t.Errorf("%q: ok=%v", s, ok)
		}
		if ok && bytesOfInt(v) != s {
			t.Errorf("%q parsed as %d", s, v)
		}
	}
}

func bytesOfInt(v int64) string { return element{v: v, isInt: true}.String() }

// The texts below are what Redis 7.0.15 stored in a zset listpack for
// ZADD z 0.1 a 123456789.5 b 1e20 c 3.0000000000000004 d (read back from
// its dump.rdb), plus d2string's special cases.
func TestScoresFormattedLikeRedis(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0.1, "0.10000000000000001"}, {123456789.5, "123456789.5"}, {1e20, "1e+20"},
		{3.0000000000000004, "3.0000000000000004"}, {2.5, "2.5"}, {1, "1"}, {-3, "-3"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {0, "0"}, {math.Copysign(0, -1), "-0"},
		{1 << 52, "4503599627370496"}, {1<<52 - 1, "4503599627370495"}, {1e-5, "1.0000000000000001e-05"},
	} {
		if got := string(appendScore(nil, tc.f)); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.f, got, tc.want)
		}
		if back, err := parseScore([]byte(tc.want)); err != nil || back != tc.f {
			t.Errorf("%q parses back as %v, %v", tc.want, back, err)
		}
	}
	if _, err := parseScore([]byte("abc")); err == nil {
		t.Error("garbage score accepted")
	}
	if f, err := parseScore([]byte("1e400")); err != nil || !math.IsInf(f, 1) {
		t.Errorf("1e400: %v %v", f, err)
	}
}

func TestModuleName(t *testing.T) {
	// Encode "mymodule1" with encoding version 3 the way Redis builds ids.
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for _, c := range "mymodule1" {
		id = id<<6 | uint64(strings.IndexRune(charset, c))
	}
	id = id<<10 | 3
	if name, ver := ModuleName(id); name != "mymodule1" || ver != 3 {
		t.Errorf("got %q %d", name, ver)
	}
}

// TestLZFDecompressOverlappingReferences checks references that copy their
// own output (distance below length) at every distance and length against
// a byte-at-a-time copy, the definition.
func TestLZFDecompressOverlappingReferences(t *testing.T) {
	prefix := []byte("0123456789abcdefghijklmnopqrstuv") // one literal run of 32
	for d := 1; d <= len(prefix); d++ {
		for n := 3; n <= lzfMaxMatch; n++ {
			in := append([]byte{byte(len(prefix) - 1)}, prefix...)
			l, off := n-2, d-1
			if l < 7 {
				in = append(in, byte(l<<5|off>>8), byte(off))
			} else {
				in = append(in, byte(7<<5|off>>8), byte(l-7), byte(off))
			}
			want := append([]byte(nil), prefix...)
			for i := range n {
				want = append(want, want[len(prefix)+i-d])
			}
			got := make([]byte, len(want))
			if err := lzfDecompress(in, got); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("distance %d length %d: got %q, %v; want %q", d, n, got, err, want)
			}
		}
	}
}
