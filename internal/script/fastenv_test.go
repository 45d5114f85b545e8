package script

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
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
