package tlsconf

import (
	"bytes"
	"crypto/tls"
	"reflect"
	"unsafe"
)

// What a TLS connection's record layer holds between reads, for the
// server's client memory figures (CLIENT LIST tot-mem, used_memory,
// client eviction): crypto/tls's rawInput, where a record is put
// together before it is decrypted (it grows to the largest record read,
// about 17 KB once the peer sent a full 16 KB record, and is never
// shrunk), and hand, handshake messages not read yet (a post-handshake
// KeyUpdate). The scratch buffer records are sealed in is pooled by
// crypto/tls, shared by all connections, and not counted.
//
// crypto/tls does not export these buffers. Their places in tls.Conn are
// looked up once with reflect (the fields' names and types checked), and
// their capacities then read at those offsets: reflect's own field
// access cost 100-240 ns a read round (loaded machine), this 2-3 ns.
// Should a Go release rename or retype them, RecordBufsGuess is counted
// instead of nothing (and TestConnBuffersFollowRecords fails, so the
// change is noticed).

// RecordBufsGuess is what RecordBufs reports when the buffers cannot be
// found: what one full record leaves behind.
const RecordBufsGuess = 17 << 10

// bufOffsets is the offsets in tls.Conn of the byte slices of its
// rawInput and hand buffers; bufsFound is false when they were not found.
// Set once, never changed.
var bufOffsets, bufsFound = findBufOffsets()

func findBufOffsets() (offs [2]uintptr, ok bool) {
	bt := reflect.TypeFor[bytes.Buffer]()
	buf, ok := bt.FieldByName("buf")
	if !ok || buf.Type != reflect.TypeFor[[]byte]() {
		return offs, false
	}
	ct := reflect.TypeFor[tls.Conn]()
	for i, name := range []string{"rawInput", "hand"} {
		f, ok := ct.FieldByName(name)
		if !ok || f.Type != bt || len(f.Index) != 1 {
			return offs, false
		}
		offs[i] = f.Offset + buf.Offset
	}
	return offs, true
}

// RecordBufsFound reports whether RecordBufs reads the real buffers.
func RecordBufsFound() bool { return bufsFound }

// RecordBufs is the capacity of c's record buffers. Only the goroutine
// that reads c may call it, between reads (a read grows them).
func RecordBufs(c *tls.Conn) int64 {
	if !bufsFound {
		return RecordBufsGuess
	}
	p := unsafe.Pointer(c)
	return int64(cap(*(*[]byte)(unsafe.Add(p, bufOffsets[0])))) + int64(cap(*(*[]byte)(unsafe.Add(p, bufOffsets[1]))))
}
