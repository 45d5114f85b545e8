package persist

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/types"
)

// BenchmarkRestoreHash1KB is the value half of RESTORE ... REPLACE of
// bench/dumprestore's hashes (16 fields of 56 random letters): the
// payload decoded and checked, the hash built, and the key replaced in a
// keyspace of 10,000 such keys.
func BenchmarkRestoreHash1KB(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	ent := &rdb.Entry{Kind: rdb.KindHash, ExpireAt: rdb.NoExpiry}
	for f := range 16 {
		v := make([]byte, 56)
		for i := range v {
			v[i] = byte('a' + rng.Intn(26))
		}
		ent.Hash = append(ent.Hash, rdb.Pair{Field: fmt.Appendf(nil, "field-%02d", f), Value: v})
	}
	var d rdb.Dumper
	p, err := d.Dump(ent, rdb.EncodeOptions{Compression: true})
	if err != nil {
		b.Fatal(err)
	}
	p = append([]byte(nil), p...)
	ks := keyspace.New(1)
	db := ks.DBs[0]
	const keys = 10000
	names := make([][]byte, keys)
	for i := range names {
		names[i] = fmt.Appendf(nil, "dr:%d", i)
		db.SetValue(names[i], types.NewHash(), false)
	}
	lim := types.DefaultLimits()
	limp := &lim
	var u rdb.DumpDecoder
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		e, err := u.Decode(p, rdb.DumpOptions{HashLimits: limp})
		if err != nil {
			b.Fatal(err)
		}
		_, val, err := FromRDB(e, limp)
		if err != nil {
			b.Fatal(err)
		}
		key := names[i%keys]
		db.ReplaceValue(key, val)
		db.Modified(key)
	}
}
