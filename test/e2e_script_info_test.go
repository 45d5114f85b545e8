package test

// Scripting's observability against redis-server: INFO memory's
// scripting fields.

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// scriptInfoField matches INFO memory's scripting fields.
var scriptInfoField = regexp.MustCompile(`^(used_memory_(lua|vm|scripts|functions)|number_of_)`)

// scriptInfo returns the scripting fields of INFO memory, in order, and
// their values.
func scriptInfo(t *testing.T, ctx context.Context, c *redis.Client) ([]string, map[string]string) {
	t.Helper()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(info, "\r\n") {
		if k, _, ok := strings.Cut(l, ":"); ok && scriptInfoField.MatchString(k) {
			names = append(names, k)
		}
	}
	return names, infoFields(info)
}

func infoInt(t *testing.T, m map[string]string, k string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(m[k], 10, 64)
	if err != nil {
		t.Fatalf("INFO %s = %q", k, m[k])
	}
	return n
}

// TestScriptInfoMemory: INFO memory has Redis 7.0's scripting fields in
// its order; the cached scripts' count and memory follow SCRIPT LOAD and
// SCRIPT FLUSH as Redis's do, and the Lua state's estimate grows with the
// compiled scripts.
func TestScriptInfoMemory(t *testing.T) {
	ctx := ctxFor(t, 30*time.Second)
	tc := newClient(t, startTandem(t).Addr(), 2)
	rc := newClient(t, startRedis(t).Addr(), 2)
	want, _ := scriptInfo(t, ctx, rc)
	got, before := scriptInfo(t, ctx, tc)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("scripting fields of INFO memory:\n tandem %v\n redis  %v", got, want)
	}
	if n := infoInt(t, before, "number_of_cached_scripts"); n != 0 {
		t.Fatalf("number_of_cached_scripts = %d at start", n)
	}
	if infoInt(t, before, "used_memory_lua") <= 0 || before["used_memory_lua"] != before["used_memory_vm_eval"] {
		t.Fatalf("used_memory_lua %s, used_memory_vm_eval %s", before["used_memory_lua"], before["used_memory_vm_eval"])
	}
	for i := 0; i < 10; i++ {
		body := fmt.Sprintf("return redis.call('get', KEYS[1]) .. '%d'", i)
		for _, c := range []*redis.Client{tc, rc} {
			if err := c.ScriptLoad(ctx, body).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// EVAL caches its script too.
	for _, c := range []*redis.Client{tc, rc} {
		if err := c.Eval(ctx, "return 1", nil).Err(); err != nil {
			t.Fatal(err)
		}
	}
	_, after := scriptInfo(t, ctx, tc)
	_, ref := scriptInfo(t, ctx, rc)
	if after["number_of_cached_scripts"] != "11" || ref["number_of_cached_scripts"] != "11" {
		t.Fatalf("number_of_cached_scripts: tandem %s, redis %s", after["number_of_cached_scripts"], ref["number_of_cached_scripts"])
	}
	if infoInt(t, after, "used_memory_vm_eval") <= infoInt(t, before, "used_memory_vm_eval") {
		t.Fatalf("used_memory_vm_eval did not grow: %s → %s", before["used_memory_vm_eval"], after["used_memory_vm_eval"])
	}
	// Both count a script's body and entry: within a factor of two.
	te, re := infoInt(t, after, "used_memory_scripts_eval"), infoInt(t, ref, "used_memory_scripts_eval")
	if te < re/2 || te > re*2 {
		t.Fatalf("used_memory_scripts_eval: tandem %d, redis %d", te, re)
	}
	if infoInt(t, after, "used_memory_scripts") != te+infoInt(t, after, "used_memory_functions") {
		t.Fatalf("used_memory_scripts %s is not scripts_eval + functions", after["used_memory_scripts"])
	}
	if infoInt(t, after, "used_memory_vm_total") != infoInt(t, after, "used_memory_vm_eval")+infoInt(t, after, "used_memory_vm_functions") {
		t.Fatalf("used_memory_vm_total %s is not vm_eval + vm_functions", after["used_memory_vm_total"])
	}
	if err := tc.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	_, flushed := scriptInfo(t, ctx, tc)
	if flushed["number_of_cached_scripts"] != "0" || flushed["used_memory_scripts_eval"] != "0" || flushed["used_memory_vm_eval"] != before["used_memory_vm_eval"] {
		t.Fatalf("after SCRIPT FLUSH: %v", flushed)
	}
}

// TestScriptCommandInfoMatchesRedis: COMMAND INFO of the scripting
// commands (flags, ACL categories, tips, key specs, SCRIPT's subcommands)
// and COMMAND GETKEYS / GETKEYSANDFLAGS of EVAL and its forms, byte for
// byte as Redis 7.0 answers them, in RESP2 and RESP3.
func TestScriptCommandInfoMatchesRedis(t *testing.T) {
	runTypeDiff(t, []diffCase{
		{name: "command-info", cmds: []string{
			"COMMAND INFO eval evalsha eval_ro evalsha_ro",
		}},
		{name: "getkeys", cmds: []string{
			"COMMAND GETKEYS EVAL x 0",
			"COMMAND GETKEYS EVAL x 2 a b c",
			"COMMAND GETKEYS EVALSHA x 1 a",
			"COMMAND GETKEYS EVAL_RO x 1 a b",
			"COMMAND GETKEYS EVALSHA_RO x 0 a",
			"COMMAND GETKEYS EVAL x 5 a",
			"COMMAND GETKEYS EVAL x -1 a",
			"COMMAND GETKEYS EVAL x abc",
			"COMMAND GETKEYS EVAL x",
			"COMMAND GETKEYSANDFLAGS EVAL x 2 a b c",
			"COMMAND GETKEYSANDFLAGS EVAL_RO x 2 a b c",
			"COMMAND GETKEYSANDFLAGS EVALSHA x 1 a",
			"COMMAND GETKEYSANDFLAGS EVALSHA_RO x 1 a",
			"COMMAND GETKEYSANDFLAGS EVAL x 0",
			"COMMAND GETKEYSANDFLAGS PING a",
			"COMMAND GETKEYSANDFLAGS GET",
			"COMMAND GETKEYS LASTSAVE x",
			"COMMAND HELP",
		}},
	})
}

// TestScriptCommandInfoScript: COMMAND INFO SCRIPT as Redis 7.0 answers
// it, its subcommands' entries compared as a set (Redis lists them in its
// dict's order, which a random seed changes from run to run).
func TestScriptCommandInfoScript(t *testing.T) {
	tandem, ref := startTandem(t).Addr(), startRedis(t).Addr()
	for _, proto := range []string{"2", "3"} {
		var got [2]string
		for i, addr := range []string{tandem, ref} {
			rc := dialRaw(t, addr)
			rc.do("HELLO", proto)
			rc.send(encode("COMMAND", "INFO", "script"))
			rc.c.SetReadDeadline(time.Now().Add(replyTimeout))
			var head bytes.Buffer
			for j := 0; j < 2; j++ { // "*1", "*10"
				line, err := rc.r.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				head.WriteString(line)
			}
			for j := 0; j < 9; j++ {
				if err := readReply(rc.r, &head); err != nil {
					t.Fatal(err)
				}
			}
			line, err := rc.r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			head.WriteString(line)
			n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
			subs := make([]string, n)
			for j := range subs {
				var b bytes.Buffer
				if err := readReply(rc.r, &b); err != nil {
					t.Fatal(err)
				}
				subs[j] = b.String()
			}
			got[i] = head.String() + strings.Join(sorted(subs), "")
		}
		if got[0] != got[1] {
			t.Errorf("RESP%s COMMAND INFO script:\n tandem %q\n redis  %q", proto, got[0], got[1])
		}
	}
}

// TestScriptSubcommandFlagsGate: the server refuses SCRIPT's subcommands
// by their own flags, as Redis does: on a replica serving no stale data
// SCRIPT LOAD and HELP run (stale), SCRIPT EXISTS gets MASTERDOWN.
func TestScriptSubcommandFlagsGate(t *testing.T) {
	ctx := ctxFor(t, 30*time.Second)
	for _, srv := range []struct {
		name string
		addr string
	}{
		{"tandem", startTandem(t, "--replica-serve-stale-data", "no").Addr()},
		{"redis", startRedis(t, "--replica-serve-stale-data", "no").Addr()},
	} {
		c := newClient(t, srv.addr, 2)
		// A master nobody listens on: the link stays down.
		if err := c.Do(ctx, "REPLICAOF", "127.0.0.1", "1").Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.ScriptLoad(ctx, "return 1").Err(); err != nil {
			t.Errorf("%s: SCRIPT LOAD on a stale replica: %v", srv.name, err)
		}
		if err := c.Do(ctx, "SCRIPT", "HELP").Err(); err != nil {
			t.Errorf("%s: SCRIPT HELP on a stale replica: %v", srv.name, err)
		}
		if err := c.Do(ctx, "SCRIPT", "EXISTS", "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "MASTERDOWN") {
			t.Errorf("%s: SCRIPT EXISTS on a stale replica: %v", srv.name, err)
		}
	}
}

// TestScriptCallRefusalsOnReplicas: what redis.call refuses on a stale
// replica and on a read-only one (the checks Tandem makes once per script,
// or until its first write), with Redis's replies, called repeatedly in
// one script as a loop would.
func TestScriptCallRefusalsOnReplicas(t *testing.T) {
	ctx := ctxFor(t, 30*time.Second)
	cases := map[string][]string{
		"no": { // replica-serve-stale-data no
			"#!lua flags=no-writes,allow-stale\nreturn redis.call('get', 'x')",
			"#!lua flags=no-writes,allow-stale\nfor i = 1, 3 do redis.pcall('get', 'x') end return redis.pcall('get', 'x')",
			"#!lua flags=no-writes,allow-stale\nreturn redis.call('ping')",
			"return redis.call('get', 'x')",
		},
		"yes": {
			"redis.call('get', 'x') return redis.call('set', 'x', 1)",
			"for i = 1, 3 do redis.pcall('set', 'x', 1) end return redis.pcall('set', 'x', 1)",
			"#!lua flags=no-writes\nreturn redis.call('set', 'x', 1)",
			"#!lua\nreturn redis.call('set', 'x', 1)",
			"return arg",
		},
	}
	for stale, scripts := range cases {
		var replies [2][]string
		for i, addr := range []string{
			startTandem(t, "--replica-serve-stale-data", stale).Addr(),
			startRedis(t, "--replica-serve-stale-data", stale).Addr(),
		} {
			c := newClient(t, addr, 2)
			if err := c.Do(ctx, "REPLICAOF", "127.0.0.1", "1").Err(); err != nil {
				t.Fatal(err)
			}
			for _, body := range scripts {
				v, err := c.Eval(ctx, body, nil).Result()
				replies[i] = append(replies[i], fmt.Sprintf("%v %v", v, err))
			}
		}
		for j, body := range scripts {
			if replies[0][j] != replies[1][j] {
				t.Errorf("serve-stale %s, %q:\n tandem %s\n redis  %s", stale, body, replies[0][j], replies[1][j])
			}
		}
	}
}
