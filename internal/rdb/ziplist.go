package rdb

import (
	"encoding/binary"
	"errors"
)

// Ziplist (ziplist.c), the compact encoding before listpack, found in files
// written by Redis 2.6 to 6.2 (types 10, 12, 13, 14). Read-only here.
//
//	zlbytes u32 LE | zltail u32 LE | zllen u16 LE (65535 = unknown) | entries | 0xFF
//	entry = prevlen (1 byte < 254, or 0xFE + u32 LE) | encoding | data
//
// prevlen is the full size of the previous entry, so a valid ziplist can be
// walked both ways; Redis checks that on load and so does this decoder.
const zlHeaderSize = 10

var errZiplist = errors.New("ziplist integrity check failed")

// zlIterate checks zl the way ziplistValidateIntegrity does in deep mode
// (zlbytes equals blob size, terminator present, zltail in range and
// pointing at the last entry, each prevlen equal to the real size of the
// previous entry, the count right unless 65535) and calls fn for each
// element. fn may be nil. It returns the number of elements.
func zlIterate(zl []byte, fn func(el element) error) (int, error) {
	if len(zl) < zlHeaderSize+1 || uint64(binary.LittleEndian.Uint32(zl)) != uint64(len(zl)) || zl[len(zl)-1] != 0xFF {
		return 0, errZiplist
	}
	end := uint64(len(zl) - 1)
	tail := uint64(binary.LittleEndian.Uint32(zl[4:]))
	if tail > end {
		return 0, errZiplist
	}
	p, last := uint64(zlHeaderSize), uint64(0)
	prevSize := uint64(0)
	count := 0
	for zl[p] != 0xFF {
		el, prevLen, size, ok := zlDecode(zl[p:end])
		if !ok || prevLen != prevSize {
			return 0, errZiplist
		}
		if fn != nil {
			if err := fn(el); err != nil {
				return 0, err
			}
		}
		count++
		last = p
		prevSize = size
		p += size
		if p > end {
			return 0, errZiplist
		}
	}
	if p != end || (count > 0 && last != tail) {
		return 0, errZiplist
	}
	if hdr := binary.LittleEndian.Uint16(zl[8:]); hdr != 65535 && int(hdr) != count {
		return 0, errZiplist
	}
	return count, nil
}

// zlDecode decodes the entry at the start of b (which ends before the
// terminator): the element, the prevlen it declares and its full size.
func zlDecode(b []byte) (el element, prevLen, size uint64, ok bool) {
	n := uint64(len(b))
	var p uint64
	if n < 1 {
		return el, 0, 0, false
	}
	if b[0] < 0xFE {
		prevLen, p = uint64(b[0]), 1
	} else {
		if n < 5 {
			return el, 0, 0, false
		}
		prevLen, p = uint64(binary.LittleEndian.Uint32(b[1:])), 5
	}
	if p >= n {
		return el, 0, 0, false
	}
	c := b[p]
	var strLen uint64
	switch {
	case c < 0x40:
		strLen, p = uint64(c&0x3F), p+1
	case c < 0x80:
		if p+2 > n {
			return el, 0, 0, false
		}
		strLen, p = uint64(c&0x3F)<<8|uint64(b[p+1]), p+2
	case c < 0xC0:
		// Redis masks the encoding with 0xC0, so 0x81..0xBF also mean a
		// 32-bit big-endian length.
		if p+5 > n {
			return el, 0, 0, false
		}
		strLen, p = uint64(binary.BigEndian.Uint32(b[p+1:])), p+5
	default:
		var w uint64
		switch c {
		case 0xFE:
			w = 1
		case 0xC0:
			w = 2
		case 0xF0:
			w = 3
		case 0xD0:
			w = 4
		case 0xE0:
			w = 8
		default:
			if c < 0xF1 || c > 0xFD {
				return el, 0, 0, false
			}
			return element{v: int64(c&0x0F) - 1, isInt: true}, prevLen, p + 1, true
		}
		d := p + 1
		if d+w > n {
			return el, 0, 0, false
		}
		var v int64
		switch w {
		case 1:
			v = int64(int8(b[d]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b[d:])))
		case 3:
			u := uint32(b[d]) | uint32(b[d+1])<<8 | uint32(b[d+2])<<16
			v = int64(int32(u<<8) >> 8)
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b[d:])))
		case 8:
			v = int64(binary.LittleEndian.Uint64(b[d:]))
		}
		return element{v: v, isInt: true}, prevLen, d + w, true
	}
	if p+strLen > n {
		return el, 0, 0, false
	}
	return element{s: b[p : p+strLen]}, prevLen, p + strLen, true
}
