package config

import (
	"math"
	"testing"

	"github.com/tandemdb/tandem/internal/resp"
)

// The cases below were checked with CONFIG SET maxmemory on redis-server
// 7.0.15.
func TestMemoryValuesAcceptRedisUnits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"100", 100, true},
		{"1b", 1, true},
		{"1B", 1, true},
		{"1k", 1000, true},
		{"1K", 1000, true},
		{"1kb", 1024, true},
		{"1KB", 1024, true},
		{"1m", 1000000, true},
		{"1mB", 1 << 20, true},
		{"1g", 1000000000, true},
		{"1gB", 1 << 30, true},
		{"01k", 1000, true},
		{"kb", 0, true},
		{"", 0, true},
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", math.MaxUint64, true},         // saturates
		{"99999999999999999999gb", 18446744072635809792, true}, // then wraps
		{"-1", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1 kb", 0, false},
		{"1kbb", 0, false},
		{"0x10", 0, false},
		{"1.5k", 0, false},
		{"1e3", 0, false},
		{"1t", 0, false},
	} {
		got, ok := parseMemory(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMemoryValuesRewriteInLargestUnit(t *testing.T) {
	for in, want := range map[uint64]string{
		0: "0", 1: "1", 1000: "1000", 1024: "1kb", 4096: "4kb", 1 << 20: "1mb",
		64 << 20: "64mb", 1 << 30: "1gb", 3 << 30: "3gb", 1<<30 + 1024: "1048577kb",
	} {
		if got := formatMemory(in); got != want {
			t.Errorf("formatMemory(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestIntegersAreParsedStrictly(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"5", 5, true}, {"-1", -1, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
		{"9223372036854775808", 0, false},
		{"+5", 0, false}, {" 5", 0, false}, {"5 ", 0, false}, {"-0", 0, false},
		{"05", 0, false}, {"", 0, false}, {"-", 0, false}, {"1k", 0, false},
	} {
		got, err := kInt.parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("integer directive %q = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCIntegersFollowStrtoll(t *testing.T) {
	for _, tc := range []struct {
		in, rest string
		base     uint64
		want     int64
		ok       bool
	}{
		{"42", "", 10, 42, true},
		{"  42x", "x", 10, 42, true},
		{"+7", "", 10, 7, true},
		{"-0", "", 10, 0, true},
		{"", "", 10, 0, true},
		{" ", " ", 10, 0, true},
		{"+", "+", 10, 0, true},
		{"0700", "", 8, 0o700, true},
		{"8", "8", 8, 0, true},
		{"99999999999999999999", "", 10, math.MaxInt64, false},
	} {
		got, rest, ok := parseCInt(tc.in, tc.base)
		if got != tc.want || rest != tc.rest || ok != tc.ok {
			t.Errorf("parseCInt(%q, %d) = %d, %q, %v; want %d, %q, %v", tc.in, tc.base, got, rest, ok, tc.want, tc.rest, tc.ok)
		}
	}
}

func TestFloatsFollowStrtod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"50", 50, true}, {"99.9", 99.9, true}, {" 5", 5, true}, {"1e1", 10, true},
		{"0x10", 16, true}, {"0", 0, true}, {"0.000", 0, true}, {"inf", math.Inf(1), true},
		{"1e-400", 0, false}, {"nan", 0, false}, {"abc", 0, false}, {"", 0, false},
		{"5 ", 0, false}, {"1_0", 0, false},
	} {
		got, ok := parseCFloat(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseCFloat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for in, want := range map[float64]string{50: "50", 99.9: "99.9", 99.99: "99.99", 0.5: "0.5", 0: "0"} {
		if got := formatFloat(in); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestQuoteIsReadBackBySplitArgs(t *testing.T) {
	for _, s := range []string{"", "a b", `c"d`, `back\slash`, "tab\tnl\ncr\r", "\x00\x01\xff", "bell\a\b", "'"} {
		q := quote(s)
		args, err := resp.SplitArgs(q)
		if err != nil || len(args) != 1 || args[0] != s {
			t.Errorf("SplitArgs(quote(%q) = %s) = %q, %v", s, q, args, err)
		}
	}
	if got := quote(`a "b"`); got != `"a \"b\""` {
		t.Errorf("quote = %s", got)
	}
}
