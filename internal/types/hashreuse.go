package types

// Reuse of a hash evicted for maxmemory (keyspace recycle.go). Under a
// write load that creates a hash a write and evicts about one, such as
// `HSET h:<random> f <100 bytes>`, each new hash was its header, a
// one-entry table (dictValues1) and the entry's string, all garbage again
// at its eviction; the collector's marking, paid for in proportion to the
// live heap each time that garbage reached GOGC% of it, took half the
// server's CPU. A small evicted table is kept whole instead and the next
// new hash takes it, writing its first pair into the entry's string when
// it fits.
//
// Why a hold mark: the evicted hash must be held by nothing else, since
// its strings and table are written again. A reply in slices (HRANDFIELD
// with a large negative count, command/stream.go) keeps sampling the hash
// it started on after the command returns, through any later eviction.
// Such a reply samples a copy of a small-encoded hash (HoldForStream), so
// that a hash converted later to a table was never held; a table it holds
// is marked, and a marked hash is never reused.

// heldMark, in lp of a table-encoded hash (where lp is otherwise nil and
// never read: every method looks at d first), marks a hash a reply in
// slices holds. A mark costs no field: a Hash is 32 bytes, a size class
// that one more byte would take to 48.
var heldMark = []byte{}

// HoldForStream returns the hash a reply in slices may keep sampling
// after the command: a copy of a small encoding (at most
// hash-max-listpack-entries short pairs, a cheap copy beside the reply
// of more than 16k elements that streams), h itself for a table, marked
// so that it is never reused.
func (h *Hash) HoldForStream() *Hash {
	if h.d == nil {
		return h.Clone()
	}
	h.lp = heldMark
	return h
}

// held reports whether a reply in slices holds h (HoldForStream).
func (h *Hash) held() bool { return h.d != nil && h.lp != nil }

// Reusable reports whether h, a hash just evicted and held by no key,
// may be kept for a new hash (Reuse): a table of one entry in its first
// allocation (the shape HSET of one long value makes) whose string is at
// most maxBytes, that no reply in slices holds.
func (h *Hash) Reusable(maxBytes int) bool {
	d := h.d
	return d != nil && !h.held() && len(d.keys) == 1 && cap(d.keys) == 1 &&
		len(d.buckets) == dictMinSize && len(d.keys[0]) <= maxBytes
}

// Reuse empties h, which Reusable approved, for a new key: its table
// keeps its arrays and, past its length, the entry's string, which the
// first pair set is written into when it fits (dict.addHashed). Until
// then h is an empty table, which Set turns into the small encoding when
// the first pair fits there: a Set must come first (HSET of a new key,
// keyspace.DB.NewHash).
func (h *Hash) Reuse() {
	d := h.d
	clear(d.buckets)
	d.keys, d.klen, d.next, d.hashes = d.keys[:0], d.klen[:0], d.next[:0], d.hashes[:0]
}
