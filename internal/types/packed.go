package types

import (
	"encoding/binary"
	"unsafe"
)

// Helpers shared by the packed (listpack-like) encodings. Every packed buffer
// is a []byte holding length-prefixed entries back to back; lengths are
// unsigned varints (one byte below 128), which keeps the per-element overhead
// as low as listpack's.

// uvarintLen is the encoded size of v.
func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// readUvarint decodes a varint at b[off:], returning the value and the offset
// just past it. The packed buffers are written only by this package, so the
// input is trusted.
func readUvarint(b []byte, off int) (uint64, int) {
	c := b[off]
	if c < 0x80 {
		return uint64(c), off + 1
	}
	v, n := binary.Uvarint(b[off:])
	return v, off + n
}

// putUvarint writes v at b[off:] and returns the offset past it.
func putUvarint(b []byte, off int, v uint64) int {
	return off + binary.PutUvarint(b[off:], v)
}

// putBackLen writes v so that it can be read backwards from its last byte:
// that byte holds the low 7 bits, and bit 7 set means more bytes precede.
// It occupies exactly uvarintLen(v) bytes ending just before end.
func putBackLen(b []byte, end int, v uint64) {
	i := end - 1
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			c |= 0x80
		}
		b[i] = c
		if v == 0 {
			return
		}
		i--
	}
}

// readBackLen decodes a length written by putBackLen that ends just before
// end, returning it and the offset of its first byte.
func readBackLen(b []byte, end int) (uint64, int) {
	i := end - 1
	c := b[i]
	v := uint64(c & 0x7f)
	shift := uint(7)
	for c&0x80 != 0 {
		i--
		c = b[i]
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	return v, i
}

// allocBytes returns a zeroed slice of at least n bytes whose length is its
// capacity, rounded up to the allocator's size class so no tail goes to waste.
func allocBytes(n int) []byte {
	b := append([]byte(nil), make([]byte, n)...)
	return b[:cap(b)]
}

// growFor makes room for extra more bytes after len(b). Small packed values
// are many and mostly static, so like Redis's listpack they grow only to the
// allocator's next size class (classes are 8-16 bytes apart at these sizes):
// a few more copies of a few hundred bytes, instead of doubling's 25-50%
// spare capacity kept forever. Larger buffers get 1/8 of slack.
func growFor(b []byte, extra int) []byte {
	need := len(b) + extra
	if need <= cap(b) {
		return b
	}
	if need > 512 {
		need += need / 8
	}
	nb := allocBytes(need)
	copy(nb, b)
	return nb[:len(b)]
}

// shrinkBytes gives back memory when a packed buffer has become much smaller
// than its capacity.
func shrinkBytes(b []byte) []byte {
	if cap(b) > 64 && len(b) < cap(b)/4 {
		nb := allocBytes(len(b) + len(b)/4)
		copy(nb, b)
		return nb[:len(b)]
	}
	return b
}

// insertGap opens n bytes at off, keeping the bytes after it.
func insertGap(b []byte, off, n int) []byte {
	b = growFor(b, n)
	b = b[:len(b)+n]
	copy(b[off+n:], b[off:len(b)-n])
	return b
}

// removeRange deletes b[from:to].
func removeRange(b []byte, from, to int) []byte {
	n := copy(b[from:], b[to:])
	return b[:from+n]
}

// sbytes views a string as bytes without copying. The result must not be
// modified: strings handed out this way are immutable storage.
func sbytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// newString copies parts into one new immutable string with a single
// allocation.
func newString(a, b []byte) string {
	n := len(a) + len(b)
	if n == 0 {
		return ""
	}
	buf := make([]byte, n)
	copy(buf, a)
	copy(buf[len(a):], b)
	return unsafe.String(&buf[0], n)
}

// u32 reads and writes the 4-byte element counts that head packed values.
func getU32(b []byte) int        { return int(binary.LittleEndian.Uint32(b)) }
func putU32(b []byte, v int)     { binary.LittleEndian.PutUint32(b, uint32(v)) }
func addU32(b []byte, delta int) { putU32(b, getU32(b)+delta) }
