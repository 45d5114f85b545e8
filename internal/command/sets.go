package command

import (
	"bytes"
	"github.com/tandemdb/tandem/internal/resp"
	"math"

	"github.com/tandemdb/tandem/internal/glob"
	"github.com/tandemdb/tandem/internal/types"
)

func setCommands() []*Spec {
	k1 := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, 1, 1; return s }
	kAll := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, -1, 1; return s }
	g := "set"
	return []*Spec{
		k1(&Spec{Name: "sadd", Arity: -3, Flags: Write | DenyOOM | Fast, Handler: saddCmd, Group: g, Summary: "Add one or more members to a set", Since: "1.0.0"}),
		k1(&Spec{Name: "srem", Arity: -3, Flags: Write | Fast, Handler: sremCmd, Group: g, Summary: "Remove one or more members from a set", Since: "1.0.0"}),
		k1(&Spec{Name: "scard", Arity: 2, Flags: ReadOnly | Fast, Handler: scardCmd, Group: g, Summary: "Get the number of members in a set", Since: "1.0.0"}),
		k1(&Spec{Name: "sismember", Arity: 3, Flags: ReadOnly | Fast, Handler: sismemberCmd, Group: g, Summary: "Determine if a given value is a member of a set", Since: "1.0.0"}),
		k1(&Spec{Name: "smismember", Arity: -3, Flags: ReadOnly | Fast, Handler: smismemberCmd, Group: g, Summary: "Returns the membership associated with the given elements for a set", Since: "6.2.0"}),
		k1(&Spec{Name: "smembers", Arity: 2, Flags: ReadOnly, Handler: sinterCmd, Group: g, Summary: "Get all the members in a set", Since: "1.0.0"}),
		k1(&Spec{Name: "spop", Arity: -2, Flags: Write | Fast, Handler: spopCmd, Group: g, Summary: "Remove and return one or multiple random members from a set", Since: "1.0.0"}),
		k1(&Spec{Name: "srandmember", Arity: -2, Flags: ReadOnly, Handler: srandmemberCmd, Group: g, Summary: "Get one or multiple random members from a set", Since: "1.0.0"}),
		{Name: "smove", Arity: 4, Flags: Write | Fast, FirstKey: 1, LastKey: 2, Step: 1, Handler: smoveCmd, Group: g, Summary: "Move a member from one set to another", Since: "1.0.0"},
		kAll(&Spec{Name: "sinter", Arity: -2, Flags: ReadOnly, Handler: sinterCmd, Group: g, Summary: "Intersect multiple sets", Since: "1.0.0"}),
		{Name: "sintercard", Arity: -3, Flags: ReadOnly, KeysFn: numkeysFn(1, false), Handler: sintercardCmd, Group: g, Summary: "Intersect multiple sets and return the cardinality of the result", Since: "7.0.0"},
		kAll(&Spec{Name: "sinterstore", Arity: -3, Flags: Write | DenyOOM, Handler: sinterstoreCmd, Group: g, Summary: "Intersect multiple sets and store the resulting set in a key", Since: "1.0.0"}),
		kAll(&Spec{Name: "sunion", Arity: -2, Flags: ReadOnly, Handler: sunionDiffCmd(false, false), Group: g, Summary: "Add multiple sets", Since: "1.0.0"}),
		kAll(&Spec{Name: "sunionstore", Arity: -3, Flags: Write | DenyOOM, Handler: sunionDiffCmd(false, true), Group: g, Summary: "Add multiple sets and store the resulting set in a key", Since: "1.0.0"}),
		kAll(&Spec{Name: "sdiff", Arity: -2, Flags: ReadOnly, Handler: sunionDiffCmd(true, false), Group: g, Summary: "Subtract multiple sets", Since: "1.0.0"}),
		kAll(&Spec{Name: "sdiffstore", Arity: -3, Flags: Write | DenyOOM, Handler: sunionDiffCmd(true, true), Group: g, Summary: "Subtract multiple sets and store the resulting set in a key", Since: "1.0.0"}),
		k1(&Spec{Name: "sscan", Arity: -3, Flags: ReadOnly, Handler: sscanCmd, Group: g, Summary: "Incrementally iterate Set elements", Since: "2.8.0"}),
	}
}

func saddCmd(c *Ctx) {
	key := c.Args[1]
	s, ok := getSet(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		s = types.NewSet()
		c.DB.SetValue(key, s, false)
	}
	n := 0
	for _, m := range c.Args[2:] {
		if s.Add(m, &c.E.Limits) {
			n++
		}
	}
	if n > 0 {
		c.DB.Modified(key)
		c.Notify(EvSet, "sadd", key)
	}
	c.W.Int(int64(n))
}

func sremCmd(c *Ctx) {
	key := c.Args[1]
	s, ok := getSet(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	removeMembers(c, key, s, s.Remove, EvSet, "srem")
}

func scardCmd(c *Ctx) {
	s, ok := getSet(c, c.Args[1], false)
	if ok {
		c.W.Int(int64(s.Len()))
	}
}

func sismemberCmd(c *Ctx) {
	s, ok := getSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if s.Has(c.Args[2]) {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

func smismemberCmd(c *Ctx) {
	s, ok := getSet(c, c.Args[1], false)
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if s.Has(m) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

// writeSet replies with a set's members (a RESP3 set).
func writeSet(c *Ctx, s *types.Set) {
	c.W.Set(s.Len())
	s.Each(func(m []byte) bool { c.W.Bulk(m); return true })
}

// freshCopy rebuilds s member by member, so it gets the encoding Redis
// gives a newly built set (SPOP of a whole set answers through SUNION's
// code, whose result starts as an intset).
func freshCopy(c *Ctx, s *types.Set) *types.Set {
	res := types.NewSet()
	s.Each(func(m []byte) bool { res.Add(m, &c.E.Limits); return true })
	return res
}

func spopCmd(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	key := c.Args[1]
	if len(c.Args) == 3 {
		count, ok := getPositiveLong(c, c.Args[2], "")
		if !ok {
			return
		}
		s, ok := getSet(c, key, true)
		if !ok {
			return
		}
		if s == nil || count == 0 {
			c.W.Set(0)
			return
		}
		if count >= int64(s.Len()) {
			writeSet(c, freshCopy(c, s))
			c.DB.Delete(key)
			c.DB.Modified(key)
			c.Notify(EvSet, "spop", key)
			c.Notify(EvGeneric, "del", key)
			c.Rewrite(argDel, key)
			return
		}
		c.W.Set(int(count))
		s.Pop(int(count), func(m []byte) {
			c.W.Bulk(m)
			c.Propagate(argSRem, key, m)
		})
		c.DB.Modified(key)
		c.Notify(EvSet, "spop", key)
		return
	}
	s, ok := getSet(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	m, _ := s.PopOne()
	c.W.Bulk(m)
	removedFrom(c, key, s, EvSet, "spop")
	c.Rewrite(argSRem, key, m)
}

func srandmemberCmd(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(ErrSyntax)
		return
	}
	if len(c.Args) == 3 {
		count, ok := getRangeLong(c, c.Args[2], -math.MaxInt64, math.MaxInt64, "")
		if !ok {
			return
		}
		s, ok := getSet(c, c.Args[1], false)
		if !ok {
			return
		}
		if s == nil || count == 0 {
			c.W.Array(0)
			return
		}
		if count > 0 {
			c.W.Array(min(int(count), s.Len()))
			s.RandMembers(int(count), func(m []byte) { c.W.Bulk(m) })
			return
		}
		// -count picks with repeats: possibly a huge reply (stream.go).
		n := int(-count)
		randPicks(c, n, n, func(w *resp.Writer, k int) bool {
			if s.Len() == 0 {
				return false
			}
			s.RandMembers(-k, func(m []byte) { w.Bulk(m) })
			return true
		})
		return
	}
	s, ok := getSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	m, _ := s.RandMember()
	c.W.Bulk(m)
}

func smoveCmd(c *Ctx) {
	src, dst, m := c.Args[1], c.Args[2], c.Args[3]
	srcE := c.DB.LookupWrite(src)
	dstE := c.DB.LookupWrite(dst)
	if srcE == nil {
		c.W.Int(0)
		return
	}
	ss, ok := srcE.Val().(*types.Set)
	if !ok {
		c.Error(ErrWrongType)
		return
	}
	var ds *types.Set
	if dstE != nil {
		if ds, ok = dstE.Val().(*types.Set); !ok {
			c.Error(ErrWrongType)
			return
		}
	}
	if ss == ds {
		if ss.Has(m) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
		return
	}
	if !ss.Remove(m) {
		c.W.Int(0)
		return
	}
	srcGone := ss.Len() == 0
	if srcGone {
		c.DB.Delete(src)
	}
	c.Notify(EvSet, "srem", src)
	if srcGone {
		c.Notify(EvGeneric, "del", src)
	}
	if ds == nil {
		ds = types.NewSet()
		c.DB.SetValue(dst, ds, false)
	}
	c.DB.Modified(src)
	if ds.Add(m, &c.E.Limits) {
		c.DB.Modified(dst)
		c.Notify(EvSet, "sadd", dst)
	}
	c.W.Int(1)
}

// setsAt looks the keys up as sets (nil for a missing key); ok=false after
// a WRONGTYPE reply. Like Redis it checks every key's type before using
// any of them.
func setsAt(c *Ctx, keys [][]byte) ([]*types.Set, bool) {
	sets := make([]*types.Set, len(keys))
	for i, k := range keys {
		s, ok := getSet(c, k, false)
		if !ok {
			return nil, false
		}
		sets[i] = s
	}
	return sets, true
}

func hasMissing(sets []*types.Set) bool {
	for _, s := range sets {
		if s == nil {
			return true
		}
	}
	return false
}

// sinterCmd is SINTER and SMEMBERS (Redis 7.0 runs SMEMBERS as a
// one-key SINTER).
func sinterCmd(c *Ctx) {
	sets, ok := setsAt(c, c.Args[1:])
	if !ok {
		return
	}
	if hasMissing(sets) {
		c.W.Set(0)
		return
	}
	if len(sets) == 1 {
		writeSet(c, sets[0])
		return
	}
	// The intersection comes out in the order of the smallest set, as in
	// Redis (ascending for an intset).
	writeSet(c, types.SetInter(&c.E.Limits, sets...))
}

func sinterstoreCmd(c *Ctx) {
	dst := c.Args[1]
	sets, ok := setsAt(c, c.Args[2:])
	if !ok {
		return
	}
	if hasMissing(sets) {
		storeResult(c, dst, nil, 0, EvSet, c.Spec.Name)
		return
	}
	res := types.SetInter(&c.E.Limits, sets...)
	storeResult(c, dst, res, res.Len(), EvSet, c.Spec.Name)
}

func sintercardCmd(c *Ctx) {
	numkeys, ok := getRangeLong(c, c.Args[1], 1, math.MaxInt64, "numkeys should be greater than 0")
	if !ok {
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for j := 2 + int(numkeys); j < len(c.Args); j++ {
		if bytes.EqualFold(c.Args[j], []byte("limit")) && j+1 < len(c.Args) {
			j++
			if limit, ok = getPositiveLong(c, c.Args[j], "LIMIT can't be negative"); !ok {
				return
			}
			continue
		}
		c.Error(ErrSyntax)
		return
	}
	sets, ok := setsAt(c, c.Args[2:2+numkeys])
	if !ok {
		return
	}
	if hasMissing(sets) {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(types.SetInterCard(int(limit), sets...)))
}

// sunionDiffCmd is SUNION, SDIFF and their STORE forms. Results are built
// member by member into a new set, as Redis does, so they come out in
// ascending order while they fit an intset.
func sunionDiffCmd(diff, store bool) Handler {
	return func(c *Ctx) {
		keys := c.Args[1:]
		if store {
			keys = c.Args[2:]
		}
		sets, ok := setsAt(c, keys)
		if !ok {
			return
		}
		var res *types.Set
		if diff {
			res = types.SetDiff(&c.E.Limits, sets...)
		} else {
			res = types.NewSet()
			for _, s := range sets {
				if s != nil {
					s.Each(func(m []byte) bool { res.Add(m, &c.E.Limits); return true })
				}
			}
		}
		if store {
			storeResult(c, c.Args[1], res, res.Len(), EvSet, c.Spec.Name)
			return
		}
		writeSet(c, res)
	}
}

func sscanCmd(c *Ctx) {
	cursor, ok := ParseCursor(c, c.Args[2])
	if !ok {
		return
	}
	s, ok := getSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if s == nil {
		writeScan(c, 0, nil)
		return
	}
	pattern, count, _, ok := ParseScanOptions(c, c.Args[3:], false)
	if !ok {
		return
	}
	var out [][]byte
	next := s.Scan(cursor, count, func(m []byte) {
		if pattern == nil || glob.Match(pattern, m, false) {
			out = append(out, append([]byte(nil), m...))
		}
	})
	writeScan(c, next, out)
}
