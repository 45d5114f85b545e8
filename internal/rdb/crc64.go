package rdb

import (
	"encoding/binary"
	"math/bits"
)

// crcPoly is the Jones polynomial 0xad93d23594c935a9 bit-reversed, because
// Redis's CRC is the reflected variant (least significant bit first).
const crcPoly = 0x95ac9329ac4bc9b5

// crcTables holds slicing-by-16 tables: crcTables[0] is the classic byte
// table, crcTables[k] advances a byte that is followed by k more bytes. The
// standard library's hash/crc64 rebuilds such tables on every large call for
// non-standard polynomials, which is why this package carries its own.
// Sixteen tables (32 KB) take 16 bytes per step with two independent
// chains of lookups, about half again the speed of eight.
var crcTables = makeCRCTables()

func makeCRCTables() *[16][256]uint64 {
	t := new([16][256]uint64)
	for i := range 256 {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ crcPoly
			} else {
				crc >>= 1
			}
		}
		t[0][i] = crc
	}
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 16; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return t
}

// CRC64 continues the checksum crc over p exactly as Redis's crc64(crc, p,
// len(p)) does: CRC-64/Jones, reflected, initial value 0 and no final xor.
// Start with 0; CRC64(0, "123456789") is 0xe9c6d914c4b8d9ca. An RDB file
// stores CRC64(0, everything up to and including the EOF opcode) as 8
// little-endian bytes.
func CRC64(crc uint64, p []byte) uint64 {
	if useCLMUL && len(p) >= clmulMin {
		crc, p = crcFold(crc, p)
	}
	return crcTable(crc, p)
}

// clmulMin is the shortest input folded with carry-less multiplication:
// below it the tables are as quick.
const clmulMin = 64

// crcFold checksums the whole 16-byte blocks of p (at least two) by
// folding, where the processor multiplies without carries (PCLMULQDQ):
// the CRC is linear and has no initial value or final xor, so a 16-byte
// block a1·x^64+a0 followed by 16 more bytes counts as a1·(x^192 mod P) +
// a0·(x^128 mod P) xored into them, two 64×64-bit products; the last
// block left is checksummed with the tables. It returns the CRC so far and
// the bytes after the blocks (fewer than 16). crc enters as the tables
// take it, xored into the first 8 bytes.
func crcFold(crc uint64, p []byte) (uint64, []byte) {
	n := len(p) &^ 15
	x := [2]uint64{crc ^ binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:])}
	foldCLMUL(&x, p[16:n], &crcFoldK)
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], x[0])
	binary.LittleEndian.PutUint64(b[8:], x[1])
	return crcTable(0, b[:]), p[n:]
}

// crcFoldK are the folding constants, x^191 and x^127 mod P in the CRC's
// reflected bit order (a product of two reflected 64-bit values comes out
// one place short of the 128-bit reflected order, hence one less than the
// 192 and 128 of the algebra).
var crcFoldK = [2]uint64{crcXPow(191), crcXPow(127)}

// crcXPow is x^n mod P in the reflected bit order (bit 63 is x^0).
func crcXPow(n int) uint64 {
	v := uint64(1) << 63
	for range n {
		if v&1 == 1 {
			v = v>>1 ^ crcPoly
		} else {
			v >>= 1
		}
	}
	return v
}

// crcTable is CRC64 by the tables alone.
func crcTable(crc uint64, p []byte) uint64 {
	t := crcTables
	// Long inputs go three lanes at a time: three independent chains of
	// table lookups keep the load units busy where one chain waits on
	// itself. Being linear, the CRC of a||b||c is then shift(shift(crc(a))
	// ^ crc0(b)) ^ crc0(c), with crc0 started from zero and shift the
	// advance over crcLane zero bytes.
	for len(p) >= 3*crcLane {
		x, y, z := crc, uint64(0), uint64(0)
		pa := (*[crcLane]byte)(p)
		pb := (*[crcLane]byte)(p[crcLane:])
		pc := (*[crcLane]byte)(p[2*crcLane:])
		for i := 0; i < crcLane; i += 8 {
			x ^= binary.LittleEndian.Uint64(pa[i : i+8])
			y ^= binary.LittleEndian.Uint64(pb[i : i+8])
			z ^= binary.LittleEndian.Uint64(pc[i : i+8])
			x = t[7][x&0xff] ^ t[6][x>>8&0xff] ^ t[5][x>>16&0xff] ^ t[4][x>>24&0xff] ^
				t[3][x>>32&0xff] ^ t[2][x>>40&0xff] ^ t[1][x>>48&0xff] ^ t[0][x>>56]
			y = t[7][y&0xff] ^ t[6][y>>8&0xff] ^ t[5][y>>16&0xff] ^ t[4][y>>24&0xff] ^
				t[3][y>>32&0xff] ^ t[2][y>>40&0xff] ^ t[1][y>>48&0xff] ^ t[0][y>>56]
			z = t[7][z&0xff] ^ t[6][z>>8&0xff] ^ t[5][z>>16&0xff] ^ t[4][z>>24&0xff] ^
				t[3][z>>32&0xff] ^ t[2][z>>40&0xff] ^ t[1][z>>48&0xff] ^ t[0][z>>56]
		}
		crc = crcShift(crcShift(x)^y) ^ z
		p = p[3*crcLane:]
	}
	for len(p) >= 16 {
		a := crc ^ binary.LittleEndian.Uint64(p)
		b := binary.LittleEndian.Uint64(p[8:])
		crc = t[15][a&0xff] ^ t[14][a>>8&0xff] ^ t[13][a>>16&0xff] ^ t[12][a>>24&0xff] ^
			t[11][a>>32&0xff] ^ t[10][a>>40&0xff] ^ t[9][a>>48&0xff] ^ t[8][a>>56] ^
			t[7][b&0xff] ^ t[6][b>>8&0xff] ^ t[5][b>>16&0xff] ^ t[4][b>>24&0xff] ^
			t[3][b>>32&0xff] ^ t[2][b>>40&0xff] ^ t[1][b>>48&0xff] ^ t[0][b>>56]
		p = p[16:]
	}
	if len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return crc
}

// crcLane is the length of each of the three lanes of CRC64.
const crcLane = 256

// crcShiftTables advance a CRC over crcLane zero bytes, byte by byte of
// the CRC: the advance is linear, so it is the xor of the advances of the
// CRC's eight bytes in place.
var crcShiftTables = makeCRCShiftTables(crcLane)

func makeCRCShiftTables(n int) *[8][256]uint64 {
	var unit [64]uint64 // the advance of each single bit
	for b := range unit {
		c := uint64(1) << b
		for range n {
			c = crcTables[0][byte(c)] ^ c>>8
		}
		unit[b] = c
	}
	t := new([8][256]uint64)
	for i := range t {
		for v := 1; v < 256; v++ {
			t[i][v] = t[i][v&(v-1)] ^ unit[8*i+bits.TrailingZeros(uint(v))]
		}
	}
	return t
}

// crcShift advances crc over crcLane zero bytes.
func crcShift(crc uint64) uint64 {
	t := crcShiftTables
	return t[0][crc&0xff] ^ t[1][crc>>8&0xff] ^ t[2][crc>>16&0xff] ^ t[3][crc>>24&0xff] ^
		t[4][crc>>32&0xff] ^ t[5][crc>>40&0xff] ^ t[6][crc>>48&0xff] ^ t[7][crc>>56]
}
