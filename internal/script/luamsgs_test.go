package script

import (
	"strings"
	"testing"
)

func TestLua51Wording(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"user_script:1: cannot perform add operation between table and number", "user_script:1: attempt to perform arithmetic on a table value"},
		{"cannot perform mul operation between number and nil", "attempt to perform arithmetic on a nil value"},
		{"cannot perform sub operation between string and number", "attempt to perform arithmetic on a string value"},
		{"cannot perform sub operation between string and string", "attempt to perform arithmetic on a string value"},
		// gopher-lua names a numeric string "number": "1" + {} blames the
		// table, "x" + {} the string, as Lua 5.1 does.
		{"cannot perform add operation between string and table", "attempt to perform arithmetic on a string value"},
		{"cannot perform add operation between number and table", "attempt to perform arithmetic on a table value"},
		{"x:2: cannot perform concat operation between string and nil", "x:2: attempt to concatenate a nil value"},
		{"cannot perform concat operation between boolean and string", "attempt to concatenate a boolean value"},
		{"attempt to compare table with table", "attempt to compare two table values"},
		{"attempt to compare number with nil", "attempt to compare number with nil"},
		{"x:1: attempt to index a non-table object(nil) with key 'x'", "x:1: attempt to index a nil value"},
		{"attempt to index a non-table object(boolean) with key 'a b'", "attempt to index a boolean value"},
	} {
		if got := lua51Wording(tc.in); got != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLua51RuntimeErrors: the errors scripts get, in Lua 5.1's words as
// redis-server 7.0.15 replies them; getmetatable still shows no metatable
// on the types that carry the hidden metamethods.
func TestLua51RuntimeErrors(t *testing.T) {
	s, sess := engineScripting(t)
	for _, tc := range []struct{ script, want string }{
		{"return loadstring(string.dump(function() return 1 end))()", "attempt to call a nil value"},
		{"return (true)()", "attempt to call a boolean value"},
		{"return (1)()", "attempt to call a number value"},
		{"return #nil", "attempt to get length of a nil value"},
		{"return #(function() end)", "attempt to get length of a function value"},
		{"return -{}", "__unm undefined"}, // a table: gopher-lua's text stays
		{"return -nil", "attempt to perform arithmetic on a nil value"},
		{"return 1 + {}", "attempt to perform arithmetic on a table value"},
		{"return 'a' .. {}", "attempt to concatenate a table value"},
		{"return {} < {}", "attempt to compare two table values"},
		{"return string.dump(1)", "bad argument #1 to 'dump' (function expected, got number)"},
		// Lua 5.1 names the operand when it knows it.
		{"local t = {} return t + 1", "attempt to perform arithmetic on local 't' (a table value)"},
		{"local t = {} return 1 * t", "attempt to perform arithmetic on local 't' (a table value)"},
		{"local t = {} return t .. 'a'", "attempt to concatenate local 't' (a table value)"},
		{"local t = {} return #t.x", "attempt to get length of field 'x' (a nil value)"},
		{"local t = {} return -t.x", "attempt to perform arithmetic on field 'x' (a nil value)"},
		{"return 1 + redis.nope", "attempt to perform arithmetic on field 'nope' (a nil value)"},
		{"return '1' + {}", "attempt to perform arithmetic on a table value"},
		{"return 'x' + {}", "attempt to perform arithmetic on a string value"},
		{"local t = {} t.x.y = 1", "attempt to index field 'x' (a nil value)"},
		{"local t = {} return t.x.y", "attempt to index field 'x' (a nil value)"},
		{"local n return n.y", "attempt to index local 'n' (a nil value)"},
		{"return (nil).y", "attempt to index a nil value"},
	} {
		got := call(s.eng, sess, "EVAL", tc.script, "0")
		if !strings.HasPrefix(got, "-ERR user_script:1: "+tc.want+" script: ") {
			t.Errorf("%s: %q, want %q", tc.script, got, tc.want)
		}
	}
	for _, v := range []string{"nil", "true", "1", "type"} {
		if got := call(s.eng, sess, "EVAL", "return getmetatable("+v+") == nil", "0"); got != ":1\r\n" {
			t.Errorf("getmetatable(%s) is not nil: %q", v, got)
		}
	}
	if got := call(s.eng, sess, "EVAL", "local ok, e = pcall(nil) return e", "0"); got != "$27\r\nattempt to call a nil value\r\n" {
		t.Errorf("pcall(nil) = %q", got)
	}
}

// TestLua51CallNames: a call of a nil value names what was called, as
// Lua 5.1 does (checked against redis-server 7.0.15).
func TestLua51CallNames(t *testing.T) {
	s, sess := engineScripting(t)
	for _, tc := range []struct{ script, want string }{
		{"local x return x()", "attempt to call local 'x' (a nil value)"},
		{"local t = {} return t.x()", "attempt to call field 'x' (a nil value)"},
		{"return redis.nosuch()", "attempt to call field 'nosuch' (a nil value)"},
		{"local t = {} return t:m()", "attempt to call method 'm' (a nil value)"},
		{"local u local function f() return u() end return f()", "attempt to call upvalue 'u' (a nil value)"},
		{"local t = {x = 1} return t.x()", "attempt to call field 'x' (a number value)"},
		{"return (nil)()", "attempt to call a nil value"},
		{"local t = {} return t['x']()", "attempt to call field 'x' (a nil value)"},
	} {
		got := call(s.eng, sess, "EVAL", tc.script, "0")
		if !strings.HasPrefix(got, "-ERR user_script:1: "+tc.want+" script: ") {
			t.Errorf("%s: %q, want %q", tc.script, got, tc.want)
		}
	}
}
