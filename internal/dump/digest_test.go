package dump

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestScoresPrintedLikeCPrintf17g: the digest of a sorted set hashes each
// score as C's printf("%.17g") prints it (expectations from C's printf).
func TestScoresPrintedLikeCPrintf17g(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {1, "1"}, {-1.5, "-1.5"},
		{0.1, "0.10000000000000001"}, {1e16, "10000000000000000"}, {1e17, "1e+17"},
		{1.2345678901234568e+17, "1.2345678901234568e+17"}, {1e-05, "1.0000000000000001e-05"},
		{5e-324, "4.9406564584124654e-324"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{2.5, "2.5"}, {1.0 / 3, "0.33333333333333331"}, {1e21, "1e+21"}, {-1e-300, "-1e-300"},
		{100, "100"}, {1.2345678901234568e+16, "12345678901234568"}, {0.0001, "0.0001"},
		{1.234e-05, "1.234e-05"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	} {
		if got := string(appendScore17g(nil, tc.f)); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.f, got, tc.want)
		}
	}
}

// TestDigestPrimitives: xor is order-free, mix is not, and both start
// from SHA1 of the data.
func TestDigestPrimitives(t *testing.T) {
	var a, b digest
	a.xor([]byte("x"))
	a.xor([]byte("y"))
	b.xor([]byte("y"))
	b.xor([]byte("x"))
	if a != b {
		t.Error("xor depends on order")
	}
	a, b = digest{}, digest{}
	a.mix([]byte("x"))
	a.mix([]byte("y"))
	b.mix([]byte("y"))
	b.mix([]byte("x"))
	if a == b {
		t.Error("mix does not depend on order")
	}
	var d digest
	d.xor([]byte("abc"))
	if got := d.String(); got != "a9993e364706816aba3e25717850c26c9cd0d89d" { // SHA1("abc")
		t.Errorf("xor from zero = %s", got)
	}
}

// TestMigrateKeysLikeRedis follows Redis's migrateGetKeys: the key
// argument, or everything after KEYS (skipping AUTH/AUTH2 values, which
// may be the word "keys"), nothing when KEYS comes with a key argument.
func TestMigrateKeysLikeRedis(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want []int
	}{
		{"MIGRATE h p k 0 1000", []int{3}},
		{"MIGRATE h p k 0 1000 COPY REPLACE", []int{3}},
		{"MIGRATE h p _ 0 1000 KEYS a b c", []int{7, 8, 9}},
		{"MIGRATE h p _ 0 1000 AUTH keys KEYS a", []int{9}},
		{"MIGRATE h p _ 0 1000 AUTH2 keys keys KEYS a b", []int{10, 11}},
		{"MIGRATE h p k 0 1000 KEYS a", []int{}},
		{"MIGRATE h p _ 0 1000 KEYS", []int{}},
	} {
		args := [][]byte{}
		for _, f := range strings.Fields(tc.cmd) {
			if f == "_" {
				f = ""
			}
			args = append(args, []byte(f))
		}
		if got := migrateKeys(args); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.cmd, got, tc.want)
		}
	}
}

func TestAtoiLikeC(t *testing.T) {
	for in, want := range map[string]int{"6379": 6379, " 12x": 12, "abc": 0, "-1": -1, "+7": 7, "": 0, "70000": 70000} {
		if got := atoi([]byte(in)); got != want {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
}
