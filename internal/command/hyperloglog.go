package command

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/tandemdb/tandem/internal/hll"
	"github.com/tandemdb/tandem/internal/keyspace"
)

// hllCommands are the HyperLogLog commands (PFADD, PFCOUNT, PFMERGE and the
// two internal ones). A HyperLogLog is a string key holding Redis's byte
// layout (internal/hll), so GET, SET, DUMP and the RDB carry it as they
// carry any string.
func hllCommands() []*Spec {
	rw := Write | DenyOOM
	return []*Spec{
		{Name: "pfadd", Arity: -2, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: pfaddCmd, Group: "hyperloglog", Summary: "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.", Since: "2.8.9"},
		// PFCOUNT of one key may store the cardinality it computed in the
		// value's header: a change that replicas must see (MayReplicate).
		{Name: "pfcount", Arity: -2, Flags: ReadOnly | MayReplicate, FirstKey: 1, LastKey: -1, Step: 1, Handler: pfcountCmd, Group: "hyperloglog", Summary: "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).", Since: "2.8.9"},
		{Name: "pfmerge", Arity: -2, Flags: rw, FirstKey: 1, LastKey: -1, Step: 1, Handler: pfmergeCmd, Group: "hyperloglog", Summary: "Merges one or more HyperLogLog values into a single key.", Since: "2.8.9"},
		{Name: "pfdebug", Arity: 3, Flags: rw | Admin, FirstKey: 2, LastKey: 2, Step: 1, Handler: pfdebugCmd, Group: "hyperloglog", Summary: "Internal commands for debugging HyperLogLog values.", Since: "2.8.9"},
		{Name: "pfselftest", Arity: 1, Flags: Admin, Handler: pfselftestCmd, Group: "hyperloglog", Summary: "An internal command for testing HyperLogLog values.", Since: "2.8.9"},
	}
}

const errNotHLL = "WRONGTYPE Key is not a valid HyperLogLog string value."

// stringBytes returns a string value's bytes without copying a large
// value (a dense HyperLogLog is 12 KB).
func stringBytes(e *keyspace.Entry) []byte {
	if b, ok := e.Val().(*keyspace.Bytes); ok {
		return b.B
	}
	return []byte(e.Str())
}

// hllValue checks that e holds a HyperLogLog; on failure it has replied.
func hllValue(c *Ctx, e *keyspace.Entry) ([]byte, bool) {
	if !e.IsString() {
		c.Error(ErrWrongType)
		return nil, false
	}
	b := stringBytes(e)
	if !hll.Valid(b) {
		c.Error(errNotHLL)
		return nil, false
	}
	return b, true
}

func (c *Ctx) hllSparseMax() int { return c.E.Limits.HLLSparseMaxBytes }

func pfaddCmd(c *Ctx) {
	key := c.Args[1]
	var b *keyspace.Bytes
	updated := 0
	if e := c.DB.LookupWrite(key); e == nil {
		b = &keyspace.Bytes{B: hll.New()}
		c.DB.SetValue(key, b, false)
		updated++
	} else {
		if _, ok := hllValue(c, e); !ok {
			return
		}
		b, _ = mutableString(c, key)
	}
	var err error
	for _, elem := range c.Args[2:] {
		var changed bool
		if b.B, changed, err = hll.Add(b.B, elem, c.hllSparseMax()); err != nil {
			break
		}
		if changed {
			updated++
		}
	}
	// Registers raised before a corrupt part was found stay raised (as in
	// Redis), and are propagated: the replica finds the same corruption.
	if updated > 0 {
		hll.InvalidateCache(b.B)
		c.DB.Modified(key)
		c.Notify(EvString, "pfadd", key)
		c.E.KS.Dirty += int64(updated - 1)
	}
	switch {
	case err != nil:
		c.Error(err.Error())
	case updated > 0:
		c.W.Int(1)
	default:
		c.W.Int(0)
	}
}

func pfcountCmd(c *Ctx) {
	if len(c.Args) > 2 {
		// The cardinality of the union, from the highest value of each
		// register; nothing is stored.
		var max [hll.Registers]uint8
		for _, key := range c.Args[1:] {
			e := c.DB.Lookup(key)
			if e == nil {
				continue
			}
			b, ok := hllValue(c, e)
			if !ok {
				return
			}
			if err := hll.MergeInto(&max, b); err != nil {
				c.Error(err.Error())
				return
			}
		}
		c.W.Int(int64(hll.CountRegisters(&max)))
		return
	}
	key := c.Args[1]
	e := c.DB.Lookup(key)
	if e == nil {
		c.W.Int(0)
		return
	}
	b, ok := hllValue(c, e)
	if !ok {
		return
	}
	if n, ok := hll.CachedCount(b); ok {
		c.W.Int(int64(n))
		return
	}
	n, err := hll.Count(b)
	if err != nil {
		c.Error(err.Error())
		return
	}
	mb, _ := mutableString(c, key)
	hll.SetCachedCount(mb.B, n)
	c.DB.Modified(key)
	c.W.Int(int64(n))
}

func pfmergeCmd(c *Ctx) {
	var max [hll.Registers]uint8
	dense := false
	for _, key := range c.Args[1:] {
		e := c.DB.Lookup(key)
		if e == nil {
			continue
		}
		b, ok := hllValue(c, e)
		if !ok {
			return
		}
		// One dense input makes the result dense at once, as Redis does,
		// rather than growing a sparse value until it converts.
		if !hll.IsSparse(b) {
			dense = true
		}
		if err := hll.MergeInto(&max, b); err != nil {
			c.Error(err.Error())
			return
		}
	}
	dest := c.Args[1]
	var b *keyspace.Bytes
	if e := c.DB.LookupWrite(dest); e == nil {
		b = &keyspace.Bytes{B: hll.New()}
		c.DB.SetValue(dest, b, false)
	} else {
		b, _ = mutableString(c, dest) // checked above: it is one of the inputs
	}
	if dense {
		d, err := hll.ToDense(b.B)
		if err != nil {
			c.Error(err.Error())
			return
		}
		b.B = d
	}
	b.B = hll.RaiseRegisters(b.B, &max, c.hllSparseMax())
	hll.InvalidateCache(b.B)
	c.DB.Modified(dest)
	c.Notify(EvString, "pfadd", dest)
	c.W.OK()
}

func pfdebugCmd(c *Ctx) {
	sub, key := string(c.Args[1]), c.Args[2]
	e := c.DB.LookupWrite(key)
	if e == nil {
		c.Error("ERR The specified key does not exist")
		return
	}
	if _, ok := hllValue(c, e); !ok {
		return
	}
	b, _ := mutableString(c, key)
	// GETREG and TODENSE change the encoding: that is propagated (the dirty
	// count), so a replica's bytes stay the master's.
	toDense := func() bool {
		if !hll.IsSparse(b.B) {
			return true
		}
		d, err := hll.ToDense(b.B)
		if err != nil {
			c.Error(err.Error())
			return false
		}
		b.B = d
		c.E.KS.Dirty++
		return true
	}
	switch strings.ToLower(sub) {
	case "getreg":
		if !toDense() {
			return
		}
		regs := hll.DenseRegisters(b.B)
		c.W.Array(len(regs))
		for _, v := range regs {
			c.W.Int(int64(v))
		}
	case "decode":
		if !hll.IsSparse(b.B) {
			c.Error("ERR HLL encoding is not sparse")
			return
		}
		c.W.BulkString(hll.Decode(b.B))
	case "encoding":
		if hll.IsSparse(b.B) {
			c.W.Simple("sparse")
		} else {
			c.W.Simple("dense")
		}
	case "todense":
		was := hll.IsSparse(b.B)
		if !toDense() {
			return
		}
		if was {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	default:
		c.Error(fmt.Sprintf("ERR Unknown PFDEBUG subcommand '%s'", sub))
	}
}

// pfselftestCmd checks this build's HyperLogLog code on the spot: register
// packing, the sparse and dense forms agreeing on every count, and the
// estimate staying within the error HyperLogLog promises.
func pfselftestCmd(c *Ctx) {
	if err := hll.SelfTest(rand.Uint64()); err != nil {
		c.Error("ERR TESTFAILED " + err.Error())
		return
	}
	c.W.OK()
}
