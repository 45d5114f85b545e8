package types

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/tandemdb/tandem/internal/resp"
)

func TestHashMatchesModel(t *testing.T) {
	lim := &Limits{HashMaxListpackEntries: 16, HashMaxListpackValue: 12}
	for seed := uint64(1); seed <= 3; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		h := NewHash()
		model := map[string]string{}
		var order []string // insertion order, what the small encoding keeps
		for step := 0; step < 3000; step++ {
			f := fmt.Sprint("f", r.IntN(40))
			v := fmt.Sprint("v", r.IntN(1000))
			if r.IntN(50) == 0 {
				v = fmt.Sprint("a-long-value-", step) // forces conversion
			}
			switch r.IntN(4) {
			case 0, 1:
				_, had := model[f]
				if created := h.Set([]byte(f), []byte(v), lim); created == had {
					t.Fatalf("step %d: Set(%s) created=%v", step, f, created)
				}
				if !had {
					order = append(order, f)
				}
				model[f] = v
			case 2:
				_, had := model[f]
				if h.Del([]byte(f)) != had {
					t.Fatalf("step %d: Del(%s)", step, f)
				}
				delete(model, f)
				order = slices.DeleteFunc(order, func(s string) bool { return s == f })
			case 3:
				got, ok := h.Get([]byte(f))
				want, had := model[f]
				if ok != had || string(got) != want || h.StrLen([]byte(f)) != len(want) || h.Exists([]byte(f)) != had {
					t.Fatalf("step %d: Get(%s) = %q %v, want %q", step, f, got, ok, want)
				}
			}
			if h.Len() != len(model) {
				t.Fatalf("step %d: Len %d want %d", step, h.Len(), len(model))
			}
			if step%25 == 0 {
				got := map[string]string{}
				var gotOrder []string
				h.Each(func(f, v []byte) bool {
					got[string(f)] = string(v)
					gotOrder = append(gotOrder, string(f))
					return true
				})
				if !maps.Equal(got, model) {
					t.Fatalf("step %d: contents differ", step)
				}
				if h.Encoding() == "listpack" && !slices.Equal(gotOrder, order) {
					t.Fatalf("step %d: listpack order %q, want %q", step, gotOrder, order)
				}
				scanned := map[string]string{}
				cur := uint64(0)
				for {
					cur = h.Scan(cur, 5, func(f, v []byte) { scanned[string(f)] = string(v) })
					if cur == 0 {
						break
					}
				}
				if !maps.Equal(scanned, model) {
					t.Fatalf("step %d: scan differs", step)
				}
			}
			if h.Encoding() == "listpack" && (len(model) > lim.HashMaxListpackEntries) {
				t.Fatalf("step %d: listpack with %d fields", step, len(model))
			}
		}
	}
}

func TestSetMatchesModel(t *testing.T) {
	lim := &Limits{SetMaxIntsetEntries: 20}
	for seed := uint64(1); seed <= 3; seed++ {
		r := rand.New(rand.NewPCG(seed, 5))
		s := NewSet()
		model := map[string]bool{}
		for step := 0; step < 3000; step++ {
			var m string
			switch r.IntN(20) {
			case 0:
				m = fmt.Sprint("s", r.IntN(5)) // converts
			case 1:
				m = strconv.FormatInt(r.Int64()-1<<62, 10) // 8-byte width
			case 2:
				m = fmt.Sprint(r.IntN(1<<20) - 1<<19) // 4-byte width
			default:
				m = fmt.Sprint(r.IntN(60) - 30)
			}
			switch r.IntN(5) {
			case 0, 1:
				if s.Add([]byte(m), lim) == model[m] {
					t.Fatalf("step %d: Add(%s)", step, m)
				}
				model[m] = true
			case 2:
				if s.Remove([]byte(m)) != model[m] {
					t.Fatalf("step %d: Remove(%s)", step, m)
				}
				delete(model, m)
			case 3:
				if s.Has([]byte(m)) != model[m] {
					t.Fatalf("step %d: Has(%s)", step, m)
				}
			case 4:
				if r.IntN(4) == 0 {
					got, ok := s.PopOne()
					if ok != (len(model) > 0) || ok && !model[string(got)] {
						t.Fatalf("step %d: PopOne %q", step, got)
					}
					delete(model, string(got))
				}
			}
			if s.Len() != len(model) {
				t.Fatalf("step %d: Len %d want %d", step, s.Len(), len(model))
			}
			if step%25 == 0 {
				var got []string
				s.Each(func(m []byte) bool { got = append(got, string(m)); return true })
				if s.Encoding() == "intset" {
					if len(model) > lim.SetMaxIntsetEntries {
						t.Fatalf("step %d: intset too big", step)
					}
					if !slices.IsSortedFunc(got, func(a, b string) int {
						x, _ := strconv.ParseInt(a, 10, 64)
						y, _ := strconv.ParseInt(b, 10, 64)
						return int(min(max(x-y, -1), 1))
					}) {
						t.Fatalf("step %d: intset not sorted: %v", step, got)
					}
				}
				slices.Sort(got)
				if want := slices.Sorted(maps.Keys(model)); !slices.Equal(got, want) {
					t.Fatalf("step %d: contents %v want %v", step, got, want)
				}
			}
		}
	}
}

// TestScanNeverMissesStableMembers drives a dict scan while the table grows
// and shrinks between calls: every member present from start to end must be
// reported.
func TestScanNeverMissesStableMembers(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r := rand.New(rand.NewPCG(seed, 1))
		s := NewSet()
		for i := 0; i < 1000; i++ {
			s.Add([]byte(fmt.Sprint("stable", i)), nil)
		}
		var churn []string
		seen := map[string]bool{}
		cur := uint64(0)
		for calls := 0; ; calls++ {
			cur = s.Scan(cur, 1+r.IntN(20), func(m []byte) { seen[string(m)] = true })
			if cur == 0 {
				break
			}
			// Grow by a lot, or shrink back, between calls.
			if r.IntN(2) == 0 {
				for i := 0; i < r.IntN(3000); i++ {
					m := fmt.Sprint("churn", seed, calls, i)
					s.Add([]byte(m), nil)
					churn = append(churn, m)
				}
			} else {
				for len(churn) > 0 && r.IntN(50) != 0 {
					s.Remove([]byte(churn[len(churn)-1]))
					churn = churn[:len(churn)-1]
				}
			}
		}
		for i := 0; i < 1000; i++ {
			if m := fmt.Sprint("stable", i); !seen[m] {
				t.Fatalf("seed %d: scan missed %s", seed, m)
			}
		}
	}
}

func TestSetAlgebraMatchesModel(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	lim := &Limits{SetMaxIntsetEntries: 30}
	for round := 0; round < 200; round++ {
		k := 1 + r.IntN(4)
		sets := make([]*Set, k)
		models := make([]map[string]bool, k)
		for i := range sets {
			if r.IntN(8) == 0 {
				models[i] = map[string]bool{} // nil set: missing key
				continue
			}
			sets[i], models[i] = NewSet(), map[string]bool{}
			for j := r.IntN(60); j > 0; j-- {
				m := fmt.Sprint(r.IntN(80))
				if r.IntN(10) == 0 {
					m = "x" + m
				}
				sets[i].Add([]byte(m), lim)
				models[i][m] = true
			}
		}
		inter, union, diff := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for m := range models[0] {
			in, out := true, true
			for _, o := range models[1:] {
				in = in && o[m]
				out = out && !o[m]
			}
			if in {
				inter[m] = true
			}
			if out {
				diff[m] = true
			}
		}
		for _, mm := range models {
			for m := range mm {
				union[m] = true
			}
		}
		check := func(name string, s *Set, want map[string]bool) {
			t.Helper()
			got := map[string]bool{}
			s.Each(func(m []byte) bool { got[string(m)] = true; return true })
			if !maps.Equal(got, want) {
				t.Fatalf("round %d: %s = %v, want %v", round, name, got, want)
			}
			wantEnc := "intset"
			for m := range want {
				if _, ok := resp.ParseInt([]byte(m)); !ok {
					wantEnc = "hashtable"
				}
			}
			if len(want) > lim.SetMaxIntsetEntries {
				wantEnc = "hashtable"
			}
			if s.Encoding() != wantEnc {
				t.Fatalf("round %d: %s encoding %s, want %s", round, name, s.Encoding(), wantEnc)
			}
		}
		check("inter", SetInter(lim, sets...), inter)
		check("union", SetUnion(lim, sets...), union)
		check("diff", SetDiff(lim, sets...), diff)
		if n := SetInterCard(0, sets...); n != len(inter) {
			t.Fatalf("round %d: InterCard %d want %d", round, n, len(inter))
		}
		if n := SetInterCard(2, sets...); n != min(2, len(inter)) {
			t.Fatalf("round %d: InterCard limit 2 = %d", round, n)
		}
	}
}
