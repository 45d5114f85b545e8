package command

import "testing"

// BITFIELD and BITFIELD_RO with Redis 7.0.15's replies (checked with
// test/e2e_diff_cmds17_test.go against the real server).
func TestFamilyBitfield(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "set get incrby", steps: []string{
			`BITFIELD k SET i8 0 -100 => [:0]`,
			`BITFIELD k SET i8 0 101 GET i8 0 GET u4 4 => [:-100 :101 :5]`,
			`BITFIELD k INCRBY u8 #0 200 => [:45]`,
			`BITFIELD k OVERFLOW SAT INCRBY u8 #0 300 OVERFLOW FAIL INCRBY u8 #0 1 => [:255 nil]`,
			`BITFIELD k OVERFLOW WRAP INCRBY i8 #0 2 => [:1]`,
			`BITFIELD k => []`,
			`BITFIELD_RO k GET u8 0 => [:1]`,
			`BITFIELD_RO k SET u8 0 1 => -ERR BITFIELD_RO only supports the GET subcommand`,
		}},
		{name: "errors", steps: []string{
			`BITFIELD k GET u64 0 => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.`,
			`BITFIELD k GET i8 -1 => -ERR bit offset is not an integer or out of range`,
			`BITFIELD k OVERFLOW NOPE => -ERR Invalid OVERFLOW type specified`,
			`BITFIELD k GET => -ERR syntax error`,
			`BITFIELD k SET i8 0 x => -ERR value is not an integer or out of range`,
			`RPUSH l a => :1`,
			`BITFIELD l GET u8 0 => -WRONGTYPE Operation against a key holding the wrong kind of value`,
		}},
	})
}

// BITFIELD is propagated as it is, and only when it changed something
// (a failed or same-value write on an existing key is not).
func TestBitfieldPropagation(t *testing.T) {
	runPropagation(t, []propCase{
		{"", "BITFIELD k SET u8 0 1", "0:BITFIELD k SET u8 0 1"},
		{"BITFIELD k SET u8 0 1", "BITFIELD k SET u8 0 1", ""},
		{"BITFIELD k SET u8 0 1", "BITFIELD k GET u8 0", ""},
		{"BITFIELD k SET u8 0 255", "BITFIELD k OVERFLOW FAIL INCRBY u8 0 1", ""},
		{"BITFIELD k SET u8 0 1", "BITFIELD k INCRBY u8 0 1", "0:BITFIELD k INCRBY u8 0 1"},
	})
}

func TestBitfieldOverflowTable(t *testing.T) {
	for _, tc := range []struct {
		value, incr int64
		bits        uint
		ow          int
		want        int64
		of          int
	}{
		{100, 257, 8, bfWrap, 101, 1},
		{100, 100, 8, bfSat, 127, 1},
		{-100, -100, 8, bfSat, -128, -1},
		{-128, -1, 8, bfWrap, 127, -1},
		{1<<63 - 1, 1, 64, bfWrap, -1 << 63, 1},
		{-1 << 63, -1, 64, bfSat, -1 << 63, -1},
		{5, 1, 8, bfSat, 0, 0},
	} {
		got, of := signedOverflow(tc.value, tc.incr, tc.bits, tc.ow)
		if of != tc.of || (of != 0 && got != tc.want) {
			t.Errorf("signedOverflow(%d, %d, i%d, %d) = %d, %d; want %d, %d", tc.value, tc.incr, tc.bits, tc.ow, got, of, tc.want, tc.of)
		}
	}
	for _, tc := range []struct {
		value uint64
		incr  int64
		bits  uint
		ow    int
		want  uint64
		of    int
	}{
		{100, 257, 8, bfWrap, 101, 1},
		{100, -255, 8, bfSat, 0, -1},
		{100, -101, 8, bfWrap, 255, 1},
		{1<<63 - 1, 1, 63, bfSat, 1<<63 - 1, 1},
		{1<<64 - 1, 0, 8, bfWrap, 255, 1},
	} {
		got, of := unsignedOverflow(tc.value, tc.incr, tc.bits, tc.ow)
		if of == 0 || got != tc.want {
			t.Errorf("unsignedOverflow(%d, %d, u%d, %d) = %d, %d; want %d, %d", tc.value, tc.incr, tc.bits, tc.ow, got, of, tc.want, tc.of)
		}
	}
}
