package script

import lua "github.com/tandemdb/tandem/internal/lua"

// KEYS and ARGV of EVAL scripts, and the keys and args parameters of
// functions, reused from one run to the next.
//
// Each run used to build two new tables (and, for EVAL, assign both
// globals), which took most of a short script's set-up: a quarter of a
// microsecond of EVALSHA get-set's engine time, the tables, their arrays
// and two assignments into the table of globals with its key index. Most
// scripts only ever index them (KEYS[1], ARGV[2], keys[1]) or take their
// length: such a script can neither change them nor keep them, so the
// next such script may be given the same two tables, refilled (and the
// globals need not be assigned again). Which scripts those are is found
// in their bytecode (argsStayPut, paramsStayPut), once when they are
// compiled or registered; any other run gets new tables as before, and so
// does the one after it. Each vm has its own pair: EVAL's, whose tables
// are the globals KEYS and ARGV, and the functions'.

// maxReusedArgs bounds the tables kept for reuse (16 bytes a slot): a run
// with more keys or arguments gets tables of its own, which go with it.
const maxReusedArgs = 64

// argTables is the vm's pair of reusable tables.
type argTables struct {
	keys, argv *lua.LTable
	// nKeys and nArgv are how many items each holds; pristine says the
	// tables hold exactly what the last run was given (and, in EVAL's vm,
	// are the globals KEYS and ARGV): that run's script left them alone.
	nKeys, nArgv int
	pristine     bool
}

// setArgs makes KEYS and ARGV the items of this run of an EVAL script.
// stayPut is the script's argsStayPut.
func (v *vm) setArgs(L *lua.LState, keys, argv [][]byte, stayPut bool) {
	if v.argTables(L, keys, argv, stayPut) {
		v.realG.RawSetString("KEYS", v.args.keys)
		v.realG.RawSetString("ARGV", v.args.argv)
	}
}

// argTables makes v.args hold keys and argv: the same tables refilled
// when the run before left them alone and this one will (stayPut), new
// ones otherwise, which it reports.
func (v *vm) argTables(L *lua.LState, keys, argv [][]byte, stayPut bool) (fresh bool) {
	a := &v.args
	fits := len(keys) <= maxReusedArgs && len(argv) <= maxReusedArgs
	if stayPut && fits && a.pristine {
		refill(a.keys, a.nKeys, keys)
		refill(a.argv, a.nArgv, argv)
	} else {
		a.keys, a.argv = luaArray(L, keys), luaArray(L, argv)
		fresh = true
	}
	a.nKeys, a.nArgv = len(keys), len(argv)
	a.pristine = stayPut && fits
	return fresh
}

// refill makes t, an array of had items that nothing else changed, the
// array of items: exactly that, its length included, as luaArray would.
func refill(t *lua.LTable, had int, items [][]byte) {
	for ; had > len(items); had-- {
		t.Remove(-1) // drops the last element of the array part
	}
	for i, b := range items {
		t.RawSetInt(i+1, lua.LString(b))
	}
}

// argsStayPut reports whether fp and every function nested in it use
// KEYS and ARGV only to index them or take their length at once: each
// read of either global is followed by a GETTABLE, GETTABLEKS or LEN that
// reads the table from the register it was loaded into and overwrites
// that register. Nothing else then ever holds the tables, so the script
// can neither change them nor keep them past its run. Reading a global
// that reaches the table of globals by another way (_G, or a chunk
// compiled at run time, which may read anything) makes it false too.
func argsStayPut(fp *lua.FunctionProto) bool {
	code := fp.Code
	for pc := 0; pc < len(code); pc++ {
		inst := code[pc]
		op := int(inst >> 26)
		if op == lua.OP_SETLIST && opC(inst) == 0 {
			pc++ // the next word is SETLIST's operand, not an instruction
			continue
		}
		if op != lua.OP_GETGLOBAL || opBx(inst) >= len(fp.Constants) {
			continue
		}
		name, _ := fp.Constants[opBx(inst)].(lua.LString)
		switch name {
		case "_G", "load", "loadstring", "getfenv", "setfenv":
			return false
		case "KEYS", "ARGV":
			if pc+1 >= len(code) {
				return false
			}
			next, a := code[pc+1], opA(inst)
			switch int(next >> 26) {
			case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_LEN:
				if opA(next) != a || opB(next) != a {
					return false
				}
			default:
				return false
			}
		}
	}
	for _, sub := range fp.FunctionPrototypes {
		if !argsStayPut(sub) {
			return false
		}
	}
	return true
}

// paramsStayPut is argsStayPut for a function a library registered, which
// gets the keys and the arguments as its first two parameters (registers
// 0 and 1): it reports whether the function reads them only as the table
// indexed by a GETTABLE or GETTABLEKS, or measured by a LEN, itself or
// through a copy that instruction overwrites at once (MOVE then LEN is
// how #keys compiles). Any other read of either register (a capture by a
// closure, which is a MOVE after its CLOSURE; a call, a return or a
// concatenation over a range that holds it; a table write or a
// comparison) makes it false, and so does an operation it does not know.
// A vararg function may reach them through ..., and a function nested in
// this one only through an upvalue its CLOSURE made, which is counted.
func paramsStayPut(fn *lua.LFunction) bool {
	if fn == nil || fn.IsG || fn.Proto == nil || fn.Proto.IsVarArg != 0 {
		return false
	}
	fp := fn.Proto
	n := min(int(fp.NumParameters), 2)
	code := fp.Code
	for pc := 0; pc < len(code); pc++ {
		inst := code[pc]
		switch op := int(inst >> 26); {
		case op == lua.OP_SETLIST && opC(inst) == 0:
			pc++ // the next word is SETLIST's operand, not an instruction
			continue
		case op == lua.OP_CLOSURE:
			// The words after it say what the closure captures: a MOVE
			// captures a register of this function.
			if opBx(inst) >= len(fp.FunctionPrototypes) {
				return false
			}
			nup := int(fp.FunctionPrototypes[opBx(inst)].NumUpvalues)
			for j := 1; j <= nup && pc+j < len(code); j++ {
				if w := code[pc+j]; int(w>>26) == lua.OP_MOVE && opB(w) < n {
					return false
				}
			}
			pc += nup
			continue
		case op == lua.OP_MOVE && opB(inst) < n:
			// The compiler copies a parameter to a temporary to measure
			// it (#keys): allowed when the next instruction indexes or
			// measures the copy and overwrites it.
			a := opA(inst)
			if pc+1 >= len(code) {
				return false
			}
			switch next := code[pc+1]; int(next >> 26) {
			case lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_LEN:
				if opA(next) != a || opB(next) != a {
					return false
				}
			default:
				return false
			}
			continue
		}
		if readsParam(inst, n) {
			return false
		}
	}
	return true
}

// readsParam reports whether inst reads one of the registers below n
// other than as the table of a GETTABLE, GETTABLEKS or LEN.
func readsParam(inst uint32, n int) bool {
	a, b, c := opA(inst), opB(inst), opC(inst)
	reg := func(r int) bool { return r < n }
	rk := func(x int) bool { return x&rkConst == 0 && x < n }
	switch int(inst >> 26) {
	case lua.OP_LOADK, lua.OP_LOADBOOL, lua.OP_LOADNIL, lua.OP_GETUPVAL, lua.OP_GETGLOBAL,
		lua.OP_NEWTABLE, lua.OP_JMP, lua.OP_CLOSE, lua.OP_CLOSURE, lua.OP_VARARG, lua.OP_NOP, lua.OP_LEN:
		return false
	case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
		return rk(c)
	case lua.OP_MOVE, lua.OP_MOVEN, lua.OP_UNM, lua.OP_NOT, lua.OP_TESTSET:
		return reg(b)
	case lua.OP_SETGLOBAL, lua.OP_SETUPVAL, lua.OP_TEST:
		return reg(a)
	case lua.OP_SETTABLE, lua.OP_SETTABLEKS:
		return reg(a) || rk(b) || rk(c)
	case lua.OP_SELF:
		return reg(b) || rk(c)
	case lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW, lua.OP_EQ, lua.OP_LT, lua.OP_LE:
		return rk(b) || rk(c)
	case lua.OP_CONCAT:
		return reg(b) // the range B..C
	case lua.OP_CALL, lua.OP_TAILCALL, lua.OP_FORLOOP, lua.OP_FORPREP, lua.OP_TFORLOOP, lua.OP_SETLIST:
		return reg(a) // ranges from A
	case lua.OP_RETURN:
		return b != 1 && reg(a) // B == 1 returns nothing
	}
	return true
}
