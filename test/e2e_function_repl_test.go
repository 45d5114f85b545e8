package test

// Function libraries as part of the dataset: replicated (full sync and
// FUNCTION commands) between Tandem and redis-server in both roles, saved
// in RDB files that each loads from the other, kept by DEBUG RELOAD and
// FLUSHALL, rewritten into the AOF and loaded back from it.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

const (
	fnLibCounter = "#!lua name=counter\n" +
		"redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)\n" +
		"redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads a counter'}"
	fnLibTag = "#!lua name=tag\n" +
		"redis.register_function('tag', function(keys, args) redis.call('sadd', keys[1], unpack(args)) return redis.call('scard', keys[1]) end)"
	fnLibLate = "#!lua name=late\n" +
		"redis.register_function{function_name='late_ro', callback=function() return 'late' end, flags={'no-writes', 'allow-stale'}}"
)

// functionList is a node's FUNCTION LIST WITHCODE, libraries and
// functions in name order (Redis lists them in its hash tables' order).
func functionList(t testing.TB, ctx context.Context, n *replNode) string {
	t.Helper()
	libs, err := n.c.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Result()
	if err != nil {
		return "ERR: " + err.Error()
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].Name < libs[j].Name })
	var b strings.Builder
	for _, l := range libs {
		sort.Slice(l.Functions, func(i, j int) bool { return l.Functions[i].Name < l.Functions[j].Name })
		fmt.Fprintf(&b, "%s %s %+v %q\n", l.Name, l.Engine, l.Functions, l.Code)
	}
	return b.String()
}

// waitSameFunctions waits until the replica lists the master's libraries.
func waitSameFunctions(t testing.TB, ctx context.Context, master, replica *replNode) {
	t.Helper()
	want := functionList(t, ctx, master)
	testutil.Eventually(t, 20*time.Second, replica.name+" lists "+master.name+"'s libraries: "+want, func() bool {
		return functionList(t, ctx, replica) == want
	})
}

// functionReplWorkload: libraries loaded before the replica attaches
// arrive with the full sync; FUNCTION LOAD, DELETE, RESTORE and FLUSH
// after it arrive in the stream; FCALL's writes arrive as effects. The
// replica ends with the master's libraries and data, and runs the
// read-only functions with the same results.
func functionReplWorkload(t *testing.T, ctx context.Context, master, replica *replNode) {
	mustDo(t, ctx, master.c, "FUNCTION", "FLUSH")
	mustDo(t, ctx, master.c, "FUNCTION", "LOAD", fnLibCounter)
	mustDo(t, ctx, master.c, "FCALL", "bump", "1", "c", "5")
	replica.replicaOf(t, ctx, master.port())
	waitLinkUp(t, ctx, replica)
	waitSameFunctions(t, ctx, master, replica)
	if got := fnDo(ctx, replica.c, "FCALL_RO", "peek", "1", "c"); got != "5" {
		t.Fatalf("FCALL_RO peek on %s after the full sync: %q", replica.name, got)
	}
	// A replica refuses to change its libraries, or to run a function
	// that may write.
	if got := fnDo(ctx, replica.c, "FUNCTION", "LOAD", fnLibTag); !strings.Contains(got, "READONLY") {
		t.Fatalf("FUNCTION LOAD on the replica: %q", got)
	}
	if got := fnDo(ctx, replica.c, "FCALL", "bump", "1", "c", "1"); got != "ERR: READONLY You can't write against a read only replica." {
		t.Fatalf("FCALL of a writing function on the replica: %q", got)
	}
	mustDo(t, ctx, master.c, "FUNCTION", "LOAD", fnLibTag)
	mustDo(t, ctx, master.c, "FCALL", "tag", "1", "s", "a", "b", "c")
	mustDo(t, ctx, master.c, "FUNCTION", "LOAD", "REPLACE", strings.Replace(fnLibCounter, "incrby", "incrbyfloat", 1))
	mustDo(t, ctx, master.c, "FCALL", "bump", "1", "c", "0.5")
	waitSameFunctions(t, ctx, master, replica)
	dump, err := master.c.Do(ctx, "FUNCTION", "DUMP").Text()
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, ctx, master.c, "FUNCTION", "DELETE", "tag")
	waitSameFunctions(t, ctx, master, replica)
	mustDo(t, ctx, master.c, "FUNCTION", "FLUSH")
	waitSameFunctions(t, ctx, master, replica)
	mustDo(t, ctx, master.c, "FUNCTION", "RESTORE", dump)
	mustDo(t, ctx, master.c, "FUNCTION", "LOAD", fnLibLate)
	mustDo(t, ctx, master.c, "FCALL", "tag", "1", "s", "d")
	waitSameFunctions(t, ctx, master, replica)
	waitOffsetsMatch(t, ctx, master, replica)
	requireSameDataset(t, ctx, master, replica)
	for _, call := range [][]any{{"FCALL_RO", "peek", "1", "c"}, {"FCALL_RO", "late_ro", "0"}, {"FCALL", "peek", "1", "c"}} {
		if g, w := fnDo(ctx, replica.c, call...), fnDo(ctx, master.c, call...); g != w {
			t.Fatalf("%v: %s %q, %s %q", call, replica.name, g, master.name, w)
		}
	}
}

func TestFunctionsReplicateToRedisReplica(t *testing.T) {
	ctx := ctxFor(t, 120*time.Second)
	master := startReplTandem(t, "tandem-master")
	replica := startReplRedis(t, "redis-replica")
	functionReplWorkload(t, ctx, master, replica)
}

func TestFunctionsReplicateFromRedisMaster(t *testing.T) {
	for _, load := range []string{"disabled", "swapdb"} {
		t.Run("diskless-load-"+load, func(t *testing.T) {
			ctx := ctxFor(t, 120*time.Second)
			master := startReplRedis(t, "redis-master", "--repl-diskless-sync", "yes")
			replica := startReplTandem(t, "tandem-replica", "--repl-diskless-load", load)
			// The replica's own libraries go with its data.
			mustDo(t, ctx, replica.c, "FUNCTION", "LOAD", "#!lua name=mine\nredis.register_function('mine', function() return 1 end)")
			functionReplWorkload(t, ctx, master, replica)
		})
	}
}

// TestFunctionsTandemToTandem: the same between two Tandems.
func TestFunctionsTandemToTandem(t *testing.T) {
	ctx := ctxFor(t, 120*time.Second)
	master := startReplTandem(t, "tandem-master")
	replica := startReplTandem(t, "tandem-replica", "--repl-diskless-load", "swapdb")
	functionReplWorkload(t, ctx, master, replica)
}

// TestFunctionsInRDBBothWays: Tandem's dump.rdb holds the libraries in
// the form redis-check-rdb accepts and redis-server loads, and Tandem
// loads Redis's; DEBUG RELOAD and FLUSHALL keep them.
func TestFunctionsInRDBBothWays(t *testing.T) {
	ctx := ctxFor(t, 90*time.Second)
	tdir, rdir := t.TempDir(), t.TempDir()
	td := startReplTandem(t, "tandem", "--dir", tdir)
	mustDo(t, ctx, td.c, "FUNCTION", "LOAD", fnLibCounter)
	mustDo(t, ctx, td.c, "FUNCTION", "LOAD", fnLibTag)
	mustDo(t, ctx, td.c, "FCALL", "bump", "1", "c", "7")
	mustDo(t, ctx, td.c, "FLUSHALL")
	mustDo(t, ctx, td.c, "FCALL", "bump", "1", "c", "7")
	want := functionList(t, ctx, td)
	if !strings.Contains(want, "counter") || !strings.Contains(want, "tag") {
		t.Fatalf("libraries after FLUSHALL: %s", want)
	}
	mustDo(t, ctx, td.c, "DEBUG", "RELOAD")
	if got := functionList(t, ctx, td); got != want {
		t.Fatalf("after DEBUG RELOAD:\n%s\nwant\n%s", got, want)
	}
	// Without flushing, the file's libraries collide with ours unless
	// merged (Redis's RDBFLAGS_ALLOW_DUP).
	if got := fnDo(ctx, td.c, "DEBUG", "RELOAD", "NOFLUSH"); !strings.HasPrefix(got, "ERR: ERR Error trying to load the RDB dump") {
		t.Fatalf("DEBUG RELOAD NOFLUSH: %q", got)
	}
	if got := fnDo(ctx, td.c, "DEBUG", "RELOAD", "BAD"); got != "ERR: ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options." {
		t.Fatalf("DEBUG RELOAD BAD: %q", got)
	}
	mustDo(t, ctx, td.c, "FUNCTION", "LOAD", fnLibLate)
	mustDo(t, ctx, td.c, "DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")
	if got := fnDo(ctx, td.c, "FCALL", "late_ro", "0"); got != "late" {
		t.Fatalf("a library loaded after the save, after a merging reload: %q", got)
	}
	mustDo(t, ctx, td.c, "FUNCTION", "DELETE", "late")
	mustDo(t, ctx, td.c, "SAVE")
	if out, err := exec.Command("redis-check-rdb", filepath.Join(tdir, "dump.rdb")).CombinedOutput(); err != nil || !strings.Contains(string(out), "RDB looks OK") {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}
	copyFile(t, filepath.Join(tdir, "dump.rdb"), filepath.Join(rdir, "dump.rdb"))
	rd := startReplRedis(t, "redis", "--dir", rdir)
	if got := functionList(t, ctx, rd); got != want {
		t.Fatalf("redis-server loaded\n%s\nwant\n%s", got, want)
	}
	if got := fnDo(ctx, rd.c, "FCALL_RO", "peek", "1", "c"); got != "7" {
		t.Fatalf("FCALL_RO on redis-server: %q", got)
	}
	// And back: Redis's file, with one more library, into Tandem.
	mustDo(t, ctx, rd.c, "FUNCTION", "LOAD", fnLibLate)
	mustDo(t, ctx, rd.c, "SAVE")
	want = functionList(t, ctx, rd)
	td.c.Do(ctx, "SHUTDOWN", "NOSAVE")
	copyFile(t, filepath.Join(rdir, "dump.rdb"), filepath.Join(tdir, "dump.rdb"))
	td.proc.Restart(t)
	if got := functionList(t, ctx, td); got != want {
		t.Fatalf("Tandem loaded Redis's file:\n%s\nwant\n%s", got, want)
	}
	if got := fnDo(ctx, td.c, "FCALL", "late_ro", "0"); got != "late" {
		t.Fatalf("FCALL late_ro: %q", got)
	}
	if got := td.info(ctx, "memory"); got["number_of_libraries"] != "3" || got["number_of_functions"] != "4" {
		t.Fatalf("INFO memory: libraries %s functions %s", got["number_of_libraries"], got["number_of_functions"])
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFunctionsInAOF: FUNCTION LOAD, DELETE and FLUSH go to the AOF as
// themselves; a rewrite (RDB preamble or commands) keeps the libraries;
// a restart from the AOF has them.
func TestFunctionsInAOF(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble-"+preamble, func(t *testing.T) {
			ctx := ctxFor(t, 90*time.Second)
			s := startAOF(t, "tandem", "", "--aof-use-rdb-preamble", preamble, "--appendfsync", "always")
			mustDo(t, ctx, s.c, "FUNCTION", "LOAD", fnLibCounter)
			mustDo(t, ctx, s.c, "FUNCTION", "LOAD", fnLibLate)
			mustDo(t, ctx, s.c, "FCALL", "bump", "1", "c", "3")
			b, err := os.ReadFile(s.lastIncr(t))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), "FUNCTION") || strings.Contains(strings.ToLower(string(b)), "fcall") {
				t.Fatalf("incr AOF:\n%q", b)
			}
			mustDo(t, ctx, s.c, "BGREWRITEAOF")
			s.waitRewriteDone(t, ctx)
			mustDo(t, ctx, s.c, "FUNCTION", "LOAD", fnLibTag)
			mustDo(t, ctx, s.c, "FUNCTION", "DELETE", "late")
			want := functionList(t, ctx, s.replNode)
			s.shutdown(t)
			s2 := startAOF(t, "tandem-restarted", s.dir, "--aof-use-rdb-preamble", preamble)
			if got := functionList(t, ctx, s2.replNode); got != want {
				t.Fatalf("after the restart:\n%s\nwant\n%s", got, want)
			}
			if got := fnDo(ctx, s2.c, "FCALL", "peek", "1", "c"); got != "3" {
				t.Fatalf("FCALL peek: %q", got)
			}
			// And after a flush and a second rewrite, none.
			mustDo(t, ctx, s2.c, "FUNCTION", "FLUSH")
			mustDo(t, ctx, s2.c, "BGREWRITEAOF")
			s2.waitRewriteDone(t, ctx)
			s2.shutdown(t)
			s3 := startAOF(t, "tandem-restarted-2", s.dir, "--aof-use-rdb-preamble", preamble)
			if got := fnDo(ctx, s3.c, "FUNCTION", "LIST"); got != "[]" {
				t.Fatalf("after FLUSH and a rewrite: %q", got)
			}
		})
	}
}
