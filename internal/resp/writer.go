package resp

import (
	"math"
	"strconv"
)

// Writer appends replies to a byte slice. Proto selects RESP2 or RESP3
// shapes, so command handlers describe a reply once ("a map of n pairs",
// "a null") and the writer picks the bytes. It never allocates except to
// grow its buffer.
type Writer struct {
	Buf   []byte
	Proto int // 2 or 3
}

// Reset empties the buffer, keeping its capacity.
func (w *Writer) Reset() { w.Buf = w.Buf[:0] }

// Len is the number of buffered reply bytes.
func (w *Writer) Len() int { return len(w.Buf) }

// Raw appends bytes as they are.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }

// OK appends +OK.
func (w *Writer) OK() { w.Buf = append(w.Buf, "+OK\r\n"...) }

// Simple appends a simple string (+s).
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Error appends an error; msg starts with its code ("ERR ...", "WRONGTYPE ...").
// CR and LF in msg are replaced by spaces, as Redis does, so the reply stays
// one line.
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int appends an integer reply.
func (w *Writer) Int(n int64) {
	w.Buf = append(w.Buf, ':')
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// IntDigits appends an integer reply whose decimal digits the caller has
// already formatted (INCR stores the same digits it replies).
func (w *Writer) IntDigits(d []byte) {
	w.Buf = append(w.Buf, ':')
	w.Buf = append(w.Buf, d...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Bulk appends a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.Buf = append(w.Buf, '$')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(b)), 10)
	w.Buf = append(w.Buf, '\r', '\n')
	w.Buf = append(w.Buf, b...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString appends a bulk string from a Go string.
func (w *Writer) BulkString(s string) {
	w.Buf = append(w.Buf, '$')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(s)), 10)
	w.Buf = append(w.Buf, '\r', '\n')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkInt appends an integer formatted as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null appends the null bulk ($-1 in RESP2, _ in RESP3).
func (w *Writer) Null() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
	} else {
		w.Buf = append(w.Buf, "$-1\r\n"...)
	}
}

// NullArray appends the null array (*-1 in RESP2, _ in RESP3).
func (w *Writer) NullArray() {
	if w.Proto == 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
	} else {
		w.Buf = append(w.Buf, "*-1\r\n"...)
	}
}

func (w *Writer) header(c byte, n int) {
	w.Buf = append(w.Buf, c)
	w.Buf = strconv.AppendInt(w.Buf, int64(n), 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Array appends an array header of n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// ArrayAt inserts an array header of n elements at mark, a Len() taken
// before the elements were written: for a reply whose length is known
// only once its elements are (Redis's deferred length). The elements'
// bytes move up by the header's size.
func (w *Writer) ArrayAt(mark, n int) {
	var hdr [24]byte
	h := append(hdr[:0], '*')
	h = strconv.AppendInt(h, int64(n), 10)
	h = append(h, '\r', '\n')
	end := len(w.Buf)
	w.Buf = append(w.Buf, h...)
	copy(w.Buf[mark+len(h):], w.Buf[mark:end])
	copy(w.Buf[mark:], h)
}

// Map appends a map header of n pairs (a flat array of 2n in RESP2).
func (w *Writer) Map(n int) {
	if w.Proto == 3 {
		w.header('%', n)
	} else {
		w.header('*', 2*n)
	}
}

// Set appends a set header (an array in RESP2).
func (w *Writer) Set(n int) {
	if w.Proto == 3 {
		w.header('~', n)
	} else {
		w.header('*', n)
	}
}

// Push appends a push header (an array in RESP2), for Pub/Sub messages.
func (w *Writer) Push(n int) {
	if w.Proto == 3 {
		w.header('>', n)
	} else {
		w.header('*', n)
	}
}

// Bool appends a boolean (#t/#f in RESP3, :1/:0 in RESP2).
func (w *Writer) Bool(b bool) {
	if w.Proto == 3 {
		if b {
			w.Buf = append(w.Buf, "#t\r\n"...)
		} else {
			w.Buf = append(w.Buf, "#f\r\n"...)
		}
		return
	}
	if b {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Double appends a double (",x" in RESP3, a bulk string in RESP2), with
// Redis's formatting: %.17g, and inf/-inf/nan spelled out.
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	s := AppendDouble(tmp[:0], f)
	if w.Proto == 3 {
		w.Buf = append(w.Buf, ',')
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.Bulk(s)
}

// Verbatim appends a verbatim string (=len\r\ntxt:... in RESP3, bulk in
// RESP2), as Redis 7.0 does for INFO and CLIENT LIST.
func (w *Writer) Verbatim(s string) {
	if w.Proto != 3 {
		w.BulkString(s)
		return
	}
	w.Buf = append(w.Buf, '=')
	w.Buf = strconv.AppendInt(w.Buf, int64(len(s)+4), 10)
	w.Buf = append(w.Buf, "\r\ntxt:"...)
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// AppendDouble formats f as Redis replies doubles: "inf", "-inf", "nan",
// otherwise the shortest of %.17g.
func AppendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// AppendCommand appends argv encoded as a RESP multibulk request, the form
// used on the replication stream and in the AOF.
func AppendCommand(b []byte, argv ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(argv)), 10)
	b = append(b, '\r', '\n')
	for _, a := range argv {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	return b
}
