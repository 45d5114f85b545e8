package test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cli runs redis-cli against port with a bounded time and returns its
// output and exit code. stdin may be nil.
func cli(t *testing.T, port int, timeout time.Duration, stdin []byte, args ...string) (string, int) {
	t.Helper()
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-p", strconv.Itoa(port)}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("redis-cli %v did not finish within %v:\n%s", args, timeout, out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return string(out), code
}

// TestRedisCLICommandsMatchRedis runs redis-cli non-interactively for many
// commands against Tandem and Redis and compares what it prints.
func TestRedisCLICommandsMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	cmds := [][]string{
		{"PING"}, {"PING", "hello"}, {"ECHO", "a b"}, {"SET", "k", "v"}, {"GET", "k"}, {"GET", "nope"}, {"INCR", "n"},
		{"INCRBY", "n", "10"}, {"INCRBYFLOAT", "f", "1.5"}, {"MSET", "a", "1", "b", "2"}, {"MGET", "a", "b", "nope"},
		{"APPEND", "k", "x"}, {"STRLEN", "k"}, {"GETRANGE", "k", "0", "0"}, {"SETRANGE", "k", "1", "Z"}, {"GETSET", "k", "w"},
		{"GETDEL", "k"}, {"SET", "t", "v", "EX", "100"}, {"TTL", "t"}, {"PERSIST", "t"}, {"TTL", "t"}, {"EXPIRE", "t", "50", "GT"},
		{"EXISTS", "a", "b", "nope"}, {"TYPE", "a"}, {"TYPE", "nope"}, {"RENAME", "a", "a2"}, {"RENAMENX", "b", "a2"},
		{"COPY", "a2", "a3"}, {"DEL", "a3", "nope"}, {"UNLINK", "b"}, {"KEYS", "a*"}, {"DBSIZE"}, {"SCAN", "0", "MATCH", "zz*"},
		{"SETBIT", "bits", "7", "1"}, {"GETBIT", "bits", "7"}, {"BITCOUNT", "bits"}, {"BITPOS", "bits", "1"},
		{"BITOP", "NOT", "nb", "bits"}, {"OBJECT", "ENCODING", "n"}, {"SELECT", "1"}, {"SWAPDB", "0", "1"}, {"DBSIZE"},
		{"SWAPDB", "0", "1"}, {"FLUSHDB"}, {"NOSUCHCOMMAND", "x"}, {"GET"}, {"SET", "k", "v", "NX", "XX"},
		{"CONFIG", "GET", "maxmemory"}, {"CONFIG", "SET", "maxmemory", "abc"}, {"CLIENT", "GETNAME"}, {"HELLO", "4"},
		{"AUTH", "x"}, {"PUBLISH", "ch", "m"}, {"PUBSUB", "NUMSUB", "ch"}, {"COMMAND", "GETKEYS", "SET", "a", "b"},
		{"SET", "multi\nline", "va\"lue"}, {"GET", "multi\nline"}, {"SET", "bin", "\x00\x01\xff"}, {"GET", "bin"},
		{"FLUSHALL"}, {"RANDOMKEY"},
	}
	for _, flags := range [][]string{nil, {"--raw"}, {"-3"}, {"--no-raw"}, {"--csv"}} {
		for _, cmd := range cmds {
			args := append(append([]string{}, flags...), cmd...)
			got, gc := cli(t, tandem.Port, 20*time.Second, nil, args...)
			want, wc := cli(t, ref.Port, 20*time.Second, nil, args...)
			if (got != want && !ttlWithinASecond(cmd, got, want)) || gc != wc {
				t.Errorf("redis-cli %q:\ntandem %q (exit %d)\nredis  %q (exit %d)", args, got, gc, want, wc)
			}
		}
	}
}

// TestRedisCLIOptions: -n selects a database, -a authenticates, commands
// come from stdin without a tty, and -r repeats.
func TestRedisCLIOptions(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--requirepass", "pw")
	if out, _ := cli(t, srv.Port, 10*time.Second, nil, "GET", "k"); !strings.Contains(out, "NOAUTH Authentication required.") {
		t.Fatalf("without -a: %q", out)
	}
	if out, _ := cli(t, srv.Port, 10*time.Second, nil, "-a", "wrong", "--no-auth-warning", "PING"); !strings.Contains(out, "WRONGPASS") {
		t.Fatalf("-a wrong: %q", out)
	}
	auth := []string{"-a", "pw", "--no-auth-warning"}
	if out, _ := cli(t, srv.Port, 10*time.Second, nil, append(auth, "-n", "3", "SET", "k", "db3")...); out != "OK\n" {
		t.Fatalf("-n 3 SET: %q", out)
	}
	if out, _ := cli(t, srv.Port, 10*time.Second, nil, append(auth, "-n", "3", "GET", "k")...); out != "db3\n" {
		t.Fatalf("-n 3 GET: %q", out)
	}
	if out, _ := cli(t, srv.Port, 10*time.Second, nil, append(auth, "GET", "k")...); out != "\n" {
		t.Fatalf("db 0 GET: %q", out)
	}
	if out, _ := cli(t, srv.Port, 10*time.Second, nil, append(auth, "-r", "5", "INCR", "ctr")...); out != "1\n2\n3\n4\n5\n" {
		t.Fatalf("-r 5 INCR: %q", out)
	}
	// Commands on stdin, no tty: redis-cli reads them line by line (and
	// asks COMMAND DOCS first, which must not break it).
	script := "SET a 1\nINCR a\nGET a\nSELECT 2\nSET b x\nGET b\nHELLO 3\nGET nope\n"
	out, code := cli(t, srv.Port, 10*time.Second, []byte(script), auth...)
	if code != 0 || out != "OK\n2\n2\nOK\nOK\nx\n" && !strings.HasPrefix(out, "OK\n2\n2\nOK\nOK\nx\n") {
		t.Fatalf("stdin script: exit %d %q", code, out)
	}
	// -x sends stdin as the last argument.
	if out, _ := cli(t, srv.Port, 10*time.Second, []byte("from stdin"), append(auth, "-x", "SET", "xk")...); out != "OK\n" {
		t.Fatalf("-x: %q", out)
	}
	if out, _ := cli(t, srv.Port, 10*time.Second, nil, append(auth, "GET", "xk")...); out != "from stdin\n" {
		t.Fatalf("GET xk: %q", out)
	}
}

// TestRedisCLIModes: --scan, --bigkeys, --stat, --latency, --pipe and
// the help built from COMMAND DOCS run without errors.
func TestRedisCLIModes(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 30*time.Second)
	c := newClient(t, srv.Addr(), 2)
	fillKeys(t, ctx, c, "small", 300, 0)
	c.Set(ctx, "the-biggest", strings.Repeat("x", 5000), 0)

	out, code := cli(t, srv.Port, 20*time.Second, nil, "--scan")
	if code != 0 || len(strings.Fields(out)) != 301 {
		t.Fatalf("--scan: exit %d, %d keys", code, len(strings.Fields(out)))
	}
	out, code = cli(t, srv.Port, 20*time.Second, nil, "--scan", "--pattern", "small:1*")
	if code != 0 || len(strings.Fields(out)) != 111 {
		t.Fatalf("--scan --pattern: exit %d, %d keys", code, len(strings.Fields(out)))
	}

	out, code = cli(t, srv.Port, 20*time.Second, nil, "--bigkeys")
	if code != 0 || strings.Contains(out, "Error") || strings.Contains(out, "ERR") {
		t.Fatalf("--bigkeys: exit %d\n%s", code, out)
	}
	for _, want := range []string{"Sampled 301 keys in the keyspace!", `Biggest string found '"the-biggest"' has 5000 bytes`, "301 strings with"} {
		if !strings.Contains(out, want) {
			t.Errorf("--bigkeys output lacks %q:\n%s", want, out)
		}
	}

	// --latency without a tty prints one "min max avg samples" line.
	out, code = cli(t, srv.Port, 20*time.Second, nil, "--latency")
	if code != 0 || !regexp.MustCompile(`^\d+ \d+ [\d.]+ \d+\n$`).MatchString(out) {
		t.Fatalf("--latency: exit %d %q", code, out)
	}

	// --stat runs until stopped; stdbuf makes its lines visible at once.
	if _, err := exec.LookPath("stdbuf"); err == nil {
		bin, _ := exec.LookPath("redis-cli")
		ctx2, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		cmd := exec.CommandContext(ctx2, "stdbuf", "-oL", bin, "-p", strconv.Itoa(srv.Port), "--stat", "-i", "0.3")
		out, _ := cmd.CombinedOutput()
		s := string(out)
		if !strings.Contains(s, "------- data ------") || strings.Contains(s, "Error") ||
			!regexp.MustCompile(`(?m)^301 +[\d.]+[BKMG] +\d+ +0 +\d+ \(\+\d+\) +\d+`).MatchString(s) {
			t.Fatalf("--stat output:\n%s", s)
		}
	}

	// --pipe: mass insertion of raw protocol.
	var buf bytes.Buffer
	for i := 0; i < 1000; i++ {
		buf.Write(encode("SET", fmt.Sprintf("piped:%d", i), strconv.Itoa(i)))
	}
	buf.WriteString("GET piped:5\r\n")
	out, code = cli(t, srv.Port, 30*time.Second, buf.Bytes(), "--pipe")
	if code != 0 || !strings.Contains(out, "errors: 0, replies: 1001") {
		t.Fatalf("--pipe: exit %d\n%s", code, out)
	}
	if n, _ := c.DBSize(ctx).Result(); n != 1301 {
		t.Fatalf("DBSIZE after --pipe = %d", n)
	}

	// A help lookup uses the COMMAND DOCS reply.
	out, code = cli(t, srv.Port, 10*time.Second, []byte("help get\n"))
	if code != 0 || strings.Contains(out, "Error") {
		t.Fatalf("help: exit %d\n%s", code, out)
	}
}

// TestRedisBenchmarkRunsClean: redis-benchmark's default tests for strings
// complete without errors (it aborts on the first error reply).
func TestRedisBenchmarkRunsClean(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("redis-benchmark not installed")
	}
	srv := startTandem(t)
	for _, args := range [][]string{
		{"-t", "set,get,incr,mset", "-q", "-n", "2000"},
		{"-t", "ping,set,get", "-q", "-n", "2000", "-P", "16", "-c", "4"},
		{"-t", "set,get", "-q", "-n", "1000", "-3", "-r", "100", "-d", "100"},
		{"-q", "-n", "500", "SET", "key:__rand_int__", "__rand_int__"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, append([]string{"-p", strconv.Itoa(srv.Port)}, args...)...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil || strings.Contains(string(out), "Error") || strings.Contains(string(out), "WARNING") {
			t.Fatalf("redis-benchmark %v: %v\n%s", args, err, out)
		}
		if !strings.Contains(string(out), "requests per second") {
			t.Fatalf("redis-benchmark %v printed no results:\n%s", args, out)
		}
	}
	// The counters show the work.
	info := dialRaw(t, srv.Addr()).do("INFO", "commandstats")
	for _, c := range []string{"cmdstat_set:", "cmdstat_get:", "cmdstat_incr:", "cmdstat_mset:", "cmdstat_ping:"} {
		if !strings.Contains(info, c) {
			t.Errorf("INFO commandstats lacks %s", c)
		}
	}
}

// ttlWithinASecond accepts TTL answers a second apart: each redis-cli run
// is a new process, and on a loaded machine more than half a second can
// pass between the SET and the TTL against one server but not the other.
func ttlWithinASecond(cmd []string, got, want string) bool {
	if !strings.EqualFold(cmd[0], "TTL") {
		return false
	}
	digits := func(s string) (int, bool) {
		s = strings.Trim(s, "\n\"(integer) ")
		n, err := strconv.Atoi(s)
		return n, err == nil
	}
	g, ok1 := digits(got)
	w, ok2 := digits(want)
	return ok1 && ok2 && g > 0 && w > 0 && (g-w == 1 || w-g == 1)
}
