package rdb

import (
	"encoding/binary"
	"errors"
)

// Zipmap (zipmap.c), the small-hash encoding of Redis 2.x (type 9):
//
//	zmlen u8 (entries; 254 or more = unknown) | entries | 0xFF
//	entry = len field | len free:u8 value | free unused bytes
//	len = 1 byte < 254, or a marker byte >= 254 and a u32 LE
//
// The free bytes were slack left by in-place updates and must be skipped.
var errZipmap = errors.New("Zipmap integrity check failed")

// zipmapIterate checks zm the way zipmapValidateIntegrity does in deep mode
// (every entry inside the blob, terminator, not empty, count right unless
// unknown) and calls fn for each field and value.
func zipmapIterate(zm []byte, fn func(field, value []byte) error) (int, error) {
	if len(zm) < 2 || zm[len(zm)-1] != 0xFF {
		return 0, errZipmap
	}
	end := uint64(len(zm) - 1)
	readLen := func(p uint64) (l, next uint64, ok bool) {
		if zm[p] < 254 {
			return uint64(zm[p]), p + 1, true
		}
		if p+5 > end {
			return 0, 0, false
		}
		return uint64(binary.LittleEndian.Uint32(zm[p+1:])), p + 5, true
	}
	p := uint64(1)
	count := 0
	for zm[p] != 0xFF {
		fl, fp, ok := readLen(p)
		if !ok || fp+fl >= end {
			return 0, errZipmap
		}
		vl, vp, ok := readLen(fp + fl)
		// vp is the free byte, then the value and the free space.
		if !ok || vp >= end {
			return 0, errZipmap
		}
		free := uint64(zm[vp])
		next := vp + 1 + vl + free
		if next > end {
			return 0, errZipmap
		}
		if err := fn(zm[fp:fp+fl], zm[vp+1:vp+1+vl]); err != nil {
			return 0, err
		}
		count++
		p = next
	}
	if count == 0 || (zm[0] < 254 && int(zm[0]) != count) {
		return 0, errZipmap
	}
	return count, nil
}
