package script

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua 5.1's wording for runtime errors whose gopher-lua text differs, where
// the mapping is exact: scripts and tests match on these messages.
//
//   - Calling, taking the length of, or negating a nil, boolean, number
//     or function: gopher-lua says "attempt to call a non-function
//     object", "__len undefined", "__unm undefined", without the type;
//     those types get metamethods (builtin metatables, hidden from
//     getmetatable) that raise Lua 5.1's "attempt to call a nil value"
//     and the like. A table or string keeps gopher-lua's text (its
//     metatable is its own, or shared with the string library).
//   - Arithmetic, concatenation and comparison errors name both operand
//     types in gopher-lua; Lua 5.1 names the offending one, which follows
//     from them (see lua51Wording).
//
// Lua 5.1 also names the variable when it knows it ("attempt to call
// global 'f' (a nil value)"); gopher-lua does not, and neither do we.

// setCallErrors installs, on L's builtin metatables of nil, boolean,
// number and function values, the metamethods that raise Lua 5.1's
// messages where gopher-lua's lack the type: calling the value ("attempt
// to call a nil value"), its length ("attempt to get length of a nil
// value") and its negation ("attempt to perform arithmetic on a nil
// value").
func setCallErrors(L *lua.LState) {
	fn := L.NewFunction(func(*lua.LState) int { return 0 })
	for _, v := range []lua.LValue{lua.LNil, lua.LFalse, lua.LNumber(0), fn} {
		typ := v.Type().String()
		mt := L.CreateTable(0, 3)
		raiser := func(format string) *lua.LFunction {
			return L.NewFunction(func(L *lua.LState) int {
				// Lua 5.1 puts the position of the Lua code that
				// erred in front, none when a Go (C) function did
				// the call (pcall(nil)).
				if dbg, ok := L.GetStack(1); ok {
					if _, err := L.GetInfo("S", dbg, nil); err == nil && dbg.What == "G" {
						L.Error(lua.LString(fmt.Sprintf(format, typ)), 0)
					}
				}
				L.RaiseError(format, typ)
				return 0
			})
		}
		if v.Type() != lua.LTFunction {
			mt.RawSetString("__call", raiser("attempt to call a %s value"))
		}
		mt.RawSetString("__len", raiser("attempt to get length of a %s value"))
		mt.RawSetString("__unm", raiser("attempt to perform arithmetic on a %s value"))
		L.SetMetatable(v, mt)
	}
}

// hiddenMetatable reports whether obj's metatable is one of
// setCallErrors' (Lua 5.1 has none for these types).
func hiddenMetatable(obj lua.LValue) bool {
	switch obj.Type() {
	case lua.LTNil, lua.LTBool, lua.LTNumber, lua.LTFunction:
		return true
	}
	return false
}

// lua51Wording rewrites the gopher-lua error text inside msg in Lua
// 5.1's words, where the operand types determine them:
//
//	cannot perform add operation between table and number
//	  → attempt to perform arithmetic on a table value
//	cannot perform concat operation between string and nil
//	  → attempt to concatenate a nil value
//	attempt to compare number with number → attempt to compare two number values
//
// Lua 5.1 blames the first operand of an arithmetic unless it converts to
// a number; a string operand first makes that unknowable unless the
// other is a number or a string (then the culprit is a string either
// way), and such messages are left alone.
func lua51Wording(msg string) string {
	const perform = "cannot perform "
	if i := strings.Index(msg, perform); i >= 0 {
		var op, lt, rt string
		rest := msg[i+len(perform):]
		end := strings.Index(rest, " operation between ")
		if end < 0 {
			return msg
		}
		op = rest[:end]
		rest = rest[end+len(" operation between "):]
		n, err := fmt.Sscanf(rest, "%s and %s", &lt, &rt)
		if err != nil || n != 2 {
			return msg
		}
		tail := rest[len(lt)+len(" and ")+len(rt):]
		var culprit, text string
		if op == "concat" {
			culprit = lt
			if lt == "string" || lt == "number" {
				culprit = rt
			}
			text = "attempt to concatenate a " + culprit + " value"
		} else {
			switch {
			case lt == "number":
				culprit = rt
			case lt != "string":
				culprit = lt
			case rt == "number" || rt == "string":
				culprit = "string"
			default:
				return msg
			}
			text = "attempt to perform arithmetic on a " + culprit + " value"
		}
		return msg[:i] + text + tail
	}
	const compare = "attempt to compare "
	if i := strings.Index(msg, compare); i >= 0 {
		var lt, rt string
		rest := msg[i+len(compare):]
		if n, err := fmt.Sscanf(rest, "%s with %s", &lt, &rt); err != nil || n != 2 || lt != rt {
			return msg
		}
		tail := rest[len(lt)+len(" with ")+len(rt):]
		return msg[:i] + "attempt to compare two " + lt + " values" + tail
	}
	return msg
}
