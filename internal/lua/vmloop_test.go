package lua

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRunLoop covers the instructions runLoop runs inline (MOVE, LOADK,
// GETGLOBAL, GETTABLE, JMP, FORLOOP) on their fast paths and on the ones
// left to jumpTable: for loops up, down, by fractions and not entered,
// a global changed between two reads, a table index that is not an array
// one, and a function with more registers than the registry holds (it
// grows). Each script runs with and without the hook of SetInterrupt.
func TestRunLoop(t *testing.T) {
	// 150 locals, each a register: past RegistrySize below, so that the
	// inline paths meet registers beyond the registry's end.
	var many strings.Builder
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&many, "local v%d = %d ", i, i)
	}
	many.WriteString("return v0 + v149")
	for _, tc := range []struct{ code, want string }{
		{"local s = 0 for i = 1, 10 do s = s + i end return s", "55"},
		{"local s = '' for i = 3, 1, -1 do s = s .. i end return s", "321"},
		{"local s = 0 for i = 0, 1, 0.25 do s = s + i end return s", "2.5"},
		{"local n = 0 for i = 1, 0 do n = n + 1 end return n", "0"},
		{"local n = 0 for i = 5000, 5003 do n = i end return n", "5003"},
		{"local last for i = 1, 3 do last = i end return last", "3"},
		{"local n = 0 for i = '1', ' 3 ', '1' do n = n + i end return n", "6"}, // numeric strings, as in Lua 5.1
		{"local n = 0 for i = 1, '0x10' do n = n + 1 end return n", "16"},
		{"g = 1 local a = g g = 2 return a .. g", "12"},
		{"local t = {'x', 'y'} local k = 'n' t.n = 'z' return t[1] .. t[2] .. t[k] .. tostring(t[3])", "xyznil"},
		{"local i = 0 while true do i = i + 1 if i == 4 then break end end return i", "4"},
		{"local a, b = 'p', nil b = a return b", "p"},
		{many.String(), "149"},
	} {
		// Without and with the hook (mainLoop's two entries).
		checkReturn(t, NewState(Options{RegistrySize: 128, RegistryMaxSize: 4096, RegistryGrowStep: 32}), tc.code, tc.want)
		L := NewState(Options{RegistrySize: 128, RegistryMaxSize: 4096, RegistryGrowStep: 32})
		var flag atomic.Bool
		L.SetInterrupt(&flag, func(*LState) error { return nil })
		t.Run("hook", func(t *testing.T) { checkReturn(t, L, tc.code, tc.want) })
	}
}

// TestRunLoopErrors checks the errors of the instructions with fast paths
// keep their text and position (the line of the instruction).
func TestRunLoopErrors(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"local x = 1\nlocal k = 1\nreturn x[k]", "<string>:3: attempt to index a non-table object(number) with key '1'"},
		// Lua 5.1's words and order (init, limit, step), checked before
		// the first iteration.
		{"for i = 1, 'x' do end", "<string>:1: 'for' limit must be a number"},
		{"for i = {}, 'x' do end", "<string>:1: 'for' initial value must be a number"},
		{"local n = 0\nfor i = 1, 2, nil do n = n + 1 end", "<string>:2: 'for' step must be a number"},
		{"for i = 1, 0, 'x' do end", "<string>:1: 'for' step must be a number"},
		// Unbounded recursion: Lua's "stack overflow" at the call, not a
		// Go panic.
		{"local function f() return 1 + f() end\nreturn f()", "<string>:1: stack overflow"},
		{"local t = nil\n\nreturn t[1]", "<string>:3: attempt to index a non-table object(nil) with key '1'"},
	} {
		// Both call stacks: the fixed one and the growing one scripts use.
		for _, grow := range []bool{false, true} {
			L := NewState(Options{CallStackSize: 300, MinimizeStackMemory: grow})
			err := L.DoString(tc.code)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%q (growing stack %v): error %v, want %q", tc.code, grow, err, tc.want)
			}
			L.Close()
		}
	}
}

// TestRunLoopInterrupt checks that the hook still stops a loop made only
// of inline instructions.
func TestRunLoopInterrupt(t *testing.T) {
	L := NewState()
	defer L.Close()
	var flag atomic.Bool
	n := 0
	L.SetInterrupt(&flag, func(*LState) error {
		n++
		return fmt.Errorf("stopped")
	})
	flag.Store(true)
	err := L.DoString("local a = 1 while true do local b = a end")
	if err == nil || !strings.Contains(err.Error(), "stopped") || n != 1 {
		t.Errorf("error %v after %d checks", err, n)
	}
}

// TestCallG covers runLoop's calls of Go functions: fixed and variable
// argument counts (f(g())), results kept, dropped and all of them, errors
// raised inside (their position is the caller's line), and the stack's
// end reached by the call of a Go function at every depth around it, with
// both kinds of call stack.
func TestCallG(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"return select('#', 1, 2, 3)", "3"},
		{"local function three() return 1, 2, 3 end return select('#', three())", "3"},
		{"return select('#', select(2, 'a', 'b', 'c'))", "2"},
		{"local a, b, c = select(2, 'x', 'y') return tostring(a) .. tostring(b) .. tostring(c)", "ynilnil"},
		{"local t = {} table.insert(t, 'v') tostring(1) return t[1]", "v"},
		{"local ok, err = pcall(error, 'boom', 0) return tostring(ok) .. err", "falseboom"},
		{"local ok, err = pcall(function()\n\nerror('x')\nend) return err", "<string>:3: x"},
	} {
		checkReturn(t, NewState(), tc.code, tc.want)
	}
	for _, minimize := range []bool{false, true} {
		for depth := 0; depth < 24; depth++ {
			L := NewState(Options{CallStackSize: 16, MinimizeStackMemory: minimize})
			err := L.DoString(fmt.Sprintf("local function f(n) if n == 0 then return tostring(n) end return (f(n - 1)) end return f(%d)", depth))
			switch {
			case err == nil && L.Get(-1).String() != "0":
				t.Errorf("depth %d (minimize %v): %q", depth, minimize, L.Get(-1).String())
			case err != nil && !strings.Contains(err.Error(), "stack overflow"):
				t.Errorf("depth %d (minimize %v): %v", depth, minimize, err)
			case err != nil && depth < 10:
				t.Errorf("depth %d (minimize %v): %v", depth, minimize, err)
			}
			L.Close()
		}
	}
}
