package types

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// listModel is the trivially correct list: a slice of strings.
type listModel []string

func (m listModel) norm(i int) int {
	if i < 0 {
		i += len(m)
	}
	if i < 0 || i >= len(m) {
		return -1
	}
	return i
}

func checkList(t *testing.T, step int, l *List, m listModel) {
	t.Helper()
	if l.Len() != len(m) {
		t.Fatalf("step %d: Len %d, model %d", step, l.Len(), len(m))
	}
	var got []string
	l.Each(func(v []byte) bool { got = append(got, string(v)); return true })
	if !slices.Equal(got, []string(m)) && !(len(got) == 0 && len(m) == 0) {
		t.Fatalf("step %d: contents\n got %q\nwant %q", step, got, m)
	}
	got = got[:0]
	l.EachReverse(func(v []byte) bool { got = append(got, string(v)); return true })
	slices.Reverse(got)
	if !slices.Equal(got, []string(m)) && !(len(got) == 0 && len(m) == 0) {
		t.Fatalf("step %d: reverse contents\n got %q\nwant %q", step, got, m)
	}
	// Node invariants: counts add up, no empty nodes, links consistent.
	total := 0
	var prev *lnode
	for nd := l.head; nd != nil; nd = nd.next {
		if nd.cnt == 0 || nd.prev != prev {
			t.Fatalf("step %d: bad node (cnt %d)", step, nd.cnt)
		}
		n := 0
		for off := int(nd.lo); off < int(nd.hi); n++ {
			_, off = nd.entryAt(off)
		}
		if n != int(nd.cnt) {
			t.Fatalf("step %d: node cnt %d, entries %d", step, nd.cnt, n)
		}
		total += n
		prev = nd
	}
	if prev != l.tail || total != l.n {
		t.Fatalf("step %d: tail or total mismatch", step)
	}
}

func randListValue(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return string(bytes.Repeat([]byte{'x'}, 100+r.IntN(300))) // forces node limits
	case 1:
		return ""
	}
	return fmt.Sprint(r.IntN(8)) // few distinct values: many matches
}

func TestListMatchesModel(t *testing.T) {
	for _, fill := range []int{-1, -2, 0, 1, 3, 16} {
		t.Run(fmt.Sprint("fill", fill), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(fill+10), 7))
			l := NewList(fill)
			var m listModel
			for step := 0; step < 4000; step++ {
				v := randListValue(r)
				switch op := r.IntN(13); op {
				case 0, 1:
					l.PushBack([]byte(v))
					m = append(m, v)
				case 2, 3:
					l.PushFront([]byte(v))
					m = slices.Insert(m, 0, v)
				case 4:
					got, ok := l.PopFront()
					if ok != (len(m) > 0) || ok && string(got) != m[0] {
						t.Fatalf("step %d: PopFront %q %v", step, got, ok)
					}
					if ok {
						m = m[1:]
					}
				case 5:
					got, ok := l.PopBack()
					if ok != (len(m) > 0) || ok && string(got) != m[len(m)-1] {
						t.Fatalf("step %d: PopBack %q %v", step, got, ok)
					}
					if ok {
						m = m[:len(m)-1]
					}
				case 6:
					i := r.IntN(2*len(m)+3) - len(m) - 1
					got, ok := l.Index(i)
					j := m.norm(i)
					if ok != (j >= 0) || ok && string(got) != m[j] {
						t.Fatalf("step %d: Index(%d) = %q %v", step, i, got, ok)
					}
				case 7:
					i := r.IntN(2*len(m)+3) - len(m) - 1
					ok := l.Set(i, []byte(v))
					j := m.norm(i)
					if ok != (j >= 0) {
						t.Fatalf("step %d: Set(%d) = %v", step, i, ok)
					}
					if ok {
						m[j] = v
					}
				case 8:
					pivot := fmt.Sprint(r.IntN(8))
					before := r.IntN(2) == 0
					n := l.Insert(before, []byte(pivot), []byte(v))
					j := slices.Index(m, pivot)
					if j < 0 {
						if n != -1 {
							t.Fatalf("step %d: Insert missing pivot = %d", step, n)
						}
						break
					}
					if !before {
						j++
					}
					m = slices.Insert(m, j, v)
					if n != len(m) {
						t.Fatalf("step %d: Insert = %d, want %d", step, n, len(m))
					}
				case 9:
					count := r.IntN(7) - 3
					target := fmt.Sprint(r.IntN(8))
					got := l.Remove(count, []byte(target))
					want := 0
					if count >= 0 {
						for i := 0; i < len(m); {
							if m[i] == target && (count == 0 || want < count) {
								m = slices.Delete(m, i, i+1)
								want++
							} else {
								i++
							}
						}
					} else {
						for i := len(m) - 1; i >= 0; i-- {
							if m[i] == target && want < -count {
								m = slices.Delete(m, i, i+1)
								want++
							}
						}
					}
					if got != want {
						t.Fatalf("step %d: Remove(%d) = %d, want %d", step, count, got, want)
					}
				case 10:
					if r.IntN(10) != 0 {
						break // trims shrink the list fast: keep them rare
					}
					s := r.IntN(2*len(m)+5) - len(m) - 2
					e := r.IntN(2*len(m)+5) - len(m) - 2
					l.Trim(s, e)
					m = modelRange(m, s, e)
				case 11:
					s := r.IntN(2*len(m)+5) - len(m) - 2
					e := r.IntN(2*len(m)+5) - len(m) - 2
					var got []string
					l.Range(s, e, func(v []byte) bool { got = append(got, string(v)); return true })
					want := modelRange(m, s, e)
					if !slices.Equal(got, []string(want)) && len(got)+len(want) > 0 {
						t.Fatalf("step %d: Range(%d,%d) = %q, want %q", step, s, e, got, want)
					}
					if l.RangeLen(s, e) != len(want) {
						t.Fatalf("step %d: RangeLen", step)
					}
				case 12:
					target := fmt.Sprint(r.IntN(8))
					rank := r.IntN(5) + 1
					if r.IntN(2) == 0 {
						rank = -rank
					}
					count, maxlen := r.IntN(4), r.IntN(3)*r.IntN(20)
					got := l.Pos([]byte(target), rank, count, maxlen, nil)
					want := modelPos(m, target, rank, count, maxlen)
					if !slices.Equal(got, want) {
						t.Fatalf("step %d: Pos(%s,%d,%d,%d) = %v, want %v", step, target, rank, count, maxlen, got, want)
					}
				}
				if step%50 == 0 || step > 3900 {
					checkList(t, step, l, m)
				}
			}
		})
	}
}

func modelRange(m listModel, s, e int) listModel {
	s, e, ok := rangeBounds(s, e, len(m))
	if !ok {
		return nil
	}
	return append(listModel(nil), m[s:e+1]...)
}

func modelPos(m listModel, v string, rank, count, maxlen int) []int {
	var out []int
	idx := make([]int, len(m))
	for i := range idx {
		idx[i] = i
	}
	if rank < 0 {
		slices.Reverse(idx)
		rank = -rank
	}
	skip := rank - 1
	for k, i := range idx {
		if maxlen > 0 && k >= maxlen {
			break
		}
		if m[i] != v {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, i)
		if count > 0 && len(out) == count {
			break
		}
	}
	return out
}

func TestListMoveModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a, b := NewList(-2), NewList(3)
	var ma, mb listModel
	for step := 0; step < 3000; step++ {
		v := randListValue(r)
		a.PushBack([]byte(v))
		ma = append(ma, v)
		src, dst, msrc, mdst := a, b, &ma, &mb
		if r.IntN(2) == 0 {
			src, dst, msrc, mdst = b, a, &mb, &ma
		}
		if r.IntN(4) == 0 {
			dst, mdst = src, msrc // rotation within one list
		}
		fromFront, toFront := r.IntN(2) == 0, r.IntN(2) == 0
		got, ok := ListMove(src, dst, fromFront, toFront)
		if !ok {
			if len(*msrc) != 0 {
				t.Fatalf("step %d: Move failed on non-empty list", step)
			}
			continue
		}
		var e string
		if fromFront {
			e, *msrc = (*msrc)[0], (*msrc)[1:]
		} else {
			e, *msrc = (*msrc)[len(*msrc)-1], (*msrc)[:len(*msrc)-1]
		}
		if toFront {
			*mdst = slices.Insert(*mdst, 0, e)
		} else {
			*mdst = append(*mdst, e)
		}
		if string(got) != e {
			t.Fatalf("step %d: Move returned %q, want %q", step, got, e)
		}
		if step%100 == 0 {
			checkList(t, step, a, ma)
			checkList(t, step, b, mb)
		}
	}
}
