package test

// Functions (FUNCTION, FCALL, FCALL_RO): replies and error texts compared
// byte for byte with Redis 7.0, FUNCTION DUMP payloads moved between
// Tandem and Redis both ways, busy functions and FUNCTION KILL, go-redis's
// FCall helpers.

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/rdb"
)

// fnLib is a library's code as a diff case's quoted argument: the
// "#!lua name=…" line, then body.
func fnLib(name, body string) string {
	return `"#!lua name=` + name + `\n` + body + `"`
}

func TestFunctionRepliesMatchRedis(t *testing.T) {
	reg := func(fname, body string) string {
		return "redis.register_function('" + fname + "', function(keys, args) " + body + " end)"
	}
	runTypeDiff(t, []diffCase{
		{name: "load-and-call", cmds: []string{
			"FUNCTION FLUSH",
			"FUNCTION LOAD " + fnLib("lib", reg("f", "return redis.call('set', keys[1], args[1])")),
			"FCALL f 1 k v",
			"FCALL F 1 k v2",
			"GET k",
			"FUNCTION LOAD " + fnLib("lib", reg("f", "return 1")),
			"FUNCTION LOAD REPLACE " + fnLib("lib", reg("f", "return {keys[1], args[1], #keys, #args}")),
			"FCALL f 1 a b c",
			// gopher-lua's syntax errors are worded differently.
			"?FUNCTION LOAD REPLACE " + fnLib("lib", "bad code"),
			"FCALL f 0",
			"FUNCTION LOAD " + fnLib("lib2", reg("f", "return 1")),
			"FUNCTION LOAD foo " + fnLib("lib3", reg("g", "return 1")),
			"FUNCTION LOAD REPLACE REPLACE " + fnLib("lib3", reg("g", "return 1")),
			"FCALL nosuch 0",
			"FCALL f x",
			"FCALL f 10 a",
			"FCALL f -1 a",
			"FCALL f",
			"FUNCTION DELETE lib",
			"FUNCTION DELETE lib",
			"FCALL f 0",
			"FUNCTION STATS",
			"FUNCTION KILL",
			"FUNCTION HELP",
			"FUNCTION nosuch",
			"FUNCTION LOAD",
			"FUNCTION FLUSH bad",
			"FUNCTION FLUSH SYNC extra",
			"FUNCTION FLUSH ASYNC",
			"FUNCTION RESTORE a b c d",
			"FUNCTION RESTORE bad",
			"FUNCTION RESTORE bad foo",
			"COMMAND GETKEYS FCALL f 2 x y z",
			"COMMAND GETKEYS FCALL_RO f 1 x y",
		}},
		{name: "metadata", cmds: []string{
			"FUNCTION FLUSH",
			"FUNCTION LOAD nolib",
			`FUNCTION LOAD "#!lua name=x"`,
			`FUNCTION LOAD "#!lua\nx"`,
			`FUNCTION LOAD "#!lua name=a-b\nx"`,
			`FUNCTION LOAD "#! name=x\nx"`,
			`FUNCTION LOAD "#!js name=x\nx"`,
			`FUNCTION LOAD "#!lua name=x foo=bar\nx"`,
			`FUNCTION LOAD "#!lua name=x name=y\nx"`,
			`FUNCTION LOAD "#!LUA NAME=ok\nredis.register_function('f', function() return 'ok' end)"`,
			`FUNCTION LOAD "#!lua name=\"q\"\nredis.register_function('g', function() return 'q' end)"`,
			"FCALL f 0",
			"FCALL g 0",
			"FUNCTION LOAD " + fnLib("empty", "return 1"),
		}},
		{name: "register-errors", cmds: []string{
			"FUNCTION FLUSH",
			"FUNCTION LOAD " + fnLib("l", "a = 1"),
			"FUNCTION LOAD " + fnLib("l", "return math.random()"),
			"FUNCTION LOAD " + fnLib("l", "error('boom')"),
			"FUNCTION LOAD " + fnLib("l", "redis.call('ping')"),
			"FUNCTION LOAD " + fnLib("l", "redis.redis.call('ping')"),
			"FUNCTION LOAD " + fnLib("l", "local x = getmetatable(_G)"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function()"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function('f')"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function('f', function() end, 3)"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function(nil, function() end)"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function('f', 'x')"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function('a-b', function() end)"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function('', function() end)"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name='f'}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{callback=function() end}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name=function() end, callback=function() end}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name='f', callback='x'}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name='f', callback=function() end, description=function() end}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name='f', callback=function() end, flags='no-writes'}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name='f', callback=function() end, flags={'bad'}}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name='f', callback=function() end, flags={function() end}}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name='f', callback=function() end, other=1}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function{function_name='f', callback=function() end, [true]=1}"),
			"FUNCTION LOAD " + fnLib("l", "redis.register_function('f', function() end) redis.register_function('f', function() end)"),
			"FUNCTION LOAD " + fnLib("l", "local a = 1 while 1 do a = a + 1 end"),
			"FUNCTION LOAD " + fnLib("l1", reg("f1", "return 1")),
			"FUNCTION LOAD " + fnLib("l2", reg("F1", "return 2")),
			"FCALL f1 0",
			"FUNCTION STATS",
		}},
		{name: "sandbox", cmds: []string{
			"FUNCTION FLUSH",
			"FUNCTION LOAD " + fnLib("m", "local lib = redis "+
				"lib.register_function('f1', function() lib.redis = redis return 1 end) "+
				"lib.register_function('f2', function() lib.register_function('f9', function() end) end) "+
				"lib.register_function('f4', function() mt = 1 end) "+
				"lib.register_function('f5', function() return redis.sha1hex('') end) "+
				"lib.register_function('f6', function() return redis.setresp(3) end) "+
				"lib.register_function('f7', function(k, a) return cjson.encode({k[1], a[1]}) end) "+
				"lib.register_function('f8', function() return redis.REDIS_VERSION end)"),
			"FCALL f1 0",
			"FCALL f2 0",
			"FCALL f4 0",
			"FCALL f5 0",
			"FCALL f6 0",
			"FCALL f7 1 key arg",
			"FCALL f8 0",
		}},
		{name: "command-info", cmds: []string{
			"COMMAND INFO fcall fcall_ro",
			// Redis lists the subcommands in its dict's order.
			"~COMMAND INFO function",
			"COMMAND GETKEYSANDFLAGS FCALL f 2 a b c",
			"COMMAND GETKEYSANDFLAGS FCALL_RO f 1 a b",
			"COMMAND GETKEYS FCALL f 5 a",
			"COMMAND GETKEYS FCALL f x a",
		}},
		{name: "flags", cmds: []string{
			"FUNCTION FLUSH",
			"FUNCTION LOAD " + fnLib("fl", "redis.register_function{function_name='ro', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}, description='reads'} "+
				"redis.register_function{function_name='rw', callback=function(k) return redis.call('set', k[1], 'v') end} "+
				"redis.register_function{function_name='bad', callback=function(k) return redis.call('set', k[1], 'v') end, flags={'NO-WRITES'}} "+
				"redis.register_function{function_name='all', callback=function() return 1 end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}"),
			"SET k 1",
			"FCALL_RO ro 1 k",
			"FCALL ro 1 k",
			"FCALL_RO rw 1 k",
			"FCALL rw 1 k",
			"FCALL bad 1 k",
			"FCALL_RO bad 1 k",
			"~FUNCTION LIST",
			"~FUNCTION LIST WITHCODE",
			"~FUNCTION LIST LIBRARYNAME f*",
			"FUNCTION LIST LIBRARYNAME x*",
			"FUNCTION LIST LIBRARYNAME",
			"FUNCTION LIST bad",
			"FUNCTION LIST WITHCODE WITHCODE",
			"FUNCTION LIST LIBRARYNAME a LIBRARYNAME b",
			"FLUSHALL",
			"FUNCTION STATS",
		}},
	})
}

// fnDo runs a command on a raw connection's go-redis client and returns
// its reply or error as text.
func fnDo(ctx context.Context, c *redis.Client, args ...any) string {
	v, err := c.Do(ctx, args...).Result()
	if err != nil {
		return "ERR: " + err.Error()
	}
	return strings.TrimSpace(renderAny(v))
}

func renderAny(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderAny(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[any]any:
		var parts []string
		for k, e := range x {
			parts = append(parts, renderAny(k)+" "+renderAny(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, " ") + "}"
	case nil:
		return "<nil>"
	}
	return fmt.Sprint(v)
}

// redisDumpPayload wraps body in a dump footer (RDB version 10, CRC-64).
func redisDumpPayload(body []byte) string {
	p := append([]byte(nil), body...)
	p = binary.LittleEndian.AppendUint16(p, 10)
	p = binary.LittleEndian.AppendUint64(p, rdb.CRC64(0, p))
	return string(p)
}

// TestFunctionDumpRestoreInterop: a FUNCTION DUMP payload of Redis
// restores into Tandem and one of Tandem's into Redis, with each policy;
// corrupt payloads get Redis's errors and change nothing.
func TestFunctionDumpRestoreInterop(t *testing.T) {
	ctx := ctxFor(t, 60*time.Second)
	tp, rp := startTandem(t), startRedis(t)
	td, rd := newClient(t, tp.Addr(), 2), newClient(t, rp.Addr(), 2)
	libs := []string{
		"#!lua name=d1\nredis.register_function('d1f', function(k, a) return redis.call('set', k[1], a[1]) end)",
		"#!lua name=d2\nredis.register_function{function_name='d2f', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}, description='get it'}\n" +
			strings.Repeat("-- padding that compresses well\n", 20),
	}
	for _, c := range []*redis.Client{td, rd} {
		mustDo(t, ctx, c, "FUNCTION", "FLUSH")
		for _, l := range libs {
			mustDo(t, ctx, c, "FUNCTION", "LOAD", l)
		}
	}
	for _, dir := range []struct {
		name     string
		from, to *redis.Client
	}{{"redis-to-tandem", rd, td}, {"tandem-to-redis", td, rd}} {
		t.Run(dir.name, func(t *testing.T) {
			payload, err := dir.from.Do(ctx, "FUNCTION", "DUMP").Text()
			if err != nil {
				t.Fatal(err)
			}
			to := dir.to
			before := fnDo(ctx, to, "FUNCTION", "LIST", "WITHCODE")
			if got := fnDo(ctx, to, "FUNCTION", "RESTORE", payload); !strings.Contains(got, "already exists") {
				t.Fatalf("RESTORE (append) over the same libraries: %q", got)
			}
			if got := fnDo(ctx, to, "FUNCTION", "RESTORE", payload, "REPLACE"); got != "OK" {
				t.Fatalf("RESTORE REPLACE: %q", got)
			}
			mustDo(t, ctx, to, "FUNCTION", "FLUSH")
			if got := fnDo(ctx, to, "FUNCTION", "RESTORE", payload); got != "OK" {
				t.Fatalf("RESTORE: %q", got)
			}
			if got := fnDo(ctx, to, "FUNCTION", "RESTORE", payload, "FLUSH"); got != "OK" {
				t.Fatalf("RESTORE FLUSH: %q", got)
			}
			if after := fnDo(ctx, to, "FUNCTION", "LIST", "WITHCODE"); unordered(after) != unordered(before) {
				t.Fatalf("libraries after RESTORE:\n%s\nwant\n%s", after, before)
			}
			if got := fnDo(ctx, to, "FCALL", "d1f", "1", "k", "v"); got != "OK" {
				t.Fatalf("FCALL d1f: %q", got)
			}
			if got := fnDo(ctx, to, "FCALL_RO", "d2f", "1", "k"); got != "v" {
				t.Fatalf("FCALL_RO d2f: %q", got)
			}
		})
	}
	// Corrupt payloads: the same error from both, and nothing changes.
	good, _ := rd.Do(ctx, "FUNCTION", "DUMP").Text()
	notFunction := redisDumpPayload([]byte{0x00, 0x01, 'x'})
	badRecord := redisDumpPayload([]byte{0xf5, 0xc3, 0x05})
	for _, p := range []string{"", "short", good[:len(good)-1] + "x", good[1:], notFunction, badRecord} {
		g, w := fnDo(ctx, td, "FUNCTION", "RESTORE", p), fnDo(ctx, rd, "FUNCTION", "RESTORE", p)
		if g != w {
			t.Errorf("RESTORE %q: tandem %q redis %q", p, g, w)
		}
	}
	if got := fnDo(ctx, td, "FCALL", "d1f", "1", "k", "w"); got != "OK" {
		t.Fatalf("libraries after the failed restores: %q", got)
	}
}

// TestFunctionBusyAndKill: a function past busy-reply-threshold gets
// other clients BUSY (naming FUNCTION KILL), FUNCTION STATS shows it,
// SCRIPT KILL refuses it and FUNCTION KILL stops it; a busy EVAL is not
// FUNCTION KILL's.
func TestFunctionBusyAndKill(t *testing.T) {
	ctx := ctxFor(t, 60*time.Second)
	p := startTandem(t, "--busy-reply-threshold", "50")
	c := newClient(t, p.Addr(), 2)
	mustDo(t, ctx, c, "FUNCTION", "LOAD", "#!lua name=busy\nredis.register_function('spin', function() local a = 1 while true do a = a + 1 end end)")
	spinner := dialRaw(t, p.Addr())
	other := dialRaw(t, p.Addr())
	spinner.send(encode("FCALL", "spin", "0"))
	// Ask once the function runs (Redis's tests wait 200 ms the same
	// way): under -race a PING sent right behind the script once got no
	// reply until the script ended.
	time.Sleep(200 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := other.do("PING")
		if strings.HasPrefix(got, "-BUSY") {
			if want := "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n"; got != want {
				t.Fatalf("PING while busy: %q", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never busy: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := other.do("FUNCTION", "STATS"); !strings.Contains(got, "running_script") || !strings.Contains(got, "$4\r\nspin\r\n") || !strings.Contains(got, "duration_ms") {
		t.Fatalf("FUNCTION STATS while busy: %q", got)
	}
	if got := other.do("SCRIPT", "KILL"); !strings.HasPrefix(got, "-BUSY") || !strings.Contains(got, "FUNCTION KILL") {
		t.Fatalf("SCRIPT KILL on a function: %q", got)
	}
	if got := other.do("FUNCTION", "KILL"); got != "+OK\r\n" {
		t.Fatalf("FUNCTION KILL: %q", got)
	}
	if got := spinner.read(); !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:") {
		t.Fatalf("the killed FCALL's reply: %q", got)
	}
	if got := other.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after the kill: %q", got)
	}
	// A busy EVAL: FUNCTION KILL and FUNCTION STATS answer BUSY.
	spinner.send(encode("EVAL", "while true do end", "0"))
	time.Sleep(200 * time.Millisecond)
	for {
		if got := other.do("PING"); strings.HasPrefix(got, "-BUSY") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the EVAL never got busy")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, cmd := range [][]string{{"FUNCTION", "KILL"}, {"FUNCTION", "STATS"}} {
		if got := other.do(cmd...); got != "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n" {
			t.Fatalf("%v during a busy EVAL: %q", cmd, got)
		}
	}
	if got := other.do("SCRIPT", "KILL"); got != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", got)
	}
	spinner.read()
	// A function that wrote cannot be killed.
	mustDo(t, ctx, c, "FUNCTION", "LOAD", "#!lua name=w\nlocal function now() local t = redis.call('time') return t[1] * 1000000 + t[2] end\n"+
		"redis.register_function('wspin', function() redis.call('set', 'x', 1) local t = now() while now() - t < 1500000 do end return 'done' end)")
	spinner.send(encode("FCALL", "wspin", "0"))
	time.Sleep(200 * time.Millisecond)
	deadline = time.Now().Add(10 * time.Second)
	for {
		if got := other.do("PING"); strings.HasPrefix(got, "-BUSY") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("wspin never got busy")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := other.do("FUNCTION", "KILL"); !strings.HasPrefix(got, "-UNKILLABLE") {
		t.Fatalf("FUNCTION KILL after a write: %q", got)
	}
	if got := spinner.read(); got != "$4\r\ndone\r\n" {
		t.Fatalf("wspin: %q", got)
	}
}

// TestFunctionLoadTimeout: a library whose code never ends fails FUNCTION
// LOAD after Redis's 500 ms, and the server goes on.
func TestFunctionLoadTimeout(t *testing.T) {
	ctx := ctxFor(t, 30*time.Second)
	p := startTandem(t)
	c := newClient(t, p.Addr(), 2)
	start := time.Now()
	got := fnDo(ctx, c, "FUNCTION", "LOAD", "#!lua name=l\nlocal a = 1 while true do a = a + 1 end")
	if got != "ERR: ERR Error registering functions: ERR FUNCTION LOAD timeout" {
		t.Fatalf("endless library: %q", got)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 5*time.Second {
		t.Fatalf("the load stopped after %v", d)
	}
	if got := fnDo(ctx, c, "FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('f', function() return 1 end)"); got != "l" {
		t.Fatalf("a load after the timeout: %q", got)
	}
}

// TestFunctionGoRedis: go-redis's FunctionLoad, FCall, FCallRO,
// FunctionList and FunctionDump/Restore work against Tandem.
func TestFunctionGoRedis(t *testing.T) {
	ctx := ctxFor(t, 30*time.Second)
	p := startTandem(t)
	for _, proto := range []int{2, 3} {
		c := newClient(t, p.Addr(), proto)
		if err := c.FunctionFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		name, err := c.FunctionLoad(ctx, "#!lua name=mylib\nredis.register_function{function_name='myget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='get'}\nredis.register_function('myset', function(keys, args) return redis.call('set', keys[1], args[1]) end)").Result()
		if err != nil || name != "mylib" {
			t.Fatalf("FunctionLoad: %q %v", name, err)
		}
		if err := c.FCall(ctx, "myset", []string{"k"}, "v").Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := c.FCallRO(ctx, "myget", []string{"k"}).Text(); err != nil || v != "v" {
			t.Fatalf("FCallRO: %q %v", v, err)
		}
		libs, err := c.FunctionList(ctx, redis.FunctionListQuery{LibraryNamePattern: "my*", WithCode: true}).Result()
		if err != nil || len(libs) != 1 || libs[0].Name != "mylib" || len(libs[0].Functions) != 2 || !strings.Contains(libs[0].Code, "myget") {
			t.Fatalf("FunctionList: %+v %v", libs, err)
		}
		for _, f := range libs[0].Functions {
			if f.Name == "myget" && (f.Description != "get" || len(f.Flags) != 1 || f.Flags[0] != "no-writes") {
				t.Fatalf("myget: %+v", f)
			}
		}
		dump, err := c.FunctionDump(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.FunctionRestore(ctx, dump).Err(); err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("FunctionRestore over itself: %v", err)
		}
		stats, err := c.FunctionStats(ctx).Result()
		if err != nil || stats.Running() || len(stats.Engines) != 1 || stats.Engines[0].LibrariesCount != 1 || stats.Engines[0].FunctionsCount != 2 {
			t.Fatalf("FunctionStats: %+v %v", stats, err)
		}
		// SCRIPT FLUSH resets EVAL's Lua state, not the functions'.
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := c.FCallRO(ctx, "myget", []string{"k"}).Text(); err != nil || v != "v" {
			t.Fatalf("FCallRO after SCRIPT FLUSH: %q %v", v, err)
		}
		mem := infoFields(c.Info(ctx, "memory").Val())
		if mem["number_of_functions"] != "2" || mem["number_of_libraries"] != "1" || mem["used_memory_functions"] == "0" ||
			mem["used_memory_vm_functions"] == "" || mem["used_memory_vm_functions"] == "0" {
			t.Fatalf("INFO memory with one library: %v", mem)
		}
		if err := c.FunctionFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		mem = infoFields(c.Info(ctx, "memory").Val())
		if mem["number_of_functions"] != "0" || mem["number_of_libraries"] != "0" || mem["used_memory_functions"] != "0" {
			t.Fatalf("INFO memory after FUNCTION FLUSH: %v", mem)
		}
	}
}

// TestLuaGlobalsCannotBeReplacedThroughMetatables: the globals' metatable
// a script gets from getmetatable is a read-only view all the way down,
// so neither an EVAL script nor a function can replace a global (or a
// library's field) for the scripts after it (Redis refuses too, in its
// own words).
func TestLuaGlobalsCannotBeReplacedThroughMetatables(t *testing.T) {
	ctx := ctxFor(t, 30*time.Second)
	c := newClient(t, startTandem(t).Addr(), 2)
	for _, body := range []string{
		"getmetatable(_G).__index.redis = 1",
		"getmetatable(_G).__index.string.upper = 1",
		"getmetatable('').__index.upper = 1",
		"rawset(getmetatable(_G).__index, 'redis', 1)",
	} {
		if err := c.Eval(ctx, body, nil).Err(); err == nil || !strings.Contains(err.Error(), "Attempt to modify a readonly table") {
			t.Errorf("EVAL %q: %v", body, err)
		}
	}
	// (getfenv, which reached a function's environment, is not in the
	// sandbox, as in Redis.)
	mustDo(t, ctx, c, "FUNCTION", "LOAD", "#!lua name=m\nredis.register_function('f', function() getmetatable(_G).__index.redis = 1 end)")
	if err := c.FCall(ctx, "f", nil).Err(); err == nil || !strings.Contains(err.Error(), "Attempt to modify a readonly table") {
		t.Errorf("FCALL f: %v", err)
	}
	for _, body := range []string{"return type(redis)", "return type(string.upper)"} {
		if got, err := c.Eval(ctx, body, nil).Text(); err != nil || got == "number" {
			t.Errorf("EVAL %q after the attempts: %q %v", body, got, err)
		}
	}
}
