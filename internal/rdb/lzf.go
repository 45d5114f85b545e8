package rdb

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// LZF, the compression of liblzf that Redis uses for strings. A compressed
// stream is a sequence of items, each introduced by a control byte c:
//
//	c < 0x20              literal run: the next c+1 bytes are copied as is
//	c >> 5 in 1..6        back reference of (c>>5)+2 bytes, then one offset byte
//	c >> 5 == 7           back reference of 7+next+2 bytes, then one offset byte
//
// For back references the distance is ((c&0x1f)<<8 | offset byte) + 1, so
// 1..8192 bytes back, and the copy may overlap its own output (distance 1
// repeats one byte), which is why it is done byte by byte.
const (
	lzfMaxLiteral  = 32
	lzfMaxDistance = 1 << 13
	lzfMinMatch    = 3
	lzfMaxMatch    = 7 + 255 + 2
	// lzfMaxRatio bounds how much output one input byte can produce (a
	// 3-byte back reference yields at most 264 bytes). The decoder uses it
	// to refuse an uncompressed length before allocating it.
	lzfMaxRatio = lzfMaxMatch/3 + 1

	lzfHashLog = 14
)

var errLZF = errors.New("Invalid LZF compressed string")

// lzfDecompress decompresses in into out, which must have exactly the
// expected uncompressed length. Like Redis it fails unless the input is
// consumed exactly and fills out exactly.
func lzfDecompress(in, out []byte) error {
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 0x20 {
			n := ctrl + 1
			if ip+n > len(in) || op+n > len(out) {
				return errLZF
			}
			// Literal runs are at most 32 bytes: with room for a whole
			// 32 bytes on both sides, one fixed-size copy (two vector
			// moves) replaces the call to memmove; the bytes past n are
			// overwritten by what follows.
			if ip+lzfMaxLiteral <= len(in) && op+lzfMaxLiteral <= len(out) {
				*(*[lzfMaxLiteral]byte)(out[op:]) = *(*[lzfMaxLiteral]byte)(in[ip:])
			} else {
				copy(out[op:], in[ip:ip+n])
			}
			ip += n
			op += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(in) {
				return errLZF
			}
			n += int(in[ip])
			ip++
		}
		if ip >= len(in) {
			return errLZF
		}
		ref := op - ((ctrl&0x1f)<<8 | int(in[ip])) - 1
		ip++
		n += 2
		if ref < 0 || op+n > len(out) {
			return errLZF
		}
		switch d := op - ref; {
		case n <= 16 && d >= 16 && op+16 <= len(out):
			// A short reference 16 bytes back or more: one fixed-size
			// copy, the source and the 16 bytes written apart.
			*(*[16]byte)(out[op:]) = *(*[16]byte)(out[ref:])
		case d >= n:
			copy(out[op:op+n], out[ref:ref+n])
		default:
			// The copy overlaps its own output: the bytes from ref repeat
			// with period d. Each copy takes all that is written from ref
			// so far, a whole number of periods, so the next one can take
			// twice as much: a run of zeros (d = 1, up to 264 bytes, what
			// padded values compress to) takes 9 copies, not 264 steps.
			end := op + n
			for w := op; w < end; {
				w += copy(out[w:end], out[ref:w])
			}
		}
		op += n
	}
	if op != len(out) {
		return errLZF
	}
	return nil
}

// lzfCompressor keeps the hash table between calls so that compressing many
// short strings does not clear 64 KB each time: table entries are absolute
// positions in a virtual stream that grows with every call, and positions
// from earlier calls are simply below base.
type lzfCompressor struct {
	table [1 << lzfHashLog]uint32
	base  uint32
}

func lzfHash(a, b, c byte) uint32 {
	v := uint32(a)<<16 | uint32(b)<<8 | uint32(c)
	return (v * 2654435761) >> (32 - lzfHashLog)
}

// compress appends the LZF form of in to dst and returns it, or returns
// (dst, false) if the compressed form would be longer than maxLen bytes.
// The output need not be byte-identical to liblzf's: any valid stream is
// accepted by Redis.
func (c *lzfCompressor) compress(dst, in []byte, maxLen int) ([]byte, bool) {
	if len(in) >= 1<<30 {
		// Positions are 32-bit; such strings are stored uncompressed.
		return dst, false
	}
	if c.base == 0 || uint64(c.base)+uint64(len(in)) >= 1<<31 {
		clear(c.table[:])
		c.base = 1
	}
	// Reserve this call's range of positions up front, so entries left by
	// a call that gives up early are below base for every later call.
	base := c.base
	c.base += uint32(len(in)) + 1
	start := len(dst)
	litStart := 0
	emitLiterals := func(end int) bool {
		for litStart < end {
			n := min(end-litStart, lzfMaxLiteral)
			if len(dst)-start+1+n > maxLen {
				return false
			}
			dst = append(dst, byte(n-1))
			dst = append(dst, in[litStart:litStart+n]...)
			litStart += n
		}
		return true
	}
	i := 0
	for {
		var ref int
		if i, ref = c.findMatch(in, i, base); ref < 0 {
			break
		}
		dist := i - ref
		n := lzfMatchLen(in, ref, i, min(lzfMaxMatch, len(in)-i))
		if !emitLiterals(i) {
			return dst[:start], false
		}
		l := n - 2
		off := dist - 1
		need := 2
		if l >= 7 {
			need = 3
		}
		if len(dst)-start+need > maxLen {
			return dst[:start], false
		}
		if l < 7 {
			dst = append(dst, byte(l<<5|off>>8), byte(off))
		} else {
			dst = append(dst, byte(7<<5|off>>8), byte(l-7), byte(off))
		}
		// Index the last two positions of the match, as liblzf does (its
		// VERY_FAST mode, Redis's build): indexing every position inside
		// it found no better matches on padded values and text and made
		// compression 2-3x slower (BenchmarkLZFCompress), which a full
		// sync of compressible values spends most of its time in.
		for j := max(i+1, i+n-2); j < i+n && j+lzfMinMatch <= len(in); j++ {
			c.table[lzfHash(in[j], in[j+1], in[j+2])] = base + uint32(j)
		}
		i += n
		litStart = i
	}
	if !emitLiterals(len(in)) {
		return dst[:start], false
	}
	return dst, true
}

// findMatch indexes the positions of in from i on until one repeats the
// three bytes of an earlier one at most lzfMaxDistance back, and returns
// it and the earlier one (ref), or ref -1 when none does. It is the loop
// compression spends most of its time in, kept apart so that its few
// variables stay in registers (inside compress they were spilled to the
// stack: 1.4x slower on data that does not compress).
func (c *lzfCompressor) findMatch(in []byte, i int, base uint32) (int, int) {
	tab := &c.table
	for ; i+lzfMinMatch <= len(in); i++ {
		h := lzfHash(in[i], in[i+1], in[i+2])
		cand := tab[h]
		tab[h] = base + uint32(i)
		if cand < base {
			continue
		}
		ref := int(cand - base)
		if ref < i && i-ref <= lzfMaxDistance && in[ref] == in[i] && in[ref+1] == in[i+1] && in[ref+2] == in[i+2] {
			return i, ref
		}
	}
	return i, -1
}

// lzfMatchLen is how many bytes from ref and i are equal, at least
// lzfMinMatch (the caller checked those) and at most limit, compared 8 at a
// time where 8 remain.
func lzfMatchLen(in []byte, ref, i, limit int) int {
	n := lzfMinMatch
	for n+8 <= limit {
		x := binary.LittleEndian.Uint64(in[ref+n:]) ^ binary.LittleEndian.Uint64(in[i+n:])
		if x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
		n += 8
	}
	for n < limit && in[ref+n] == in[i+n] {
		n++
	}
	return n
}
