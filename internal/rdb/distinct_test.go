package rdb

import (
	"math/rand"
	"slices"
	"testing"
)

// TestDistinctHashes checks the duplicate test on both of its paths (the
// insertion sort of small hashes, the general sort of larger ones) against
// a map, with and without a repeated value, and that it leaves the values
// sorted.
func TestDistinctHashes(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, n := range []int{0, 1, 2, 3, 16, 31, 32, 33, 100} {
		for _, dup := range []bool{false, true} {
			if dup && n < 2 {
				continue
			}
			for round := 0; round < 50; round++ {
				h := make([]uint64, n)
				for i := range h {
					h[i] = rng.Uint64() % 1000003
					if round%5 == 0 {
						h[i] %= 64 // small values: duplicates by chance
					}
				}
				if dup {
					h[rng.Intn(n)] = h[rng.Intn(n)]
				}
				seen := map[uint64]bool{}
				want := true
				for _, v := range h {
					if seen[v] {
						want = false
					}
					seen[v] = true
				}
				if got := distinctHashes(h); got != want {
					t.Fatalf("n=%d: distinctHashes = %v, want %v", n, got, want)
				}
				if !slices.IsSorted(h) {
					t.Fatalf("n=%d: not sorted: %v", n, h)
				}
			}
		}
	}
}
