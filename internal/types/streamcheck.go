package types

import (
	"encoding/binary"
	"errors"
	"math"
)

// ErrStreamNode is returned by ValidateStreamNode for a node that is not a
// well-formed stream listpack.
var ErrStreamNode = errors.New("Stream listpack integrity check failed.")

// lpCheckedElem decodes the element at off like lpElem, but checks every
// length against the end of the entries (end, the terminator's offset)
// and the backlen against the element's size.
func lpCheckedElem(lp []byte, off, end int) (v int64, isInt bool, next int, ok bool) {
	if off >= end {
		return 0, false, 0, false
	}
	c := lp[off]
	room := end - off
	var size int
	switch {
	case c&0x80 == 0:
		v, isInt, size = int64(c), true, 1
	case c&0xC0 == 0x80:
		size = 1 + int(c&0x3F)
	case c&0xE0 == 0xC0:
		if room < 2 {
			return 0, false, 0, false
		}
		u := int64(c&0x1F)<<8 | int64(lp[off+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		v, isInt, size = u, true, 2
	case c&0xF0 == 0xE0:
		if room < 2 {
			return 0, false, 0, false
		}
		size = 2 + (int(c&0x0F)<<8 | int(lp[off+1]))
	case c == 0xF0:
		if room < 5 {
			return 0, false, 0, false
		}
		n := uint64(binary.LittleEndian.Uint32(lp[off+1:]))
		if n > uint64(room) {
			return 0, false, 0, false
		}
		size = 5 + int(n)
	case c == 0xF1:
		if room < 3 {
			return 0, false, 0, false
		}
		v, isInt, size = int64(int16(binary.LittleEndian.Uint16(lp[off+1:]))), true, 3
	case c == 0xF2:
		if room < 4 {
			return 0, false, 0, false
		}
		u := uint32(lp[off+1]) | uint32(lp[off+2])<<8 | uint32(lp[off+3])<<16
		v, isInt, size = int64(int32(u<<8)>>8), true, 4
	case c == 0xF3:
		if room < 5 {
			return 0, false, 0, false
		}
		v, isInt, size = int64(int32(binary.LittleEndian.Uint32(lp[off+1:]))), true, 5
	case c == 0xF4:
		if room < 9 {
			return 0, false, 0, false
		}
		v, isInt, size = int64(binary.LittleEndian.Uint64(lp[off+1:])), true, 9
	default:
		return 0, false, 0, false
	}
	next = off + size + lpBacklenLen(size)
	if size > room || next > end {
		return 0, false, 0, false
	}
	// The backlen must be exactly the encoding of the element's size: the
	// stream code walks nodes backwards by it.
	var want [5]byte
	if string(lpPutBacklen(want[:0], size)) != string(lp[off+size:next]) {
		return 0, false, 0, false
	}
	return v, isInt, next, true
}

// ValidateStreamNode checks that lp is a listpack holding a stream node
// (streamValidateListpackIntegrity in deep mode, always: the stream code
// reads nodes without bounds checks) and returns its live entry count.
// It also checks what Redis leaves to chance: counts that are not
// negative and a header element count that matches.
func ValidateStreamNode(lp []byte) (live int64, err error) {
	if len(lp) < lpHdrSize+1 || lpBytes(lp) != len(lp) || lp[len(lp)-1] != lpEnd {
		return 0, ErrStreamNode
	}
	end := len(lp) - 1
	off := lpHdrSize
	elems := 0
	next := func() (int64, bool, bool) {
		v, isInt, n, ok := lpCheckedElem(lp, off, end)
		if ok {
			off = n
			elems++
		}
		return v, isInt, ok
	}
	integer := func() (int64, bool) {
		v, isInt, ok := next()
		return v, ok && isInt
	}
	count, ok1 := integer()
	deleted, ok2 := integer()
	masterFields, ok3 := integer()
	if !ok1 || !ok2 || !ok3 || count < 0 || deleted < 0 || masterFields < 0 || masterFields > int64(len(lp)) {
		return 0, ErrStreamNode
	}
	if count+deleted == 0 {
		return 0, ErrStreamNode
	}
	for j := int64(0); j < masterFields; j++ {
		if _, _, ok := next(); !ok {
			return 0, ErrStreamNode
		}
	}
	if zero, ok := integer(); !ok || zero != 0 {
		return 0, ErrStreamNode
	}
	var liveSeen, deletedSeen int64
	for n := count + deleted; n > 0; n-- {
		flags, ok := integer()
		if !ok || flags < 0 || flags > streamFlagDeleted|streamFlagSameFields {
			return 0, ErrStreamNode
		}
		if _, ok := integer(); !ok {
			return 0, ErrStreamNode
		}
		if _, ok := integer(); !ok {
			return 0, ErrStreamNode
		}
		fields, extra := masterFields, int64(3)
		if flags&streamFlagSameFields == 0 {
			if fields, ok = integer(); !ok || fields < 0 || fields > int64(len(lp)) {
				return 0, ErrStreamNode
			}
			for j := int64(0); j < fields; j++ {
				if _, _, ok := next(); !ok {
					return 0, ErrStreamNode
				}
			}
			extra += fields + 1
		}
		for j := int64(0); j < fields; j++ {
			if _, _, ok := next(); !ok {
				return 0, ErrStreamNode
			}
		}
		if lpc, ok := integer(); !ok || lpc != fields+extra {
			return 0, ErrStreamNode
		}
		if flags&streamFlagDeleted != 0 {
			deletedSeen++
		} else {
			liveSeen++
		}
	}
	if off != end || liveSeen != count || deletedSeen != deleted {
		return 0, ErrStreamNode
	}
	if h := int(binary.LittleEndian.Uint16(lp[4:])); h != lpCountMax && h != elems {
		return 0, ErrStreamNode
	}
	if count > math.MaxInt32 {
		return 0, ErrStreamNode
	}
	return count, nil
}
