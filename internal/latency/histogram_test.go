package latency

import "testing"

func TestIndexBoundsAreHDRs(t *testing.T) {
	for _, tc := range []struct{ v, lo, hi int64 }{
		{0, 0, 0}, {255, 255, 255}, {256, 256, 257}, {3000, 2992, 3007},
		{1024, 1024, 1031}, {4096, 4096, 4127}, {262144, 262144, 264191},
	} {
		i := index(tc.v)
		if lowest(i) != tc.lo || highest(i) != tc.hi {
			t.Errorf("%d: [%d, %d], want [%d, %d]", tc.v, lowest(i), highest(i), tc.lo, tc.hi)
		}
	}
	// Every counter's range starts right after the previous one's.
	for i := 1; i <= index(maxNs); i++ {
		if lowest(i) != highest(i-1)+1 {
			t.Fatalf("counter %d starts at %d after %d", i, lowest(i), highest(i-1))
		}
	}
}

func TestPercentilesAndBuckets(t *testing.T) {
	var h Histogram
	for i := 0; i < 98; i++ {
		h.Record(3000)
	}
	h.Record(50_000)
	h.Record(2_000_000_000) // clamped to 1 s
	if got := h.Percentile(50); got != 3007 {
		t.Errorf("p50 = %d", got)
	}
	if got := h.Percentile(99); got != 50175 {
		t.Errorf("p99 = %d", got)
	}
	if got := h.Percentile(100); got < 1_000_000_000 {
		t.Errorf("p100 = %d", got)
	}
	var got [][2]int64
	h.Buckets(func(us int64, cum uint64) { got = append(got, [2]int64{us, int64(cum)}) })
	if len(got) != 3 || got[0] != [2]int64{4, 98} || got[1] != [2]int64{66, 99} || got[2][1] != 100 {
		t.Errorf("buckets %v", got)
	}
}
