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
