package types

// PEL is a pending-entries list: the NACKs of a consumer group (or of one
// consumer) ordered by ID. Redis keeps it in a radix tree; here it is a
// B+tree of NACK pointers, so that a delivery, an XACK or a claim costs
// O(log n) however many entries are pending (the sorted slice it replaced
// moved every later entry on each insert and removal), while iteration
// is in ID order, as Redis's, for XPENDING, XINFO, XAUTOCLAIM and the RDB.
//
// Leaves hold up to pelLeafMax NACKs; inner nodes up to pelKidsMax kids.
// An inner node's keys[i] (i >= 1) separates kids[i-1] (below it) from
// kids[i] (at or above it); keys[0] is unused, and separators are left as
// they are when entries go, since removing entries cannot break that rule.
// There is no leaf chain: iteration walks the tree, and callers that
// change the PEL while walking it re-seek with Ceil.
type PEL struct {
	root *pelNode
	n    int
}

const (
	pelLeafMax = 64
	pelKidsMax = 64
	// pelKeepEmpty: a PEL emptied keeps a root leaf of up to this many
	// slots. A consumer's PEL that holds one entry at a time (read one,
	// ack it, as most consumers do) would otherwise allocate a leaf for
	// every delivery.
	pelKeepEmpty = 4
)

type pelNode struct {
	nacks []*StreamNACK // leaf
	keys  []StreamID    // inner: separators
	kids  []*pelNode    // inner
}

func (nd *pelNode) leaf() bool { return nd.kids == nil }

// width is the number of NACKs (leaf) or kids (inner) a node holds.
func (nd *pelNode) width() int {
	if nd.leaf() {
		return len(nd.nacks)
	}
	return len(nd.kids)
}

// leafPos is the first position of a leaf whose ID is >= id.
func (nd *pelNode) leafPos(id StreamID) (int, bool) {
	lo, hi := 0, len(nd.nacks)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if nd.nacks[m].ID.Compare(id) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(nd.nacks) && nd.nacks[lo].ID == id
}

// kidFor is the kid of an inner node whose range holds id.
func (nd *pelNode) kidFor(id StreamID) int {
	lo, hi := 1, len(nd.kids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if id.Compare(nd.keys[m]) >= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// Len is the number of pending entries.
func (p *PEL) Len() int { return p.n }

// Get finds the NACK of id, or nil.
func (p *PEL) Get(id StreamID) *StreamNACK {
	nd := p.root
	if nd == nil {
		return nil
	}
	for !nd.leaf() {
		nd = nd.kids[nd.kidFor(id)]
	}
	if i, ok := nd.leafPos(id); ok {
		return nd.nacks[i]
	}
	return nil
}

// Insert adds x by its ID, replacing a NACK with the same ID.
func (p *PEL) Insert(x *StreamNACK) {
	if p.root == nil {
		p.root = &pelNode{nacks: make([]*StreamNACK, 0, pelKeepEmpty)}
	}
	right, sep, added := p.root.insert(x)
	if right != nil {
		p.root = &pelNode{keys: []StreamID{{}, sep}, kids: []*pelNode{p.root, right}}
	}
	if added {
		p.n++
	}
}

// splitAt is where a node that overflowed after an insert at position i
// splits: an append (the usual case: IDs are delivered in order) leaves
// the left node full, anything else halves it.
func splitAt(i, n int) int {
	if i == n-1 {
		return n - 1
	}
	return n / 2
}

func (nd *pelNode) insert(x *StreamNACK) (right *pelNode, sep StreamID, added bool) {
	if nd.leaf() {
		i, found := nd.leafPos(x.ID)
		if found {
			nd.nacks[i] = x
			return nil, sep, false
		}
		nd.nacks = append(nd.nacks, nil)
		copy(nd.nacks[i+1:], nd.nacks[i:])
		nd.nacks[i] = x
		if len(nd.nacks) <= pelLeafMax {
			return nil, sep, true
		}
		mid := splitAt(i, len(nd.nacks))
		r := &pelNode{nacks: make([]*StreamNACK, len(nd.nacks)-mid, pelLeafMax)}
		copy(r.nacks, nd.nacks[mid:])
		clear(nd.nacks[mid:])
		nd.nacks = nd.nacks[:mid]
		return r, r.nacks[0].ID, true
	}
	k := nd.kidFor(x.ID)
	r, s, added := nd.kids[k].insert(x)
	if r == nil {
		return nil, sep, added
	}
	nd.keys = append(nd.keys, StreamID{})
	copy(nd.keys[k+2:], nd.keys[k+1:])
	nd.keys[k+1] = s
	nd.kids = append(nd.kids, nil)
	copy(nd.kids[k+2:], nd.kids[k+1:])
	nd.kids[k+1] = r
	if len(nd.kids) <= pelKidsMax {
		return nil, sep, added
	}
	mid := splitAt(k+1, len(nd.kids))
	sep = nd.keys[mid]
	right = &pelNode{
		keys: append(make([]StreamID, 0, pelKidsMax), nd.keys[mid:]...),
		kids: append(make([]*pelNode, 0, pelKidsMax), nd.kids[mid:]...),
	}
	right.keys[0] = StreamID{}
	clear(nd.kids[mid:])
	nd.keys, nd.kids = nd.keys[:mid], nd.kids[:mid]
	return right, sep, added
}

// Remove takes id out, returning its NACK (nil when it was not pending).
func (p *PEL) Remove(id StreamID) *StreamNACK {
	if p.root == nil {
		return nil
	}
	x := p.root.remove(id)
	if x == nil {
		return nil
	}
	p.n--
	for p.root != nil && !p.root.leaf() && len(p.root.kids) == 1 {
		p.root = p.root.kids[0]
	}
	if p.root != nil && p.root.leaf() && len(p.root.nacks) == 0 && cap(p.root.nacks) > pelKeepEmpty {
		p.root = nil
	}
	return x
}

func (nd *pelNode) remove(id StreamID) *StreamNACK {
	if nd.leaf() {
		i, found := nd.leafPos(id)
		if !found {
			return nil
		}
		x := nd.nacks[i]
		copy(nd.nacks[i:], nd.nacks[i+1:])
		nd.nacks[len(nd.nacks)-1] = nil
		nd.nacks = nd.nacks[:len(nd.nacks)-1]
		return x
	}
	k := nd.kidFor(id)
	kid := nd.kids[k]
	x := kid.remove(id)
	if x == nil {
		return nil
	}
	switch w := kid.width(); {
	case w == 0:
		nd.dropKid(k)
	case w < pelLeafMax/4:
		// Underfull: merge with a neighbour when the two fit in one, so
		// that a PEL emptied in a scattered order does not keep a tree of
		// nearly empty nodes.
		if k+1 < len(nd.kids) && w+nd.kids[k+1].width() <= pelLeafMax {
			nd.merge(k)
		} else if k > 0 && w+nd.kids[k-1].width() <= pelLeafMax {
			nd.merge(k - 1)
		}
	}
	return x
}

// dropKid removes kid k; its range goes to its left neighbour (or, for
// the first kid, to the next, whose separator becomes the unused keys[0]).
func (nd *pelNode) dropKid(k int) {
	copy(nd.kids[k:], nd.kids[k+1:])
	nd.kids[len(nd.kids)-1] = nil
	nd.kids = nd.kids[:len(nd.kids)-1]
	copy(nd.keys[k:], nd.keys[k+1:])
	nd.keys = nd.keys[:len(nd.keys)-1]
}

// merge moves kid k+1's content into kid k and drops kid k+1.
func (nd *pelNode) merge(k int) {
	l, r := nd.kids[k], nd.kids[k+1]
	if l.leaf() {
		l.nacks = append(l.nacks, r.nacks...)
	} else {
		l.keys = append(l.keys, nd.keys[k+1])
		l.keys = append(l.keys, r.keys[1:]...)
		l.kids = append(l.kids, r.kids...)
	}
	nd.dropKid(k + 1)
}

// Ascend calls fn for each NACK from the first with an ID >= from, in ID
// order, until fn returns false. fn must not change the PEL.
func (p *PEL) Ascend(from StreamID, fn func(*StreamNACK) bool) {
	if p.root != nil {
		p.root.ascend(from, fn)
	}
}

// All calls fn for every NACK in ID order until it returns false.
func (p *PEL) All(fn func(*StreamNACK) bool) { p.Ascend(StreamID{}, fn) }

func (nd *pelNode) ascend(from StreamID, fn func(*StreamNACK) bool) bool {
	if nd.leaf() {
		i, _ := nd.leafPos(from)
		for ; i < len(nd.nacks); i++ {
			if !fn(nd.nacks[i]) {
				return false
			}
		}
		return true
	}
	for k := nd.kidFor(from); k < len(nd.kids); k++ {
		if !nd.kids[k].ascend(from, fn) {
			return false
		}
	}
	return true
}

// Ceil is the first NACK with an ID >= id, or nil.
func (p *PEL) Ceil(id StreamID) *StreamNACK {
	var x *StreamNACK
	p.Ascend(id, func(n *StreamNACK) bool { x = n; return false })
	return x
}

// First and Last are the NACKs with the smallest and largest IDs (nil
// when the PEL is empty).
func (p *PEL) First() *StreamNACK { return p.Ceil(StreamID{}) }

// Last: see First.
func (p *PEL) Last() *StreamNACK {
	nd := p.root
	if nd == nil {
		return nil
	}
	for !nd.leaf() {
		nd = nd.kids[len(nd.kids)-1]
	}
	if len(nd.nacks) == 0 { // an emptied PEL's kept root
		return nil
	}
	return nd.nacks[len(nd.nacks)-1]
}

// CountFrom is the number of NACKs with an ID >= id, at most limit
// (limit < 0: no limit).
func (p *PEL) CountFrom(id StreamID, limit int) int {
	n := 0
	p.Ascend(id, func(*StreamNACK) bool {
		if limit >= 0 && n >= limit {
			return false
		}
		n++
		return true
	})
	return n
}
