package script

import (
	"fmt"
	"strings"

	lua "github.com/tandemdb/tandem/internal/lua"
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
// value"), naming the value as Lua 5.1 does when that is known for sure
// ("attempt to call field 'f' (a nil value)").
func setCallErrors(L *lua.LState) {
	fn := L.NewFunction(func(*lua.LState) int { return 0 })
	for _, v := range []lua.LValue{lua.LNil, lua.LFalse, lua.LNumber(0), fn} {
		typ := v.Type().String()
		mt := L.CreateTable(0, 3)
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
		unary := func(opcode int, verb string) *lua.LFunction {
			return L.NewFunction(func(L *lua.LState) int {
				msg := "attempt to " + verb + " a " + typ + " value"
				if info := operandVarInfo(L, opcode, true); info != "" {
					msg = "attempt to " + verb + " " + info + " (a " + typ + " value)"
				}
				raiseAt(L, msg)
				return 0
			})
		}
		mt.RawSetString("__len", unary(lua.OP_LEN, "get length of"))
		mt.RawSetString("__unm", unary(lua.OP_UNM, "perform arithmetic on"))
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
// Lua 5.1 blames an arithmetic's first operand unless it converts to a
// number (gopher-lua names a numeric string "number" already), and a
// concatenation's first unless it is a string or a number.
func lua51Wording(msg string) string { return lua51WordingIn(nil, msg) }

// lua51WordingIn is lua51Wording for an error raised in L's running Lua
// function: when it can tell for sure, it names the operand as Lua 5.1
// does ("attempt to perform arithmetic on local 't' (a table value)").
func lua51WordingIn(L *lua.LState, msg string) string {
	const perform = "cannot perform "
	if i := strings.Index(msg, perform); i >= 0 {
		rest := msg[i+len(perform):]
		end := strings.Index(rest, " operation between ")
		if end < 0 {
			return msg
		}
		op := rest[:end]
		rest = rest[end+len(" operation between "):]
		var lt, rt string
		if n, err := fmt.Sscanf(rest, "%s and %s", &lt, &rt); err != nil || n != 2 {
			return msg
		}
		tail := rest[len(lt)+len(" and ")+len(rt):]
		culprit, first := lt, true
		verb := "perform arithmetic on"
		if op == "concat" {
			verb = "concatenate"
			if lt == "string" || lt == "number" {
				culprit, first = rt, false
			}
		} else if lt == "number" {
			culprit, first = rt, false
		}
		text := "attempt to " + verb + " a " + culprit + " value"
		if info := operandVarInfo(L, arithOps[op], first); info != "" {
			text = "attempt to " + verb + " " + info + " (a " + culprit + " value)"
		}
		return msg[:i] + text + tail
	}
	const index = "attempt to index a non-table object("
	if i := strings.Index(msg, index); i >= 0 {
		rest := msg[i+len(index):]
		typ, after, ok := strings.Cut(rest, ") with key '")
		if !ok || strings.ContainsAny(typ, " ()") {
			return msg
		}
		key, tail, ok := strings.Cut(after, "'")
		if !ok {
			return msg
		}
		text := "attempt to index a " + typ + " value"
		if info := indexVarInfo(L, key); info != "" {
			text = "attempt to index " + info + " (a " + typ + " value)"
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

// arithOps are the instructions of gopher-lua's arithmetic events.
var arithOps = map[string]int{"add": lua.OP_ADD, "sub": lua.OP_SUB, "mul": lua.OP_MUL, "div": lua.OP_DIV,
	"mod": lua.OP_MOD, "pow": lua.OP_POW, "concat": lua.OP_CONCAT}

// operandVarInfo names the culprit operand (the first or the second) of
// the failed op in L's running Lua function, as Lua 5.1's getobjname
// does, or returns "". The instruction is one of those of the op on the
// current line; when they disagree, or a concatenation has more than two
// operands, nothing is said.
func operandVarInfo(L *lua.LState, opcode int, first bool) string {
	if L == nil || opcode == 0 {
		return ""
	}
	fn, line := luaFrame(L)
	if fn == nil {
		return ""
	}
	p := fn.Proto
	info, found := "", false
	for pc, inst := range p.Code {
		if int(inst>>26) != opcode || pc >= len(p.DbgSourcePositions) || int(p.DbgSourcePositions[pc]) != line {
			continue
		}
		var operand int
		switch opcode {
		case lua.OP_UNM, lua.OP_LEN:
			operand = opB(inst)
		case lua.OP_CONCAT:
			if opC(inst) != opB(inst)+1 {
				return ""
			}
			operand = opB(inst)
			if !first {
				operand = opC(inst)
			}
		default:
			operand = opB(inst)
			if !first {
				operand = opC(inst)
			}
			if operand&rkConst != 0 {
				operand = -1 // a constant: Lua names none
			}
		}
		this := ""
		if operand >= 0 {
			this = varInfo(fn, pc, operand)
		}
		if found && this != info {
			return ""
		}
		info, found = this, true
	}
	return info
}

// varInfo is how Lua 5.1 names register reg at pc in an error ("global
// 'x'", "local 'y'"…), "" when it names none.
func varInfo(fn *lua.LFunction, pc, reg int) string {
	if kind, name := objName(fn, pc, reg); kind != "" {
		return kind + " '" + name + "'"
	}
	return ""
}

// objName is Lua 5.1's getobjname: what register reg holds at pc, when it
// is a named local or was loaded from a global, a field with a constant
// name, an upvalue or a method.
func objName(fn *lua.LFunction, pc, reg int) (kind, name string) {
	if local, ok := localName(fn.Proto, reg, pc); ok {
		return "local", local
	}
	p := fn.Proto
	for i := pc - 1; i >= 0; i-- {
		inst := p.Code[i]
		if opA(inst) != reg {
			continue
		}
		switch int(inst >> 26) {
		case lua.OP_GETGLOBAL:
			if k, ok := p.Constants[opBx(inst)].(lua.LString); ok {
				return "global", string(k)
			}
		case lua.OP_GETTABLEKS, lua.OP_GETTABLE, lua.OP_SELF:
			// Lua 5.1 names a key that is not a constant string "?".
			k := "?"
			if c, ok := constKey(p, i, opC(inst), int(inst>>26) != lua.OP_GETTABLE); ok {
				if str, isStr := c.(lua.LString); isStr {
					k = string(str)
				}
			}
			if int(inst>>26) == lua.OP_SELF {
				return "method", k
			}
			return "field", k
		case lua.OP_GETUPVAL:
			if b := opB(inst); b < len(p.DbgUpvalues) {
				return "upvalue", p.DbgUpvalues[b]
			}
		case lua.OP_MOVE:
			if b := opB(inst); b < reg {
				return objName(fn, i, b)
			}
		}
		return "", ""
	}
	return "", ""
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
		if c.Name != name || c.Pc >= len(p.Code) || c.Pc >= len(p.DbgSourcePositions) || int(p.DbgSourcePositions[c.Pc]) != caller.CurrentLine {
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
	if local, ok := localName(fn.Proto, reg, pc); ok && local == name {
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
			if local, ok := localName(p, opB(inst), i); ok && local == name {
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

// luaFrame is L's running Lua function and its current line, skipping Go
// functions (the error handler, a metamethod that raises).
func luaFrame(L *lua.LState) (*lua.LFunction, int) {
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return nil, 0
		}
		fv, err := L.GetInfo("Slf", dbg, nil)
		if err != nil {
			return nil, 0
		}
		if f, isFn := fv.(*lua.LFunction); isFn && !f.IsG {
			return f, dbg.CurrentLine
		}
	}
}

// indexVarInfo names the value a failed index with the constant key read
// or wrote, as Lua 5.1 does ("field 'x'"), from the instructions of the
// current line that index by that key; "" when they disagree or none does.
func indexVarInfo(L *lua.LState, key string) string {
	if L == nil {
		return ""
	}
	fn, line := luaFrame(L)
	if fn == nil {
		return ""
	}
	p := fn.Proto
	info, found := "", false
	for pc, inst := range p.Code {
		if pc >= len(p.DbgSourcePositions) || int(p.DbgSourcePositions[pc]) != line {
			continue
		}
		var obj, k int
		op := int(inst >> 26)
		switch op {
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_SELF:
			obj, k = opB(inst), opC(inst)
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
			obj, k = opA(inst), opB(inst)
		default:
			continue
		}
		// The key as gopher-lua's message prints it; a key in a register
		// may be any value: such an instruction is a candidate too.
		if c, ok := constKey(p, pc, k, op == lua.OP_GETTABLEKS || op == lua.OP_SETTABLEKS); ok && c.String() != key {
			continue
		}
		this := varInfo(fn, pc, obj)
		if found && this != info {
			return ""
		}
		info, found = this, true
	}
	return info
}

// constKey is the constant that operand k of the instruction at pc
// names: an RK constant or, when viaLoadK, a register (not a local) that
// a LOADK filled, as gopher-lua passes the string keys of GETTABLEKS and
// SETTABLEKS, where Lua 5.1 has RK constants.
func constKey(p *lua.FunctionProto, pc, k int, viaLoadK bool) (lua.LValue, bool) {
	if k&rkConst != 0 {
		return p.Constants[k&^rkConst], true
	}
	if !viaLoadK {
		return nil, false
	}
	if _, isLocal := localName(p, k, pc); isLocal {
		return nil, false
	}
	for i := pc - 1; i >= 0; i-- {
		inst := p.Code[i]
		if opA(inst) != k {
			continue
		}
		if int(inst>>26) == lua.OP_LOADK {
			return p.Constants[opBx(inst)], true
		}
		return nil, false
	}
	return nil, false
}

// localName is Lua 5.1's luaF_getlocalname: the name of the local in
// register reg at instruction pc, if it is one. (gopher-lua records a
// local's first and last instructions, both included.)
func localName(p *lua.FunctionProto, reg, pc int) (string, bool) {
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc <= l.EndPc {
			if reg == 0 {
				return l.Name, true
			}
			reg--
		}
	}
	return "", false
}
