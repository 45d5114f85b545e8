package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// infoHeaders lists the "# Section" lines of an INFO payload.
func infoHeaders(info string) []string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "# ") {
			out = append(out, l)
		}
	}
	return out
}

// infoBody strips the bulk/verbatim framing from a raw INFO reply.
func infoBody(raw string) string {
	_, body, _ := strings.Cut(raw, "\r\n")
	body = strings.TrimPrefix(body, "txt:")
	return strings.TrimSuffix(body, "\r\n")
}

// TestInfoSectionsMatchRedis: the same sections, in the same order, for
// every way of asking, with CRLF line endings and a blank line between
// sections.
func TestInfoSectionsMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	td, rd := dialRaw(t, tandem.Addr()), dialRaw(t, ref.Addr())
	for _, args := range [][]string{
		{}, {"default"}, {"all"}, {"everything"}, {"server"}, {"SERVER"}, {"server", "clients"}, {"keyspace"},
		{"commandstats"}, {"cpu"}, {"errorstats"}, {"nosuch"}, {"replication", "server"}, {"default", "commandstats"},
		{"all", "modules"}, {"stats"}, {"persistence"}, {"memory"}, {"clients"}, {"cluster"}, {"modules"},
	} {
		cmd := append([]string{"INFO"}, args...)
		got, want := infoBody(td.do(cmd...)), infoBody(rd.do(cmd...))
		if g, w := strings.Join(infoHeaders(got), "|"), strings.Join(infoHeaders(want), "|"); g != w {
			t.Errorf("INFO %v sections:\ntandem %s\nredis  %s", args, g, w)
		}
		if strings.Contains(strings.ReplaceAll(got, "\r\n", ""), "\n") || strings.Contains(strings.ReplaceAll(got, "\r\n", ""), "\r") {
			t.Errorf("INFO %v has a line not ended by CRLF", args)
		}
		if strings.Contains(got, "\r\n\r\n\r\n") || strings.HasPrefix(got, "\r\n") {
			t.Errorf("INFO %v: stray blank lines", args)
		}
		if len(infoHeaders(got)) > 1 && strings.Count(got, "\r\n\r\n# ") != len(infoHeaders(got))-1 {
			t.Errorf("INFO %v: sections not separated by one blank line", args)
		}
	}
}

// TestInfoFieldsFollowRedisOrderAndFormat: every field Tandem shares with
// Redis comes in Redis's order (consumers match by prefix, first match
// wins), the fields tools parse are present, and their values have the
// right form.
func TestInfoFieldsFollowRedisOrderAndFormat(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	names := func(info string) []string {
		var out []string
		for _, l := range strings.Split(info, "\r\n") {
			if k, _, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
				out = append(out, k)
			}
		}
		return out
	}
	got := infoBody(dialRaw(t, tandem.Addr()).do("INFO", "all"))
	want := infoBody(dialRaw(t, ref.Addr()).do("INFO", "all"))
	pos := map[string]int{}
	for i, n := range names(want) {
		pos[n] = i
	}
	last, lastName := -1, ""
	for _, n := range names(got) {
		if strings.HasPrefix(n, "cmdstat_") || strings.HasPrefix(n, "errorstat_") || strings.HasPrefix(n, "db") {
			continue
		}
		p, ok := pos[n]
		if !ok {
			continue // Tandem's own fields
		}
		if p < last {
			t.Errorf("INFO field %s comes after %s; Redis has it before", n, lastName)
		}
		last, lastName = p, n
	}
	// Fields real tools parse (redis-cli --stat, Sentinel, redis-benchmark).
	must := []string{"redis_version", "redis_mode", "os", "arch_bits", "process_id", "run_id", "tcp_port", "uptime_in_seconds",
		"uptime_in_days", "hz", "executable", "config_file", "connected_clients", "blocked_clients", "maxclients", "used_memory",
		"used_memory_human", "used_memory_rss", "used_memory_peak", "maxmemory", "maxmemory_policy", "loading",
		"rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time", "rdb_last_bgsave_status", "aof_enabled",
		"aof_rewrite_in_progress", "total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
		"total_net_input_bytes", "total_net_output_bytes", "rejected_connections", "expired_keys", "evicted_keys",
		"keyspace_hits", "keyspace_misses", "pubsub_channels", "pubsub_patterns", "total_error_replies", "role",
		"connected_slaves", "master_replid", "master_repl_offset", "used_cpu_sys", "used_cpu_user", "cluster_enabled"}
	m := infoFields(got)
	for _, f := range must {
		if _, ok := m[f]; !ok {
			t.Errorf("INFO lacks %s", f)
		}
	}
	formats := map[string]string{
		"redis_version": `^7\.0\.15$`, "redis_mode": `^standalone$`, "run_id": `^[0-9a-f]{40}$`, "arch_bits": `^64$`,
		"process_id": fmt.Sprintf("^%d$", tandem.Cmd.Process.Pid), "tcp_port": fmt.Sprintf("^%d$", tandem.Port),
		"uptime_in_seconds": `^\d+$`, "connected_clients": `^[1-9]\d*$`, "used_memory": `^\d+$`, "used_memory_human": `^[\d.]+[BKMG]$`,
		"loading": `^0$`, "rdb_bgsave_in_progress": `^0$`, "rdb_last_save_time": `^\d{10}$`, "aof_enabled": `^0$`,
		"total_connections_received": `^\d+$`, "instantaneous_ops_per_sec": `^\d+$`, "role": `^master$`,
		"master_replid": `^[0-9a-f]{40}$`, "used_cpu_sys": `^\d+\.\d+$`, "cluster_enabled": `^0$`, "maxmemory_policy": `^noeviction$`,
		"executable": `^/.*`, "mem_fragmentation_ratio": `^\d+\.\d+$`,
	}
	for f, re := range formats {
		if !regexp.MustCompile(re).MatchString(m[f]) {
			t.Errorf("INFO %s = %q, want /%s/", f, m[f], re)
		}
	}
	// role is the first line of the replication section (Sentinel relies on it).
	if _, repl, _ := strings.Cut(got, "# Replication\r\n"); !strings.HasPrefix(repl, "role:master\r\n") {
		t.Errorf("replication section does not start with role: %q", trunc(repl))
	}
	// run_id is stable for the life of the process.
	if m2 := infoFields(infoBody(dialRaw(t, tandem.Addr()).do("INFO", "server"))); m2["run_id"] != m["run_id"] {
		t.Errorf("run_id changed: %s then %s", m["run_id"], m2["run_id"])
	}
}

// TestInfoStatsMatchRedis: after the same command sequence the counters
// Redis users watch have the same values; keyspace hits and misses are
// checked command by command.
func TestInfoStatsMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	seq := [][]string{
		{"CONFIG", "RESETSTAT"}, {"SET", "a", "1"}, {"GET", "a"}, {"GET", "nope"}, {"MGET", "a", "nope", "a"}, {"EXISTS", "a", "nope"},
		{"TYPE", "a"}, {"TYPE", "nope"}, {"TTL", "a"}, {"STRLEN", "a"}, {"INCR", "a"}, {"APPEND", "a", "x"}, {"GETRANGE", "nope", "0", "1"},
		{"SCAN", "0"}, {"KEYS", "*"}, {"RANDOMKEY"}, {"NOSUCHCMD"}, {"GET"}, {"INCR", "a"}, {"SET", "x", "1", "PX", "1"},
		{"DEBUG", "SLEEP", "0.01"}, {"GET", "x"}, {"OBJECT", "ENCODING", "a"}, {"GETDEL", "a"}, {"GETEX", "nope"},
		{"SET", "s", "abc"}, {"INCR", "s"}, {"SET", "k", "v", "EX", "0"}, {"MULTI"}, {"GET"}, {"EXEC"},
	}
	stats := func(addr string) map[string]string {
		c := dialRaw(t, addr)
		for _, cmd := range seq {
			c.do(cmd...)
		}
		return infoFields(infoBody(c.do("INFO", "everything")))
	}
	got, want := stats(tandem.Addr()), stats(ref.Addr())
	for _, f := range []string{"expired_keys", "total_error_replies", "errorstat_ERR", "errorstat_EXECABORT", "cmdstat_get", "cmdstat_mget", "cmdstat_incr", "cmdstat_set", "cmdstat_exec"} {
		g, w := got[f], want[f]
		if strings.HasPrefix(f, "cmdstat_") { // usec values differ
			re := regexp.MustCompile(`usec=\d+,usec_per_call=[\d.]+`)
			g, w = re.ReplaceAllString(g, "usec"), re.ReplaceAllString(w, "usec")
		}
		if g != w {
			t.Errorf("%s: tandem %q, redis %q", f, g, w)
		}
	}
	// Hits and misses, one command at a time.
	td, rd := dialRaw(t, tandem.Addr()), dialRaw(t, ref.Addr())
	// Known: Tandem's write lookups count hits and misses.
	var writeBugs []string
	writes := map[string]bool{"INCR": true, "APPEND": true, "SETRANGE": true, "SETBIT": true, "EXPIRE": true, "PERSIST": true,
		"RENAME": true, "DEL": true, "INCRBYFLOAT": true, "DECRBY": true, "MOVE": true, "UNLINK": true}
	for _, cmd := range [][]string{
		{"GET", "a"}, {"GET", "nope"}, {"MGET", "a", "nope", "a"}, {"EXISTS", "a", "nope"}, {"TYPE", "a"}, {"TYPE", "nope"},
		{"TTL", "a"}, {"PTTL", "nope"}, {"EXPIRETIME", "a"}, {"STRLEN", "a"}, {"GETRANGE", "a", "0", "1"}, {"GETBIT", "a", "1"},
		{"BITCOUNT", "a"}, {"BITPOS", "a", "1"}, {"OBJECT", "ENCODING", "a"}, {"OBJECT", "ENCODING", "nope"}, {"GETEX", "a"},
		{"GETDEL", "a"}, {"GETSET", "a", "2"}, {"SET", "a", "3", "GET"}, {"SET", "a", "3"}, {"SETNX", "a", "4"}, {"INCR", "n"},
		{"INCR", "n"}, {"APPEND", "a", "x"}, {"SETRANGE", "a", "0", "y"}, {"SETBIT", "a", "1", "1"}, {"EXPIRE", "a", "100"},
		{"PERSIST", "a"}, {"RENAME", "a", "b"}, {"RENAME", "b", "a"}, {"COPY", "a", "c"}, {"DEL", "c", "nope"}, {"TOUCH", "a"},
		{"BITOP", "OR", "d", "a", "nope"}, {"MSETNX", "e", "1"}, {"INCRBYFLOAT", "f", "1"}, {"DECRBY", "n", "1"}, {"MOVE", "a", "1"},
		{"SCAN", "0"}, {"KEYS", "*"}, {"RANDOMKEY"}, {"DBSIZE"}, {"UNLINK", "e"},
	} {
		for _, c := range []*rawConn{td, rd} {
			c.do("CONFIG", "RESETSTAT")
		}
		td.do(cmd...)
		rd.do(cmd...)
		g := infoFields(infoBody(td.do("INFO", "stats")))
		w := infoFields(infoBody(rd.do("INFO", "stats")))
		if g["keyspace_hits"] != w["keyspace_hits"] || g["keyspace_misses"] != w["keyspace_misses"] {
			if writes[cmd[0]] {
				writeBugs = append(writeBugs, strings.Join(cmd, " "))
				continue
			}
			t.Errorf("%v: tandem hits/misses %s/%s, redis %s/%s", cmd, g["keyspace_hits"], g["keyspace_misses"], w["keyspace_hits"], w["keyspace_misses"])
		}
	}
	t.Run("write_commands", func(t *testing.T) {
		if len(writeBugs) > 0 {
			t.Fatalf("write commands must not count keyspace_hits/misses (Redis's lookupKeyWrite does not): %s", strings.Join(writeBugs, ", "))
		}
	})
}

// TestTimeAndLastsave: TIME is [seconds, microseconds] as bulk strings
// close to the clock; LASTSAVE is the start time when nothing was saved.
func TestTimeAndLastsave(t *testing.T) {
	t.Parallel()
	before := time.Now().Unix()
	srv := startTandem(t)
	c := dialRaw(t, srv.Addr())
	raw := c.do("TIME")
	m := regexp.MustCompile(`^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$`).FindStringSubmatch(raw)
	if m == nil {
		t.Fatalf("TIME = %q", raw)
	}
	secs, _ := strconv.ParseInt(m[1], 10, 64)
	usecs, _ := strconv.ParseInt(m[2], 10, 64)
	if d := time.Since(time.Unix(secs, usecs*1000)); d < -time.Second || d > 5*time.Second || usecs >= 1e6 {
		t.Fatalf("TIME %d.%06d is %v off", secs, usecs, d)
	}
	var last int64
	fmt.Sscanf(c.do("LASTSAVE"), ":%d", &last)
	if last < before-1 || last > time.Now().Unix()+1 {
		t.Fatalf("LASTSAVE = %d, started at %d", last, before)
	}
	ctx := ctxFor(t, 5*time.Second)
	ts, err := newClient(t, srv.Addr(), 3).Time(ctx).Result()
	if err != nil || time.Since(ts).Abs() > 5*time.Second {
		t.Fatalf("go-redis TIME = %v, %v", ts, err)
	}
}

// monitorLine normalises a MONITOR line: the timestamp and the client's
// port differ between servers.
var monitorRe = regexp.MustCompile(`^\+\d{10}\.\d{6} \[(\d+) (127\.0\.0\.1:\d+|lua|unix:.*)\] (.*)\r\n$`)

// TestMonitorMatchesRedis: MONITOR shows the same lines (quoting, escapes,
// hidden commands) as Redis.
func TestMonitorMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	cmds := [][]string{
		{"SET", "k", "a b"}, {"GET", "k"}, {"SET", "bin", "\x00\x01\xff\"\\\n"}, {"SELECT", "3"}, {"INCR", "n"},
		{"CONFIG", "GET", "hz"}, {"AUTH", "x"}, {"HELLO", "2"}, {"HELLO", "2", "AUTH", "default", "pw", "SETNAME", "mon"},
		{"HELLO", "2", "SETNAME", "n2", "AUTH", "default", "pw"}, {"DEBUG", "SLEEP", "0"}, {"NOSUCH", "x"}, {"GET"},
		{"MULTI"}, {"SET", "m", "1"}, {"EXEC"}, {"PING"}, {"ECHO", "done"},
	}
	run := func(addr string) []string {
		mon := dialRaw(t, addr)
		if got := mon.do("MONITOR"); got != "+OK\r\n" {
			t.Fatalf("MONITOR: %q", got)
		}
		c := dialRaw(t, addr)
		for _, cmd := range cmds {
			c.do(cmd...)
		}
		var out []string
		for {
			line := mon.read()
			sm := monitorRe.FindStringSubmatch(line)
			if sm == nil {
				t.Fatalf("MONITOR line %q", line)
			}
			out = append(out, sm[1]+" "+sm[3])
			if strings.Contains(line, `"ECHO" "done"`) {
				return out
			}
		}
	}
	got, want := run(tandem.Addr()), run(ref.Addr())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("MONITOR output:\ntandem:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestMonitorIsPerClientAndStops: several monitors each get the stream;
// a closed monitor does not disturb the server.
func TestMonitorIsPerClientAndStops(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	m1, m2 := dialRaw(t, srv.Addr()), dialRaw(t, srv.Addr())
	m1.do("MONITOR")
	m2.do("MONITOR")
	c := dialRaw(t, srv.Addr())
	c.do("SET", "a", "1")
	for _, m := range []*rawConn{m1, m2} {
		if l := m.read(); !strings.HasSuffix(l, `"SET" "a" "1"`+"\r\n") {
			t.Fatalf("monitor got %q", l)
		}
	}
	m1.c.Close()
	for i := 0; i < 100; i++ {
		c.do("SET", "a", strconv.Itoa(i))
	}
	for i := 0; i < 100; i++ {
		if l := m2.read(); !strings.HasSuffix(l, fmt.Sprintf(`"SET" "a" "%d"`+"\r\n", i)) {
			t.Fatalf("monitor 2 line %d: %q", i, l)
		}
	}
	// A monitoring client can still QUIT (its +OK may be interleaved with
	// the stream, so only the close is checked).
	m2.send(encode("QUIT"))
	m2.expectClosed(5 * time.Second)
}

// TestShutdownExitsTheProcess: SHUTDOWN [NOSAVE|SAVE] closes the caller
// without a reply and the process exits with status 0; SIGTERM too.
func TestShutdownExitsTheProcess(t *testing.T) {
	t.Parallel()
	for _, variant := range [][]string{{"SHUTDOWN"}, {"SHUTDOWN", "NOSAVE"}, {"SHUTDOWN", "SAVE"}, {"shutdown", "nosave", "now", "force"}} {
		t.Run(strings.Join(variant, "_"), func(t *testing.T) {
			srv := startTandem(t)
			other := dialRaw(t, srv.Addr())
			other.do("SET", "k", "v")
			c := dialRaw(t, srv.Addr())
			c.send(encode(variant...))
			if rest := c.expectClosed(10 * time.Second); rest != "" {
				t.Fatalf("reply to %v: %q", variant, rest)
			}
			if !srv.WaitExit(10 * time.Second) {
				t.Fatalf("%v: process still running", variant)
			}
			if code := srv.Cmd.ProcessState.ExitCode(); code != 0 {
				t.Fatalf("%v: exit status %d\n%s", variant, code, srv.LogText())
			}
			other.expectClosed(5 * time.Second)
			// save "" is configured: only SHUTDOWN SAVE writes a dump.
			_, err := os.Stat(filepath.Join(srv.Dir, "dump.rdb"))
			if saved, want := err == nil, strings.EqualFold(variant[len(variant)-1], "SAVE"); saved != want {
				t.Errorf("%v: dump.rdb written = %v, want %v", variant, saved, want)
			}
			if log := srv.LogText(); !strings.Contains(log, "User requested shutdown...") || !strings.Contains(log, "ready to exit, bye bye...") {
				t.Errorf("log lacks the shutdown lines:\n%s", log)
			}
		})
	}
	t.Run("SIGTERM", func(t *testing.T) {
		srv := startTandem(t)
		srv.Cmd.Process.Signal(syscall.SIGTERM)
		if !srv.WaitExit(10 * time.Second) {
			t.Fatal("still running after SIGTERM")
		}
		if code := srv.Cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("exit status %d", code)
		}
		if log := srv.LogText(); !strings.Contains(log, "Received SIGTERM scheduling shutdown...") {
			t.Errorf("log:\n%s", log)
		}
	})
	t.Run("errors", func(t *testing.T) {
		srv := startTandem(t)
		ref := startRedis(t)
		for _, args := range [][]string{{"SHUTDOWN", "FOO"}, {"SHUTDOWN", "ABORT"}, {"SHUTDOWN", "NOSAVE", "SAVE", "x"}} {
			if got, want := dialRaw(t, srv.Addr()).do(args...), dialRaw(t, ref.Addr()).do(args...); got != want {
				t.Errorf("%v: tandem %q redis %q", args, got, want)
			}
		}
		if srv.Exited() {
			t.Fatal("a refused SHUTDOWN stopped the server")
		}
	})
}

// slowlogShape normalises SLOWLOG GET entries: ids, times and durations
// and the client port differ between servers.
func slowlogShape(raw string) string {
	raw = regexp.MustCompile(`\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n`).ReplaceAllString(raw, "*6\r\nID TIME DUR\r\n")
	return regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(raw, "ADDR")
}

// TestSlowlogMatchesRedis: with slowlog-log-slower-than 0 every command
// is logged, arguments are truncated like Redis's, and LEN/RESET and
// slowlog-max-len behave the same.
func TestSlowlogMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	many := []string{"MSET"}
	for i := 0; i < 40; i++ {
		many = append(many, fmt.Sprintf("k%d", i), "v")
	}
	steps := [][]string{
		{"CONFIG", "SET", "slowlog-log-slower-than", "0"}, {"SLOWLOG", "RESET"}, {"CLIENT", "SETNAME", "slowcli"},
		{"SET", "long", strings.Repeat("x", 300)}, many, {"GET", "long"}, {"SLOWLOG", "LEN"}, {"SLOWLOG", "GET", "3"},
		{"SLOWLOG", "GET", "-1"}, {"SLOWLOG", "GET", "0"}, {"SLOWLOG", "GET"},
		// A script's calls are logged too, by a client without an
		// address or a name.
		{"SLOWLOG", "RESET"}, {"EVAL", "redis.call('incr', KEYS[1]) return 1", "1", "n"}, {"SLOWLOG", "GET"},
		{"CONFIG", "SET", "slowlog-max-len", "2"},
		{"PING"}, {"SLOWLOG", "LEN"}, {"CONFIG", "RESETSTAT"}, {"SLOWLOG", "LEN"}, // RESETSTAT keeps the log
		{"SLOWLOG", "RESET"}, {"SLOWLOG", "LEN"}, {"CONFIG", "SET", "slowlog-log-slower-than", "-1"},
		{"PING"}, {"SLOWLOG", "LEN"}, {"EXEC"}, {"SLOWLOG", "HELP"},
	}
	td, rd := dialRaw(t, tandem.Addr()), dialRaw(t, ref.Addr())
	for _, s := range steps {
		got, want := slowlogShape(td.do(s...)), slowlogShape(rd.do(s...))
		if s[0] == "SLOWLOG" && len(s) > 1 && s[1] == "HELP" {
			continue
		}
		if got != want {
			t.Errorf("%.60q:\ntandem %q\nredis  %q", s, trunc(got), trunc(want))
		}
	}
}

// TestConfigGetSetRewriteResetstat covers CONFIG end to end: GET with
// several patterns, multi-parameter SET that applies all or nothing,
// REWRITE into the file the server was started with, RESETSTAT.
func TestConfigGetSetRewriteResetstat(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	conf := filepath.Join(dir, "tandem.conf")
	orig := "# my settings\nmaxmemory-samples 10\n\n# keep this comment\ntimeout 0\n"
	if err := os.WriteFile(conf, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startTandemWithConfig(t, conf)
	ctx := ctxFor(t, 20*time.Second)
	c := newClient(t, srv.Addr(), 3)
	cfg, err := c.ConfigGet(ctx, "maxmemory-samples").Result()
	if err != nil || cfg["maxmemory-samples"] != "10" {
		t.Fatalf("maxmemory-samples from file = %v, %v", cfg, err)
	}
	several, err := c.Do(ctx, "CONFIG", "GET", "timeout", "hz", "maxmemory-p*").Result()
	if m, ok := several.(map[any]any); err != nil || !ok || len(m) != 3 || m["hz"] != "10" {
		t.Fatalf("CONFIG GET several patterns = %v, %v", several, err)
	}
	all, err := c.ConfigGet(ctx, "*").Result()
	if err != nil || len(all) < 100 {
		t.Fatalf("CONFIG GET * returned %d parameters, %v", len(all), err)
	}
	// All or nothing.
	err = c.Do(ctx, "CONFIG", "SET", "hz", "20", "maxmemory-samples", "notanumber").Err()
	if err == nil {
		t.Fatal("CONFIG SET with a bad value succeeded")
	}
	if v, _ := c.ConfigGet(ctx, "hz").Result(); v["hz"] != "10" {
		t.Fatalf("failed CONFIG SET applied hz=%s", v["hz"])
	}
	if err := c.Do(ctx, "CONFIG", "SET", "hz", "20", "maxmemory-samples", "20", "slowlog-max-len", "7").Err(); err != nil {
		t.Fatal(err)
	}
	if info, _ := c.Info(ctx, "server").Result(); infoFields(info)["hz"] != "20" {
		t.Fatalf("INFO hz after CONFIG SET: %s", infoFields(info)["hz"])
	}
	if info, _ := c.Info(ctx, "server").Result(); infoFields(info)["config_file"] != conf {
		t.Fatalf("config_file = %q", infoFields(info)["config_file"])
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(conf)
	text := string(b)
	for _, want := range []string{"# my settings", "# keep this comment", "maxmemory-samples 20", "hz 20", "slowlog-max-len 7"} {
		if !strings.Contains(text, want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "maxmemory-samples 10") {
		t.Errorf("old value kept:\n%s", text)
	}
	// The rewritten file starts a server with the same settings.
	srv2 := startTandemWithConfig(t, conf)
	c2 := newClient(t, srv2.Addr(), 2)
	v, _ := c2.ConfigGet(ctx, "hz").Result()
	if v["hz"] != "20" {
		t.Fatalf("restart from rewritten file: hz = %q", v["hz"])
	}
	// RESETSTAT clears the counters.
	for i := 0; i < 10; i++ {
		c.Get(ctx, "x")
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	info, _ := c.Info(ctx, "stats", "commandstats").Result()
	m := infoFields(info)
	if n, _ := strconv.Atoi(m["total_commands_processed"]); n > 2 || m["keyspace_misses"] != "0" || m["cmdstat_get"] != "" {
		t.Fatalf("after RESETSTAT: total_commands_processed=%s keyspace_misses=%s cmdstat_get=%q", m["total_commands_processed"], m["keyspace_misses"], m["cmdstat_get"])
	}
}

// startTandemWithConfig starts the binary with a config file first, as
// redis-server takes it (testutil's own arguments come after and win).
func startTandemWithConfig(t *testing.T, conf string, args ...string) *testutil.Proc {
	t.Helper()
	return startServerFile(t, testutil.Binary(t), conf, args...)
}

// TestCommandIntrospectionMatchesRedis: COUNT, LIST and the table agree;
// every command Tandem has has Redis's arity and key positions.
func TestCommandIntrospectionMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	ctx := ctxFor(t, 20*time.Second)
	tc, rc := newClient(t, tandem.Addr(), 2), newClient(t, ref.Addr(), 2)
	list, err := tc.Do(ctx, "COMMAND", "LIST").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	// LIST names subcommands too ("config|get"), as Redis's does; COUNT
	// counts commands.
	list = slices.DeleteFunc(list, func(n string) bool { return strings.Contains(n, "|") })
	count, _ := tc.Do(ctx, "COMMAND", "COUNT").Int()
	if count != len(list) {
		t.Fatalf("COMMAND COUNT %d, LIST %d", count, len(list))
	}
	all, err := tc.Do(ctx, "COMMAND").Slice()
	if err != nil || len(all) != count {
		t.Fatalf("COMMAND returned %d entries, %v", len(all), err)
	}
	type info struct{ arity, first, last, step int64 }
	get := func(c *redis.Client, names []string) map[string]info {
		out := map[string]info{}
		args := []any{"COMMAND", "INFO"}
		for _, n := range names {
			args = append(args, n)
		}
		res, err := c.Do(ctx, args...).Slice()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res {
			f, ok := e.([]any)
			if !ok {
				continue
			}
			out[f[0].(string)] = info{f[1].(int64), f[3].(int64), f[4].(int64), f[5].(int64)}
		}
		return out
	}
	mine, theirs := get(tc, list), get(rc, list)
	var names []string
	for n := range mine {
		names = append(names, n)
	}
	sort.Strings(names)
	known := map[string]bool{"object": true, "zdiffstore": true, "zinterstore": true, "zunionstore": true}
	var bugs []string
	for _, n := range names {
		r, ok := theirs[n]
		if !ok {
			t.Errorf("COMMAND lists %q, which Redis 7.0 does not have", n)
			continue
		}
		if mine[n] != r {
			if known[n] {
				bugs = append(bugs, fmt.Sprintf("%s %+v (redis %+v)", n, mine[n], r))
				continue
			}
			t.Errorf("COMMAND INFO %s: tandem %+v, redis %+v", n, mine[n], r)
		}
	}
	t.Run("known_key_positions", func(t *testing.T) {
		if len(bugs) > 0 {
			t.Fatalf("COMMAND INFO key positions differ from Redis 7.0's legacy triple: %s", strings.Join(bugs, "; "))
		}
	})
	// COMMAND DOCS is a map name → doc map with a summary.
	docs, err := tc.Do(ctx, "COMMAND", "DOCS", "get", "nosuch").Result()
	if err != nil {
		t.Fatal(err)
	}
	var get0 any
	switch d := docs.(type) {
	case []any:
		if len(d) != 2 || d[0] != "get" {
			t.Fatalf("COMMAND DOCS = %v", d)
		}
		get0 = d[1]
	case map[any]any:
		get0 = d["get"]
	}
	if !strings.Contains(fmt.Sprint(get0), "summary") {
		t.Fatalf("COMMAND DOCS get = %v", get0)
	}
}
