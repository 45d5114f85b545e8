package test

// Scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT): replies and
// error texts compared byte for byte with Redis 7.0, go-redis's script
// helpers, and replication by effects with redis-server in both roles.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestScriptRepliesMatchRedis(t *testing.T) {
	runTypeDiff(t, []diffCase{
		{name: "conversions", cmds: []string{
			"EVAL \"return 'hello'\" 0",
			"EVAL \"return 100.5\" 0",
			"EVAL \"return true\" 0",
			"EVAL \"return false\" 0",
			"EVAL \"return nil\" 0",
			"EVAL \"return {ok='fine'}\" 0",
			"EVAL \"return {err='ERR this is an error'}\" 0",
			"EVAL \"return {1,2,3,'ciao',{1,2}}\" 0",
			"EVAL \"return {1,2,{3,'a'},nil,5}\" 0",
			"EVAL \"return {double=3.5}\" 0",
			"EVAL \"return {big_number='123' .. string.char(13, 10) .. '123'}\" 0",
			"EVAL \"return {err=5}\" 0",
			"EVAL \"return 1/0\" 0",
			"EVAL \"return -1e30\" 0",
			"EVAL \"return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}\" 2 a{t} b{t} c{t} d{t}",
			"EVAL \"return _G\" 0",
			"EVAL \"local a = {}; setmetatable(a,{__index=function() foo() end}) return a\" 0",
		}},
		// A set sorted BY a constant is ordered ALPHA for a script (and
		// for STORE): its own order is not the same everywhere.
		{name: "sort-of-a-set-in-a-script", cmds: []string{
			"SADD sset a b c d e f g h i l m n o p q r s t u v z aa aaa azz",
			"EVAL \"return redis.call('sort',KEYS[1],'by','_')\" 1 sset",
			"EVAL \"return redis.call('sort',KEYS[1],'by','_','get','#','get','_:*')\" 1 sset",
			"EVAL \"return redis.call('sort',KEYS[1],'by','_','desc','limit','0','3')\" 1 sset",
			"RPUSH slist c a b",
			"EVAL \"return redis.call('sort',KEYS[1],'by','_')\" 1 slist",
		}},
		{name: "redis-to-lua", cmds: []string{
			"SET x 0",
			"EVAL \"local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo}\" 1 x",
			"EVAL \"local foo = redis.pcall('get',KEYS[1]) return {type(foo),foo}\" 1 x",
			"RPUSH mylist a b c",
			"EVAL \"local foo = redis.pcall('lrange',KEYS[1],0,-1) return {type(foo),foo[1],foo[2],foo[3],# foo}\" 1 mylist",
			"EVAL \"local foo = redis.pcall('set',KEYS[1],'myval') return {type(foo),foo['ok']}\" 1 mykey",
			"EVAL \"local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo['err']}\" 1 mykey",
			"EVAL \"local foo = redis.pcall('get','nokey') return {type(foo),foo == false}\" 0",
			"HSET h f v",
			"EVAL \"redis.setresp(3); return redis.call('hgetall', KEYS[1])\" 1 h",
			"EVAL \"redis.setresp(2); return redis.call('hgetall', KEYS[1])\" 1 h",
			"EVAL \"redis.setresp(3); return redis.call('get', 'nokey')\" 0",
			"EVAL \"redis.setresp(3); return {redis.call('get', 'nokey') == nil}\" 0",
			"EVAL \"return redis.call('incrbyfloat', 'fl', '1.5')\" 0",
			"EVAL \"return redis.call('set', 'n', 9007199254740991)\" 0",
			"GET n",
			"EVAL \"return redis.call('set', 'n', 0.1)\" 0",
			"GET n",
		}},
		{name: "errors", cmds: []string{
			"EVAL \"return a\" 0",
			"EVAL \"a=10\" 0",
			"EVAL \"redis.call('nosuchcommand')\" 0",
			"EVAL \"redis.call('get','a','b','c')\" 0",
			"SET foo bar",
			"EVAL \"redis.call('lpush',KEYS[1],'val')\" 1 foo",
			"EVAL \"return redis.call()\" 0",
			"EVAL \"return redis.pcall()\" 0",
			"EVAL \"return redis.call('ping', {})\" 0",
			"EVAL \"return redis.pcall('ping', {})\" 0",
			"EVAL \"return redis.call('blpop','x',0)\" 0",
			"EVAL \"return redis.pcall('brpop','x',0)\" 0",
			"EVAL \"return redis.call('eval','return 1',0)\" 0",
			"EVAL \"return redis.call('client','list')\" 0",
			"EVAL \"return redis.call('config','get','maxmemory')\" 0",
			"EVAL \"return redis.call('client')\" 0",
			"EVAL \"return redis.call('cluster','reset')\" 0",
			"EVAL \"return redis.call('object','nosuch','x')\" 0",
			"EVAL \"error('boom')\" 0",
			"EVAL \"error({err='MY boom'})\" 0",
			"EVAL \"error(42)\" 0",
			"EVAL \"error('x', 0)\" 0",
			"EVAL \"local function f() error('deep') end f()\" 0",
			"EVAL \"redis.sha1hex()\" 0",
			"EVAL \"return redis.call('select',99)\" 0",
			"EVAL \"return redis.pcall('select',99)\" 0",
			"EVAL \"return redis.error_reply('MY_ERR_CODE custom msg')\" 0",
			"EVAL \"return redis.error_reply('-X')\" 0",
			"EVAL \"return redis.error_reply('')\" 0",
			"EVAL \"return redis.status_reply(5)\" 0",
			"EVAL \"return redis.status_reply('MY_OK custom')\" 0",
			"EVAL \"return redis.set_repl(12345)\" 0",
			"EVAL \"local status, res = pcall(function() return foo end); return 'status: ' .. tostring(status) .. ' result: ' .. res\" 0",
			"EVAL \"return 1\" -1",
			"EVAL \"return 1\" 2 a",
			"EVAL \"return 1\" abc",
			"EVAL \"return 1\" 01",
			"EVALSHA abc 0",
			"EVALSHA ffd632c7d33e571e9f24556ebed26c3479a87130 0",
			"EVAL \"return foo(\" 0",
			"EVAL_RO \"redis.call('del', KEYS[1])\" 1 foo",
			"EVAL_RO \"return redis.pcall('set', 'x', 'y')\" 1 x",
			"EVAL_RO \"#!lua\nreturn 1\" 0",
			"EVAL",
			"EVAL x",
		}},
		{name: "sandbox", cmds: []string{
			"EVAL \"setmetatable(_G, {})\" 0",
			"EVAL \"local g = getmetatable(_G) g.__index = {}\" 0",
			"EVAL \"redis = function() return 1 end\" 0",
			"EVAL \"_G = {}\" 0",
			"EVAL \"redis.call = function() return 1 end\" 0",
			"EVAL \"cjson.encode = function() return 1 end\" 0",
			"EVAL \"bit.lshift = function() return 1 end\" 0",
			"EVAL \"string.len = nil\" 0",
			"EVAL \"rawset(_G, 'x', 1)\" 0",
			"EVAL \"loadfile('some file')\" 0",
			"EVAL \"dofile('some file')\" 0",
			"EVAL \"print('some data')\" 0",
			"EVAL \"return os\" 0",
			"EVAL \"return io\" 0",
			"EVAL \"return debug\" 0",
			"EVAL \"return type(string.format)\" 0",
			// The table of globals is read-only however a script reaches
			// it: a chunk built by loadstring, a script that assigns no
			// global (which runs with the real globals as its environment,
			// see fastenv.go); getfenv and setfenv are not there.
			"EVAL \"return {type(getfenv), type(setfenv), type(newproxy)}\" 0",
			"EVAL \"local ok = pcall(loadstring('redis = 5')); return {ok, type(redis)}\" 0",
			"EVAL \"local ok = pcall(loadstring('return function() cjson = 5 end')()); return {ok, type(cjson)}\" 0",
			"EVAL \"return {type(redis), type(cjson)}\" 0",
			// redis.call and redis.pcall folded into constants (fastenv.go):
			// the same results, errors and lines as a read of the field.
			"EVAL \"local t = {call = function() return 'mine' end} return (KEYS[1] and t or redis).call('ping')\" 1 k",
			"EVAL \"local t = {call = function() return 'mine' end} return (ARGV[1] and redis or t).call('ping')\" 0",
			"EVAL \"local function f(k) return redis.pcall('incr', k) end return {f('fold1'), f('fold1')}\" 0",
			"EVAL \"return {redis.call == redis.call, rawequal(redis.pcall, redis.pcall)}\" 0",
			"EVAL \"local x = 1\nredis.call('nosuchcommand')\" 0",
			"EVAL \"local ok, e = pcall(redis.call, 'incr', 'k', 'x') return e\" 0",
			"EVAL \"local function f() return nosuchglobal end return f()\" 0",
			"EVAL \"local t = {} for i = 1, 3 do t[i] = KEYS[i] .. ARGV[i] end return t\" 3 a b c x y z",
		}},
		{name: "shebang", cmds: []string{
			"EVAL \"#!not-lua\nreturn 1\" 0",
			"EVAL \"#!lua badger=data\nreturn 1\" 0",
			"EVAL \"#!lua flags=allow-oom,what?\nreturn 1\" 0",
			"EVAL \"#!lua\nreturn 1\" 0",
			"EVAL \"#!lua flags=no-writes\nredis.call('set','x',1)\" 0",
			"EVAL \"#!lua flags=no-writes,allow-stale\nreturn redis.call('get','x')\" 0",
			"EVAL \"#!lua\" 0",
			"EVAL \"#!lua flags=\nreturn 2\" 0",
		}},
		{name: "libraries", cmds: []string{
			"EVAL \"return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')\" 0",
			"EVAL \"local decoded = cjson.decode('{\\x22keya\\x22: \\x22a\\x22, \\x22keyb\\x22: \\x22b\\x22}') return {decoded.keya, decoded.keyb}\" 0",
			"EVAL \"return cjson.encode({1,2,3,'a/b','q\\x22\\x01'})\" 0",
			"EVAL \"return cjson.encode({a={b={}}})\" 0",
			"EVAL \"return cjson.encode(cjson.decode('[1,null,true]'))\" 0",
			"EVAL \"return {pcall(cjson.encode, {[false]='x'})}\" 0",
			"EVAL \"return {pcall(cjson.decode, '[1,')}\" 0",
			"EVAL \"return {pcall(cjson.decode, '{1:2}')}\" 0",
			"EVAL \"return {pcall(cjson.encode, {num=0/0})}\" 0",
			"EVAL \"return {pcall(cjson.encode, {[1]=1,[100]=2})}\" 0",
			"EVAL \"return {bit.tobit(1), bit.band(1), bit.bxor(1,2), bit.bor(1,2,4,8,16,32,64,128)}\" 0",
			"EVAL \"return {bit.tohex(65535), bit.tohex(-1, -4), bit.bnot(0), bit.lshift(1, 31), bit.arshift(-256, 4), bit.rol(1, 33), bit.bswap(0x12345678)}\" 0",
			"EVAL \"return {bit.tobit(0xffffffff), bit.tobit(2^32+5), bit.tobit(1.5), bit.tobit(2.5)}\" 0",
			"EVAL \"return redis.sha1hex('Pizza & Mandolino')\" 0",
			"EVAL \"return redis.sha1hex('')\" 0",
			"EVAL \"math.randomseed(10); return {tostring(math.random()), math.random(100), math.random(5,10)}\" 0",
			"EVAL \"math.randomseed(ARGV[1]); return tostring(math.random())\" 0 20",
			"EVAL \"return string.format('%5.2f|%s|%d', 3.14159, 'x', 42)\" 0",
			"EVAL \"return {string.byte('A'), string.char(72, 105), ('abc'):upper(), #'x\\x00y'}\" 0",
			"EVAL \"return table.concat({1,2,3}, ',')\" 0",
			"EVAL \"return tostring(1e15)\" 0",
			"EVAL \"return tostring(0.1)\" 0",
			"EVAL \"return tostring(1/3)\" 0",
			"EVAL \"return redis.REDIS_VERSION\" 0",
			"EVAL \"return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_ALL}\" 0",
			"EVAL \"return redis.replicate_commands()\" 0",
			"EVAL \"return redis.breakpoint()\" 0",
			"EVAL \"redis.log(redis.LOG_DEBUG, 'x') return 1\" 0",
			"EVAL \"redis.log(99, 'x') return 1\" 0",
			"EVAL \"redis.log(1) return 1\" 0",
		}},
		{name: "binary", cmds: []string{
			"EVAL \"return redis.call('set', KEYS[1], ARGV[1])\" 1 \"k\\x00z\" \"a\\x00b\\xff\"",
			"EVAL \"return redis.call('get', KEYS[1])\" 1 \"k\\x00z\"",
			"EVAL \"return #ARGV[1]\" 0 \"a\\x00b\"",
		}},
		{name: "select-does-not-leak", cmds: []string{
			"SET mykey original",
			"EVAL \"return redis.pcall('select','9')\" 0",
			"GET mykey",
			"EVAL \"redis.call('select','9') return redis.call('set','k9','v')\" 0",
			"GET k9",
			"SELECT 9",
			"GET k9",
			"SELECT 0",
		}},
		{name: "script-command", cmds: []string{
			"SCRIPT LOAD \"return 'loaded'\"",
			"EVALSHA b534286061d4b9e4026607613b95c06c06015ae8 0",
			"EVALSHA B534286061D4B9E4026607613B95C06C06015AE8 0",
			"SCRIPT EXISTS b534286061d4b9e4026607613b95c06c06015ae8 a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bda",
			"SCRIPT LOAD \"return foo(\"",
			"SCRIPT FLUSH",
			"SCRIPT EXISTS b534286061d4b9e4026607613b95c06c06015ae8",
			"EVALSHA b534286061d4b9e4026607613b95c06c06015ae8 0",
			"SCRIPT FLUSH ASYNC",
			"SCRIPT FLUSH SYNC",
			"SCRIPT FLUSH X",
			"SCRIPT FLUSH A B",
			"SCRIPT KILL",
			"SCRIPT HELP",
			"SCRIPT NOSUCH",
			"SCRIPT",
			"SCRIPT LOAD",
			"SCRIPT EXISTS",
		}},
		// redis.acl_check_cmd asks the ACL about the script's user, and
		// leaves no ACL LOG entry.
		{name: "acl-check", cmds: []string{
			"ACL LOG RESET",
			"ACL SETUSER bob on >123 +@scripting +set ~x*",
			"AUTH bob 123",
			"EVAL \"return redis.acl_check_cmd('set','xx',1)\" 1 xx",
			"EVAL \"return redis.acl_check_cmd('hset','xx','f',1)\" 1 xx",
			"EVAL \"return redis.acl_check_cmd('set','yy',1)\" 1 xx",
			"EVAL \"return redis.acl_check_cmd('nosuchcommand','yy',1)\" 1 xx",
			"EVAL \"return redis.acl_check_cmd()\" 0",
			"AUTH default x",
			"#ACL LOG",
		}},
		{name: "acl-check-log", cmds: []string{
			"ACL LOG",
			"ACL DELUSER bob",
		}},
		// DEBUG SET-DISABLE-DENY-SCRIPTS lets scripts call noscript
		// commands (a test hook of Redis's).
		{name: "disable-deny-scripts", cmds: []string{
			"DEBUG SET-DISABLE-DENY-SCRIPTS 1",
			"EVAL \"return redis.call('config','get','maxmemory')\" 0",
			"DEBUG SET-DISABLE-DENY-SCRIPTS 0",
			"EVAL \"return redis.call('config','get','maxmemory')\" 0",
			"DEBUG SET-DISABLE-DENY-SCRIPTS x",
			"EVAL \"return redis.call('config','get','maxmemory')\" 0",
		}},
		// An error reply the script returns counts in INFO errorstats
		// (one that a redis.call returned was counted when it failed).
		{name: "returned-error-stats", cmds: []string{
			"CONFIG RESETSTAT",
			"EVAL \"return redis.error_reply('MY_ERR_CODE custom msg')\" 0",
			"EVAL \"return redis.error_reply('')\" 0",
			"EVAL \"return {err='OTHER x'}\" 0",
			"SET str a",
			"EVAL \"return redis.pcall('incr', 'str')\" 0",
			"INFO errorstats",
		}},
		{name: "multi", cmds: []string{
			"MULTI",
			"EVAL \"return redis.call('incr', KEYS[1])\" 1 c",
			"EVAL \"return redis.call('incr', KEYS[1])\" 1 c",
			"EXEC",
		}},
	})
}

// TestScriptGoRedisHelpers: go-redis's Script (EVALSHA falling back to
// EVAL), Eval, EvalSha, EvalRO and the SCRIPT helpers work unchanged.
func TestScriptGoRedisHelpers(t *testing.T) {
	srv := startTandem(t)
	ctx := ctxFor(t, 30*time.Second)
	for _, proto := range []int{2, 3} {
		c := newClient(t, srv.Addr(), proto)
		c.FlushAll(ctx)
		incr := redis.NewScript(`return redis.call('incrby', KEYS[1], ARGV[1])`)
		for i := 1; i <= 3; i++ {
			n, err := incr.Run(ctx, c, []string{"counter"}, 5).Int()
			if err != nil || n != 5*i {
				t.Fatalf("resp%d Script.Run #%d = %d, %v", proto, i, n, err)
			}
		}
		if ok, err := incr.Exists(ctx, c).Result(); err != nil || !ok[0] {
			t.Fatalf("Script.Exists = %v, %v", ok, err)
		}
		if v, err := c.Eval(ctx, `return {KEYS[1], ARGV[1], 3, {ok='fine'}}`, []string{"k"}, "a").Slice(); err != nil || fmt.Sprint(v) != "[k a 3 fine]" {
			t.Fatalf("Eval = %v, %v", v, err)
		}
		sha, err := c.ScriptLoad(ctx, `return redis.call('get', KEYS[1])`).Result()
		if err != nil {
			t.Fatal(err)
		}
		if v, err := c.EvalSha(ctx, sha, []string{"counter"}).Text(); err != nil || v != "15" {
			t.Fatalf("EvalSha = %q, %v", v, err)
		}
		if v, err := c.EvalRO(ctx, `return redis.call('get', KEYS[1])`, []string{"counter"}).Text(); err != nil || v != "15" {
			t.Fatalf("EvalRO = %q, %v", v, err)
		}
		if err := c.EvalRO(ctx, `return redis.call('set', KEYS[1], 1)`, []string{"counter"}).Err(); err == nil || !strings.Contains(err.Error(), "Write commands are not allowed from read-only scripts") {
			t.Fatalf("EvalRO write: %v", err)
		}
		if err := c.EvalSha(ctx, "ffd632c7d33e571e9f24556ebed26c3479a87130", nil).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
			t.Fatalf("EvalSha unknown: %v", err)
		}
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		// Script.Run loads the script again after a flush.
		if n, err := incr.Run(ctx, c, []string{"counter"}, 1).Int(); err != nil || n != 16 {
			t.Fatalf("Script.Run after flush = %d, %v", n, err)
		}
	}
}

// scriptWorkload runs scripts whose effects depend on things a replica
// must not recompute (random numbers, the clock, SPOP, RANDOMKEY), plus
// SELECT inside a script and redis.pcall errors mid-script.
func scriptWorkload(t testing.TB, ctx context.Context, c *redis.Client) {
	t.Helper()
	scripts := []struct {
		body string
		keys []string
		args []any
	}{
		{`redis.call('set', KEYS[1], tostring(math.random()))`, []string{"rnd"}, nil},
		{`redis.call('set', KEYS[1], redis.call('time')[1] .. ':' .. redis.call('time')[2])`, []string{"time"}, nil},
		{`for i = 1, 20 do redis.call('sadd', KEYS[1], 'm' .. i) end return redis.call('spop', KEYS[1], 3)`, []string{"set"}, nil},
		{`local k = redis.call('randomkey') if k then redis.call('set', 'copy-of-random', k) end`, nil, nil},
		{`redis.call('incr', KEYS[1]) redis.pcall('nosuchcommand') redis.call('incr', KEYS[1])`, []string{"x"}, nil},
		{`redis.call('set', 'foo1', 'bar1') redis.call('select', '10') redis.call('incr', 'x') redis.call('select', '11') redis.call('incr', 'z')`, nil, nil},
		{`redis.call('set', KEYS[1], ARGV[1], 'EX', 1000) redis.call('expire', KEYS[1], 2000)`, []string{"ttl"}, []any{"v"}},
		{`redis.call('lpush', KEYS[1], '1') redis.call('lpush', KEYS[1], '2') return redis.call('llen', KEYS[1])`, []string{"list"}, nil},
		{`redis.call('hset', KEYS[1], 'f', math.random(1000)) return redis.call('hincrbyfloat', KEYS[1], 'g', '1.5')`, []string{"hash"}, nil},
		{`redis.call('zadd', KEYS[1], math.random(), 'm' .. math.random(100))`, []string{"zset"}, nil},
		{`return redis.call('get', KEYS[1])`, []string{"rnd"}, nil},
	}
	for round := 0; round < 5; round++ {
		for _, s := range scripts {
			if err := redis.NewScript(s.body).Run(ctx, c, s.keys, s.args...).Err(); err != nil && err != redis.Nil {
				t.Fatalf("script %q: %v", s.body, err)
			}
		}
	}
	// A script that fails half way keeps (and propagates) what it wrote.
	if err := c.Eval(ctx, `redis.call('incr', KEYS[1]) redis.call('nonexisting')`, []string{"x"}).Err(); err == nil {
		t.Fatal("failing script: no error")
	}
}

// TestScriptEffectsReplicateToRedisReplica: a redis-server replica of a
// Tandem master ends with the same data after scripts with random and
// time-dependent commands.
func TestScriptEffectsReplicateToRedisReplica(t *testing.T) {
	ctx := ctxFor(t, 90*time.Second)
	master := startReplTandem(t, "tandem-master")
	replica := startReplRedis(t, "redis-replica")
	replica.replicaOf(t, ctx, master.port())
	waitLinkUp(t, ctx, replica)
	scriptWorkload(t, ctx, master.c)
	waitOffsetsMatch(t, ctx, master, replica)
	requireSameDataset(t, ctx, master, replica)
}

// TestScriptEffectsReplicateFromRedisMaster: a Tandem replica of a
// redis-server master applies the script effects Redis sends (MULTI/EXEC
// units) and ends with the same data.
func TestScriptEffectsReplicateFromRedisMaster(t *testing.T) {
	ctx := ctxFor(t, 90*time.Second)
	master := startReplRedis(t, "redis-master")
	replica := startReplTandem(t, "tandem-replica")
	replica.replicaOf(t, ctx, master.port())
	waitLinkUp(t, ctx, replica)
	scriptWorkload(t, ctx, master.c)
	waitOffsetsMatch(t, ctx, master, replica)
	requireSameDataset(t, ctx, master, replica)
}

// TestScriptPropagatesEffectsNotEval: the AOF holds a script's writes
// wrapped in MULTI/EXEC, never the EVAL; a read-only script writes
// nothing; redis.set_repl(REPL_NONE) keeps a write off the AOF.
func TestScriptPropagatesEffectsNotEval(t *testing.T) {
	ctx := ctxFor(t, 60*time.Second)
	s := startAOF(t, "tandem", "", "--appendfsync", "always")
	for _, body := range []string{
		"redis.call('set', 'a', '1') redis.call('set', 'b', '2')",
		"return redis.call('get', 'a')",
		"redis.call('set', 'c', '3')",
		"redis.set_repl(redis.REPL_NONE) redis.call('set', 'hidden', '1') redis.set_repl(redis.REPL_ALL) redis.call('set', 'shown', '1')",
	} {
		if err := s.c.Eval(ctx, body, nil).Err(); err != nil && err != redis.Nil {
			t.Fatalf("EVAL %q: %v", body, err)
		}
	}
	b, err := os.ReadFile(s.lastIncr(t))
	if err != nil {
		t.Fatal(err)
	}
	aof := string(b)
	if strings.Contains(strings.ToUpper(aof), "EVAL") {
		t.Fatalf("AOF holds an EVAL:\n%q", aof)
	}
	want := "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nset\r\n$1\r\nb\r\n$1\r\n2\r\n*1\r\n$4\r\nEXEC\r\n"
	if !strings.Contains(aof, want) {
		t.Fatalf("AOF lacks the script's MULTI/EXEC unit:\n%q", aof)
	}
	if !strings.Contains(aof, "*3\r\n$3\r\nset\r\n$1\r\nc\r\n$1\r\n3\r\n") || strings.Contains(aof, "hidden") || !strings.Contains(aof, "shown") {
		t.Fatalf("AOF content:\n%q", aof)
	}
}

// TestScriptTimeIsFrozenForExpiry: within one script a key cannot expire
// half-way (every expiry decision uses the script's start time), and it is
// gone once the script has ended, as in Redis 7.0 (compared with
// redis-server).
func TestScriptTimeIsFrozenForExpiry(t *testing.T) {
	runTypeDiff(t, []diffCase{
		{name: "key-with-1ms-ttl-survives-a-10ms-script", cmds: []string{
			`EVAL "redis.call('SET','k','v','PX','1') local t=redis.call('TIME') while true do local u=redis.call('TIME') if (u[1]-t[1])*1000000+(u[2]-t[2]) > 10000 then break end end return redis.call('EXISTS','k')" 0`,
			"EXISTS k",
		}},
	})
}
