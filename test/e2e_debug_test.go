package test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// TestDebugProtocolMatchesRedis: DEBUG PROTOCOL answers each RESP type as
// Redis 7.0 does, in RESP2 and RESP3 (client libraries test their parsers
// with it), and DEBUG ERROR answers its argument as an error.
func TestDebugProtocolMatchesRedis(t *testing.T) {
	t.Parallel()
	var cmds []string
	for _, kind := range []string{"string", "integer", "double", "bignum", "null", "array", "set", "map",
		"attrib", "push", "verbatim", "true", "false", "nosuch", "STRING"} {
		cmds = append(cmds, "DEBUG PROTOCOL "+kind)
	}
	cmds = append(cmds, "DEBUG PROTOCOL", "DEBUG ERROR \"some text\"", "DEBUG ERROR \"two\nlines\"", "DEBUG LOG hello")
	// Checked as Redis checks it (Tandem's lists have no plain nodes: it
	// changes nothing there, and lists answer the same).
	for _, v := range []string{"1b", "0", "4095mb", "4096mb", "5gb", "x", "-1", "1kb"} {
		cmds = append(cmds, "DEBUG QUICKLIST-PACKED-THRESHOLD "+v)
	}
	cmds = append(cmds, "RPUSH l "+strings.Repeat("a", 500)+" b", "LINSERT l AFTER b c", "LRANGE l 0 -1",
		"DEBUG QUICKLIST-PACKED-THRESHOLD 0")
	runTypeDiff(t, []diffCase{{name: "protocol", cmds: cmds}})
}

// TestDebugToolbox: DEBUG LOG writes its line; PAUSE-CRON 1 stops the
// periodic jobs (active expiry) until PAUSE-CRON 0; CHANGE-REPL-ID gives new
// IDs; REPLYBUFFER RESIZING 0 keeps an idle client's reply buffer big.
func TestDebugToolbox(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	c := dialRaw(t, srv.Addr())
	if got := c.do("DEBUG", "LOG", "marker-4711"); got != "+OK\r\n" {
		t.Fatalf("DEBUG LOG = %q", got)
	}
	testutil.Eventually(t, 5*time.Second, "DEBUG LOG line", func() bool {
		return strings.Contains(srv.LogText(), "DEBUG LOG: marker-4711")
	})

	// Active expiry stops while the cron is paused: the key is never read,
	// so only the cron could remove it.
	c.do("DEBUG", "PAUSE-CRON", "1")
	c.do("SET", "k", "v", "PX", "100")
	time.Sleep(600 * time.Millisecond)
	if got := infoFields(c.do("INFO", "keyspace"))["db0"]; !strings.HasPrefix(got, "keys=1,") {
		t.Fatalf("with the cron paused the expired key was removed: db0 %q", got)
	}
	c.do("DEBUG", "PAUSE-CRON", "0")
	testutil.Eventually(t, 5*time.Second, "expired key removed by the cron", func() bool {
		return infoFields(c.do("INFO", "keyspace"))["db0"] == ""
	})

	before := infoFields(c.do("INFO", "replication"))
	if got := c.do("DEBUG", "CHANGE-REPL-ID"); got != "+OK\r\n" {
		t.Fatalf("DEBUG CHANGE-REPL-ID = %q", got)
	}
	after := infoFields(c.do("INFO", "replication"))
	if after["master_replid"] == before["master_replid"] || len(after["master_replid"]) != 40 ||
		after["master_replid2"] != strings.Repeat("0", 40) {
		t.Fatalf("replids before %q/%q, after %q/%q", before["master_replid"], before["master_replid2"],
			after["master_replid"], after["master_replid2"])
	}

	// A 200 KB reply grows the reply buffer; with resizing off it stays.
	c.do("DEBUG", "REPLYBUFFER", "RESIZING", "0")
	c.do("CLIENT", "SETNAME", "big")
	c.do("SET", "big", strings.Repeat("x", 200_000))
	c.do("GET", "big")
	time.Sleep(1500 * time.Millisecond)
	admin := dialRaw(t, srv.Addr())
	if rbs := namedClientField(t, admin, "big", "rbs"); rbs < 100_000 {
		t.Fatalf("reply buffer %d bytes with resizing off", rbs)
	}
	c.do("DEBUG", "REPLYBUFFER", "RESIZING", "1")
	c.do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100")
	testutil.Eventually(t, 10*time.Second, "reply buffer shrunk with resizing on", func() bool {
		return namedClientField(t, admin, "big", "rbs") < 100_000
	})
	for _, bad := range [][]string{{"DEBUG", "REPLYBUFFER", "FOO", "1"}, {"DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "x"}} {
		if got := c.do(bad...); !strings.HasPrefix(got, "-ERR") {
			t.Errorf("%v = %q, want an error", bad, got)
		}
	}
}

// TestDebugReloadOptionsMatchRedis: DEBUG RELOAD NOSAVE loads the file as
// it is (writes since the last save are gone), MERGE/NOFLUSH keep the keys
// the file lacks and take the file's value for the others, and an unknown
// option is refused, as in Redis.
func TestDebugReloadOptionsMatchRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, []diffCase{{name: "reload", cmds: []string{
		"SET a 1", "SET b 2", "SAVE",
		"SET a changed", "SET c 3", "DEBUG RELOAD NOSAVE", "MGET a b c",
		"SET a changed", "SET c 3", "DEBUG RELOAD NOSAVE MERGE", "MGET a b c",
		"SET c 4", "DEL b", "DEBUG RELOAD NOSAVE NOFLUSH MERGE", "MGET a b c",
		"DEBUG RELOAD", "MGET a b c", "DEBUG RELOAD FOO", "DEBUG RELOAD nosave merge", "DBSIZE",
	}}})
}

// TestDebugSkipChecksumValidationMatchesRedis: with DEBUG
// SET-SKIP-CHECKSUM-VALIDATION 1, RESTORE takes a payload whose CRC-64 is
// wrong (the version is still checked); with 0 it refuses it again.
func TestDebugSkipChecksumValidationMatchesRedis(t *testing.T) {
	t.Parallel()
	// "abc" as a DUMP payload: type 0, length 3, the bytes, RDB version 10,
	// then a CRC-64 of zeros (wrong).
	bad := "\"\\x00\\x03abc\\x0a\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\""
	runTypeDiff(t, []diffCase{{name: "skip-checksum", cmds: []string{
		"RESTORE k 0 " + bad, "DEBUG SET-SKIP-CHECKSUM-VALIDATION 1", "RESTORE k 0 " + bad, "GET k",
		"DEBUG SET-SKIP-CHECKSUM-VALIDATION 0", "RESTORE k2 0 " + bad, "EXISTS k2",
	}}})
}

// TestDebugNotBuiltSaysSo: a DEBUG subcommand Redis has and Tandem does
// not answers that plainly; an unknown one answers Redis's syntax error.
func TestDebugNotBuiltSaysSo(t *testing.T) {
	t.Parallel()
	c := dialRaw(t, startTandem(t).Addr())
	if got := c.do("DEBUG", "SDSLEN", "k"); got != "-ERR DEBUG SDSLEN is not supported by Tandem yet\r\n" {
		t.Errorf("DEBUG SDSLEN = %q", got)
	}
	if got := c.do("DEBUG", "NOSUCHTHING"); !strings.HasPrefix(got, "-ERR unknown subcommand") {
		t.Errorf("DEBUG NOSUCHTHING = %q", got)
	}
}

// TestDebugLoadaof: DEBUG LOADAOF empties the dataset and loads the AOF
// back: what was written (TTLs as absolute times, keys after a rewrite) is
// there again, what was not (a key DEBUG POPULATE made, never propagated)
// is gone, and nothing replayed reaches the AOF again or the replicas
// (master_repl_offset does not move).
func TestDebugLoadaof(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--appendonly", "yes")
	c := dialRaw(t, srv.Addr())
	testutil.Eventually(t, 10*time.Second, "start-up load done", func() bool {
		return c.do("PING") == "+PONG\r\n"
	})
	c.do("SET", "a", "1", "EX", "1000")
	c.do("RPUSH", "l", "x", "y")
	if got := c.do("BGREWRITEAOF"); !strings.HasPrefix(got, "+") {
		t.Fatalf("BGREWRITEAOF = %q", got)
	}
	testutil.Eventually(t, 10*time.Second, "rewrite done", func() bool {
		return infoFields(c.do("INFO", "persistence"))["aof_rewrite_in_progress"] == "0"
	})
	c.do("SET", "b", "2")
	c.do("DEBUG", "POPULATE", "3", "ghost")
	exp := c.do("PEXPIRETIME", "a")
	off := infoFields(c.do("INFO", "replication"))["master_repl_offset"]
	size := infoFields(c.do("INFO", "persistence"))["aof_current_size"]
	if got := c.do("DEBUG", "LOADAOF"); got != "+OK\r\n" {
		t.Fatalf("DEBUG LOADAOF = %q", got)
	}
	if got := c.do("DBSIZE"); got != ":3\r\n" {
		t.Errorf("DBSIZE after LOADAOF = %q, want 3 (a, l, b; not the populated keys)", got)
	}
	if got := c.do("PEXPIRETIME", "a"); got != exp {
		t.Errorf("PEXPIRETIME a = %q, was %q", got, exp)
	}
	if got := c.do("LRANGE", "l", "0", "-1"); got != "*2\r\n$1\r\nx\r\n$1\r\ny\r\n" {
		t.Errorf("LRANGE l = %q", got)
	}
	if got := c.do("GET", "b"); got != "$1\r\n2\r\n" {
		t.Errorf("GET b = %q", got)
	}
	if got := infoFields(c.do("INFO", "replication"))["master_repl_offset"]; got != off {
		t.Errorf("master_repl_offset %s → %s: the replay was propagated", off, got)
	}
	if got := infoFields(c.do("INFO", "persistence"))["aof_current_size"]; got != size {
		t.Errorf("aof_current_size %s → %s: the replay went into the AOF", size, got)
	}
	if !strings.Contains(srv.LogText(), "Append Only File loaded by DEBUG LOADAOF") {
		t.Error("no log line")
	}
	c.do("SET", "c", "3") // writes go on
	if got := c.do("DEBUG", "LOADAOF"); got != "+OK\r\n" {
		t.Fatalf("second DEBUG LOADAOF = %q", got)
	}
	if got := c.do("GET", "c"); got != "$1\r\n3\r\n" {
		t.Errorf("GET c after the second LOADAOF = %q", got)
	}
}

// TestClientListShowsTheRunningCommandInQbuf: while a command runs, its own
// bytes are still in the client's query buffer, as in Redis (CLIENT LIST
// from a fresh connection shows qbuf=26, the length of the command).
func TestClientListShowsTheRunningCommandInQbuf(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{startTandem(t).Addr(), startRedis(t).Addr()} {
		c := dialRaw(t, addr)
		list := c.do("CLIENT", "LIST")
		if !strings.Contains(list, " qbuf=26 ") {
			t.Errorf("%s: CLIENT LIST = %q, want qbuf=26", addr, list)
		}
		info := c.do("CLIENT", "INFO")
		if !strings.Contains(info, " qbuf=26 ") {
			t.Errorf("%s: CLIENT INFO = %q, want qbuf=26", addr, info)
		}
	}
}

// TestDebugLoadaofWithoutAppendonly: with appendonly no and no AOF on disk
// DEBUG LOADAOF refuses and keeps the data (Redis exits); after a
// BGREWRITEAOF it loads what the rewrite wrote. FLUSHALL with save points
// leaves rdb_changes_since_last_save at 0, as in Redis 7.0.
func TestDebugLoadaofWithoutAppendonly(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--save", "3600 1")
	c := dialRaw(t, srv.Addr())
	c.do("SET", "a", "1")
	if got := c.do("DEBUG", "LOADAOF"); !strings.HasPrefix(got, "-ERR") {
		t.Fatalf("DEBUG LOADAOF with no AOF = %q", got)
	}
	if got := c.do("GET", "a"); got != "$1\r\n1\r\n" {
		t.Fatalf("GET a after a refused LOADAOF = %q", got)
	}
	c.do("BGREWRITEAOF")
	testutil.Eventually(t, 10*time.Second, "rewrite done", func() bool {
		f := infoFields(c.do("INFO", "persistence"))
		return f["aof_rewrite_in_progress"] == "0" && f["aof_rewrite_scheduled"] == "0" && f["aof_last_bgrewrite_status"] == "ok"
	})
	c.do("SET", "b", "2") // not in the AOF: appendonly is no
	if got := c.do("DEBUG", "LOADAOF"); got != "+OK\r\n" {
		t.Fatalf("DEBUG LOADAOF = %q", got)
	}
	if got := c.do("MGET", "a", "b"); got != "*2\r\n$1\r\n1\r\n$-1\r\n" {
		t.Fatalf("MGET a b = %q", got)
	}
	c.do("SET", "k", "v")
	c.do("FLUSHALL")
	if got := infoFields(c.do("INFO", "persistence"))["rdb_changes_since_last_save"]; got != "0" {
		t.Errorf("rdb_changes_since_last_save after FLUSHALL with save points = %s, want 0", got)
	}
}

// TestFlushallWithSavePointsReachesReplicas: FLUSHALL on a master with save
// points saves (resetting the change counter) and still reaches its
// replica, for a dataset that was empty too.
func TestFlushallWithSavePointsReachesReplicas(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, time.Minute)
	m := startReplTandem(t, "master", "--save", "3600 1")
	r := startReplTandem(t, "replica")
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)
	m.c.Set(ctx, "k", "v", 0)
	waitOffsetsMatch(t, ctx, m, r)
	before := m.infoInt(ctx, "replication", "master_repl_offset")
	m.c.FlushAll(ctx)
	m.c.FlushAll(ctx) // on an empty dataset: propagated all the same
	if got := m.infoInt(ctx, "replication", "master_repl_offset"); got <= before {
		t.Fatalf("master_repl_offset %d → %d: FLUSHALL was not propagated", before, got)
	}
	waitOffsetsMatch(t, ctx, m, r)
	if n := r.c.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("replica DBSIZE %d after FLUSHALL", n)
	}
	if got := m.infoInt(ctx, "persistence", "rdb_changes_since_last_save"); got != 0 {
		t.Errorf("rdb_changes_since_last_save %d, want 0", got)
	}
}

// TestSubcommandStatsMatchRedis: INFO commandstats and latencystats count
// a container's subcommands apart ("cmdstat_config|get"), CONFIG
// RESETSTAT clears them and the latency histograms, and LATENCY HISTOGRAM
// names subcommands as Redis does.
func TestSubcommandStatsMatchRedis(t *testing.T) {
	t.Parallel()
	run := func(addr string) []string {
		c := dialRaw(t, addr)
		c.do("CONFIG", "RESETSTAT")
		c.do("CLIENT", "ID")
		c.do("CLIENT", "ID")
		c.do("CONFIG", "GET", "maxclients")
		c.do("CLIENT", "NOSUCH")
		c.do("SET", "a", "1")
		var out []string
		for _, line := range strings.Split(c.do("INFO", "commandstats"), "\r\n") {
			if name, rest, ok := strings.Cut(line, ":"); ok && strings.HasPrefix(name, "cmdstat_") {
				calls, _, _ := strings.Cut(rest, ",")
				out = append(out, name+" "+calls)
			}
		}
		for _, line := range strings.Split(c.do("INFO", "latencystats"), "\r\n") {
			if name, _, ok := strings.Cut(line, ":"); ok && strings.HasPrefix(name, "latency_percentiles_usec_") {
				out = append(out, name)
			}
		}
		hist := c.do("LATENCY", "HISTOGRAM", "client", "config|get", "set")
		for _, n := range []string{"client|id", "config|get", "set", "config|resetstat"} {
			out = append(out, fmt.Sprintf("histogram has %s: %v", n, strings.Contains(hist, "$"+fmt.Sprint(len(n))+"\r\n"+n+"\r\n")))
		}
		c.do("CONFIG", "RESETSTAT")
		after := strings.SplitN(c.do("INFO", "latencystats"), "\r\n", 2)[1]
		name, _, _ := strings.Cut(strings.TrimPrefix(after, "# Latencystats\r\n"), ":")
		out = append(out, "after reset: "+name)
		return out
	}
	got, want := run(startTandem(t).Addr()), run(startRedis(t).Addr())
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("tandem %q\n      redis  %q", got, want)
	}
}

// TestResetClearsTrackingAndReplyMode: RESET turns CLIENT TRACKING off and
// replies back on, as Redis's does (its own RESET reply included).
func TestResetClearsTrackingAndReplyMode(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{startTandem(t).Addr(), startRedis(t).Addr()} {
		c := dialRaw(t, addr)
		c.do("CLIENT", "TRACKING", "on")
		c.send(encode("CLIENT", "REPLY", "OFF"))
		if got := c.do("RESET"); got != "+RESET\r\n" {
			t.Fatalf("%s: RESET = %q", addr, got)
		}
		list := c.do("CLIENT", "LIST")
		if !strings.Contains(list, " flags=N ") {
			t.Errorf("%s: after RESET: %q", addr, list)
		}
		if got := c.do("CLIENT", "TRACKINGINFO"); !strings.Contains(got, "off") {
			t.Errorf("%s: TRACKINGINFO after RESET = %q", addr, got)
		}
	}
}

// TestMonitorShowsScriptCallsAsLua: MONITOR shows the commands a script
// runs as coming from "lua", after the EVAL itself, as Redis does.
func TestMonitorShowsScriptCallsAsLua(t *testing.T) {
	t.Parallel()
	c := dialRaw(t, startTandem(t).Addr())
	m := dialRaw(t, c.c.RemoteAddr().String())
	m.do("MONITOR")
	c.do("EVAL", "redis.call('set',KEYS[1],ARGV[1])", "1", "foo", "bar")
	first, _ := m.tryRead(5 * time.Second)
	second, _ := m.tryRead(5 * time.Second)
	if !strings.Contains(strings.ToLower(first), `"eval"`) || !strings.Contains(second, ` lua] "set" "foo" "bar"`) {
		t.Errorf("MONITOR lines %q, %q", first, second)
	}
}

// TestBlockedCommandCountsOneCall: a command that blocks and is served (or
// fails) later counts one call, as in Redis 7.0 (its re-run is not another
// call); a failure counts in failed_calls.
func TestBlockedCommandCountsOneCall(t *testing.T) {
	t.Parallel()
	run := func(addr string) []string {
		c, b := dialRaw(t, addr), dialRaw(t, addr)
		c.do("CONFIG", "RESETSTAT")
		b.send(encode("BLPOP", "l", "0"))
		testutil.Eventually(t, 5*time.Second, "blocked", func() bool {
			return infoFields(c.do("INFO", "clients"))["blocked_clients"] == "1"
		})
		c.do("RPUSH", "l", "x")
		b.read()
		c.do("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
		b.send(encode("XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">"))
		testutil.Eventually(t, 5*time.Second, "blocked", func() bool {
			return infoFields(c.do("INFO", "clients"))["blocked_clients"] == "1"
		})
		c.do("XGROUP", "DESTROY", "s", "g")
		b.read()
		var out []string
		for _, line := range strings.Split(c.do("INFO", "commandstats"), "\r\n") {
			if strings.HasPrefix(line, "cmdstat_blpop:") || strings.HasPrefix(line, "cmdstat_xreadgroup:") {
				name, rest, _ := strings.Cut(line, ":")
				f := strings.Split(rest, ",")
				out = append(out, name+" "+f[0]+" "+f[len(f)-1])
			}
		}
		slices.Sort(out) // Redis lists commandstats in its dict's order
		return out
	}
	got, want := run(startTandem(t).Addr()), run(startRedis(t).Addr())
	if !slices.Equal(got, want) {
		t.Errorf("tandem %q\n      redis  %q", got, want)
	}
}

// TestDebugConfigRewriteForceAll: DEBUG CONFIG-REWRITE-FORCE-ALL writes
// every directive, defaults included, and a server started from that file
// has every setting CONFIG GET * showed before (Redis's introspection
// test does the same).
func TestDebugConfigRewriteForceAll(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "tandem.conf")
	if err := os.WriteFile(conf, []byte("hz 20\nenable-debug-command yes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startTandemWithConfig(t, conf)
	ctx := ctxFor(t, 20*time.Second)
	c := newClient(t, srv.Addr(), 2)
	before, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "DEBUG", "CONFIG-REWRITE-FORCE-ALL").Err(); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(conf)
	lines := strings.Count(string(text), "\n")
	if lines < len(before)/2 {
		t.Fatalf("rewritten file has %d lines for %d settings:\n%s", lines, len(before), text)
	}
	// The port, bind and dir given on the command line come back from it.
	srv2 := startTandemWithConfig(t, conf)
	after, err := newClient(t, srv2.Addr(), 2).ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range before {
		if k == "port" || k == "dir" || k == "pidfile" || k == "logfile" {
			continue // the second server has its own
		}
		if after[k] != v {
			t.Errorf("%s: %q before, %q after a restart from the forced rewrite", k, v, after[k])
		}
	}
}

// DEBUG OBJECT's serializedlength is the size of the value's RDB encoding
// as in Redis (go-redis's "should DebugObject" spec reads it for "bar"):
// small and integer strings, a string too random for LZF to shrink, and
// each aggregate type in its compact encoding. Strings LZF does shrink
// are left out: Tandem's compressor picks other back references than
// liblzf's, so the sizes may differ (both decode each other's).
func TestDebugObjectSerializedLengthMatchesRedis(t *testing.T) {
	noisy := make([]byte, 200)
	for i := range noisy {
		noisy[i] = byte(i*131 + i*i*7)
	}
	run := func(addr string) []string {
		ctx := ctxFor(t, 30*time.Second)
		c := newClient(t, addr, 2)
		for _, cmd := range [][]any{
			{"SET", "small", "bar"}, {"SET", "int", "12345"}, {"SET", "bigint", "123456789012"},
			{"SET", "noisy", string(noisy)}, {"RPUSH", "list", "a", "b", "c"},
			{"HSET", "hash", "f", "v", "g", "w"}, {"SADD", "intset", "1", "2", "3"},
			{"SADD", "set", "x", "y"}, {"ZADD", "zset", "1", "m", "2.5", "n"},
		} {
			mustDo(t, ctx, c, cmd...)
		}
		var out []string
		for _, k := range []string{"small", "int", "bigint", "noisy", "list", "hash", "intset", "set", "zset"} {
			s := mustDo(t, ctx, c, "DEBUG", "OBJECT", k).(string)
			i := strings.Index(s, "serializedlength:")
			if i < 0 {
				t.Fatalf("%s: DEBUG OBJECT %s = %q", addr, k, s)
			}
			out = append(out, k+" "+strings.Fields(s[i:])[0])
		}
		if err := c.Do(ctx, "DEBUG", "OBJECT", "nokey").Err(); err == nil || err.Error() != "ERR no such key" {
			t.Fatalf("%s: DEBUG OBJECT nokey: %v", addr, err)
		}
		return out
	}
	got, want := run(startTandem(t).Addr()), run(startRedis(t).Addr())
	if !slices.Equal(got, want) {
		t.Fatalf("serializedlength: Tandem %v, Redis %v", got, want)
	}
}
