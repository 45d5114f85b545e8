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
				raiseAt(L, fmt.Sprintf(format, typ))
				return 0
			})
		}
		if v.Type() != lua.LTFunction {
			mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
				// Lua 5.1 names what was called when it knows it:
				// "attempt to call field 'f' (a nil value)".
				msg := "attempt to call a " + typ + " value"
				if info := callVarInfo(L); info != "" {
					msg = "attempt to call " + info + " (a " + typ + " value)"
				}
				raiseAt(L, msg)
				return 0
			}))
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

// raiseAt raises msg from a metamethod: Lua 5.1 puts the position of the
// Lua code that erred in front, none when a Go (C) function did the call
// (pcall(nil)).
func raiseAt(L *lua.LState, msg string) {
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("S", dbg, nil); err == nil && dbg.What == "G" {
			L.Error(lua.LString(msg), 0)
		}
	}
	L.RaiseError("%s", msg)
}

// callVarInfo is what Lua 5.1 says the value being called is ("global
// 'f'", "local 'f'", "field 'f'", "method 'f'", "upvalue 'f'"), from the
// __call metamethod's caller, or "" when that is not known for sure.
//
// gopher-lua records the name of each call (DbgCalls, its program counter
// and the called expression's name) but not which call is running, nor
// what kind of name it is. The candidates are the calls of that name on
// the current line; for each, the kind follows from the instruction that
// loaded the called register, found going back from the CALL (as Lua
// 5.1's getobjname does). If the candidates disagree, nothing is said.
func callVarInfo(L *lua.LState) string {
	self, ok := L.GetStack(0)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("n", self, nil); err != nil {
		return ""
	}
	name := self.Name
	if name == "" || name == "?" || strings.HasPrefix(name, "<") || strings.HasPrefix(name, "(") {
		return ""
	}
	caller, ok := L.GetStack(1)
	if !ok {
		return ""
	}
	fv, err := L.GetInfo("Slf", caller, nil)
	fn, isFn := fv.(*lua.LFunction)
	if err != nil || !isFn || fn.IsG {
		return ""
	}
	p := fn.Proto
	kind := ""
	for _, c := range p.DbgCalls {
		if c.Name != name || c.Pc >= len(p.Code) || c.Pc >= len(p.DbgSourcePositions) || p.DbgSourcePositions[c.Pc] != caller.CurrentLine {
			continue
		}
		k := loadKind(fn, c.Pc, opA(p.Code[c.Pc]), name)
		if k == "" || (kind != "" && k != kind) {
			return ""
		}
		kind = k
	}
	if kind == "" {
		return ""
	}
	return kind + " '" + name + "'"
}

// loadKind is the kind of name the instruction that set register reg
// before pc read it from, or "" when it is none of Lua 5.1's kinds.
func loadKind(fn *lua.LFunction, pc, reg int, name string) string {
	// (LocalName's pc is the one after the instruction, as a frame's.)
	if local, ok := fn.LocalName(reg+1, pc+1); ok && local == name {
		return "local" // called in its own register
	}
	p := fn.Proto
	for i := pc - 1; i >= 0; i-- {
		inst := p.Code[i]
		if opA(inst) != reg {
			continue
		}
		switch int(inst >> 26) {
		case lua.OP_GETGLOBAL:
			return "global"
		case lua.OP_GETTABLEKS:
			return "field"
		case lua.OP_GETTABLE:
			if opC(inst)&rkConst != 0 {
				return "field"
			}
		case lua.OP_SELF:
			return "method"
		case lua.OP_GETUPVAL:
			return "upvalue"
		case lua.OP_MOVE, lua.OP_MOVEN:
			if local, ok := fn.LocalName(opB(inst)+1, i+1); ok && local == name {
				return "local"
			}
		}
		return ""
	}
	return ""
}

// lua51Header is the header of a Lua 5.1 binary chunk (ESC "Lua", version
// 0x51, official format, little endian, 4-byte int, 8-byte size_t, 4-byte
// instruction, 8-byte double number).
const lua51Header = "\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00"

// stringDump is string.dump: gopher-lua cannot dump bytecode, so it
// returns a binary chunk's header only. Nothing is lost: Redis's
// loadstring refuses binary chunks (as gopher-lua's does), so a script
// can only pass the result around, and loading it fails in both.
func stringDump(L *lua.LState) int {
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		got := "no value"
		if L.GetTop() >= 1 {
			got = L.Get(1).Type().String()
		}
		L.RaiseError("bad argument #1 to 'dump' (function expected, got %s)", got)
	}
	if fn.IsG {
		L.RaiseError("unable to dump given function")
	}
	L.Push(lua.LString(lua51Header))
	return 1
}
