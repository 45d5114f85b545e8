package types

import (
	"fmt"
	"runtime"
	"testing"
)

// heapInUse returns live heap bytes after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// measure returns the live bytes that build leaves behind, per element.
func measure(elements int, build func() any) float64 {
	before := heapInUse()
	v := build()
	after := heapInUse()
	runtime.KeepAlive(v)
	return float64(after-before) / float64(elements)
}

// TestMemoryPerElement measures the heap cost of typical values and fails if
// it regresses well past the figures recorded in the package report. The
// bounds leave about 10% for allocator noise. Redis 7.0.15 needs, for the same
// data (used_memory delta, keyspace overhead excluded): list 18.2, small
// hashes 32.8, small sets 4.0, small zsets 16.6, hashtable set 72.5,
// hashtable hash 104.5, skiplist zset 125.7 bytes per element.
func TestMemoryPerElement(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("memory measurement skipped in -short and -race runs")
	}
	val16 := func(i int) []byte { return []byte(fmt.Sprintf("value-%010d", i)) } // 16 bytes
	cases := []struct {
		name     string
		elements int
		limit    float64
		build    func() any
	}{
		{"list 1M x 16B", 1_000_000, 20, func() any {
			l := NewList(-2)
			for i := 0; i < 1_000_000; i++ {
				l.PushBack(val16(i))
			}
			return l
		}},
		{"100k hashes x 10 fields (6B field, 16B value)", 1_000_000, 32, func() any {
			hs := make([]*Hash, 100_000)
			for k := range hs {
				h := NewHash()
				for f := 0; f < 10; f++ {
					h.Set([]byte(fmt.Sprint("field", f)), val16(k*10+f), nil)
				}
				hs[k] = h
			}
			return hs
		}},
		{"100k sets x 10 ints (0..9999)", 1_000_000, 7, func() any {
			ss := make([]*Set, 100_000)
			for k := range ss {
				s := NewSet()
				for m := 0; m < 10; m++ {
					s.Add([]byte(fmt.Sprint((k*7+m*997)%10000)), nil)
				}
				ss[k] = s
			}
			return ss
		}},
		{"100k zsets x 10 members (7B member, int score)", 1_000_000, 18.5, func() any {
			zs := make([]*ZSet, 100_000)
			for k := range zs {
				z := NewZSet()
				for m := 0; m < 10; m++ {
					z.Add([]byte(fmt.Sprint("member", m)), float64(k+m), 0, nil)
				}
				zs[k] = z
			}
			return zs
		}},
		{"hashtable set 1M x 16B", 1_000_000, 52, func() any {
			s := NewSet()
			for i := 0; i < 1_000_000; i++ {
				s.Add(val16(i), nil)
			}
			return s
		}},
		{"hashtable hash 1M x (16B field, 16B value)", 1_000_000, 74, func() any {
			h := NewHash()
			for i := 0; i < 1_000_000; i++ {
				h.Set(val16(i), val16(i), nil)
			}
			return h
		}},
		{"skiplist zset 1M x 16B random scores", 1_000_000, 110, func() any {
			z := NewZSet()
			for i := 0; i < 1_000_000; i++ {
				z.Add(val16(i), float64((i*7919)%1_000_003), 0, nil)
			}
			return z
		}},
	}
	for _, c := range cases {
		per := measure(c.elements, c.build)
		t.Logf("%-48s %6.1f bytes/element", c.name, per)
		if per > c.limit {
			t.Errorf("%s: %.1f bytes/element, over the %.0f budget", c.name, per, c.limit)
		}
	}
}
