package types

import (
	"errors"
	"math"
)

// Errors of the range parsers, carrying Redis's reply texts minus "ERR ".
var (
	ErrMinMaxNotFloat = errors.New("min or max is not a float")
	ErrMinMaxNotLex   = errors.New("min or max not valid string range item")
)

// ScoreRange is a ZRANGEBYSCORE interval; Min and Max are as the user wrote
// them (for ZREVRANGEBYSCORE the handler passes max as Max), so Min > Max is
// simply empty.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool // "(" bounds
}

// ParseScoreRange parses score bounds like Redis 7.0's zslParseRange: an
// optional "(" for an exclusive bound, then C strtod over the rest, which
// must consume everything up to the end (or an embedded NUL). Unlike ZADD
// scores, leading spaces, overflow to ±inf, underflow, and even an empty
// number ("(" alone is an exclusive 0) are accepted; only garbage and NaN are
// errors.
func ParseScoreRange(min, max []byte) (ScoreRange, error) {
	var r ScoreRange
	var ok bool
	if r.Min, r.MinEx, ok = parseScoreBound(min); !ok {
		return r, ErrMinMaxNotFloat
	}
	if r.Max, r.MaxEx, ok = parseScoreBound(max); !ok {
		return r, ErrMinMaxNotFloat
	}
	return r, nil
}

func parseScoreBound(b []byte) (float64, bool, bool) {
	ex := len(b) > 0 && b[0] == '('
	if ex {
		b = b[1:]
	}
	// Redis hands strtod a C string: it ends at the first NUL.
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	f, sc := strtod(b)
	// When strtod finds no number its end pointer stays at the start, so
	// only an empty remainder passes Redis's end-of-string check.
	if sc.n != len(b) || math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

func (r *ScoreRange) aboveMin(s float64) bool {
	if r.MinEx {
		return s > r.Min
	}
	return s >= r.Min
}

func (r *ScoreRange) pastMax(s float64) bool {
	if r.MaxEx {
		return s >= r.Max
	}
	return s > r.Max
}

// LexBound is one end of a ZRANGEBYLEX interval.
type LexBound struct {
	Inf   int    // -1 for "-", +1 for "+", 0 for a value
	Value []byte // after "[" or "("; aliases the parsed argument
	Ex    bool   // "(" bound
}

// LexRange is a ZRANGEBYLEX interval (for ZREVRANGEBYLEX the handler passes
// the arguments swapped, as for scores).
type LexRange struct{ Min, Max LexBound }

// ParseLexRange parses "-", "+", "[value" and "(value" bounds
// (zslParseLexRangeItem). The result aliases min and max.
func ParseLexRange(min, max []byte) (LexRange, error) {
	var r LexRange
	var ok bool
	if r.Min, ok = parseLexBound(min); !ok {
		return r, ErrMinMaxNotLex
	}
	if r.Max, ok = parseLexBound(max); !ok {
		return r, ErrMinMaxNotLex
	}
	return r, nil
}

func parseLexBound(b []byte) (LexBound, bool) {
	if len(b) == 0 {
		return LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		// Redis compares the byte after the sign with C's terminating NUL.
		if len(b) > 1 && b[1] != 0 {
			return LexBound{}, false
		}
		if b[0] == '+' {
			return LexBound{Inf: 1}, true
		}
		return LexBound{Inf: -1}, true
	case '(':
		return LexBound{Value: b[1:], Ex: true}, true
	case '[':
		return LexBound{Value: b[1:]}, true
	}
	return LexBound{}, false
}

func (r *LexRange) aboveMin(m []byte) bool {
	switch r.Min.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	if r.Min.Ex {
		return string(m) > string(r.Min.Value)
	}
	return string(m) >= string(r.Min.Value)
}

func (r *LexRange) pastMax(m []byte) bool {
	switch r.Max.Inf {
	case 1:
		return false
	case -1:
		return true
	}
	if r.Max.Ex {
		return string(m) >= string(r.Max.Value)
	}
	return string(m) > string(r.Max.Value)
}

// scoreRanks returns the rank interval [lo, hi) of r; lo >= hi when empty.
func (z *ZSet) scoreRanks(r ScoreRange) (int, int) {
	if z.big != nil {
		t := &z.big.t
		return t.seek(func(e *zent) bool { return r.aboveMin(e.score) }),
			t.seek(func(e *zent) bool { return r.pastMax(e.score) })
	}
	return z.lpSeek(func(_ []byte, s float64) bool { return r.aboveMin(s) }),
		z.lpSeek(func(_ []byte, s float64) bool { return r.pastMax(s) })
}

// lexRanks is scoreRanks for a lex interval. As in Redis, the result is only
// meaningful when all members share one score.
func (z *ZSet) lexRanks(r LexRange) (int, int) {
	if z.big != nil {
		t := &z.big.t
		return t.seek(func(e *zent) bool { return r.aboveMin(sbytes(e.member)) }),
			t.seek(func(e *zent) bool { return r.pastMax(sbytes(e.member)) })
	}
	return z.lpSeek(func(m []byte, _ float64) bool { return r.aboveMin(m) }),
		z.lpSeek(func(m []byte, _ float64) bool { return r.pastMax(m) })
}

// limitRanks applies LIMIT offset count to the rank interval [lo, hi),
// walked from hi down when reverse: a negative offset gives nothing, a
// negative count means no limit.
func limitRanks(lo, hi int, reverse bool, offset, count int) (int, int) {
	if offset < 0 || lo >= hi || offset >= hi-lo {
		return 0, 0
	}
	n := hi - lo - offset
	if count >= 0 && count < n {
		n = count
	}
	if reverse {
		return hi - offset - n, hi - offset
	}
	return lo + offset, lo + offset + n
}

// rankBounds resolves ZRANGE start stop (by index, with negative indexes,
// reversed for REV) to the interval of ascending ranks [lo, hi).
func (z *ZSet) rankBounds(start, stop int, reverse bool) (int, int) {
	n := z.Len()
	s, e, ok := rangeBounds(start, stop, n)
	if !ok {
		return 0, 0
	}
	if reverse {
		return n - 1 - e, n - s
	}
	return s, e + 1
}

// RangeByRank calls fn for the members between ranks start and stop
// inclusive (ZRANGE, ZREVRANGE with reverse), using LRANGE's index rules,
// until fn returns false. It returns the number of members in the range
// (RangeByRankLen tells it before iterating, to size a reply).
func (z *ZSet) RangeByRank(start, stop int, reverse bool, fn func(member []byte, score float64) bool) int {
	lo, hi := z.rankBounds(start, stop, reverse)
	z.walk(lo, hi, reverse, fn)
	return hi - lo
}

// RangeByRankLen returns how many members RangeByRank would visit.
func (z *ZSet) RangeByRankLen(start, stop int) int {
	lo, hi := z.rankBounds(start, stop, false)
	return hi - lo
}

// RangeByScore calls fn for the members within r, in ascending order or
// descending when reverse, after skipping offset of them and for at most
// count (negative: all), until fn returns false (ZRANGEBYSCORE and
// ZREVRANGEBYSCORE with LIMIT). It returns how many members it will visit,
// computed before the first call, so a handler can write the reply header.
func (z *ZSet) RangeByScore(r ScoreRange, reverse bool, offset, count int, fn func(member []byte, score float64) bool) int {
	lo, hi := z.scoreRanks(r)
	lo, hi = limitRanks(lo, hi, reverse, offset, count)
	z.walk(lo, hi, reverse, fn)
	return hi - lo
}

// RangeByLex is RangeByScore for a lex interval (ZRANGEBYLEX,
// ZREVRANGEBYLEX).
func (z *ZSet) RangeByLex(r LexRange, reverse bool, offset, count int, fn func(member []byte, score float64) bool) int {
	lo, hi := z.lexRanks(r)
	lo, hi = limitRanks(lo, hi, reverse, offset, count)
	z.walk(lo, hi, reverse, fn)
	return hi - lo
}

// CountByScore returns how many members a RangeByScore call would visit,
// without visiting them: O(log n) for the big encoding.
func (z *ZSet) CountByScore(r ScoreRange, reverse bool, offset, count int) int {
	lo, hi := z.scoreRanks(r)
	lo, hi = limitRanks(lo, hi, reverse, offset, count)
	return hi - lo
}

// CountByLex returns how many members a RangeByLex call would visit.
func (z *ZSet) CountByLex(r LexRange, reverse bool, offset, count int) int {
	lo, hi := z.lexRanks(r)
	lo, hi = limitRanks(lo, hi, reverse, offset, count)
	return hi - lo
}

// Count returns the number of members within r (ZCOUNT), in O(log n) for
// the big encoding.
func (z *ZSet) Count(r ScoreRange) int {
	lo, hi := z.scoreRanks(r)
	return max(hi-lo, 0)
}

// LexCount returns the number of members within r (ZLEXCOUNT).
func (z *ZSet) LexCount(r LexRange) int {
	lo, hi := z.lexRanks(r)
	return max(hi-lo, 0)
}

// RemRangeByRank removes the members between ranks start and stop inclusive
// with ZREMRANGEBYRANK's index rules and returns how many it removed.
func (z *ZSet) RemRangeByRank(start, stop int) int {
	lo, hi := z.rankBounds(start, stop, false)
	return z.removeRanks(lo, hi)
}

// RemRangeByScore removes the members within r (ZREMRANGEBYSCORE).
func (z *ZSet) RemRangeByScore(r ScoreRange) int {
	lo, hi := z.scoreRanks(r)
	return z.removeRanks(lo, hi)
}

// RemRangeByLex removes the members within r (ZREMRANGEBYLEX).
func (z *ZSet) RemRangeByLex(r LexRange) int {
	lo, hi := z.lexRanks(r)
	return z.removeRanks(lo, hi)
}

// Pop removes the count lowest members (highest when max), calling fn for
// each in pop order (ZPOPMIN, ZPOPMAX, ZMPOP, BZPOP*), and returns how many
// it removed. fn's bytes are valid only during the call.
func (z *ZSet) Pop(count int, max bool, fn func(member []byte, score float64)) int {
	n := z.Len()
	count = min(count, n)
	if count <= 0 {
		return 0
	}
	lo, hi := 0, count
	if max {
		lo, hi = n-count, n
	}
	z.walk(lo, hi, max, func(m []byte, s float64) bool { fn(m, s); return true })
	return z.removeRanks(lo, hi)
}

// RandMember returns a uniformly chosen member and its score.
func (z *ZSet) RandMember() (member []byte, score float64, ok bool) {
	if z.Len() == 0 {
		return nil, 0, false
	}
	z.RandMembers(-1, func(m []byte, s float64) { member, score = m, s })
	return member, score, true
}

// RandMembers implements ZRANDMEMBER's count like Hash.RandFields: positive
// means distinct (all, in order, when count >= Len), negative means -count
// picks with repeats.
func (z *ZSet) RandMembers(count int, fn func(member []byte, score float64)) {
	n := z.Len()
	if z.big != nil {
		d := z.big.d
		sampleCount(n, count, func(i int) { fn(sbytes(d.keys[i]), d.scores[i]) })
		return
	}
	if n == 0 {
		return
	}
	offs := make([]int32, 0, n)
	for off := 4; off < len(z.lp); {
		offs = append(offs, int32(off))
		_, _, off = zlpEntry(z.lp, off)
	}
	sampleCount(n, count, func(i int) {
		m, s, _ := zlpEntry(z.lp, int(offs[i]))
		fn(m, s)
	})
}

// Scan implements ZSCAN like Hash.Scan: the small encoding is returned whole
// with cursor 0; the big encoding is scanned with a cursor that never misses
// a member present for the whole scan.
func (z *ZSet) Scan(cursor uint64, count int, fn func(member []byte, score float64)) uint64 {
	if z.big == nil {
		z.Each(func(m []byte, s float64) bool { fn(m, s); return true })
		return 0
	}
	d := z.big.d
	return d.scan(cursor, count, func(i int) { fn(sbytes(d.keys[i]), d.scores[i]) })
}
