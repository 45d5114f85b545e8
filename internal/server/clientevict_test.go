package server

import "testing"

// The limit in force is Redis's getClientEvictionLimit: bytes as given, a
// percentage of maxmemory only while maxmemory is set, 128 KB at least.
func TestClientEvictLimitIsRedisEvictionLimit(t *testing.T) {
	for _, tc := range []struct {
		clients, maxmemory, want int64
	}{
		{0, 0, 0},
		{0, 1 << 30, 0},
		{3000000, 0, 3000000},
		{3000000, 1 << 20, 3000000},      // bytes ignore maxmemory
		{-7, 6 << 20, 6 << 20 * 7 / 100}, // 7% of 6 MB
		{-50, 0, 0},                      // a percentage without maxmemory: off
		{1, 0, 128 << 10},                // the floor
		{-1, 1 << 20, 128 << 10},         // 1% of 1 MB, raised to the floor
		{-100, 1 << 30, 1 << 30},
	} {
		if got := clientEvictLimit(tc.clients, tc.maxmemory); got != tc.want {
			t.Errorf("clientEvictLimit(%d, %d) = %d, want %d", tc.clients, tc.maxmemory, got, tc.want)
		}
	}
}
