package types

import (
	"slices"
	"strings"
)

// btree is the ordered half of the big sorted-set encoding: an
// order-statistic B+tree of (score, member) entries. Redis uses a skiplist
// here; a skiplist node in Go costs a header, a separately allocated level
// slice and pointer chasing per element (over 100 bytes each), while B+tree
// leaves hold entries inline, 24 bytes each, so the tree costs about a third
// of the memory and is friendlier to the cache. Inner nodes keep the size of
// every subtree, which gives ranks in O(log n), the skiplist's span trick.
//
// Entries are ordered by score, then member bytes, and are unique per member
// (the dict enforces that). Members are the dict's strings, shared, not
// copied.
type btree struct {
	root *btNode
	n    int
}

const (
	btLeafMax = 64 // 64 entries × 24 bytes fill a 1536-byte size class exactly
	btKidsMax = 64
)

type zent struct {
	member string
	score  float64
}

// btNode is a leaf (kids == nil) or an inner node. In an inner node ents[i]
// (i >= 1) is a separator: every entry under kids[i-1] is below it and every
// entry under kids[i] is at or above it; ents[0] is unused. Separators are
// never updated on deletion, since removing entries cannot break that rule.
type btNode struct {
	ents       []zent
	kids       []*btNode
	cnts       []int   // entries under each kid
	prev, next *btNode // leaf chain, in order
}

// zcmp orders a (score, member) key against an entry.
func zcmp(score float64, member string, e *zent) int {
	switch {
	case score < e.score:
		return -1
	case score > e.score:
		return 1
	}
	return strings.Compare(member, e.member)
}

// leafPos returns the first position whose entry is >= the key.
func leafPos(ents []zent, score float64, member string) int {
	lo, hi := 0, len(ents)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if zcmp(score, member, &ents[m]) > 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// kidFor returns the kid whose range holds the key.
func (nd *btNode) kidFor(score float64, member string) int {
	lo, hi := 1, len(nd.kids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if zcmp(score, member, &nd.ents[m]) >= 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

func (nd *btNode) size() int {
	if nd.kids == nil {
		return len(nd.ents)
	}
	n := 0
	for _, c := range nd.cnts {
		n += c
	}
	return n
}

// width is the number of slots in use: entries of a leaf, kids of an inner
// node.
func (nd *btNode) width() int {
	if nd.kids == nil {
		return len(nd.ents)
	}
	return len(nd.kids)
}

func newLeaf() *btNode { return &btNode{ents: make([]zent, 0, btLeafMax)} }

func newInner() *btNode {
	return &btNode{
		ents: make([]zent, 0, btKidsMax+1),
		kids: make([]*btNode, 0, btKidsMax+1),
		cnts: make([]int, 0, btKidsMax+1),
	}
}

func (t *btree) insert(member string, score float64) {
	e := zent{member, score}
	if t.root == nil {
		t.root = newLeaf()
	}
	if right, sep := t.insertIn(t.root, e); right != nil {
		if right.kids == nil {
			sep = right.ents[0]
		}
		left := t.root
		t.root = newInner()
		t.root.ents = append(t.root.ents, zent{}, sep)
		t.root.kids = append(t.root.kids, left, right)
		t.root.cnts = append(t.root.cnts, left.size(), right.size())
	}
	t.n++
}

// insertIn adds e under nd. When nd had to split it returns the new right
// sibling and the separator to put before it.
func (t *btree) insertIn(nd *btNode, e zent) (*btNode, zent) {
	if nd.kids == nil {
		i := leafPos(nd.ents, e.score, e.member)
		if len(nd.ents) < btLeafMax {
			nd.ents = slices.Insert(nd.ents, i, e)
			return nil, zent{}
		}
		return nd.splitLeaf(i, e), zent{}
	}
	k := nd.kidFor(e.score, e.member)
	right, sep := t.insertIn(nd.kids[k], e)
	nd.cnts[k]++
	if right == nil {
		return nil, zent{}
	}
	if right.kids == nil {
		sep = right.ents[0]
	}
	rs := right.size()
	nd.cnts[k] -= rs
	nd.kids = slices.Insert(nd.kids, k+1, right)
	nd.cnts = slices.Insert(nd.cnts, k+1, rs)
	nd.ents = slices.Insert(nd.ents, k+1, sep)
	if len(nd.kids) <= btKidsMax {
		return nil, zent{}
	}
	h := len(nd.kids) / 2
	r := newInner()
	r.ents = append(r.ents, nd.ents[h:]...)
	r.kids = append(r.kids, nd.kids[h:]...)
	r.cnts = append(r.cnts, nd.cnts[h:]...)
	sep = r.ents[0]
	r.ents[0] = zent{}
	clear(nd.ents[h:])
	clear(nd.kids[h:])
	nd.ents, nd.kids, nd.cnts = nd.ents[:h], nd.kids[:h], nd.cnts[:h]
	return r, sep
}

// splitLeaf splits the full leaf nd while inserting e at position i, and
// returns the new right leaf. Appending past the last entry of the tree (or
// before the first) leaves the full leaf full, so ascending inserts such as
// timestamps build packed leaves instead of half-empty ones.
func (nd *btNode) splitLeaf(i int, e zent) *btNode {
	right := newLeaf()
	switch {
	case i == len(nd.ents) && nd.next == nil:
		right.ents = append(right.ents, e)
	case i == 0 && nd.prev == nil:
		right.ents = append(right.ents, nd.ents...)
		clear(nd.ents)
		nd.ents = append(nd.ents[:0], e)
	default:
		h := len(nd.ents) / 2
		right.ents = append(right.ents, nd.ents[h:]...)
		clear(nd.ents[h:])
		nd.ents = nd.ents[:h]
		if i <= h {
			nd.ents = slices.Insert(nd.ents, i, e)
		} else {
			right.ents = slices.Insert(right.ents, i-h, e)
		}
	}
	right.prev, right.next = nd, nd.next
	if nd.next != nil {
		nd.next.prev = right
	}
	nd.next = right
	return right
}

// delete removes the entry (score, member) and reports whether it was there.
func (t *btree) delete(member string, score float64) bool {
	if t.root == nil || !t.deleteIn(t.root, score, member) {
		return false
	}
	t.n--
	if t.n == 0 {
		t.root = nil
		return true
	}
	for t.root.kids != nil && len(t.root.kids) == 1 {
		t.root = t.root.kids[0]
	}
	return true
}

func (t *btree) deleteIn(nd *btNode, score float64, member string) bool {
	if nd.kids == nil {
		i := leafPos(nd.ents, score, member)
		if i == len(nd.ents) || nd.ents[i].member != member {
			return false
		}
		nd.ents = slices.Delete(nd.ents, i, i+1)
		return true
	}
	k := nd.kidFor(score, member)
	if !t.deleteIn(nd.kids[k], score, member) {
		return false
	}
	nd.cnts[k]--
	nd.rebalance(k)
	return true
}

// rebalance drops kid k if it became empty, or merges it with a neighbour
// when both together fill at most three quarters of a node. Merging only
// (no borrowing) keeps the code small; the three-quarter rule keeps a merged
// node from splitting again on the next insert.
func (nd *btNode) rebalance(k int) {
	kid := nd.kids[k]
	w := kid.width()
	if w == 0 {
		if kid.kids == nil {
			kid.unlinkLeaf()
		}
		nd.removeKid(k)
		return
	}
	maxW := btLeafMax
	if kid.kids != nil {
		maxW = btKidsMax
	}
	if w >= maxW/4 || len(nd.kids) < 2 {
		return
	}
	a := k
	if k+1 == len(nd.kids) {
		a = k - 1
	}
	left, right := nd.kids[a], nd.kids[a+1]
	if left.width()+right.width() > maxW*3/4 {
		return
	}
	if left.kids == nil {
		left.ents = append(left.ents, right.ents...)
		right.unlinkLeaf()
	} else {
		left.ents = append(left.ents, nd.ents[a+1])
		left.ents = append(left.ents, right.ents[1:]...)
		left.kids = append(left.kids, right.kids...)
		left.cnts = append(left.cnts, right.cnts...)
	}
	nd.cnts[a] += nd.cnts[a+1]
	nd.removeKid(a + 1)
}

func (nd *btNode) removeKid(k int) {
	nd.kids = slices.Delete(nd.kids, k, k+1)
	nd.cnts = slices.Delete(nd.cnts, k, k+1)
	nd.ents = slices.Delete(nd.ents, k, k+1)
}

func (nd *btNode) unlinkLeaf() {
	if nd.prev != nil {
		nd.prev.next = nd.next
	}
	if nd.next != nil {
		nd.next.prev = nd.prev
	}
	nd.prev, nd.next = nil, nil
}

// update changes the score of (old, member) to score. When the entry keeps
// its place between its neighbours in the same leaf it is rewritten in
// place, as Redis's zslUpdateScore does; otherwise it is moved.
func (t *btree) update(member string, old, score float64) {
	nd := t.root
	for nd.kids != nil {
		nd = nd.kids[nd.kidFor(old, member)]
	}
	i := leafPos(nd.ents, old, member)
	if i > 0 && i+1 < len(nd.ents) &&
		zcmp(score, member, &nd.ents[i-1]) > 0 && zcmp(score, member, &nd.ents[i+1]) < 0 {
		nd.ents[i].score = score
		return
	}
	t.delete(member, old)
	t.insert(member, score)
}

// at returns the leaf and position of the entry of rank r (0 <= r < n).
func (t *btree) at(r int) (*btNode, int) {
	nd := t.root
	for nd.kids != nil {
		k := 0
		for r >= nd.cnts[k] {
			r -= nd.cnts[k]
			k++
		}
		nd = nd.kids[k]
	}
	return nd, r
}

// rank returns the rank of (score, member) and whether it is present.
func (t *btree) rank(member string, score float64) (int, bool) {
	if t.root == nil {
		return 0, false
	}
	r := 0
	nd := t.root
	for nd.kids != nil {
		k := nd.kidFor(score, member)
		for _, c := range nd.cnts[:k] {
			r += c
		}
		nd = nd.kids[k]
	}
	i := leafPos(nd.ents, score, member)
	return r + i, i < len(nd.ents) && nd.ents[i].member == member
}

// seek returns the rank of the first entry for which after is true; after
// must be monotonic over the order (false for a prefix, true for the rest).
func (t *btree) seek(after func(e *zent) bool) int {
	if t.root == nil {
		return 0
	}
	r := 0
	nd := t.root
	for nd.kids != nil {
		// The first separator that is "after" bounds the answer to the kid
		// just before it (or the start of the kid it heads).
		lo, hi := 1, len(nd.kids)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if after(&nd.ents[m]) {
				hi = m
			} else {
				lo = m + 1
			}
		}
		k := lo - 1
		for _, c := range nd.cnts[:k] {
			r += c
		}
		nd = nd.kids[k]
	}
	lo, hi := 0, len(nd.ents)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if after(&nd.ents[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return r + lo
}

// walk calls fn for entries from rank r on, forwards or backwards, until fn
// returns false or the tree ends.
func (t *btree) walk(r int, reverse bool, fn func(e *zent) bool) {
	if r < 0 || r >= t.n {
		return
	}
	nd, i := t.at(r)
	for nd != nil {
		if reverse {
			for ; i >= 0; i-- {
				if !fn(&nd.ents[i]) {
					return
				}
			}
			if nd = nd.prev; nd != nil {
				i = len(nd.ents) - 1
			}
		} else {
			for ; i < len(nd.ents); i++ {
				if !fn(&nd.ents[i]) {
					return
				}
			}
			nd, i = nd.next, 0
		}
	}
}
