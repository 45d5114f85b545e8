package script

import lua "github.com/yuin/gopher-lua"

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
func foldRedisCalls(fp *lua.FunctionProto, fns map[string]*lua.LFunction) {
	code := fp.Code
	targets := map[int]bool{}
	for pc := 0; pc < len(code); pc++ {
		inst := code[pc]
		switch int(inst >> 26) {
		case lua.OP_JMP, lua.OP_FORLOOP, lua.OP_FORPREP:
			targets[pc+1+opSBx(inst)] = true
		case lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_TEST, lua.OP_TESTSET, lua.OP_TFORLOOP:
			targets[pc+2] = true
		case lua.OP_LOADBOOL:
			if opC(inst) != 0 {
				targets[pc+2] = true
			}
		case lua.OP_SETLIST:
			if opC(inst) == 0 {
				pc++ // the next word is SETLIST's operand, not an instruction
			}
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
		foldRedisCalls(sub, fns)
	}
}
