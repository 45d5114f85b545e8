// Package hll is the HyperLogLog value as Redis 7.0 stores it: an ordinary
// string holding a 16-byte header and 16,384 registers, either sparse (a
// run-length code, for small sets) or dense (6 bits per register). The
// bytes are Redis's, so a value made here is read by Redis through RDB,
// DUMP/RESTORE, replication or a plain GET/SET, and the other way round;
// and every operation that changes the bytes changes them exactly as
// Redis does (the same opcode splits and merges, the same promotion to
// dense), so a PFADD applied on both sides of a replication link leaves
// equal strings.
//
// Layout of the header:
//
//	bytes 0-3   "HYLL"
//	byte  4     encoding: 0 dense, 1 sparse
//	bytes 5-7   unused (zero)
//	bytes 8-15  cached cardinality, little endian; the top bit of byte 15
//	            set means the cache is stale
//
// Functions take and return the value's bytes; those that may grow a
// sparse value return the slice to keep. None keeps a reference.
package hll

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

const (
	// P is the number of hash bits that choose a register.
	P = 14
	// Registers is the number of registers (2^P).
	Registers = 1 << P
	// q is the number of hash bits left to count trailing zeros in.
	q = 64 - P

	regBits = 6
	regMax  = 1<<regBits - 1

	// HeaderSize is the size of the header.
	HeaderSize = 16
	// DenseSize is the size of a dense value.
	DenseSize = HeaderSize + (Registers*regBits+7)/8

	encDense  = 0
	encSparse = 1

	// Sparse opcodes (one or two bytes each):
	//	00xxxxxx           ZERO:  xxxxxx+1 registers (1-64) at zero
	//	01xxxxxx yyyyyyyy  XZERO: 14-bit length+1 registers (1-16384) at zero
	//	1vvvvvxx           VAL:   xx+1 registers (1-4) at value vvvvv+1 (1-32)
	sparseValMax      = 32
	sparseValMaxLen   = 4
	sparseZeroMaxLen  = 64
	sparseXZeroMaxLen = 16384

	// DefaultSparseMaxBytes is hll-sparse-max-bytes's default: a sparse
	// value that would grow past it becomes dense.
	DefaultSparseMaxBytes = 3000

	hashSeed = 0xadc83b19
)

// ErrCorrupt is Redis's reply for a value whose header passes but whose
// registers do not add up.
var ErrCorrupt = errors.New("INVALIDOBJ Corrupted HLL object detected")

const magic = "HYLL"

// New returns an empty sparse HyperLogLog: one XZERO opcode covering every
// register, and a valid cached cardinality of zero.
func New() []byte {
	b := make([]byte, HeaderSize, 32) // room for the first few edits
	copy(b, magic)
	b[4] = encSparse
	return appendXZero(b, Registers)
}

// Valid reports whether b has the shape of a HyperLogLog: the header, a
// known encoding, and for a dense value its exact size. The registers of
// a sparse value are checked by the operations that walk them.
func Valid(b []byte) bool {
	if len(b) < HeaderSize || string(b[:4]) != magic || b[4] > encSparse {
		return false
	}
	return b[4] != encDense || len(b) == DenseSize
}

// IsSparse reports whether a valid value is sparse.
func IsSparse(b []byte) bool { return b[4] == encSparse }

// CachedCount returns the cached cardinality, if the cache is valid.
func CachedCount(b []byte) (uint64, bool) {
	if b[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[8:16]), true
}

// SetCachedCount stores a cardinality in the header.
func SetCachedCount(b []byte, n uint64) { binary.LittleEndian.PutUint64(b[8:16], n) }

// InvalidateCache marks the cached cardinality stale.
func InvalidateCache(b []byte) { b[15] |= 0x80 }

// Add counts elem into the value. changed says a register grew (the
// cached cardinality must then be invalidated by the caller, as PFADD does
// once for all its elements).
func Add(b, elem []byte, sparseMax int) (_ []byte, changed bool, err error) {
	idx, count := hashElement(elem)
	return setRegister(b, idx, count, sparseMax)
}

// hashElement returns the register an element falls in and the value it
// proposes: one more than the number of trailing zero bits of the rest of
// its 64-bit hash (a bit is forced at position q so that it ends).
func hashElement(elem []byte) (int, uint8) {
	h := murmurHash64A(elem, hashSeed)
	idx := int(h & (Registers - 1))
	h >>= P
	h |= 1 << q
	return idx, uint8(bits.TrailingZeros64(h) + 1)
}

// setRegister raises register idx to count if it is lower.
func setRegister(b []byte, idx int, count uint8, sparseMax int) ([]byte, bool, error) {
	if b[4] == encDense {
		return b, denseSet(b[HeaderSize:], idx, count), nil
	}
	return sparseSet(b, idx, count, sparseMax)
}

// denseGet reads a 6-bit register. Registers are packed from the low bits
// of each byte up; one may straddle two bytes.
func denseGet(regs []byte, i int) uint8 {
	byteAt, shift := i*regBits/8, uint(i*regBits&7)
	v := regs[byteAt] >> shift
	if byteAt+1 < len(regs) {
		v |= regs[byteAt+1] << (8 - shift)
	}
	return v & regMax
}

func densePut(regs []byte, i int, v uint8) {
	byteAt, shift := i*regBits/8, uint(i*regBits&7)
	regs[byteAt] = regs[byteAt]&^(regMax<<shift) | v<<shift
	if byteAt+1 < len(regs) {
		regs[byteAt+1] = regs[byteAt+1]&^(regMax>>(8-shift)) | v>>(8-shift)
	}
}

// denseSet raises register i to v; it reports whether it changed.
func denseSet(regs []byte, i int, v uint8) bool {
	if denseGet(regs, i) >= v {
		return false
	}
	densePut(regs, i, v)
	return true
}

// Opcode helpers.
func isZero(op byte) bool       { return op&0xc0 == 0 }
func isXZero(op byte) bool      { return op&0xc0 == 0x40 }
func isVal(op byte) bool        { return op&0x80 != 0 }
func zeroLen(op byte) int       { return int(op&0x3f) + 1 }
func xzeroLen(hi, lo byte) int  { return int(hi&0x3f)<<8 | int(lo) + 1 }
func valValue(op byte) uint8    { return (op>>2)&0x1f + 1 }
func valLen(op byte) int        { return int(op&3) + 1 }
func valOp(v uint8, n int) byte { return 0x80 | (v-1)<<2 | byte(n-1) }

func appendZeros(b []byte, n int) []byte {
	if n > sparseZeroMaxLen {
		return appendXZero(b, n)
	}
	return append(b, byte(n-1))
}

func appendXZero(b []byte, n int) []byte {
	n--
	return append(b, byte(n>>8)|0x40, byte(n))
}

// walkSparse calls fn for every opcode of a sparse value's registers with
// the first register it covers, how many it covers and their value; it
// returns the number of registers covered (Registers when well formed, -1
// when the opcodes cover more). fn returning false stops the walk early.
func walkSparse(regs []byte, fn func(first, n int, v uint8) bool) int {
	idx := 0
	for p := 0; p < len(regs); {
		op := regs[p]
		var n int
		var v uint8
		switch {
		case isZero(op):
			n = zeroLen(op)
			p++
		case isXZero(op):
			if p+1 >= len(regs) {
				return -1
			}
			n = xzeroLen(op, regs[p+1])
			p += 2
		default:
			n, v = valLen(op), valValue(op)
			p++
		}
		if idx+n > Registers {
			return -1 // more registers than there are: corrupt
		}
		if fn != nil && !fn(idx, n, v) {
			return idx
		}
		idx += n
	}
	return idx
}

// sparseSet raises register idx to count in a sparse value, editing the
// run-length code in place the way Redis does: find the opcode covering
// the register; a VAL already as high changes nothing; a single-register
// VAL or ZERO is rewritten; anything else is split into up to three
// opcodes (zeros or the old value before, the new VAL, zeros or the old
// value after); then adjacent VALs of equal value around the change are
// merged while their run fits. A value beyond what VAL can hold, or a
// value that would outgrow sparseMax bytes, becomes dense first.
func sparseSet(b []byte, idx int, count uint8, sparseMax int) ([]byte, bool, error) {
	if count > sparseValMax {
		return promote(b, idx, count)
	}
	regs := b[HeaderSize:]
	first, p, prev := 0, 0, -1
	span, oplen := 0, 0
	for p < len(regs) {
		op := regs[p]
		oplen = 1
		switch {
		case isZero(op):
			span = zeroLen(op)
		case isVal(op):
			span = valLen(op)
		default:
			if p+1 >= len(regs) {
				return b, false, ErrCorrupt
			}
			span, oplen = xzeroLen(op, regs[p+1]), 2
		}
		if idx <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= len(regs) {
		return b, false, ErrCorrupt
	}
	op := regs[p]
	last := first + span - 1

	// The trivial cases: nothing to do, or one opcode byte rewritten.
	switch {
	case isVal(op) && valValue(op) >= count:
		return b, false, nil
	case (isVal(op) || isZero(op)) && span == 1:
		regs[p] = valOp(count, 1)
		return mergeVals(b, prev), true, nil
	}

	// The general case: split the opcode.
	var seq [5]byte
	n := seq[:0]
	if isVal(op) {
		old := valValue(op)
		if idx != first {
			n = append(n, valOp(old, idx-first))
		}
		n = append(n, valOp(count, 1))
		if idx != last {
			n = append(n, valOp(old, last-idx))
		}
	} else {
		if idx != first {
			n = appendZeros(n, idx-first)
		}
		n = append(n, valOp(count, 1))
		if idx != last {
			n = appendZeros(n, last-idx)
		}
	}
	delta := len(n) - oplen
	if delta > 0 && len(b)+delta > sparseMax {
		return promote(b, idx, count)
	}
	at := HeaderSize + p
	tail := append([]byte(nil), b[at+oplen:]...)
	b = append(append(b[:at], n...), tail...)
	return mergeVals(b, prev), true, nil
}

// mergeVals looks at up to five opcodes from prev (the opcode before the
// one changed, or the first) and merges each pair of adjacent VALs with
// the same value whose runs fit in one VAL, as Redis's in-place update
// does after a change. The cache is invalidated.
func mergeVals(b []byte, prev int) []byte {
	p := HeaderSize
	if prev >= 0 {
		p += prev
	}
	for scan := 5; p < len(b) && scan > 0; scan-- {
		op := b[p]
		switch {
		case isXZero(op):
			p += 2
			continue
		case isZero(op):
			p++
			continue
		}
		if p+1 < len(b) && isVal(b[p+1]) && valValue(op) == valValue(b[p+1]) {
			if n := valLen(op) + valLen(b[p+1]); n <= sparseValMaxLen {
				b[p+1] = valOp(valValue(op), n)
				b = append(b[:p], b[p+1:]...)
				continue // the merged VAL may merge with the next one too
			}
		}
		p++
	}
	InvalidateCache(b)
	return b
}

// promote turns a sparse value dense and then sets the register, which
// must change (a register beyond sparse's reach, or a split sparse could
// not hold).
func promote(b []byte, idx int, count uint8) ([]byte, bool, error) {
	d, err := ToDense(b)
	if err != nil {
		return b, false, err
	}
	denseSet(d[HeaderSize:], idx, count)
	return d, true, nil
}

// ToDense returns the dense form of a value (b itself when dense). The
// header is kept, cached cardinality included.
func ToDense(b []byte) ([]byte, error) {
	if b[4] == encDense {
		return b, nil
	}
	d := make([]byte, DenseSize)
	copy(d, b[:HeaderSize])
	d[4] = encDense
	regs := d[HeaderSize:]
	covered := walkSparse(b[HeaderSize:], func(first, n int, v uint8) bool {
		if v != 0 {
			for i := first; i < first+n; i++ {
				densePut(regs, i, v)
			}
		}
		return true
	})
	if covered != Registers {
		return b, ErrCorrupt
	}
	return d, nil
}

// MergeInto raises each of max's registers to the value's, when higher.
func MergeInto(max *[Registers]uint8, b []byte) error {
	if b[4] == encDense {
		denseMergeInto(b[HeaderSize:], max)
		return nil
	}
	covered := walkSparse(b[HeaderSize:], func(first, n int, v uint8) bool {
		for i := first; i < first+n; i++ {
			if v > max[i] {
				max[i] = v
			}
		}
		return true
	})
	if covered != Registers {
		return ErrCorrupt
	}
	return nil
}

// Count estimates the cardinality from the registers (the cache is not
// read; the caller stores the result).
func Count(b []byte) (uint64, error) {
	var histo [64]int
	if b[4] == encDense {
		var regs [Registers]uint8
		denseDecode(b[HeaderSize:], &regs)
		for _, v := range regs {
			histo[v]++
		}
	} else {
		covered := walkSparse(b[HeaderSize:], func(_, n int, v uint8) bool {
			histo[v] += n
			return true
		})
		if covered != Registers {
			return 0, ErrCorrupt
		}
	}
	return estimate(&histo), nil
}

// CountRegisters estimates the cardinality of raw registers (a union).
func CountRegisters(max *[Registers]uint8) uint64 {
	var histo [64]int
	for _, v := range max {
		histo[v&63]++
	}
	return estimate(&histo)
}

// estimate is Otmar Ertl's estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", 2017), which Redis uses since 5.0:
// no bias tables, good at every cardinality.
func estimate(histo *[64]int) uint64 {
	const m = float64(Registers)
	z := m * tau((m-float64(histo[q+1]))/m)
	for j := q; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * sigma(float64(histo[0])/m)
	const alphaInf = 0.721347520444481703680 // 1/(2 ln 2)
	return uint64(math.Round(alphaInf * m * m / z))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if z == prev {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= math.Pow(1-x, 2) * y
		if z == prev {
			return z / 3
		}
	}
}

// DenseRegisters returns every register of a dense value.
func DenseRegisters(b []byte) []uint8 {
	var regs [Registers]uint8
	denseDecode(b[HeaderSize:], &regs)
	return regs[:]
}

// denseDecode unpacks every register. Four 6-bit registers fill three
// bytes exactly, low bits first, so the registers are read in groups.
func denseDecode(packed []byte, out *[Registers]uint8) {
	packed = packed[:Registers*regBits/8]
	for g := 0; g < Registers/4; g++ {
		b := packed[g*3 : g*3+3 : g*3+3]
		o := out[g*4 : g*4+4 : g*4+4]
		o[0] = b[0] & regMax
		o[1] = (b[0]>>6 | b[1]<<2) & regMax
		o[2] = (b[1]>>4 | b[2]<<4) & regMax
		o[3] = b[2] >> 2
	}
}

// denseMergeInto is denseDecode fused with the raise of max (PFCOUNT of
// several keys, PFMERGE): one pass, no 16 KB temporary.
func denseMergeInto(packed []byte, max *[Registers]uint8) {
	packed = packed[:Registers*regBits/8]
	for g := 0; g < Registers/4; g++ {
		b := packed[g*3 : g*3+3 : g*3+3]
		o := max[g*4 : g*4+4 : g*4+4]
		o[0] = maxU8(o[0], b[0]&regMax)
		o[1] = maxU8(o[1], (b[0]>>6|b[1]<<2)&regMax)
		o[2] = maxU8(o[2], (b[1]>>4|b[2]<<4)&regMax)
		o[3] = maxU8(o[3], b[2]>>2)
	}
}

// denseEncode packs every register (each at most regMax).
func denseEncode(regs *[Registers]uint8, packed []byte) {
	packed = packed[:Registers*regBits/8]
	for g := 0; g < Registers/4; g++ {
		r := regs[g*4 : g*4+4 : g*4+4]
		b := packed[g*3 : g*3+3 : g*3+3]
		b[0] = r[0] | r[1]<<6
		b[1] = r[1]>>2 | r[2]<<4
		b[2] = r[2]>>4 | r[3]<<2
	}
}

func maxU8(a, b uint8) uint8 {
	if b > a {
		return b
	}
	return a
}

// RaiseRegisters raises each register of the value to max's, where higher
// (PFMERGE's write). A sparse value takes them one by one, as Redis's
// does, and may turn dense on the way; a dense one in one pass.
func RaiseRegisters(b []byte, max *[Registers]uint8, sparseMax int) []byte {
	if b[4] == encDense {
		var regs [Registers]uint8
		denseDecode(b[HeaderSize:], &regs)
		for i, v := range max {
			regs[i] = maxU8(regs[i], v&regMax)
		}
		denseEncode(&regs, b[HeaderSize:])
		return b
	}
	for i, v := range max {
		if v != 0 {
			// A corrupt tail is left as it is: Redis ignores the error too.
			b, _, _ = setRegister(b, i, v, sparseMax)
		}
	}
	return b
}

// Decode describes a sparse value's opcodes as PFDEBUG DECODE shows them:
// "z:<n>" (ZERO), "Z:<n>" (XZERO), "v:<value>,<n>" (VAL), space-separated.
func Decode(b []byte) string {
	var sb strings.Builder
	regs := b[HeaderSize:]
	for p := 0; p < len(regs); {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		op := regs[p]
		switch {
		case isZero(op):
			sb.WriteString("z:" + strconv.Itoa(zeroLen(op)))
			p++
		case isXZero(op):
			var lo byte
			if p+1 < len(regs) {
				lo = regs[p+1]
			}
			sb.WriteString("Z:" + strconv.Itoa(xzeroLen(op, lo)))
			p += 2
		default:
			sb.WriteString("v:" + strconv.Itoa(int(valValue(op))) + "," + strconv.Itoa(valLen(op)))
			p++
		}
	}
	return sb.String()
}

// murmurHash64A is Austin Appleby's MurmurHash64A, reading the input as
// little-endian 64-bit words on every platform, as Redis does, so that the
// same element picks the same register everywhere.
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(key))*m
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}
