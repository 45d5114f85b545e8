package script

import (
	"encoding/binary"
	"fmt"
	"math"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// The cmsgpack library Redis bundles (lua-cmsgpack 0.4.0): MessagePack
// encoding of Lua values. pack(v1, v2, …) concatenates the encodings of its
// arguments; unpack(s) decodes every value in s; unpack_one(s [, offset])
// and unpack_limit(s, limit [, offset]) decode one or at most limit values
// from a byte offset and return the offset of the next value first (-1 at
// the end).
//
// Encoding as lua-cmsgpack does it: a number that is a whole int64 is an
// integer in the smallest form, any other a float32 when exact, else a
// float64; a string is fixstr/str8/str16/str32; a table whose keys are
// exactly 1..n is an array (an empty table too), any other a map in
// iteration order; tables nested deeper than 16 levels (circular ones)
// are nil; other types are nil. Decoding: every integer form to a number
// (uint64 wraps to a negative int64 above 2^63, as the C library's
// lua_pushinteger does), bin and ext forms are bad data.

const msgpackMaxNesting = 16

func mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch v := v.(type) {
	case lua.LString:
		return mpString(b, string(v))
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		return mpNumber(b, float64(v))
	case *lua.LTable:
		if level == msgpackMaxNesting {
			return append(b, 0xc0)
		}
		return mpTable(b, v, level)
	}
	return append(b, 0xc0)
}

func mpString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = append(b, 0xda)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0xdb)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

// isInt64 is lua-cmsgpack's IS_INT64_EQUIVALENT: finite and whole within
// int64's range.
func isInt64(f float64) bool {
	return !math.IsInf(f, 0) && f >= -(1<<63) && f < 1<<63 && f == math.Trunc(f)
}

func mpNumber(b []byte, f float64) []byte {
	if isInt64(f) {
		return mpInt(b, int64(f))
	}
	if f32 := float32(f); float64(f32) == f {
		b = append(b, 0xca)
		return binary.BigEndian.AppendUint32(b, math.Float32bits(f32))
	}
	b = append(b, 0xcb)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

func mpInt(b []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(b, byte(n))
		case n <= 0xff:
			return append(b, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(int16(n)))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// mpIsArray is lua-cmsgpack's table_is_an_array: every key a positive
// whole number fitting an int, and as many keys as the largest.
func mpIsArray(t *lua.LTable) bool {
	count, max := 0.0, 0.0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		f := float64(n)
		if !ok || f <= 0 || f != math.Trunc(f) || f > math.MaxInt32 {
			return false
		}
		if f > max {
			max = f
		}
		count++
	}
	return max == count
}

func mpTable(b []byte, t *lua.LTable, level int) []byte {
	if mpIsArray(t) {
		n := t.Len()
		switch {
		case n <= 15:
			b = append(b, 0x90|byte(n))
		case n <= 0xffff:
			b = binary.BigEndian.AppendUint16(append(b, 0xdc), uint16(n))
		default:
			b = binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
		}
		for i := 1; i <= n; i++ {
			b = mpEncode(b, t.RawGetInt(i), level+1)
		}
		return b
	}
	// Next, not ForEach: ForEach walks the string keys in Go's random map
	// order, which would differ between the count and the encoding, and
	// from one encoding of a table to the next (Next keeps one order).
	n := 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n++
	}
	switch {
	case n <= 15:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xde), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdf), uint32(n))
	}
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		b = mpEncode(b, k, level+1)
		b = mpEncode(b, v, level+1)
	}
	return b
}

func (s *Scripting) mpPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		libArgError(L, 0, "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = mpEncode(b, L.Get(i), 0)
		if lim := s.opts.MemoryLimit; lim > 0 && int64(len(b)) > lim {
			L.RaiseError("%s", errMemLimit.Error())
		}
	}
	L.Push(lua.LString(b))
	return 1
}

// Decoding errors, raised as lua-cmsgpack raises them.
const (
	mpErrEOF    = "Missing bytes in input."
	mpErrFormat = "Bad data format in input."
)

// mpDecoder reads values from a MessagePack string.
type mpDecoder struct {
	L     *lua.LState
	b     string
	pos   int
	err   string
	depth int
}

// msgpackMaxDepth bounds how deep decoded containers nest: lua-cmsgpack
// recurses on the C stack, and each level takes two Lua stack slots, so
// that Lua's C stack limit stops it a little below 4,000 levels.
const msgpackMaxDepth = 3990

func (d *mpDecoder) need(n int) bool {
	if len(d.b)-d.pos < n {
		d.err = mpErrEOF
		return false
	}
	return true
}

func (d *mpDecoder) u16(at int) int    { return int(binary.BigEndian.Uint16([]byte(d.b[at : at+2]))) }
func (d *mpDecoder) u32(at int) uint32 { return binary.BigEndian.Uint32([]byte(d.b[at : at+4])) }
func (d *mpDecoder) u64(at int) uint64 { return binary.BigEndian.Uint64([]byte(d.b[at : at+8])) }

// value decodes one value; on error it returns nil with d.err set.
func (d *mpDecoder) value() lua.LValue {
	if !d.need(1) {
		return nil
	}
	c := d.b[d.pos]
	fixed := func(n int, v func() lua.LValue) lua.LValue {
		if !d.need(n) {
			return nil
		}
		r := v()
		d.pos += n
		return r
	}
	str := func(hdr, l int) lua.LValue {
		d.pos += hdr
		if !d.need(l) {
			return nil
		}
		s := d.b[d.pos : d.pos+l]
		d.pos += l
		return lua.LString(s)
	}
	p := d.pos
	switch c {
	case 0xcc:
		return fixed(2, func() lua.LValue { return lua.LNumber(d.b[p+1]) })
	case 0xd0:
		return fixed(2, func() lua.LValue { return lua.LNumber(int8(d.b[p+1])) })
	case 0xcd:
		return fixed(3, func() lua.LValue { return lua.LNumber(d.u16(p + 1)) })
	case 0xd1:
		return fixed(3, func() lua.LValue { return lua.LNumber(int16(d.u16(p + 1))) })
	case 0xce:
		return fixed(5, func() lua.LValue { return lua.LNumber(d.u32(p + 1)) })
	case 0xd2:
		return fixed(5, func() lua.LValue { return lua.LNumber(int32(d.u32(p + 1))) })
	case 0xcf, 0xd3:
		return fixed(9, func() lua.LValue { return lua.LNumber(float64(int64(d.u64(p + 1)))) })
	case 0xc0:
		d.pos++
		return lua.LNil
	case 0xc3:
		d.pos++
		return lua.LTrue
	case 0xc2:
		d.pos++
		return lua.LFalse
	case 0xca:
		return fixed(5, func() lua.LValue { return lua.LNumber(math.Float32frombits(d.u32(p + 1))) })
	case 0xcb:
		return fixed(9, func() lua.LValue { return lua.LNumber(math.Float64frombits(d.u64(p + 1))) })
	case 0xd9:
		if !d.need(2) {
			return nil
		}
		return str(2, int(d.b[p+1]))
	case 0xda:
		if !d.need(3) {
			return nil
		}
		return str(3, d.u16(p+1))
	case 0xdb:
		if !d.need(5) {
			return nil
		}
		return str(5, int(d.u32(p+1)))
	case 0xdc:
		if !d.need(3) {
			return nil
		}
		d.pos += 3
		return d.array(d.u16(p + 1))
	case 0xdd:
		if !d.need(5) {
			return nil
		}
		d.pos += 5
		return d.array(int(d.u32(p + 1)))
	case 0xde:
		if !d.need(3) {
			return nil
		}
		d.pos += 3
		return d.hash(d.u16(p + 1))
	case 0xdf:
		if !d.need(5) {
			return nil
		}
		d.pos += 5
		return d.hash(int(d.u32(p + 1)))
	}
	switch {
	case c&0x80 == 0:
		d.pos++
		return lua.LNumber(c)
	case c&0xe0 == 0xe0:
		d.pos++
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return str(1, int(c&0x1f))
	case c&0xf0 == 0x90:
		d.pos++
		return d.array(int(c & 0x0f))
	case c&0xf0 == 0x80:
		d.pos++
		return d.hash(int(c & 0x0f))
	}
	d.err = mpErrFormat
	return nil
}

func (d *mpDecoder) enter() bool {
	d.depth++
	if d.depth > msgpackMaxDepth {
		libError(d.L, "stack overflow (in function mp_decode_to_lua_array)")
	}
	return true
}

func (d *mpDecoder) array(n int) lua.LValue {
	d.enter()
	defer func() { d.depth-- }()
	// The count comes from the input: the table grows with what is
	// really there, never to the size a corrupt header claims.
	t := d.L.CreateTable(min(n, 1024), 0)
	for i := 1; i <= n; i++ {
		v := d.value()
		if d.err != "" {
			return nil
		}
		t.RawSetInt(i, v)
	}
	return t
}

func (d *mpDecoder) hash(n int) lua.LValue {
	d.enter()
	defer func() { d.depth-- }()
	t := d.L.NewTable()
	for i := 0; i < n; i++ {
		k := d.value()
		if d.err != "" {
			return nil
		}
		v := d.value()
		if d.err != "" {
			return nil
		}
		switch kv := k.(type) {
		case *lua.LNilType:
			d.L.Error(lua.LString("table index is nil"), 0)
		case lua.LNumber:
			if math.IsNaN(float64(kv)) {
				d.L.Error(lua.LString("table index is NaN"), 0)
			}
		}
		t.RawSet(k, v)
	}
	return t
}

// mpUnpack is unpack (limit and offset 0: everything), unpack_one and
// unpack_limit (the next offset first, -1 at the end).
func (s *Scripting) mpUnpack(L *lua.LState, limit, offset int64) int {
	data := structString(L, 1, "unpack")
	all := limit == 0 && offset == 0
	if offset < 0 || limit < 0 {
		libError(L, fmt.Sprintf("Invalid request to unpack with offset of %d and limit of %d.", int32(offset), int32(len(data))))
	}
	if offset > int64(len(data)) {
		libError(L, fmt.Sprintf("Start offset %d greater than input length %d.", int32(offset), int32(len(data))))
	}
	if all {
		limit = math.MaxInt32
	}
	d := &mpDecoder{L: L, b: data, pos: int(offset)}
	var out []lua.LValue
	for n := int64(0); d.pos < len(data) && n < limit; n++ {
		v := d.value()
		switch d.err {
		case mpErrEOF, mpErrFormat:
			libError(L, d.err)
		}
		if len(out)+3 > structMaxStack {
			libError(L, "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)")
		}
		out = append(out, v)
	}
	if !all {
		next := int64(d.pos)
		if d.pos >= len(data) {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range out {
		L.Push(v)
	}
	if all {
		return len(out)
	}
	return len(out) + 1
}

// mpInteger is luaL_checkinteger / luaL_optinteger for cmsgpack's
// arguments.
func mpInteger(L *lua.LState, i int, fname string, def int64, opt bool) int64 {
	if opt && (i > L.GetTop() || L.Get(i) == lua.LNil) {
		return def
	}
	return int64(structNumber(L, i, fname))
}

func (s *Scripting) openCmsgpack(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 0)
	fns := map[string]lua.LGFunction{
		"pack":   s.mpPack,
		"unpack": func(L *lua.LState) int { return s.mpUnpack(L, 0, 0) },
		"unpack_one": func(L *lua.LState) int {
			off := mpInteger(L, 2, "unpack_one", 0, true)
			L.SetTop(1)
			return s.mpUnpack(L, 1, off)
		},
		"unpack_limit": func(L *lua.LState) int {
			lim := mpInteger(L, 2, "unpack_limit", 0, false)
			off := mpInteger(L, 3, "unpack_limit", 0, true)
			L.SetTop(1)
			return s.mpUnpack(L, lim, off)
		},
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	return t
}
