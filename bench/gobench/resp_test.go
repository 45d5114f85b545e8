package gobench

import (
	"testing"

	"github.com/tandemdb/tandem/internal/resp"
)

var (
	setKey = []byte("key:000000000042")
	setVal = []byte("xxxxxxxxxxxxxxxx") // 16 bytes, as redis-benchmark -d 16
)

func setCommand() []byte {
	return resp.AppendCommand(nil, []byte("SET"), setKey, setVal)
}

// BenchmarkRESPParseSET parses one multibulk SET request.
func BenchmarkRESPParseSET(b *testing.B) {
	req := setCommand()
	rd := resp.NewReader(512 << 20)
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Feed(req)
		if err := rd.Next(); err != nil || len(rd.Args) != 3 {
			b.Fatalf("parse: %v %q", err, rd.Args)
		}
	}
}

// BenchmarkRESPParseInlinePING parses an inline PING (redis-benchmark's
// PING_INLINE).
func BenchmarkRESPParseInlinePING(b *testing.B) {
	req := []byte("PING\r\n")
	rd := resp.NewReader(512 << 20)
	b.ReportAllocs()
	for b.Loop() {
		rd.Feed(req)
		if err := rd.Next(); err != nil || len(rd.Args) != 1 {
			b.Fatalf("parse: %v %q", err, rd.Args)
		}
	}
}

// BenchmarkRESPParsePipeline16 parses a batch of 16 pipelined SETs (one
// read's worth at redis-benchmark -P 16); ns/op is per batch, ns/cmd per
// request.
func BenchmarkRESPParsePipeline16(b *testing.B) {
	const depth = 16
	var batch []byte
	for range depth {
		batch = append(batch, setCommand()...)
	}
	rd := resp.NewReader(512 << 20)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Feed(batch)
		for range depth {
			if err := rd.Next(); err != nil || len(rd.Args) != 3 {
				b.Fatalf("parse: %v %q", err, rd.Args)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*depth), "ns/cmd")
}

// BenchmarkRESPParseMSET10 parses an MSET of 10 keys (21 arguments).
func BenchmarkRESPParseMSET10(b *testing.B) {
	argv := [][]byte{[]byte("MSET")}
	for range 10 {
		argv = append(argv, setKey, setVal)
	}
	req := resp.AppendCommand(nil, argv...)
	rd := resp.NewReader(512 << 20)
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Feed(req)
		if err := rd.Next(); err != nil || len(rd.Args) != 21 {
			b.Fatalf("parse: %v %q", err, rd.Args)
		}
	}
}

// BenchmarkWriterOK encodes +OK.
func BenchmarkWriterOK(b *testing.B) {
	w := &resp.Writer{Proto: 2}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		w.OK()
	}
}

// BenchmarkWriterBulk16 encodes a 16-byte bulk string (a GET reply).
func BenchmarkWriterBulk16(b *testing.B) {
	w := &resp.Writer{Proto: 2}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		w.Bulk(setVal)
	}
}

// BenchmarkWriterInt encodes an integer reply (INCR).
func BenchmarkWriterInt(b *testing.B) {
	w := &resp.Writer{Proto: 2}
	b.ReportAllocs()
	n := int64(0)
	for b.Loop() {
		w.Reset()
		n++
		w.Int(n)
	}
}

// BenchmarkWriterArray100 encodes an array of 100 bulk strings (an
// LRANGE_100 reply).
func BenchmarkWriterArray100(b *testing.B) {
	w := &resp.Writer{Proto: 2}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		w.Array(100)
		for range 100 {
			w.Bulk(setVal)
		}
	}
}

// BenchmarkWriterPipeline16 appends 16 +OK replies without resetting, as a
// pipelined batch does before one write.
func BenchmarkWriterPipeline16(b *testing.B) {
	w := &resp.Writer{Proto: 2}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		for range 16 {
			w.OK()
		}
	}
}
