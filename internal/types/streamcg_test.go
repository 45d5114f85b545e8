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
