package script

import lua "github.com/tandemdb/tandem/internal/lua"

// The environment an EVAL script runs in.
//
// Scripts see the globals through proxyG, an empty read-only view, so
// that writing any global is refused (Redis 7.0's read-only globals;
// gopher-lua has no read-only flag on tables). The price is that every
// global a script reads (redis, KEYS, ARGV, cjson…) costs two more table
// lookups: the proxy's miss, then its metatable's __index. A script whose
// code (and that of every function it defines) has no SETGLOBAL
// instruction cannot write a global by name: the only way left to reach
// the table of globals is a chunk that load or loadstring builds, which
// gets proxyG instead (guardEnv); getfenv is not in the sandbox. Such a script
// runs with the real globals as its environment; reading a missing one
// still raises (the real table's metatable, see newVM), and it still sees
// redis, cjson and the other libraries through their read-only proxies.

// writesGlobals reports whether fp or a function nested in it assigns a
// global by name.
func writesGlobals(fp *lua.FunctionProto) bool {
	for _, inst := range fp.Code {
		if int(inst>>26) == lua.OP_SETGLOBAL {
			return true
		}
	}
	for _, sub := range fp.FunctionPrototypes {
		if writesGlobals(sub) {
			return true
		}
	}
	return false
}

// scriptEnv is the environment a compiled EVAL script runs with.
func (v *vm) scriptEnv(fn *lua.LFunction) *lua.LTable {
	if writesGlobals(fn.Proto) {
		return v.proxyG
	}
	return v.realG
}

// guardEnv makes the chunks load and loadstring compile run in the
// read-only view of the globals: gopher-lua gives them the environment of
// the function that calls load, which for a script without SETGLOBAL is
// the real table, and a loaded chunk may assign globals. (getfenv and
// setfenv, the other way to the table, are not in the sandbox, as in
// Redis.)
func (v *vm) guardEnv(L *lua.LState) {
	g := v.realG
	for _, name := range []string{"load", "loadstring"} {
		orig, ok := g.RawGetString(name).(*lua.LFunction)
		if !ok {
			continue
		}
		g.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			L.Insert(orig, 1)
			L.Call(L.GetTop()-1, lua.MultRet)
			if fn, ok := L.Get(1).(*lua.LFunction); ok && !fn.IsG && fn.Env == v.realG {
				fn.Env = v.proxyG
			}
			return L.GetTop()
		}))
	}
}

// Instruction fields of gopher-lua's Lua 5.1 encoding (opcode.go there):
// opcode in the top 6 bits, then A (8 bits), then C (9) and B (9), or
// Bx/sBx (18) in place of B and C.
func opA(inst uint32) int   { return int(inst>>18) & 0xff }
func opB(inst uint32) int   { return int(inst & 0x1ff) }
func opC(inst uint32) int   { return int(inst>>9) & 0x1ff }
func opBx(inst uint32) int  { return int(inst & 0x3ffff) }
func opSBx(inst uint32) int { return opBx(inst) - 0x1ffff }

const rkConst = 1 << 8 // an RK operand with this bit names a constant

// foldRedisCalls rewrites, in a script running with the real globals
// (scriptEnv), each `redis.call` and `redis.pcall` read into the load of
// the function itself: GETGLOBAL A "redis"; GETTABLEKS A A "call" become
// LOADK A <redis.call>; NOP. redis is a read-only table the script cannot
// replace (it assigns no global, and the table of globals is read-only),
// so the value is the same at every run; the rewrite saves the three
// table lookups of the read through the read-only proxy, in the loop of
// every script that calls Redis. An instruction that a jump lands on is
// left alone (a jump into the pair would see A set by another path), and
// so is every function nested in fp the same way.
//
// A call whose results are all dropped (a statement: CALL A B 1) loads the
// function of drops instead, by the same name: it runs the command alike
// and raises its error alike, but builds no Lua value for a reply nobody
// reads (callDropsResults says when that is sure).
func foldRedisCalls(fp *lua.FunctionProto, fns, drops map[string]*lua.LFunction) {
	code := fp.Code
	targets := map[int]bool{}
	var jumps []jump
	for pc := 0; pc < len(code); pc++ {
		inst := code[pc]
		to := -1
		switch int(inst >> 26) {
		case lua.OP_JMP, lua.OP_FORLOOP, lua.OP_FORPREP:
			to = pc + 1 + opSBx(inst)
		case lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_TEST, lua.OP_TESTSET, lua.OP_TFORLOOP:
			to = pc + 2
		case lua.OP_LOADBOOL:
			if opC(inst) != 0 {
				to = pc + 2
			}
		case lua.OP_SETLIST:
			if opC(inst) == 0 {
				pc++ // the next word is SETLIST's operand, not an instruction
			}
		}
		if to >= 0 {
			targets[to] = true
			jumps = append(jumps, jump{pc, to})
		}
	}
	var redisK = -1
	for i, k := range fp.Constants {
		if s, ok := k.(lua.LString); ok && s == "redis" {
			redisK = i
		}
	}
	constOf := map[*lua.LFunction]int{}
	for pc := 0; redisK >= 0 && pc+1 < len(code); pc++ {
		get, field := code[pc], code[pc+1]
		if int(get>>26) == lua.OP_SETLIST && opC(get) == 0 {
			pc++
			continue
		}
		if int(get>>26) != lua.OP_GETGLOBAL || opBx(get) != redisK || int(field>>26) != lua.OP_GETTABLEKS || targets[pc+1] {
			continue
		}
		a := opA(get)
		if opA(field) != a || opB(field) != a || opC(field)&rkConst == 0 {
			continue
		}
		name, ok := fp.Constants[opC(field)&^rkConst].(lua.LString)
		if !ok || fns[string(name)] == nil {
			continue
		}
		fn := fns[string(name)]
		if d := drops[string(name)]; d != nil && callDropsResults(code, pc, a, jumps) {
			fn = d
		}
		k, seen := constOf[fn]
		if !seen {
			k = len(fp.Constants)
			if k > 0x3ffff {
				return
			}
			fp.Constants = append(fp.Constants, fn)
			constOf[fn] = k
		}
		code[pc] = uint32(lua.OP_LOADK)<<26 | uint32(a)<<18 | uint32(k)
		code[pc+1] = uint32(lua.OP_NOP) << 26
		pc++
	}
	for _, sub := range fp.FunctionPrototypes {
		foldRedisCalls(sub, fns, drops)
	}
}

// jump is an edge of a function's control flow other than falling through
// to the next instruction.
type jump struct{ from, to int }

// callDropsResults reports whether the function that the instruction at
// pc loads into register a (the folded pair's first word; pc+1 is its NOP)
// is called with its results dropped: the first CALL of register a after
// it is "CALL a B 1", and the code between only computes the arguments.
// That code must write no register at or below a (so a still holds the
// function), neither leave the function nor loop, and no jump may enter it
// from outside or leave it; anything else, and the answer is no. What Lua
// 5.1 compiles for the arguments of a call statement passes (constants,
// globals, table reads and constructors, arithmetic, `..`, `and`/`or`,
// nested calls in higher registers).
func callDropsResults(code []uint32, pc, a int, jumps []jump) bool {
	lo := pc + 2
	hi := -1 // the CALL
	for q := lo; q < len(code) && hi < 0; q++ {
		inst := code[q]
		op := int(inst >> 26)
		dest, n := opA(inst), 1 // the registers written: dest..dest+n-1 (n < 0: to the top)
		switch op {
		case lua.OP_CALL:
			if dest == a {
				if opC(inst) != 1 {
					return false
				}
				hi = q
				continue
			}
			n = opC(inst) - 1
			if opC(inst) == 0 {
				n = -1
			}
		case lua.OP_MOVE, lua.OP_LOADK, lua.OP_LOADBOOL, lua.OP_GETUPVAL, lua.OP_GETGLOBAL, lua.OP_GETTABLE,
			lua.OP_GETTABLEKS, lua.OP_NEWTABLE, lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD,
			lua.OP_POW, lua.OP_UNM, lua.OP_NOT, lua.OP_LEN, lua.OP_CONCAT, lua.OP_TESTSET:
		case lua.OP_SELF:
			n = 2
		case lua.OP_LOADNIL:
			n = opB(inst) - dest + 1
		case lua.OP_VARARG:
			n = opB(inst) - 1
			if opB(inst) == 0 {
				n = -1
			}
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS, lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_TEST, lua.OP_JMP, lua.OP_NOP:
			n = 0 // A is read, or a flag
		case lua.OP_SETLIST:
			n = 0
			if opC(inst) == 0 {
				q++ // its operand word
			}
		default: // leaves the function, loops, closes upvalues, makes a closure, writes a global…
			return false
		}
		if n != 0 && dest <= a {
			return false
		}
	}
	if hi < 0 {
		return false
	}
	for _, j := range jumps {
		fromIn := j.from >= lo && j.from < hi
		toIn := j.to >= lo && j.to <= hi
		if fromIn != toIn {
			return false
		}
	}
	return true
}
