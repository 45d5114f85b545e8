package script

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/logger"
	lua "github.com/tandemdb/tandem/internal/lua"
	"github.com/tandemdb/tandem/internal/resp"
)

// Functions (Redis 7.0's FUNCTION and FCALL). A library is Lua code whose
// first line names it ("#!lua name=mylib"); loading it runs the code once,
// and the code registers its functions with redis.register_function.
// FCALL then calls a function by name with its keys and arguments.
//
// As in Redis, the functions have a Lua state of their own (fnEngine),
// apart from EVAL's (SCRIPT FLUSH does not touch them), and the libraries
// are part of the dataset: every RDB carries them (persist asks Codes),
// and FUNCTION LOAD, DELETE, FLUSH and RESTORE propagate to replicas and
// the AOF as themselves.
//
// Every library's code runs with the same globals table (env): empty and
// read-only, it reads through its metatable's __index, which is the
// library API (a "redis" table with register_function, log and the
// version only) while a library loads, and the whole sandbox (the globals
// EVAL scripts see) the rest of the time. So a library's code can reach
// nothing but the library API while it loads, and its functions, which
// look their globals up when they run, see the full API when called.

// loadTimeout bounds the run of a library's code on FUNCTION LOAD (Redis's
// LOAD_TIMEOUT_MS); loads from our master, the AOF or an RDB have none.
const loadTimeout = 500 * time.Millisecond

// fnEngine is the functions' Lua state and the libraries loaded.
type fnEngine struct {
	vm *vm
	// env is the functions' globals; envMT its metatable, whose __index
	// is switched between libAPI and the sandbox's globals.
	env, envMT *lua.LTable
	libAPI     *lua.LTable
	ctx        *libCtx
}

// libCtx is a set of libraries and the functions they registered
// (Redis's functionsLibCtx). FUNCTION RESTORE and a replica's swapdb load
// fill a fresh one before it replaces, or joins, the current one.
type libCtx struct {
	libs map[string]*library // by name (case-sensitive, as in Redis)
	// funcs is by lower-case name: FCALL finds a function whatever the
	// case of its name, and two functions cannot differ by case only.
	funcs map[string]*function
	// nfuncs counts the libraries' functions (FUNCTION STATS).
	nfuncs int
}

// library is one loaded library.
type library struct {
	name  string
	code  string // the whole code, its "#!lua" line included
	funcs []*function
	// mem estimates the library's size: its code and compiled form.
	mem int64
}

// function is a function a library registered.
type function struct {
	name    string
	desc    string
	hasDesc bool
	fn      *lua.LFunction
	flags   scriptFlags
	lib     *library
	// argsStayPut: the function only reads its keys and args parameters
	// (paramsStayPut), whose tables may then be reused.
	argsStayPut bool
}

// loadCtx is the library being loaded.
type loadCtx struct {
	lib     *library
	start   time.Time
	timeout time.Duration
}

func newLibCtx() *libCtx {
	return &libCtx{libs: map[string]*library{}, funcs: map[string]*function{}}
}

func (x *libCtx) link(l *library) {
	for _, f := range l.funcs {
		key := strings.ToLower(f.name)
		if x.funcs[key] == nil {
			x.funcs[key] = f
		}
	}
	x.libs[l.name] = l
	x.nfuncs += len(l.funcs)
}

func (x *libCtx) unlink(l *library) {
	for _, f := range l.funcs {
		key := strings.ToLower(f.name)
		if x.funcs[key] == f {
			delete(x.funcs, key)
		}
	}
	delete(x.libs, l.name)
	x.nfuncs -= len(l.funcs)
}

// sorted returns the libraries in name order (Redis lists them in its
// hash table's order, which promises nothing).
func (x *libCtx) sorted() []*library {
	out := make([]*library, 0, len(x.libs))
	for _, l := range x.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// join adds src's libraries to x (Redis's libraryJoin): a library of the
// same name is an error, or with replace is replaced; a function whose
// name another library of x registered is an error. On error x is as it
// was.
func (x *libCtx) join(src *libCtx, replace bool) string {
	var replaced []*library
	for _, l := range src.sorted() {
		if old := x.libs[l.name]; old != nil {
			if !replace {
				for _, r := range replaced {
					x.link(r)
				}
				return "Library " + l.name + " already exists"
			}
			x.unlink(old)
			replaced = append(replaced, old)
		}
	}
	for _, l := range src.sorted() {
		for _, f := range l.funcs {
			if x.funcs[strings.ToLower(f.name)] != nil {
				for _, r := range replaced {
					x.link(r)
				}
				return "Function " + f.name + " already exists"
			}
		}
	}
	for _, l := range src.sorted() {
		x.link(l)
	}
	return ""
}

// newFnEngine builds the functions' Lua state: the sandbox EVAL scripts
// run in, plus the globals and library API described above.
func newFnEngine(s *Scripting) *fnEngine {
	v := newVM(s)
	L := v.L
	e := &fnEngine{vm: v, ctx: newLibCtx()}
	// Reading a missing name of the library API raises, as reading a
	// missing global does.
	strict := L.NewTable()
	strict.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToStringMeta(L.Get(2)).String())
		return 0
	}))
	api := L.NewTable()
	api.RawSetString("register_function", L.NewFunction(func(L *lua.LState) int { return s.registerFunction(L) }))
	api.RawSetString("log", L.NewFunction(s.redisLog))
	for name, lv := range map[string]int{
		"LOG_DEBUG": int(logger.Debug), "LOG_VERBOSE": int(logger.Verbose), "LOG_NOTICE": int(logger.Notice), "LOG_WARNING": int(logger.Warning),
		"REDIS_VERSION_NUM": 0x07000f,
	} {
		api.RawSetString(name, lua.LNumber(lv))
	}
	api.RawSetString("REDIS_VERSION", lua.LString("7.0.15"))
	L.SetMetatable(api, strict)
	libAPI := L.NewTable()
	libAPI.RawSetString("redis", v.protect(api))
	L.SetMetatable(libAPI, strict)
	v.protected[libAPI] = true
	v.protected[strict] = true
	e.libAPI = libAPI

	e.envMT = L.NewTable()
	e.envMT.RawSetString("__index", v.realG)
	e.envMT.RawSetString("__newindex", v.readonly)
	e.env = L.NewTable()
	L.SetMetatable(e.env, e.envMT)
	v.protected[e.env] = true
	v.protected[e.envMT] = true
	return e
}

// libraryNameOK is Redis's functionsVerifyName: letters, digits and
// underscores, at least one.
func libraryNameOK(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

const errBadName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// libraryMeta reads a library's first line (Redis's
// functionExtractLibMetaData): the engine, the name, and where the code
// after that line starts (at its newline, so line numbers hold).
func libraryMeta(code []byte) (engine, name string, body int, msg string) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return "", "", 0, "Missing library metadata"
	}
	// Redis looks for the newline in a C string: a NUL before it ends
	// the search.
	end := bytes.IndexByte(code, '\n')
	if nul := bytes.IndexByte(code, 0); end < 0 || (nul >= 0 && nul < end) {
		return "", "", 0, "Invalid library metadata"
	}
	parts, err := resp.SplitArgs(string(code[:end]))
	if err != nil || len(parts) == 0 {
		return "", "", 0, "Invalid library metadata"
	}
	engine = parts[0][2:]
	named := false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if named {
				return "", "", 0, "Invalid metadata value, name argument was given multiple times"
			}
			name, named = p[5:], true
			continue
		}
		return "", "", 0, "Invalid metadata value given: " + p
	}
	if !named {
		return "", "", 0, "Library name was not given"
	}
	return engine, name, end, ""
}

// createLibrary compiles and loads code into x (Redis's
// functionsCreateWithLibraryCtx): it returns the library's name, or the
// error (without its "ERR " code). With replace, a library of the same
// name is replaced; timeout bounds the run of its code (0: none).
func (s *Scripting) createLibrary(code []byte, replace bool, x *libCtx, timeout time.Duration) (string, string) {
	engine, name, bodyAt, msg := libraryMeta(code)
	if msg != "" {
		return "", msg
	}
	if !libraryNameOK(name) {
		return "", errBadName
	}
	if !strings.EqualFold(engine, "lua") {
		return "", "Engine '" + engine + "' not found"
	}
	old := x.libs[name]
	if old != nil && !replace {
		return "", "Library '" + name + "' already exists"
	}
	e := s.fn
	L := e.vm.L
	body := code[bodyAt:]
	fn, cerr := L.Load(bytes.NewReader(body), "user_function")
	if cerr != nil {
		return "", "Error compiling function: " + compileErrorIn("user_function", cerr, bytes.Count(code, []byte("\n"))+1)
	}
	fn.Env = e.env
	// The functions' redis.call/pcall reads are folded (fastenv.go) in the
	// functions the library defines, not in its main chunk: that runs
	// once, with the library API as its redis (which has no call). A
	// function the main chunk calls while the library loads meets a
	// folded call that refuses as the API would (redisCall).
	for _, sub := range fn.Proto.FunctionPrototypes {
		foldRedisCalls(sub, e.vm.folds, e.vm.drops)
	}
	fn.Proto.IsVarArg &^= lua.VarArgNeedsArg
	trimProto(fn.Proto)
	lib := &library{name: name, code: string(code)}
	lib.mem = int64(len(code)+len(name)) + protoMem(fn.Proto) + cacheEntryMem
	if m := s.runLibrary(fn, lib, timeout); m != "" {
		return "", "Error registering functions: " + m
	}
	if len(lib.funcs) == 0 {
		return "", "No functions registered"
	}
	for _, f := range lib.funcs {
		if g := x.funcs[strings.ToLower(f.name)]; g != nil && g.lib != old {
			return "", "Function " + f.name + " already exists"
		}
	}
	if old != nil {
		x.unlink(old)
	}
	x.link(lib)
	return name, ""
}

// runLibrary runs a library's main chunk with the library API as its
// globals, so that it registers its functions into lib; it returns the
// error's text, as Redis shows it, if the code fails.
func (s *Scripting) runLibrary(fn *lua.LFunction, lib *library, timeout time.Duration) string {
	e := s.fn
	L := e.vm.L
	h := &s.hook
	// A library may load while a script is suspended (our master's
	// FUNCTION LOAD while a busy script lets clients in): the hook's state
	// is the script's again afterwards.
	prevLoading := s.loading
	savedSignal, savedAbort, savedErr := h.signal.Load(), h.abort, h.err
	h.signal.Store(false)
	h.abort, h.err = nil, nil
	s.loading = &loadCtx{lib: lib, start: time.Now(), timeout: timeout}
	var timer *time.Timer
	if timeout > 0 {
		timer = time.AfterFunc(timeout, func() { h.signal.Store(true) })
	}
	e.envMT.RawSetString("__index", e.libAPI)
	top := L.GetTop()
	L.Push(fn)
	err := L.PCall(0, 0, nil)
	e.envMT.RawSetString("__index", e.vm.realG)
	if timer != nil {
		timer.Stop()
	}
	hookErr := h.err
	L.SetTop(top)
	s.loading = prevLoading
	h.abort, h.err = savedAbort, savedErr
	h.signal.Store(savedSignal)
	if err == nil {
		return ""
	}
	if hookErr != nil {
		return "ERR " + hookErr.Error()
	}
	var obj lua.LValue = lua.LString(err.Error())
	if ae, ok := err.(*lua.ApiError); ok {
		obj = ae.Object
	}
	switch v := obj.(type) {
	case *lua.LTable:
		if m, ok := v.RawGetString("err").(lua.LString); ok {
			return string(m)
		}
		return "ERR unknown error"
	case lua.LString:
		return "ERR " + string(v)
	case lua.LNumber:
		return "ERR " + fmtNumber14(float64(v))
	}
	return "ERR unknown error"
}

// registerFunction is redis.register_function, in a library's code while
// it loads (Redis's luaRegisterFunction): by position (name, callback) or
// by named arguments (function_name, callback, description, flags).
func (s *Scripting) registerFunction(L *lua.LState) int {
	lc := s.loading
	fail := func(msg string) { raise(L, errorTable(L, msg)) }
	if lc == nil {
		fail("redis.register_function can only be called on FUNCTION LOAD command")
		return 0
	}
	argc := L.GetTop()
	if argc < 1 || argc > 2 {
		fail("wrong number of arguments to redis.register_function")
		return 0
	}
	f := &function{lib: lc.lib}
	if argc == 1 {
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
			return 0
		}
		named := false
		for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
			key, ok := luaStringOf(k)
			if !ok {
				fail("named argument key given to redis.register_function is not a string")
				return 0
			}
			switch strings.ToLower(key) {
			case "function_name":
				if f.name, ok = luaStringOf(v); !ok {
					fail("function_name argument given to redis.register_function must be a string")
					return 0
				}
				named = true
			case "description":
				if f.desc, ok = luaStringOf(v); !ok {
					fail("description argument given to redis.register_function must be a string")
					return 0
				}
				f.hasDesc = true
			case "callback":
				if f.fn, ok = v.(*lua.LFunction); !ok {
					fail("callback argument given to redis.register_function must be a function")
					return 0
				}
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					fail("flags argument to redis.register_function must be a table representing function flags")
					return 0
				}
				if f.flags, ok = functionFlags(ft); !ok {
					fail("unknown flag given")
					return 0
				}
			default:
				fail("unknown argument given to redis.register_function")
				return 0
			}
		}
		if !named {
			fail("redis.register_function must get a function name argument")
			return 0
		}
		if f.fn == nil {
			fail("redis.register_function must get a callback argument")
			return 0
		}
	} else {
		var ok bool
		if f.name, ok = luaStringOf(L.Get(1)); !ok {
			fail("first argument to redis.register_function must be a string")
			return 0
		}
		if f.fn, ok = L.Get(2).(*lua.LFunction); !ok {
			fail("second argument to redis.register_function must be a function")
			return 0
		}
	}
	if !libraryNameOK(f.name) {
		fail(errBadName)
		return 0
	}
	for _, g := range lc.lib.funcs {
		if g.name == f.name {
			fail("Function already exists in the library")
			return 0
		}
	}
	f.argsStayPut = paramsStayPut(f.fn)
	lc.lib.funcs = append(lc.lib.funcs, f)
	return 0
}

// luaStringOf is lua_isstring and lua_tostring: a string, or a number in
// Lua's format.
func luaStringOf(v lua.LValue) (string, bool) {
	switch x := v.(type) {
	case lua.LString:
		return string(x), true
	case lua.LNumber:
		return fmtNumber14(float64(x)), true
	}
	return "", false
}

// functionFlags reads the flags table of redis.register_function: strings
// naming script flags, in any case.
func functionFlags(t *lua.LTable) (scriptFlags, bool) {
	var flags scriptFlags
	for j := 1; ; j++ {
		v := t.RawGetInt(j)
		if v == lua.LNil {
			return flags, true
		}
		name, ok := luaStringOf(v)
		if !ok {
			return 0, false
		}
		found := false
		for _, sf := range shebangFlags {
			if strings.EqualFold(sf.name, name) {
				flags |= sf.f
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
}

// lookupFunction finds a function by name, in any case.
func (s *Scripting) lookupFunction(name []byte) *function {
	if !hasUpper(name) {
		return s.fn.ctx.funcs[string(name)] // no copy of the name
	}
	return s.fn.ctx.funcs[strings.ToLower(string(name))]
}

// FunctionCodes returns every library's code, in name order, for an RDB
// (server lock held): the functions part of the dataset.
func (s *Scripting) FunctionCodes() [][]byte {
	libs := s.fn.ctx.sorted()
	out := make([][]byte, len(libs))
	for i, l := range libs {
		out[i] = []byte(l.code)
	}
	return out
}

// ReplaceFunctions makes the libraries whose codes are given the only
// ones (server lock held): what an RDB held, loaded at start-up, by DEBUG
// RELOAD, or by a replica's full sync, where the dataset is replaced. A
// library that fails to load fails the whole, and the libraries are then
// left as they were.
func (s *Scripting) ReplaceFunctions(codes [][]byte) error {
	x := newLibCtx()
	for _, code := range codes {
		if _, msg := s.createLibrary(code, false, x, 0); msg != "" {
			return fmt.Errorf("Failed loading library: %s", msg)
		}
	}
	s.fn.ctx = x
	return nil
}

// MergeFunctions adds the libraries whose codes are given to the current
// ones (server lock held), as Redis loads an RDB without emptying the
// dataset first (DEBUG RELOAD NOFLUSH): a library of the same name is
// replaced with replace (MERGE) and an error without; the libraries
// loaded before an error stay.
func (s *Scripting) MergeFunctions(codes [][]byte, replace bool) error {
	for _, code := range codes {
		if _, msg := s.createLibrary(code, replace, s.fn.ctx, 0); msg != "" {
			return fmt.Errorf("Failed loading library: %s", msg)
		}
	}
	return nil
}

// FlushFunctions drops every library (server lock held).
func (s *Scripting) FlushFunctions() {
	s.fn.ctx = newLibCtx()
}

// functionsMemory reports the functions' figures for INFO.
func (s *Scripting) functionsMemory() (vm, data int64) {
	for _, l := range s.fn.ctx.libs {
		data += int64(len(l.code)+len(l.name)) + cacheEntryMem
		vm += l.mem - int64(len(l.code)+len(l.name)) - cacheEntryMem
		for _, f := range l.funcs {
			data += int64(len(f.name)+len(f.desc)) + cacheEntryMem
		}
	}
	return vmBaseMem + vm, data
}
