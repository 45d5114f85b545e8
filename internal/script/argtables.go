package script

import lua "github.com/yuin/gopher-lua"

// KEYS and ARGV of EVAL scripts, reused from one run to the next.
//
// Each run used to build two new tables and assign both globals, which
// took most of a short script's set-up (a quarter of a microsecond of
// EVALSHA get-set's engine time: the tables, their arrays, and two
// assignments into the table of globals with its key index). Most scripts
// only ever index them (KEYS[1], ARGV[2]) or take their length: such a
// script can neither change them nor keep them, so the next such script
// may be given the same two tables, refilled, and the globals need not be
// assigned again. Which scripts those are is found in their bytecode
// (argsStayPut), once when they are compiled; any other run gets new
// tables as before, and so does the one after it.

// maxReusedArgs bounds the tables kept for reuse (16 bytes a slot): a run
// with more keys or arguments gets tables of its own, which go with it.
const maxReusedArgs = 64

// argTables is the vm's pair of reusable tables.
type argTables struct {
	keys, argv *lua.LTable
	// nKeys and nArgv are how many items each holds; pristine says the
	// tables hold exactly what the last run was given, and are the
	// globals KEYS and ARGV: that run's script left them alone.
	nKeys, nArgv int
	pristine     bool
}

// setArgs makes KEYS and ARGV the items of this run. stayPut is the
// script's argsStayPut.
func (v *vm) setArgs(L *lua.LState, keys, argv [][]byte, stayPut bool) {
	a := &v.args
	fits := len(keys) <= maxReusedArgs && len(argv) <= maxReusedArgs
	if stayPut && fits && a.pristine {
		refill(a.keys, a.nKeys, keys)
		refill(a.argv, a.nArgv, argv)
	} else {
		a.keys, a.argv = luaArray(L, keys), luaArray(L, argv)
		v.realG.RawSetString("KEYS", a.keys)
		v.realG.RawSetString("ARGV", a.argv)
	}
	a.nKeys, a.nArgv = len(keys), len(argv)
	a.pristine = stayPut && fits
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
