package keyspace

import (
	"unsafe"

	"github.com/tandemdb/tandem/internal/types"
)

// Recycling of evicted nodes. Under maxmemory a write load that evicts
// frees a key for each key it adds: without recycling, each SET allocates
// a node and a buffer and leaves the same for the collector, whose work
// (a mark of the whole live heap every GOGC% of it allocated) was a sixth
// of the server's CPU time. The node of a key evicted for maxmemory is
// kept instead, with its buffer, and the next new plain string takes it,
// writing its key and value into the buffer when they fit.
//
// Why only evicted nodes, and only while no snapshot runs: a key string
// aliases its node's buffer (node.go) and whatever holds one keeps the
// buffer as it was, so a buffer may be written again only when nothing
// holds its strings. An evicted key was held by the eviction pool alone
// (the entry it was picked from, cleared before the eviction; the pool
// never holds one buffer twice, and is emptied when the policy changes,
// see evict.Manager.Apply), its expiry entry is deleted with it, and the
// propagation, keyspace events and tracking copy the key (command
// KeyEvicted) before any command runs again. A key deleted by a command
// may still be in a reply being built, so it is not recycled. While a
// snapshot runs, an evicted node is first handed to the snapshot's sink
// (beforeWrite); the RDB sink encodes it at once, under the lock, but a
// sink is not bound to copy what it keeps, so nothing is recycled then.
//
// An evicted small list (one node of at most maxSpareKV bytes) is kept
// too, with its node and buffer, for the next LPUSH or RPUSH that creates
// a key (DB.NewList). The keyspace node of an evicted value of any type
// goes with the string nodes, for the next new key of any type
// (newValueNode): the node holds the key alone once its value is let go,
// and the value, whatever may still hold it, is not written again. A list
// value, unlike a set or a hash, is never kept by a reply in slices
// (command/stream.go), so nothing holds it once evicted. Without this,
// each LPUSH of a new key under eviction allocated five objects (node,
// key, list, list node, buffer) and left as many for the collector, whose
// marking was then 38% of the server's CPU time. An evicted hash of one
// long pair (a table: the hash, its table and its pair's string) is kept
// the same way for the next HSET that creates a key (DB.NewHash), unless a
// reply in slices holds it (types/hashreuse.go).

// maxSpares is how many evicted nodes are kept for reuse: an eviction
// round before a SET frees about one key, sometimes two or none.
const maxSpares = 4

// maxSpareKV is the largest buffer kept with a spare node: a big value is
// one allocation among many bytes, and a spare is memory the account does
// not count.
const maxSpareKV = 1024

// spareNodes is the keyspace's stack of evicted nodes (recycle.go).
type spareNodes struct {
	nodes [maxSpares]*node
	n     int
	lists [maxSpares]*types.List
	nl    int
	// hashes are evicted one-entry tables (types/hashreuse.go).
	hashes [maxSpares]*types.Hash
	nh     int
}

// recycle keeps e, just evicted, for reuse when it may be.
func (ks *Keyspace) recycle(e *node) {
	s := &ks.spares
	if ks.snap != nil {
		return
	}
	switch v := e.val.(type) {
	case *types.List:
		if s.nl < maxSpares && v.Reusable(maxSpareKV) {
			s.lists[s.nl] = v
			s.nl++
		}
	case *types.Hash:
		if s.nh < maxSpares && v.Reusable(maxSpareKV) {
			s.hashes[s.nh] = v
			s.nh++
		}
	}
	if e.val != nil {
		// The node holds the key alone now: a spare as a string's is. The
		// value itself goes to the collector (a list kept above aside):
		// a reply in slices may still be sampling it.
		e.val, e.vlen = nil, 0
	}
	if s.n == maxSpares || e.val != nil || e.kvBytes() > maxSpareKV {
		return
	}
	e.next = nil
	s.nodes[s.n] = e
	s.n++
}

// newStringNode returns a node holding key and the plain string val: a
// spare node when there is one, with its buffer when key and val fit in
// the bytes it was made with and take the same size class (so that the
// account's figure stays that of the allocation), else a new buffer.
func (ks *Keyspace) newStringNode(key, val []byte) *node {
	s := &ks.spares
	if s.n == 0 {
		return newNode(key, val, nil)
	}
	s.n--
	n := s.nodes[s.n]
	s.nodes[s.n] = nil
	size, had := len(key)+len(val), int(n.klen)+int(n.vlen)
	if size == 0 || size > had || AllocSize(size) != AllocSize(had) {
		n.kv, n.klen, n.vlen = packKV(key, val)
		return n
	}
	b := unsafe.Slice((*byte)(n.kv), size)
	k := copy(b, key)
	copy(b[k:], val)
	n.klen, n.vlen = uint32(len(key)), uint32(len(val))
	return n
}

// newValueNode returns a node holding key and val (not nil): a spare node
// when there is one, with its buffer when key takes the same size class
// as the bytes it was made with, else a new buffer.
func (ks *Keyspace) newValueNode(key []byte, val any) *node {
	s := &ks.spares
	if s.n == 0 {
		return newNode(key, "", val)
	}
	s.n--
	n := s.nodes[s.n]
	s.nodes[s.n] = nil
	n.val = val
	had := int(n.klen) + int(n.vlen)
	if len(key) == 0 || len(key) > had || AllocSize(len(key)) != AllocSize(had) {
		n.kv, n.klen, n.vlen = packKV(key, "")
		return n
	}
	copy(unsafe.Slice((*byte)(n.kv), len(key)), key)
	n.klen, n.vlen = uint32(len(key)), 0
	return n
}

// NewList returns an empty list with fill for a new key: an evicted list
// (recycle) when one is kept, else a new one. The caller pushes to it at
// once (types.List.Reuse).
func (db *DB) NewList(fill int) *types.List {
	s := &db.ks.spares
	if s.nl == 0 {
		return types.NewList(fill)
	}
	s.nl--
	l := s.lists[s.nl]
	s.lists[s.nl] = nil
	l.Reuse(fill)
	return l
}

// NewHash returns an empty hash for a new key: an evicted one-entry table
// (recycle) when one is kept, else a new hash. The caller sets a pair in
// it at once (types.Hash.Reuse).
func (db *DB) NewHash() *types.Hash {
	s := &db.ks.spares
	if s.nh == 0 {
		return types.NewHash()
	}
	s.nh--
	h := s.hashes[s.nh]
	s.hashes[s.nh] = nil
	h.Reuse()
	return h
}
