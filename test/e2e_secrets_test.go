package test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// secretCommands carry passwords where Redis 7.0 redacts them.
var secretCommands = [][]string{
	{"AUTH", "s3cr3t-1"},
	{"AUTH", "someone", "s3cr3t-2"},
	{"HELLO", "2", "AUTH", "default", "s3cr3t-3"},
	{"HELLO", "2", "SETNAME", "n", "AUTH", "someone", "s3cr3t-4"},
	{"MIGRATE", "127.0.0.1", "1", "k", "0", "100", "AUTH", "s3cr3t-5"},
	{"MIGRATE", "127.0.0.1", "1", "", "0", "100", "COPY", "AUTH2", "someone", "s3cr3t-6", "KEYS", "a", "b"},
	{"CONFIG", "SET", "masterauth", "s3cr3t-7"},
	{"CONFIG", "SET", "masteruser", "s3cr3t-8", "masterauth", "s3cr3t-9"},
	{"config", "set", "MASTERAUTH", "s3cr3t-10", "nosuch", "x"},
	{"MULTI"}, {"AUTH", "s3cr3t-11"}, {"EXEC"},
	// Last: from here on the password is required (this connection stays
	// authenticated).
	{"CONFIG", "SET", "requirepass", "s3cr3t-12"},
}

// TestSlowlogRedactsSecretsLikeRedis: with every command logged, SLOWLOG
// GET shows the same arguments as Redis 7.0, passwords as "(redacted)".
func TestSlowlogRedactsSecretsLikeRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t, "--slowlog-log-slower-than", "0")
	ref := startRedis(t, "--slowlog-log-slower-than", "0")
	for _, addr := range []string{tandem.Addr(), ref.Addr()} {
		if err := testutil.WaitReady(addr, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	run := func(addr string) []string {
		c := dialRaw(t, addr)
		c.do("SLOWLOG", "RESET")
		for _, cmd := range secretCommands {
			c.do(cmd...)
		}
		cl := redis.NewClient(&redis.Options{Addr: addr, Password: "s3cr3t-12", MaxRetries: -1})
		defer cl.Close()
		entries, err := cl.SlowLogGet(ctxFor(t, 10*time.Second), -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i := len(entries) - 1; i >= 0; i-- {
			args := strings.Join(entries[i].Args, " ")
			if first, _, _ := strings.Cut(args, " "); strings.EqualFold(first, "slowlog") || strings.EqualFold(first, "client") ||
				strings.HasPrefix(args, "hello 3 auth") {
				continue // the reset and go-redis's handshake
			}
			out = append(out, args)
		}
		return out
	}
	got, want := run(tandem.Addr()), run(ref.Addr())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("SLOWLOG arguments:\ntandem:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := strings.Join(got, "\n"); strings.Contains(s, "s3cr3t") {
		t.Errorf("a secret reached the slow log:\n%s", s)
	}
}

// TestSecretsNeverRecorded: the slow log and MONITOR never show a
// password, including the failing forms where Redis 7.0 shows one (AUTH
// with too many arguments, HELLO with a bad version, a sensitive setting
// after an unknown one) and the TLS key passwords.
func TestSecretsNeverRecorded(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--slowlog-log-slower-than", "0")
	if err := testutil.WaitReady(srv.Addr(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	mon := dialRaw(t, srv.Addr())
	if got := mon.do("MONITOR"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	c := dialRaw(t, srv.Addr())
	cmds := append([][]string{
		{"AUTH", "someone", "s3cr3t-a", "s3cr3t-b"},
		{"HELLO", "4", "AUTH", "default", "s3cr3t-c"},
		{"HELLO", "3", "AUTH", "s3cr3t-d"},
		{"HELLO", "AUTH", "default", "s3cr3t-j"},
		{"HELLO", "3", "BADOPT", "AUTH", "default", "s3cr3t-e"},
		{"CONFIG", "SET", "nosuch", "x", "requirepass", "s3cr3t-f"},
		{"CONFIG", "SET", "tls-key-file-pass", "s3cr3t-g"},
		{"CONFIG", "SET", "tls-client-key-file-pass", "s3cr3t-h"},
		{"MIGRATE", "127.0.0.1", "1", "k", "0", "100", "AUTH"},
		{"ACL", "SETUSER", "bob", "on", ">s3cr3t-i"},
	}, secretCommands...)
	for _, cmd := range cmds {
		c.do(cmd...)
	}
	c.do("ECHO", "done")
	var lines []string
	for {
		l := mon.read()
		lines = append(lines, l)
		if strings.Contains(l, `"ECHO" "done"`) {
			break
		}
	}
	monitor := strings.Join(lines, "")
	if strings.Contains(monitor, "s3cr3t") {
		t.Errorf("a secret reached MONITOR:\n%s", monitor)
	}
	if !strings.Contains(monitor, `"AUTH" "(redacted)" "(redacted)" "(redacted)"`) ||
		!strings.Contains(monitor, `"HELLO" "4" "AUTH" "(redacted)" "(redacted)"`) {
		t.Errorf("MONITOR lines:\n%s", monitor)
	}
	slow := c.do("SLOWLOG", "GET", "-1")
	if strings.Contains(slow, "s3cr3t") {
		t.Errorf("a secret reached the slow log:\n%s", slow)
	}
	if n := strings.Count(slow, "(redacted)"); n < 20 {
		t.Errorf("%d redacted arguments in the slow log:\n%s", n, slow)
	}
}

// TestRenamedAuthIsStillRedacted: redaction follows the command, not the
// name it was called by (rename-command), in the slow log and MONITOR.
func TestRenamedAuthIsStillRedacted(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--slowlog-log-slower-than", "0", "--rename-command", "AUTH", "login",
		"--rename-command", "CONFIG", "cfg")
	if err := testutil.WaitReady(srv.Addr(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	mon := dialRaw(t, srv.Addr())
	mon.do("MONITOR")
	c := dialRaw(t, srv.Addr())
	c.do("login", "s3cr3t-1")
	c.do("cfg", "SET", "masterauth", "s3cr3t-2")
	if line := mon.read(); !strings.HasSuffix(line, `"login" "(redacted)"`+"\r\n") {
		t.Errorf("MONITOR: %q", line)
	}
	slow := c.do("SLOWLOG", "GET")
	if strings.Contains(slow, "s3cr3t") || strings.Count(slow, "(redacted)") != 2 {
		t.Errorf("SLOWLOG GET:\n%s", slow)
	}
}
