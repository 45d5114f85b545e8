package types

import (
	"math/rand"
	"slices"
	"testing"
)

// pelCheck verifies the tree's order and separators against want.
func pelCheck(t *testing.T, p *PEL, want []StreamID) {
	t.Helper()
	var got []StreamID
	p.All(func(n *StreamNACK) bool { got = append(got, n.ID); return true })
	if !slices.Equal(got, want) || p.Len() != len(want) {
		t.Fatalf("PEL holds %d %v, want %d %v", p.Len(), got, len(want), want)
	}
	var walk func(nd *pelNode, lo, hi *StreamID)
	walk = func(nd *pelNode, lo, hi *StreamID) {
		if nd.leaf() {
			for _, n := range nd.nacks {
				if (lo != nil && n.ID.Compare(*lo) < 0) || (hi != nil && n.ID.Compare(*hi) >= 0) {
					t.Fatalf("%v outside its leaf's range", n.ID)
				}
			}
			if len(nd.nacks) > pelLeafMax {
				t.Fatalf("leaf of %d", len(nd.nacks))
			}
			return
		}
		if len(nd.keys) != len(nd.kids) || len(nd.kids) > pelKidsMax {
			t.Fatalf("inner node with %d keys, %d kids", len(nd.keys), len(nd.kids))
		}
		for k, kid := range nd.kids {
			l, h := lo, hi
			if k > 0 {
				l = &nd.keys[k]
			}
			if k+1 < len(nd.kids) {
				h = &nd.keys[k+1]
			}
			walk(kid, l, h)
		}
	}
	if p.root != nil {
		walk(p.root, nil, nil)
	}
	if len(want) > 0 {
		if f, l := p.First(), p.Last(); f.ID != want[0] || l.ID != want[len(want)-1] {
			t.Fatalf("First/Last %v/%v, want %v/%v", f.ID, l.ID, want[0], want[len(want)-1])
		}
	} else if p.First() != nil || p.Last() != nil || (p.root != nil && (!p.root.leaf() || cap(p.root.nacks) > pelKeepEmpty)) {
		t.Fatal("empty PEL has a first or last entry, or a root beyond a small leaf")
	}
}

// TestPELOneAtATime: a consumer's PEL that holds one entry at a time (read
// one, ack it) keeps its small root leaf instead of allocating one per
// delivery, and stays a correct empty PEL in between.
func TestPELOneAtATime(t *testing.T) {
	var p PEL
	nacks := make([]StreamNACK, 100)
	i := 0
	allocs := testing.AllocsPerRun(len(nacks)-1, func() {
		n := &nacks[i]
		n.ID = StreamID{Ms: uint64(i + 1)}
		i++
		p.Insert(n)
		if p.Remove(n.ID) != n {
			t.Fatalf("Remove(%v) lost it", n.ID)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per insert and remove, want 0", allocs)
	}
	pelCheck(t, &p, nil)
	p.Insert(&StreamNACK{ID: StreamID{Ms: 7}})
	pelCheck(t, &p, []StreamID{{Ms: 7}})
}

// TestPELModel: random inserts (in order, as deliveries come, and
// scattered), removals, lookups and seeks against a sorted slice.
func TestPELModel(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4} {
		rng := rand.New(rand.NewSource(seed))
		var p PEL
		var want []StreamID
		next := uint64(1)
		for step := 0; step < 20000; step++ {
			switch r := rng.Intn(10); {
			case r < 4: // a delivery: the next ID
				id := StreamID{Ms: next}
				next += uint64(1 + rng.Intn(3))
				p.Insert(&StreamNACK{ID: id})
				want = append(want, id)
			case r < 5: // anywhere below the next delivery (a claim of an old ID), maybe already there
				id := StreamID{Ms: uint64(rng.Intn(int(next)))}
				i, found := slices.BinarySearchFunc(want, id, func(a, b StreamID) int { return a.Compare(b) })
				n := &StreamNACK{ID: id, DeliveryCount: 7}
				p.Insert(n)
				if !found {
					want = slices.Insert(want, i, id)
				}
				if p.Get(id) != n {
					t.Fatalf("Insert did not replace %v", id)
				}
			case r < 8 && len(want) > 0: // an ack: often the oldest
				i := 0
				if rng.Intn(2) == 0 {
					i = rng.Intn(len(want))
				}
				if x := p.Remove(want[i]); x == nil || x.ID != want[i] {
					t.Fatalf("Remove(%v) = %v", want[i], x)
				}
				want = slices.Delete(want, i, i+1)
			case r < 9:
				id := StreamID{Ms: uint64(rng.Intn(int(next) + 1))}
				_, found := slices.BinarySearchFunc(want, id, func(a, b StreamID) int { return a.Compare(b) })
				if (p.Get(id) != nil) != found {
					t.Fatalf("Get(%v) disagrees (pending: %v)", id, found)
				}
				if !found && p.Remove(id) != nil {
					t.Fatalf("Remove(%v) of an absent ID", id)
				}
			default:
				id := StreamID{Ms: uint64(rng.Intn(int(next) + 1))}
				i, _ := slices.BinarySearchFunc(want, id, func(a, b StreamID) int { return a.Compare(b) })
				c := p.Ceil(id)
				if (i == len(want)) != (c == nil) || (c != nil && c.ID != want[i]) {
					t.Fatalf("Ceil(%v) = %v", id, c)
				}
				if got := p.CountFrom(id, 5); got != min(5, len(want)-i) {
					t.Fatalf("CountFrom(%v, 5) = %d, want %d", id, got, min(5, len(want)-i))
				}
			}
			if step%997 == 0 {
				pelCheck(t, &p, want)
			}
		}
		pelCheck(t, &p, want)
		for len(want) > 0 { // empty it in a scattered order
			i := rng.Intn(len(want))
			if p.Remove(want[i]) == nil {
				t.Fatalf("Remove(%v) failed", want[i])
			}
			want = slices.Delete(want, i, i+1)
			if len(want)%500 == 0 {
				pelCheck(t, &p, want)
			}
		}
		pelCheck(t, &p, want)
	}
}

// BenchmarkPEL: a PEL of n pending entries taking one delivery and one
// ack of its oldest per op (a consumer group that lags n entries).
func BenchmarkPEL(b *testing.B) {
	for _, n := range []int{100, 100000} {
		b.Run(map[int]string{100: "pending100", 100000: "pending100k"}[n], func(b *testing.B) {
			var p PEL
			var next uint64
			for ; next < uint64(n); next++ {
				p.Insert(&StreamNACK{ID: StreamID{Ms: next}})
			}
			oldest := uint64(0)
			b.ReportAllocs()
			for b.Loop() {
				p.Insert(&StreamNACK{ID: StreamID{Ms: next}})
				next++
				p.Remove(StreamID{Ms: oldest})
				oldest++
			}
		})
	}
}
