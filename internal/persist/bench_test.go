package persist

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/types"
)

// The benchmarks below reproduce the two halves of a full sync (issue #6)
// in process: a BGSAVE-style stream of a keyspace of small strings
// (key:NNNNNNNNNNNN -> 16-byte value, no TTL, the shape of the issue's
// data set) and the load of that RDB into a fresh keyspace, with the server
// lock taken the way the server takes it. Sizes: 200k keys by default;
// TANDEM_BENCH_KEYS overrides (1000000 for the figure).

func benchKeys() int {
	if s := os.Getenv("TANDEM_BENCH_KEYS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 200_000
}

func benchKeyspace(n int) *keyspace.Keyspace {
	ks := keyspace.New(16)
	db := ks.DBs[0]
	key := make([]byte, 0, 16)
	val := make([]byte, 0, 16)
	for i := range n {
		// bench/persistence.sh's data set.
		key = fmt.Appendf(key[:0], "key:%012d", i)
		val = fmt.Appendf(val[:0], "v%015d", i)
		db.SetString(key, val, false)
	}
	return ks
}

var benchRDB struct {
	once sync.Once
	n    int
	data []byte
}

// benchRDBBytes is the RDB of benchKeyspace(n), as Stream writes it.
func benchRDBBytes(b *testing.B, n int) []byte {
	if benchRDB.data != nil && benchRDB.n == n {
		return benchRDB.data
	}
	var mu sync.Mutex
	var buf bytes.Buffer
	ks := benchKeyspace(n)
	if _, err := Stream(&mu, ks, &buf, StreamOptions{Encode: rdb.EncodeOptions{Compression: true}}); err != nil {
		b.Fatal(err)
	}
	benchRDB.n, benchRDB.data = n, buf.Bytes()
	return benchRDB.data
}

// BenchmarkStreamStrings streams a snapshot through the RDB encoder into a
// 64 KB bufio.Writer over io.Discard (what BGSAVE does, minus the disk).
func BenchmarkStreamStrings(b *testing.B) {
	n := benchKeys()
	ks := benchKeyspace(n)
	var mu sync.Mutex
	opts := StreamOptions{Encode: rdb.EncodeOptions{Compression: true},
		Aux: func() []Aux { return []Aux{{"redis-ver", "7.0.0"}, {"redis-bits", "64"}} }}
	bw := bufio.NewWriterSize(io.Discard, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	var bytesOut int64
	for range b.N {
		res, err := Stream(&mu, ks, bw, opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		if res.Keys != int64(n) {
			b.Fatalf("streamed %d keys, want %d", res.Keys, n)
		}
		bytesOut = res.Bytes
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
	b.ReportMetric(float64(bytesOut), "rdb-bytes")
}

// BenchmarkLoadStrings loads the RDB of BenchmarkStreamStrings into a fresh
// keyspace with Load, as start-up and a disk-based replica do (batches under
// the lock, checksum verified).
func BenchmarkLoadStrings(b *testing.B) {
	n := benchKeys()
	data := benchRDBBytes(b, n)
	var mu sync.Mutex
	opts := LoadOptions{Limits: types.DefaultLimits(), Checksum: true}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		ks := keyspace.New(16)
		res, err := Load(bufio.NewReaderSize(bytes.NewReader(data), 1<<16), ks, &mu, opts)
		if err != nil {
			b.Fatal(err)
		}
		if res.Keys != n {
			b.Fatalf("loaded %d keys, want %d", res.Keys, n)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
}

// BenchmarkDecodeStrings is the decoder alone (rdb.Load with a handler that
// drops every key), to separate parsing from keyspace insertion.
func BenchmarkDecodeStrings(b *testing.B) {
	n := benchKeys()
	data := benchRDBBytes(b, n)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if err := rdb.Load(bytes.NewReader(data), rdb.NopHandler{}, rdb.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/key")
}
