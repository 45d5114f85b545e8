package script

import (
	"fmt"
	"strings"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// vm is the Lua state all scripts share, with its sandbox. SCRIPT FLUSH
// replaces it (Redis resets its Lua state there too).
type vm struct {
	L *lua.LState
	// realG is the table of globals; scripts see it through proxyG, which
	// is empty and read-only (see protect), so that every global a script
	// writes is refused and every missing one it reads raises an error.
	realG, proxyG *lua.LTable
	// protected holds the tables scripts may not modify: the proxies,
	// their metatables and the tables behind them (setmetatable and rawset
	// look here).
	protected map[*lua.LTable]bool
	// mtProxies are read-only views of protected metatables, which
	// getmetatable returns instead of the metatables themselves.
	mtProxies map[*lua.LTable]*lua.LTable
	// proxyOf maps a protected table to its read-only view.
	proxyOf  map[*lua.LTable]*lua.LTable
	readonly *lua.LFunction
	// errHandler completes an error with where it happened (Redis's
	// __redis__err__handler).
	errHandler *lua.LFunction
	// folds are the functions foldRedisCalls loads as constants
	// (redis.call and redis.pcall), by field name; drops are their forms
	// for a call whose results are dropped (they push none).
	folds, drops map[string]*lua.LFunction
	// args are KEYS and ARGV, reused by the scripts that leave them alone
	// (argtables.go).
	args argTables
}

const (
	msgReadonly = "Attempt to modify a readonly table"
	// callStackSize bounds Lua call depth: deeper recursion fails with
	// "stack overflow" instead of exhausting memory.
	callStackSize = 4000
	// registryMaxSize bounds the Lua value stack (slots of 16 bytes).
	registryMaxSize = 4 << 20
)

// stateOptions are the scripts' Lua state's options (and the VM-floor
// benchmark's, which must measure the same state).
func stateOptions() lua.Options {
	return lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       callStackSize,
		RegistrySize:        256,
		RegistryMaxSize:     registryMaxSize,
		RegistryGrowStep:    256,
		MinimizeStackMemory: true,
	}
}

// newVM builds the sandboxed state; s provides redis.* and math.random.
func newVM(s *Scripting) *vm {
	L := lua.NewState(stateOptions())
	v := &vm{L: L, protected: map[*lua.LTable]bool{}, mtProxies: map[*lua.LTable]*lua.LTable{}, proxyOf: map[*lua.LTable]*lua.LTable{}}
	// The hook: every instruction asks it whether to stop (watchdog.go).
	L.SetInterrupt(&s.hook.signal, s.hook.check)
	for _, open := range []lua.LGFunction{lua.OpenBase, lua.OpenTable, lua.OpenString, lua.OpenMath, lua.OpenCoroutine} {
		L.Push(L.NewFunction(open))
		L.Call(0, 0)
	}
	g := L.G.Global
	v.realG = g
	// The sandbox: what Redis does not load, or removes.
	for _, name := range []string{"dofile", "loadfile", "print", "_printregs", "module", "require", "package", "os", "io", "debug", "channel",
		// Not in Redis's sandbox either: they reach (and replace) the
		// environment of any function, the table of globals included.
		"getfenv", "setfenv", "newproxy"} {
		g.RawSetString(name, lua.LNil)
	}
	v.readonly = L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(msgReadonly)
		return 0
	})
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(0))
		return 1
	}))
	g.RawSetString("pcall", L.NewFunction(luaPcall))
	g.RawSetString("getmetatable", L.NewFunction(v.getmetatable))
	g.RawSetString("setmetatable", L.NewFunction(v.setmetatable))
	g.RawSetString("rawset", L.NewFunction(v.rawset))
	g.RawSetString("tostring", L.NewFunction(luaTostring))
	g.RawSetString("error", L.NewFunction(luaError))
	g.RawSetString("unpack", L.NewFunction(luaUnpack))

	// Libraries Redis adds, then its replacements in math and string.
	g.RawSetString("cjson", openCjson(L))
	g.RawSetString("bit", openBit(L))
	g.RawSetString("struct", openStruct(L))
	g.RawSetString("cmsgpack", s.openCmsgpack(L))
	redisT := s.openRedis(L)
	g.RawSetString("redis", redisT)
	v.folds = map[string]*lua.LFunction{}
	for _, name := range []string{"call", "pcall"} {
		v.folds[name] = redisT.RawGetString(name).(*lua.LFunction)
	}
	v.drops = map[string]*lua.LFunction{
		"call":  L.NewFunction(func(L *lua.LState) int { return s.redisCall(L, true, false) }),
		"pcall": L.NewFunction(func(L *lua.LState) int { return s.redisCall(L, false, false) }),
	}
	math := g.RawGetString("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(s.mathRandom))
	math.RawSetString("randomseed", L.NewFunction(s.mathRandomseed))
	str := g.RawGetString("string").(*lua.LTable)
	rep := str.RawGetString("rep")
	str.RawSetString("rep", L.NewFunction(func(L *lua.LState) int { return s.stringRep(L, rep) }))
	str.RawSetString("dump", L.NewFunction(stringDump)) // a header only (luamsgs.go)
	tbl := g.RawGetString("table").(*lua.LTable)
	concat := tbl.RawGetString("concat")
	tbl.RawSetString("concat", L.NewFunction(func(L *lua.LState) int { return s.tableConcat(L, concat) }))

	v.errHandler = L.NewFunction(errHandler)
	setCallErrors(L) // Lua 5.1's "attempt to call a nil value" (luamsgs.go)
	v.guardEnv(L)

	// Read-only: every library table is replaced by a read-only proxy,
	// then the globals themselves.
	var libs []string
	g.ForEach(func(k, val lua.LValue) {
		if _, ok := val.(*lua.LTable); ok {
			if name, ok := k.(lua.LString); ok && string(name) != "_G" {
				libs = append(libs, string(name))
			}
		}
	})
	for _, name := range libs {
		g.RawSetString(name, v.protect(g.RawGetString(name).(*lua.LTable)))
	}
	// The string metatable's __index stays the real string table (method
	// calls on strings); getmetatable shows scripts a read-only view.
	v.proxyG = v.protect(g)
	g.RawSetString("_G", v.proxyG)
	gmt := L.CreateTable(0, 2)
	gmt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToStringMeta(L.Get(2)).String())
		return 0
	}))
	gmt.RawSetString("__newindex", v.readonly)
	L.SetMetatable(g, gmt)
	v.protected[gmt] = true
	return v
}

// protect returns a read-only view of t: an empty table whose metatable
// reads through to t and refuses every write.
func (v *vm) protect(t *lua.LTable) *lua.LTable {
	// Small tables: gopher-lua's NewTable reserves 32 array and 32 hash
	// slots (about 1.5 KB), and every library has two of these.
	proxy := v.L.CreateTable(0, 0)
	mt := v.L.CreateTable(0, 2)
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", v.readonly)
	v.L.SetMetatable(proxy, mt)
	v.protected[proxy] = true
	v.protected[mt] = true
	v.protected[t] = true
	if v.proxyOf[t] == nil {
		v.proxyOf[t] = proxy
	}
	return proxy
}

// metatableView is what getmetatable shows of a protected metatable: a
// read-only copy whose table fields are read-only views too. The view of
// the metatable itself is not enough: its __index is the table behind the
// proxy (the real globals, a library), which a script could write through
// (getmetatable(_G).__index.redis = 1 replaced redis for every later
// script).
func (v *vm) metatableView(mt *lua.LTable) *lua.LTable {
	cp := v.L.CreateTable(0, 0)
	mt.ForEach(func(k, val lua.LValue) {
		if t, ok := val.(*lua.LTable); ok && v.protected[t] {
			if p := v.proxyOf[t]; p != nil && p != t {
				val = p
			} else if p == nil {
				val = v.protect(t)
			}
		}
		cp.RawSet(k, val)
	})
	return v.protect(cp)
}

// getmetatable is Lua's, except that a protected table's metatable (and a
// string's) is shown as a read-only view.
func (v *vm) getmetatable(L *lua.LState) int {
	obj := L.CheckAny(1)
	mt, ok := L.GetMetatable(obj).(*lua.LTable)
	if !ok || hiddenMetatable(obj) {
		L.Push(lua.LNil)
		return 1
	}
	if field := mt.RawGetString("__metatable"); field != lua.LNil {
		L.Push(field)
		return 1
	}
	t, isTable := obj.(*lua.LTable)
	if !isTable || v.protected[t] || v.protected[mt] {
		p := v.mtProxies[mt]
		if p == nil {
			p = v.metatableView(mt)
			v.mtProxies[mt] = p
		}
		L.Push(p)
		return 1
	}
	L.Push(mt)
	return 1
}

func (v *vm) setmetatable(L *lua.LState) int {
	t := L.CheckTable(1)
	mt := L.Get(2)
	if mt.Type() != lua.LTNil && mt.Type() != lua.LTTable {
		argError(L, 2, "setmetatable", "nil or table expected")
	}
	if v.protected[t] {
		L.Error(lua.LString(msgReadonly), 0)
	}
	if old, ok := L.GetMetatable(t).(*lua.LTable); ok && old.RawGetString("__metatable") != lua.LNil {
		L.RaiseError("cannot change a protected metatable")
	}
	L.SetMetatable(t, mt)
	L.Push(t)
	return 1
}

func (v *vm) rawset(L *lua.LState) int {
	t := L.CheckTable(1)
	k := L.CheckAny(2)
	val := L.CheckAny(3)
	if v.protected[t] {
		L.Error(lua.LString(msgReadonly), 0)
	}
	if k == lua.LNil {
		L.RaiseError("table index is nil")
	}
	t.RawSet(k, val)
	L.Push(t)
	return 1
}

// luaPcall is Redis's pcall: an error raised as a table with an "err"
// field (redis.call's) is returned as that field's string, as the
// errors of older Redis versions were.
func luaPcall(L *lua.LState) int {
	n := L.GetTop()
	if n < 1 {
		argError(L, 1, "pcall", "value expected")
	}
	fn := L.Get(1)
	L.Remove(1)
	L.Insert(fn, 1)
	err := L.PCall(n-1, lua.MultRet, nil)
	if err != nil {
		obj := lua.LValue(lua.LString(err.Error()))
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		if t, ok := obj.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				obj = s
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(obj)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaTostring is tostring with Lua 5.1's number format ("%.14g"), which
// gopher-lua's own tostring does not use.
func luaTostring(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(fmtNumber14(float64(n))))
		return 1
	}
	L.Push(L.ToStringMeta(v))
	return 1
}

// errHandler is Redis's __redis__err__handler: the error becomes a table
// {err=…} ("ERR " before a string error) with the source and line of the
// Lua function where it was raised (the caller, when a Go function such
// as redis.call or error raised it).
func errHandler(L *lua.LState) int {
	e := L.Get(1)
	t, ok := e.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		t.RawSetString("err", lua.LString("ERR "+lua51WordingIn(L, luaToString(e))))
	}
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, nil); err != nil {
			break
		}
		if dbg.What == "G" {
			continue
		}
		src := dbg.Source
		if !strings.HasPrefix(src, "@") && !strings.HasPrefix(src, "=") {
			src = "@" + src
		}
		t.RawSetString("source", lua.LString(src))
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// luaToString is tostring for an error value.
func luaToString(v lua.LValue) string {
	if n, ok := v.(lua.LNumber); ok {
		return fmtNumber14(float64(n))
	}
	return v.String()
}

// luaError is Lua 5.1's error: a string or number message gets the
// position of the function at level (1: the caller) in front.
func luaError(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	var msg string
	switch v := obj.(type) {
	case lua.LString:
		msg = string(v)
	case lua.LNumber:
		msg = fmtNumber14(float64(v))
	default:
		L.Error(obj, 0)
		return 0
	}
	if level > 0 {
		if w := L.Where(level); w != "" {
			msg = strings.TrimSuffix(w, " ") + " " + msg
		}
	}
	L.Error(lua.LString(msg), 0)
	return 0
}

// argError is luaL_argerror: "bad argument #n to 'f' (msg)", raised
// without a position, as from a C function.
func argError(L *lua.LState, n int, fname, msg string) {
	L.Error(lua.LString(fmt.Sprintf("bad argument #%d to '%s' (%s)", n, fname, msg)), 0)
}

// luaUnpack is Lua 5.1's unpack, with its limit: at most LUAI_MAXCSTACK
// (8000) values fit on the stack ("too many results to unpack").
func luaUnpack(L *lua.LState) int {
	t := L.CheckTable(1)
	i := L.OptInt(2, 1)
	e := L.OptInt(3, t.Len())
	if i > e {
		return 0
	}
	n := int64(e) - int64(i) + 1
	if n >= 8000 {
		L.RaiseError("too many results to unpack")
	}
	for j := i; j <= e; j++ {
		L.Push(t.RawGetInt(j))
	}
	return int(n)
}
