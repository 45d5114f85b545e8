package command

import (
	"github.com/tandemdb/tandem/internal/resp"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/glob"
	"github.com/tandemdb/tandem/internal/types"
)

// Sorted-set commands. The range family (ZRANGE and friends, ZCOUNT,
// ZREMRANGEBY*) is in zranges.go, the set algebra (ZUNION, ZINTER, ZDIFF)
// in zsetops.go.

func zsetCommands() []*Spec {
	k1 := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, 1, 1; return s }
	kBlock := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, -2, 1; return s }
	g := "sorted_set"
	return []*Spec{
		k1(&Spec{Name: "zadd", Arity: -4, Flags: Write | DenyOOM | Fast, Handler: zaddCmd, Group: g, Summary: "Add one or more members to a sorted set, or update its score if it already exists", Since: "1.2.0"}),
		k1(&Spec{Name: "zincrby", Arity: 4, Flags: Write | DenyOOM | Fast, Handler: zincrbyCmd, Group: g, Summary: "Increment the score of a member in a sorted set", Since: "1.2.0"}),
		k1(&Spec{Name: "zrem", Arity: -3, Flags: Write | Fast, Handler: zremCmd, Group: g, Summary: "Remove one or more members from a sorted set", Since: "1.2.0"}),
		k1(&Spec{Name: "zcard", Arity: 2, Flags: ReadOnly | Fast, Handler: zcardCmd, Group: g, Summary: "Get the number of members in a sorted set", Since: "1.2.0"}),
		k1(&Spec{Name: "zscore", Arity: 3, Flags: ReadOnly | Fast, Handler: zscoreCmd, Group: g, Summary: "Get the score associated with the given member in a sorted set", Since: "1.2.0"}),
		k1(&Spec{Name: "zmscore", Arity: -3, Flags: ReadOnly | Fast, Handler: zmscoreCmd, Group: g, Summary: "Get the score associated with the given members in a sorted set", Since: "6.2.0"}),
		k1(&Spec{Name: "zrank", Arity: 3, Flags: ReadOnly | Fast, Handler: zrankCmd(false), Group: g, Summary: "Determine the index of a member in a sorted set", Since: "2.0.0"}),
		k1(&Spec{Name: "zrevrank", Arity: 3, Flags: ReadOnly | Fast, Handler: zrankCmd(true), Group: g, Summary: "Determine the index of a member in a sorted set, with scores ordered from high to low", Since: "2.0.0"}),
		k1(&Spec{Name: "zpopmin", Arity: -2, Flags: Write | Fast, Handler: zpopCmd(false), Group: g, Summary: "Remove and return members with the lowest scores in a sorted set", Since: "5.0.0"}),
		k1(&Spec{Name: "zpopmax", Arity: -2, Flags: Write | Fast, Handler: zpopCmd(true), Group: g, Summary: "Remove and return members with the highest scores in a sorted set", Since: "5.0.0"}),
		kBlock(&Spec{Name: "bzpopmin", Arity: -3, Flags: Write | Fast | Blocking, Handler: bzpopCmd(false), Group: g, Summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", Since: "5.0.0"}),
		kBlock(&Spec{Name: "bzpopmax", Arity: -3, Flags: Write | Fast | Blocking, Handler: bzpopCmd(true), Group: g, Summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", Since: "5.0.0"}),
		{Name: "zmpop", Arity: -4, Flags: Write, KeysFn: numkeysFn(1, false), Handler: zmpopCmd(false), Group: g, Summary: "Remove and return members with scores in a sorted set", Since: "7.0.0"},
		{Name: "bzmpop", Arity: -5, Flags: Write | Blocking, KeysFn: numkeysFn(2, false), Handler: zmpopCmd(true), Group: g, Summary: "Remove and return members with scores in a sorted set or block until one is available", Since: "7.0.0"},
		k1(&Spec{Name: "zrandmember", Arity: -2, Flags: ReadOnly, Handler: zrandmemberCmd, Group: g, Summary: "Get one or multiple random elements from a sorted set", Since: "6.2.0"}),
		k1(&Spec{Name: "zscan", Arity: -3, Flags: ReadOnly, Handler: zscanCmd, Group: g, Summary: "Incrementally iterate sorted sets elements and associated scores", Since: "2.8.0"}),

		k1(&Spec{Name: "zrange", Arity: -4, Flags: ReadOnly, Handler: zrangeCmd(1, false, zrAuto, dirAuto), Group: g, Summary: "Return a range of members in a sorted set", Since: "1.2.0"}),
		{Name: "zrangestore", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Handler: zrangeCmd(2, true, zrAuto, dirAuto), Group: g, Summary: "Store a range of members from sorted set into another key", Since: "6.2.0"},
		k1(&Spec{Name: "zrevrange", Arity: -4, Flags: ReadOnly, Handler: zrangeCmd(1, false, zrRank, dirReverse), Group: g, Summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low", Since: "1.2.0"}),
		k1(&Spec{Name: "zrangebyscore", Arity: -4, Flags: ReadOnly, Handler: zrangeCmd(1, false, zrScore, dirForward), Group: g, Summary: "Return a range of members in a sorted set, by score", Since: "1.0.5"}),
		k1(&Spec{Name: "zrevrangebyscore", Arity: -4, Flags: ReadOnly, Handler: zrangeCmd(1, false, zrScore, dirReverse), Group: g, Summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low", Since: "2.2.0"}),
		k1(&Spec{Name: "zrangebylex", Arity: -4, Flags: ReadOnly, Handler: zrangeCmd(1, false, zrLex, dirForward), Group: g, Summary: "Return a range of members in a sorted set, by lexicographical range", Since: "2.8.9"}),
		k1(&Spec{Name: "zrevrangebylex", Arity: -4, Flags: ReadOnly, Handler: zrangeCmd(1, false, zrLex, dirReverse), Group: g, Summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", Since: "2.8.9"}),
		k1(&Spec{Name: "zcount", Arity: 4, Flags: ReadOnly | Fast, Handler: zcountCmd, Group: g, Summary: "Count the members in a sorted set with scores within the given values", Since: "2.0.0"}),
		k1(&Spec{Name: "zlexcount", Arity: 4, Flags: ReadOnly | Fast, Handler: zlexcountCmd, Group: g, Summary: "Count the number of members in a sorted set between a given lexicographical range", Since: "2.8.9"}),
		k1(&Spec{Name: "zremrangebyrank", Arity: 4, Flags: Write, Handler: zremrangeCmd(zrRank), Group: g, Summary: "Remove all members in a sorted set within the given indexes", Since: "2.0.0"}),
		k1(&Spec{Name: "zremrangebyscore", Arity: 4, Flags: Write, Handler: zremrangeCmd(zrScore), Group: g, Summary: "Remove all members in a sorted set within the given scores", Since: "1.2.0"}),
		k1(&Spec{Name: "zremrangebylex", Arity: 4, Flags: Write, Handler: zremrangeCmd(zrLex), Group: g, Summary: "Remove all members in a sorted set between the given lexicographical range", Since: "2.8.9"}),

		{Name: "zunion", Arity: -3, Flags: ReadOnly, KeysFn: numkeysFn(1, false), Handler: zsetopCmd(opUnion, false, false), Group: g, Summary: "Add multiple sorted sets", Since: "6.2.0"},
		{Name: "zunionstore", Arity: -4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, KeysFn: numkeysFn(2, true), Handler: zsetopCmd(opUnion, true, false), Group: g, Summary: "Add multiple sorted sets and store the resulting sorted set in a new key", Since: "2.0.0"},
		{Name: "zinter", Arity: -3, Flags: ReadOnly, KeysFn: numkeysFn(1, false), Handler: zsetopCmd(opInter, false, false), Group: g, Summary: "Intersect multiple sorted sets", Since: "6.2.0"},
		{Name: "zinterstore", Arity: -4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, KeysFn: numkeysFn(2, true), Handler: zsetopCmd(opInter, true, false), Group: g, Summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key", Since: "2.0.0"},
		{Name: "zintercard", Arity: -3, Flags: ReadOnly, KeysFn: numkeysFn(1, false), Handler: zsetopCmd(opInter, false, true), Group: g, Summary: "Intersect multiple sorted sets and return the cardinality of the result", Since: "7.0.0"},
		{Name: "zdiff", Arity: -3, Flags: ReadOnly, KeysFn: numkeysFn(1, false), Handler: zsetopCmd(opDiff, false, false), Group: g, Summary: "Subtract multiple sorted sets", Since: "6.2.0"},
		{Name: "zdiffstore", Arity: -4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, KeysFn: numkeysFn(2, true), Handler: zsetopCmd(opDiff, true, false), Group: g, Summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key", Since: "6.2.0"},
	}
}

const errScoreNaN = "ERR resulting score is not a number (NaN)"

func zaddCmd(c *Ctx)    { zadd(c, 0) }
func zincrbyCmd(c *Ctx) { zadd(c, types.ZAddIncr) }

// zadd is Redis's zaddGenericCommand: ZINCRBY is ZADD with INCR, and even
// parses ZADD's options (so "ZINCRBY k nx m" is a syntax error as there).
func zadd(c *Ctx, flags types.ZAddFlags) {
	ch := false
	idx := 2
options:
	for ; idx < len(c.Args); idx++ {
		switch strings.ToLower(string(c.Args[idx])) {
		case "nx":
			flags |= types.ZAddNX
		case "xx":
			flags |= types.ZAddXX
		case "ch":
			ch = true
		case "incr":
			flags |= types.ZAddIncr
		case "gt":
			flags |= types.ZAddGT
		case "lt":
			flags |= types.ZAddLT
		default:
			break options
		}
	}
	incr := flags&types.ZAddIncr != 0
	nx, xx := flags&types.ZAddNX != 0, flags&types.ZAddXX != 0
	gt, lt := flags&types.ZAddGT != 0, flags&types.ZAddLT != 0
	elements := len(c.Args) - idx
	if elements%2 != 0 || elements == 0 {
		c.Error(ErrSyntax)
		return
	}
	elements /= 2
	if nx && xx {
		c.Error("ERR XX and NX options at the same time are not compatible")
		return
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		c.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	if incr && elements > 1 {
		c.Error("ERR INCR option supports a single increment-element pair")
		return
	}
	var small [8]float64 // the usual few pairs parse without allocating
	scores := small[:0]
	if elements > len(small) {
		scores = make([]float64, 0, elements)
	}
	for j := 0; j < elements; j++ {
		f, ok := getDouble(c, c.Args[idx+2*j], "")
		if !ok {
			return
		}
		scores = append(scores, f)
	}
	zaddScored(c, flags, ch, scores, c.Args[idx+1:], 2)
}

// zaddScored is ZADD's work once its arguments are parsed: scores[j] for
// the member members[j*stride] (GEOADD passes its lon/lat/member triples
// with their scores computed, ZADD its score/member pairs).
func zaddScored(c *Ctx, flags types.ZAddFlags, ch bool, scores []float64, members [][]byte, stride int) {
	incr := flags&types.ZAddIncr != 0
	xx := flags&types.ZAddXX != 0
	elements := len(scores)
	key := c.Args[1]
	z, ok := getZSet(c, key, true)
	if !ok {
		return
	}
	added, updated, processed := 0, 0, 0
	var score float64
	if z == nil && !xx {
		z = types.NewZSet()
		c.DB.SetValue(key, z, false)
	}
	if z != nil {
		for j := 0; j < elements; j++ {
			res, err := z.Add(members[j*stride], scores[j], flags, &c.E.Limits)
			if err != nil {
				c.Error(errScoreNaN)
				break
			}
			if res.Added {
				added++
			}
			if res.Updated {
				updated++
			}
			if !res.Nop {
				processed++
				score = res.Score
			}
		}
		if z.Len() == 0 {
			c.DB.Delete(key) // never leave an empty sorted set behind
		}
		if added+updated > 0 {
			c.DB.Modified(key)
			if incr {
				c.Notify(EvZSet, "zincr", key)
			} else {
				c.Notify(EvZSet, "zadd", key)
			}
		}
		if c.failed {
			return
		}
	}
	switch {
	case incr && processed > 0:
		c.W.Double(score)
	case incr:
		c.W.Null()
	case ch:
		c.W.Int(int64(added + updated))
	default:
		c.W.Int(int64(added))
	}
}

func zremCmd(c *Ctx) {
	key := c.Args[1]
	z, ok := getZSet(c, key, true)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	removeMembers(c, key, z, z.Rem, EvZSet, "zrem")
}

func zcardCmd(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.Len()))
}

func zscoreCmd(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z != nil {
		if s, found := z.Score(c.Args[2]); found {
			c.W.Double(s)
			return
		}
	}
	c.W.Null()
}

func zmscoreCmd(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if z != nil {
			if s, found := z.Score(m); found {
				c.W.Double(s)
				continue
			}
		}
		c.W.Null()
	}
}

func zrankCmd(reverse bool) Handler {
	return func(c *Ctx) {
		z, ok := getZSet(c, c.Args[1], false)
		if !ok {
			return
		}
		if z != nil {
			if r, _, found := z.Rank(c.Args[2], reverse); found {
				c.W.Int(int64(r))
				return
			}
		}
		c.W.Null()
	}
}

func zpopCmd(max bool) Handler {
	return func(c *Ctx) {
		if len(c.Args) > 3 {
			c.Error(ErrSyntax)
			return
		}
		count := int64(-1)
		if len(c.Args) == 3 {
			var ok bool
			if count, ok = getPositiveLong(c, c.Args[2], ""); !ok {
				return
			}
		}
		// RESP3 nests [member, score] pairs only when a count was given.
		nested := c.W.Proto == 3 && count != -1
		zpop(c, c.Args[1:2], max, false, count, nested, false)
	}
}

// zpop is Redis's genericZpopCommand: pop from the first existing sorted
// set among keys. emitKey puts the key first (BZPOP*, ZMPOP), nested writes
// [member, score] pairs (ZMPOP always, ZPOP* with a count in RESP3),
// nilWhenEmpty answers a null array rather than an empty one when no key
// exists. It returns the key popped from and how many were popped.
func zpop(c *Ctx, keys [][]byte, max, emitKey bool, count int64, nested, nilWhenEmpty bool) ([]byte, int) {
	var z *types.ZSet
	var key []byte
	for _, k := range keys {
		zz, ok := getZSet(c, k, true)
		if !ok {
			return nil, 0
		}
		if zz != nil {
			z, key = zz, k
			break
		}
	}
	if z == nil {
		if nilWhenEmpty {
			c.W.NullArray()
		} else {
			c.W.Array(0)
		}
		return nil, 0
	}
	if count == 0 {
		c.W.Array(0)
		return nil, 0
	}
	if count == -1 {
		count = 1
	}
	n := int(min(count, int64(z.Len())))
	switch {
	case !nested && !emitKey:
		c.W.Array(2 * n)
	case nested && !emitKey:
		c.W.Array(n)
	case !nested && emitKey:
		c.W.Array(2*n + 1)
		c.W.Bulk(key)
	default:
		c.W.Array(2)
		c.W.Bulk(key)
		c.W.Array(n)
	}
	z.Pop(n, max, func(m []byte, s float64) {
		if nested {
			c.W.Array(2)
		}
		c.W.Bulk(m)
		c.W.Double(s)
	})
	event := "zpopmin"
	if max {
		event = "zpopmax"
	}
	removedFrom(c, key, z, EvZSet, event)
	return key, n
}

func zpopName(max bool) []byte {
	if max {
		return argZPopMax
	}
	return argZPopMin
}

func bzpopCmd(max bool) Handler {
	return func(c *Ctx) {
		timeout, ok := getTimeout(c, c.Args[len(c.Args)-1])
		if !ok {
			return
		}
		blockingZpop(c, c.Args[1:len(c.Args)-1], max, -1, false, timeout)
	}
}

// blockingZpop serves BZPOPMIN/BZPOPMAX (count -1) and BZMPOP from the
// first non-empty sorted set among keys, or blocks on them; a re-run for a
// woken client looks at the ready key only (see blockingListPop).
func blockingZpop(c *Ctx, keys [][]byte, max bool, count int64, nested bool, timeout time.Duration) {
	ready, rerun := c.readyKey()
	for _, key := range keys {
		if rerun && string(key) != string(ready) {
			continue
		}
		e := c.DB.LookupWrite(key)
		if e == nil {
			continue
		}
		if _, isZ := e.Val().(*types.ZSet); !isZ {
			if rerun {
				continue
			}
			c.Error(ErrWrongType)
			return
		}
		k, n := zpop(c, [][]byte{key}, max, true, count, nested, nested)
		if count == -1 {
			c.Rewrite(zpopName(max), k)
		} else {
			c.Rewrite(zpopName(max), k, fmtInt(int64(n)))
		}
		return
	}
	if c.InExec {
		c.W.NullArray()
		return
	}
	c.Block(keys, timeout, nil)
}

func minMax(arg []byte) (bool, bool) {
	switch strings.ToLower(string(arg)) {
	case "min":
		return false, true
	case "max":
		return true, true
	}
	return false, false
}

// zmpopCmd is ZMPOP numkeys key... MIN|MAX [COUNT n] and BZMPOP, which has
// a timeout before numkeys. Both propagate as ZPOPMIN/ZPOPMAX key n.
func zmpopCmd(blocking bool) Handler {
	return func(c *Ctx) {
		idx := 1
		if blocking {
			idx = 2
		}
		keys, max, count, ok := mpopArgs(c, idx, minMax)
		if !ok {
			return
		}
		if blocking {
			timeout, ok := getTimeout(c, c.Args[1])
			if !ok {
				return
			}
			blockingZpop(c, keys, max, count, true, timeout)
			return
		}
		if k, n := zpop(c, keys, max, true, count, true, true); n > 0 {
			c.Rewrite(zpopName(max), k, fmtInt(int64(n)))
		}
	}
}

func zrandmemberCmd(c *Ctx) {
	if len(c.Args) >= 3 {
		count, ok := getRangeLong(c, c.Args[2], -math.MaxInt64, math.MaxInt64, "")
		if !ok {
			return
		}
		withScores := false
		if len(c.Args) > 4 || (len(c.Args) == 4 && !strings.EqualFold(string(c.Args[3]), "withscores")) {
			c.Error(ErrSyntax)
			return
		} else if len(c.Args) == 4 {
			withScores = true
			if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
				c.Error("ERR value is out of range")
				return
			}
		}
		z, ok := getZSet(c, c.Args[1], false)
		if !ok {
			return
		}
		if z == nil || count == 0 {
			c.W.Array(0)
			return
		}
		if count < 0 {
			// -count picks with repeats: possibly a huge reply (stream.go).
			n := int(-count)
			randPicks(c, n, scoredLen(c, n, withScores), func(w *resp.Writer, k int) bool {
				if z.Len() == 0 {
					return false
				}
				z.RandMembers(-k, func(m []byte, s float64) {
					if withScores && w.Proto == 3 {
						w.Array(2)
					}
					w.Bulk(m)
					if withScores {
						w.Double(s)
					}
				})
				return true
			})
			return
		}
		c.W.Array(scoredLen(c, min(int(count), z.Len()), withScores))
		if count >= int64(z.Len()) {
			// The whole set, walked from the highest score down as Redis's
			// zset iterator (zuiNext) does.
			z.RangeByRank(0, -1, true, func(m []byte, s float64) bool { writeScored(c, m, s, withScores); return true })
			return
		}
		z.RandMembers(int(count), func(m []byte, s float64) { writeScored(c, m, s, withScores) })
		return
	}
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	m, _, _ := z.RandMember()
	c.W.Bulk(m)
}

func zscanCmd(c *Ctx) {
	cursor, ok := ParseCursor(c, c.Args[2])
	if !ok {
		return
	}
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		writeScan(c, 0, nil)
		return
	}
	pattern, count, _, ok := ParseScanOptions(c, c.Args[3:], false)
	if !ok {
		return
	}
	small := z.Encoding() == "listpack"
	var out [][]byte
	next := z.Scan(cursor, count, func(m []byte, s float64) {
		if pattern == nil || glob.Match(pattern, m, false) {
			out = append(out, append([]byte(nil), m...), scanScore(s, small))
		}
	})
	writeScan(c, next, out)
}

// scanScore formats a score as ZSCAN shows it. A listpack returns the score
// as stored: Redis stores an integral score within ±LLONG_MAX/2 as an
// integer (double2ll), anything else with "%.17g"; a skiplist formats the
// double with "%.17g".
func scanScore(s float64, listpack bool) []byte {
	const lim = float64(math.MaxInt64 / 2)
	if listpack && s >= -lim && s <= lim && s == math.Trunc(s) {
		return strconv.AppendInt(nil, int64(s), 10)
	}
	return types.FormatScore(s)
}
