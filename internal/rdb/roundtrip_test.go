package rdb

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/types"
)

func bs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

func pairs(kv ...string) []Pair {
	var out []Pair
	for i := 0; i < len(kv); i += 2 {
		out = append(out, Pair{Field: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return out
}

func members(n int, format string, score func(int) float64) []ZMember {
	out := make([]ZMember, n)
	for i := range n {
		out[i] = ZMember{[]byte(fmt.Sprintf(format, i)), score(i)}
	}
	return out
}

// normalize renders an entry with sets, hashes and sorted sets in a
// canonical order, so that encoder input and decoder output compare equal
// whatever order the encoding imposes. Type is left out.
func normalize(e *Entry) string {
	c := cloneEntry(e)
	c.Type = 0
	slices.SortFunc(c.Set, bytes.Compare)
	slices.SortFunc(c.Hash, func(a, b Pair) int { return bytes.Compare(a.Field, b.Field) })
	slices.SortFunc(c.ZSet, func(a, b ZMember) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), bytes.Compare(a.Member, b.Member))
	})
	return render(c)
}

func encodeAll(t testing.TB, opts EncodeOptions, entries ...*Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := NewEncoder(&buf, opts)
	if err := enc.Header(); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := enc.WriteEntry(e); err != nil {
			t.Fatalf("WriteEntry(%s): %v", e.Key, err)
		}
	}
	if err := enc.Finish(); err != nil {
		t.Fatal(err)
	}
	if enc.Written() != int64(buf.Len()) {
		t.Fatalf("Written() = %d, output is %d bytes", enc.Written(), buf.Len())
	}
	return buf.Bytes()
}

var (
	ints600  = seq("%d", -300, 299)
	bigValue = strings.Repeat("v", 65)
)

var roundTrips = []struct {
	name string
	opts EncodeOptions
	e    Entry
	typ  Type
}{
	{"string raw", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("hello")}, TypeString},
	{"string empty", EncodeOptions{}, Entry{Kind: KindString, Str: []byte{}}, TypeString},
	{"string int8", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("-5")}, TypeString},
	{"string int16", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("12345")}, TypeString},
	{"string int32", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("-2147483648")}, TypeString},
	{"string int64 as text", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("12345678901234")}, TypeString},
	{"string non-canonical int", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("007")}, TypeString},
	{"string binary", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("\x00\xff\r\n")}, TypeString},
	{"string lzf", EncodeOptions{Compression: true}, Entry{Kind: KindString, Str: []byte(strings.Repeat("abc", 100))}, TypeString},
	{"string 3MB compressed", EncodeOptions{Compression: true}, Entry{Kind: KindString, Str: bytes.Repeat([]byte("0123456789"), 300000)}, TypeString},
	{"string 3MB raw", EncodeOptions{}, Entry{Kind: KindString, Str: bytes.Repeat([]byte("0123456789"), 300000)}, TypeString},
	{"list small", EncodeOptions{}, Entry{Kind: KindList, List: bs("a", "b", "1", "2", "-100", "70000", "", "-0")}, TypeListQuicklist2},
	{"list many nodes", EncodeOptions{}, Entry{Kind: KindList, List: bs(seq("element-%06d-"+strings.Repeat("p", 80), 0, 999)...)}, TypeListQuicklist2},
	{"list many nodes compressed", EncodeOptions{Compression: true}, Entry{Kind: KindList, List: bs(seq("element-%06d-"+strings.Repeat("p", 80), 0, 999)...)}, TypeListQuicklist2},
	{"list count-limited nodes", EncodeOptions{Limits: limits(func(l *types.Limits) { l.ListMaxListpackSize = 3 })}, Entry{Kind: KindList, List: bs(seq("%d", 0, 10)...)}, TypeListQuicklist2},
	{"list with plain nodes", EncodeOptions{plainThreshold: 100}, Entry{Kind: KindList, List: bs("a", strings.Repeat("P", 120), "b", strings.Repeat("Q", 100))}, TypeListQuicklist2},
	{"list huge element", EncodeOptions{}, Entry{Kind: KindList, List: bs("a", strings.Repeat("h", 20000), "b")}, TypeListQuicklist2},
	{"set intset16", EncodeOptions{}, Entry{Kind: KindSet, Set: bs("3", "1", "2", "-7")}, TypeSetIntset},
	{"set intset32", EncodeOptions{}, Entry{Kind: KindSet, Set: bs("70000", "1")}, TypeSetIntset},
	{"set intset64", EncodeOptions{}, Entry{Kind: KindSet, Set: bs("-5", "1099511627776", "1")}, TypeSetIntset},
	{"set strings", EncodeOptions{}, Entry{Kind: KindSet, Set: bs("a", "b", "1")}, TypeSet},
	{"set non-canonical ints", EncodeOptions{}, Entry{Kind: KindSet, Set: bs("01", "1")}, TypeSet},
	{"set too many ints", EncodeOptions{}, Entry{Kind: KindSet, Set: bs(ints600...)}, TypeSet},
	{"set ints below raised limit", EncodeOptions{Limits: limits(func(l *types.Limits) { l.SetMaxIntsetEntries = 1000 })}, Entry{Kind: KindSet, Set: bs(ints600...)}, TypeSetIntset},
	{"set intset disabled", EncodeOptions{Limits: limits(func(l *types.Limits) { l.SetMaxIntsetEntries = -1 })}, Entry{Kind: KindSet, Set: bs("1")}, TypeSet},
	// Zero is a limit like any other, as in memory (not "the default").
	{"set intset limit zero", EncodeOptions{Limits: limits(func(l *types.Limits) { l.SetMaxIntsetEntries = 0 })}, Entry{Kind: KindSet, Set: bs("1")}, TypeSet},
	{"hash listpack limit zero", EncodeOptions{Limits: limits(func(l *types.Limits) { l.HashMaxListpackEntries = 0 })}, Entry{Kind: KindHash, Hash: pairs("f", "v")}, TypeHash},
	{"hash listpack", EncodeOptions{}, Entry{Kind: KindHash, Hash: pairs("f1", "v1", "f2", "2", "3", "-4")}, TypeHashListpack},
	{"hash long value", EncodeOptions{}, Entry{Kind: KindHash, Hash: pairs("f1", bigValue)}, TypeHash},
	{"hash long field", EncodeOptions{}, Entry{Kind: KindHash, Hash: pairs(bigValue, "v")}, TypeHash},
	{"hash over entry limit", EncodeOptions{}, Entry{Kind: KindHash, Hash: pairs(seq("f%d", 0, 1025)...)}, TypeHash},
	{"hash over entry limit compressed", EncodeOptions{Compression: true}, Entry{Kind: KindHash, Hash: pairs(seq("f%d", 0, 1025)...)}, TypeHash},
	{"hash at entry limit", EncodeOptions{}, Entry{Kind: KindHash, Hash: pairs(seq("f%d", 0, 1023)...)}, TypeHashListpack},
	{"hash below lowered limit", EncodeOptions{Limits: limits(func(l *types.Limits) { l.HashMaxListpackEntries, l.HashMaxListpackValue = 2, 3 })}, Entry{Kind: KindHash, Hash: pairs("a", "abc", "b", "x")}, TypeHashListpack},
	{"hash over lowered limit", EncodeOptions{Limits: limits(func(l *types.Limits) { l.HashMaxListpackEntries = 2 })}, Entry{Kind: KindHash, Hash: pairs("a", "1", "b", "2", "c", "3")}, TypeHash},
	{"zset listpack", EncodeOptions{}, Entry{Kind: KindZSet, ZSet: []ZMember{{[]byte("b"), 2.5}, {[]byte("a"), 1}, {[]byte("c"), 1}, {[]byte("7"), 0.1}}}, TypeZSetListpack},
	{"zset listpack specials", EncodeOptions{}, Entry{Kind: KindZSet, ZSet: []ZMember{{[]byte("p"), math.Inf(1)}, {[]byte("n"), math.Inf(-1)}, {[]byte("z"), math.Copysign(0, -1)}, {[]byte("big"), 1e300}, {[]byte("tiny"), 5e-324}, {[]byte("i"), 1 << 53}}}, TypeZSetListpack},
	{"zset skiplist by count", EncodeOptions{}, Entry{Kind: KindZSet, ZSet: members(200, "m%d", func(i int) float64 { return float64(i%7) / 3 })}, TypeZSet2},
	{"zset skiplist by member size", EncodeOptions{}, Entry{Kind: KindZSet, ZSet: []ZMember{{[]byte(bigValue), 1}}}, TypeZSet2},
	{"zset listpack disabled", EncodeOptions{Limits: limits(func(l *types.Limits) { l.ZSetMaxListpackEntries = -1 })}, Entry{Kind: KindZSet, ZSet: []ZMember{{[]byte("a"), 1}}}, TypeZSet2},
	{"expiry", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("v"), ExpireAt: 4102444800000}, TypeString},
	{"expiry in the past", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("v"), ExpireAt: 0}, TypeString},
	{"lru idle", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("v"), LRU: LRUInfo{HasIdle: true, Idle: 123456}}, TypeString},
	{"lfu freq", EncodeOptions{}, Entry{Kind: KindString, Str: []byte("v"), LRU: LRUInfo{HasFreq: true, Freq: 200}, ExpireAt: 5}, TypeString},
	{"db 15", EncodeOptions{}, Entry{DB: 15, Kind: KindString, Str: []byte("v")}, TypeString},
}

func TestRoundTripEveryKindAndEncoding(t *testing.T) {
	for _, tc := range roundTrips {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			e.Key = []byte("key:" + tc.name)
			if e.ExpireAt == 0 && tc.name != "expiry in the past" {
				e.ExpireAt = NoExpiry
			}
			before := normalize(&e)
			data := encodeAll(t, tc.opts, &e)
			if after := normalize(&e); after != before {
				t.Fatal("WriteEntry modified its input")
			}
			var c collector
			if err := Load(bytes.NewReader(data), &c, LoadOptions{}); err != nil {
				t.Fatal(err)
			}
			if len(c.entries) != 1 {
				t.Fatalf("%d entries", len(c.entries))
			}
			got := c.entries[0]
			if got.Type != tc.typ {
				t.Errorf("stored as type %d, want %d", got.Type, tc.typ)
			}
			if g := normalize(got); g != before {
				t.Errorf("round trip:\n got %.300s\nwant %.300s", g, before)
			}
			if tc.opts.Compression && len(tc.e.Str) > 1000 && len(data) > len(tc.e.Str)/2 {
				t.Errorf("compressible string not compressed: %d bytes", len(data))
			}
		})
	}
}

func TestEncoderKeepsFileOrderSemantics(t *testing.T) {
	// Lists keep their order; zset listpacks are ascending by (score,
	// member); ZSET_2 is written highest first, as Redis does.
	z := []ZMember{{[]byte("b"), 1}, {[]byte("a"), 1}, {[]byte("c"), 0}}
	data := encodeAll(t, EncodeOptions{},
		&Entry{Key: []byte("l"), Kind: KindList, ExpireAt: NoExpiry, List: bs("3", "1", "2")},
		&Entry{Key: []byte("z"), Kind: KindZSet, ExpireAt: NoExpiry, ZSet: z},
	)
	data2 := encodeAll(t, EncodeOptions{Limits: limits(func(l *types.Limits) { l.ZSetMaxListpackEntries = -1 })},
		&Entry{Key: []byte("z"), Kind: KindZSet, ExpireAt: NoExpiry, ZSet: z})
	var c collector
	if err := Load(bytes.NewReader(data), &c, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Load(bytes.NewReader(data2), &c, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"db0 l list/18 [3 1 2]", "db0 z zset/17 [c:0 a:1 b:1]", "db0 z zset/5 [b:1 a:1 c:0]"}
	if got := c.rendered(); !slices.Equal(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestQuicklistNodesRespectFillLimits(t *testing.T) {
	list := bs(seq("element-%06d-"+strings.Repeat("p", 80), 0, 999)...)
	for _, fill := range []int{-1, -2, -3, -5, 1, 4, 128} {
		e := NewEncoder(io.Discard, EncodeOptions{Limits: limits(func(l *types.Limits) { l.ListMaxListpackSize = fill })})
		total, nodes := 0, 0
		e.splitList(list, func(from, to int, plain bool) {
			lp := lpStart(nil)
			for _, el := range list[from:to] {
				lp = lpAppendElement(lp, el)
			}
			lp = lpFinish(lp, to-from)
			switch {
			case plain || to <= from:
				t.Fatalf("fill %d: bad node [%d,%d) plain=%v", fill, from, to, plain)
			case fill < 0 && len(lp) > 4096<<(-fill-1):
				t.Errorf("fill %d: node of %d bytes", fill, len(lp))
			case fill > 0 && (to-from > fill || len(lp) > quicklistSafetyLimit):
				t.Errorf("fill %d: node of %d elements, %d bytes", fill, to-from, len(lp))
			case fill < 0 && to < len(list) && len(lp)+lpElementSize(list[to]) <= 4096<<(-fill-1):
				t.Errorf("fill %d: node closed early at %d bytes", fill, len(lp))
			}
			total += to - from
			nodes++
		})
		if total != len(list) || nodes < 2 {
			t.Errorf("fill %d: %d elements in %d nodes", fill, total, nodes)
		}
	}
}

func TestEncoderRefusesWhatRedisCannotLoad(t *testing.T) {
	enc := NewEncoder(io.Discard, EncodeOptions{})
	if err := enc.WriteEntry(&Entry{Kind: KindString}); err == nil {
		t.Error("WriteEntry before Header accepted")
	}
	if err := enc.Header(); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*Entry{
		{Key: []byte("l"), Kind: KindList},
		{Key: []byte("s"), Kind: KindSet, Set: [][]byte{}},
		{Key: []byte("h"), Kind: KindHash},
		{Key: []byte("z"), Kind: KindZSet},
	} {
		if err := enc.WriteEntry(e); !errors.Is(err, ErrEmptyCollection) {
			t.Errorf("%s: %v", e.Key, err)
		}
	}
	for _, k := range []Kind{KindStream, KindModule, Kind(99)} {
		if err := enc.WriteEntry(&Entry{Key: []byte("x"), Kind: k}); !errors.Is(err, ErrUnsupportedKind) {
			t.Errorf("%v: %v", k, err)
		}
	}
	if err := enc.WriteEntry(&Entry{Key: []byte("z"), Kind: KindZSet, ZSet: []ZMember{{[]byte("a"), math.NaN()}}}); err == nil {
		t.Error("NaN score accepted")
	}
	if err := enc.SelectDB(-1); err == nil {
		t.Error("negative DB accepted")
	}
	// Nothing was written for the refused entries: the file is just a
	// header, EOF and checksum, and still valid.
	if enc.Written() != 9 {
		t.Errorf("refused entries wrote %d bytes", enc.Written()-9)
	}
	if err := enc.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := enc.WriteEntry(&Entry{Kind: KindString}); err == nil {
		t.Error("WriteEntry after Finish accepted")
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestEncoderWriteErrorsAreSticky(t *testing.T) {
	enc := NewEncoder(&failingWriter{n: 100}, EncodeOptions{})
	_ = enc.Header()
	big := &Entry{Key: []byte("k"), Kind: KindString, ExpireAt: NoExpiry, Str: make([]byte, 1<<20)}
	if err := enc.WriteEntry(big); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v", err)
	}
	if err := enc.Finish(); err == nil {
		t.Error("Finish after a write error succeeded")
	}
}

func TestChecksumDisabledWritesZeros(t *testing.T) {
	data := encodeAll(t, EncodeOptions{DisableChecksum: true}, &Entry{Key: []byte("k"), Kind: KindString, ExpireAt: NoExpiry, Str: []byte("v")})
	if !bytes.HasSuffix(data, make([]byte, 8)) {
		t.Fatalf("trailer % x", data[len(data)-8:])
	}
	info, err := LoadWithInfo(bytes.NewReader(data), NopHandler{}, LoadOptions{})
	if err != nil || info.ChecksumVerified || info.Keys != 1 {
		t.Errorf("%+v %v", info, err)
	}
}

func TestChecksumMismatchIsReported(t *testing.T) {
	data := encodeAll(t, EncodeOptions{}, &Entry{Key: []byte("k"), Kind: KindString, ExpireAt: NoExpiry, Str: []byte("v")})
	data[len(data)-1] ^= 1
	if err := Load(bytes.NewReader(data), NopHandler{}, LoadOptions{}); !errors.Is(err, ErrChecksum) {
		t.Fatalf("got %v", err)
	}
	if err := Load(bytes.NewReader(data), NopHandler{}, LoadOptions{SkipChecksum: true}); err != nil {
		t.Fatalf("SkipChecksum: %v", err)
	}
}

// replay re-encodes what a load reported, in the same order: AUX fields,
// functions, then per database SELECTDB + RESIZEDB and the keys.
type replay struct {
	NopHandler
	enc *Encoder
}

func (r *replay) Aux(k, v []byte) error      { return r.enc.Aux(string(k), string(v)) }
func (r *replay) Function(code []byte) error { return r.enc.Function(code) }
func (r *replay) Entry(e *Entry) error       { return r.enc.WriteEntry(e) }
func (r *replay) ResizeDB(db int, size, expires uint64) error {
	if err := r.enc.SelectDB(db); err != nil {
		return err
	}
	return r.enc.ResizeDB(size, expires)
}

// Files written by Redis 7.0.15 whose values all fit this package's model
// are reproduced byte for byte: same type choices, same string encodings,
// same listpacks, same checksum.
func TestReencodingRedisFilesIsByteIdentical(t *testing.T) {
	payload := readVector(t, "fullsync-diskless-payload.bin")
	for name, data := range map[string][]byte{
		"empty.rdb":                  readVector(t, "empty.rdb"),
		"fullsync-with-repl-aux.rdb": readVector(t, "fullsync-with-repl-aux.rdb"),
		"aof-base.rdb":               readVector(t, "aof-base.rdb"),
		"diskless payload":           payload[47 : len(payload)-40],
	} {
		var out bytes.Buffer
		enc := NewEncoder(&out, EncodeOptions{Compression: true})
		if err := enc.Header(); err != nil {
			t.Fatal(err)
		}
		if err := Load(bytes.NewReader(data), &replay{enc: enc}, LoadOptions{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := enc.Finish(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Errorf("%s differs:\n got %x\nwant %x", name, out.Bytes(), data)
		}
	}
}

// hostile builds a file that declares huge sizes backed by no data.
func hostile(body ...byte) []byte {
	return append([]byte("REDIS0010"), body...)
}

func TestForgedLengthsFailFastWithoutAllocating(t *testing.T) {
	len60 := []byte{0x81, 0x10, 0, 0, 0, 0, 0, 0, 0} // 2^60, 64-bit form
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for name, data := range map[string][]byte{
		"string length":        hostile(cat([]byte{0, 1, 'k'}, len60, []byte("abc"))...),
		"key length":           hostile(cat([]byte{0}, len60)...),
		"aux length":           hostile(cat([]byte{opAux}, len60)...),
		"list count":           hostile(cat([]byte{1, 1, 'k'}, len60, []byte{1, 'a'})...),
		"set count":            hostile(cat([]byte{2, 1, 'k'}, len60, []byte{1, 'a'})...),
		"zset count":           hostile(cat([]byte{5, 1, 'k'}, len60)...),
		"hash count":           hostile(cat([]byte{4, 1, 'k'}, len60)...),
		"quicklist nodes":      hostile(cat([]byte{18, 1, 'k'}, len60, []byte{2})...),
		"lzf compressed len":   hostile(cat([]byte{0, 1, 'k', 0xC3}, len60, []byte{5, 1, 2})...),
		"lzf uncompressed len": hostile(cat([]byte{0, 1, 'k', 0xC3, 3}, len60, []byte{0, 'a', 'b'})...),
		"intset blob":          hostile(cat([]byte{11, 1, 'k'}, len60)...),
		"stream nodes":         hostile(cat([]byte{19, 1, 'k'}, len60)...),
		"stream consumer pel":  hostile(append([]byte{19, 1, 'k', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 'g', 0, 0, 0, 0, 1, 1, 'c', 0, 0, 0, 0, 0, 0, 0, 0}, len60...)...),
		"module aux string":    hostile(cat([]byte{opModuleAux, 1, 2, 1, 5}, len60)...),
		"selectdb":             hostile(cat([]byte{opSelectDB}, len60)...),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := Load(bytes.NewReader(data), NopHandler{}, LoadOptions{})
		runtime.ReadMemStats(&after)
		var re *Error
		if !errors.As(err, &re) {
			t.Errorf("%s: got %v", name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
			t.Errorf("%s: allocated %d bytes", name, alloc)
		}
	}
}

func TestMaxStringLenIsEnforced(t *testing.T) {
	data := encodeAll(t, EncodeOptions{Compression: true}, &Entry{Key: []byte("k"), Kind: KindString, ExpireAt: NoExpiry, Str: bytes.Repeat([]byte("x"), 1000)})
	if err := Load(bytes.NewReader(data), NopHandler{}, LoadOptions{MaxStringLen: 999}); err == nil {
		t.Error("compressed string over the limit accepted")
	}
	if err := Load(bytes.NewReader(data), NopHandler{}, LoadOptions{MaxStringLen: 1000}); err != nil {
		t.Error(err)
	}
}

func TestDecoderRejectsInvalidInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"bad magic", []byte("REDIX0010\xff"), "Wrong signature"},
		{"version 11", []byte("REDIS0011\xff"), "Can't handle RDB format version 11"},
		{"version 0", []byte("REDIS0000\xff"), "Can't handle RDB format version 0"},
		{"bad version digits", []byte("REDIS00x1\xff"), "Can't handle RDB format version"},
		{"object type 8", hostile(8, 1, 'k'), "Unknown RDB encoding type 8"},
		{"object type 22", hostile(22, 1, 'k'), "Unknown RDB encoding type 22"},
		{"bad length prefix", hostile(0, 0x82), "Unknown length encoding"},
		{"bad string encoding", hostile(0, 1, 'k', 0xC4), "Unknown RDB string encoding type 4"},
		{"module value", hostile(7, 1, 'k', 0x05), "module type not supported"},
		{"nan score", hostile(5, 1, 'k', 1, 1, 'm', 0, 0, 0, 0, 0, 0, 0xf8, 0x7f), "Zset with NAN score detected"},
		{"duplicate set member", hostile(2, 1, 'k', 2, 1, 'a', 1, 'a'), "Duplicate set members detected"},
		{"duplicate hash field", hostile(4, 1, 'k', 2, 1, 'f', 1, 'v', 1, 'f', 1, 'w'), "Duplicate hash fields detected"},
		{"duplicate zset member", hostile(3, 1, 'k', 2, 1, 'm', 1, '1', 1, 'm', 1, '2'), "Duplicate zset fields detected"},
		{"bad quicklist container", hostile(18, 1, 'k', 1, 3, 1, 'a'), "Quicklist integrity check failed"},
		{"empty quicklist node", hostile(18, 1, 'k', 1, 2, 0), "Empty quicklist node"},
		{"odd hash listpack", hostile(16, 1, 'k', 10, 10, 0, 0, 0, 1, 0, 0x81, 'a', 2, 0xff), "Hash with an odd number of elements"},
		{"corrupt hash listpack", hostile(16, 1, 'k', 10, 10, 0, 0, 0, 1, 0, 0x81, 'a', 3, 0xff), "Hash listpack integrity check failed"},
		// A repeat inside one blob fails the blob's integrity check (the
		// message Redis logs for it), naming the duplicate.
		{"duplicate hash listpack field", hostile(16, 1, 'k', 19, 19, 0, 0, 0, 4, 0, 0x81, 'a', 2, 0x81, 'x', 2, 0x81, 'a', 2, 0x81, 'y', 2, 0xff), `Hash listpack integrity check failed: listpack with dup elements ("a")`},
		{"duplicate zset listpack member", hostile(17, 1, 'k', 19, 19, 0, 0, 0, 4, 0, 0x81, 'm', 2, 0x81, '1', 2, 0x81, 'm', 2, 0x81, '2', 2, 0xff), `Zset listpack integrity check failed: listpack with dup elements ("m")`},
		{"empty intset", hostile(11, 1, 'k', 8, 2, 0, 0, 0, 0, 0, 0, 0), "Intset integrity check failed"},
		{"selectdb past databases", hostile(opSelectDB, 16), "databases"},
		{"module aux when_opcode", hostile(opModuleAux, 1, 1, 1), "bad when_opcode"},
		{"unknown module opcode", hostile(opModuleAux, 1, 2, 1, 9), "Unknown module opcode 9"},
		{"stream node id size", hostile(19, 1, 'k', 1, 3, 'a', 'b', 'c'), "Stream node key entry is not the size of a stream ID"},
	} {
		err := Load(bytes.NewReader(tc.data), NopHandler{}, LoadOptions{Databases: 16})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := Load(bytes.NewReader(hostile(7, 1, 'k', 5)), NopHandler{}, LoadOptions{}); !errors.Is(err, ErrModuleNotSupported) {
		t.Errorf("module: %v", err)
	}
}

func TestHandlerErrorsStopTheLoad(t *testing.T) {
	data := readVector(t, "all-types.rdb")
	stop := errors.New("stop here")
	err := Load(bytes.NewReader(data), stopAt{stop}, LoadOptions{})
	var re *Error
	if !errors.Is(err, stop) || !errors.As(err, &re) || re.Offset == 0 {
		t.Errorf("got %v", err)
	}
}

type stopAt struct{ err error }

func (s stopAt) Aux([]byte, []byte) error           { return nil }
func (s stopAt) ResizeDB(int, uint64, uint64) error { return nil }
func (s stopAt) Entry(*Entry) error                 { return s.err }
func (s stopAt) Skip(*Entry, SkipReason) error      { return nil }
func (s stopAt) Function([]byte) error              { return nil }
func (s stopAt) ModuleAux(uint64, uint64) error     { return nil }

func TestLegacyOpcodesAndModuleAux(t *testing.T) {
	// EXPIRETIME (seconds), IDLE, FREQ, the 7.0-rc FUNCTION opcode with a
	// description, and a MODULE_AUX record of every module opcode.
	data := hostile(
		opFunction, 5, 'm', 'y', 'l', 'i', 'b', 3, 'L', 'U', 'A', 1, 1, 'd', 4, 'c', 'o', 'd', 'e',
		opModuleAux, 0x81, 0, 0, 0, 0, 0, 0, 0x10, 0x01, 2, 2,
		1, 5, 2, 6, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 5, 2, 'h', 'i', 0,
		opExpireTime, 0x80, 0xd2, 0x98, 0x68, // 1754845824 s, little endian
		opIdle, 0x40, 0x80, opFreq, 7,
		0, 1, 'k', 1, 'v',
		opEOF,
	)
	data = append(data, make([]byte, 8)...)
	var c collector
	if err := Load(bytes.NewReader(data), &c, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := c.rendered(); !slices.Equal(got, []string{"db0 k string/0 px=1754845824000 idle=128 freq=7 v"}) {
		t.Errorf("entries %q", got)
	}
	if !slices.Equal(c.functions, []string{"#!LUA name=mylib\ncode"}) {
		t.Errorf("functions %q", c.functions)
	}
	if !slices.Equal(c.moduleAux, []uint64{0x1001, 2}) {
		t.Errorf("module aux %x", c.moduleAux)
	}
}

func TestStreamsLoadAndLaterKeysToo(t *testing.T) {
	// all-types.rdb has a type 19 stream with a group, a consumer and a
	// pending entry in the middle of db 0; it loads, and so does every
	// key after it.
	var c collector
	if err := Load(bytes.NewReader(readVector(t, "all-types.rdb")), &c, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(c.skipped) != 0 || len(c.entries) != 15 {
		t.Errorf("skipped %q, %d entries", c.skipped, len(c.entries))
	}
}

// streamRecord builds a stream value of type t following the layout in
// stream.go: one node, one group with one pending entry owned by one
// consumer. all-types.rdb covers type 19 as written by Redis; this covers
// the per-version differences of types 15 and 21.
func streamRecord(t Type) []byte {
	id := make([]byte, 16)
	id[7] = 1 // 1-0
	st := types.NewStream()
	st.Append(types.StreamID{Ms: 1}, [][]byte{[]byte("f"), []byte("v")}, 4096, 100)
	var lp []byte
	st.EachNode(func(_ types.StreamID, b []byte) bool { lp = b; return false })
	b := []byte{byte(t), 1, 's', 1, 16}
	b = append(b, id...)
	b = append(b, byte(len(lp)))
	b = append(b, lp...)
	b = append(b, 1, 1, 0) // length, last_id
	if t >= TypeStreamListpacks2 {
		b = append(b, 1, 0, 0, 0, 1) // first_id, max_deleted, entries_added
	}
	b = append(b, 1, 1, 'g', 1, 0) // one group "g", last_id
	if t >= TypeStreamListpacks2 {
		b = append(b, 1) // entries_read
	}
	b = append(b, 1)                  // PEL size
	b = append(b, id...)              // PEL id
	b = append(b, make([]byte, 8)...) // delivery time
	b = append(b, 1)                  // delivery count
	b = append(b, 1, 1, 'c')          // one consumer "c"
	b = append(b, make([]byte, 8)...) // seen time
	if t >= TypeStreamListpacks3 {
		b = append(b, make([]byte, 8)...) // active time
	}
	b = append(b, 1)
	return append(b, id...)
}

func TestStreamVersionsLoad(t *testing.T) {
	for _, typ := range []Type{TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3} {
		data := hostile(streamRecord(typ)...)
		data = append(data, 0, 1, 'k', 1, 'v', opEOF)
		data = append(data, make([]byte, 8)...)
		var c collector
		if err := Load(bytes.NewReader(data), &c, LoadOptions{}); err != nil {
			t.Fatalf("type %d: %v", typ, err)
		}
		want := fmt.Sprintf("db0 s stream/%d [1-0 f v] len=1 last=1-0 first=1-0 maxdel=0-0 added=1 g(1-0,1){1-0:c:0:1}{c:0:1}", typ)
		if len(c.skipped) != 0 || !slices.Equal(c.rendered(), []string{want, "db0 k string/0 v"}) {
			t.Errorf("type %d: skipped %q, entries %q", typ, c.skipped, c.rendered())
		}
		// Any truncation of the stream is an error, not a mis-load.
		for n := range len(data) {
			if err := Load(bytes.NewReader(data[:n]), NopHandler{}, LoadOptions{}); err == nil {
				t.Fatalf("type %d: truncated at %d loaded", typ, n)
			}
		}
	}
}
