package rdb

import (
	"encoding/binary"
	"errors"
	"math"
)

// Intset (intset.c), the encoding of small all-integer sets (type 11):
//
//	encoding u32 LE (2, 4 or 8: bytes per member) | length u32 LE | members
//
// Members are signed little-endian integers of that width, sorted
// ascending without duplicates (lookups are binary searches).
const intsetHeaderSize = 8

var errIntset = errors.New("Intset integrity check failed")

// intsetIterate checks b the way intsetValidateIntegrity does in deep mode
// (known width, size equal to header + length*width, not empty, strictly
// ascending) and calls fn for each member.
func intsetIterate(b []byte, fn func(v int64) error) (int, error) {
	if len(b) < intsetHeaderSize {
		return 0, errIntset
	}
	width := binary.LittleEndian.Uint32(b)
	if width != 2 && width != 4 && width != 8 {
		return 0, errIntset
	}
	count := uint64(binary.LittleEndian.Uint32(b[4:]))
	if count == 0 || intsetHeaderSize+count*uint64(width) != uint64(len(b)) {
		return 0, errIntset
	}
	var prev int64
	for i := range int(count) {
		p := intsetHeaderSize + i*int(width)
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b[p:])))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b[p:])))
		default:
			v = int64(binary.LittleEndian.Uint64(b[p:]))
		}
		if i > 0 && v <= prev {
			return 0, errIntset
		}
		prev = v
		if err := fn(v); err != nil {
			return 0, err
		}
	}
	return int(count), nil
}

// intsetAppend appends the intset of sorted, which must be non-empty,
// ascending and free of duplicates. The width is the smallest that holds
// both ends, as Redis picks it.
func intsetAppend(dst []byte, sorted []int64) []byte {
	lo, hi := sorted[0], sorted[len(sorted)-1]
	width := 8
	switch {
	case lo >= math.MinInt16 && hi <= math.MaxInt16:
		width = 2
	case lo >= math.MinInt32 && hi <= math.MaxInt32:
		width = 4
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(width))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(sorted)))
	for _, v := range sorted {
		switch width {
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	return dst
}
