package types

import (
	"errors"
	"math"
)

// ZSet is Redis's sorted set. Small sets are one packed buffer sorted by
// (score, member) (the "listpack" encoding, see zsetsmall.go). A set converts
// for good to the big encoding ("skiplist") when it would exceed
// zset-max-listpack-entries members or receives a member longer than
// zset-max-listpack-value bytes. The big encoding pairs a dict (member →
// score, and the SCAN cursor) with an order-statistic B+tree (btree.go) for
// O(log n) rank, range and update.
//
// The zero value is an empty sorted set.
type ZSet struct {
	lp  []byte // small encoding; nil when empty
	big *zbig  // big encoding, or nil
}

type zbig struct {
	d *dict // scores in d.scores
	t btree
}

// ZAddFlags are ZADD's options (ZINCRBY is ZAddIncr alone). The handler
// rejects the combinations Redis rejects (NX with XX, GT or LT; GT with LT;
// INCR with several pairs) before calling Add.
type ZAddFlags uint8

const (
	ZAddNX   ZAddFlags = 1 << iota // only add new members
	ZAddXX                         // only update existing members
	ZAddGT                         // only update when the new score is greater
	ZAddLT                         // only update when the new score is less
	ZAddIncr                       // add score to the current score (0 when new)
)

// ZAddResult reports what one Add did. ZADD counts Added (or, with CH, Added
// or Updated); ZADD INCR and ZINCRBY reply Score, or a null when Nop.
type ZAddResult struct {
	Added   bool    // a new member was inserted
	Updated bool    // an existing member's score changed
	Nop     bool    // nothing was done because of NX, XX, GT or LT
	Score   float64 // the member's score after the call (not set when Nop)
}

// ErrScoreNaN is returned when INCR produces NaN (inf + -inf). Redis replies
// "ERR resulting score is not a number (NaN)".
var ErrScoreNaN = errors.New("resulting score is not a number (NaN)")

// NewZSet returns an empty sorted set.
func NewZSet() *ZSet { return &ZSet{} }

// Len returns the number of members (ZCARD).
func (z *ZSet) Len() int {
	if z.big != nil {
		return z.big.d.len()
	}
	return z.lpLen()
}

// Encoding answers OBJECT ENCODING: "listpack" or "skiplist".
func (z *ZSet) Encoding() string {
	if z.big != nil {
		return "skiplist"
	}
	return "listpack"
}

// Score returns member's score (ZSCORE, ZMSCORE).
func (z *ZSet) Score(member []byte) (float64, bool) {
	if z.big != nil {
		if i := z.big.d.find(member); i >= 0 {
			return z.big.d.scores[i], true
		}
		return 0, false
	}
	off, _, s := z.lpFind(member)
	return s, off >= 0
}

// Add applies one ZADD score-member pair with Redis's zsetAdd rules: NX
// skips existing members, XX skips new ones, GT/LT skip updates that do not
// raise/lower the score, INCR adds to the current score. An unchanged score is
// neither Nop nor Updated.
func (z *ZSet) Add(member []byte, score float64, flags ZAddFlags, lim *Limits) (ZAddResult, error) {
	cur, exists := z.Score(member)
	if exists {
		if flags&ZAddNX != 0 {
			return ZAddResult{Nop: true}, nil
		}
		if flags&ZAddIncr != 0 {
			score += cur
			if math.IsNaN(score) {
				return ZAddResult{}, ErrScoreNaN
			}
		}
		if flags&ZAddLT != 0 && score >= cur || flags&ZAddGT != 0 && score <= cur {
			return ZAddResult{Nop: true}, nil
		}
		if score == cur {
			return ZAddResult{Score: score}, nil
		}
		z.update(member, cur, score)
		return ZAddResult{Updated: true, Score: score}, nil
	}
	if flags&ZAddXX != 0 {
		return ZAddResult{Nop: true}, nil
	}
	if math.IsNaN(score) {
		return ZAddResult{}, ErrScoreNaN
	}
	z.insert(member, score, lim)
	return ZAddResult{Added: true, Score: score}, nil
}

// insert adds a member known to be absent.
func (z *ZSet) insert(member []byte, score float64, lim *Limits) {
	if z.big == nil {
		lim := limitsOrDefault(lim)
		if z.lpLen()+1 <= lim.ZSetMaxListpackEntries && len(member) <= lim.ZSetMaxListpackValue {
			z.lpInsert(member, score)
			return
		}
		z.convert()
	}
	d := z.big.d
	i := d.add(member, nil)
	d.scores[i] = score
	z.big.t.insert(d.keys[i], score)
}

// update changes an existing member's score from cur to score.
func (z *ZSet) update(member []byte, cur, score float64) {
	if z.big == nil {
		off, end, _ := z.lpFind(member)
		z.lpDelete(off, end, 1)
		z.lpInsert(member, score) // cannot convert: same length, same count
		return
	}
	d := z.big.d
	i := d.find(member)
	d.scores[i] = score
	z.big.t.update(d.keys[i], cur, score)
}

// ToSkiplist moves a small set to the big encoding (OBJECT ENCODING
// "skiplist") whatever its size: Redis's SORT does so to any sorted set it
// sorts, and OBJECT ENCODING shows it afterwards.
func (z *ZSet) ToSkiplist() {
	if z.big == nil {
		z.convert()
	}
}

// convert moves a small set to the big encoding. The entries come sorted,
// so the tree is built by appends, which pack its leaves full.
func (z *ZSet) convert() {
	n := z.lpLen()
	b := &zbig{d: newDict(dictScores, n+1)}
	for off := 4; off < len(z.lp); {
		m, s, next := zlpEntry(z.lp, off)
		i := b.d.add(m, nil)
		b.d.scores[i] = s
		b.t.insert(b.d.keys[i], s)
		off = next
	}
	z.big, z.lp = b, nil
}

// Rem removes member and reports whether it was present (ZREM).
func (z *ZSet) Rem(member []byte) bool {
	if z.big == nil {
		off, end, _ := z.lpFind(member)
		if off < 0 {
			return false
		}
		z.lpDelete(off, end, 1)
		return true
	}
	d := z.big.d
	i := d.find(member)
	if i < 0 {
		return false
	}
	z.big.t.delete(d.keys[i], d.scores[i])
	d.delete(i)
	return true
}

// Rank returns member's 0-based rank by ascending score, or by descending
// score when reverse (ZRANK, ZREVRANK), and its score.
func (z *ZSet) Rank(member []byte, reverse bool) (rank int, score float64, ok bool) {
	if z.big != nil {
		d := z.big.d
		i := d.find(member)
		if i < 0 {
			return 0, 0, false
		}
		score = d.scores[i]
		rank, _ = z.big.t.rank(d.keys[i], score)
	} else {
		found := false
		r := 0
		for off := 4; off < len(z.lp); r++ {
			m, s, next := zlpEntry(z.lp, off)
			if string(m) == string(member) {
				score, found = s, true
				break
			}
			off = next
		}
		if !found {
			return 0, 0, false
		}
		rank = r
	}
	if reverse {
		rank = z.Len() - 1 - rank
	}
	return rank, score, true
}

// Each calls fn for every member in ascending order until fn returns false.
func (z *ZSet) Each(fn func(member []byte, score float64) bool) {
	z.walk(0, z.Len(), false, fn)
}

// walk visits ranks [lo, hi), descending when reverse, until fn returns
// false.
func (z *ZSet) walk(lo, hi int, reverse bool, fn func(member []byte, score float64) bool) {
	if lo >= hi {
		return
	}
	if z.big == nil {
		z.lpWalk(lo, hi, reverse, fn)
		return
	}
	left := hi - lo
	start := lo
	if reverse {
		start = hi - 1
	}
	z.big.t.walk(start, reverse, func(e *zent) bool {
		left--
		return fn(sbytes(e.member), e.score) && left > 0
	})
}

// removeRanks deletes the members of ranks [lo, hi) and returns how many.
func (z *ZSet) removeRanks(lo, hi int) int {
	if lo >= hi {
		return 0
	}
	if z.big == nil {
		z.lpDelete(z.lpOffset(lo), z.lpOffset(hi), hi-lo)
		return hi - lo
	}
	b := z.big
	for k := lo; k < hi; k++ {
		nd, i := b.t.at(lo)
		e := nd.ents[i]
		b.t.delete(e.member, e.score)
		b.d.delete(b.d.find(sbytes(e.member)))
	}
	return hi - lo
}
