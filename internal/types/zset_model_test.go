package types

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

type zpair struct {
	m string
	s float64
}

// zmodel is the trivially correct sorted set: a map, sorted on demand.
type zmodel map[string]float64

func (zm zmodel) sorted() []zpair {
	out := make([]zpair, 0, len(zm))
	for m, s := range zm {
		out = append(out, zpair{m, s})
	}
	slices.SortFunc(out, func(a, b zpair) int {
		if c := cmp.Compare(a.s, b.s); c != 0 {
			return c
		}
		return cmp.Compare(a.m, b.m)
	})
	return out
}

func collect(f func(fn func(m []byte, s float64) bool)) []zpair {
	var out []zpair
	f(func(m []byte, s float64) bool { out = append(out, zpair{string(m), s}); return true })
	return out
}

func samePairs(a, b []zpair) bool {
	return len(a) == len(b) && (len(a) == 0 || slices.Equal(a, b))
}

func reversed(p []zpair) []zpair {
	out := slices.Clone(p)
	slices.Reverse(out)
	return out
}

func modelLimit(p []zpair, offset, count int) []zpair {
	if offset < 0 || offset >= len(p) {
		return nil
	}
	p = p[offset:]
	if count >= 0 && count < len(p) {
		p = p[:count]
	}
	return p
}

func randScoreRange(r *rand.Rand) ScoreRange {
	b := func() float64 {
		switch r.IntN(12) {
		case 0:
			return math.Inf(-1)
		case 1:
			return math.Inf(1)
		}
		return float64(r.IntN(24)-2) / 2
	}
	return ScoreRange{Min: b(), Max: b(), MinEx: r.IntN(2) == 0, MaxEx: r.IntN(2) == 0}
}

func randLexRange(r *rand.Rand) LexRange {
	b := func() LexBound {
		switch r.IntN(10) {
		case 0:
			return LexBound{Inf: -1}
		case 1:
			return LexBound{Inf: 1}
		}
		return LexBound{Value: []byte(fmt.Sprintf("m%02d", r.IntN(70))), Ex: r.IntN(2) == 0}
	}
	return LexRange{Min: b(), Max: b()}
}

func inScore(r ScoreRange, s float64) bool { return r.aboveMin(s) && !r.pastMax(s) }
func inLex(r LexRange, m string) bool      { return r.aboveMin([]byte(m)) && !r.pastMax([]byte(m)) }

func filterPairs(p []zpair, keep func(zpair) bool) []zpair {
	var out []zpair
	for _, x := range p {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func TestZSetMatchesModel(t *testing.T) {
	cases := []struct {
		name      string
		lim       *Limits
		members   int
		sameScore bool
	}{
		{"small-converting", &Limits{ZSetMaxListpackEntries: 24, ZSetMaxListpackValue: 8}, 60, false},
		{"big", &Limits{ZSetMaxListpackEntries: 0, ZSetMaxListpackValue: 64}, 6000, false},
		{"lex-small", &Limits{ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64}, 70, true},
		{"lex-big", &Limits{ZSetMaxListpackEntries: 0, ZSetMaxListpackValue: 64}, 70, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(len(tc.name)), 3))
			z := NewZSet()
			zm := zmodel{}
			steps := 4000
			if tc.members > 1000 {
				steps = 30000
			}
			for step := 0; step < steps; step++ {
				m := fmt.Sprintf("m%02d", r.IntN(tc.members))
				if !tc.sameScore && r.IntN(40) == 0 {
					m = fmt.Sprint("long-member-", r.IntN(5))
				}
				score := float64(r.IntN(20)-2) / 2
				if tc.sameScore {
					score = 0
				}
				op := r.IntN(16)
				var sorted []zpair
				if op >= 8 && op <= 13 { // only these consult the order
					sorted = zm.sorted()
				}
				switch {
				case op < 6: // ZADD with random flags
					flags := []ZAddFlags{0, 0, ZAddNX, ZAddXX, ZAddGT, ZAddLT, ZAddIncr, ZAddIncr | ZAddGT, ZAddXX | ZAddLT}[r.IntN(9)]
					res, err := z.Add([]byte(m), score, flags, tc.lim)
					cur, exists := zm[m]
					want := ZAddResult{}
					newScore := score
					if flags&ZAddIncr != 0 && exists {
						newScore += cur
					}
					switch {
					case exists && flags&ZAddNX != 0, !exists && flags&ZAddXX != 0,
						exists && flags&ZAddGT != 0 && newScore <= cur,
						exists && flags&ZAddLT != 0 && newScore >= cur:
						want.Nop = true
					case !exists:
						want = ZAddResult{Added: true, Score: newScore}
						zm[m] = newScore
					default:
						want = ZAddResult{Updated: newScore != cur, Score: newScore}
						zm[m] = newScore
					}
					if err != nil || res != want {
						t.Fatalf("step %d: Add(%s,%v,%b) = %+v %v, want %+v", step, m, score, flags, res, err, want)
					}
				case op < 8:
					_, had := zm[m]
					if z.Rem([]byte(m)) != had {
						t.Fatalf("step %d: Rem(%s)", step, m)
					}
					delete(zm, m)
				case op == 8:
					rev := r.IntN(2) == 0
					rank, s, ok := z.Rank([]byte(m), rev)
					want := slices.IndexFunc(sorted, func(p zpair) bool { return p.m == m })
					if want >= 0 && rev {
						want = len(sorted) - 1 - want
					}
					if ok != (want >= 0) || ok && (rank != want || s != zm[m]) {
						t.Fatalf("step %d: Rank(%s,%v) = %d %v, want %d", step, m, rev, rank, ok, want)
					}
				case op == 9:
					s := r.IntN(2*len(sorted)+5) - len(sorted) - 2
					e := r.IntN(2*len(sorted)+5) - len(sorted) - 2
					rev := r.IntN(2) == 0
					got := collect(func(fn func([]byte, float64) bool) { z.RangeByRank(s, e, rev, fn) })
					src := sorted
					if rev {
						src = reversed(sorted)
					}
					var want []zpair
					if a, b, ok := rangeBounds(s, e, len(src)); ok {
						want = src[a : b+1]
					}
					if !samePairs(got, want) || z.RangeByRankLen(s, e) != len(want) {
						t.Fatalf("step %d: RangeByRank(%d,%d,%v) = %v, want %v", step, s, e, rev, got, want)
					}
				case op == 10:
					sr := randScoreRange(r)
					rev := r.IntN(2) == 0
					offset, count := r.IntN(4)-1, r.IntN(6)-1
					if r.IntN(2) == 0 {
						offset, count = 0, -1
					}
					want := filterPairs(sorted, func(p zpair) bool { return inScore(sr, p.s) })
					if z.Count(sr) != len(want) {
						t.Fatalf("step %d: Count(%+v) = %d, want %d", step, sr, z.Count(sr), len(want))
					}
					if rev {
						want = reversed(want)
					}
					want = modelLimit(want, offset, count)
					n := z.CountByScore(sr, rev, offset, count)
					got := collect(func(fn func([]byte, float64) bool) { z.RangeByScore(sr, rev, offset, count, fn) })
					if !samePairs(got, want) || n != len(want) {
						t.Fatalf("step %d: RangeByScore(%+v,%v,%d,%d) = %v, want %v", step, sr, rev, offset, count, got, want)
					}
				case op == 11 && tc.sameScore:
					lr := randLexRange(r)
					rev := r.IntN(2) == 0
					offset, count := r.IntN(4)-1, r.IntN(6)-1
					want := filterPairs(sorted, func(p zpair) bool { return inLex(lr, p.m) })
					if z.LexCount(lr) != len(want) {
						t.Fatalf("step %d: LexCount = %d, want %d", step, z.LexCount(lr), len(want))
					}
					if rev {
						want = reversed(want)
					}
					want = modelLimit(want, offset, count)
					got := collect(func(fn func([]byte, float64) bool) { z.RangeByLex(lr, rev, offset, count, fn) })
					if !samePairs(got, want) || z.CountByLex(lr, rev, offset, count) != len(want) {
						t.Fatalf("step %d: RangeByLex = %v, want %v", step, got, want)
					}
				case op == 12 && r.IntN(8) == 0:
					switch r.IntN(3) {
					case 0:
						s, e := r.IntN(len(sorted)+3)-2, r.IntN(len(sorted)+3)-2
						n := z.RemRangeByRank(s, e)
						var want []zpair
						if a, b, ok := rangeBounds(s, e, len(sorted)); ok {
							want = sorted[a : b+1]
						}
						for _, p := range want {
							delete(zm, p.m)
						}
						if n != len(want) {
							t.Fatalf("step %d: RemRangeByRank = %d want %d", step, n, len(want))
						}
					case 1:
						sr := randScoreRange(r)
						want := filterPairs(sorted, func(p zpair) bool { return inScore(sr, p.s) })
						for _, p := range want {
							delete(zm, p.m)
						}
						if n := z.RemRangeByScore(sr); n != len(want) {
							t.Fatalf("step %d: RemRangeByScore = %d want %d", step, n, len(want))
						}
					case 2:
						if !tc.sameScore {
							break
						}
						lr := randLexRange(r)
						want := filterPairs(sorted, func(p zpair) bool { return inLex(lr, p.m) })
						for _, p := range want {
							delete(zm, p.m)
						}
						if n := z.RemRangeByLex(lr); n != len(want) {
							t.Fatalf("step %d: RemRangeByLex = %d want %d", step, n, len(want))
						}
					}
				case op == 13:
					count, maxSide := r.IntN(4), r.IntN(2) == 0
					var got []zpair
					n := z.Pop(count, maxSide, func(m []byte, s float64) { got = append(got, zpair{string(m), s}) })
					src := sorted
					if maxSide {
						src = reversed(sorted)
					}
					want := src[:min(count, len(src))]
					for _, p := range want {
						delete(zm, p.m)
					}
					if n != len(want) || !samePairs(got, want) {
						t.Fatalf("step %d: Pop(%d,%v) = %v, want %v", step, count, maxSide, got, want)
					}
				case op == 14:
					s, ok := z.Score([]byte(m))
					ws, had := zm[m]
					if ok != had || s != ws {
						t.Fatalf("step %d: Score(%s)", step, m)
					}
				}
				if z.Len() != len(zm) {
					t.Fatalf("step %d: Len %d, want %d", step, z.Len(), len(zm))
				}
				if step%100 == 0 {
					got := collect(z.Each)
					if want := zm.sorted(); !samePairs(got, want) {
						t.Fatalf("step %d: contents\n got %v\nwant %v", step, got, want)
					}
					if z.big != nil {
						checkTree(t, &z.big.t)
					}
				}
			}
		})
	}
}

// checkTree verifies the B+tree's counts, separators and leaf chain.
func checkTree(t *testing.T, tr *btree) {
	t.Helper()
	if tr.root == nil {
		if tr.n != 0 {
			t.Fatalf("nil root with n=%d", tr.n)
		}
		return
	}
	var leaves []*btNode
	var walk func(nd *btNode, lo, hi *zent) int
	walk = func(nd *btNode, lo, hi *zent) int {
		if nd.kids == nil {
			for i := range nd.ents {
				e := &nd.ents[i]
				if lo != nil && zcmp(e.score, e.member, lo) < 0 || hi != nil && zcmp(e.score, e.member, hi) >= 0 {
					t.Fatalf("entry %v outside separators", *e)
				}
				if i > 0 && zcmp(e.score, e.member, &nd.ents[i-1]) <= 0 {
					t.Fatalf("leaf not sorted")
				}
			}
			leaves = append(leaves, nd)
			return len(nd.ents)
		}
		if len(nd.ents) != len(nd.kids) || len(nd.cnts) != len(nd.kids) || len(nd.kids) == 0 {
			t.Fatalf("inner node shape")
		}
		total := 0
		for k, kid := range nd.kids {
			klo, khi := lo, hi
			if k > 0 {
				klo = &nd.ents[k]
			}
			if k+1 < len(nd.kids) {
				khi = &nd.ents[k+1]
			}
			c := walk(kid, klo, khi)
			if c != nd.cnts[k] {
				t.Fatalf("count %d, subtree has %d", nd.cnts[k], c)
			}
			total += c
		}
		return total
	}
	if n := walk(tr.root, nil, nil); n != tr.n {
		t.Fatalf("tree n=%d, entries %d", tr.n, n)
	}
	for i, lf := range leaves {
		var prev, next *btNode
		if i > 0 {
			prev = leaves[i-1]
		}
		if i+1 < len(leaves) {
			next = leaves[i+1]
		}
		if lf.prev != prev || lf.next != next {
			t.Fatalf("leaf chain broken at %d", i)
		}
	}
}

func TestZSetScanAndRandom(t *testing.T) {
	for _, lim := range []*Limits{nil, {ZSetMaxListpackEntries: 0, ZSetMaxListpackValue: 64}} {
		z := NewZSet()
		for i := 0; i < 100; i++ {
			z.Add([]byte(fmt.Sprint("m", i)), float64(i), 0, lim)
		}
		seen := map[string]float64{}
		cur := uint64(0)
		for {
			cur = z.Scan(cur, 7, func(m []byte, s float64) { seen[string(m)] = s })
			if cur == 0 {
				break
			}
		}
		if len(seen) != 100 || seen["m42"] != 42 {
			t.Fatalf("%s: scan saw %d members", z.Encoding(), len(seen))
		}
		distinct := map[string]bool{}
		z.RandMembers(50, func(m []byte, s float64) { distinct[string(m)] = true })
		if len(distinct) != 50 {
			t.Fatalf("%s: RandMembers(50) gave %d distinct", z.Encoding(), len(distinct))
		}
		n := 0
		z.RandMembers(-300, func(m []byte, s float64) { n++ })
		if n != 300 {
			t.Fatalf("RandMembers(-300) gave %d", n)
		}
		all := 0
		z.RandMembers(1000, func([]byte, float64) { all++ })
		if all != 100 {
			t.Fatalf("RandMembers(1000) gave %d", all)
		}
	}
}

func TestBTreeDeepRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, order := range []string{"random", "ascending", "descending"} {
		var tr btree
		model := zmodel{}
		n := 20000
		for i := 0; i < n; i++ {
			k := i
			if order == "descending" {
				k = n - i
			}
			s := float64(k)
			if order == "random" {
				s = float64(r.IntN(500))
			}
			m := fmt.Sprint("m", i)
			tr.insert(m, s)
			model[m] = s
		}
		checkTree(t, &tr)
		sorted := model.sorted()
		for i := 0; i < 200; i++ {
			k := r.IntN(len(sorted))
			if rk, ok := tr.rank(sorted[k].m, sorted[k].s); !ok || rk != k {
				t.Fatalf("%s: rank of %v = %d %v, want %d", order, sorted[k], rk, ok, k)
			}
			nd, j := tr.at(k)
			if nd.ents[j].member != sorted[k].m {
				t.Fatalf("%s: at(%d) wrong", order, k)
			}
		}
		// Delete most entries in random order, checking as the tree shrinks.
		perm := r.Perm(len(sorted))
		for i, p := range perm {
			if !tr.delete(sorted[p].m, sorted[p].s) {
				t.Fatalf("%s: delete %v failed", order, sorted[p])
			}
			if tr.delete(sorted[p].m, sorted[p].s) {
				t.Fatalf("%s: double delete succeeded", order)
			}
			if i%2500 == 0 {
				checkTree(t, &tr)
			}
		}
		if tr.n != 0 || tr.root != nil {
			t.Fatalf("%s: tree not empty after deleting all", order)
		}
	}
}
