package lua

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// referenceLoop is upstream's loop: every instruction through jumpTable,
// no inline path, the hook checked as runLoop does.
func referenceLoop(L *LState, baseframe *callFrame) {
	if L.stack.IsEmpty() {
		return
	}
	L.currentFrame = L.stack.Last()
	if L.currentFrame.Fn.IsG {
		callGFunction(L, false)
		return
	}
	for {
		cf := L.currentFrame
		inst := cf.Fn.Proto.Code[cf.Pc]
		cf.Pc++
		if L.intrFlag != nil && L.intrFlag.Load() {
			if err := L.intrCheck(L); err != nil {
				L.RaiseError("%s", err.Error())
				return
			}
		}
		if jumpTable[int(inst>>26)](L, inst, baseframe) == 1 {
			return
		}
	}
}

// TestRunLoopMatchesReference runs scripts that exercise runLoop's inline
// paths (and their way out to jumpTable) under runLoop and under
// referenceLoop, and wants the same results and the same errors, their
// positions and tracebacks included.
func TestRunLoopMatchesReference(t *testing.T) {
	scripts := []string{
		// for loops: integer, fractional, negative, empty, huge, past
		// the boxed integers, a counter changed in the body.
		"local s = 0 for i = 1, 100 do s = s + i end return s",
		"local s = {} for i = 10, 1, -3 do s[#s + 1] = i end return table.concat(s, ',')",
		"local s = 0 for i = 0.5, 3, 0.5 do s = s + i end return s",
		"local n = 0 for i = 3, 1 do n = n + 1 end return n",
		"local n = 0 for i = 4090, 4100 do n = n + i end return n",
		"local n = 0 for i = -5, 5 do n = n + i end return n",
		"local t = {} for i = 1, 3 do i = i * 10 t[#t + 1] = i end return table.concat(t, ',')",
		"for i = 1, 'x' do end",
		"for i = 1, 10, {} do end",
		// moves, constants, globals read, changed, removed, shadowed.
		"local a, b, c = 1, 'two', nil local d = a local e = b return d, e, c",
		"g1 = 1 local x = g1 g1 = 'changed' return x, g1",
		"g2 = 5 g2 = nil return g2",
		"return undefined_global",
		"local print = 1 return print",
		"setfenv(1, {x = 'env'}) return x",
		"local f = function() return y end y = 1 local a = f() y = 2 return a, f()",
		// table reads: arrays, holes, hash keys, metatables, non-tables.
		"local t = {1, 2, 3} return t[1], t[3], t[4], t[0]",
		"local t = {1, nil, 3} return t[2]",
		"local t = setmetatable({}, {__index = function(_, k) return k * 2 end}) return t[21]",
		"local t = {x = 1} local k = 'x' return t[k], t.x",
		"local s = 'str' return s[1]",
		"local n = nil return n[1]",
		"local t = {} t[1.5] = 'f' return t[1.5], t[1]",
		// concatenation: cached, changing, numbers, long, metamethods.
		"local r = {} for i = 1, 5 do r[i] = 'k:' .. (i % 2 == 0 and 'even' or 'odd') end return table.concat(r, ' ')",
		"local r = {} for i = 1, 3 do r[i] = 'n' .. i end return table.concat(r)",
		"local big = string.rep('x', 100) local r for i = 1, 3 do r = 'p' .. big end return #r",
		"local m = setmetatable({}, {__concat = function(a, b) return 'meta' end}) return 'a' .. m, m .. 'b'",
		"local x return 'a' .. x",
		"local a = 'x' return a .. a .. a, a .. 1 .. 2.5",
		// calls of Go functions: results, varargs, errors, pcall, deep.
		"return select('#', nil, nil), select(2, 'a', 'b', 'c')",
		"local function many() return 1, 2, 3 end return select('#', many()), math.max(many())",
		"return tostring(nil), tostring(1.5), type(print)",
		"local ok, e = pcall(error, {code = 1}) return ok, type(e), e.code",
		"local ok, e = pcall(function() local t = nil return t.x end) return ok, e",
		"error('top level')",
		"local function r(n) if n == 0 then return select('#') end return r(n - 1) end return r(50)",
		"string.rep()",
		"return assert(false, 'failed here')",
		// jumps and loops of all kinds.
		"local i, s = 0, 0 while i < 10 do i = i + 1 if i % 2 == 0 then s = s + i end end return s",
		"local i = 0 repeat i = i + 1 until i >= 7 return i",
		"local s = 0 for k, v in ipairs({5, 6, 7}) do s = s + k * v end return s",
		"local t = {} for k in pairs({a = 1}) do t[#t + 1] = k end return t[1]",
		// coroutines: yields from inside loops and Go functions.
		"local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield('y' .. i) end return 'done' end) return co(), co(), co(), co()",
		"local co = coroutine.create(function(a) local b = coroutine.yield(a .. '!') error('in co ' .. b) end) local _, x = coroutine.resume(co, 'hi') return x, coroutine.resume(co, 'again')",
	}
	run := func(code string, ref, hook bool) string {
		L := NewState(Options{MinimizeStackMemory: hook})
		defer L.Close()
		if hook {
			var flag atomic.Bool
			L.SetInterrupt(&flag, func(*LState) error { return nil })
		}
		if ref {
			L.mainLoop = referenceLoop
		}
		if err := L.DoString(code); err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for i := 1; i <= L.GetTop(); i++ {
			out = append(out, fmt.Sprintf("%s:%s", L.Get(i).Type(), L.Get(i).String()))
		}
		return strings.Join(out, " ")
	}
	for _, code := range scripts {
		for _, hook := range []bool{false, true} {
			want, got := run(code, true, hook), run(code, false, hook)
			if got != want {
				t.Errorf("%q (hook %v):\n got %s\nwant %s", code, hook, got, want)
			}
		}
	}
}

// TestRunLoopHookMatchesReference stops scripts by the hook at each of
// their first instructions in turn, under runLoop and referenceLoop: the
// error must name the same line (runLoop writes its pc back before the
// hook runs).
func TestRunLoopHookMatchesReference(t *testing.T) {
	code := "local a = 1\nlocal t = {a}\nfor i = 1, 3 do\nlocal k = 'n:' .. t[1]\ng = k\nend\nwhile true do\nlocal c = tostring(a)\nend"
	run := func(stopAt int, ref bool) string {
		L := NewState(Options{MinimizeStackMemory: true})
		defer L.Close()
		var flag atomic.Bool
		flag.Store(true)
		n := 0
		L.SetInterrupt(&flag, func(*LState) error {
			if n++; n == stopAt {
				return fmt.Errorf("stopped at %d", n)
			}
			return nil
		})
		if ref {
			L.mainLoop = referenceLoop
		}
		if err := L.DoString(code); err != nil {
			return err.Error()
		}
		return "no error"
	}
	for stopAt := 1; stopAt <= 60; stopAt++ {
		if got, want := run(stopAt, false), run(stopAt, true); got != want {
			t.Errorf("stopped at instruction %d:\n got %s\nwant %s", stopAt, got, want)
		}
	}
}
