package rdb

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/types"
)

// redisDumps are DUMP replies of redis-server 7.0.15 (default settings)
// after the command given, in hex. The LZF-compressed one is the only one
// Tandem writes differently: its compressor finds a shorter encoding than
// Redis's lzf_compress (both decompress to the same bytes).
var redisDumps = []struct{ cmd, hex string }{
	{"set str bar", "00036261720a00e6be4960ee66fd17"},
	{"set int 12345", "00c139300a009d94ea2793fc08b9"},
	{"set long " + strings.Repeat("ab", 30), "00c30a3c02616261e02e010161620a00bb16d3ebae6fc574"},
	{"rpush list a b 1 -100 70000", "120102171700000005008161028162020101df9c02f270110104ff0a004eea1e104c3e46d1"},
	{"sadd intset 3 1 2", "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b"},
	{"hset hash f1 v1 f2 2", "10151500000004008266310382763103826632030201ff0a005c5ea813feec1ff5"},
	{"zadd zset 1 a 2.5 b -inf c", "111d1d0000000600816302842d696e6605816102010181620283322e3504ff0a003992339be11f323d"},
}

// entryOf builds the entry a Redis command of redisDumps leaves.
func entryOf(cmd string) *Entry {
	e := entryOf2(cmd)
	e.ExpireAt = NoExpiry
	return e
}

func entryOf2(cmd string) *Entry {
	f := strings.Fields(cmd)
	args := f[2:]
	switch f[0] {
	case "set":
		return &Entry{Kind: KindString, Str: []byte(args[0])}
	case "rpush":
		return &Entry{Kind: KindList, List: bs(args...)}
	case "sadd":
		return &Entry{Kind: KindSet, Set: bs(args...)}
	case "hset":
		return &Entry{Kind: KindHash, Hash: pairs(args...)}
	case "zadd":
		var z []ZMember
		for i := 0; i < len(args); i += 2 {
			s, err := parseScore([]byte(args[i]))
			if err != nil {
				panic(err)
			}
			z = append(z, ZMember{Member: []byte(args[i+1]), Score: s})
		}
		return &Entry{Kind: KindZSet, ZSet: z}
	}
	panic(cmd)
}

func TestDumpWritesRedisPayloadsByteForByte(t *testing.T) {
	var d Dumper
	for _, tc := range redisDumps {
		want := unhex(t, tc.hex)
		got, err := d.Dump(entryOf(tc.cmd), EncodeOptions{Compression: true})
		if err != nil {
			t.Fatalf("%s: %v", tc.cmd, err)
		}
		if string(got) != string(want) && !strings.HasPrefix(tc.cmd, "set long") {
			t.Errorf("%s:\n got %x\nwant %x", tc.cmd, got, want)
		}
		ent, err := DecodeDump(want, DumpOptions{})
		if err != nil {
			t.Fatalf("%s: decoding Redis's payload: %v", tc.cmd, err)
		}
		if g, w := normalize(ent), normalize(entryOf(tc.cmd)); g != w {
			t.Errorf("%s: decoded %s, want %s", tc.cmd, g, w)
		}
	}
}

func TestDumpRoundTripsEveryKindAndEncoding(t *testing.T) {
	var d Dumper // reused: its buffers must not leak from one value to the next
	var u DumpDecoder
	for _, tc := range roundTrips {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			e.ExpireAt, e.LRU, e.DB = NoExpiry, LRUInfo{}, 0
			p, err := d.Dump(&e, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if Type(p[0]) != tc.typ {
				t.Errorf("type %d, want %d", p[0], tc.typ)
			}
			if v := binary.LittleEndian.Uint16(p[len(p)-10:]); v != Version {
				t.Errorf("version %d", v)
			}
			got, err := DecodeDump(p, DumpOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != nil || got.ExpireAt != NoExpiry || got.Type != tc.typ {
				t.Errorf("decoded key %q expire %d type %d", got.Key, got.ExpireAt, got.Type)
			}
			if g, w := normalize(got), normalize(&e); g != w {
				t.Errorf("round trip:\n got %.300s\nwant %.300s", g, w)
			}
			reused, err := u.Decode(p, DumpOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := normalize(reused), normalize(&e); g != w {
				t.Errorf("reused DumpDecoder:\n got %.300s\nwant %.300s", g, w)
			}
		})
	}
}

// withFooter returns body with a valid footer of the given RDB version.
func withFooter(body []byte, version uint16) []byte {
	p := binary.LittleEndian.AppendUint16(append([]byte{}, body...), version)
	return binary.LittleEndian.AppendUint64(p, CRC64(0, p))
}

func TestDecodeDumpChecksTheFooterFirst(t *testing.T) {
	good := unhex(t, redisDumps[0].hex)
	body := good[:len(good)-10]
	badCRC := append([]byte{}, good...)
	badCRC[len(badCRC)-1] ^= 1
	for name, p := range map[string][]byte{
		"empty":           nil,
		"nine bytes":      good[len(good)-9:],
		"bad checksum":    badCRC,
		"body changed":    withFooter(body, Version)[:len(good)-10+2],
		"version 11":      withFooter(body, 11),
		"version 0xff0a":  withFooter(body, 0xff0a),
		"footer only, v1": {1, 0, 0, 0, 0, 0, 0, 0, 0, 1},
	} {
		if _, err := DecodeDump(p, DumpOptions{}); !errors.Is(err, ErrDumpFooter) {
			t.Errorf("%s: got %v, want ErrDumpFooter", name, err)
		}
	}
	if _, err := DecodeDump(badCRC, DumpOptions{SkipChecksum: true}); err != nil {
		t.Errorf("bad checksum with SkipChecksum: %v", err)
	}
	if _, err := DecodeDump(withFooter(body, 11), DumpOptions{SkipChecksum: true}); !errors.Is(err, ErrDumpFooter) {
		t.Errorf("version 11 with SkipChecksum: %v", err)
	}
	// Older versions are read with the encodings of their time.
	if ent, err := DecodeDump(withFooter(body, 6), DumpOptions{}); err != nil || string(ent.Str) != "bar" {
		t.Errorf("version 6: %v", err)
	}
	// A zero checksum is no exception (unlike an RDB file's).
	zero := append(append([]byte{}, good[:len(good)-8]...), make([]byte, 8)...)
	if _, err := DecodeDump(zero, DumpOptions{}); !errors.Is(err, ErrDumpFooter) {
		t.Errorf("zero checksum: %v", err)
	}
}

func TestDecodeDumpRefusesBadValues(t *testing.T) {
	ziplist := unhex(t, "0f000000 0c000000 0200 00f3 02f6 ff") // ["2", "5"]
	str := func(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }
	for name, body := range map[string][]byte{
		"nothing":               {},
		"unknown type 8":        {8, 0},
		"set listpack (RDB 11)": append([]byte{byte(TypeSetListpack)}, str(lpFinish(lpAppendElement(lpStart(nil), []byte("a")), 1))...),
		"stream 3 (RDB 11)":     {byte(TypeStreamListpacks3), 0},
		"opcode":                {opAux, 1, 'a', 1, 'b'},
		"truncated string":      {0, 5, 'a'},
		"empty list":            {byte(TypeList), 0},
		"empty quicklist":       {byte(TypeListQuicklist2), 0},
		"empty set":             {byte(TypeSet), 0},
		"empty hash listpack":   append([]byte{byte(TypeHashListpack)}, str(lpFinish(lpStart(nil), 0))...),
		"duplicate set members": {byte(TypeSet), 2, 1, 'a', 1, 'a'},
		"duplicate hash fields": {byte(TypeHash), 2, 1, 'f', 1, 'v', 1, 'f', 1, 'w'},
		"duplicate listpack fields": append([]byte{byte(TypeHashListpack)}, str(lpFinish(lpAppendElement(lpAppendElement(lpAppendElement(lpAppendElement(lpStart(nil),
			[]byte("12")), []byte("v")), []byte("12")), []byte("w")), 4))...),
		"odd hash listpack":       append([]byte{byte(TypeHashListpack)}, str(lpFinish(lpAppendElement(lpStart(nil), []byte("f")), 1))...),
		"nan score":               {byte(TypeZSet2), 1, 1, 'm', 0, 0, 0, 0, 0, 0, 0xf8, 0x7f},
		"ziplist as listpack":     append([]byte{byte(TypeHashListpack)}, str(ziplist)...),
		"bad ziplist":             append([]byte{byte(TypeListZiplist)}, str(ziplist[:len(ziplist)-1])...),
		"module value":            {byte(TypeModule2), 0x81, 1, 2, 3, 4, 5, 6, 7, 8},
		"lzf longer than claimed": {0, 0xC3, 3, 10, 0, 'a', 'b'},
		"quicklist container 3":   {byte(TypeListQuicklist2), 1, 3, 1, 'x'},
	} {
		_, err := DecodeDump(withFooter(body, Version), DumpOptions{})
		if !errors.Is(err, ErrDumpValue) {
			t.Errorf("%s: got %v, want ErrDumpValue", name, err)
		}
		lim := types.DefaultLimits()
		if _, berr := DecodeDump(withFooter(body, Version), DumpOptions{HashLimits: &lim}); berr == nil || berr.Error() != err.Error() {
			t.Errorf("%s with HashLimits: got %v, want %v", name, berr, err)
		}
	}
	// A ziplist list of an older payload version is fine.
	if ent, err := DecodeDump(withFooter(append([]byte{byte(TypeListZiplist)}, str(ziplist)...), 9), DumpOptions{}); err != nil || normalize(ent) != "db0  list/0 [2 5]" {
		t.Errorf("ziplist list: %v %v", ent, err)
	}
	// An empty stream (no nodes, no groups) is a value.
	stream := []byte{byte(TypeStreamListpacks2), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if ent, err := DecodeDump(withFooter(stream, Version), DumpOptions{}); err != nil || ent.Kind != KindStream || ent.Stream.Len() != 0 {
		t.Errorf("stream: %v", err)
	}
	// Redis ignores what follows the value.
	good := unhex(t, redisDumps[0].hex)
	if ent, err := DecodeDump(withFooter(append(good[:len(good)-10:len(good)-10], "trailing"...), Version), DumpOptions{}); err != nil || string(ent.Str) != "bar" {
		t.Errorf("trailing bytes: %v", err)
	}
	// MaxStringLen bounds strings, compressed ones included.
	long := unhex(t, redisDumps[2].hex)
	if _, err := DecodeDump(long, DumpOptions{MaxStringLen: 59}); !errors.Is(err, ErrDumpValue) {
		t.Errorf("MaxStringLen: %v", err)
	}
}

func TestDumpRefusesWhatWriteEntryRefuses(t *testing.T) {
	var d Dumper
	for _, e := range []*Entry{
		{Kind: KindList},
		{Kind: KindStream},
		{Kind: KindZSet, ZSet: []ZMember{{Member: []byte("a"), Score: math.NaN()}}},
	} {
		if _, err := d.Dump(e, EncodeOptions{}); err == nil {
			t.Errorf("%v dumped", e.Kind)
		}
	}
	// The Dumper stays usable.
	if p, err := d.Dump(entryOf("set str bar"), EncodeOptions{}); err != nil || string(p) != string(unhex(t, redisDumps[0].hex)) {
		t.Errorf("after refusals: %x %v", p, err)
	}
	if p, err := AppendDump([]byte("x"), entryOf("set str bar"), EncodeOptions{}); err != nil || string(p[1:]) != string(unhex(t, redisDumps[0].hex)) {
		t.Errorf("AppendDump: %x %v", p, err)
	}
}

// RESTORE's decoding builds a listpack hash itself (HashLimits): it gives
// the hash the pair list gives, in the same encoding, and refuses what the
// pair list refuses with the same error, here for every byte of a valid
// listpack changed in turn (strings of both short headers, integers of
// every width, the limits crossed).
func TestDecodeDumpBuildsListpackHashesAsListed(t *testing.T) {
	elems := []string{"f", "v", "12", "-5000", "long", strings.Repeat("x", 70), "i24", "8000000", "i64", "-9000000000", "e", ""}
	lp := lpStart(nil)
	for _, e := range elems {
		lp = lpAppendElement(lp, []byte(e))
	}
	lp = lpFinish(lp, len(elems))
	body := append([]byte{byte(TypeHashListpack), 0x40 | byte(len(lp)>>8), byte(len(lp))}, lp...) // a 14-bit length
	if _, err := DecodeDump(withFooter(body, Version), DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	small := types.Limits{HashMaxListpackEntries: 128, HashMaxListpackValue: 100}
	for _, lim := range []types.Limits{small, types.DefaultLimits(), {HashMaxListpackEntries: 3, HashMaxListpackValue: 100}} {
		check := func(b []byte) {
			t.Helper()
			p := withFooter(b, Version)
			ent, err := DecodeDump(p, DumpOptions{})
			var want string
			if err == nil {
				want = hashPairs(types.NewHashFrom(ent.Hash, &lim)) + types.NewHashFrom(ent.Hash, &lim).Encoding()
			}
			var u DumpDecoder
			built, berr := u.Decode(p, DumpOptions{HashLimits: &lim})
			switch {
			case (err == nil) != (berr == nil) || (err != nil && err.Error() != berr.Error()):
				t.Fatalf("%x: error %v with HashLimits, %v without", b, berr, err)
			case err == nil && built.Built == nil:
				t.Fatalf("%x: no hash built", b)
			case err == nil:
				h := built.Built.(*types.Hash)
				if got := hashPairs(h) + h.Encoding(); got != want {
					t.Fatalf("%x: built %s, listed %s", b, got, want)
				}
			}
		}
		check(body)
		for i := 3; i < len(body); i++ {
			for _, v := range []byte{0, 1, 2, 0x7f, 0x80, 0x81, 0xc0, 0xe0, 0xf1, 0xf4, 0xff, body[i] + 1, body[i] - 1} {
				b := append([]byte(nil), body...)
				b[i] = v
				check(b)
			}
		}
	}
}
