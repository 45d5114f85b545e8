package test

// What the master sends: commands are rewritten so that replicas end up
// exact (absolute expiry times, GETSET as SET, …), keyspace-wide commands
// (FLUSHDB, SWAPDB, MOVE, COPY … DB) reach them, and nothing that is not a
// write (reads, SAVE) does.

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReplExpiryTimesAreSentAbsolute: every way of setting a TTL reaches
// the replica as the same absolute expiry time (SET … PXAT / PEXPIREAT in
// the stream), so PEXPIRETIME is identical to the millisecond.
func TestReplExpiryTimesAreSentAbsolute(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	m := startReplTandem(t, "master")
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	waitLinkUp(t, ctx, r)
	cmds := [][]any{
		{"SET", "set-ex", "v", "EX", 100},
		{"SET", "set-px", "v", "PX", 100500},
		{"SET", "set-exat", "v", "EXAT", time.Now().Add(time.Hour).Unix()},
		{"SETEX", "setex", 200, "v"},
		{"PSETEX", "psetex", 200500, "v"},
		{"SET", "expire", "v"}, {"EXPIRE", "expire", 300},
		{"SET", "pexpire", "v"}, {"PEXPIRE", "pexpire", 300500},
		{"SET", "expireat", "v"}, {"EXPIREAT", "expireat", time.Now().Add(2 * time.Hour).Unix()},
		{"SET", "getex", "v"}, {"GETEX", "getex", "EX", 400},
		{"SET", "incrbyfloat", "1.5", "EX", 500}, {"INCRBYFLOAT", "incrbyfloat", "2.25"},
		{"SET", "setrange", "abc", "PX", 600000}, {"SETRANGE", "setrange", 1, "zz"},
		{"SET", "persist", "v", "EX", 100}, {"PERSIST", "persist"},
		{"SET", "getex-persist", "v", "EX", 100}, {"GETEX", "getex-persist", "PERSIST"},
		{"SET", "keepttl", "v", "EX", 700}, {"SET", "keepttl", "w", "KEEPTTL"},
	}
	for _, c := range cmds {
		if err := m.c.Do(ctx, c...).Err(); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	waitOffsetsMatch(t, ctx, m, r)
	for _, k := range []string{"set-ex", "set-px", "set-exat", "setex", "psetex", "expire", "pexpire", "expireat", "getex", "incrbyfloat", "setrange", "persist", "getex-persist", "keepttl"} {
		mt, err1 := m.c.Do(ctx, "PEXPIRETIME", k).Int64()
		rt, err2 := r.c.Do(ctx, "PEXPIRETIME", k).Int64()
		if err1 != nil || err2 != nil || mt != rt {
			t.Errorf("%s: PEXPIRETIME %d (%v) on master, %d (%v) on replica", k, mt, err1, rt, err2)
		}
		mv, _ := m.c.Get(ctx, k).Result()
		rv, _ := r.c.Get(ctx, k).Result()
		if mv != rv {
			t.Errorf("%s: %q on master, %q on replica", k, mv, rv)
		}
	}
	// An expiry in the past deletes, on the replica too.
	m.c.Set(ctx, "past", "v", 0)
	m.c.Do(ctx, "PEXPIREAT", "past", 1000)
	waitOffsetsMatch(t, ctx, m, r)
	// DEBUG OBJECT finds keys even when logically expired: the key must be
	// gone, not just hidden.
	if err := r.c.Do(ctx, "DEBUG", "OBJECT", "past").Err(); err == nil {
		t.Error("replica still holds a key the master expired with a time in the past")
	}
}

// TestReplReplicaExecutesRewrittenCommands: the replica runs what the
// master propagates (GETSET as SET, GETDEL as DEL, INCRBYFLOAT as SET …
// KEEPTTL), never reads, SAVE, or failed writes; INFO commandstats on the
// replica shows it.
func TestReplReplicaExecutesRewrittenCommands(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	run := func(start func(testing.TB, string, ...string) *replNode) map[string]int {
		m := start(t, "master")
		r := start(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
		waitLinkUp(t, ctx, r)
		for _, c := range [][]any{
			{"SET", "a", "1"}, {"GETSET", "a", "2"}, {"SET", "a", "3", "GET"},
			{"SET", "b", "x"}, {"GETDEL", "b"}, {"GETDEL", "b"},
			{"SET", "f", "1.5"}, {"INCRBYFLOAT", "f", "1"},
			{"GET", "a"}, {"MGET", "a", "f"}, {"EXISTS", "a"},
			{"SAVE"},
			{"INCR", "a"}, // an integer: works
			{"SET", "s", "str"},
			{"DEL", "nokey"},
			{"INCR", "s"}, // fails on the master: not propagated
		} {
			m.c.Do(ctx, c...)
		}
		waitOffsetsMatch(t, ctx, m, r)
		stats := r.info(ctx, "commandstats") // before the dataset check's own reads
		defer requireSameDataset(t, ctx, m, r)
		calls := map[string]int{}
		for _, cmd := range []string{"set", "getset", "getdel", "incrbyfloat", "get", "mget", "exists", "save", "incr", "del"} {
			v := stats["cmdstat_"+cmd]
			n, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(v, ",")[0], "calls="))
			calls[cmd] = n
		}
		return calls
	}
	got := run(startReplTandem)
	want := map[string]int{"set": 7, "getset": 0, "getdel": 0, "incrbyfloat": 0, "get": 0, "mget": 0, "exists": 0, "save": 0, "incr": 1, "del": 1}
	for cmd, n := range want {
		if got[cmd] != n {
			t.Errorf("replica ran %s %d times, want %d", cmd, got[cmd], n)
		}
	}
	if _, err := exec.LookPath("redis-server"); err == nil {
		if red := run(startReplRedis); fmt.Sprint(red) != fmt.Sprint(want) {
			t.Errorf("the expectation does not match Redis's replica: %v", red)
		}
	}
}

// TestReplKeyspaceWideCommandsReachReplicas: FLUSHDB, SWAPDB, MOVE,
// COPY … DB, RENAME, SELECT inside MULTI and FLUSHALL leave replicas and
// sub-replicas with the master's data in every database.
func TestReplKeyspaceWideCommandsReachReplicas(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	m := startReplTandem(t, "master")
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	sub := startReplTandem(t, "sub-replica")
	waitLinkUp(t, ctx, r)
	sub.replicaOf(t, ctx, r.port())
	waitLinkUp(t, ctx, sub)
	caps := detectCaps(t, ctx, m, r, sub)
	for db := 0; db < 4; db++ {
		writeTyped(t, ctx, m.db(t, db), caps, "k", 30, time.Hour)
	}
	raw := dialRaw(t, m.proc.Addr())
	for _, c := range [][]string{
		{"SELECT", "1"}, {"FLUSHDB"},
		{"SWAPDB", "0", "2"},
		{"SELECT", "2"}, {"MOVE", "str:k:1", "3"}, {"MOVE", "str:k:2", "1"},
		{"COPY", "str:k:3", "copied", "DB", "5"},
		{"RENAME", "str:k:4", "renamed"},
		{"MULTI"}, {"SET", "in-multi", "2"}, {"SELECT", "6"}, {"SET", "in-multi", "6"}, {"EXEC"},
		{"SET", "after-multi", "6"},
		{"SELECT", "3"}, {"FLUSHDB", "ASYNC"},
		{"SELECT", "7"}, {"SET", "x", "y"}, {"SWAPDB", "7", "8"},
	} {
		if got := raw.do(c...); strings.HasPrefix(got, "-") {
			t.Fatalf("%v: %q", c, got)
		}
	}
	requireSameDataset(t, ctx, m, r, sub)
	if v, _ := r.db(t, 6).Get(ctx, "after-multi").Result(); v != "6" {
		t.Errorf("SELECT inside MULTI: replica db 6 after-multi = %q", v)
	}
	mustDo(t, ctx, m.c, "FLUSHALL")
	m.c.Set(ctx, "only", "1", 0)
	requireSameDataset(t, ctx, m, r, sub)
}
