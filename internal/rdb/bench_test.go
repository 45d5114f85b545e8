package rdb

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// BenchmarkCRC64 is the checksum over the chunk sizes the encoder and the
// decoder feed it.
func BenchmarkCRC64(b *testing.B) {
	for _, n := range []int{16, 2048, 64 << 10} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			p := make([]byte, n)
			for i := range p {
				p[i] = byte(i * 7)
			}
			b.SetBytes(int64(n))
			var crc uint64
			for range b.N {
				crc = CRC64(crc, p)
			}
			_ = crc
		})
	}
}

// benchStringsRDB encodes n keys key:NNNNNNNNNNNN -> v%015d (the data set
// of issue #6) with a RESIZEDB hint.
func benchStringsRDB(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncodeOptions{Compression: true})
	if err := enc.Header(); err != nil {
		b.Fatal(err)
	}
	if err := enc.SelectDB(0); err != nil {
		b.Fatal(err)
	}
	if err := enc.ResizeDB(uint64(n), 0); err != nil {
		b.Fatal(err)
	}
	ent := Entry{Kind: KindString, ExpireAt: NoExpiry}
	for i := range n {
		ent.Key = fmt.Appendf(ent.Key[:0], "key:%012d", i)
		ent.Str = fmt.Appendf(ent.Str[:0], "v%015d", i)
		if err := enc.WriteEntry(&ent); err != nil {
			b.Fatal(err)
		}
	}
	if err := enc.Finish(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkEncodeStrings is the encoder alone on small string keys.
func BenchmarkEncodeStrings(b *testing.B) {
	const n = 100_000
	keys := make([][]byte, n)
	vals := make([][]byte, n)
	for i := range n {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
		vals[i] = fmt.Appendf(nil, "v%015d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		enc := NewEncoder(io.Discard, EncodeOptions{Compression: true})
		_ = enc.Header()
		_ = enc.SelectDB(0)
		ent := Entry{Kind: KindString, ExpireAt: NoExpiry}
		for i := range n {
			ent.Key, ent.Str = keys[i], vals[i]
			if err := enc.WriteEntry(&ent); err != nil {
				b.Fatal(err)
			}
		}
		if err := enc.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/key")
}

// BenchmarkDecodeStrings is the decoder alone on small string keys.
func BenchmarkDecodeStrings(b *testing.B) {
	const n = 100_000
	data := benchStringsRDB(b, n)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if err := Load(bytes.NewReader(data), NopHandler{}, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/key")
}
