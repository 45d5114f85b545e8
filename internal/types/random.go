package types

import "math/rand/v2"

// Random sampling for SPOP, SRANDMEMBER, HRANDFIELD and ZRANDMEMBER. All
// picks are uniform (Redis's hashtable picks are only approximately so).

// sampleDistinct calls fn with count distinct indexes drawn uniformly from
// [0, n), in random order; count must be below n.
func sampleDistinct(n, count int, fn func(i int)) {
	if count <= 0 {
		return
	}
	if count*3 > n {
		// Dense sample: a partial Fisher-Yates shuffle.
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		for k := 0; k < count; k++ {
			j := k + rand.IntN(n-k)
			perm[k], perm[j] = perm[j], perm[k]
			fn(int(perm[k]))
		}
		return
	}
	// Sparse sample: rejection, expected fewer than 1.5 draws per pick.
	seen := make(map[int]struct{}, count)
	for len(seen) < count {
		i := rand.IntN(n)
		if _, dup := seen[i]; dup {
			continue
		}
		seen[i] = struct{}{}
		fn(i)
	}
}

// sampleCount dispatches HRANDFIELD/SRANDMEMBER/ZRANDMEMBER count semantics
// over n elements: count >= n yields every index in order, 0 < count < n a
// distinct sample, count < 0 -count independent picks (repeats allowed).
func sampleCount(n, count int, fn func(i int)) {
	switch {
	case n == 0 || count == 0:
	case count >= n:
		for i := 0; i < n; i++ {
			fn(i)
		}
	case count > 0:
		sampleDistinct(n, count, fn)
	default:
		for ; count < 0; count++ {
			fn(rand.IntN(n))
		}
	}
}

func randIntN(n int) int { return rand.IntN(n) }
