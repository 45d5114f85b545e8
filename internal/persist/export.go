package persist

import (
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/types"
)

// ToRDB fills out with the value of e (in database db, expiring at
// expireAt, or never when negative) as the RDB encoder takes it: the one
// conversion snapshots and DUMP share, so both serialize every value type
// the same way. The slices alias the live value: encode out at once, under
// the server lock, and never write through them.
func ToRDB(db int, e *keyspace.Entry, expireAt int64, out *rdb.Entry) error {
	return toRDB(db, e, expireAt, out)
}

// FromRDB builds a keyspace value from a decoded entry, as a load does
// (RESTORE shares it): a string comes back in str with val nil, any other
// kind as a new value in val, encoded compactly where lim allows. ent's
// slices are copied.
func FromRDB(ent *rdb.Entry, lim *types.Limits) (str []byte, val any, err error) {
	return fromRDB(ent, lim)
}
