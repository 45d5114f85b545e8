package dump

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// The digests of DEBUG DIGEST and DEBUG DIGEST-VALUE, computed the way
// Redis 7.0 computes them (debug.c), so that equal datasets give equal
// digests on Tandem and on Redis whatever the encodings or the order the
// keys were written in:
//
//   - xor(d, data): d ^= SHA1(data). Order-free: sets, hash fields, sorted
//     set members and the keys of a database are combined with it;
//   - mix(d, data): d = SHA1(d ^ SHA1(data)). Ordered: list elements and
//     the parts of one element are chained with it.
//
// A key's digest starts from 20 zero bytes: mix(key name), mix(type as a
// big-endian uint32: string 0, list 1, set 2, zset 3, hash 4), then the
// value (a string: mix(bytes); a list: mix(element) in order; a set:
// xor(member); a hash: xor of mix(field),mix(value) from zero per pair; a
// sorted set: the same per member with its score printed by "%.17g"),
// and xor("!!expire!!") if it has a TTL (its time does not count). The
// dataset's digest is, for each non-empty database in order, mix(index as
// a big-endian uint32) then the xor of its keys' digests; 40 zero hex
// digits when there are no keys. Logically expired keys not yet removed
// count, as in Redis. DIGEST-VALUE is the value part alone (from the type
// on, without the key name), zero for a missing key.
type digest [20]byte

func (d *digest) xor(data []byte) {
	h := sha1.Sum(data)
	for i := range d {
		d[i] ^= h[i]
	}
}

func (d *digest) mix(data []byte) {
	d.xor(data)
	*d = sha1.Sum(d[:])
}

func (d *digest) String() string { return hex.EncodeToString(d[:]) }

// Redis's object type numbers (server.h OBJ_*), mixed into each digest.
const (
	objString = 0
	objList   = 1
	objSet    = 2
	objZSet   = 3
	objHash   = 4
	objStream = 6
)

// errDigestType is the error for a value of a type the digest does not
// cover (none today: a new value type must be added here).
type errDigestType struct{ name string }

func (e errDigestType) Error() string {
	return fmt.Sprintf("ERR DEBUG DIGEST of %s values is not supported by Tandem yet", e.name)
}

// valueDigest adds the digest of e's value (type, contents, TTL mark) to d.
func valueDigest(d *digest, db *keyspace.DB, e *keyspace.Entry) error {
	var typ [4]byte
	var scratch []byte
	mixType := func(t uint32) {
		binary.BigEndian.PutUint32(typ[:], t)
		d.mix(typ[:])
	}
	if e.IsString() {
		mixType(objString)
		d.mix([]byte(e.Str()))
	} else {
		switch v := e.Val().(type) {
		case *types.List:
			mixType(objList)
			v.Each(func(el []byte) bool { d.mix(el); return true })
		case *types.Set:
			mixType(objSet)
			v.Each(func(m []byte) bool { d.xor(m); return true })
		case *types.ZSet:
			mixType(objZSet)
			v.Each(func(m []byte, score float64) bool {
				var el digest
				el.mix(m)
				scratch = appendScore17g(scratch[:0], score)
				el.mix(scratch)
				d.xor(el[:])
				return true
			})
		case *types.Hash:
			mixType(objHash)
			v.Each(func(f, val []byte) bool {
				var el digest
				el.mix(f)
				el.mix(val)
				d.xor(el[:])
				return true
			})
		case *types.Stream:
			// Each entry's "<ms>.<seq>", then its fields and values, in ID
			// order; consumer groups are not part of the digest.
			mixType(objStream)
			v.Range(types.StreamID{}, types.MaxStreamID, false, func(id types.StreamID, fv [][]byte) bool {
				scratch = strconv.AppendUint(scratch[:0], id.Ms, 10)
				scratch = append(scratch, '.')
				scratch = strconv.AppendUint(scratch, id.Seq, 10)
				d.mix(scratch)
				for _, b := range fv {
					d.mix(b)
				}
				return true
			})
		default:
			return errDigestType{command.TypeName(e)}
		}
	}
	if db.ExpireAt([]byte(e.Key())) != -1 {
		d.xor([]byte("!!expire!!"))
	}
	return nil
}

// appendScore17g appends f as C's printf("%.17g") prints it, which is
// how Redis turns a score into the bytes it digests. Go's 'g' with
// precision 17 picks the same form and digits (shortest of %e and %f,
// trailing zeros removed, an exponent of at least two digits); only the
// infinities are spelled differently.
func appendScore17g(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// datasetDigest is DEBUG DIGEST's digest of every database.
func datasetDigest(ks *keyspace.Keyspace) (digest, error) {
	var final digest
	var err error
	for i, db := range ks.DBs {
		if db.Len() == 0 {
			continue
		}
		var id [4]byte
		binary.BigEndian.PutUint32(id[:], uint32(i))
		final.mix(id[:])
		db.Each(func(e *keyspace.Entry) bool {
			var kd digest
			kd.mix([]byte(e.Key()))
			if err = valueDigest(&kd, db, e); err != nil {
				return false
			}
			final.xor(kd[:])
			return true
		})
		if err != nil {
			return digest{}, err
		}
	}
	return final, nil
}

// Debug implements server.DebugProvider: DEBUG DIGEST, DEBUG DIGEST-VALUE
// key…, DEBUG POPULATE count [prefix] [size] and DEBUG
// SET-SKIP-CHECKSUM-VALIDATION 0|1 (RESTORE then accepts payloads whatever
// their CRC-64, as Redis's corrupt-payload tests need).
func (m *Manager) Debug(c *command.Ctx, sub string) bool {
	switch {
	case sub == "set-skip-checksum-validation" && len(c.Args) == 3:
		n, _ := strconv.Atoi(strings.TrimSpace(string(c.Args[2])))
		m.SkipChecksum = n != 0
		c.W.OK()
	case sub == "digest" && len(c.Args) == 2:
		d, err := datasetDigest(c.E.KS)
		if err != nil {
			c.Error(err.Error())
			return true
		}
		c.W.Simple(d.String())
	case sub == "digest-value":
		// The keys are read as stored, logically expired or not, as
		// Redis's debug command reads them.
		out := make([]string, 0, len(c.Args)-2)
		for _, k := range c.Args[2:] {
			var d digest
			if e := c.DB.Peek(k); e != nil {
				if err := valueDigest(&d, c.DB, e); err != nil {
					c.Error(err.Error())
					return true
				}
			}
			out = append(out, d.String())
		}
		c.W.Array(len(out))
		for _, s := range out {
			c.W.Simple(s)
		}
	case sub == "populate" && len(c.Args) >= 3 && len(c.Args) <= 5:
		populate(c)
	case sub == "object" && len(c.Args) == 3:
		m.debugObject(c)
	default:
		return false
	}
	return true
}

// errNotPositive is the reply of Redis's getPositiveLongFromObjectOrReply,
// for a negative number and for anything that is not a number.
const errNotPositive = "ERR value is out of range, must be positive"

// populate is DEBUG POPULATE count [prefix] [size]: count string keys
// "<prefix>:<i>" (prefix "key") holding "value:<i>", or with size that
// text cut or zero-padded to size bytes; existing keys are left alone.
// As in Redis the keys are not propagated: it is a test tool, and a
// replica must be populated the same way by hand.
func populate(c *command.Ctx) {
	count, ok := resp.ParseInt(c.Args[2])
	if !ok || count < 0 {
		c.Error(errNotPositive)
		return
	}
	size := int64(0)
	if len(c.Args) == 5 {
		if size, ok = resp.ParseInt(c.Args[4]); !ok || size < 0 {
			c.Error(errNotPositive)
			return
		}
		if size > c.E.MaxStringSize {
			c.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
			return
		}
	}
	prefix := "key"
	if len(c.Args) >= 4 {
		// Redis formats it with %s: a NUL byte ends it.
		prefix, _, _ = strings.Cut(string(c.Args[3]), "\x00")
	}
	c.DB.Reserve(uint64(min(count, 1<<24)), 0)
	var key, val []byte
	for j := int64(0); j < count; j++ {
		key = strconv.AppendInt(append(append(key[:0], prefix...), ':'), j, 10)
		if c.DB.Exists(key) {
			continue
		}
		val = strconv.AppendInt(append(val[:0], "value:"...), j, 10)
		if size > 0 {
			if int64(len(val)) > size {
				val = val[:size]
			}
			for int64(len(val)) < size {
				val = append(val, 0)
			}
		}
		c.DB.SetString(key, val, false)
		c.DB.Modified(key)
	}
	c.NoPropagate()
	c.W.OK()
}
