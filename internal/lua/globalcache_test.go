package lua

import "testing"

// TestGlobalCache: GETGLOBAL's cache never returns a stale value: a global
// rewritten, removed, rewritten from Go, read under another environment
// (setfenv, a second closure of the same prototype), or found through the
// environment's __index.
func TestGlobalCache(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"x = 1 local s = '' for i = 1, 3 do s = s .. x x = x + 1 end return s", "123"},
		{"x = 1 local function f() return x end local a = f() x = nil local b = f() return tostring(a) .. tostring(b)", "1nil"},
		{"x = 1 local function f() return x end local a = f() rawset(_G, 'x', 2) return a .. f()", "12"},
		{"x = 'g' local function f() return x end local a = f() setfenv(f, {x = 'e'}) return a .. f()", "ge"},
		{"local function mk(env) local f = function() return x end setfenv(f, env) return f end " +
			"local f1, f2 = mk({x = 1}), mk({x = 2}) local s = '' for i = 1, 3 do s = s .. f1() .. f2() end return s", "121212"},
		{"local n = 0 setmetatable(_G, {__index = function(t, k) n = n + 1 return n end}) local s = '' for i = 1, 3 do s = s .. undefinedname end return s", "123"},
		{"x = 1 local function f() return x end f() _G.y = 5 x = 7 return f()", "7"},
	} {
		checkReturn(t, NewState(), tc.code, tc.want)
	}
	// A write from Go between two runs of the same function.
	L := NewState()
	defer L.Close()
	fn, err := L.LoadString("return g")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []LValue{LString("a"), LString("b"), LNil, LNumber(3)} {
		L.SetGlobal("g", v)
		L.Push(fn)
		L.Call(0, 1)
		if got := L.Get(-1); got != v {
			t.Errorf("after SetGlobal(%v): %v", v, got)
		}
		L.Pop(1)
	}
}
