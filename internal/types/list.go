package types

import "bytes"

// List is Redis's list: a doubly linked list of packed nodes (a quicklist).
// Pushes and pops at either end are O(1) amortized; positional operations
// walk nodes from the nearer end, as Redis does.
//
// The zero value is not usable; call NewList.
type List struct {
	head, tail *lnode
	n          int
	fill       int32 // list-max-listpack-size, fixed at creation as in Redis
}

// Node size limits of list-max-listpack-size: a negative fill caps a node's
// bytes (-1 = 4 KB ... -5 = 64 KB); a positive one caps its element count,
// with an 8 KB safety cap on bytes.
var listSizeLimits = [...]int{4096, 8192, 16384, 32768, 65536}

const listSafetyLimit = 8192

// NewList returns an empty list whose nodes obey fill, the value of
// list-max-listpack-size when the list is created (later CONFIG SET changes
// apply to new lists only, as in Redis). Values below -5 act as -5.
func NewList(fill int) *List {
	fill = min(max(fill, -5), 1<<15-1)
	return &List{fill: int32(fill)}
}

// Reusable reports whether l, a list no longer held by anything, is worth
// keeping for a new list (Reuse): a single node whose buffer is at most
// maxBuf bytes, the list a small key evicted for maxmemory leaves.
func (l *List) Reusable(maxBuf int) bool {
	return l.head != nil && l.head == l.tail && len(l.head.buf) <= maxBuf
}

// Reuse empties l, which Reusable approved, for use as a new list with
// fill: it keeps its node and the node's buffer, empty, so that the first
// push allocates nothing. Until that push the list holds an empty node,
// which no other operation expects: a push must come first (LPUSH and
// RPUSH of a new key, keyspace.DB.NewList).
func (l *List) Reuse(fill int) {
	nd := l.head
	nd.lo, nd.hi, nd.cnt = 0, 0, 0
	l.n, l.fill = 0, int32(min(max(fill, -5), 1<<15-1))
}

// NewListFrom returns a list holding elems in order.
func NewListFrom(fill int, elems [][]byte) *List {
	l := NewList(fill)
	for _, e := range elems {
		l.PushBack(e)
	}
	return l
}

// Len returns the number of elements.
func (l *List) Len() int { return l.n }

// Encoding answers OBJECT ENCODING: Redis 7.0 reports every list as
// "quicklist".
func (l *List) Encoding() string { return "quicklist" }

// byteLimit is the node byte budget used to size buffers.
func (l *List) byteLimit() int {
	if l.fill < 0 {
		return listSizeLimits[-l.fill-1]
	}
	return listSafetyLimit
}

// allows reports whether an entry of sz bytes may join nd.
func (l *List) allows(nd *lnode, sz int) bool {
	size := nd.live() + sz
	if l.fill < 0 {
		return size <= listSizeLimits[-l.fill-1]
	}
	return int(nd.cnt) < int(l.fill) && size <= listSafetyLimit
}

func (l *List) linkAfter(at, nd *lnode) {
	nd.prev = at
	if at == nil {
		nd.next = l.head
		l.head = nd
	} else {
		nd.next = at.next
		at.next = nd
	}
	if nd.next != nil {
		nd.next.prev = nd
	} else {
		l.tail = nd
	}
}

func (l *List) unlink(nd *lnode) {
	if nd.prev != nil {
		nd.prev.next = nd.next
	} else {
		l.head = nd.next
	}
	if nd.next != nil {
		nd.next.prev = nd.prev
	} else {
		l.tail = nd.prev
	}
	nd.prev, nd.next = nil, nil
}

// nextNodeSize sizes the buffer of a node created next to the full node
// full (nil for the first node): as big as that one was, since a list that
// filled a node is likely to fill another, which saves the doubling steps.
func (l *List) nextNodeSize(full *lnode, sz int) int {
	if full == nil {
		return sz
	}
	return max(sz, min(full.live(), l.byteLimit()))
}

// PushBack appends v (RPUSH). v must not alias this list's memory (see Move).
func (l *List) PushBack(v []byte) {
	sz := entrySize(len(v))
	nd := l.tail
	if nd == nil || !l.allows(nd, sz) {
		nd = newLNode(l.nextNodeSize(nd, sz))
		l.linkAfter(l.tail, nd)
	}
	nd.pushBack(v, l.byteLimit())
	l.n++
}

// PushFront prepends v (LPUSH). v must not alias this list's memory.
func (l *List) PushFront(v []byte) {
	sz := entrySize(len(v))
	nd := l.head
	if nd == nil || !l.allows(nd, sz) {
		nd = newLNode(l.nextNodeSize(nd, sz))
		nd.lo, nd.hi = int32(len(nd.buf)), int32(len(nd.buf))
		l.linkAfter(nil, nd)
	} else if nd.cnt == 0 {
		// A reused list's empty node (Reuse): fill it from its end.
		nd.lo, nd.hi = int32(len(nd.buf)), int32(len(nd.buf))
	}
	nd.pushFront(v, l.byteLimit())
	l.n++
}

// PopFront removes and returns the first element (LPOP). The bytes stay
// valid until the next modification of the list.
func (l *List) PopFront() ([]byte, bool) {
	nd := l.head
	if nd == nil {
		return nil, false
	}
	v, e := nd.entryAt(int(nd.lo))
	nd.lo = int32(e)
	l.afterPop(nd)
	return v, true
}

// PopBack removes and returns the last element (RPOP), like PopFront.
func (l *List) PopBack() ([]byte, bool) {
	nd := l.tail
	if nd == nil {
		return nil, false
	}
	v, s := nd.entryBefore(int(nd.hi))
	nd.hi = int32(s)
	l.afterPop(nd)
	return v, true
}

func (l *List) afterPop(nd *lnode) {
	nd.cnt--
	l.n--
	if nd.cnt == 0 {
		l.unlink(nd)
	} else if l.head == l.tail {
		// Only a lone node is worth shrinking: an end node of a longer list
		// is about to drain away or fill up again (a queue).
		nd.maybeShrink()
	}
}

// ListMove pops from one end of src and pushes the element at one end of dst
// (LMOVE, RPOPLPUSH, BLMOVE); src and dst may be the same list. It returns the
// moved element, valid until dst's next modification.
func ListMove(src, dst *List, fromFront, toFront bool) ([]byte, bool) {
	var v []byte
	var ok bool
	if fromFront {
		v, ok = src.PopFront()
	} else {
		v, ok = src.PopBack()
	}
	if !ok {
		return nil, false
	}
	// The popped bytes lie in src's free space, which a push may reuse:
	// copy them first (on the stack when small).
	var small [128]byte
	var tmp []byte
	if len(v) <= len(small) {
		tmp = append(small[:0], v...)
	} else {
		tmp = append([]byte(nil), v...)
	}
	if toFront {
		dst.PushFront(tmp)
		return dst.Index(0)
	}
	dst.PushBack(tmp)
	return dst.Index(-1)
}

// locate returns the node holding element i (0 <= i < Len) and i's
// position within that node, walking from the nearer end.
func (l *List) locate(i int) (*lnode, int) {
	if i < l.n/2 {
		nd := l.head
		for i >= int(nd.cnt) {
			i -= int(nd.cnt)
			nd = nd.next
		}
		return nd, i
	}
	back := l.n - 1 - i // elements after i
	nd := l.tail
	for back >= int(nd.cnt) {
		back -= int(nd.cnt)
		nd = nd.prev
	}
	return nd, int(nd.cnt) - 1 - back
}

// normIndex turns a possibly negative index into a position, or -1.
func (l *List) normIndex(i int) int {
	if i < 0 {
		i += l.n
	}
	if i < 0 || i >= l.n {
		return -1
	}
	return i
}

// Index returns element i (LINDEX); negative i counts from the tail.
func (l *List) Index(i int) ([]byte, bool) {
	if i = l.normIndex(i); i < 0 {
		return nil, false
	}
	nd, j := l.locate(i)
	v, _ := nd.entryAt(nd.offsetOf(j))
	return v, true
}

// Set replaces element i (LSET); false means the index is out of range
// ("ERR index out of range").
func (l *List) Set(i int, v []byte) bool {
	if i = l.normIndex(i); i < 0 {
		return false
	}
	nd, j := l.locate(i)
	off := nd.offsetOf(j)
	old, end := nd.entryAt(off)
	if len(old) == len(v) {
		copy(old, v) // same length: same entry size, overwrite in place
		return true
	}
	nd.deleteAt(off, end)
	l.n--
	if nd.cnt == 0 {
		// Only element of its node: let insertion pick or make a node.
		prev := nd.prev
		l.unlink(nd)
		if prev == nil {
			l.PushFront(v)
		} else {
			l.insertAfterNode(prev, int(prev.hi), v)
		}
		return true
	}
	// deleteAt may have moved either side of the node: find j again.
	l.insertAfterNode(nd, nd.offsetOf(j), v)
	return true
}

// insertAfterNode inserts v at offset off of nd (an entry boundary; off ==
// hi appends to the node), splitting nd when it is full.
func (l *List) insertAfterNode(nd *lnode, off int, v []byte) {
	sz := entrySize(len(v))
	limit := l.byteLimit()
	l.n++
	if l.allows(nd, sz) {
		nd.insertAt(off, v, limit)
		return
	}
	if off == int(nd.hi) {
		if nx := nd.next; nx != nil && l.allows(nx, sz) {
			nx.pushFront(v, limit)
			return
		}
		nn := newLNode(sz)
		l.linkAfter(nd, nn)
		nn.pushBack(v, limit)
		return
	}
	if off == int(nd.lo) {
		if pv := nd.prev; pv != nil && l.allows(pv, sz) {
			pv.pushBack(v, limit)
			return
		}
		nn := newLNode(sz)
		l.linkAfter(nd.prev, nn)
		nn.pushBack(v, limit)
		return
	}
	// Split nd at off: the tail part moves to a new node right after it.
	right := newLNode(int(nd.hi) - off + sz)
	right.hi = int32(copy(right.buf, nd.buf[off:nd.hi]))
	for p := 0; p < int(right.hi); {
		_, p = right.entryAt(p)
		right.cnt++
	}
	nd.hi = int32(off)
	nd.cnt -= right.cnt
	l.linkAfter(nd, right)
	switch {
	case l.allows(nd, sz):
		nd.pushBack(v, limit)
	case l.allows(right, sz):
		right.pushFront(v, limit)
	default:
		nn := newLNode(sz)
		l.linkAfter(nd, nn)
		nn.pushBack(v, limit)
	}
	l.tryMerge(right, right.next)
	l.tryMerge(nd.prev, nd)
}

// tryMerge folds b into a (adjacent nodes) when the result fits one node.
func (l *List) tryMerge(a, b *lnode) {
	if a == nil || b == nil {
		return
	}
	size := a.live() + b.live()
	if l.fill < 0 && size > listSizeLimits[-l.fill-1] ||
		l.fill >= 0 && (int(a.cnt+b.cnt) > int(l.fill) || size > listSafetyLimit) {
		return
	}
	a.room(b.live(), true, l.byteLimit())
	a.hi += int32(copy(a.buf[a.hi:], b.buf[b.lo:b.hi]))
	a.cnt += b.cnt
	l.unlink(b)
}

// Insert puts v before or after the first occurrence of pivot, searching
// from the head (LINSERT). It returns the new length, or -1 when pivot is
// absent.
func (l *List) Insert(before bool, pivot, v []byte) int {
	for nd := l.head; nd != nil; nd = nd.next {
		for off := int(nd.lo); off < int(nd.hi); {
			e, next := nd.entryAt(off)
			if bytes.Equal(e, pivot) {
				if before {
					l.insertAfterNode(nd, off, v)
				} else {
					l.insertAfterNode(nd, next, v)
				}
				return l.n
			}
			off = next
		}
	}
	return -1
}

// Nodes counts the list's nodes, stopping at limit: a free-effort
// estimate (keyspace.FreeEffort) only needs to know whether there are
// more than a few, and must not walk a long list.
func (l *List) Nodes(limit int) int {
	n := 0
	for nd := l.head; nd != nil && n < limit; nd = nd.next {
		n++
	}
	return n
}
