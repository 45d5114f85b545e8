package types

import (
	"math"
	"slices"
	"strconv"
)

// Streams (Redis 7.0's t_stream.c data layout).
//
// Entries live in nodes: each node is one listpack in Redis's exact stream
// node format (see streamlp.go), keyed by its master ID, and the nodes are
// kept in a slice sorted by master ID, searched by binary search. Redis
// keeps the same listpacks in a radix tree; since IDs only grow, entries are
// only ever appended to the last node, and nodes are only removed (trimming
// from the head, or a node whose entries were all deleted), so a sorted
// slice gives the tree's lookups with less overhead per node.
//
// A node's listpack starts with its master entry, then the entries:
//
//	master: count | deleted | num-fields | field_1 … field_N | 0
//	entry:  flags | ms-diff | seq-diff | [num-fields | field_1] value_1 … | lp-count
//
// count and deleted are the node's live and deleted (flagged) entries. An
// entry whose fields are the master's has the SAMEFIELDS flag and stores
// only the values; ms-diff and seq-diff are the ID minus the master ID
// (wrapping); lp-count is the number of listpack elements of the entry
// before it, which lets Redis walk a node backwards. XDEL only flags an
// entry DELETED; the node is freed when its last live entry goes.

// StreamID is a stream entry ID, <ms>-<seq>.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest ID ("+").
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Compare orders IDs: -1, 0 or 1.
func (a StreamID) Compare(b StreamID) int {
	switch {
	case a.Ms > b.Ms:
		return 1
	case a.Ms < b.Ms:
		return -1
	case a.Seq > b.Seq:
		return 1
	case a.Seq < b.Seq:
		return -1
	}
	return 0
}

// Less reports a < b.
func (a StreamID) Less(b StreamID) bool { return a.Compare(b) < 0 }

// IsZero reports whether the ID is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Incr returns the next ID; ok is false when a is the largest ID (the
// result then wraps to 0-0, as streamIncrID).
func (a StreamID) Incr() (StreamID, bool) {
	if a.Seq == math.MaxUint64 {
		if a.Ms == math.MaxUint64 {
			return StreamID{}, false
		}
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{a.Ms, a.Seq + 1}, true
}

// Decr returns the previous ID; ok is false when a is 0-0 (the result is
// then the largest ID, as streamDecrID).
func (a StreamID) Decr() (StreamID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return MaxStreamID, false
		}
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return StreamID{a.Ms, a.Seq - 1}, true
}

// AppendTo appends "<ms>-<seq>" to dst.
func (a StreamID) AppendTo(dst []byte) []byte {
	dst = strconv.AppendUint(dst, a.Ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, a.Seq, 10)
}

// String is "<ms>-<seq>".
func (a StreamID) String() string { return string(a.AppendTo(nil)) }

// Entry flags of a stream node (STREAM_ITEM_FLAG_*).
const (
	streamFlagDeleted    = 1
	streamFlagSameFields = 2
)

const (
	// StreamListpackMaxSize is STREAM_LISTPACK_MAX_SIZE: the largest node
	// and the largest sum of an entry's fields and values.
	StreamListpackMaxSize = 1 << 30
	// streamPrealloc is STREAM_LISTPACK_MAX_PRE_ALLOCATE: a new tail node
	// starts with this much room so appends do not copy every time.
	streamPrealloc = 4096
)

type streamNode struct {
	master StreamID
	lp     []byte
}

// Stream is a stream value. Length, the IDs and EntriesAdded are the
// metadata Redis keeps (and writes to RDB); callers update FirstID,
// MaxDeletedID and LastID the way each command does, as Redis's commands
// do rather than its low-level functions.
type Stream struct {
	nodes        []streamNode
	Length       uint64
	LastID       StreamID
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded uint64
	// Groups are the consumer groups, sorted by name (Redis's rax order).
	Groups []*StreamGroup

	// gen changes whenever entries may have moved inside a node or nodes
	// left the slice (anything but Append), which invalidates seek.
	gen uint64
	// seek is where the last RangeFrom stopped (see there).
	seek streamSeek
	// lastLive caches LastValidID while gen is what it was: every
	// XREADGROUP asks for it, and only Append (which sets it) changes it
	// without changing gen.
	lastLive streamLastLive
	// scratch holds RangeFrom's decoding buffers between calls (owner
	// only, like seek; nil until the first RangeFrom).
	scratch *streamScratch
	// slab is the room left for new nodes, and room that of a node that
	// moved out of it, for the next one (see nodeRoom).
	slab, room []byte
}

// streamLastLive is a cached LastValidID, valid while the stream's gen is
// gen.
type streamLastLive struct {
	gen uint64
	id  StreamID
	ok  bool
}

// streamScratch is a walk's decoding buffers (see entryPos.fields).
type streamScratch struct {
	buf  []byte
	fv   [][]byte
	ends []int
}

// scratchKeepMax bounds the decoding buffer a stream keeps between
// RangeFrom calls: an entry with large values is decoded into a buffer
// of its own rather than pinning its size to the stream.
const scratchKeepMax = 4 << 10

// streamSeek is an entry's position: node index, offset from the node's
// first entry (its master entry's size changes with the counts it holds,
// the entries after it stay put relative to each other) and ID, valid
// while the stream's gen is what it was.
type streamSeek struct {
	gen  uint64
	node int
	rel  int
	id   StreamID
	ok   bool
}

// NewStream returns an empty stream.
func NewStream() *Stream { return &Stream{} }

// Len is the number of live entries.
func (s *Stream) Len() int { return int(s.Length) }

// TypeName is what TYPE answers.
func (s *Stream) TypeName() string { return "stream" }

// Encoding is what OBJECT ENCODING answers.
func (s *Stream) Encoding() string { return "stream" }

// NodeCount is the number of nodes (XINFO's radix-tree-keys).
func (s *Stream) NodeCount() int { return len(s.nodes) }

// nodeHdr is a node's master entry, decoded.
type nodeHdr struct {
	count, deleted int64
	nfields        int64
	fieldsOff      int // first master field
	entriesOff     int // first entry
}

func parseNodeHdr(lp []byte) nodeHdr {
	var h nodeHdr
	off := lpHdrSize
	h.count, off = lpInt(lp, off)
	h.deleted, off = lpInt(lp, off)
	h.nfields, off = lpInt(lp, off)
	h.fieldsOff = off
	for i := int64(0); i < h.nfields; i++ {
		off = lpSkip(lp, off)
	}
	h.entriesOff = lpSkip(lp, off) // the master's 0 terminator
	return h
}

// entryPos is one entry of a node, located.
type entryPos struct {
	off     int // flags element
	id      StreamID
	flags   int64
	nfields int64
	fvOff   int // first field (or value, with SAMEFIELDS)
	next    int // next entry or the terminator
}

func readEntry(lp []byte, off int, master StreamID, h *nodeHdr) entryPos {
	e := entryPos{off: off}
	var msd, seqd int64
	e.flags, off = lpInt(lp, off)
	msd, off = lpInt(lp, off)
	seqd, off = lpInt(lp, off)
	e.id = StreamID{master.Ms + uint64(msd), master.Seq + uint64(seqd)}
	if e.flags&streamFlagSameFields != 0 {
		e.nfields = h.nfields
		e.fvOff = off
		for i := int64(0); i < e.nfields; i++ {
			off = lpSkip(lp, off)
		}
	} else {
		e.nfields, off = lpInt(lp, off)
		e.fvOff = off
		for i := int64(0); i < 2*e.nfields; i++ {
			off = lpSkip(lp, off)
		}
	}
	e.next = lpSkip(lp, off) // lp-count
	return e
}

// atEnd reports whether off is the listpack's terminator.
func atEnd(lp []byte, off int) bool { return lp[off] == lpEnd }

// fields decodes the entry's field/value pairs into buf (a scratch area
// reused across calls) and fv, returning both for reuse. The slices view
// buf: valid until the next call.
func (e *entryPos) fields(lp []byte, h *nodeHdr, buf []byte, fv [][]byte, ends []int) ([]byte, [][]byte, []int) {
	buf, fv, ends = buf[:0], fv[:0], ends[:0]
	off := e.fvOff
	moff := h.fieldsOff
	same := e.flags&streamFlagSameFields != 0
	for i := int64(0); i < e.nfields; i++ {
		if same {
			buf, moff = lpAppendElemTo(buf, lp, moff)
		} else {
			buf, off = lpAppendElemTo(buf, lp, off)
		}
		ends = append(ends, len(buf))
		buf, off = lpAppendElemTo(buf, lp, off)
		ends = append(ends, len(buf))
	}
	start := 0
	for _, end := range ends {
		fv = append(fv, buf[start:end:end])
		start = end
	}
	return buf, fv, ends
}

// findNode returns the index of the last node whose master ID is <= id
// (-1 when every node starts after id).
func (s *Stream) findNode(id StreamID) int {
	i, _ := slices.BinarySearchFunc(s.nodes, id, func(n streamNode, t StreamID) int {
		if n.master.Compare(t) <= 0 {
			return -1
		}
		return 1
	})
	return i - 1
}

// Range calls fn for each live entry with start <= ID <= end, in ID order
// or in reverse, until fn returns false. fv holds field, value, field,
// value… and is valid only during the call.
func (s *Stream) Range(start, end StreamID, rev bool, fn func(id StreamID, fv [][]byte) bool) {
	s.rangeEntries(start, end, rev, true, fn)
}

func (s *Stream) rangeEntries(start, end StreamID, rev, skipDeleted bool, fn func(id StreamID, fv [][]byte) bool) {
	s.walkEntries(start, end, rev, skipDeleted, true, fn)
}

// walkEntries is rangeEntries; without withFields, fn gets the IDs alone
// (nil fields): finding an edge entry (EdgeID, LastValidID, which every
// XREADGROUP asks for) then decodes and allocates nothing.
func (s *Stream) walkEntries(start, end StreamID, rev, skipDeleted, withFields bool, fn func(id StreamID, fv [][]byte) bool) {
	if start.Compare(end) > 0 || len(s.nodes) == 0 {
		return
	}
	if !rev {
		s.walkForward(start, end, skipDeleted, withFields, false, fn)
		return
	}
	var buf []byte
	var fv [][]byte
	var ends []int
	// Backwards, entry by entry: an entry's last element (lp-count) says
	// how many elements precede it, so the walk needs no forward scan.
	for i := s.findNode(end); i >= 0; i-- {
		n := &s.nodes[i]
		h := parseNodeHdr(n.lp)
		for at := len(n.lp) - 1; at > h.entriesOff; {
			p := lpPrev(n.lp, at)
			cnt, _ := lpInt(n.lp, p)
			for k := int64(0); k < cnt; k++ {
				p = lpPrev(n.lp, p)
			}
			at = p
			e := readEntry(n.lp, p, n.master, &h)
			if e.id.Compare(end) > 0 || (skipDeleted && e.flags&streamFlagDeleted != 0) {
				continue
			}
			if e.id.Less(start) {
				return
			}
			if withFields {
				buf, fv, ends = e.fields(n.lp, &h, buf, fv, ends)
			}
			if !fn(e.id, fv) {
				return
			}
		}
	}
}

// RangeFrom is Range forward, for a reader that comes back for what
// follows (XREADGROUP … >, XREAD): within a node Range finds start by
// walking from the node's first entry, on average half a node (50 entries
// by default) per call; RangeFrom begins at the last entry the previous
// RangeFrom gave when that lies at or before start in the same node, and
// remembers the last entry it gives. It writes that position into the
// stream, so it is for the stream's owner only (the command path, under
// the server lock), never for a snapshot that reads a stream beside the
// commands (a rewrite or a save calls Range).
func (s *Stream) RangeFrom(start, end StreamID, fn func(id StreamID, fv [][]byte) bool) {
	if start.Compare(end) > 0 || len(s.nodes) == 0 {
		return
	}
	s.walkForward(start, end, true, true, true, fn)
}

// startNode is the index of the node where a forward walk for start
// begins (findNode, at least 0). hinted: a walk that follows the previous
// RangeFrom (XREADGROUP … > reads on from where the last read stopped)
// finds the node from the remembered one, next to it or in it, instead
// of a binary search over every node.
func (s *Stream) startNode(start StreamID, hinted bool) int {
	if k := &s.seek; hinted && k.ok && k.gen == s.gen && k.node < len(s.nodes) && !start.Less(k.id) {
		// Node k.node starts at or before k.id, so at or before start.
		for i, end := k.node, min(k.node+2, len(s.nodes)-1); ; i++ {
			if i == len(s.nodes)-1 || start.Less(s.nodes[i+1].master) {
				return i
			}
			if i == end {
				break
			}
		}
	}
	return max(s.findNode(start), 0)
}

// seekFrom is where a forward walk for start begins in node i (header h):
// the remembered position when it is current, in node i, and at or before
// start; else the node's first entry.
func (s *Stream) seekFrom(i int, h *nodeHdr, start StreamID) int {
	k := &s.seek
	if k.ok && k.gen == s.gen && k.node == i && !start.Less(k.id) {
		if off := h.entriesOff + k.rel; off < len(s.nodes[i].lp) {
			return off
		}
	}
	return h.entriesOff
}

// walkForward is walkEntries in ID order; hinted: start from seek and
// record the last entry given there.
func (s *Stream) walkForward(start, end StreamID, skipDeleted, withFields, hinted bool, fn func(id StreamID, fv [][]byte) bool) {
	var buf []byte
	var fv [][]byte
	var ends []int
	sc := s.scratch
	if hinted {
		if sc == nil {
			sc = &streamScratch{}
			s.scratch = sc
		}
		buf, fv, ends = sc.buf, sc.fv, sc.ends
	}
	first := s.startNode(start, hinted)
	last := streamSeek{gen: s.gen}
	defer func() {
		if hinted {
			if last.ok {
				s.seek = last
			}
			if cap(buf) > scratchKeepMax {
				buf, fv, ends = nil, nil, nil
			}
			clear(fv[:cap(fv)]) // drop the views into buf
			sc.buf, sc.fv, sc.ends = buf, fv[:0], ends
		}
	}()
	for i := first; i < len(s.nodes); i++ {
		n := &s.nodes[i]
		if n.master.Compare(end) > 0 {
			return
		}
		h := parseNodeHdr(n.lp)
		off := h.entriesOff
		if hinted && i == first {
			off = s.seekFrom(i, &h, start)
		}
		for !atEnd(n.lp, off) {
			e := readEntry(n.lp, off, n.master, &h)
			off = e.next
			if e.id.Less(start) || (skipDeleted && e.flags&streamFlagDeleted != 0) {
				continue
			}
			if e.id.Compare(end) > 0 {
				return
			}
			if withFields {
				buf, fv, ends = e.fields(n.lp, &h, buf, fv, ends)
			}
			if hinted {
				last.node, last.rel, last.id, last.ok = i, e.off-h.entriesOff, e.id, true
			}
			if !fn(e.id, fv) {
				return
			}
		}
	}
}

// EdgeID is the first (or last) entry's ID, counting deleted entries
// unless skipDeleted (streamGetEdgeID). With no entry it is the largest ID
// for first and 0-0 for last.
func (s *Stream) EdgeID(first, skipDeleted bool) StreamID {
	found := false
	var id StreamID
	s.walkEntries(StreamID{}, MaxStreamID, !first, skipDeleted, false, func(e StreamID, _ [][]byte) bool {
		id, found = e, true
		return false
	})
	if !found && first {
		return MaxStreamID
	}
	return id
}

// LastValidID is the last live entry's ID (0-0 when empty). It reads the
// cache Append keeps and never writes it, so a snapshot may call it
// beside the owner.
func (s *Stream) LastValidID() StreamID {
	if l := s.lastLive; l.ok && l.gen == s.gen {
		return l.id
	}
	return s.EdgeID(false, true)
}

// Exists reports whether a live entry has this ID.
func (s *Stream) Exists(id StreamID) bool {
	found := false
	s.walkEntries(id, id, false, true, false, func(StreamID, [][]byte) bool { found = true; return false })
	return found
}

// Append adds an entry with id, which the caller has checked is above
// LastID, and fv (field, value, …) to the tail, starting a new node when
// the tail has maxBytes bytes or maxEntries entries (stream-node-max-bytes
// and stream-node-max-entries; 0 means no limit), as streamAppendItem
// does. It updates Length, EntriesAdded, LastID and, for the first entry,
// FirstID. The caller has checked the fields' total size against
// StreamListpackMaxSize.
func (s *Stream) Append(id StreamID, fv [][]byte, maxBytes, maxEntries int) {
	numFields := len(fv) / 2
	total := 0
	for _, b := range fv {
		total += len(b)
	}
	nodeMax := maxBytes
	if nodeMax <= 0 || nodeMax > StreamListpackMaxSize {
		nodeMax = StreamListpackMaxSize
	}
	// A new node's room (see nodeRoom).
	prealloc := streamPrealloc
	if maxBytes > 0 && maxBytes < prealloc {
		prealloc = maxBytes
	}
	prealloc = max(prealloc, lpHdrSize+1)
	var tail *streamNode
	if len(s.nodes) > 0 {
		tail = &s.nodes[len(s.nodes)-1]
		full := lpBytes(tail.lp)+total >= nodeMax
		if !full && maxEntries > 0 {
			c, off := lpInt(tail.lp, lpHdrSize)
			d, _ := lpInt(tail.lp, off)
			full = c+d >= int64(maxEntries)
		}
		if full {
			// The node is closed: give back its spare room, when a copy
			// would be smaller. Above 1 KB the allocator's size classes
			// are up to an eighth apart, so a node filled to within an
			// eighth of its room (a full 4 KB node, the usual case) would
			// be copied into a block of the same size: the copy would
			// only leave its old block as garbage (a quarter of the
			// resident memory of a stream just loaded).
			// The room given back is the next node's.
			if spare := cap(tail.lp) - len(tail.lp); spare > 16 && spare > cap(tail.lp)/8 {
				s.keepRoom(tail.lp, prealloc)
				tail.lp = slices.Clip(append([]byte(nil), tail.lp...))
			}
			tail = nil
		}
	}
	flags := int64(0)
	// The new elements are encoded on the stack first (an entry of a few
	// short fields fits), then copied into the node once.
	var encBuf [256]byte
	enc := encBuf[:0]
	if tail == nil {
		lp := lpInit(s.nodeRoom(prealloc))
		enc = lpEncodeInt(enc, 1)
		enc = lpEncodeInt(enc, 0)
		enc = lpEncodeInt(enc, int64(numFields))
		for i := 0; i < numFields; i++ {
			enc = lpEncodeElement(enc, fv[2*i])
		}
		enc = lpEncodeInt(enc, 0)
		lp = lpAppendRaw(lp, enc, 4+numFields)
		s.nodes = append(s.nodes, streamNode{master: id, lp: lp})
		tail = &s.nodes[len(s.nodes)-1]
		flags = streamFlagSameFields
	} else {
		c, _ := lpInt(tail.lp, lpHdrSize)
		tail.lp = lpReplaceInt(tail.lp, lpHdrSize, c+1)
		h := parseNodeHdr(tail.lp)
		if h.nfields == int64(numFields) {
			off, i := h.fieldsOff, 0
			for ; i < numFields; i++ {
				if !lpElemEqual(tail.lp, off, fv[2*i]) {
					break
				}
				off = lpSkip(tail.lp, off)
			}
			if i == numFields {
				flags = streamFlagSameFields
			}
		}
	}
	master := tail.master
	enc = enc[:0]
	enc = lpEncodeInt(enc, flags)
	enc = lpEncodeInt(enc, int64(id.Ms-master.Ms))
	enc = lpEncodeInt(enc, int64(id.Seq-master.Seq))
	n := 3
	if flags&streamFlagSameFields == 0 {
		enc = lpEncodeInt(enc, int64(numFields))
		n++
	}
	for i := 0; i < numFields; i++ {
		if flags&streamFlagSameFields == 0 {
			enc = lpEncodeElement(enc, fv[2*i])
			n++
		}
		enc = lpEncodeElement(enc, fv[2*i+1])
		n++
	}
	lpCount := int64(numFields + 3)
	if flags&streamFlagSameFields == 0 {
		lpCount += int64(numFields + 1)
	}
	enc = lpEncodeInt(enc, lpCount)
	if need := len(tail.lp) + len(enc); need > cap(tail.lp) {
		// The entry outgrows the node's room, which goes to the next
		// node rather than to nobody, when it is in a shared slab (else
		// the collector takes it: a stream that stops growing would keep
		// it for nothing). An entry that takes the node to its limit
		// closes it (the next one starts a node): the node moves to a
		// block of its size; else it grows as append would make it.
		if len(s.nodes) >= slabFrom {
			s.keepRoom(tail.lp, prealloc)
		}
		room := need
		if need < nodeMax {
			room = min(max(need, 2*cap(tail.lp)), nodeMax)
		}
		tail.lp = append(make([]byte, 0, room), tail.lp...)
	}
	tail.lp = lpAppendRaw(tail.lp, enc, n+1)
	s.Length++
	s.EntriesAdded++
	s.LastID = id
	if s.Length == 1 {
		s.FirstID = id
	}
	// The entry just added is the last live one.
	s.lastLive = streamLastLive{gen: s.gen, id: id, ok: true}
}

// Node slabs. A node's room (4 KB by default) is a block of its own to
// the allocator, and Go keeps a span record of about 160 bytes for every
// two such blocks: 1.2 bytes per entry of a stream of short entries, a
// third of what the stream costs beyond its listpacks. A stream's new
// nodes therefore take their room from a slab of several nodes' room,
// one allocation (one span) for up to slabNodesMax nodes, sized to the
// stream (a stream of a few nodes allocates one node's room at a time,
// as before). The slab lives while any of its nodes does: a stream
// trimmed from its head, the common case, frees its slabs in order; one
// whose entries are deleted at random (XDEL) keeps a slab while one of
// its nodes lives.
const slabNodesMax = 16

// slabFrom is the node count from which slabs hold more than one node
// (see nodeRoom).
const slabFrom = 16

// keepRoom keeps lp's buffer, which its node is leaving, as the next new
// node's room when it is of a new node's size: nothing else holds a node's
// buffer (replies, snapshots and DUMP copy what they read, under the
// server lock), and a buffer of another size (a node grown to many times
// its room) is left to the collector rather than held.
func (s *Stream) keepRoom(lp []byte, size int) {
	if cap(lp) == size {
		s.room = lp[:0]
	}
}

// nodeRoom is an empty buffer of capacity size for a new node: room (that
// of a node which moved out of it) when it has that capacity, else the
// next room of the stream's slab.
func (s *Stream) nodeRoom(size int) []byte {
	if r := s.room; r != nil {
		s.room = nil
		if cap(r) == size {
			return r
		}
	}
	if len(s.slab) < size {
		s.slab = make([]byte, size*min(max(len(s.nodes)*2/slabFrom, 1), slabNodesMax))
	}
	b := s.slab[:0:size]
	if s.slab = s.slab[size:]; len(s.slab) == 0 {
		s.slab = nil
	}
	return b
}

// markDeleted flags the entry at e deleted in node i and updates the
// node's counters, removing the node when it held the last live entry.
// It reports whether node i was removed.
func (s *Stream) markDeleted(i int, e *entryPos) bool {
	n := &s.nodes[i]
	s.gen++
	s.Length--
	c, off := lpInt(n.lp, lpHdrSize)
	if c == 1 {
		s.nodes = slices.Delete(s.nodes, i, i+1)
		return true
	}
	n.lp = lpReplaceInt(n.lp, e.off, e.flags|streamFlagDeleted)
	d, _ := lpInt(n.lp, off)
	n.lp = lpReplaceInt(n.lp, lpHdrSize, c-1)
	_, off = lpInt(n.lp, lpHdrSize)
	n.lp = lpReplaceInt(n.lp, off, d+1)
	return false
}

// Delete removes the live entry with id (streamDeleteItem), reporting
// whether there was one. It updates Length only: XDEL's bookkeeping of
// FirstID and MaxDeletedID is the caller's.
func (s *Stream) Delete(id StreamID) bool {
	i := s.findNode(id)
	if i < 0 {
		return false
	}
	n := &s.nodes[i]
	h := parseNodeHdr(n.lp)
	for off := h.entriesOff; !atEnd(n.lp, off); {
		e := readEntry(n.lp, off, n.master, &h)
		off = e.next
		if e.id != id {
			if id.Less(e.id) {
				return false
			}
			continue
		}
		if e.flags&streamFlagDeleted != 0 {
			return false
		}
		s.markDeleted(i, &e)
		return true
	}
	return false
}

// Trim strategies.
const (
	TrimNone = iota
	TrimMaxLen
	TrimMinID
)

// TrimArgs are XADD's and XTRIM's trimming options.
type TrimArgs struct {
	Strategy int
	MaxLen   int64
	MinID    StreamID
	Approx   bool
	// Limit caps the entries removed (0: none).
	Limit int64
}

// Trim removes entries from the head as streamTrim does: whole nodes while
// they fit, then (unless Approx) entries of the next node, flagged deleted.
// It returns how many entries were removed and updates Length and FirstID.
func (s *Stream) Trim(a TrimArgs) int64 {
	if a.Strategy == TrimNone {
		return 0
	}
	var deleted int64
	for len(s.nodes) > 0 {
		if a.Strategy == TrimMaxLen && int64(s.Length) <= a.MaxLen {
			break
		}
		n := &s.nodes[0]
		h := parseNodeHdr(n.lp)
		entries := h.count
		if a.Limit != 0 && deleted+entries > a.Limit {
			break
		}
		var remove bool
		if a.Strategy == TrimMaxLen {
			remove = int64(s.Length)-entries >= a.MaxLen
		} else {
			remove = s.nodeLastID(n, &h).Less(a.MinID)
		}
		if remove {
			s.gen++ // the indexes move, even for a node of no live entry
			// The slice's storage keeps what lies before its start until
			// it is reallocated: the node's buffer (and its slab) must
			// not stay reachable from there.
			s.nodes[0] = streamNode{}
			s.nodes = s.nodes[1:]
			s.Length -= uint64(entries)
			deleted += entries
			continue
		}
		if a.Approx {
			break
		}
		var fromNode int64
		for off := h.entriesOff; !atEnd(n.lp, off); {
			e := readEntry(n.lp, off, n.master, &h)
			var stop bool
			if a.Strategy == TrimMaxLen {
				stop = int64(s.Length) <= a.MaxLen
			} else {
				stop = e.id.Compare(a.MinID) >= 0
			}
			if stop {
				break
			}
			if e.flags&streamFlagDeleted == 0 {
				before := len(n.lp)
				n.lp = lpReplaceInt(n.lp, e.off, e.flags|streamFlagDeleted)
				e.next += len(n.lp) - before
				fromNode++
				s.Length--
			}
			off = e.next
		}
		deleted += fromNode
		c, off := lpInt(n.lp, lpHdrSize)
		n.lp = lpReplaceInt(n.lp, lpHdrSize, c-fromNode)
		_, off = lpInt(n.lp, lpHdrSize)
		d, _ := lpInt(n.lp, off)
		n.lp = lpReplaceInt(n.lp, off, d+fromNode)
		break
	}
	if deleted > 0 {
		// Nodes left (the indexes moved) or entries were flagged; an
		// approximate trim of XADD … MAXLEN ~ that removed nothing keeps
		// RangeFrom's position.
		s.gen++
	}
	if len(s.nodes) == 0 {
		// Keep the slice's storage from pinning trimmed nodes.
		s.nodes = nil
	}
	if s.Length == 0 {
		s.FirstID = StreamID{}
	} else if deleted > 0 {
		s.FirstID = s.EdgeID(true, true)
	}
	return deleted
}

// nodeLastID is the ID of the node's last entry, deleted or not
// (lpGetEdgeStreamID).
func (s *Stream) nodeLastID(n *streamNode, h *nodeHdr) StreamID {
	var last StreamID
	for off := h.entriesOff; !atEnd(n.lp, off); {
		e := readEntry(n.lp, off, n.master, h)
		last, off = e.id, e.next
	}
	return last
}

// HasTombstones reports whether a deleted entry may lie in [start, end]
// (end nil: to the largest ID), as streamRangeHasTombstones.
func (s *Stream) HasTombstones(start StreamID, end *StreamID) bool {
	if s.Length == 0 || s.MaxDeletedID.IsZero() || s.FirstID.Compare(s.MaxDeletedID) > 0 {
		return false
	}
	endID := MaxStreamID
	if end != nil {
		endID = *end
	}
	return start.Compare(s.MaxDeletedID) <= 0 && s.MaxDeletedID.Compare(endID) <= 0
}

// EstimateEntriesRead is the logical read counter of id, its distance from
// the first entry ever added, or -1 when it cannot be known
// (streamEstimateDistanceFromFirstEverEntry).
func (s *Stream) EstimateEntriesRead(id StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.Length == 0 && id.Compare(s.LastID) < 1 {
		return int64(s.EntriesAdded)
	}
	cmpLast := id.Compare(s.LastID)
	if cmpLast == 0 {
		return int64(s.EntriesAdded)
	} else if cmpLast > 0 {
		return -1
	}
	cmpFirst := id.Compare(s.FirstID)
	if s.MaxDeletedID.IsZero() || s.MaxDeletedID.Less(s.FirstID) {
		if cmpFirst < 0 {
			return int64(s.EntriesAdded - s.Length)
		} else if cmpFirst == 0 {
			return int64(s.EntriesAdded - s.Length + 1)
		}
	}
	return -1
}

// Lag is a group's lag (nil-able: ok false when it cannot be known), as
// streamReplyWithCGLag.
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != -1 && !s.HasTombstones(g.LastID, nil) {
		return int64(s.EntriesAdded) - g.EntriesRead, true
	}
	if r := s.EstimateEntriesRead(g.LastID); r != -1 {
		return int64(s.EntriesAdded) - r, true
	}
	return 0, false
}

// Clone deep-copies the stream (COPY, and copy-on-write for snapshots).
func (s *Stream) Clone() any {
	c := *s
	c.scratch, c.slab, c.room = nil, nil, nil // the copy's own, never shared
	c.nodes = make([]streamNode, len(s.nodes))
	for i, n := range s.nodes {
		c.nodes[i] = streamNode{master: n.master, lp: slices.Clip(append([]byte(nil), n.lp...))}
	}
	c.Groups = cloneGroups(s.Groups)
	return &c
}

// MemoryUsage estimates the bytes the stream occupies (MEMORY USAGE).
func (s *Stream) MemoryUsage() int {
	n := 96 + 40*cap(s.nodes) + len(s.slab) + cap(s.room)
	for _, nd := range s.nodes {
		n += cap(nd.lp)
	}
	for _, g := range s.Groups {
		n += g.memoryUsage()
	}
	return n
}

// EachNode calls fn with each node's master ID and listpack, in order (the
// RDB writer). lp must not be modified.
func (s *Stream) EachNode(fn func(master StreamID, lp []byte) bool) {
	for _, n := range s.nodes {
		if !fn(n.master, n.lp) {
			return
		}
	}
}

// AppendNode adds a node read from an RDB file or DUMP payload after the
// existing ones; lp is kept (not copied). The caller has checked it with
// ValidateStreamNode and that master IDs grow.
func (s *Stream) AppendNode(master StreamID, lp []byte) {
	s.gen++
	s.nodes = append(s.nodes, streamNode{master: master, lp: lp})
}
