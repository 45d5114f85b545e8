package command

import (
	"strings"

	"github.com/tandemdb/tandem/internal/types"
)

// zrangeKind is how a ZRANGE-family command addresses members.
type zrangeKind int

const (
	zrAuto  zrangeKind = iota // ZRANGE/ZRANGESTORE: decided by BYSCORE/BYLEX
	zrRank                    // by index
	zrScore                   // by score
	zrLex                     // by member, for members of equal score
)

type zrangeDir int

const (
	dirAuto zrangeDir = iota // decided by REV
	dirForward
	dirReverse
)

// zrangeCmd is Redis 7.0's zrangeGenericCommand, which serves ZRANGE,
// ZRANGESTORE (store, the source key at argStart 2), ZREVRANGE and the
// BYSCORE/BYLEX commands, whose kind and direction are fixed (so REV,
// BYSCORE and BYLEX are syntax errors there).
func zrangeCmd(argStart int, store bool, kind zrangeKind, dir zrangeDir) Handler {
	return func(c *Ctx) {
		kind, dir := kind, dir // options may override them for this call
		key := c.Args[argStart]
		minIdx, maxIdx := argStart+1, argStart+2
		withScores := false
		offset, limit := int64(0), int64(-1)
		for j := argStart + 3; j < len(c.Args); j++ {
			left := len(c.Args) - j - 1
			switch a := strings.ToLower(string(c.Args[j])); {
			case !store && a == "withscores":
				withScores = true
			case a == "limit" && left >= 2:
				var ok bool
				if offset, ok = getLong(c, c.Args[j+1]); !ok {
					return
				}
				if limit, ok = getLong(c, c.Args[j+2]); !ok {
					return
				}
				j += 2
			case dir == dirAuto && a == "rev":
				dir = dirReverse
			case kind == zrAuto && a == "bylex":
				kind = zrLex
			case kind == zrAuto && a == "byscore":
				kind = zrScore
			default:
				c.Error(ErrSyntax)
				return
			}
		}
		if dir == dirAuto {
			dir = dirForward
		}
		if kind == zrAuto {
			kind = zrRank
		}
		if limit != -1 && kind == zrRank {
			c.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
			return
		}
		if withScores && kind == zrLex {
			c.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
			return
		}
		reverse := dir == dirReverse
		if reverse && kind != zrRank {
			minIdx, maxIdx = maxIdx, minIdx // given as max, min
		}
		var start, stop int64
		var sr types.ScoreRange
		var lr types.LexRange
		switch kind {
		case zrRank:
			var ok bool
			if start, ok = getLong(c, c.Args[minIdx]); !ok {
				return
			}
			if stop, ok = getLong(c, c.Args[maxIdx]); !ok {
				return
			}
		case zrScore:
			var err error
			if sr, err = types.ParseScoreRange(c.Args[minIdx], c.Args[maxIdx]); err != nil {
				c.Error("ERR " + err.Error())
				return
			}
		case zrLex:
			var err error
			if lr, err = types.ParseLexRange(c.Args[minIdx], c.Args[maxIdx]); err != nil {
				c.Error("ERR " + err.Error())
				return
			}
		}
		z, ok := getZSet(c, key, false)
		if !ok {
			return
		}
		if z == nil {
			if store {
				storeResult(c, c.Args[1], nil, 0, EvZSet, "zrangestore")
			} else {
				c.W.Array(0)
			}
			return
		}
		var lexItems []scored // a listpack's lex walk, emulated (see lexSelect)
		var lexRanks []int
		var n int
		switch {
		case kind == zrRank:
			n = z.RangeByRankLen(int(start), int(stop))
		case kind == zrScore:
			n = z.CountByScore(sr, reverse, int(offset), int(limit))
		case z.Encoding() == "listpack":
			lexItems = zsetItems(z)
			lexRanks = lexSelect(lexItems, lr, reverse, offset, limit)
			n = len(lexRanks)
		case !skiplistLexInRange(z, lr):
			// n = 0, and the emitting switch below walks an empty list.
			lexItems, lexRanks = []scored{}, nil
		default:
			n = z.CountByLex(lr, reverse, int(offset), int(limit))
		}
		var emit func(m []byte, s float64) bool
		var dst *types.ZSet
		if store {
			// Redis creates the destination as a skiplist up front when a
			// range by rank is known to exceed zset-max-listpack-entries
			// (which keeps the sign of a -0 score), else as a listpack
			// that converts as it grows.
			lim := c.E.Limits
			if kind == zrRank && n > lim.ZSetMaxListpackEntries {
				lim.ZSetMaxListpackEntries = 0
			}
			dst = types.NewZSet()
			emit = func(m []byte, s float64) bool { dst.Add(m, s, 0, &lim); return true }
		} else {
			c.W.Array(scoredLen(c, n, withScores))
			emit = func(m []byte, s float64) bool { writeScored(c, m, s, withScores); return true }
		}
		switch {
		case kind == zrRank:
			z.RangeByRank(int(start), int(stop), reverse, emit)
		case kind == zrScore:
			z.RangeByScore(sr, reverse, int(offset), int(limit), emit)
		case lexItems != nil:
			for _, i := range lexRanks {
				emit([]byte(lexItems[i].m), lexItems[i].s)
			}
		default:
			z.RangeByLex(lr, reverse, int(offset), int(limit), emit)
		}
		if store {
			storeResult(c, c.Args[1], dst, dst.Len(), EvZSet, "zrangestore")
		}
	}
}

func zcountCmd(c *Ctx) {
	r, err := types.ParseScoreRange(c.Args[2], c.Args[3])
	if err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.Count(r)))
}

func zlexcountCmd(c *Ctx) {
	r, err := types.ParseLexRange(c.Args[2], c.Args[3])
	if err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.W.Int(0)
		return
	}
	if z.Encoding() == "listpack" {
		lo, hi := lexRun(zsetItems(z), r)
		c.W.Int(int64(hi - lo))
		return
	}
	if !skiplistLexInRange(z, r) {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(z.LexCount(r)))
}

// zremrangeCmd is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX: the
// range is parsed before the key is looked at, as in Redis.
func zremrangeCmd(kind zrangeKind) Handler {
	return func(c *Ctx) {
		var start, stop int64
		var sr types.ScoreRange
		var lr types.LexRange
		switch kind {
		case zrRank:
			var ok bool
			if start, ok = getLong(c, c.Args[2]); !ok {
				return
			}
			if stop, ok = getLong(c, c.Args[3]); !ok {
				return
			}
		case zrScore:
			var err error
			if sr, err = types.ParseScoreRange(c.Args[2], c.Args[3]); err != nil {
				c.Error("ERR " + err.Error())
				return
			}
		case zrLex:
			var err error
			if lr, err = types.ParseLexRange(c.Args[2], c.Args[3]); err != nil {
				c.Error("ERR " + err.Error())
				return
			}
		}
		key := c.Args[1]
		z, ok := getZSet(c, key, true)
		if !ok {
			return
		}
		if z == nil {
			c.W.Int(0)
			return
		}
		var n int
		switch kind {
		case zrRank:
			n = z.RemRangeByRank(int(start), int(stop))
		case zrScore:
			n = z.RemRangeByScore(sr)
		case zrLex:
			if z.Encoding() == "listpack" {
				if lo, hi := lexRun(zsetItems(z), lr); hi > lo {
					n = z.RemRangeByRank(lo, hi-1)
				}
			} else {
				n = z.RemRangeByLex(lr)
			}
		}
		if n > 0 {
			removedFrom(c, key, z, EvZSet, c.Spec.Name)
		}
		c.W.Int(int64(n))
	}
}

// Lex ranges over members of different scores are undefined in Redis, but
// a listpack answers them deterministically with linear walks
// (zzlFirstInLexRange, zzlLastInLexRange, …) that give other results than
// a binary search once members are not in lex order. For listpacks those
// walks are reproduced here; skiplists (whose walk depends on random node
// levels) use the sorted set's own search, exact when scores are equal.

// zsetItems copies a sorted set's members in order.
func zsetItems(z *types.ZSet) []scored {
	items := make([]scored, 0, z.Len())
	z.Each(func(m []byte, s float64) bool { items = append(items, scored{string(m), s}); return true })
	return items
}

// lexCmp is Redis's sdscmplex for the two bounds: "-" and "+" are the
// shared min and max strings (and count as exclusive).
func lexCmp(a, b types.LexBound) int {
	switch {
	case a.Inf != 0 && a.Inf == b.Inf:
		return 0
	case a.Inf == -1 || b.Inf == 1:
		return -1
	case a.Inf == 1 || b.Inf == -1:
		return 1
	}
	return strings.Compare(string(a.Value), string(b.Value))
}

func lexGteMin(r types.LexRange, m string) bool {
	switch r.Min.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	c := strings.Compare(m, string(r.Min.Value))
	return c > 0 || (c == 0 && !r.Min.Ex)
}

func lexLteMax(r types.LexRange, m string) bool {
	switch r.Max.Inf {
	case 1:
		return true
	case -1:
		return false
	}
	c := strings.Compare(m, string(r.Max.Value))
	return c < 0 || (c == 0 && !r.Max.Ex)
}

// lexInRange is zzlIsInLexRange: the range is not empty, the last member
// is >= min and the first <= max.
func lexInRange(items []scored, r types.LexRange) bool {
	c := lexCmp(r.Min, r.Max)
	minEx := r.Min.Ex || r.Min.Inf != 0
	maxEx := r.Max.Ex || r.Max.Inf != 0
	if c > 0 || (c == 0 && (minEx || maxEx)) || len(items) == 0 {
		return false
	}
	return lexGteMin(r, items[len(items)-1].m) && lexLteMax(r, items[0].m)
}

// skiplistLexInRange is zslIsInLexRange, which Redis's skiplist lex walks
// (ZRANGE … BYLEX, ZLEXCOUNT; not ZREMRANGEBYLEX) check first: the range
// is not empty, the last member is >= min and the first <= max. With
// members of one score it changes nothing; with mixed scores it is the
// deterministic part of Redis's answer (a range outside [first, last]
// holds nothing), where the search below it would not be.
func skiplistLexInRange(z *types.ZSet, r types.LexRange) bool {
	var ends [2]scored
	z.RangeByRank(0, 0, false, func(m []byte, _ float64) bool { ends[0].m = string(m); return false })
	z.RangeByRank(-1, -1, false, func(m []byte, _ float64) bool { ends[1].m = string(m); return false })
	return lexInRange(ends[:], r)
}

// lexFirst is zzlFirstInLexRange: the first member >= min, if it is <= max.
func lexFirst(items []scored, r types.LexRange) int {
	if !lexInRange(items, r) {
		return -1
	}
	for i, it := range items {
		if lexGteMin(r, it.m) {
			if lexLteMax(r, it.m) {
				return i
			}
			return -1
		}
	}
	return -1
}

// lexLast is zzlLastInLexRange: the last member <= max, if it is >= min.
func lexLast(items []scored, r types.LexRange) int {
	if !lexInRange(items, r) {
		return -1
	}
	for i := len(items) - 1; i >= 0; i-- {
		if lexLteMax(r, items[i].m) {
			if lexGteMin(r, items[i].m) {
				return i
			}
			return -1
		}
	}
	return -1
}

// lexRun is the run ZLEXCOUNT counts and ZREMRANGEBYLEX deletes: from the
// first member in range while members stay <= max, as ranks [lo, hi).
func lexRun(items []scored, r types.LexRange) (int, int) {
	lo := lexFirst(items, r)
	if lo < 0 {
		return 0, 0
	}
	hi := lo
	for hi < len(items) && lexLteMax(r, items[hi].m) {
		hi++
	}
	return lo, hi
}

// lexSelect is genericZrangebylexCommand's listpack walk: from the first
// (last, when reverse) member in range, skip offset members unchecked,
// then take members while they stay within the far bound, at most limit
// (negative: no limit). It returns their ranks in reply order.
func lexSelect(items []scored, r types.LexRange, reverse bool, offset, limit int64) []int {
	if offset > 0 && offset >= int64(len(items)) {
		return nil
	}
	step, i := 1, lexFirst(items, r)
	if reverse {
		step, i = -1, lexLast(items, r)
	}
	if i < 0 {
		return nil
	}
	for ; offset != 0 && i >= 0 && i < len(items); offset-- {
		i += step
	}
	var out []int
	for ; limit != 0 && i >= 0 && i < len(items); limit-- {
		if reverse && !lexGteMin(r, items[i].m) || !reverse && !lexLteMax(r, items[i].m) {
			break
		}
		out = append(out, i)
		i += step
	}
	return out
}
