// Package latency keeps command latency histograms the way Redis 7.0's
// latency tracking does (an HDR histogram of nanoseconds with two
// significant digits, from 1 ns to 1 s), so that INFO latencystats and
// LATENCY HISTOGRAM report the same percentiles and buckets for the same
// latencies.
package latency

import "math/bits"

const (
	// subBuckets: two significant digits need 2*10^2 distinct values per
	// power of two, rounded up to a power of two.
	subBuckets = 256
	half       = subBuckets / 2
	// maxNs is the largest value recorded; longer commands count as 1 s.
	maxNs = 1_000_000_000
)

// Histogram counts latencies. The zero value is empty and ready; its
// counters are allocated at the first Record (about 24 KB).
type Histogram struct {
	counts []uint64
	total  uint64
}

// index is the counter a value falls in: exact below 256, then 128
// counters for each power of two, each covering 1/128 of it.
func index(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	b := bits.Len64(uint64(v)) - 8 // 1 for 256..511
	sub := int(v >> b)             // 128..255
	return subBuckets + (b-1)*half + sub - half
}

// lowest and highest are the smallest and largest values of a counter.
func lowest(idx int) int64 {
	if idx < subBuckets {
		return int64(idx)
	}
	b := (idx-subBuckets)/half + 1
	sub := int64((idx-subBuckets)%half + half)
	return sub << b
}

func highest(idx int) int64 {
	if idx < subBuckets {
		return int64(idx)
	}
	b := (idx-subBuckets)/half + 1
	return lowest(idx) + 1<<b - 1
}

// Record counts one latency in nanoseconds (clamped to 1 ns … 1 s).
func (h *Histogram) Record(ns int64) {
	if h.counts == nil {
		h.counts = make([]uint64, index(maxNs)+1)
	}
	h.counts[index(min(max(ns, 1), maxNs))]++
	h.total++
}

// Total is the number of latencies recorded.
func (h *Histogram) Total() uint64 { return h.total }

// Percentile returns the latency (ns) under which p percent of the
// recorded ones fall: the highest value of the counter where the count
// reaches p% of the total (rounded), as HDR histograms report it.
func (h *Histogram) Percentile(p float64) int64 {
	if h.total == 0 {
		return 0
	}
	want := uint64(min(p, 100)/100*float64(h.total) + 0.5)
	want = max(want, 1)
	var cum uint64
	for i, n := range h.counts {
		cum += n
		if cum >= want {
			if p == 0 {
				return lowest(i)
			}
			return highest(i)
		}
	}
	return highest(len(h.counts) - 1)
}

// Buckets calls fn with the cumulative distribution at powers of two from
// 1024 ns (reported in µs, as LATENCY HISTOGRAM does: 1, 2, 4, 8, 16,
// 32, 65, 131 …), skipping levels that add nothing, up to the last one
// that holds every recorded latency.
func (h *Histogram) Buckets(fn func(usec int64, cumulative uint64)) {
	if h.total == 0 {
		return
	}
	var cum, prev uint64
	i := 0
	for level := int64(1024); ; level *= 2 {
		top := highest(index(level))
		for i < len(h.counts) && lowest(i) <= top {
			cum += h.counts[i]
			i++
		}
		if cum > prev {
			fn(top/1000, cum)
			prev = cum
		}
		if cum >= h.total || i >= len(h.counts) {
			return
		}
	}
}
