package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// runToExit runs bin with args (no server is expected to come up) and
// returns its combined output and exit code.
func runToExit(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %v did not exit (it should have refused its configuration):\n%s", filepath.Base(bin), args, out)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// fatalBanner extracts the FATAL CONFIG FILE ERROR banner, with the
// server name in its parentheses normalised.
var bannerRe = regexp.MustCompile(`(?s)\*\*\* FATAL CONFIG FILE ERROR \([^)]*\) \*\*\*\n.*`)

// fatalBanner returns the banner with the server's name and version
// ("Redis 7.0.15", "Tandem") replaced, and without trailing newlines
// (see TestConfigErrorBannerHasNoBlankLineAfter).
func fatalBanner(out string) string {
	b := bannerRe.FindString(out)
	b = regexp.MustCompile(`ERROR \([^)]*\)`).ReplaceAllString(b, "ERROR (NAME)")
	return strings.TrimRight(b, "\n")
}

// TestConfigErrorBannerHasNoBlankLineAfter: Redis ends the banner with
// the reason's newline, nothing more.
func TestConfigErrorBannerHasNoBlankLineAfter(t *testing.T) {
	t.Parallel()
	out, code := runToExit(t, testutil.Binary(t), "--port", "abc")
	if code == 0 {
		t.Fatal("accepted --port abc")
	}
	if strings.HasSuffix(out, "\n\n") {
		t.Fatalf("a blank line follows the banner: %q", out)
	}
	if !strings.HasSuffix(out, "argument couldn't be parsed into an integer\n") {
		t.Fatalf("output %q", out)
	}
}

// TestBadConfigFileFatalBanner: a bad config file stops the start with a
// non-zero status and Redis's banner: line number, the line, the reason.
func TestBadConfigFileFatalBanner(t *testing.T) {
	t.Parallel()
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	bin := testutil.Binary(t)
	cases := map[string]string{
		"not_integer":        "# comment\n\nport abc\n",
		"unknown_directive":  "port 0\nnosuchdirective 1\n",
		"out_of_range":       "port 99999\n",
		"bad_enum":           "maxmemory-policy sometimes\n",
		"bad_bool":           "appendonly maybe\n",
		"wrong_arg_count":    "timeout\n",
		"unbalanced_quotes":  "requirepass \"abc\n",
		"databases_zero":     "databases 0\n",
		"bad_memory":         "maxmemory 10zb\n",
		"bad_save":           "save 10\n",
		"after_good_lines":   "port 0\nhz 10\n\n# x\n  loglevel  notice\nloglevel chatty\n",
		"negative_unsigned":  "maxclients -5\n",
		"bad_bind_later_ok":  "hz 10\nmaxmemory-policy allkeys-lru\nlogfile\n",
		"quoted_value_error": "dbfilename \"a/b.rdb\"\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			conf := filepath.Join(t.TempDir(), "bad.conf")
			if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, gcode := runToExit(t, bin, conf, "--port", "0")
			want, wcode := runToExit(t, redisBin, conf, "--port", "0")
			if wcode == 0 {
				t.Fatalf("redis-server accepted %q", text)
			}
			if gcode == 0 {
				t.Fatalf("tandem accepted %q:\n%s", text, got)
			}
			if g, w := fatalBanner(got), fatalBanner(want); g != w {
				t.Errorf("banner:\ntandem %q\nredis  %q", g, w)
			}
		})
	}
}

// TestBadCommandLineFatalBanner: errors in --directive arguments are
// reported like file lines, numbered after the file's.
func TestBadCommandLineFatalBanner(t *testing.T) {
	t.Parallel()
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	bin := testutil.Binary(t)
	conf := filepath.Join(t.TempDir(), "ok.conf")
	os.WriteFile(conf, []byte("hz 10\nport 0\n"), 0o644)
	for _, args := range [][]string{
		{"--port", "abc"}, {conf, "--maxmemory", "lots"}, {conf, "--nosuch", "1"}, {"--hz", "5", "--appendonly", "perhaps"},
	} {
		got, gcode := runToExit(t, bin, args...)
		want, wcode := runToExit(t, redisBin, args...)
		if gcode == 0 || wcode == 0 {
			t.Fatalf("%v: exit codes tandem %d redis %d", args, gcode, wcode)
		}
		if g, w := fatalBanner(got), fatalBanner(want); g != w {
			t.Errorf("%v banner:\ntandem %q\nredis  %q", args, g, w)
		}
	}
}

// TestUnsupportedDirectivesStopStartup: a setting Tandem would silently
// ignore at the expense of security or durability (a memory limit)
// stops the start with Redis's banner naming it, from a file
// or the command line; its default, disabled value starts. CONFIG SET
// refuses it with Redis's CONFIG SET error.
func TestUnsupportedDirectivesStopStartup(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t)
	for _, tc := range []struct {
		file string
		args []string
		want string
	}{
		{"hz 10\nrdb-del-sync-files yes\n", nil, "Reading the configuration file, at line 2\n>>> 'rdb-del-sync-files yes'\nrdb-del-sync-files is not supported by Tandem yet"},
	} {
		conf := filepath.Join(t.TempDir(), "c.conf")
		os.WriteFile(conf, []byte(tc.file), 0o644)
		out, code := runToExit(t, bin, append([]string{conf, "--port", "0"}, tc.args...)...)
		want := "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" + tc.want
		if code == 0 || !strings.Contains(out, want) {
			t.Errorf("%q %v: exit %d, output:\n%s\nwant:\n%s", tc.file, tc.args, code, out, want)
		}
	}
	// TLS is built: asked for without a certificate, start-up stops with
	// Redis's message (e2e_tls_test.go checks the other bad settings).
	for _, args := range [][]string{{"--tls-port", "6390"}, {"--tls-replication", "yes"}} {
		out, code := runToExit(t, bin, append([]string{"--port", "0"}, args...)...)
		if code == 0 || !strings.Contains(out, "No tls-cert-file configured!") || !strings.Contains(out, "Failed to configure TLS. Check logs for more info.") {
			t.Errorf("%v: exit %d, output:\n%s", args, code, out)
		}
	}
	conf := filepath.Join(t.TempDir(), "ok.conf")
	os.WriteFile(conf, []byte("maxmemory 0\nmaxmemory-policy noeviction\ntls-port 0\naclfile \"\"\n"), 0o644)
	srv := startTandemWithConfig(t, conf)
	c := dialRaw(t, srv.Addr())
	for _, tc := range [][]string{
		{"rdb-del-sync-files", "yes", "ERR CONFIG SET failed (possibly related to argument 'rdb-del-sync-files') - rdb-del-sync-files is not supported by Tandem yet"},
		// As Redis without certificates.
		{"tls-port", "6390", "ERR CONFIG SET failed (possibly related to argument 'tls-port') - Unable to update TLS configuration. Check server logs."},
		{"maxmemory", "0", ""},
	} {
		want := "+OK\r\n"
		if tc[2] != "" {
			want = "-" + tc[2] + "\r\n"
		}
		if got := c.do("CONFIG", "SET", tc[0], tc[1]); got != want {
			t.Errorf("CONFIG SET %s %s: %q, want %q", tc[0], tc[1], got, want)
		}
	}
	if got := c.do("CONFIG", "GET", "maxmemory*"); !strings.Contains(got, "maxmemory\r\n$1\r\n0\r\n") || !strings.Contains(got, "noeviction") {
		t.Errorf("CONFIG GET maxmemory* after the refusals: %q", got)
	}
}

// TestMissingConfigFile: Redis's message and a non-zero status.
func TestMissingConfigFile(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.conf")
	out, code := runToExit(t, testutil.Binary(t), missing)
	if code == 0 || !strings.Contains(out, "Fatal error, can't open config file '"+missing+"'") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// TestCommandLineOverridesConfigFile: --directive value pairs apply after
// the file; the file's other settings stay.
func TestCommandLineOverridesConfigFile(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "base.conf")
	os.WriteFile(conf, []byte("hz 5\nproto-max-bulk-len 10mb\nmaxmemory-samples 3\nslowlog-max-len 3\n"), 0o644)
	srv := startTandemWithConfig(t, conf, "--hz", "15", "--maxmemory-samples", "7", "--slowlog-max-len", "99")
	ctx := ctxFor(t, 10*time.Second)
	c := newClient(t, srv.Addr(), 2)
	got, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"hz": "15", "proto-max-bulk-len": "10485760", "maxmemory-samples": "7", "slowlog-max-len": "99", "port": strings.TrimPrefix(srv.Addr(), "127.0.0.1:")} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
}

// TestMultiArgDirectiveInOneCommandLineArgument: Redis 7.0 splits a
// single argument of a multi-argument directive on spaces, so
// --save "3600 1 300 100" and --bind "* -::*" work.
func TestMultiArgDirectiveInOneCommandLineArgument(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t)
	port := testutil.FreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1 -::1", "--save", "3600 1 300 100", "--dir", t.TempDir())
	out, err := startAndQuery(t, cmd, port, "CONFIG", "GET", "save")
	if err != nil {
		t.Fatalf("a multi-argument directive given as one command-line argument must be split as Redis 7.0 does: %v\n%s", err, out)
	}
	if !strings.Contains(out, "3600 1 300 100") {
		t.Fatalf("CONFIG GET save = %q", out)
	}
}

// startAndQuery starts cmd, waits (bounded) for it to answer on port,
// sends one command and returns the raw reply (or, if it never answered,
// its output); the process is killed before returning.
func startAndQuery(t *testing.T, cmd *exec.Cmd, port int, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	}
	defer stop()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := testutil.WaitPing(addr, 5*time.Second); err != nil {
		stop()
		return out.String(), err
	}
	return dialRaw(t, addr).do(args...), nil
}

// TestProtectedConfigsByConnection: enable-protected-configs decides who
// may CONFIG SET dir and dbfilename: no one with "no", a loopback or unix
// socket client with "local", anyone with "yes" (Redis's rule).
func TestProtectedConfigsByConnection(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ setting, want string }{
		{"no", "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config\r\n"},
		{"local", "+OK\r\n"},
		{"yes", "+OK\r\n"},
	} {
		p := startTandem(t, "--enable-protected-configs", c.setting)
		rc := dialRaw(t, p.Addr())
		if got := rc.do("CONFIG", "SET", "dbfilename", "other.rdb"); got != c.want {
			t.Errorf("enable-protected-configs %s, loopback client: CONFIG SET dbfilename = %q, want %q", c.setting, got, c.want)
		}
	}
}

// TestOOMScoreAdjIsApplied: oom-score-adj sets the process's OOM score
// (Linux), from oom-score-adj-values by role: relative to the score it
// started with, or absolute; "no" puts the starting score back; a replica
// takes the second value (Redis's rules).
func TestOOMScoreAdjIsApplied(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("oom_score_adj is Linux's")
	}
	t.Parallel()
	p := startTandem(t)
	rc := dialRaw(t, p.Addr())
	score := func() int {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", p.Cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	base := score()
	set := func(args ...string) {
		t.Helper()
		if got := rc.do(append([]string{"CONFIG", "SET"}, args...)...); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET %v: %q", args, got)
		}
	}
	set("oom-score-adj-values", "9 19 29")
	if got := score(); got != base {
		t.Fatalf("oom-score-adj no: score %d, want the starting %d", got, base)
	}
	set("oom-score-adj", "yes")
	if got := score(); got != base+9 {
		t.Fatalf("relative, master: score %d, want %d", got, base+9)
	}
	rc.do("REPLICAOF", "127.0.0.1", "1") // a replica (of nothing reachable)
	if got := score(); got != base+19 {
		t.Fatalf("relative, replica: score %d, want %d", got, base+19)
	}
	set("oom-score-adj", "absolute")
	if got := score(); got != 19 {
		t.Fatalf("absolute, replica: score %d, want 19", got)
	}
	rc.do("REPLICAOF", "NO", "ONE")
	if got := score(); got != 9 {
		t.Fatalf("absolute, master: score %d, want 9", got)
	}
	set("oom-score-adj", "no")
	if got := score(); got != base {
		t.Fatalf("back to no: score %d, want the starting %d", got, base)
	}
}
