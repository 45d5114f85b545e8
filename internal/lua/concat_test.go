package lua

import "testing"

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
		L := NewState()
		if err := L.DoString(tc.code); err != nil {
			t.Errorf("%q: %v", tc.code, err)
		} else if got := L.Get(-1).String(); got != tc.want {
			t.Errorf("%q = %q, want %q", tc.code, got, tc.want)
		}
		L.Close()
	}
	L := NewState()
	defer L.Close()
	err := L.DoString("local x return 'a' .. x")
	if err == nil || err.Error() != "<string>:1: cannot perform concat operation between string and nil\nstack traceback:\n\t<string>:1: in main chunk\n\t[G]: ?" {
		t.Errorf("concat with nil: %v", err)
	}
}
