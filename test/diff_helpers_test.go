package test

import (
	"fmt"
	"strings"
	"testing"
)

// Helpers for the per-type differential tests (e2e_lists_test.go,
// e2e_hashes_test.go, e2e_sets_test.go, e2e_zsets_test.go): they reuse
// runDiff from e2e_diff_test.go, which sends each case to Tandem and to
// Redis 7.0 and compares the replies byte for byte.

// runTypeDiff starts one Tandem and one Redis and runs cases against them
// in RESP2 and then in RESP3.
func runTypeDiff(t *testing.T, cases []diffCase) {
	t.Helper()
	tandem := startTandem(t)
	ref := startRedis(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			runDiff(t, tandem.Addr(), ref.Addr(), proto, cases)
		})
	}
}

// seqArgs joins f(0) … f(n-1) with spaces, to build command lines with
// many arguments (big values that cross encoding thresholds).
func seqArgs(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, " ")
}
