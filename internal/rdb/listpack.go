package rdb

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/tandemdb/tandem/internal/resp"
)

// Listpack (listpack.c), the compact encoding of Redis 7.0 lists, hashes,
// sorted sets and stream nodes:
//
//	total_bytes u32 LE | num_elements u16 LE (65535 = unknown) | entries | 0xFF
//	entry = encoding [data] backlen
//
// backlen is the size of encoding+data in 1..5 bytes of 7 bits, readable
// from its last byte backwards, which lets Redis walk the list in reverse.
const (
	lpHeaderSize = 6
	lpEOF        = 0xFF
	lpCountMax   = 65535
	// lpMaxSafeSize is Redis's LISTPACK_MAX_SAFETY_SIZE: values whose
	// listpack would grow past it are stored in the plain types instead.
	lpMaxSafeSize = 1 << 30
)

var errListpack = errors.New("Listpack integrity check failed")

// element is one decoded list element: an integer or a byte string. s
// points into the blob being decoded and is only valid until the next read.
type element struct {
	s     []byte
	v     int64
	isInt bool
}

// lpBacklenSize returns how many bytes lpAppendBacklen writes for l. The
// thresholds are Redis's, including the strict "<" that makes 16383 take
// three bytes; validation recomputes them, so they must match exactly.
func lpBacklenSize(l uint64) int {
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

func lpAppendBacklen(dst []byte, l uint64) []byte {
	n := lpBacklenSize(l)
	for i := n - 1; i >= 0; i-- {
		b := byte(l>>(7*uint(i))) & 127
		if i != n-1 {
			// Every byte except the first in memory has the high bit set:
			// reading backwards, a clear bit means "this was the last one".
			b |= 128
		}
		dst = append(dst, b)
	}
	return dst
}

// lpIntSize returns the encoded size (without backlen) of the smallest
// integer encoding of v.
func lpIntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 3
	case v >= -1<<23 && v <= 1<<23-1:
		return 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 5
	}
	return 9
}

func lpStrSize(n int) int {
	switch {
	case n < 64:
		return 1 + n
	case n < 4096:
		return 2 + n
	}
	return 5 + n
}

// lpElementSize is the number of bytes lpAppendElement adds for el.
func lpElementSize(el []byte) int {
	var n int
	if v, ok := resp.ParseInt(el); ok {
		n = lpIntSize(v)
	} else {
		n = lpStrSize(len(el))
	}
	return n + lpBacklenSize(uint64(n))
}

// lpAppendElement appends el the way lpAppend does: as an integer when it is
// a canonical integer string, otherwise as a string.
func lpAppendElement(lp, el []byte) []byte {
	if v, ok := resp.ParseInt(el); ok {
		return lpAppendInt(lp, v)
	}
	return lpAppendString(lp, el)
}

func lpAppendInt(lp []byte, v int64) []byte {
	start := len(lp)
	u := uint64(v)
	switch lpIntSize(v) {
	case 1:
		lp = append(lp, byte(v))
	case 2:
		lp = append(lp, 0xC0|byte(u>>8)&0x1F, byte(u))
	case 3:
		lp = append(lp, 0xF1, byte(u), byte(u>>8))
	case 4:
		lp = append(lp, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case 5:
		lp = append(lp, 0xF3)
		lp = binary.LittleEndian.AppendUint32(lp, uint32(u))
	default:
		lp = append(lp, 0xF4)
		lp = binary.LittleEndian.AppendUint64(lp, u)
	}
	return lpAppendBacklen(lp, uint64(len(lp)-start))
}

func lpAppendString(lp, s []byte) []byte {
	start := len(lp)
	n := len(s)
	switch {
	case n < 64:
		lp = append(lp, 0x80|byte(n))
	case n < 4096:
		lp = append(lp, 0xE0|byte(n>>8), byte(n))
	default:
		lp = append(lp, 0xF0)
		lp = binary.LittleEndian.AppendUint32(lp, uint32(n))
	}
	lp = append(lp, s...)
	return lpAppendBacklen(lp, uint64(len(lp)-start))
}

// lpStart begins a listpack in dst (reusing its storage); add entries with
// lpAppendElement/Int/String, then call lpFinish.
func lpStart(dst []byte) []byte {
	return append(dst[:0], 0, 0, 0, 0, 0, 0)
}

// lpFinish terminates lp and fills in its header.
func lpFinish(lp []byte, count int) []byte {
	lp = append(lp, lpEOF)
	binary.LittleEndian.PutUint32(lp[0:4], uint32(len(lp)))
	binary.LittleEndian.PutUint16(lp[4:6], uint16(min(count, lpCountMax)))
	return lp
}

// lpIterate checks lp the way lpValidateIntegrity does in deep mode (header
// size equals blob size, every entry decodable and inside the blob, each
// backlen matching its entry, the walk ending exactly at the final 0xFF,
// the header count right unless 65535) and calls fn for each element. fn
// may be nil. It returns the number of elements.
func lpIterate(lp []byte, fn func(el element) error) (int, error) {
	if len(lp) < lpHeaderSize+1 || uint64(binary.LittleEndian.Uint32(lp)) != uint64(len(lp)) || lp[len(lp)-1] != lpEOF {
		return 0, errListpack
	}
	end := uint64(len(lp) - 1) // index of the terminator
	p := uint64(lpHeaderSize)
	count := 0
	for p < end {
		el, size, ok := lpDecode(lp[p:end])
		if !ok {
			return 0, errListpack
		}
		next := p + size + uint64(lpBacklenSize(size))
		if next > end || lpDecodeBacklen(lp[:next]) != size {
			return 0, errListpack
		}
		if fn != nil {
			if err := fn(el); err != nil {
				return 0, err
			}
		}
		count++
		p = next
	}
	if hdr := binary.LittleEndian.Uint16(lp[4:6]); hdr != lpCountMax && int(hdr) != count {
		return 0, errListpack
	}
	return count, nil
}

// lpDecode decodes the entry at the start of b (which ends before the
// listpack terminator) and returns it with its size without backlen.
func lpDecode(b []byte) (el element, size uint64, ok bool) {
	n := uint64(len(b))
	if n == 0 {
		return el, 0, false
	}
	c := b[0]
	var strLen, hdr uint64
	switch {
	case c&0x80 == 0:
		return element{v: int64(c), isInt: true}, 1, true
	case c&0xC0 == 0x80:
		strLen, hdr = uint64(c&0x3F), 1
	case c&0xE0 == 0xC0:
		if n < 2 {
			return el, 0, false
		}
		u := int64(c&0x1F)<<8 | int64(b[1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		return element{v: u, isInt: true}, 2, true
	case c&0xF0 == 0xE0:
		if n < 2 {
			return el, 0, false
		}
		strLen, hdr = uint64(c&0x0F)<<8|uint64(b[1]), 2
	case c == 0xF0:
		if n < 5 {
			return el, 0, false
		}
		strLen, hdr = uint64(binary.LittleEndian.Uint32(b[1:])), 5
	case c == 0xF1:
		if n < 3 {
			return el, 0, false
		}
		return element{v: int64(int16(binary.LittleEndian.Uint16(b[1:]))), isInt: true}, 3, true
	case c == 0xF2:
		if n < 4 {
			return el, 0, false
		}
		u := uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16
		return element{v: int64(int32(u<<8) >> 8), isInt: true}, 4, true
	case c == 0xF3:
		if n < 5 {
			return el, 0, false
		}
		return element{v: int64(int32(binary.LittleEndian.Uint32(b[1:]))), isInt: true}, 5, true
	case c == 0xF4:
		if n < 9 {
			return el, 0, false
		}
		return element{v: int64(binary.LittleEndian.Uint64(b[1:])), isInt: true}, 9, true
	default:
		return el, 0, false
	}
	if hdr+strLen > n {
		return el, 0, false
	}
	return element{s: b[hdr : hdr+strLen]}, hdr + strLen, true
}

// lpDecodeBacklen reads the backlen that ends at the end of b, the way
// lpDecodeBacklen does: right to left, 7 bits per byte, until a byte without
// the high bit. It returns MaxUint64 when the encoding runs past 5 bytes or
// the start of b.
func lpDecodeBacklen(b []byte) uint64 {
	var v uint64
	for i, shift := len(b)-1, uint(0); i >= 0 && shift <= 28; i, shift = i-1, shift+7 {
		v |= uint64(b[i]&127) << shift
		if b[i]&128 == 0 {
			return v
		}
	}
	return math.MaxUint64
}
