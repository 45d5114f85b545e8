package script

import (
	"fmt"
	"strings"
	"testing"
)

// TestCallArguments: redis.call's arguments reach the command as the
// script gave them: strings without a copy (so a command must not see
// them change, nor the script see the command change them), numbers as
// "%.17g" in a buffer that many of them must not outgrow while the
// slices are made, and the empty string.
func TestCallArguments(t *testing.T) {
	s, sess := engineScripting(t)
	// 300 arguments, numbers and strings alternated: more numbers than
	// any earlier call made room for.
	var want strings.Builder
	want.WriteString("*300\r\n")
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&want, "$%d\r\n%d.5\r\n$%d\r\ns%d\r\n", len(fmt.Sprint(i))+2, i, len(fmt.Sprint(i))+1, i)
	}
	push := "local a = {} for i = 0, 149 do a[#a+1] = i + 0.5 a[#a+1] = 's' .. i end " +
		"redis.call('rpush', KEYS[1], unpack(a)) return redis.call('lrange', KEYS[1], 0, -1)"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"EVAL", "redis.call('set', KEYS[1], '') return redis.call('strlen', KEYS[1])", "1", "e"}, ":0\r\n"},
		{[]string{"EVAL", "redis.call('set', KEYS[1], '') return redis.call('get', KEYS[1])", "1", "e"}, "$0\r\n\r\n"},
		{[]string{"EVAL", "return redis.call('set', KEYS[1], 1e300)", "1", "n"}, "+OK\r\n"},
		{[]string{"EVAL", "return redis.call('get', KEYS[1])", "1", "n"}, "$23\r\n1.0000000000000001e+300\r\n"},
		// The script's string keeps its bytes whatever the commands do
		// with the value made from it.
		{[]string{"EVAL", "local v = 'abc' redis.call('set', KEYS[1], v) redis.call('append', KEYS[1], 'x') redis.call('setrange', KEYS[1], 0, 'Z') return {v, redis.call('get', KEYS[1])}", "1", "m"}, "*2\r\n$3\r\nabc\r\n$4\r\nZbcx\r\n"},
		{[]string{"EVAL", "local k = KEYS[1] redis.call('incr', k) redis.call('incrbyfloat', k, '1.5') return {k, redis.call('get', k)}", "1", "cnt"}, "*2\r\n$3\r\ncnt\r\n$3\r\n2.5\r\n"},
		{[]string{"EVAL", push, "1", "list"}, want.String()},
		{[]string{"EVAL", "return redis.call('echo', {})", "0"}, "-ERR Lua redis lib command arguments must be strings or integers script: 4a3dfdd1ae8b4c6a2bbc11d38a0b5f0ae71e5f16, on @user_script:1.\r\n"},
		// Unbounded recursion is Lua's "stack overflow" with its position,
		// as in Redis 7.0 (the error handler has room to run), caught or not.
		{[]string{"EVAL", "local function f() return 1 + f() end return f()", "0"}, "-ERR user_script:1: stack overflow script: …"},
		{[]string{"EVAL", "local function f() return 1 + f() end local ok, e = pcall(f) return e", "0"}, "$29\r\nuser_script:1: stack overflow\r\n"},
		// A numeric for takes numeric strings and words its errors as Lua 5.1.
		{[]string{"EVAL", "local n = 0 for i = '1', '3' do n = n + i end return n", "0"}, ":6\r\n"},
		{[]string{"EVAL", "for i = 1, 'x' do end", "0"}, "-ERR user_script:1: 'for' limit must be a number script: …"},
	} {
		got := call(s.eng, sess, tc.args...)
		if strings.HasPrefix(tc.want, "-") {
			// The error names the script's SHA1; compare up to it.
			got, _, _ = strings.Cut(got, " script: ")
			tc.want, _, _ = strings.Cut(tc.want, " script: ")
		}
		if got != tc.want {
			t.Errorf("%.70q = %.200q, want %.200q", tc.args[1], got, tc.want)
		}
	}
}

// TestCallIntegerReplies: an integer reply becomes a Lua number on both
// sides of the range of numbers boxed once (luaInteger), and arithmetic
// on one does not change the next script's.
func TestCallIntegerReplies(t *testing.T) {
	s, sess := engineScripting(t)
	script := `local r = {}
		for _, d in ipairs({-3, 1, 1026, 1, -2048, 1021, 2}) do
			local v = redis.call('incrby', KEYS[1], d)
			r[#r+1] = type(v) .. ':' .. tostring(v) .. ':' .. tostring(v + 1)
		end
		return r`
	want := []string{"number:-3:-2", "number:-2:-1", "number:1024:1025", "number:1025:1026", "number:-1023:-1022", "number:-2:-1", "number:0:1"}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(want))
	for _, w := range want {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(w), w)
	}
	for run := 0; run < 2; run++ {
		call(s.eng, sess, "DEL", "i")
		if got := call(s.eng, sess, "EVAL", script, "1", "i"); got != b.String() {
			t.Fatalf("run %d: %q, want %q", run, got, b.String())
		}
	}
	for _, tc := range []struct {
		n    int64
		want string
	}{{-3, "-3"}, {minBoxedInt, "-2"}, {0, "0"}, {maxBoxedInt, "1023"}, {maxBoxedInt + 1, "1024"}, {1 << 40, "1099511627776"}} {
		if got := luaToString(luaInteger(tc.n)); got != tc.want {
			t.Errorf("luaInteger(%d) = %s", tc.n, got)
		}
	}
}

// TestLookupsInAnyCase: EVALSHA finds a script by its SHA1 in any case,
// FCALL a function by its name in any case (looked up without a copy
// when in lower case).
func TestLookupsInAnyCase(t *testing.T) {
	s, sess := engineScripting(t)
	sha := call(s.eng, sess, "SCRIPT", "LOAD", "return 7")
	sha = strings.TrimSuffix(sha[strings.Index(sha, "\n")+1:], "\r\n")
	for _, h := range []string{sha, strings.ToUpper(sha), strings.ToUpper(sha[:20]) + sha[20:]} {
		if got := call(s.eng, sess, "EVALSHA", h, "0"); got != ":7\r\n" {
			t.Errorf("EVALSHA %s = %q", h, got)
		}
	}
	if got := call(s.eng, sess, "SCRIPT", "EXISTS", strings.ToUpper(sha), "0000000000000000000000000000000000000000"); got != "*2\r\n:1\r\n:0\r\n" {
		t.Errorf("SCRIPT EXISTS = %q", got)
	}
	lib := "#!lua name=l\nredis.register_function('MyFn', function(keys, args) return 8 end)"
	if got := call(s.eng, sess, "FUNCTION", "LOAD", lib); got != "$1\r\nl\r\n" {
		t.Fatalf("FUNCTION LOAD = %q", got)
	}
	for _, name := range []string{"MyFn", "myfn", "MYFN"} {
		if got := call(s.eng, sess, "FCALL", name, "0"); got != ":8\r\n" {
			t.Errorf("FCALL %s = %q", name, got)
		}
	}
	if got := call(s.eng, sess, "FCALL", "nofn", "0"); got != "-ERR Function not found\r\n" {
		t.Errorf("FCALL nofn = %q", got)
	}
}

// TestDroppedResultsBehave: a call made as a statement (whose reply builds
// no Lua value) runs its command and raises its error exactly as one whose
// value the script keeps; a pcall's error is dropped with its value.
func TestDroppedResultsBehave(t *testing.T) {
	s, sess := engineScripting(t)
	call(s.eng, sess, "SET", "s", "str")
	for _, tc := range []struct{ dropped, kept string }{
		{"redis.call('incr', 's') return 'not reached'", "local x = redis.call('incr', 's') return 'not reached'"},
		{"redis.call('nosuchcommand') return 1", "local x = redis.call('nosuchcommand') return 1"},
		{"redis.call('set', 'k') return 1", "local x = redis.call('set', 'k') return 1"},
		{"redis.call('set', 'd', 'v') redis.call('append', 'd', 'w') return redis.call('get', 'd')", "local a = redis.call('set', 'd', 'v') local b = redis.call('append', 'd', 'w') return redis.call('get', 'd')"},
		{"redis.pcall('incr', 's') return 'went on'", "local e = redis.pcall('incr', 's') return 'went on'"},
		{"redis.pcall('nosuchcommand') return 'went on'", "local e = redis.pcall('nosuchcommand') return 'went on'"},
		{"redis.call('del', 'n') for i = 1, 5 do redis.call('incr', 'n') end return redis.call('get', 'n')", "redis.call('del', 'n') for i = 1, 5 do local x = redis.call('incr', 'n') end return redis.call('get', 'n')"},
	} {
		d := call(s.eng, sess, "EVAL", tc.dropped, "0")
		k := call(s.eng, sess, "EVAL", tc.kept, "0")
		// Errors name the script (its SHA1, its line): compare the rest.
		cut := func(r string) string { r, _, _ = strings.Cut(r, " script: "); return r }
		if cut(d) != cut(k) || d == "" {
			t.Errorf("%q = %q, but %q = %q", tc.dropped, d, tc.kept, k)
		}
	}
	for _, tc := range []struct{ body, want string }{
		{"redis.call('incr', 's') return 1", "-ERR value is not an integer or out of range"},
		{"redis.pcall('incr', 's') return 1", ":1"},
		{"redis.call('set', 'g', 'v') return redis.call('get', 'g')", "$1\r\nv"},
	} {
		if got := call(s.eng, sess, "EVAL", tc.body, "0"); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q = %q, want %q…", tc.body, got, tc.want)
		}
	}
}

// TestRecentCallsKeepEachVerdict: checkCall's cache of the last command
// names gives each name its own spec and noscript verdict, however many
// names a script cycles through (more than the cache holds) and in
// whatever case it spells them.
func TestRecentCallsKeepEachVerdict(t *testing.T) {
	s, sess := engineScripting(t)
	script := `local r = {}
		for i = 1, 3 do
			r[#r+1] = redis.call('incr', KEYS[1])
			r[#r+1] = redis.call('type', KEYS[1])['ok']
			r[#r+1] = redis.call('exists', KEYS[1])
			redis.call('set', 's', 'v' .. i)
			r[#r+1] = redis.call('get', 's')
			r[#r+1] = redis.pcall('blpop', 'l', 0)['err']
			r[#r+1] = redis.call('strlen', 's')
			r[#r+1] = redis.call('GET', 's')
			r[#r+1] = redis.pcall('nosuch')['err']
		end
		return r`
	bulk := func(s string) string { return fmt.Sprintf("$%d\r\n%s", len(s), s) }
	var want []string
	for i := 1; i <= 3; i++ {
		v := fmt.Sprintf("v%d", i)
		want = append(want, fmt.Sprintf(":%d", i), bulk("string"), ":1", bulk(v),
			bulk("ERR This Redis command is not allowed from script"), ":2", bulk(v),
			bulk("ERR Unknown Redis command called from script"))
	}
	exp := fmt.Sprintf("*%d\r\n%s\r\n", len(want), strings.Join(want, "\r\n"))
	if got := call(s.eng, sess, "EVAL", script, "1", "n"); got != exp {
		t.Fatalf("got %q\nwant %q", got, exp)
	}
}

// TestCachedForgetsOnFlush: the last script EVALSHA found is not found
// again once SCRIPT FLUSH emptied the cache, in whatever case it is asked.
func TestCachedForgetsOnFlush(t *testing.T) {
	s, sess := engineScripting(t)
	sha := call(s.eng, sess, "SCRIPT", "LOAD", "return 7")
	sha = strings.TrimSuffix(sha[strings.Index(sha, "\n")+1:], "\r\n")
	for _, h := range []string{sha, sha, strings.ToUpper(sha), strings.ToUpper(sha)} {
		if got := call(s.eng, sess, "EVALSHA", h, "0"); got != ":7\r\n" {
			t.Fatalf("EVALSHA %s = %q", h, got)
		}
	}
	call(s.eng, sess, "SCRIPT", "FLUSH")
	for _, h := range []string{strings.ToUpper(sha), sha} {
		if got := call(s.eng, sess, "EVALSHA", h, "0"); !strings.HasPrefix(got, "-NOSCRIPT") {
			t.Errorf("EVALSHA %s after SCRIPT FLUSH = %q", h, got)
		}
	}
}
