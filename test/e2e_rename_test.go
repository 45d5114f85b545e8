package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// renameArgs rename CONFIG and remove KEYS, as an operator hardening a
// server would.
var renameArgs = []string{"--rename-command", "CONFIG", "abc123", "--rename-command", "KEYS", ""}

// TestRenameCommandMatchesRedis: after rename-command the old name answers
// the unknown-command error, the new one runs the command (which keeps its
// real name in errors and COMMAND), a removed command is gone from every
// name and from COMMAND — reply for reply as Redis 7.0.
func TestRenameCommandMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t, renameArgs...)
	ref := startRedis(t, renameArgs...)
	for _, addr := range []string{tandem.Addr(), ref.Addr()} {
		if err := testutil.WaitReady(addr, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	cmds := [][]string{
		{"CONFIG", "GET", "hz"}, {"abc123", "GET", "hz"}, {"ABC123", "get", "hz"}, {"KEYS", "*"}, {"keys"},
		{"abc123", "SET"}, {"abc123", "SET", "hz", "abc"}, {"abc123", "SET", "maxmemory-samples", "7"}, {"abc123", "GET", "maxmemory-samples"},
		{"COMMAND", "INFO", "config", "keys"}, {"COMMAND", "DOCS", "config"}, {"COMMAND", "DOCS", "keys"},
		{"COMMAND", "GETKEYS", "abc123", "GET", "x"}, {"COMMAND", "GETKEYS", "KEYS", "*"},
		{"MULTI"}, {"abc123", "GET", "hz"}, {"CONFIG", "GET", "hz"}, {"EXEC"},
		{"MULTI"}, {"abc123", "GET", "hz"}, {"EXEC"},
		// Errors name the container as typed: "Try ABC123 HELP."
		{"abc123", "nope"}, {"abc123", "SET", "hz", "10", "maxmemory"}, {"MULTI"}, {"abc123", "nope"}, {"DISCARD"},
	}
	tc, rc := dialRaw(t, tandem.Addr()), dialRaw(t, ref.Addr())
	for _, cmd := range cmds {
		if got, want := tc.do(cmd...), rc.do(cmd...); got != want {
			t.Errorf("%q:\ntandem %q\nredis  %q", cmd, got, want)
		}
	}
	// The renamed command is listed under its real name; the removed one
	// is not listed.
	for _, c := range []*rawConn{tc, rc} {
		list := c.do("COMMAND", "LIST")
		if !strings.Contains(list, "\r\nconfig\r\n") || strings.Contains(list, "\r\nkeys\r\n") || strings.Contains(list, "abc123") {
			t.Errorf("%s COMMAND LIST: config listed %v, keys %v, abc123 %v", c.addr, strings.Contains(list, "\r\nconfig\r\n"),
				strings.Contains(list, "\r\nkeys\r\n"), strings.Contains(list, "abc123"))
		}
		if info := c.do("COMMAND", "INFO", "abc123"); !strings.HasPrefix(info, "*1\r\n*10\r\n$6\r\nconfig\r\n") {
			t.Errorf("%s COMMAND INFO abc123: %q", c.addr, info[:min(len(info), 40)])
		}
	}
	plain := dialRaw(t, startTandem(t).Addr())
	if got, want := tc.do("COMMAND", "COUNT"), plain.do("COMMAND", "COUNT"); got >= want {
		t.Errorf("COMMAND COUNT with KEYS removed %q, without renames %q", got, want)
	}
}

// TestRenameCommandErrorsMatchRedis: renaming a command that does not
// exist (or no longer does) or onto a name in use stops the start with
// Redis's banner.
func TestRenameCommandErrorsMatchRedis(t *testing.T) {
	t.Parallel()
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	bin := testutil.Binary(t)
	for _, text := range []string{
		"rename-command NOSUCH x\n",
		"hz 10\nrename-command GET SET\n",
		"rename-command GET \"\"\nport 0\nrename-command get x\n",
		"rename-command GET mget2\nrename-command SET get\nrename-command MGET mget2\n",
		"rename-command GET\n",
	} {
		conf := filepath.Join(t.TempDir(), "bad.conf")
		os.WriteFile(conf, []byte(text), 0o644)
		got, gcode := runToExit(t, bin, conf, "--port", "0")
		want, wcode := runToExit(t, redisBin, conf, "--port", "0")
		if gcode == 0 || wcode == 0 {
			t.Fatalf("%q: exit codes tandem %d redis %d\n%s", text, gcode, wcode, got)
		}
		if g, w := fatalBanner(got), fatalBanner(want); g != w {
			t.Errorf("%q banner:\ntandem %q\nredis  %q", text, g, w)
		}
	}
	// A valid chain of renames starts.
	conf := filepath.Join(t.TempDir(), "ok.conf")
	os.WriteFile(conf, []byte("rename-command GET get2\nrename-command SET get\nrename-command get2 set\n"), 0o644)
	srv := startTandemWithConfig(t, conf)
	if err := testutil.WaitReady(srv.Addr(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, srv.Addr())
	if got := c.do("get", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("GET renamed from SET: %q", got)
	}
	if got := c.do("set", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("SET renamed from GET: %q", got)
	}
}

// TestRenamedCommandsReachReplicasAndAOF: what is propagated is the
// command as the client sent it (the new name), as in Redis, and also the
// real names Tandem writes itself (INCRBYFLOAT becomes SET, the SELECT
// and MULTI/EXEC framing). A replica and an AOF reload obey both, even
// for commands renamed away, so no write is lost (Redis 7.0 would refuse
// the real names there and diverge).
func TestRenamedCommandsReachReplicasAndAOF(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*replWait)
	defer cancel()
	hide := []string{"--rename-command", "SET", "myset", "--rename-command", "SELECT", "mysel", "--rename-command", "MULTI", ""}
	master := startReplTandem(t, "master", append([]string{"--appendonly", "yes"}, hide...)...)
	replica := startReplTandem(t, "replica", hide...)
	for _, n := range []*replNode{master, replica} {
		if err := testutil.WaitReady(n.proc.Addr(), 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	replica.replicaOf(t, ctx, master.port())
	waitLinkUp(t, ctx, replica)
	c := dialRaw(t, master.proc.Addr())
	for _, cmd := range [][]string{
		{"mysel", "2"}, {"myset", "k", "v"}, {"INCRBYFLOAT", "f", "1.5"}, {"SET", "x", "y"},
		{"LPUSH", "l", "a", "b"}, {"EXPIRE", "l", "1000"}, {"mysel", "0"}, {"myset", "z", "1"},
	} {
		c.do(cmd...)
	}
	check := func(who string, addr string) {
		t.Helper()
		rc := dialRaw(t, addr)
		for _, q := range []struct {
			cmd  []string
			want string
		}{
			{[]string{"GET", "z"}, "$1\r\n1\r\n"},
			{[]string{"mysel", "2"}, "+OK\r\n"},
			{[]string{"GET", "k"}, "$1\r\nv\r\n"},
			{[]string{"GET", "f"}, "$3\r\n1.5\r\n"},
			{[]string{"EXISTS", "x"}, ":0\r\n"},
			{[]string{"LLEN", "l"}, ":2\r\n"},
		} {
			if got := rc.do(q.cmd...); got != q.want {
				t.Errorf("%s: %q = %q, want %q", who, q.cmd, got, q.want)
			}
		}
		if ttl := rc.do("TTL", "l"); ttl == ":-1\r\n" || ttl == ":-2\r\n" {
			t.Errorf("%s: TTL l = %q", who, ttl)
		}
	}
	waitOffsetsMatch(t, ctx, master, replica)
	check("replica", replica.proc.Addr())
	// The AOF holds the same; a restart with the same renames loads it.
	master.proc.Stop()
	master.proc.Restart(t)
	testutil.Eventually(t, 20*time.Second, "master loaded", func() bool {
		return !strings.HasPrefix(dialRaw(t, master.proc.Addr()).do("PING"), "-LOADING")
	})
	check("master after restart", master.proc.Addr())
}
