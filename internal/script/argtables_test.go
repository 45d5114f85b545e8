package script

import (
	"strings"
	"testing"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// TestArgsStayPut: a script that only indexes KEYS and ARGV or takes their
// length may share their tables with the next; any other use of them, or
// a way to the globals other than by name, may not.
func TestArgsStayPut(t *testing.T) {
	for _, tc := range []struct {
		code string
		want bool
	}{
		{"return 1", true},
		{"return redis.call('get', KEYS[1])", true},
		{"local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], ARGV[1]) return v", true},
		{"for i = 1, #KEYS do redis.call('incr', KEYS[i]) end return #ARGV", true},
		{"local function f() return KEYS[2] .. ARGV.x end return f()", true},
		{"local t = {1, 2, 3} return KEYS[1] .. t[2]", true},
		{"return KEYS", false},
		{"local k = KEYS return k[1]", false},
		{"KEYS[2] = 'x' return 1", false},
		{"table.insert(ARGV, 'x') return 1", false},
		{"return unpack(KEYS)", false},
		{"for _, k in ipairs(KEYS) do end return 1", false},
		{"local function f() return #KEYS, KEYS end return f()", false},
		{"return _G.KEYS[1]", false},
		{"return loadstring('return KEYS')()[1]", false},
		{"return KEYS:len()", false},
	} {
		L := lua.NewState(lua.Options{SkipOpenLibs: true})
		fn, err := L.LoadString(tc.code)
		if err != nil {
			t.Fatalf("%s: %v", tc.code, err)
		}
		if got := argsStayPut(fn.Proto); got != tc.want {
			t.Errorf("argsStayPut(%q) = %v, want %v", tc.code, got, tc.want)
		}
		L.Close()
	}
}

// TestArgsReused: scripts given the same tables see exactly their own
// KEYS and ARGV, whatever the runs before them were given or did.
func TestArgsReused(t *testing.T) {
	s, sess := engineScripting(t)
	// Only reads: shares the tables.
	show := "return {#KEYS, #ARGV, KEYS[1] or '-', KEYS[2] or '-', KEYS[3] or '-', ARGV[1] or '-', ARGV[2] or '-'}"
	// Changes them: gets tables of its own, and so does the run after.
	spoil := "KEYS[2] = 'leak' ARGV[3] = 'leak' setmetatable(KEYS, {__index = function() return 'meta' end}) return 1"
	big := make([]string, 0, 102)
	big = append(big, "EVAL", show, "100")
	for i := 0; i < 100; i++ {
		big = append(big, "k")
	}
	for _, tc := range []struct {
		args []string
		want string // the reply's items, space-separated
	}{
		{[]string{"EVAL", show, "3", "a", "b", "c", "x"}, "3 1 a b c x -"},
		{[]string{"EVAL", show, "1", "d"}, "1 0 d - - - -"},
		{[]string{"EVAL", show, "0", "y", "z"}, "0 2 - - - y z"},
		{[]string{"EVAL", show, "2", "e", "f", "w"}, "2 1 e f - w -"},
		{[]string{"EVAL", spoil, "1", "g"}, ""},
		{[]string{"EVAL", show, "1", "h"}, "1 0 h - - - -"},
		{[]string{"EVAL", show, "1", "i", "v"}, "1 1 i - - v -"},
		{big, "100 0 k k k - -"},
		{[]string{"EVAL", show, "1", "j"}, "1 0 j - - - -"},
		{[]string{"EVAL", show, "1", "l"}, "1 0 l - - - -"},
	} {
		got := call(s.eng, sess, tc.args...)
		if tc.want == "" {
			if got != ":1\r\n" {
				t.Fatalf("%.40q = %q", tc.args[1], got)
			}
			continue
		}
		var b strings.Builder
		items := strings.Fields(tc.want)
		b.WriteString("*7\r\n")
		for i, it := range items {
			if i < 2 {
				b.WriteString(":" + it + "\r\n")
			} else {
				b.WriteString("$1\r\n" + it + "\r\n")
			}
		}
		if got != b.String() {
			t.Errorf("%v: got %q, want %q", tc.args[2:min(len(tc.args), 8)], got, b.String())
		}
	}
}

// TestParamsStayPut: a function whose keys and args parameters are only
// indexed or measured may share their tables with the next call.
func TestParamsStayPut(t *testing.T) {
	for _, tc := range []struct {
		fn   string
		want bool
	}{
		{"function(keys, args) return 1 end", true},
		{"function(keys, args) local v = redis.call('get', keys[1]) redis.call('set', keys[1], args[1]) return v end", true},
		{"function(keys, args) for i = 1, #keys do redis.call('incr', keys[i]) end return #args end", true},
		{"function(keys) return keys.x end", true},
		{"function(keys, args) return keys[1] .. args[2] end", true},
		{"function(keys, args) if keys[1] == args[1] then return 1 end return 0 end", true},
		{"function() return 1 end", true},
		{"function(keys, args) return keys end", false},
		{"function(keys, args) return args end", false},
		{"function(keys, args) local k = keys return k[1] end", false},
		{"function(keys, args) keys[2] = 'x' return 1 end", false},
		{"function(keys, args) table.insert(args, 'x') return 1 end", false},
		{"function(keys, args) return unpack(keys) end", false},
		{"function(keys, args) local f = function() return keys[1] end return f() end", false},
		{"function(keys, args) local f = function() return 1 end return f() + #keys end", true},
		{"function(keys, args) local k = keys return #k end", false},
		{"function(keys, args) local n = #keys return keys end", false},
		{"function(keys, args) if keys then return 1 end return 0 end", false},
		{"function(keys, args) return keys == args end", false},
		{"function(keys, args) return keys:len() end", false},
		{"function(keys, ...) return ... end", false},
		{"function(...) return select(1, ...) end", false},
	} {
		L := lua.NewState(lua.Options{SkipOpenLibs: true})
		if err := L.DoString("return " + tc.fn); err != nil {
			t.Fatalf("%s: %v", tc.fn, err)
		}
		fn := L.Get(-1).(*lua.LFunction)
		if got := paramsStayPut(fn); got != tc.want {
			t.Errorf("paramsStayPut(%q) = %v, want %v", tc.fn, got, tc.want)
		}
		L.Close()
	}
	if paramsStayPut(&lua.LFunction{IsG: true}) {
		t.Error("a Go function stays put")
	}
}

// TestParamsReused: functions given the same tables see exactly their own
// keys and args, whatever the calls before them were given or did.
func TestParamsReused(t *testing.T) {
	s, sess := engineScripting(t)
	lib := "#!lua name=l\n" +
		"redis.register_function('show', function(keys, args) return {#keys, #args, keys[1] or '-', keys[2] or '-', keys[3] or '-', args[1] or '-', args[2] or '-'} end)\n" +
		"redis.register_function('spoil', function(keys, args) keys[2] = 'leak' args[3] = 'leak' return 1 end)"
	if got := call(s.eng, sess, "FUNCTION", "LOAD", lib); got != "$1\r\nl\r\n" {
		t.Fatalf("FUNCTION LOAD = %q", got)
	}
	for _, tc := range []struct {
		args []string
		want string // the reply's items, space-separated
	}{
		{[]string{"FCALL", "show", "3", "a", "b", "c", "x"}, "3 1 a b c x -"},
		{[]string{"FCALL", "show", "1", "d"}, "1 0 d - - - -"},
		{[]string{"FCALL", "show", "0", "y", "z"}, "0 2 - - - y z"},
		{[]string{"FCALL", "spoil", "1", "g"}, ""},
		{[]string{"FCALL", "show", "1", "h"}, "1 0 h - - - -"},
		{[]string{"FCALL", "show", "1", "i", "v"}, "1 1 i - - v -"},
	} {
		got := call(s.eng, sess, tc.args...)
		if tc.want == "" {
			if got != ":1\r\n" {
				t.Fatalf("%v = %q", tc.args, got)
			}
			continue
		}
		var b strings.Builder
		b.WriteString("*7\r\n")
		for i, it := range strings.Fields(tc.want) {
			if i < 2 {
				b.WriteString(":" + it + "\r\n")
			} else {
				b.WriteString("$1\r\n" + it + "\r\n")
			}
		}
		if got != b.String() {
			t.Errorf("%v: got %q, want %q", tc.args, got, b.String())
		}
	}
}
