// Package persist turns the keyspace into RDB files and back: the snapshot
// sink that encodes keys as the walker hands them over, streaming of a
// point-in-time RDB to a file or a socket with bounded memory, loading, and
// the SAVE/BGSAVE/save-points machinery with its INFO fields and log lines.
// One streaming path serves SAVE, BGSAVE, full sync to replicas and AOF
// rewrite.
package persist

import (
	"fmt"
	"unsafe"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/types"
)

// toRDB fills out with e's value. The slices alias the live key and value
// (never write through them): out is only valid until the value changes,
// so it must be encoded at once (the snapshot sink does so under the
// server lock).
func toRDB(db int, e *keyspace.Entry, expireAt int64, out *rdb.Entry) error {
	out.DB = db
	out.Key = aliasBytes(e.Key())
	out.ExpireAt = expireAt
	if expireAt < 0 {
		out.ExpireAt = rdb.NoExpiry
	}
	out.List, out.Set, out.Hash, out.ZSet, out.Stream = out.List[:0], out.Set[:0], out.Hash[:0], out.ZSet[:0], nil
	if e.IsString() {
		out.Kind = rdb.KindString
		out.Str = aliasBytes(e.Str())
		return nil
	}
	switch v := e.Val().(type) {
	case *types.List:
		out.Kind = rdb.KindList
		v.Each(func(el []byte) bool { out.List = append(out.List, el); return true })
	case *types.Set:
		out.Kind = rdb.KindSet
		// An intset member is formatted into a buffer Each reuses: copy.
		v.Each(func(m []byte) bool { out.Set = append(out.Set, append([]byte(nil), m...)); return true })
	case *types.Hash:
		out.Kind = rdb.KindHash
		v.Each(func(f, val []byte) bool { out.Hash = append(out.Hash, rdb.Pair{Field: f, Value: val}); return true })
	case *types.ZSet:
		out.Kind = rdb.KindZSet
		v.Each(func(m []byte, s float64) bool {
			out.ZSet = append(out.ZSet, rdb.ZMember{Member: m, Score: s})
			return true
		})
	case *types.Stream:
		out.Kind = rdb.KindStream
		out.Stream = v
	default:
		return fmt.Errorf("persist: cannot serialize value of type %T for key %q", v, e.Key())
	}
	return nil
}

// aliasBytes returns the bytes of s without copying; they must not be
// modified.
func aliasBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// fromRDB builds a keyspace value from a decoded entry (copying everything:
// the decoder reuses its buffers). A nil value with ok=true is a string,
// returned in str.
func fromRDB(ent *rdb.Entry, lim *types.Limits) (str []byte, val any, err error) {
	switch ent.Kind {
	case rdb.KindString:
		return ent.Str, nil, nil
	case rdb.KindList:
		return nil, types.NewListFrom(lim.ListMaxListpackSize, ent.List), nil
	case rdb.KindSet:
		s := types.NewSet()
		for _, m := range ent.Set {
			s.Add(m, lim)
		}
		return nil, s, nil
	case rdb.KindHash:
		if ent.Built != nil {
			return nil, ent.Built, nil // built by the decoder (DumpOptions.HashLimits)
		}
		// The decoder refused repeated fields: the hash is built in bulk.
		return nil, types.NewHashFrom(ent.Hash, lim), nil
	case rdb.KindZSet:
		z := types.NewZSet()
		for _, m := range ent.ZSet {
			if _, err := z.Add(m.Member, m.Score, 0, lim); err != nil {
				return nil, nil, err
			}
		}
		return nil, z, nil
	case rdb.KindStream:
		// The decoder built the stream for this key alone: it is kept.
		return nil, ent.Stream, nil
	}
	return nil, nil, fmt.Errorf("value of kind %s is not supported", ent.Kind)
}
