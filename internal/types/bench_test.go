package types

import (
	"fmt"
	"testing"
)

func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("member-%09d", i))
	}
	return keys
}

func BenchmarkListPushPopBack(b *testing.B) {
	l := NewList(-2)
	v := []byte("value-0000000001")
	for i := 0; i < 1000; i++ {
		l.PushBack(v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.PushBack(v)
		l.PopBack()
	}
}

func BenchmarkListPushFrontPopBack(b *testing.B) {
	// A queue: every node is created at one end and freed at the other.
	l := NewList(-2)
	v := []byte("value-0000000001")
	for i := 0; i < 100000; i++ {
		l.PushFront(v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.PushFront(v)
		l.PopBack()
	}
}

func BenchmarkListIndexMiddle(b *testing.B) {
	l := NewList(-2)
	for i := 0; i < 100000; i++ {
		l.PushBack([]byte("value-0000000001"))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Index(50000 + i%1000)
	}
}

func BenchmarkListRange100(b *testing.B) {
	l := NewList(-2)
	for i := 0; i < 10000; i++ {
		l.PushBack([]byte("value-0000000001"))
	}
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Range(0, 99, func(v []byte) bool { n += len(v); return true })
	}
}

func benchHash(b *testing.B, fields int, lim *Limits) {
	keys := benchKeys(fields)
	h := NewHash()
	for _, k := range keys {
		h.Set(k, k, lim)
	}
	b.Run("Set", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			k := keys[i%fields]
			h.Set(k, k, lim)
		}
	})
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			h.Get(keys[i%fields])
		}
	})
}

func BenchmarkHashListpack10(b *testing.B)  { benchHash(b, 10, nil) }
func BenchmarkHashListpack512(b *testing.B) { benchHash(b, 512, nil) }
func BenchmarkHashHashtable1M(b *testing.B) { benchHash(b, 1_000_000, nil) }

func BenchmarkHashInsertHashtable(b *testing.B) {
	keys := benchKeys(b.N)
	h := NewHash()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Set(keys[i], keys[i], nil)
	}
}

func BenchmarkSetAddInts(b *testing.B) {
	keys := benchKeys(b.N)
	for i := range keys {
		keys[i] = []byte(fmt.Sprint(i))
	}
	s := NewSet()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Add(keys[i], nil)
	}
}

func benchZAdd(b *testing.B, n int, lim *Limits) {
	keys := benchKeys(n)
	z := NewZSet()
	for i, k := range keys {
		z.Add(k, float64((i*7919)%n), 0, lim)
	}
	b.Run("ZAddUpdate", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			z.Add(keys[i%n], float64(i%n), 0, lim)
		}
	})
	b.Run("Rank", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			z.Rank(keys[(i*31)%n], false)
		}
	})
	b.Run("Score", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			z.Score(keys[(i*31)%n])
		}
	})
	b.Run("RangeByRank10", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			r := (i * 31) % n
			z.RangeByRank(r, r+9, false, func([]byte, float64) bool { return true })
		}
	})
}

func BenchmarkZSetListpack128(b *testing.B) { benchZAdd(b, 128, nil) }
func BenchmarkZSetSkiplist1M(b *testing.B)  { benchZAdd(b, 1_000_000, nil) }

func BenchmarkZAddInsertRandom(b *testing.B) {
	keys := benchKeys(b.N)
	z := NewZSet()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.Add(keys[i], float64((i*7919)%1_000_003), 0, nil)
	}
}
