package types

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func listOf(fill int, elems ...string) *List {
	l := NewList(fill)
	for _, e := range elems {
		l.PushBack([]byte(e))
	}
	return l
}

func listStrings(l *List) []string {
	out := []string{}
	l.Each(func(v []byte) bool { out = append(out, string(v)); return true })
	return out
}

func TestListEncodingIsAlwaysQuicklist(t *testing.T) {
	l := NewList(-2)
	if l.Encoding() != "quicklist" {
		t.Fatal(l.Encoding())
	}
	for i := 0; i < 10000; i++ {
		l.PushBack([]byte("x"))
	}
	if l.Encoding() != "quicklist" {
		t.Fatal(l.Encoding())
	}
}

func TestListIndexAndRangeEdges(t *testing.T) {
	l := listOf(-2, "a", "b", "c", "d", "e")
	for _, c := range []struct {
		i    int
		want string
		ok   bool
	}{
		{0, "a", true}, {4, "e", true}, {-1, "e", true}, {-5, "a", true},
		{5, "", false}, {-6, "", false}, {math.MaxInt, "", false}, {math.MinInt, "", false},
	} {
		v, ok := l.Index(c.i)
		if ok != c.ok || string(v) != c.want {
			t.Errorf("Index(%d) = %q %v", c.i, v, ok)
		}
	}
	for _, c := range []struct {
		start, stop int
		want        []string
	}{
		{0, -1, []string{"a", "b", "c", "d", "e"}},
		{-100, 100, []string{"a", "b", "c", "d", "e"}},
		{-2, -1, []string{"d", "e"}},
		{3, 1, nil},
		{5, 10, nil},
		{-1, -2, nil},
		{math.MinInt + 1, math.MaxInt, []string{"a", "b", "c", "d", "e"}},
		{2, 2, []string{"c"}},
	} {
		var got []string
		l.Range(c.start, c.stop, func(v []byte) bool { got = append(got, string(v)); return true })
		if !slices.Equal(got, c.want) || l.RangeLen(c.start, c.stop) != len(c.want) {
			t.Errorf("Range(%d,%d) = %q, want %q", c.start, c.stop, got, c.want)
		}
	}
	if l.Set(5, []byte("x")) || l.Set(-6, []byte("x")) {
		t.Error("Set out of range succeeded")
	}
	if !l.Set(-1, []byte("a much longer value than before")) || !l.Set(0, []byte("A")) {
		t.Error("Set in range failed")
	}
	if got := listStrings(l); !slices.Equal(got, []string{"A", "b", "c", "d", "a much longer value than before"}) {
		t.Errorf("after Set: %q", got)
	}
}

func TestListTrimFollowsLTRIM(t *testing.T) {
	for _, c := range []struct {
		start, stop int
		want        []string
	}{
		{1, -1, []string{"b", "c", "d", "e"}},
		{0, 0, []string{"a"}},
		{-2, 100, []string{"d", "e"}},
		{3, 1, []string{}},
		{10, 20, []string{}},
		{-100, -4, []string{"a", "b"}},
	} {
		l := listOf(2, "a", "b", "c", "d", "e") // 2 per node: trims cross nodes
		l.Trim(c.start, c.stop)
		if got := listStrings(l); !slices.Equal(got, c.want) || l.Len() != len(c.want) {
			t.Errorf("Trim(%d,%d) = %q, want %q", c.start, c.stop, got, c.want)
		}
	}
}

func TestListRemoveFollowsLREM(t *testing.T) {
	for _, c := range []struct {
		count int
		want  []string
		n     int
	}{
		{0, []string{"b", "c"}, 4},
		{2, []string{"b", "a", "c", "a"}, 2},
		{-2, []string{"a", "a", "b", "c"}, 2},
		{100, []string{"b", "c"}, 4},
		{math.MinInt, []string{"b", "c"}, 4},
	} {
		l := listOf(3, "a", "a", "b", "a", "c", "a")
		if n := l.Remove(c.count, []byte("a")); n != c.n {
			t.Errorf("Remove(%d) = %d, want %d", c.count, n, c.n)
		}
		if got := listStrings(l); !slices.Equal(got, c.want) {
			t.Errorf("Remove(%d) left %q, want %q", c.count, got, c.want)
		}
	}
}

func TestListPosFollowsLPOSDocs(t *testing.T) {
	// The examples of the LPOS documentation.
	l := listOf(-2, "a", "b", "c", "1", "2", "3", "c", "c")
	for _, c := range []struct {
		rank, count, maxlen int
		want                []int
	}{
		{1, 1, 0, []int{2}},
		{2, 1, 0, []int{6}},
		{-1, 1, 0, []int{7}},
		{1, 2, 0, []int{2, 6}},
		{-1, 2, 0, []int{7, 6}},
		{1, 0, 0, []int{2, 6, 7}},
		{1, 0, 3, []int{2}},
		{1, 0, 2, nil},
		{4, 1, 0, nil},
		{math.MinInt, 0, 0, nil},
	} {
		got := l.Pos([]byte("c"), c.rank, c.count, c.maxlen, nil)
		if !slices.Equal(got, c.want) {
			t.Errorf("Pos(rank %d count %d maxlen %d) = %v, want %v", c.rank, c.count, c.maxlen, got, c.want)
		}
	}
}

func TestListInsertReportsLength(t *testing.T) {
	l := listOf(-2, "a", "c")
	if n := l.Insert(true, []byte("c"), []byte("b")); n != 3 {
		t.Fatalf("Insert before = %d", n)
	}
	if n := l.Insert(false, []byte("c"), []byte("d")); n != 4 {
		t.Fatalf("Insert after = %d", n)
	}
	if n := l.Insert(false, []byte("zz"), []byte("d")); n != -1 {
		t.Fatalf("Insert with missing pivot = %d", n)
	}
	if got := listStrings(l); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("%q", got)
	}
}

func TestListNodesRespectFill(t *testing.T) {
	for _, c := range []struct {
		fill     int
		maxBytes int
		maxCount int
	}{
		{-1, 4096, 1 << 30}, {-2, 8192, 1 << 30}, {-5, 65536, 1 << 30}, {-9, 65536, 1 << 30},
		{5, 8192, 5}, {0, 1 << 30, 1}, {1, 1 << 30, 1},
	} {
		l := NewList(c.fill)
		for i := 0; i < 5000; i++ {
			v := []byte(fmt.Sprint("value-", i))
			if i%2 == 0 {
				l.PushBack(v)
			} else {
				l.PushFront(v)
			}
		}
		for nd := l.head; nd != nil; nd = nd.next {
			if nd.live() > c.maxBytes || int(nd.cnt) > c.maxCount {
				t.Fatalf("fill %d: node with %d bytes, %d entries", c.fill, nd.live(), nd.cnt)
			}
		}
	}
	// An element larger than the node limit gets a node of its own.
	l := listOf(-1, "a")
	l.PushBack(make([]byte, 10000))
	l.PushBack([]byte("b"))
	if l.head.cnt != 1 || l.head.next.cnt != 1 || l.tail.cnt != 1 {
		t.Fatalf("big element shares a node")
	}
}

func TestHashConvertsAtExactThresholds(t *testing.T) {
	lim := &Limits{HashMaxListpackEntries: 4, HashMaxListpackValue: 64}
	h := NewHash()
	for i := 0; i < 4; i++ {
		h.Set([]byte(fmt.Sprint("f", i)), []byte("v"), lim)
	}
	if h.Encoding() != "listpack" {
		t.Fatal("converted at max entries")
	}
	h.Set([]byte("f0"), []byte(strings.Repeat("v", 64)), lim)
	if h.Encoding() != "listpack" {
		t.Fatal("converted for a value of exactly max length")
	}
	h.Set([]byte("f4"), []byte("v"), lim)
	if h.Encoding() != "hashtable" || h.Len() != 5 {
		t.Fatal("did not convert past max entries")
	}
	h.Del([]byte("f4"))
	h.Del([]byte("f3"))
	if h.Encoding() != "hashtable" {
		t.Fatal("converted back")
	}
	for _, c := range []struct{ field, value string }{
		{strings.Repeat("f", 65), "v"},
		{"f", strings.Repeat("v", 65)},
	} {
		h := NewHash()
		h.Set([]byte("a"), []byte("b"), lim)
		h.Set([]byte(c.field), []byte(c.value), lim)
		if h.Encoding() != "hashtable" {
			t.Fatalf("no conversion for %d/%d-byte field/value", len(c.field), len(c.value))
		}
		if v, _ := h.Get([]byte(c.field)); string(v) != c.value {
			t.Fatal("lost the value while converting")
		}
	}
	// Overwriting an existing field with a long value converts too.
	h = NewHash()
	h.Set([]byte("a"), []byte("b"), lim)
	if created := h.Set([]byte("a"), []byte(strings.Repeat("x", 65)), lim); created || h.Encoding() != "hashtable" {
		t.Fatal("long overwrite did not convert")
	}
	// Zero entries allowed: the first field already converts.
	h = NewHash()
	h.Set([]byte("a"), []byte("b"), &Limits{HashMaxListpackValue: 64})
	if h.Encoding() != "hashtable" {
		t.Fatal("max entries 0 kept a listpack")
	}
}

func TestHashRandFieldsCountSemantics(t *testing.T) {
	for _, lim := range []*Limits{nil, {HashMaxListpackValue: 64}} {
		h := NewHash()
		for i := 0; i < 10; i++ {
			h.Set([]byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)), lim)
		}
		for _, c := range []struct{ count, n int }{{0, 0}, {3, 3}, {10, 10}, {100, 10}, {-3, 3}, {-25, 25}} {
			seen := map[string]int{}
			total := 0
			h.RandFields(c.count, func(f, v []byte) {
				if "v"+string(f[1:]) != string(v) {
					t.Fatalf("pair mismatch %s=%s", f, v)
				}
				seen[string(f)]++
				total++
			})
			if total != c.n || c.count > 0 && len(seen) != c.n {
				t.Errorf("%s: RandFields(%d) gave %d (%d distinct)", h.Encoding(), c.count, total, len(seen))
			}
		}
		if f, v, ok := h.RandField(); !ok || "v"+string(f[1:]) != string(v) {
			t.Error("RandField")
		}
	}
	if _, _, ok := NewHash().RandField(); ok {
		t.Error("RandField on empty hash")
	}
}

func TestSetConvertsAtExactThresholds(t *testing.T) {
	s := NewSet()
	for i := 0; i < 512; i++ {
		s.Add([]byte(fmt.Sprint(i)), nil)
	}
	if s.Encoding() != "intset" {
		t.Fatal("converted at 512 integers")
	}
	s.Add([]byte("512"), nil)
	if s.Encoding() != "hashtable" || s.Len() != 513 {
		t.Fatal("did not convert at 513 integers")
	}
	for i := 0; i < 513; i++ {
		s.Remove([]byte(fmt.Sprint(i)))
	}
	s.Add([]byte("1"), nil)
	if s.Encoding() != "hashtable" {
		t.Fatal("converted back")
	}
	for _, m := range []string{"-0", "01", "+1", "a", "9223372036854775808", ""} {
		s := NewSet()
		s.Add([]byte("1"), nil)
		s.Add([]byte(m), nil)
		if s.Encoding() != "hashtable" || !s.Has([]byte(m)) || !s.Has([]byte("1")) {
			t.Errorf("member %q: encoding %s", m, s.Encoding())
		}
	}
}

func TestIntsetWidensAndStaysSorted(t *testing.T) {
	s := NewSet()
	vals := []int64{5, -3, 70000, math.MinInt64, 1 << 40, math.MaxInt64, -70000, 0}
	for _, v := range vals {
		if !s.Add([]byte(fmt.Sprint(v)), nil) {
			t.Fatalf("Add(%d) not new", v)
		}
	}
	if w := s.is.width(); w != 8 {
		t.Fatalf("width %d", w)
	}
	var got []string
	s.Each(func(m []byte) bool { got = append(got, string(m)); return true })
	slices.Sort(vals)
	for i, v := range vals {
		if got[i] != fmt.Sprint(v) {
			t.Fatalf("order %v", got)
		}
	}
	small := NewSet()
	small.Add([]byte("1"), nil)
	if small.Has([]byte("70000")) || small.Remove([]byte("70000")) || small.Remove([]byte("x")) {
		t.Fatal("out-of-width member found")
	}
}

func TestSetPopAndRandMembers(t *testing.T) {
	for _, members := range [][]string{{"1", "2", "3", "4", "5"}, {"a", "b", "c", "d", "e"}} {
		s := NewSet()
		for _, m := range members {
			s.Add([]byte(m), nil)
		}
		for _, c := range []struct{ count, n int }{{0, 0}, {2, 2}, {5, 5}, {50, 5}, {-12, 12}} {
			total, seen := 0, map[string]bool{}
			s.RandMembers(c.count, func(m []byte) { total++; seen[string(m)] = true })
			if total != c.n || c.count > 0 && len(seen) != c.n {
				t.Errorf("%s: RandMembers(%d) gave %d", s.Encoding(), c.count, total)
			}
		}
		if m, ok := s.RandMember(); !ok || !slices.Contains(members, string(m)) {
			t.Error("RandMember")
		}
		var popped []string
		if n := s.Pop(2, func(m []byte) { popped = append(popped, string(m)) }); n != 2 || s.Len() != 3 {
			t.Fatalf("Pop(2) = %d, left %d", n, s.Len())
		}
		if n := s.Pop(100, func(m []byte) { popped = append(popped, string(m)) }); n != 3 || s.Len() != 0 {
			t.Fatalf("Pop(100) = %d, left %d", n, s.Len())
		}
		slices.Sort(popped)
		if !slices.Equal(popped, members) {
			t.Fatalf("popped %v", popped)
		}
		if _, ok := s.PopOne(); ok {
			t.Fatal("PopOne on empty set")
		}
	}
}

func TestZSetConvertsAtExactThresholds(t *testing.T) {
	z := NewZSet()
	for i := 0; i < 128; i++ {
		z.Add([]byte(fmt.Sprint("m", i)), float64(i), 0, nil)
	}
	if z.Encoding() != "listpack" {
		t.Fatal("converted at 128 members")
	}
	z.Add([]byte("m0"), 1000, 0, nil) // updates never convert
	if z.Encoding() != "listpack" {
		t.Fatal("converted on update")
	}
	z.Add([]byte("m128"), 0, 0, nil)
	if z.Encoding() != "skiplist" || z.Len() != 129 {
		t.Fatal("did not convert at 129 members")
	}
	if r, s, _ := z.Rank([]byte("m0"), false); r != 128 || s != 1000 {
		t.Fatalf("rank after conversion %d %v", r, s)
	}
	z2 := NewZSet()
	z2.Add([]byte(strings.Repeat("m", 64)), 1, 0, nil)
	if z2.Encoding() != "listpack" {
		t.Fatal("converted for a 64-byte member")
	}
	z2.Add([]byte(strings.Repeat("m", 65)), 1, 0, nil)
	if z2.Encoding() != "skiplist" {
		t.Fatal("no conversion for a 65-byte member")
	}
}

func TestZSetNegativeZeroLikeRedis(t *testing.T) {
	// Redis's listpack stores -0 as the integer 0; its skiplist keeps -0.
	z := NewZSet()
	z.Add([]byte("m"), math.Copysign(0, -1), 0, nil)
	if s, _ := z.Score([]byte("m")); math.Signbit(s) {
		t.Error("listpack kept -0")
	}
	z = NewZSet()
	z.Add([]byte("m"), math.Copysign(0, -1), 0, &Limits{ZSetMaxListpackValue: 64})
	if s, _ := z.Score([]byte("m")); !math.Signbit(s) || string(FormatScore(s)) != "-0" {
		t.Error("skiplist lost -0")
	}
}

func TestZSetScoresRoundTripInListpack(t *testing.T) {
	z := NewZSet()
	scores := []float64{0, 1, -1, 0.5, 1 << 53, -(1 << 53), 1<<53 - 1, 1e300, -1e-300,
		math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789}
	for i, s := range scores {
		z.Add([]byte(fmt.Sprint("m", i)), s, 0, nil)
	}
	for i, s := range scores {
		if got, _ := z.Score([]byte(fmt.Sprint("m", i))); got != s {
			t.Errorf("score %v read back as %v", s, got)
		}
	}
}

func TestZAddIncrNaNIsAnError(t *testing.T) {
	z := NewZSet()
	z.Add([]byte("m"), math.Inf(1), 0, nil)
	if _, err := z.Add([]byte("m"), math.Inf(-1), ZAddIncr, nil); !errors.Is(err, ErrScoreNaN) {
		t.Fatalf("err = %v", err)
	}
	if s, _ := z.Score([]byte("m")); !math.IsInf(s, 1) {
		t.Fatal("failed INCR changed the score")
	}
	res, err := z.Add([]byte("n"), 5, ZAddIncr, nil)
	if err != nil || !res.Added || res.Score != 5 {
		t.Fatalf("INCR on a new member: %+v %v", res, err)
	}
	// Same score: neither Nop nor Updated, and INCR replies the score.
	if res, _ := z.Add([]byte("n"), 0, ZAddIncr, nil); res.Nop || res.Updated || res.Score != 5 {
		t.Fatalf("INCR by 0: %+v", res)
	}
}

func TestZSetPopHugeCount(t *testing.T) {
	z := NewZSet()
	for i := 0; i < 5; i++ {
		z.Add([]byte(fmt.Sprint("m", i)), float64(i), 0, nil)
	}
	var got []string
	if n := z.Pop(math.MaxInt, true, func(m []byte, _ float64) { got = append(got, string(m)) }); n != 5 {
		t.Fatalf("Pop = %d", n)
	}
	if !slices.Equal(got, []string{"m4", "m3", "m2", "m1", "m0"}) || z.Len() != 0 {
		t.Fatalf("popped %v", got)
	}
	if n := z.Pop(3, false, func([]byte, float64) {}); n != 0 {
		t.Fatal("pop from empty set")
	}
}

func TestZSetRangeLimitEdges(t *testing.T) {
	z := NewZSet()
	for i, m := range []string{"a", "b", "c"} {
		z.Add([]byte(m), float64(i+1), 0, nil)
	}
	all := ScoreRange{Min: math.Inf(-1), Max: math.Inf(1)}
	for _, c := range []struct {
		reverse       bool
		offset, count int
		want          string
	}{
		{false, 0, 0, ""}, {false, -1, 2, ""}, {false, 1, -5, "bc"}, {true, 1, 1, "b"},
		{false, 3, -1, ""}, {false, 0, math.MaxInt, "abc"}, {true, 0, -1, "cba"},
	} {
		var got string
		z.RangeByScore(all, c.reverse, c.offset, c.count, func(m []byte, _ float64) bool { got += string(m); return true })
		if got != c.want {
			t.Errorf("RangeByScore(rev %v, limit %d %d) = %q, want %q", c.reverse, c.offset, c.count, got, c.want)
		}
	}
	for _, c := range []struct {
		start, stop int
		want        string
	}{{0, 0, "a"}, {1, -1, "bc"}, {-1, 1, ""}, {-100, 100, "abc"}, {5, 10, ""}} {
		var got string
		z.RangeByRank(c.start, c.stop, false, func(m []byte, _ float64) bool { got += string(m); return true })
		if got != c.want {
			t.Errorf("RangeByRank(%d,%d) = %q, want %q", c.start, c.stop, got, c.want)
		}
	}
}

func TestClonesAreIndependent(t *testing.T) {
	for _, big := range []bool{false, true} {
		lim := &Limits{HashMaxListpackEntries: 512, HashMaxListpackValue: 64, SetMaxIntsetEntries: 512,
			ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64}
		if big {
			lim = &Limits{HashMaxListpackValue: 64, ZSetMaxListpackValue: 64}
		}
		l, h, s, z := NewList(2), NewHash(), NewSet(), NewZSet()
		for i := 0; i < 300; i++ {
			k := []byte(fmt.Sprint(i))
			l.PushBack(k)
			h.Set(k, k, lim)
			s.Add(k, lim)
			z.Add(k, float64(i), 0, lim)
		}
		lc, hc, sc, zc := l.Clone(), h.Clone(), s.Clone(), z.Clone()
		if hc.Encoding() != h.Encoding() || sc.Encoding() != s.Encoding() || zc.Encoding() != z.Encoding() {
			t.Fatal("clone changed the encoding")
		}
		l.Trim(0, 0)
		for i := 0; i < 300; i++ {
			k := []byte(fmt.Sprint(i))
			h.Del(k)
			s.Remove(k)
			z.Rem(k)
		}
		if lc.Len() != 300 || hc.Len() != 300 || sc.Len() != 300 || zc.Len() != 300 {
			t.Fatalf("clones changed: %d %d %d %d", lc.Len(), hc.Len(), sc.Len(), zc.Len())
		}
		if v, _ := lc.Index(299); string(v) != "299" {
			t.Fatal("list clone content")
		}
		if v, _ := hc.Get([]byte("42")); string(v) != "42" {
			t.Fatal("hash clone content")
		}
		if r, _, ok := zc.Rank([]byte("150"), false); !ok || r != 150 {
			t.Fatal("zset clone content")
		}
		if zc.big != nil {
			checkTree(t, &zc.big.t)
		}
		for name, mu := range map[string]int{
			"list": lc.MemoryUsage(), "hash": hc.MemoryUsage(0), "set": sc.MemoryUsage(5), "zset": zc.MemoryUsage(5),
		} {
			if mu < 300 || mu > 300*200 {
				t.Errorf("%s MemoryUsage %d is implausible", name, mu)
			}
		}
	}
}
