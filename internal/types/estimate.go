package types

// Constant-time size estimates for the dataset account (internal/keyspace
// memory.go), which re-estimates a value after every write that changes it:
// MemoryUsage walks a list's or a stream's nodes, too slow for that on a
// long value. These sample the nodes at both ends instead, as MEMORY USAGE
// SAMPLES samples a hash's entries.

// estimateSamples is how many nodes each end contributes.
const estimateSamples = 4

// SizeEstimate estimates the bytes the list occupies from its end nodes'
// bytes per element.
func (l *List) SizeEstimate() int {
	if l.n == 0 || l.head == nil {
		return sizeListHeader
	}
	bytes, elems := 0, 0
	nd := l.head
	for i := 0; i < estimateSamples && nd != nil; i++ {
		bytes += sizeListNode + cap(nd.buf)
		elems += int(nd.cnt)
		if nd == l.tail {
			nd = nil
			break
		}
		nd = nd.next
	}
	// The tail's side, unless the walk from the head already reached it.
	if nd != nil {
		for i, t := 0, l.tail; i < estimateSamples && t != nil && t != nd.prev; i++ {
			bytes += sizeListNode + cap(t.buf)
			elems += int(t.cnt)
			t = t.prev
		}
	}
	if elems >= l.n || elems == 0 {
		return sizeListHeader + bytes
	}
	return sizeListHeader + bytes*l.n/elems
}

// SizeEstimate estimates the bytes the stream occupies from its end nodes
// and its consumer groups.
func (s *Stream) SizeEstimate() int {
	n := 96 + 40*cap(s.nodes) + len(s.slab) + cap(s.room)
	k := len(s.nodes)
	if k <= 2*estimateSamples {
		for _, nd := range s.nodes {
			n += cap(nd.lp)
		}
	} else {
		sum := 0
		for i := 0; i < estimateSamples; i++ {
			sum += cap(s.nodes[i].lp) + cap(s.nodes[k-1-i].lp)
		}
		n += sum * k / (2 * estimateSamples)
	}
	for _, g := range s.Groups {
		n += g.memoryUsage()
	}
	return n
}
