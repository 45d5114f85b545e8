package rdb

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// lzfBenchInputs are the strings whose compression costs the most in a
// snapshot: DEBUG POPULATE's values ("value:N" then zeros up to the size,
// the data set of bench/tls.sh's full sync), text with short repeats, and
// random bytes that do not compress.
func lzfBenchInputs() map[string][]byte {
	populate := make([]byte, 1000)
	copy(populate, "value:123456")
	rng := rand.New(rand.NewPCG(1, 2))
	var words []string
	for range 200 {
		words = append(words, []string{"redis", "tandem", "listpack", "quicklist", "x"}[rng.IntN(5)])
	}
	text := []byte(strings.Join(words, " "))[:1000]
	random := make([]byte, 1000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	return map[string][]byte{"populate": populate, "text": text, "random": random}
}

func BenchmarkLZFCompress(b *testing.B) {
	for name, in := range lzfBenchInputs() {
		b.Run(name, func(b *testing.B) {
			var c lzfCompressor
			var dst []byte
			b.SetBytes(int64(len(in)))
			for range b.N {
				dst, _ = c.compress(dst[:0], in, len(in)-4)
			}
			b.ReportMetric(float64(len(dst)), "out-bytes")
		})
	}
}

func BenchmarkLZFDecompress(b *testing.B) {
	for name, in := range lzfBenchInputs() {
		var c lzfCompressor
		comp, ok := c.compress(nil, in, 2*len(in)+16)
		if !ok {
			b.Fatal(fmt.Sprintf("%s: no stream", name))
		}
		b.Run(name, func(b *testing.B) {
			out := make([]byte, len(in))
			b.SetBytes(int64(len(in)))
			for range b.N {
				if err := lzfDecompress(comp, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
