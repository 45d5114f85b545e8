package rdb

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/tandemdb/tandem/internal/types"
)

// hash1KB is a hash of 16 fields of 56 random letters, about 1 KB.
func hash1KB() *Entry {
	rng := rand.New(rand.NewSource(1))
	e := &Entry{Kind: KindHash, ExpireAt: NoExpiry}
	for f := 0; f < 16; f++ {
		v := make([]byte, 56)
		for i := range v {
			v[i] = byte('a' + rng.Intn(26))
		}
		e.Hash = append(e.Hash, Pair{Field: []byte(fmt.Sprintf("field-%02d", f)), Value: v})
	}
	return e
}

func BenchmarkDumpHash1KB(b *testing.B) {
	e := hash1KB()
	var d Dumper
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := d.Dump(e, EncodeOptions{Compression: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDumpHash1KB(b *testing.B) {
	var d Dumper
	p, err := d.Dump(hash1KB(), EncodeOptions{Compression: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for i := 0; i < b.N; i++ {
		if _, err := DecodeDump(p, DumpOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDumpDecoderHash1KB(b *testing.B) {
	var d Dumper
	p, err := d.Dump(hash1KB(), EncodeOptions{Compression: true})
	if err != nil {
		b.Fatal(err)
	}
	var u DumpDecoder
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for i := 0; i < b.N; i++ {
		if _, err := u.Decode(p, DumpOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDumpDecoderHash1KBBuilt is RESTORE's decode: the hash built as
// the keyspace's value (DumpOptions.HashLimits).
func BenchmarkDumpDecoderHash1KBBuilt(b *testing.B) {
	var d Dumper
	p, err := d.Dump(hash1KB(), EncodeOptions{Compression: true})
	if err != nil {
		b.Fatal(err)
	}
	var u DumpDecoder
	lim := types.DefaultLimits()
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for i := 0; i < b.N; i++ {
		if _, err := u.Decode(p, DumpOptions{HashLimits: &lim}); err != nil {
			b.Fatal(err)
		}
	}
}
