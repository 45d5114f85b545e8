package script

import (
	"strings"
	"testing"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// countRedisReads counts the GETGLOBAL "redis" instructions left in fp and
// the functions nested in it.
func countRedisReads(fp *lua.FunctionProto) int {
	n := 0
	for _, inst := range fp.Code {
		if int(inst>>26) == lua.OP_GETGLOBAL {
			if k, ok := fp.Constants[opBx(inst)].(lua.LString); ok && k == "redis" {
				n++
			}
		}
	}
	for _, sub := range fp.FunctionPrototypes {
		n += countRedisReads(sub)
	}
	return n
}

// TestScriptEnvAndFolds: a script that assigns no global runs with the real
// globals and its redis.call/pcall reads are folded into constants (in
// nested functions too); one that assigns a global keeps the read-only view
// and its code as compiled; a read of another redis field is not folded.
func TestScriptEnvAndFolds(t *testing.T) {
	s := &Scripting{cache: map[string]*script{}, rnd: newRand()}
	s.hook.s = s
	s.vm = newVM(s)
	for _, tc := range []struct {
		body       string
		real       bool
		redisReads int
	}{
		{"for i = 1, 1000 do redis.call('incr', 'n:' .. KEYS[1]) end return 1", true, 0},
		{"local function f() return redis.pcall('get', 'x') end return {f(), redis.call('ping')}", true, 0},
		{"return redis.sha1hex('x')", true, 1},
		{"x = 1 return redis.call('ping')", false, 1},
		{"local function f() y = 2 end return redis.call('ping')", false, 1},
		// A jump into the pair: the read is not folded.
		{"local t = {call = function() return 1 end} return (KEYS[1] and t or redis).call('ping')", true, 1},
	} {
		sc, msg := s.create([]byte(tc.body))
		if sc == nil {
			t.Fatalf("%q: %s", tc.body, msg)
		}
		if got := sc.fn.Env == s.vm.realG; got != tc.real {
			t.Errorf("%q: runs with the real globals = %v, want %v", tc.body, got, tc.real)
		}
		if got := countRedisReads(sc.fn.Proto); got != tc.redisReads {
			t.Errorf("%q: %d reads of redis left, want %d", tc.body, got, tc.redisReads)
		}
	}
}

// countDrops counts the calls compiled into fp (and the functions nested
// in it) that load the dropped-results form of redis.call or redis.pcall.
func countDrops(fp *lua.FunctionProto, drops map[string]*lua.LFunction) int {
	n := 0
	for _, inst := range fp.Code {
		if int(inst>>26) == lua.OP_LOADK {
			if fn, ok := fp.Constants[opBx(inst)].(*lua.LFunction); ok && (fn == drops["call"] || fn == drops["pcall"]) {
				n++
			}
		}
	}
	for _, sub := range fp.FunctionPrototypes {
		n += countDrops(sub, drops)
	}
	return n
}

// TestDroppedResults: a redis.call or redis.pcall made as a statement
// loads the form that builds no reply value; one whose value is used, or
// whose arguments' code is not plainly an expression, keeps the ordinary
// form.
func TestDroppedResults(t *testing.T) {
	s := &Scripting{cache: map[string]*script{}, rnd: newRand()}
	s.hook.s = s
	s.vm = newVM(s)
	for _, tc := range []struct {
		body  string
		drops int
	}{
		{"redis.call('set', KEYS[1], 'x')", 1},
		{"local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], 'x') return v", 1},
		{"for i = 1, 1000 do redis.call('incr', 'n:' .. KEYS[1]) end return 1", 1},
		{"return redis.call('get', 'x')", 0},
		{"local t = {redis.call('get', 'a')} return t", 0},
		{"redis.call('set', 'k', redis.call('get', 'x') or 'd')", 1},
		{"redis.pcall('incr', 'k') redis.pcall('incr', 'k')", 2},
		{"local a = 1 redis.call('set', 'k', a > 0 and 'p' or 'n', #KEYS, {1, 2})", 1},
		{"local function f() redis.call('del', 'k') end f()", 1},
		{"redis.call('set', 'k', (function() return 'v' end)())", 0},
		{"if redis.call('exists', 'k') == 1 then redis.call('del', 'k') end", 1},
		{"local x = redis.call('incr', 'k') + redis.call('incr', 'k')", 0},
	} {
		sc, msg := s.create([]byte(tc.body))
		if sc == nil {
			t.Fatalf("%q: %s", tc.body, msg)
		}
		if got := countDrops(sc.fn.Proto, s.vm.drops); got != tc.drops {
			t.Errorf("%q: %d calls with dropped results, want %d", tc.body, got, tc.drops)
		}
	}
}

// TestFunctionFolds: the functions a library registers get the folds of
// EVAL scripts (redis.call/pcall as constants, the statement form); its
// main chunk does not (its redis is the library API), and a function that
// the main chunk calls while the library loads fails as it did unfolded.
func TestFunctionFolds(t *testing.T) {
	s, sess := engineScripting(t)
	lib := "#!lua name=l\n" +
		"local function getset(keys) local v = redis.call('get', keys[1]) redis.call('set', keys[1], 'x') return v end\n" +
		"redis.register_function('getset', getset)\n" +
		"redis.register_function('inner', function() local function g() redis.pcall('del', 'k') end g() return redis.sha1hex('') end)"
	if got := call(s.eng, sess, "FUNCTION", "LOAD", lib); got != "$1\r\nl\r\n" {
		t.Fatalf("FUNCTION LOAD = %q", got)
	}
	for _, tc := range []struct {
		name         string
		reads, drops int
	}{{"getset", 0, 1}, {"inner", 1, 1}} {
		fp := s.lookupFunction([]byte(tc.name)).fn.Proto
		if got := countRedisReads(fp); got != tc.reads {
			t.Errorf("%s: %d reads of redis left, want %d", tc.name, got, tc.reads)
		}
		if got := countDrops(fp, s.fn.vm.drops); got != tc.drops {
			t.Errorf("%s: %d statement calls, want %d", tc.name, got, tc.drops)
		}
	}
	for _, tc := range [][2]string{
		{"SET k v", "+OK\r\n"},
		{"FCALL getset 1 k", "$1\r\nv\r\n"},
		{"GET k", "$1\r\nx\r\n"},
		{"FCALL inner 0", "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n"},
		{"EXISTS k", ":0\r\n"},
	} {
		if got := call(s.eng, sess, strings.Fields(tc[0])...); got != tc[1] {
			t.Errorf("%s = %q, want %q", tc[0], got, tc[1])
		}
	}
	for _, tc := range [][2]string{
		{"local function f() return redis.call('ping') end\nf()", "call"},
		{"local function f() redis.call('ping') end\nf()", "call"},
		{"local function f() redis.pcall('ping') end\nf()", "pcall"},
		{"redis.call('ping')", "call"},
	} {
		want := "-ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable '" + tc[1] + "'\r\n"
		if got := call(s.eng, sess, "FUNCTION", "LOAD", "#!lua name=bad\n"+tc[0]); got != want {
			t.Errorf("%q: %q, want %q", tc[0], got, want)
		}
	}
}
