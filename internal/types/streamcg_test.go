package types

import (
	"math/rand"
	"testing"
)

// TestStreamGroupMemoryUsage: the group's estimate, kept as consumers come
// and go, equals the one counted over the consumers, after adds, deletes
// (with their pending entries), acks and clones.
func TestStreamGroupMemoryUsage(t *testing.T) {
	counted := func(g *StreamGroup) int {
		n := 64 + len(g.Name) + 56*g.PEL.Len()
		for _, c := range g.Consumers {
			n += 64 + len(c.Name) + 8*c.PEL.Len()
		}
		return n
	}
	rng := rand.New(rand.NewSource(5))
	s := NewStream()
	g := s.AddGroup([]byte("g"), StreamID{}, 0)
	next := uint64(1)
	for step := 0; step < 2000; step++ {
		name := []byte{'c', byte('a' + rng.Intn(20))}
		switch r := rng.Intn(4); {
		case r == 0:
			g.AddConsumer(name, 0) // nil when it exists: no change
		case r == 1:
			if c := g.Consumer(name); c != nil {
				g.DeleteConsumer(c)
			}
		case r == 2:
			if c := g.Consumer(name); c != nil {
				n := &StreamNACK{ID: StreamID{Ms: next}, Consumer: c}
				next++
				g.PEL.Insert(n)
				c.PEL.Insert(n)
			}
		default:
			g.Ack(StreamID{Ms: uint64(1 + rng.Intn(int(next)))})
		}
		if got, want := g.memoryUsage(), counted(g); got != want {
			t.Fatalf("step %d: estimate %d, counted %d", step, got, want)
		}
	}
	c := s.Clone().(*Stream)
	if got, want := c.Groups[0].memoryUsage(), counted(c.Groups[0]); got != want {
		t.Fatalf("clone: estimate %d, counted %d", got, want)
	}
}

// TestStreamGroupsAndConsumersByName: groups and consumers stay sorted by
// name as bytes (Redis's rax order) and are found by name, whatever order
// they come and go in.
func TestStreamGroupsAndConsumersByName(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	s := NewStream()
	g0 := s.AddGroup([]byte("g0"), StreamID{}, 0)
	want := map[string]bool{}
	for step := 0; step < 3000; step++ {
		name := []byte{byte('a' + rng.Intn(6)), byte(rng.Intn(256))}
		switch rng.Intn(3) {
		case 0:
			if (s.AddGroup(name, StreamID{}, 0) == nil) != want["g"+string(name)] {
				t.Fatalf("AddGroup(%q) disagrees", name)
			}
			want["g"+string(name)] = true
			if (g0.AddConsumer(name, 0) == nil) != want["c"+string(name)] {
				t.Fatalf("AddConsumer(%q) disagrees", name)
			}
			want["c"+string(name)] = true
		case 1:
			if s.DeleteGroup(name) != want["g"+string(name)] {
				t.Fatalf("DeleteGroup(%q) disagrees", name)
			}
			delete(want, "g"+string(name))
			if c := g0.Consumer(name); (c != nil) != want["c"+string(name)] {
				t.Fatalf("Consumer(%q) disagrees", name)
			} else if c != nil {
				g0.DeleteConsumer(c)
				delete(want, "c"+string(name))
			}
		default:
			if g := s.Group(name); (g != nil) != want["g"+string(name)] || (g != nil && g.Name != string(name)) {
				t.Fatalf("Group(%q) = %v", name, g)
			}
		}
	}
	for i := 1; i < len(s.Groups); i++ {
		if s.Groups[i-1].Name >= s.Groups[i].Name {
			t.Fatalf("groups out of order: %q before %q", s.Groups[i-1].Name, s.Groups[i].Name)
		}
	}
	for i := 1; i < len(g0.Consumers); i++ {
		if g0.Consumers[i-1].Name >= g0.Consumers[i].Name {
			t.Fatalf("consumers out of order: %q before %q", g0.Consumers[i-1].Name, g0.Consumers[i].Name)
		}
	}
}

// TestStreamGroupDeliverAckAllocates: a consumer that reads one entry and
// acknowledges it, over and over, allocates nothing in the group: the
// NACK acknowledged is the next one delivered, and the PELs keep their
// leaves; what an acknowledged NACK held is gone from it.
func TestStreamGroupDeliverAckAllocates(t *testing.T) {
	s := NewStream()
	g := s.AddGroup([]byte("g"), StreamID{}, 0)
	c := g.AddConsumer([]byte("c"), 0)
	other := g.AddConsumer([]byte("d"), 0)
	held := g.NewNACK(StreamID{Ms: 1}, other, 5) // pending for the whole test
	g.PEL.Insert(held)
	other.PEL.Insert(held)
	seq := uint64(1)
	cycle := func() {
		seq++
		id := StreamID{Ms: 1, Seq: seq}
		n := g.NewNACK(id, c, int64(seq))
		g.PEL.Insert(n)
		c.PEL.Insert(n)
		if !g.Ack(id) || g.PEL.Len() != 1 || c.PEL.Len() != 0 {
			t.Fatalf("ack of %v: group PEL %d, consumer PEL %d", id, g.PEL.Len(), c.PEL.Len())
		}
	}
	cycle()
	if allocs := testing.AllocsPerRun(100, cycle); allocs != 0 {
		t.Fatalf("%v allocations per delivery and ack", allocs)
	}
	if n := g.PEL.Get(StreamID{Ms: 1}); n != held || n.Consumer != other || n.DeliveryTime != 5 {
		t.Fatalf("the pending NACK changed: %+v", n)
	}
	if g.spare == nil || g.spare.Consumer != nil {
		t.Fatal("the acknowledged NACK is not kept, or still names its consumer")
	}
}
