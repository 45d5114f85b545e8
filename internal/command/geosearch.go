package command

import (
	"math"
	"slices"
	"sync"

	"github.com/tandemdb/tandem/internal/types"
)

// The result set of a GEO search, built without a per-member allocation
// and without pointers (the GC neither scans nor barriers it): the members
// found are copied into one byte arena and each hit refers to its bytes by
// offsets. Result sets are recycled through a pool, so a steady stream of
// searches allocates nothing here.

// geoHit is one point found inside the shape.
type geoHit struct {
	lon, lat, dist, score float64
	off, end              int // the member: arena[off:end]
}

// geoOrder is a sort key: the distance's bits made to order as the
// distances do, then the index in found order, so that equal distances
// keep the order they were found in (glibc's qsort, a merge sort, is
// stable; Redis sorts with it).
type geoOrder struct {
	key uint64
	idx uint32
}

type geoResults struct {
	hits  []geoHit
	arena []byte
	order []geoOrder
	buf   []geoOrder // mergeSortKeys's scratch
	// sorted: hit i of the answer is hits[order[i].idx].
	sorted bool
}

var geoResultsPool = sync.Pool{New: func() any { return new(geoResults) }}

// Result sets larger than this are not kept for reuse: one huge search
// must not pin its memory for good.
const geoPoolMaxHits = 1 << 14

func getGeoResults() *geoResults {
	r := geoResultsPool.Get().(*geoResults)
	r.hits, r.arena, r.order, r.sorted = r.hits[:0], r.arena[:0], r.order[:0], false
	return r
}

func (r *geoResults) release() {
	if cap(r.hits) > geoPoolMaxHits || cap(r.arena) > 64*geoPoolMaxHits {
		return
	}
	geoResultsPool.Put(r)
}

func (r *geoResults) len() int { return len(r.hits) }

// at returns the i-th hit of the answer (in sorted order once sorted).
func (r *geoResults) at(i int) *geoHit {
	if r.sorted {
		return &r.hits[r.order[i].idx]
	}
	return &r.hits[i]
}

func (r *geoResults) member(h *geoHit) []byte { return r.arena[h.off:h.end:h.end] }

// distKey maps a distance to a uint64 that orders as the float does
// (negative values below positive ones; distances are never NaN).
func distKey(d float64) uint64 {
	b := math.Float64bits(d)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// sort orders the hits by distance, ascending or descending, ties in
// found order.
func (r *geoResults) sort(desc bool) {
	r.order = slices.Grow(r.order[:0], len(r.hits))[:len(r.hits)]
	for i := range r.hits {
		k := distKey(r.hits[i].dist)
		if desc {
			k = ^k
		}
		r.order[i] = geoOrder{key: k, idx: uint32(i)}
	}
	r.buf = slices.Grow(r.buf[:0], len(r.order))[:len(r.order)]
	mergeSortKeys(r.order, r.buf)
	r.sorted = true
}

// mergeSortKeys sorts a by key, stably (equal keys keep their order, so
// the index needs no comparing), with buf (len(a) long) as scratch: runs
// of 16 by insertion, then merged bottom-up. For the few hundred hits of
// a search this beats slices.SortFunc, whose comparison is a call.
func mergeSortKeys(a, buf []geoOrder) {
	const run = 16
	n := len(a)
	for lo := 0; lo < n; lo += run {
		hi := min(lo+run, n)
		for i := lo + 1; i < hi; i++ {
			x := a[i]
			j := i
			for ; j > lo && a[j-1].key > x.key; j-- {
				a[j] = a[j-1]
			}
			a[j] = x
		}
	}
	src, dst := a, buf
	inBuf := false // src is buf
	for width := run; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				// <= takes the left one first on ties: stable.
				if src[i].key <= src[j].key {
					dst[k] = src[i]
					i++
				} else {
					dst[k] = src[j]
					j++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
		inBuf = !inBuf
	}
	if inBuf {
		copy(a, src)
	}
}

// collect scans the cells covering the shape, in Redis's order (center, N,
// S, E, W, NE, NW, SE, SW; a cell equal to the one scanned just before is
// skipped), each in ascending score order over just that cell's score
// range, keeping the points inside the shape. limit > 0 stops once that
// many are found (ANY).
func (r *geoResults) collect(z *types.ZSet, shape *geoShape, limit int) {
	cells := shape.searchAreas()
	shape.prepare()
	full := func() bool { return limit > 0 && len(r.hits) >= limit }
	visit := func(m []byte, score float64) bool {
		lon, lat, dist, ok := shape.within(score)
		if ok {
			off := len(r.arena)
			r.arena = append(r.arena, m...)
			r.hits = append(r.hits, geoHit{lon: lon, lat: lat, dist: dist, score: score, off: off, end: len(r.arena)})
		}
		return !full()
	}
	last := -1
	for i, h := range cells {
		if h.zero() {
			continue
		}
		if last > 0 && h == cells[last] {
			continue
		}
		if full() {
			break
		}
		lo := h.bits << (52 - uint(h.step)*2)
		h.bits++
		hi := h.bits << (52 - uint(h.step)*2)
		z.RangeByScore(types.ScoreRange{Min: float64(lo), Max: float64(hi), MaxEx: true}, false, 0, -1, visit)
		last = i
	}
}
