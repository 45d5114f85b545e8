package lua

import "testing"

// TestGetTable covers GETTABLE's fast path and what it must leave to the
// full lookup: non-integer, out-of-range and hole keys, __index on a
// hole, strings, and a non-table (its error).
func TestGetTable(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"local t = {'a', 'b'} return t[1] .. t[2]", "ab"},
		{"local t = {'a', 'b'} local k = 2 return t[k]", "b"},
		{"local t = {'a', 'b'} return tostring(t[0]) .. tostring(t[3]) .. tostring(t[-1]) .. tostring(t[1.5])", "nilnilnilnil"},
		{"local t = {'a'} t[1.5] = 'h' return t[1.5]", "h"},
		{"local t = setmetatable({'a', nil, 'c'}, {__index = function(t, k) return 'm' .. k end}) return t[1] .. t[2] .. t[3] .. t[4]", "am2cm4"},
		{"local t = {x = 'y'} local k = 'x' return t[k]", "y"},
		{"local t = {} t[2^53] = 'big' return t[2^53]", "big"},
		{"local s = 'abc' local k = 1 return tostring(s[k])", "nil"},
	} {
		checkReturn(t, NewState(), tc.code, tc.want)
	}
	L := NewState()
	defer L.Close()
	if err := L.DoString("local x = 1 local k = 1 return x[k]"); err == nil {
		t.Error("indexing a number: no error")
	}
}
