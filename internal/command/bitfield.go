package command

import (
	"math"
	"strings"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// BITFIELD and BITFIELD_RO: signed and unsigned integers of 1 to 64 bits
// (u63 at most, since a reply is a signed 64-bit integer) at any bit offset
// of a string, big-endian bit order as SETBIT numbers bits.
//
// Like Redis, the whole argument list is parsed (and every error reported)
// before the key is touched, and the command is propagated as it is: its
// operations are deterministic.

// Overflow behaviours of SET and INCRBY.
const (
	bfWrap = iota
	bfSat
	bfFail
)

// Operation codes.
const (
	bfGet = iota
	bfSet
	bfIncr
)

type bitfieldOp struct {
	offset uint64
	val    int64 // SET value or INCRBY increment
	op     int
	ow     int
	bits   uint
	signed bool
}

const errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

func bitfieldCommands() []*Spec {
	return []*Spec{
		{Name: "bitfield", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Handler: bitfieldCmd, Group: "bitmap", Summary: "Performs arbitrary bitfield integer operations on strings.", Since: "3.2.0"},
		{Name: "bitfield_ro", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: bitfieldCmd, Group: "bitmap", Summary: "Performs arbitrary read-only bitfield integer operations on strings.", Since: "6.0.0"},
	}
}

// parseBitfieldType parses "i<bits>" (1..64) or "u<bits>" (1..63). Redis
// reads the width as a C string, so a NUL byte ends it.
func parseBitfieldType(arg []byte) (bits uint, signed, ok bool) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return 0, false, false
	}
	signed = arg[0] == 'i'
	n, ok := resp.ParseInt(cstr(arg[1:]))
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return 0, false, false
	}
	return uint(n), signed, true
}

// parseBitfieldOffset parses an offset, "#n" meaning n*bits. Offsets past
// the string size limit are refused, except from our master, which must be
// obeyed (Redis's mustObeyClient).
func parseBitfieldOffset(c *Ctx, arg []byte, bits uint) (uint64, bool) {
	hash := len(arg) > 0 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	v, ok := resp.ParseInt(arg)
	if ok && hash {
		v *= int64(bits) // wraps as Redis's long long multiplication does
	}
	if !ok || v < 0 || (c.S.Flags&FlagMaster == 0 && v>>3 >= c.E.MaxStringSize) {
		c.Error("ERR bit offset is not an integer or out of range")
		return 0, false
	}
	return uint64(v), true
}

func bitfieldCmd(c *Ctx) {
	ow := bfWrap
	readonly := true
	var highest uint64
	ops := make([]bitfieldOp, 0, 4)
	for j := 2; j < len(c.Args); j++ {
		rem := len(c.Args) - j - 1
		var op int
		// EqualFold on a non-escaping conversion: no lower-cased copy of
		// each subcommand (ToLower allocated one per call for "INCRBY").
		switch sub := string(c.Args[j]); {
		case strings.EqualFold(sub, "get") && rem >= 2:
			op = bfGet
		case strings.EqualFold(sub, "set") && rem >= 3:
			op = bfSet
		case strings.EqualFold(sub, "incrby") && rem >= 3:
			op = bfIncr
		case strings.EqualFold(sub, "overflow") && rem >= 1:
			j++
			switch kind := string(c.Args[j]); {
			case strings.EqualFold(kind, "wrap"):
				ow = bfWrap
			case strings.EqualFold(kind, "sat"):
				ow = bfSat
			case strings.EqualFold(kind, "fail"):
				ow = bfFail
			default:
				c.Error("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.Error(ErrSyntax)
			return
		}
		bits, signed, ok := parseBitfieldType(c.Args[j+1])
		if !ok {
			c.Error(errBitfieldType)
			return
		}
		off, ok := parseBitfieldOffset(c, c.Args[j+2], bits)
		if !ok {
			return
		}
		var val int64
		if op != bfGet {
			readonly = false
			if end := off + uint64(bits) - 1; end > highest {
				highest = end
			}
			if val, ok = resp.ParseInt(c.Args[j+3]); !ok {
				c.Error(ErrNotInt)
				return
			}
			j++
		}
		ops = append(ops, bitfieldOp{offset: off, val: val, op: op, ow: ow, bits: bits, signed: signed})
		j += 2
	}

	// src is what GET reads: the value as it is (read-only), or buf, the
	// value being changed.
	var src string
	var buf []byte
	dirty := false
	if readonly {
		e, ok := lookupString(c, c.Args[1])
		if !ok {
			return
		}
		if e != nil {
			src = e.Str()
		}
	} else {
		if c.Spec.Name == "bitfield_ro" {
			c.Error("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		e, ok := lookupStringWrite(c, c.Args[1])
		if !ok {
			return
		}
		oldLen := -1
		if e != nil {
			oldLen = len(e.Str())
		}
		// The string found above is changed in place when it is already
		// a mutable one (the usual case from the second BITFIELD on),
		// without a second lookup.
		var b *keyspace.Bytes
		if e != nil {
			if v, ok := e.Val().(*keyspace.Bytes); ok {
				v.Verbatim = false
				b = v
			}
		}
		if b == nil {
			b, _ = mutableString(c, c.Args[1])
		}
		if need := int(highest>>3) + 1; need > len(b.B) {
			b.B = append(b.B, make([]byte, need-len(b.B))...)
		}
		dirty = oldLen != len(b.B)
		buf = b.B
	}

	changes := 0
	c.W.Array(len(ops))
	for i := range ops {
		o := &ops[i]
		if o.op == bfGet {
			// Read through a zero-padded window, so fields past the end
			// of the string read as zeros.
			var win [9]byte
			first := o.offset >> 3
			if buf != nil && first < uint64(len(buf)) {
				copy(win[:], buf[first:])
			} else if first < uint64(len(src)) {
				copy(win[:], src[first:])
			}
			rel := o.offset - first*8
			if o.signed {
				c.W.Int(getSignedBits(win[:], rel, o.bits))
			} else {
				c.W.Int(int64(getUnsignedBits(win[:], rel, o.bits)))
			}
			continue
		}
		var oldv, newv, ret uint64
		var overflow bool
		if o.signed {
			old := getSignedBits(buf, o.offset, o.bits)
			var nv, r int64
			if o.op == bfIncr {
				nv = old + o.val
				if lim, of := signedOverflow(old, o.val, o.bits, o.ow); of != 0 {
					nv = lim
					overflow = true
				}
				r = nv
			} else {
				nv = o.val
				if lim, of := signedOverflow(nv, 0, o.bits, o.ow); of != 0 {
					nv = lim
					overflow = true
				}
				r = old
			}
			oldv, newv, ret = uint64(old), uint64(nv), uint64(r)
		} else {
			old := getUnsignedBits(buf, o.offset, o.bits)
			var nv, r uint64
			if o.op == bfIncr {
				nv = old + uint64(o.val)
				lim, of := unsignedOverflow(old, o.val, o.bits, o.ow)
				if of != 0 {
					nv = lim
					overflow = true
				}
				r = nv
			} else {
				nv = uint64(o.val)
				if lim, of := unsignedOverflow(nv, 0, o.bits, o.ow); of != 0 {
					nv = lim
					overflow = true
				}
				r = old
			}
			oldv, newv, ret = old, nv, r
		}
		if overflow && o.ow == bfFail {
			c.W.Null()
			continue
		}
		c.W.Int(int64(ret))
		setBits(buf, o.offset, o.bits, newv)
		if dirty || oldv != newv {
			changes++
		}
	}
	if changes > 0 {
		c.DB.Modified(c.Args[1])
		c.Notify(EvString, "setbit", c.Args[1])
		c.E.KS.Dirty += int64(changes - 1)
	}
}

// getUnsignedBits reads bits bits at bit offset off of p, most significant
// first.
func getUnsignedBits(p []byte, off uint64, bits uint) uint64 {
	var v uint64
	for j := uint(0); j < bits; j++ {
		v = v<<1 | uint64(p[off>>3]>>(7-off&7)&1)
		off++
	}
	return v
}

// getSignedBits reads a two's complement integer of bits bits.
func getSignedBits(p []byte, off uint64, bits uint) int64 {
	v := int64(getUnsignedBits(p, off, bits))
	if bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= -1 << bits
	}
	return v
}

// setBits writes the low bits bits of v at bit offset off of p.
func setBits(p []byte, off uint64, bits uint, v uint64) {
	for j := uint(0); j < bits; j++ {
		bit := byte(v>>(bits-1-j)) & 1
		shift := 7 - off&7
		p[off>>3] = p[off>>3]&^(1<<shift) | bit<<shift
		off++
	}
}

// unsignedOverflow is Redis's check of value+incr against an unsigned
// field of bits bits: 0 when it fits, 1 on overflow, -1 on underflow, with
// the value to store instead under the wrap and sat behaviours.
func unsignedOverflow(value uint64, incr int64, bits uint, ow int) (uint64, int) {
	max := uint64(1)<<bits - 1 // bits <= 63
	maxincr := int64(max - value)
	minincr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) & max }
	if value > max || (incr > 0 && incr > maxincr) {
		switch ow {
		case bfWrap:
			return wrap(), 1
		case bfSat:
			return max, 1
		}
		return 0, 1
	}
	if incr < 0 && incr < minincr {
		switch ow {
		case bfWrap:
			return wrap(), -1
		case bfSat:
			return 0, -1
		}
		return 0, -1
	}
	return 0, 0
}

// signedOverflow is unsignedOverflow for a two's complement field.
func signedOverflow(value, incr int64, bits uint, ow int) (int64, int) {
	max := int64(math.MaxInt64)
	if bits < 64 {
		max = 1<<(bits-1) - 1
	}
	min := -max - 1
	// maxincr and minincr may wrap; they are only used once value is known
	// to be in range, where they do not (as in Redis).
	maxincr := int64(uint64(max) - uint64(value))
	minincr := min - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := ^uint64(0) << bits
			if c&(1<<(bits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
		switch ow {
		case bfWrap:
			return wrap(), 1
		case bfSat:
			return max, 1
		}
		return 0, 1
	}
	if value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
		switch ow {
		case bfWrap:
			return wrap(), -1
		case bfSat:
			return min, -1
		}
		return 0, -1
	}
	return 0, 0
}
