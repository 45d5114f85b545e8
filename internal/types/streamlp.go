package types

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/tandemdb/tandem/internal/resp"
)

// Redis's listpack (listpack.c), the byte format of a stream node. Streams
// keep their nodes in exactly this format, unlike the other types' packed
// buffers, so that RDB files, DUMP payloads and memory use match Redis's
// byte for byte:
//
//	total_bytes u32 LE | num_elements u16 LE (65535 = unknown) | entries | 0xFF
//	entry = encoding [data] backlen
//
// backlen is the size of encoding+data in 1..5 bytes of 7 bits, readable
// from its last byte backwards. A string that is a canonical integer is
// stored as an integer, as lpAppend does.

const (
	lpHdrSize  = 6
	lpEnd      = 0xFF
	lpCountMax = 65535
)

// lpInit writes an empty listpack into buf (its length 0; its capacity
// is the listpack's room) and returns it.
func lpInit(buf []byte) []byte {
	lp := append(buf[:0], 0, 0, 0, 0, 0, 0, lpEnd)
	binary.LittleEndian.PutUint32(lp, uint32(lpHdrSize+1))
	return lp
}

// lpBytes is the listpack's total size as its header says.
func lpBytes(lp []byte) int { return int(binary.LittleEndian.Uint32(lp)) }

func lpBacklenLen(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

func lpPutBacklen(dst []byte, l int) []byte {
	n := lpBacklenLen(l)
	for i := n - 1; i >= 0; i-- {
		b := byte(l>>(7*uint(i))) & 127
		if i != n-1 {
			b |= 128
		}
		dst = append(dst, b)
	}
	return dst
}

// lpEncodeInt appends the smallest integer encoding of v and its backlen.
func lpEncodeInt(dst []byte, v int64) []byte {
	start := len(dst)
	u := uint64(v)
	switch {
	case v >= 0 && v <= 127:
		dst = append(dst, byte(v))
	case v >= -4096 && v <= 4095:
		dst = append(dst, 0xC0|byte(u>>8)&0x1F, byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		dst = append(dst, 0xF1, byte(u), byte(u>>8))
	case v >= -1<<23 && v <= 1<<23-1:
		dst = append(dst, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		dst = append(dst, 0xF3)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(u))
	default:
		dst = append(dst, 0xF4)
		dst = binary.LittleEndian.AppendUint64(dst, u)
	}
	return lpPutBacklen(dst, len(dst)-start)
}

// lpEncodeElement appends s as lpAppend would: an integer when s is a
// canonical integer string, else a string.
func lpEncodeElement(dst, s []byte) []byte {
	if v, ok := resp.ParseInt(s); ok {
		return lpEncodeInt(dst, v)
	}
	start := len(dst)
	n := len(s)
	switch {
	case n < 64:
		dst = append(dst, 0x80|byte(n))
	case n < 4096:
		dst = append(dst, 0xE0|byte(n>>8), byte(n))
	default:
		dst = append(dst, 0xF0)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	}
	dst = append(dst, s...)
	return lpPutBacklen(dst, len(dst)-start)
}

// lpAppendRaw appends already encoded elements (enc, n of them) before the
// terminator and updates the header.
func lpAppendRaw(lp, enc []byte, n int) []byte {
	lp = append(lp[:len(lp)-1], enc...)
	lp = append(lp, lpEnd)
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	if c := int(binary.LittleEndian.Uint16(lp[4:])); c != lpCountMax {
		c += n
		if c >= lpCountMax {
			c = lpCountMax
		}
		binary.LittleEndian.PutUint16(lp[4:], uint16(c))
	}
	return lp
}

// lpElem decodes the element at off: an integer (isInt) or a string view
// into lp. next is the offset of the following element (or of the
// terminator). The listpack must be valid (stream nodes are built here or
// checked when loaded).
func lpElem(lp []byte, off int) (s []byte, v int64, isInt bool, next int) {
	c := lp[off]
	var size int
	switch {
	case c&0x80 == 0:
		v, isInt, size = int64(c), true, 1
	case c&0xC0 == 0x80:
		n := int(c & 0x3F)
		s, size = lp[off+1:off+1+n], 1+n
	case c&0xE0 == 0xC0:
		u := int64(c&0x1F)<<8 | int64(lp[off+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		v, isInt, size = u, true, 2
	case c&0xF0 == 0xE0:
		n := int(c&0x0F)<<8 | int(lp[off+1])
		s, size = lp[off+2:off+2+n], 2+n
	case c == 0xF0:
		n := int(binary.LittleEndian.Uint32(lp[off+1:]))
		s, size = lp[off+5:off+5+n], 5+n
	case c == 0xF1:
		v, isInt, size = int64(int16(binary.LittleEndian.Uint16(lp[off+1:]))), true, 3
	case c == 0xF2:
		u := uint32(lp[off+1]) | uint32(lp[off+2])<<8 | uint32(lp[off+3])<<16
		v, isInt, size = int64(int32(u<<8)>>8), true, 4
	case c == 0xF3:
		v, isInt, size = int64(int32(binary.LittleEndian.Uint32(lp[off+1:]))), true, 5
	default: // 0xF4
		v, isInt, size = int64(binary.LittleEndian.Uint64(lp[off+1:])), true, 9
	}
	return s, v, isInt, off + size + lpBacklenLen(size)
}

// lpInt reads the integer element at off (stream metadata is always
// integers) and the offset of the next element.
func lpInt(lp []byte, off int) (int64, int) {
	s, v, isInt, next := lpElem(lp, off)
	if !isInt {
		v, _ = resp.ParseInt(s)
	}
	return v, next
}

// lpSkip returns the offset of the element after the one at off.
func lpSkip(lp []byte, off int) int {
	_, _, _, next := lpElem(lp, off)
	return next
}

// lpAppendElemTo appends the element at off to dst as a string (integers
// formatted in decimal, as lpGet does) and returns dst and the next offset.
func lpAppendElemTo(dst, lp []byte, off int) ([]byte, int) {
	s, v, isInt, next := lpElem(lp, off)
	if isInt {
		return strconv.AppendInt(dst, v, 10), next
	}
	return append(dst, s...), next
}

// lpElemEqual reports whether the element at off equals s as a string.
func lpElemEqual(lp []byte, off int, s []byte) bool {
	es, v, isInt, _ := lpElem(lp, off)
	if isInt {
		var buf [24]byte
		es = strconv.AppendInt(buf[:0], v, 10)
	}
	return string(es) == string(s)
}

// lpReplaceInt replaces the element at off with the integer v, moving the
// bytes after it when the encoding size changes (lpReplaceInteger). It
// returns the listpack (which may have moved).
func lpReplaceInt(lp []byte, off int, v int64) []byte {
	next := lpSkip(lp, off)
	var buf [16]byte
	enc := lpEncodeInt(buf[:0], v)
	if len(enc) == next-off {
		copy(lp[off:], enc)
		return lp
	}
	tail := len(lp) - next
	nl := make([]byte, off+len(enc)+tail, off+len(enc)+tail)
	copy(nl, lp[:off])
	copy(nl[off:], enc)
	copy(nl[off+len(enc):], lp[next:])
	binary.LittleEndian.PutUint32(nl, uint32(len(nl)))
	return nl
}

// lpPrev returns the offset of the element that ends just before off (the
// backlen there gives its size).
func lpPrev(lp []byte, off int) int {
	var size int
	i, shift := off-1, uint(0)
	for {
		size |= int(lp[i]&127) << shift
		if lp[i]&128 == 0 {
			break
		}
		i--
		shift += 7
	}
	return off - lpBacklenLen(size) - size
}
