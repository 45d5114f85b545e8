package keyspace

import (
	"math"
	"unsafe"
)

// A node's key and plain string value live in one allocation, kv:
//
//	kv: [ key bytes (klen) | value bytes (vlen) ]
//
// Why: a key is mostly its bytes, and each separate allocation rounds up
// to a size class. For the benchmark's 16-byte keys and 100-byte values
// (bench/maxmemory.sh) a node with two string headers (64 bytes), a key
// (16) and a value (112) took 192 bytes; a 48-byte node and one 128-byte
// buffer take 176, and the 10-byte keys of its hit-ratio load 160 (48 +
// 112) against 192. Fewer bytes a key is more keys under the same
// maxmemory, which is the hit ratio of a cache.
//
// The key bytes of kv are never written while its node holds the key: Key
// returns a string that aliases them, kept by maps keyed by the key. A new
// value mostly takes a new buffer (with a copy of the key); the value
// bytes are written in place by ReplaceString (INCR and friends) and by an
// overwrite with a plain string (SET), see rewriteValue, as a *Bytes value
// is changed in place by SETRANGE: a
// value string from Str is only valid until the next write to its key,
// which holds already for *Bytes values, and is what nothing keeps past a
// command (replies copy it; a snapshot's sink encodes it at once). The
// other exception is a node evicted for maxmemory, whose buffer a new key
// may take once nothing holds its strings (recycle.go).
// Whatever keeps a key string keeps its buffer, value included, alive:
// maps keyed by the key (the expiry map) are re-keyed when the buffer
// changes (rekey), and the few other holders copy the key or hold it
// briefly (the eviction pool's 16 candidates, a reply being built).

// maxNodeLen is the longest key or plain string value a node holds (its
// lengths are 32 bits); a longer value is kept as a *Bytes.
const maxNodeLen = math.MaxUint32

// keyStr returns the key; it aliases kv.
func (n *node) keyStr() string { return unsafe.String((*byte)(n.kv), int(n.klen)) }

// strLen is the length of the plain string value in kv: vlen, which
// holds the account's figure instead when val is set.
func (n *node) strLen() int {
	if n.val != nil {
		return 0
	}
	return int(n.vlen)
}

// strv returns the plain string value (val == nil; "" otherwise); it
// aliases kv.
func (n *node) strv() string {
	l := n.strLen()
	if l == 0 {
		return "" // kv may end at the key: no pointer past it
	}
	return unsafe.String((*byte)(unsafe.Add(n.kv, n.klen)), l)
}

// kvBytes is the size of the node's kv allocation (the account's figure).
func (n *node) kvBytes() int { return AllocSize(int(n.klen) + n.strLen()) }

// packKV copies key then s into one new buffer.
func packKV[K, V string | []byte](key K, s V) (unsafe.Pointer, uint32, uint32) {
	if len(key) > maxNodeLen || len(s) > maxNodeLen {
		// Unreachable through the protocol unless proto-max-bulk-len and
		// client-query-buffer-limit are both raised past 4 GiB; the
		// engine turns the panic into an error reply, before any change.
		panic("keyspace: key or value longer than 4 GiB")
	}
	size := len(key) + len(s)
	if size == 0 {
		return nil, 0, 0
	}
	b := make([]byte, size)
	k := copy(b, key)
	copy(b[k:], s)
	return unsafe.Pointer(unsafe.SliceData(b)), uint32(len(key)), uint32(len(s))
}

// tinyAllocMax is the size below which Go's allocator may pack a pointer-
// free allocation with others in one 16-byte block (its tiny allocator):
// the bytes after such a buffer's length may be another object's.
const tinyAllocMax = 16

// rewriteValue writes s over n's plain string value in n's own buffer and
// reports whether it could: when n holds a plain string (val nil) and s
// takes the bytes the value had, or more or fewer within the size class of
// a buffer the tiny allocator did not pack. The account's figure
// (kvBytes, the size class) is then unchanged. Why: INCR on an existing
// counter rewrites a few digits, and a new buffer per INCR was an
// allocation and a copy of the key per increment (Redis keeps the integer
// in the object); a SET over a value of about the same size, a cache's
// refresh, is the same allocation and copy. The buffer's size class is at least AllocSize of its
// current length: it only ever shrinks in place within its class.
func (n *node) rewriteValue(s string) bool {
	if n.val != nil || n.kv == nil || len(s) > maxNodeLen {
		return false
	}
	had, size := int(n.klen)+int(n.vlen), int(n.klen)+len(s)
	if size != had && (had < tinyAllocMax || AllocSize(size) != AllocSize(had)) {
		return false
	}
	if len(s) > 0 {
		// Only then: with no value kv may end at the key, and a pointer
		// past an allocation's end is not one Go allows.
		copy(unsafe.Slice((*byte)(unsafe.Add(n.kv, n.klen)), len(s)), s)
	}
	n.vlen = uint32(len(s))
	return true
}

// newNode returns a node for key with the plain string s (val nil) or
// the value val; key and s are copied.
func newNode[K, V string | []byte](key K, s V, val any) *node {
	n := &node{val: val}
	if val == nil && len(s) > maxNodeLen {
		n.val = &Bytes{B: []byte(s)}
	}
	if n.val == nil {
		n.kv, n.klen, n.vlen = packKV(key, s)
	} else {
		n.kv, n.klen, n.vlen = packKV(key, "")
	}
	return n
}

// setValue gives n the plain string s (val nil) or val, in a new kv when
// the value bytes change. It reports whether kv changed, so that the
// caller re-keys maps holding the old key string (rekey). With val set,
// vlen is 0 until the caller's account stores its figure there.
func (n *node) setValue(s string, val any) bool {
	if val == nil && len(s) > maxNodeLen {
		val = &Bytes{B: []byte(s)}
	}
	had := n.strLen()
	n.val = val
	if val != nil {
		s = ""
	}
	if had == 0 && len(s) == 0 {
		n.vlen = 0
		return false // the key alone, as before
	}
	n.kv, n.klen, n.vlen = packKV(n.keyStr(), s)
	return true
}
