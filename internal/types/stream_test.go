package types

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

type streamModelEntry struct {
	id StreamID
	fv []string
}

func streamCollect(s *Stream, start, end StreamID, rev bool) []streamModelEntry {
	var out []streamModelEntry
	s.Range(start, end, rev, func(id StreamID, fv [][]byte) bool {
		e := streamModelEntry{id: id}
		for _, b := range fv {
			e.fv = append(e.fv, string(b))
		}
		out = append(out, e)
		return true
	})
	return out
}

func streamModelRange(m []streamModelEntry, start, end StreamID, rev bool) []streamModelEntry {
	var out []streamModelEntry
	for _, e := range m {
		if !e.id.Less(start) && e.id.Compare(end) <= 0 {
			out = append(out, e)
		}
	}
	if rev {
		slices.Reverse(out)
	}
	return out
}

// TestStreamModel drives a stream and a plain slice with the same random
// appends, deletions and trims (small nodes, so many node boundaries) and
// compares every range both ways.
func TestStreamModel(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 20; round++ {
		s := NewStream()
		var m []streamModelEntry
		maxEntries := 1 + rng.Intn(8)
		maxBytes := 0
		if rng.Intn(2) == 0 {
			maxBytes = 60 + rng.Intn(200)
		}
		next := StreamID{1, 0}
		var cursor StreamID
		for op := 0; op < 400; op++ {
			switch r := rng.Intn(10); {
			case r < 6:
				next.Ms += uint64(rng.Intn(3))
				next.Seq = uint64(rng.Intn(1000))
				if !s.LastID.Less(next) {
					next, _ = s.LastID.Incr()
				}
				n := 1 + rng.Intn(3)
				var fv [][]byte
				var sv []string
				for i := 0; i < n; i++ {
					f := fmt.Sprintf("f%d", rng.Intn(3)*i)
					v := fmt.Sprint(rng.Intn(100000) - 50000)
					if rng.Intn(3) == 0 {
						v = fmt.Sprintf("v%d", rng.Intn(100))
					}
					fv = append(fv, []byte(f), []byte(v))
					sv = append(sv, f, v)
				}
				s.Append(next, fv, maxBytes, maxEntries)
				m = append(m, streamModelEntry{id: next, fv: sv})
			case r < 8 && len(m) > 0:
				i := rng.Intn(len(m))
				if !s.Delete(m[i].id) {
					t.Fatalf("delete %v failed", m[i].id)
				}
				if s.Delete(m[i].id) {
					t.Fatalf("delete %v twice", m[i].id)
				}
				m = slices.Delete(m, i, i+1)
			case r == 8 && rng.Intn(2) == 0:
				// Approximate: whole nodes from the head, often none.
				maxlen := int64(rng.Intn(len(m) + 1))
				removed := s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: maxlen, Approx: true})
				if removed > max(int64(len(m))-maxlen, 0) {
					t.Fatalf("approximate trim maxlen %d removed %d of %d", maxlen, removed, len(m))
				}
				m = m[removed:]
			case r == 8:
				maxlen := int64(rng.Intn(len(m) + 1))
				removed := s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: maxlen})
				want := max(int64(len(m))-maxlen, 0)
				if removed != want {
					t.Fatalf("trim maxlen %d removed %d want %d", maxlen, removed, want)
				}
				m = m[want:]
			default:
				if len(m) == 0 {
					continue
				}
				min := m[rng.Intn(len(m))].id
				k := 0
				for k < len(m) && m[k].id.Less(min) {
					k++
				}
				if removed := s.Trim(TrimArgs{Strategy: TrimMinID, MinID: min}); removed != int64(k) {
					t.Fatalf("trim minid removed %d want %d", removed, k)
				}
				m = m[k:]
			}
			if s.Len() != len(m) {
				t.Fatalf("len %d want %d", s.Len(), len(m))
			}
			for _, rev := range []bool{false, true} {
				got := streamCollect(s, StreamID{}, MaxStreamID, rev)
				want := streamModelRange(m, StreamID{}, MaxStreamID, rev)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("round %d op %d rev %v:\n got %v\nwant %v", round, op, rev, got, want)
				}
			}
			if len(m) > 0 {
				a, b := m[rng.Intn(len(m))].id, m[rng.Intn(len(m))].id
				if b.Less(a) {
					a, b = b, a
				}
				for _, rev := range []bool{false, true} {
					if got, want := streamCollect(s, a, b, rev), streamModelRange(m, a, b, rev); fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("range %v %v rev %v:\n got %v\nwant %v", a, b, rev, got, want)
					}
				}
				if s.LastValidID() != m[len(m)-1].id || s.EdgeID(true, true) != m[0].id {
					t.Fatalf("edge ids")
				}
			}
			// A reader that comes back for what follows (RangeFrom's
			// remembered position), across the changes above.
			for k := 0; k < 3; k++ {
				if rng.Intn(8) == 0 && len(m) > 0 {
					cursor = m[rng.Intn(len(m))].id // a jump, back or ahead
				}
				start, ok := cursor.Incr()
				if !ok {
					start = StreamID{}
				}
				limit := int64(1 + rng.Intn(3))
				want := streamModelRange(m, start, MaxStreamID, false)
				if int64(len(want)) > limit {
					want = want[:limit]
				}
				var got []streamModelEntry
				s.RangeFrom(start, MaxStreamID, func(id StreamID, fv [][]byte) bool {
					e := streamModelEntry{id: id}
					for _, b := range fv {
						e.fv = append(e.fv, string(b))
					}
					got = append(got, e)
					return int64(len(got)) < limit
				})
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("round %d op %d: RangeFrom(%v):\n got %v\nwant %v", round, op, start, got, want)
				}
				if len(got) > 0 {
					cursor = got[len(got)-1].id
				} else {
					cursor = StreamID{}
				}
			}
			c := s.Clone().(*Stream)
			if fmt.Sprint(streamCollect(c, StreamID{}, MaxStreamID, false)) != fmt.Sprint(streamCollect(s, StreamID{}, MaxStreamID, false)) {
				t.Fatalf("clone differs")
			}
		}
	}
}

// TestStreamNodeLayout checks a node's master entry and the IDs read back
// from delta-encoded entries, including a negative seq delta. Byte
// equality with Redis is checked by the interop tests (DUMP both ways).
func TestStreamNodeLayout(t *testing.T) {
	s := NewStream()
	s.Append(StreamID{1, 1}, [][]byte{[]byte("a"), []byte("1"), []byte("b"), []byte("hello")}, 4096, 100)
	s.Append(StreamID{1, 2}, [][]byte{[]byte("a"), []byte("2"), []byte("b"), []byte("x")}, 4096, 100)
	s.Append(StreamID{2, 0}, [][]byte{[]byte("c"), []byte("3")}, 4096, 100)
	var lp []byte
	s.EachNode(func(_ StreamID, b []byte) bool { lp = b; return false })
	h := parseNodeHdr(lp)
	if h.count != 3 || h.deleted != 0 || h.nfields != 2 {
		t.Fatalf("header %+v", h)
	}
	var ids []StreamID
	for off := h.entriesOff; !atEnd(lp, off); {
		e := readEntry(lp, off, StreamID{1, 1}, &h)
		ids = append(ids, e.id)
		off = e.next
	}
	if fmt.Sprint(ids) != "[1-1 1-2 2-0]" {
		t.Fatalf("ids %v", ids)
	}
	if lpBytes(lp) != len(lp) {
		t.Fatalf("header size %d, len %d", lpBytes(lp), len(lp))
	}
}

// TestStreamClosedNodeKeepsOrGivesBackRoom: a node closed nearly full (the
// usual 4 KB node) keeps its block, since a copy would land in a block of
// the same size and only leave garbage; one closed early by the entry
// limit, with most of its room unused, is copied to its size.
func TestStreamClosedNodeKeepsOrGivesBackRoom(t *testing.T) {
	fv := [][]byte{[]byte("f0"), []byte("0123456789abcdef"), []byte("f1"), []byte("0123456789abcdef")}
	for _, tc := range []struct {
		name                 string
		maxBytes, maxEntries int
		copied               bool
	}{
		{"full by bytes", 4096, 0, false},
		{"closed by the entry limit", 4096, 3, true},
	} {
		s := NewStream()
		id := StreamID{1, 0}
		var first *byte
		for len(s.nodes) < 2 {
			if len(s.nodes) == 1 {
				first = &s.nodes[0].lp[0]
			}
			id.Seq++
			s.Append(id, fv, tc.maxBytes, tc.maxEntries)
		}
		lp := s.nodes[0].lp
		if copied := &lp[0] != first; copied != tc.copied {
			t.Errorf("%s: node copied %v, want %v (len %d cap %d)", tc.name, copied, tc.copied, len(lp), cap(lp))
		}
		if tc.copied && cap(lp) != len(lp) {
			t.Errorf("%s: copy has cap %d for len %d", tc.name, cap(lp), len(lp))
		}
		if got := streamCollect(s, StreamID{}, MaxStreamID, false); len(got) != int(id.Seq) {
			t.Errorf("%s: %d entries, want %d", tc.name, len(got), id.Seq)
		}
	}
}

// TestStreamReadOnAllocates: a group reader's steady state (XREADGROUP …
// COUNT 1 … > : LastValidID, then RangeFrom from where the last read
// stopped) allocates nothing, across node boundaries too, and reads
// every entry once, in order.
func TestStreamReadOnAllocates(t *testing.T) {
	s := NewStream()
	fv := [][]byte{[]byte("field"), []byte("value-0000000001")}
	for i := range 1000 {
		s.Append(StreamID{Ms: 1, Seq: uint64(i + 1)}, fv, 4096, 10) // 10 entries a node: reads cross nodes often
	}
	cursor := StreamID{Ms: 1}
	read := func() {
		if !cursor.Less(s.LastValidID()) {
			t.Fatalf("nothing after %v (last %v)", cursor, s.LastValidID())
		}
		start, _ := cursor.Incr()
		n := 0
		var got StreamID
		s.RangeFrom(start, MaxStreamID, func(id StreamID, fv [][]byte) bool {
			if len(fv) != 2 || string(fv[1]) != "value-0000000001" {
				t.Fatalf("%v: fields %q", id, fv)
			}
			got, n = id, n+1
			return false
		})
		if n != 1 || got != start {
			t.Fatalf("read after %v: %d entries, got %v", cursor, n, got)
		}
		cursor = got
	}
	read() // the first read allocates the stream's scratch buffers
	if allocs := testing.AllocsPerRun(500, read); allocs != 0 {
		t.Fatalf("%v allocations per read", allocs)
	}
}

// TestStreamNodeSlabs: a long stream's nodes take their room from shared
// slabs (far fewer allocations than nodes), a node an entry outgrows
// hands its room to the next one, and a clone appends into rooms of its
// own, never the original's.
func TestStreamNodeSlabs(t *testing.T) {
	fv := [][]byte{[]byte("f0"), []byte("v000000000000001"), []byte("f1"), []byte("v000000000000002"), []byte("f2"), []byte("v000000000000003")}
	var s *Stream
	const entries = 20000
	allocs := testing.AllocsPerRun(1, func() {
		s = NewStream()
		for i := range entries {
			s.Append(StreamID{Ms: 1, Seq: uint64(i)}, fv, 4096, 100)
		}
	})
	nodes := s.NodeCount()
	if nodes < 250 {
		t.Fatalf("%d nodes: entries too small for the test", nodes)
	}
	// Each node once had its own room; the nodes slice's growth adds a
	// few dozen allocations.
	if allocs > float64(nodes)/3 {
		t.Fatalf("%v allocations for %d nodes", allocs, nodes)
	}
	if got := streamCollect(s, StreamID{}, MaxStreamID, false); len(got) != entries || got[entries-1].id.Seq != entries-1 {
		t.Fatalf("%d entries read back", len(got))
	}

	c := s.Clone().(*Stream)
	other := [][]byte{[]byte("f0"), []byte("clone")}
	for i := range 300 { // several nodes each, the original's first
		s.Append(StreamID{Ms: 2, Seq: uint64(i)}, fv, 4096, 100)
		c.Append(StreamID{Ms: 2, Seq: uint64(i)}, other, 4096, 100)
	}
	for _, e := range streamCollect(s, StreamID{Ms: 2}, MaxStreamID, false) {
		if len(e.fv) != 6 {
			t.Fatalf("original's %v reads %v", e.id, e.fv)
		}
	}
	for _, e := range streamCollect(c, StreamID{Ms: 2}, MaxStreamID, false) {
		if len(e.fv) != 2 || e.fv[1] != "clone" {
			t.Fatalf("clone's %v reads %v", e.id, e.fv)
		}
	}
}

// TestStreamTrimDropsNodes: the nodes a trim removes from the head are no
// longer reachable from the node slice's storage (which keeps what lies
// before the slice's start until it grows again), so their buffers and
// slabs can be collected.
func TestStreamTrimDropsNodes(t *testing.T) {
	s := NewStream()
	fv := [][]byte{[]byte("f"), []byte("0123456789abcdef")}
	for i := range 1000 {
		s.Append(StreamID{Ms: 1, Seq: uint64(i)}, fv, 4096, 10)
	}
	storage := s.nodes[:cap(s.nodes)]
	if removed := s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 500, Approx: true}); removed != 500 {
		t.Fatalf("trimmed %d entries, want 500", removed)
	}
	for i := range 50 {
		if storage[i].lp != nil {
			t.Fatalf("trimmed node %d still holds its buffer", i)
		}
	}
	if got := streamCollect(s, StreamID{}, MaxStreamID, false); len(got) != 500 || got[0].id.Seq != 500 {
		t.Fatalf("%d entries left, first %v", len(got), got[0].id)
	}
}

// TestStreamSmallStreamKeepsNoRoom: a stream of a few nodes whose last
// node its last entry outgrew keeps no spare room for a next node that
// may never come (its rooms are blocks of their own, which the collector
// takes).
func TestStreamSmallStreamKeepsNoRoom(t *testing.T) {
	overflowed := 0
	for l := 40; l < 400; l++ {
		fv := [][]byte{[]byte("f"), make([]byte, l)}
		for i := range fv[1] {
			fv[1][i] = 'a'
		}
		s := NewStream()
		for seq := uint64(1); len(s.nodes) == 1 || seq == 1; seq++ {
			s.Append(StreamID{Ms: 1, Seq: seq}, fv, 4096, 0)
			if len(s.nodes) == 1 && len(s.nodes[0].lp) > 4096 {
				overflowed++
				if s.room != nil {
					t.Fatalf("value of %d bytes: a one-node stream keeps %d bytes of room", l, cap(s.room))
				}
				break
			}
		}
	}
	if overflowed == 0 {
		t.Fatal("no value size made a node outgrow its room")
	}
}
