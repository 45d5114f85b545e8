package tlsconf

import (
	"bytes"
	"crypto/tls"
	"reflect"
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
// crypto/tls does not export these buffers, so their capacities are read
// with reflect through field indexes looked up once. Should a Go release
// rename them, RecordBufsGuess is counted instead of nothing (a test
// fails then, so the change is noticed).

// RecordBufsGuess is what RecordBufs reports when the buffers cannot be
// found: what one full record leaves behind.
const RecordBufsGuess = 17 << 10

// bufFields is the index paths from tls.Conn to the byte slices of its
// rawInput and hand buffers (nil: not found). Set once, never changed.
var bufFields = findBufFields()

func findBufFields() [][]int {
	bt := reflect.TypeFor[bytes.Buffer]()
	buf, ok := bt.FieldByName("buf")
	if !ok || buf.Type.Kind() != reflect.Slice {
		return nil
	}
	ct := reflect.TypeFor[tls.Conn]()
	var paths [][]int
	for _, name := range []string{"rawInput", "hand"} {
		f, ok := ct.FieldByName(name)
		if !ok || f.Type != bt {
			return nil
		}
		paths = append(paths, append(append([]int(nil), f.Index...), buf.Index...))
	}
	return paths
}

// RecordBufsFound reports whether RecordBufs reads the real buffers.
func RecordBufsFound() bool { return bufFields != nil }

// RecordBufs is the capacity of c's record buffers. Only the goroutine
// that reads c may call it, between reads (a read grows them).
func RecordBufs(c *tls.Conn) int64 {
	if bufFields == nil {
		return RecordBufsGuess
	}
	v := reflect.ValueOf(c).Elem()
	var n int64
	for _, p := range bufFields {
		n += int64(v.FieldByIndex(p).Cap())
	}
	return n
}
