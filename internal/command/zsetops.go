package command

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/tandemdb/tandem/internal/types"
)

// Sorted-set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms and
// ZINTERCARD, after Redis 7.0's zunionInterDiffGenericCommand. Plain sets
// are accepted as inputs, every member scoring 1.

type zsetOp int

const (
	opUnion zsetOp = iota
	opInter
	opDiff
)

type zaggregate int

const (
	aggSum zaggregate = iota
	aggMin
	aggMax
)

// zsrc is one input: a sorted set, a set, or nothing (a missing key).
type zsrc struct {
	z      *types.ZSet
	s      *types.Set
	weight float64
}

func (s *zsrc) len() int {
	switch {
	case s.z != nil:
		return s.z.Len()
	case s.s != nil:
		return s.s.Len()
	}
	return 0
}

func (s *zsrc) each(fn func(m []byte, score float64) bool) {
	switch {
	case s.z != nil:
		s.z.Each(fn)
	case s.s != nil:
		s.s.Each(func(m []byte) bool { return fn(m, 1) })
	}
}

func (s *zsrc) find(m []byte) (float64, bool) {
	switch {
	case s.z != nil:
		return s.z.Score(m)
	case s.s != nil:
		return 1, s.s.Has(m)
	}
	return 0, false
}

// aggregate folds val into *target like zunionInterAggregate: a SUM that
// gives NaN (inf + -inf) is 0; MIN and MAX keep the target against NaN.
func (a zaggregate) fold(target *float64, val float64) {
	switch a {
	case aggSum:
		*target += val
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggMin:
		if val < *target {
			*target = val
		}
	case aggMax:
		if val > *target {
			*target = val
		}
	}
}

func zsetopCmd(op zsetOp, store, cardOnly bool) Handler {
	return func(c *Ctx) {
		numIdx := 1
		if store {
			numIdx = 2
		}
		setnum, ok := getLong(c, c.Args[numIdx])
		if !ok {
			return
		}
		if setnum < 1 {
			c.Error(fmt.Sprintf("ERR at least 1 input key is needed for '%s' command", c.Spec.Name))
			return
		}
		if setnum > int64(len(c.Args)-numIdx-1) {
			c.Error(ErrSyntax)
			return
		}
		srcs := make([]zsrc, setnum)
		j := numIdx + 1
		for i := range srcs {
			srcs[i].weight = 1
			e := c.DB.Lookup(c.Args[j])
			j++
			if e == nil {
				continue
			}
			switch v := e.Val().(type) {
			case *types.ZSet:
				srcs[i].z = v
			case *types.Set:
				srcs[i].s = v
			default:
				c.Error(ErrWrongType)
				return
			}
		}
		agg := aggSum
		withScores := false
		var limit int64
		for j < len(c.Args) {
			remaining := len(c.Args) - j
			a := strings.ToLower(string(c.Args[j]))
			switch {
			case op != opDiff && !cardOnly && remaining >= int(setnum)+1 && a == "weights":
				j++
				for i := range srcs {
					if srcs[i].weight, ok = getDouble(c, c.Args[j], "weight value is not a float"); !ok {
						return
					}
					j++
				}
			case op != opDiff && !cardOnly && remaining >= 2 && a == "aggregate":
				switch strings.ToLower(string(c.Args[j+1])) {
				case "sum":
					agg = aggSum
				case "min":
					agg = aggMin
				case "max":
					agg = aggMax
				default:
					c.Error(ErrSyntax)
					return
				}
				j += 2
			case !store && !cardOnly && a == "withscores":
				withScores = true
				j++
			case cardOnly && remaining >= 2 && a == "limit":
				if limit, ok = getPositiveLong(c, c.Args[j+1], "LIMIT can't be negative"); !ok {
					return
				}
				j += 2
			default:
				c.Error(ErrSyntax)
				return
			}
		}
		if op != opDiff {
			// Smallest input first, keeping the given order among equals
			// (glibc's qsort is a merge sort).
			sort.SliceStable(srcs, func(a, b int) bool { return srcs[a].len() < srcs[b].len() })
		}
		var res []scored
		card := int64(0)
		switch op {
		case opInter:
			if srcs[0].len() == 0 {
				break
			}
			srcs[0].each(func(m []byte, sc float64) bool {
				score := srcs[0].weight * sc
				if math.IsNaN(score) {
					score = 0
				}
				for k := 1; k < len(srcs); k++ {
					v, found := srcs[k].find(m)
					if !found {
						return true
					}
					agg.fold(&score, v*srcs[k].weight)
				}
				if cardOnly {
					card++
					return limit == 0 || card < limit
				}
				res = append(res, scored{string(m), score})
				return true
			})
		case opUnion:
			acc := map[string]float64{}
			var order []string
			for k := range srcs {
				srcs[k].each(func(m []byte, sc float64) bool {
					score := srcs[k].weight * sc
					if math.IsNaN(score) {
						score = 0
					}
					cur, seen := acc[string(m)]
					if !seen {
						acc[string(m)] = score
						order = append(order, string(m))
						return true
					}
					agg.fold(&cur, score)
					acc[string(m)] = cur
					return true
				})
			}
			for _, m := range order {
				res = append(res, scored{m, acc[m]})
			}
		case opDiff:
			srcs[0].each(func(m []byte, sc float64) bool {
				for k := 1; k < len(srcs); k++ {
					if _, found := srcs[k].find(m); found {
						return true
					}
				}
				res = append(res, scored{string(m), sc})
				return true
			})
		}
		sortScored(res)
		switch {
		case store:
			storeResult(c, c.Args[1], buildZSet(res, c.E.Limits), len(res), EvZSet, c.Spec.Name)
		case cardOnly:
			c.W.Int(card)
		default:
			c.W.Array(scoredLen(c, len(res), withScores))
			for _, it := range res {
				writeScored(c, []byte(it.m), it.s, withScores)
			}
		}
	}
}

// scored is one member of a computed result.
type scored struct {
	m string
	s float64
}

// sortScored puts a result in sorted-set order: by score, then by member
// bytes (a negative zero equals zero, as in the skiplist).
func sortScored(items []scored) {
	sort.Slice(items, func(i, j int) bool {
		if items[i].s != items[j].s {
			return items[i].s < items[j].s
		}
		return items[i].m < items[j].m
	})
}

// buildZSet makes the sorted set a *STORE command saves. Redis computes the
// result in a skiplist and converts it to a listpack only when it fits
// zset-max-listpack-entries and -value; a listpack loses the sign of -0,
// a skiplist keeps it, so the encoding is chosen up front here too. lim is
// a copy of the server's thresholds (adjusted here).
func buildZSet(items []scored, lim types.Limits) *types.ZSet {
	longest := 0
	for _, it := range items {
		longest = max(longest, len(it.m))
	}
	if len(items) > lim.ZSetMaxListpackEntries || longest > lim.ZSetMaxListpackValue {
		lim.ZSetMaxListpackEntries = 0 // big from the first member on
	}
	z := types.NewZSet()
	for _, it := range items {
		z.Add([]byte(it.m), it.s, 0, &lim)
	}
	return z
}
