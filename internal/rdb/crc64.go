package rdb

import "encoding/binary"

// crcPoly is the Jones polynomial 0xad93d23594c935a9 bit-reversed, because
// Redis's CRC is the reflected variant (least significant bit first).
const crcPoly = 0x95ac9329ac4bc9b5

// crcTables holds slicing-by-8 tables: crcTables[0] is the classic byte
// table, crcTables[k] advances a byte that is followed by k more bytes. The
// standard library's hash/crc64 rebuilds such tables on every large call for
// non-standard polynomials, which is why this package carries its own.
var crcTables = makeCRCTables()

func makeCRCTables() *[8][256]uint64 {
	t := new([8][256]uint64)
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
		for k := 1; k < 8; k++ {
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
	t := crcTables
	for len(p) >= 8 {
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
