package gobench

import (
	"strconv"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
)

// keyN writes "key:" and n zero-padded to 12 digits into buf (the format
// of redis-benchmark's -r keys) and returns it.
func keyN(buf []byte, n int) []byte {
	buf = append(buf[:0], "key:"...)
	var d [20]byte
	s := strconv.AppendInt(d[:0], int64(n), 10)
	for i := len(s); i < 12; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// keyspaceSize is the number of keys of a loaded database: 1M (64K with
// -short, for smoke runs). A power of two.
func keyspaceSize() int {
	if testing.Short() {
		return 1 << 16
	}
	return 1 << 20
}

// loadedDB returns database 0 of a keyspace holding keyspaceSize() keys.
func loadedDB(b *testing.B) *keyspace.DB {
	b.Helper()
	ks := keyspace.New(16)
	db := ks.DBs[0]
	var buf []byte
	for i := range keyspaceSize() {
		buf = keyN(buf, i)
		db.SetString(buf, setVal, false)
	}
	return db
}

// BenchmarkKeyspaceSetNew inserts b.N new keys into an empty database
// (the dictionary grows and rehashes as it goes).
func BenchmarkKeyspaceSetNew(b *testing.B) {
	ks := keyspace.New(16)
	db := ks.DBs[0]
	var buf []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = keyN(buf, i)
		db.SetString(buf, setVal, false)
		i++
	}
}

// BenchmarkKeyspaceSetOverwrite replaces the value of existing keys in a
// loaded database.
func BenchmarkKeyspaceSetOverwrite(b *testing.B) {
	db := loadedDB(b)
	size := keyspaceSize()
	var buf []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = keyN(buf, (i*7919)&(size-1))
		db.SetString(buf, setVal, false)
		i++
	}
}

// BenchmarkKeyspaceGetHit looks up existing keys in a loaded database.
func BenchmarkKeyspaceGetHit(b *testing.B) {
	db := loadedDB(b)
	size := keyspaceSize()
	var buf []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = keyN(buf, (i*7919)&(size-1))
		if db.Lookup(buf) == nil {
			b.Fatal("missing key")
		}
		i++
	}
}

// BenchmarkKeyspaceGetMiss looks up absent keys in a loaded database.
func BenchmarkKeyspaceGetMiss(b *testing.B) {
	db := loadedDB(b)
	size := keyspaceSize()
	var buf []byte
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = keyN(buf, size+i)
		if db.Lookup(buf) != nil {
			b.Fatal("unexpected key")
		}
		i++
	}
}
