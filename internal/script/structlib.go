package script

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// The struct library Redis bundles (Roberto Ierusalimschy's struct 0.2,
// as built on 64-bit Linux): struct.pack, struct.unpack and struct.size
// convert between Lua values and C-like binary records described by a
// format string. Sizes are those of x86-64: b/B 1, h/H 2, i/I 4 unless a
// size follows (at most 32), l/L and T 8, f 4, d 8, x 1 (padding), c1
// unless a size follows (c0: the string's own length, or in unpack the
// number read just before), s a zero-terminated string. '<' and '>' set
// the byte order (little-endian by default), '!n' the largest alignment
// (8 without n), ' ' is ignored.

const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

// structFmt walks a format string.
type structFmt struct {
	L      *lua.LState
	fname  string
	f      string
	i      int
	big    bool
	align  int
	argPos int // the argument the format string is (1), for its errors
}

func newStructFmt(L *lua.LState, fname, f string) *structFmt {
	return &structFmt{L: L, fname: fname, f: f, align: 1, argPos: 1}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// num reads the number that may follow an option, or returns def.
func (s *structFmt) num(def int) int {
	if s.i >= len(s.f) || !isDigit(s.f[s.i]) {
		return def
	}
	a := 0
	for s.i < len(s.f) && isDigit(s.f[s.i]) {
		d := int(s.f[s.i] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			libError(s.L, "integral size overflow")
		}
		a = a*10 + d
		s.i++
	}
	return a
}

// size is the size of option opt, reading its number if it takes one.
func (s *structFmt) size(opt byte) int {
	switch opt {
	case 'B', 'b':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'x':
		return 1
	case 'c':
		return s.num(1)
	case 'i', 'I':
		n := s.num(4)
		if n > structMaxIntSize {
			libError(s.L, fmt.Sprintf("integral size %d is larger than limit of %d", n, structMaxIntSize))
		}
		return n
	}
	return 0
}

// toAlign is the padding before an item of the given size at offset n
// (the library's formula, which assumes power-of-two sizes).
func (s *structFmt) toAlign(n int, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > s.align {
		size = s.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

// control handles the options that are not items.
func (s *structFmt) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		s.big = true
	case '<':
		s.big = false
	case '!':
		a := s.num(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			libError(s.L, fmt.Sprintf("alignment %d is not a power of 2", a))
		}
		s.align = a
	default:
		libArgError(s.L, s.argPos, fmt.Sprintf("invalid format option '%c'", opt))
	}
}

func (s *structFmt) order() interface {
	binary.ByteOrder
	binary.AppendByteOrder
} {
	if s.big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// libError is luaL_error for the libraries ported from C (struct,
// cmsgpack): the message, after the position of the calling Lua code when
// a Lua function called the library (Lua 5.1's luaL_where(L, 1); nothing
// when pcall or another Go function did).
func libError(L *lua.LState, msg string) {
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("Sl", dbg, nil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
			msg = fmt.Sprintf("%s:%d: %s", dbg.Source, dbg.CurrentLine, msg)
		}
	}
	L.Error(lua.LString(msg), 0)
}

// libArgError is luaL_argerror for those libraries: the function is named
// as the caller called it ('?' when pcall or Go code did).
func libArgError(L *lua.LState, n int, msg string) {
	name := "?"
	if dbg, ok := L.GetStack(0); ok {
		if _, err := L.GetInfo("n", dbg, nil); err == nil && dbg.Name != "" && dbg.Name != "(anonymous)" {
			name = dbg.Name
		}
	}
	libError(L, fmt.Sprintf("bad argument #%d to '%s' (%s)", n, name, msg))
}

// structNumber is luaL_checknumber.
func structNumber(L *lua.LState, i int, fname string) float64 {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseLuaNumber(string(v)); err == nil {
			return f
		}
	}
	libArgError(L, i, "number expected, got "+luaTypeName(L, i, fname))
	return 0
}

// structString is luaL_checklstring (numbers are converted).
func structString(L *lua.LState, i int, fname string) string {
	switch v := L.Get(i).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return fmtNumber14(float64(v))
	}
	libArgError(L, i, "string expected, got "+luaTypeName(L, i, fname))
	return ""
}

// luaTypeName is luaL_typename of argument i ("no value" past the last).
// struct.pack pushes a nil after its arguments before it reads them, so
// the first one missing is a nil there.
func luaTypeName(L *lua.LState, i int, fname string) string {
	if fname == "pack" && i >= 2 && i == L.GetTop()+1 {
		return "nil"
	}
	if i > L.GetTop() {
		return "no value"
	}
	return L.Get(i).Type().String()
}

// putUint appends the low size bytes of v (bytes past the eighth are 0).
func putUint(b []byte, v uint64, size int, big bool) []byte {
	start := len(b)
	for i := 0; i < size; i++ {
		b = append(b, 0)
	}
	out := b[start:]
	for i := 0; i < size && i < 8; i++ {
		if big {
			out[size-1-i] = byte(v)
		} else {
			out[i] = byte(v)
		}
		v >>= 8
	}
	return b
}

func structPack(L *lua.LState) int {
	const fname = "pack"
	s := newStructFmt(L, fname, structString(L, 1, fname))
	arg := 2
	var out []byte
	total := 0
	for s.i < len(s.f) {
		opt := s.f[s.i]
		s.i++
		size := s.size(opt)
		pad := s.toAlign(total, opt, size)
		total += pad
		out = append(out, make([]byte, pad)...)
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := structNumber(L, arg, fname)
			arg++
			var v uint64
			if n < 0 {
				v = uint64(int64(n))
			} else {
				v = uint64(n)
			}
			out = putUint(out, v, size, s.big)
		case 'x':
			out = append(out, 0)
		case 'f':
			f := float32(structNumber(L, arg, fname))
			arg++
			out = s.order().AppendUint32(out, math.Float32bits(f))
		case 'd':
			d := structNumber(L, arg, fname)
			arg++
			out = s.order().AppendUint64(out, math.Float64bits(d))
		case 'c', 's':
			str := structString(L, arg, fname)
			arg++
			if size == 0 {
				size = len(str)
			}
			if len(str) < size {
				// The library checks after moving past the argument, so
				// the error names the next one.
				libArgError(L, arg, "string too short")
			}
			out = append(out, str[:size]...)
			if opt == 's' {
				out = append(out, 0)
				size++
			}
		default:
			s.control(opt)
		}
		total += size
	}
	L.Push(lua.LString(out))
	return 1
}

// structMaxStack is Lua 5.1's LUAI_MAXCSTACK: a C function can hold at most
// this many values (its arguments and results).
const structMaxStack = 8000

func structUnpack(L *lua.LState) int {
	const fname = "unpack"
	s := newStructFmt(L, fname, structString(L, 1, fname))
	data := structString(L, 2, fname)
	start := int64(1)
	if L.GetTop() >= 3 && L.Get(3) != lua.LNil {
		start = int64(structNumber(L, 3, fname))
	}
	if start == 0 {
		libArgError(L, 3, "offset must be 1 or greater")
	}
	// The library keeps the position unsigned: a negative offset is a
	// huge one, which no data is long enough for.
	pos := uint64(start - 1)
	ld := uint64(len(data))
	base := L.GetTop()
	var res []lua.LValue
	tooShort := func(size uint64) {
		if !(size <= ld && pos <= ld-size) {
			libArgError(L, 2, "data string too short")
		}
	}
	for s.i < len(s.f) {
		opt := s.f[s.i]
		s.i++
		size := uint64(s.size(opt))
		pos += uint64(s.toAlign(int(pos), opt, int(size)))
		tooShort(size)
		if base+len(res)+2 > structMaxStack {
			libError(L, "stack overflow (too many results)")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			b := data[pos : pos+size]
			var l uint64
			for i := range b {
				c := b[i]
				if !s.big {
					c = b[len(b)-1-i]
				}
				l = l<<8 | uint64(c)
			}
			if opt >= 'a' && opt <= 'z' { // signed
				mask := ^uint64(0) << ((size*8 - 1) & 63)
				if l&mask != 0 {
					l |= mask
				}
				res = append(res, lua.LNumber(float64(int64(l))))
			} else {
				res = append(res, lua.LNumber(float64(l)))
			}
		case 'x':
		case 'f':
			res = append(res, lua.LNumber(math.Float32frombits(s.order().Uint32([]byte(data[pos:pos+4])))))
		case 'd':
			res = append(res, lua.LNumber(math.Float64frombits(s.order().Uint64([]byte(data[pos:pos+8])))))
		case 'c':
			if size == 0 {
				var prev lua.LNumber
				ok := false
				if len(res) > 0 {
					switch v := res[len(res)-1].(type) {
					case lua.LNumber:
						prev, ok = v, true
					case lua.LString:
						if f, err := parseLuaNumber(string(v)); err == nil {
							prev, ok = lua.LNumber(f), true
						}
					}
				}
				if !ok {
					libError(L, "format 'c0' needs a previous size")
				}
				size = uint64(int64(prev))
				res = res[:len(res)-1]
				tooShort(size)
			}
			res = append(res, lua.LString(data[pos:pos+size]))
		case 's':
			e := bytes.IndexByte([]byte(data[pos:]), 0)
			if e < 0 {
				libError(L, "unfinished string in data")
			}
			size = uint64(e) + 1
			res = append(res, lua.LString(data[pos:pos+uint64(e)]))
		default:
			s.control(opt)
		}
		pos += size
	}
	for _, v := range res {
		L.Push(v)
	}
	L.Push(lua.LNumber(float64(int64(pos + 1))))
	return len(res) + 1
}

func structSize(L *lua.LState) int {
	const fname = "size"
	s := newStructFmt(L, fname, structString(L, 1, fname))
	pos := 0
	for s.i < len(s.f) {
		opt := s.f[s.i]
		s.i++
		size := s.size(opt)
		pos += s.toAlign(pos, opt, size)
		if opt == 's' {
			libArgError(L, 1, "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			libArgError(L, 1, "option 'c0' has no fixed size")
		}
		if !(opt >= 'a' && opt <= 'z' || opt >= 'A' && opt <= 'Z' || isDigit(opt)) {
			s.control(opt)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

func openStruct(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 0)
	for name, fn := range map[string]lua.LGFunction{"pack": structPack, "unpack": structUnpack, "size": structSize} {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}
