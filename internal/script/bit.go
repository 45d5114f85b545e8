package script

import (
	"math"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// The bit library (LuaBitOp 1.0, as Redis bundles it): 32-bit operations
// on Lua numbers.

// tobit is LuaBitOp's argument normalisation: the number rounded to an
// integer (to even on ties, by the 2^52+2^51 addition) and cut to its low
// 32 bits, signed.
func tobit(f float64) int32 {
	return int32(uint32(math.Float64bits(f + 6755399441055744.0)))
}

func bitArg(L *lua.LState, i int) int32 {
	const fname = "?"
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return tobit(float64(v))
	case lua.LString:
		if f, err := parseLuaNumber(string(v)); err == nil {
			return tobit(f)
		}
	}
	got := "no value"
	if i <= L.GetTop() {
		got = L.Get(i).Type().String()
	}
	argError(L, i, fname, "number expected, got "+got)
	return 0
}

func openBit(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 0)
	ret := func(L *lua.LState, v int32) int { L.Push(lua.LNumber(v)); return 1 }
	fold := func(op func(a, b int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := bitArg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				v = op(v, bitArg(L, i))
			}
			return ret(L, v)
		}
	}
	shift := func(op func(a int32, n uint) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			return ret(L, op(bitArg(L, 1), uint(bitArg(L, 2))&31))
		}
	}
	fns := map[string]lua.LGFunction{
		"tobit":   func(L *lua.LState) int { return ret(L, bitArg(L, 1)) },
		"bnot":    func(L *lua.LState) int { return ret(L, ^bitArg(L, 1)) },
		"band":    fold(func(a, b int32) int32 { return a & b }),
		"bor":     fold(func(a, b int32) int32 { return a | b }),
		"bxor":    fold(func(a, b int32) int32 { return a ^ b }),
		"lshift":  shift(func(a int32, n uint) int32 { return int32(uint32(a) << n) }),
		"rshift":  shift(func(a int32, n uint) int32 { return int32(uint32(a) >> n) }),
		"arshift": shift(func(a int32, n uint) int32 { return a >> n }),
		"rol":     shift(func(a int32, n uint) int32 { return int32(uint32(a)<<n | uint32(a)>>(32-n)) }),
		"ror":     shift(func(a int32, n uint) int32 { return int32(uint32(a)>>n | uint32(a)<<(32-n)) }),
		"bswap": func(L *lua.LState) int {
			u := uint32(bitArg(L, 1))
			return ret(L, int32(u>>24|(u>>8)&0xff00|(u&0xff00)<<8|u<<24))
		},
		"tohex": func(L *lua.LState) int {
			b := uint32(bitArg(L, 1))
			n := int32(8)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				n = bitArg(L, 2)
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			out := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				out[i] = digits[b&15]
				b >>= 4
			}
			L.Push(lua.LString(out))
			return 1
		},
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}
