package lua

import (
	"fmt"
	"strings"
	"testing"
)

// TestConcat covers CONCAT's paths: two strings (the fast path), strings
// and numbers, long chains (past the buffer on the stack), __concat
// metamethods in the middle of a chain, and the error for a nil.
func TestConcat(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"return 'n:' .. 'k'", "n:k"},
		{"return '' .. ''", ""},
		{"return 'a' .. 1", "a1"},
		{"return 1 .. 'a'", "1a"},
		{"return 1 .. 2", "12"},
		{"return 1.5 .. 'x' .. 2", "1.5x2"},
		{"local k = 'k' return 'n:' .. k .. ':' .. 3", "n:k:3"},
		{"return 'a'..'b'..'c'..'d'..'e'..'f'..'g'..'h'..'i'..'j'..'k'", "abcdefghijk"},
		{"local m = setmetatable({}, {__concat = function(a, b) return 'M' end}) return 'a' .. 'b' .. m .. 'c' .. 'd'", "abM"},
		{"local m = setmetatable({}, {__concat = function(a, b) return 'M' end}) return 'a' .. m", "M"},
		{"local s = 'x\\0y' return s .. s", "x\x00yx\x00y"},
	} {
		checkReturn(t, NewState(), tc.code, tc.want)
	}
	L := NewState()
	defer L.Close()
	err := L.DoString("local x return 'a' .. x")
	if err == nil || err.Error() != "<string>:1: cannot perform concat operation between string and nil\nstack traceback:\n\t<string>:1: in main chunk\n\t[G]: ?" {
		t.Errorf("concat with nil: %v", err)
	}
}

// TestConcatCache checks that CONCAT's cache of two-string results gives
// back only what a concatenation of the same operands would build: the
// operands change between iterations at the same instruction (same length,
// other bytes; other lengths; long strings, which are not cached), and the
// state runs several scripts in a row.
func TestConcatCache(t *testing.T) {
	L := NewState()
	defer L.Close()
	code := `
local parts = {'ab', 'cd', 'ab', 'abc', 'ab', string.rep('z', 70), string.rep('z', 70), 'c' .. 'd'}
local out = {}
for i = 1, #parts do
	out[#out + 1] = 'x:' .. parts[i]
	out[#out + 1] = parts[i] .. ':y'
end
return table.concat(out, ',')`
	var want []string
	for _, p := range []string{"ab", "cd", "ab", "abc", "ab", strings.Repeat("z", 70), strings.Repeat("z", 70), "cd"} {
		want = append(want, "x:"+p, p+":y")
	}
	for run := 0; run < 3; run++ {
		if err := L.DoString(code); err != nil {
			t.Fatal(err)
		}
		if got := L.Get(-1).String(); got != strings.Join(want, ",") {
			t.Fatalf("run %d: %q, want %q", run, got, strings.Join(want, ","))
		}
		L.Pop(1)
	}
	// A result kept by the script survives the cache's clearing at its end.
	if err := L.DoString("kept = 'n:' .. 'k'"); err != nil {
		t.Fatal(err)
	}
	if err := L.DoString("return kept .. '|' .. 'n:' .. 'k2'"); err != nil {
		t.Fatal(err)
	}
	if got := L.Get(-1).String(); got != "n:k|n:k2" {
		t.Errorf("after a second script: %q", got)
	}
	for i, e := range L.concat.entries {
		if e.v != nil {
			t.Errorf("slot %d still holds %q after the script", i, e.v)
		}
	}
}

// TestConcatLoopAllocs is the loop of Redis's loop1000 benchmark without
// redis.call: building 'n:' .. KEYS[1] again allocates nothing after the
// first iteration (as with Lua's interned strings).
func TestConcatLoopAllocs(t *testing.T) {
	L := NewState(Options{SkipOpenLibs: true})
	defer L.Close()
	keys := L.NewTable()
	keys.Append(LString("k"))
	L.SetGlobal("KEYS", keys)
	L.SetGlobal("f", L.NewFunction(func(L *LState) int { return 0 }))
	allocs := func(n int) float64 {
		fn, err := L.LoadString(fmt.Sprintf("for i = 1, %d do f('incr', 'n:' .. KEYS[1]) end return 1", n))
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(50, func() {
			L.Push(fn)
			if err := L.PCall(0, 1, nil); err != nil {
				t.Fatal(err)
			}
			L.Pop(1)
		})
	}
	one, many := allocs(1), allocs(1000)
	if many > one {
		t.Errorf("1,000 iterations make %.1f allocations, one makes %.1f", many, one)
	}
}
