package types

import (
	"slices"
	"strings"
)

// Consumer groups of a stream. Redis keeps groups, consumers and both
// pending-entries lists (PEL) in radix trees; here groups and consumers
// are slices sorted the same way (names as bytes: a stream has few), and
// the PELs B+trees by ID (streampel.go), so iteration order, and so XINFO
// and the RDB, are Redis's.

// StreamNACK is a pending entry: delivered to Consumer and not yet
// acknowledged. The group's PEL and the consumer's share the same NACK.
type StreamNACK struct {
	ID            StreamID
	Consumer      *StreamConsumer
	DeliveryTime  int64 // unix ms of the last delivery
	DeliveryCount uint64
}

// StreamConsumer is a consumer of a group.
type StreamConsumer struct {
	Name     string
	SeenTime int64 // unix ms of the last interaction
	// PEL holds the consumer's pending entries, by ID.
	PEL PEL
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name   string
	LastID StreamID // last delivered ID
	// EntriesRead is the group's logical read counter, -1 when unknown
	// (SCG_INVALID_ENTRIES_READ).
	EntriesRead int64
	// PEL holds the group's pending entries, by ID.
	PEL PEL
	// Consumers are sorted by name.
	Consumers []*StreamConsumer
	// spare is the last NACK acknowledged, for NewNACK.
	spare *StreamNACK
	// consumerBytes is the consumers' share of memoryUsage, kept as they
	// come and go: the estimate is taken after every write to the stream
	// (XREADGROUP, XACK), and a walk over the consumers would cost more
	// than the command.
	consumerBytes int
}

// consumerSize is a consumer's own share of memoryUsage (its pending
// entries are counted with the group's).
func consumerSize(name string) int { return 64 + len(name) }

// groupPos is where the group called name is, or would go, in Groups
// (as consumerPos: every XREADGROUP and XACK looks its group up).
func (s *Stream) groupPos(name []byte) (int, bool) {
	lo, hi := 0, len(s.Groups)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.Groups[m].Name < string(name) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(s.Groups) && s.Groups[lo].Name == string(name)
}

// Group finds a group by name.
func (s *Stream) Group(name []byte) *StreamGroup {
	i, ok := s.groupPos(name)
	if !ok {
		return nil
	}
	return s.Groups[i]
}

// AddGroup creates a group, or returns nil when one has that name.
func (s *Stream) AddGroup(name []byte, last StreamID, entriesRead int64) *StreamGroup {
	i, ok := s.groupPos(name)
	if ok {
		return nil
	}
	g := &StreamGroup{Name: string(name), LastID: last, EntriesRead: entriesRead}
	s.Groups = slices.Insert(s.Groups, i, g)
	return g
}

// consumerPos is where the consumer called name is, or would go, in
// Consumers: a binary search without the generic one's callback, since
// every XREADGROUP looks its consumer up.
func (g *StreamGroup) consumerPos(name []byte) (int, bool) {
	lo, hi := 0, len(g.Consumers)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if g.Consumers[m].Name < string(name) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(g.Consumers) && g.Consumers[lo].Name == string(name)
}

// Consumer finds a consumer by name.
func (g *StreamGroup) Consumer(name []byte) *StreamConsumer {
	i, ok := g.consumerPos(name)
	if !ok {
		return nil
	}
	return g.Consumers[i]
}

// AddConsumer creates a consumer, or returns nil when one has that name.
func (g *StreamGroup) AddConsumer(name []byte, seen int64) *StreamConsumer {
	i, ok := g.consumerPos(name)
	if ok {
		return nil
	}
	c := &StreamConsumer{Name: string(name), SeenTime: seen}
	g.Consumers = slices.Insert(g.Consumers, i, c)
	g.consumerBytes += consumerSize(c.Name)
	return c
}

func cloneGroups(gs []*StreamGroup) []*StreamGroup {
	if gs == nil {
		return nil
	}
	out := make([]*StreamGroup, len(gs))
	for i, g := range gs {
		ng := &StreamGroup{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead, consumerBytes: g.consumerBytes}
		byID := make(map[StreamID]*StreamNACK, g.PEL.Len())
		g.PEL.All(func(n *StreamNACK) bool {
			nn := *n
			ng.PEL.Insert(&nn)
			byID[n.ID] = &nn
			return true
		})
		ng.Consumers = make([]*StreamConsumer, len(g.Consumers))
		for j, c := range g.Consumers {
			nc := &StreamConsumer{Name: c.Name, SeenTime: c.SeenTime}
			c.PEL.All(func(n *StreamNACK) bool {
				nn := byID[n.ID]
				nn.Consumer = nc
				nc.PEL.Insert(nn)
				return true
			})
			ng.Consumers[j] = nc
		}
		out[i] = ng
	}
	return out
}

// memoryUsage estimates the group's bytes: a pending entry costs its NACK
// and a slot in the group's PEL and in its consumer's (8 bytes; an entry
// loaded without a consumer is counted as if it had one).
func (g *StreamGroup) memoryUsage() int {
	return 64 + len(g.Name) + (56+8)*g.PEL.Len() + g.consumerBytes
}

// DeleteGroup removes a group by name, reporting whether it existed.
func (s *Stream) DeleteGroup(name []byte) bool {
	i, ok := s.groupPos(name)
	if ok {
		s.Groups = slices.Delete(s.Groups, i, i+1)
	}
	return ok
}

// DeleteConsumer removes a consumer and its pending entries (from the
// group's PEL too), returning how many it had pending.
func (g *StreamGroup) DeleteConsumer(c *StreamConsumer) int {
	c.PEL.All(func(n *StreamNACK) bool {
		g.PEL.Remove(n.ID)
		return true
	})
	i, ok := slices.BinarySearchFunc(g.Consumers, c.Name, func(x *StreamConsumer, n string) int {
		return strings.Compare(x.Name, n)
	})
	if ok {
		g.Consumers = slices.Delete(g.Consumers, i, i+1)
		g.consumerBytes -= consumerSize(c.Name)
	}
	return c.PEL.Len()
}

// Ack removes id from the group's PEL and its consumer's, reporting
// whether it was pending.
func (g *StreamGroup) Ack(id StreamID) bool {
	n := g.PEL.Remove(id)
	if n == nil {
		return false
	}
	if n.Consumer != nil {
		n.Consumer.PEL.Remove(id)
	}
	// Nothing holds an acknowledged NACK (the command path copies what
	// it reads; clones and snapshots have their own), so the group's
	// next delivery may take it.
	n.Consumer = nil
	g.spare = n
	return true
}

// NewNACK returns a NACK for a first delivery of id to c at now: the last
// one acknowledged when there is one (a group whose consumers read and
// acknowledge one entry at a time allocates nothing per delivery), else a
// new one. The caller inserts it in the PELs.
func (g *StreamGroup) NewNACK(id StreamID, c *StreamConsumer, now int64) *StreamNACK {
	n := g.spare
	if n == nil {
		n = new(StreamNACK)
	}
	g.spare = nil
	*n = StreamNACK{ID: id, Consumer: c, DeliveryTime: now, DeliveryCount: 1}
	return n
}
