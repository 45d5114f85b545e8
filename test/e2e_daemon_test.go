package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// logLineRe is Redis's log line: "pid:role dd Mon yyyy hh:mm:ss.mmm <level> message".
var logLineRe = regexp.MustCompile(`^(\d+):([MCSX]) (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) ([.\-*#]) (.+)$`)

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestDaemonizeWithPidfileAndLogfile: with daemonize yes the parent exits
// at once; the pidfile names a live process in its own session that
// answers PING; the logfile has Redis's start-up lines and format; SHUTDOWN
// makes it go away and removes the pidfile.
func TestDaemonizeWithPidfileAndLogfile(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t)
	dir := t.TempDir()
	port := testutil.FreePort(t)
	pidfile := filepath.Join(dir, "tandem.pid")
	logfile := filepath.Join(dir, "tandem.log")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin, "--daemonize", "yes", "--pidfile", pidfile, "--logfile", logfile,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("parent: %v\n%s", err, out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("parent took %v to exit", d)
	}
	var pid int
	testutil.Eventually(t, 10*time.Second, "pidfile", func() bool {
		b, err := os.ReadFile(pidfile)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	t.Cleanup(func() {
		// Only the process this test started, by its pid.
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if pid == cmd.Process.Pid {
		t.Fatalf("pidfile holds the parent's pid %d", pid)
	}
	if !alive(pid) {
		t.Fatalf("pid %d from the pidfile is not running", pid)
	}
	if err := testutil.WaitPing(fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, fmt.Sprintf("127.0.0.1:%d", port))
	if got := c.do("INFO", "server"); !strings.Contains(got, fmt.Sprintf("process_id:%d\r\n", pid)) {
		t.Fatalf("INFO process_id is not the pidfile's %d", pid)
	}
	// Detached: a session of its own.
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		if len(f) > 3 && f[3] != strconv.Itoa(pid) {
			t.Errorf("daemon session id %s, want its own (%d)", f[3], pid)
		}
	}
	testutil.Eventually(t, 5*time.Second, "Ready to accept connections in the logfile", func() bool {
		return fileContains(logfile, "Ready to accept connections")
	})
	b, _ := os.ReadFile(logfile)
	log := string(b)
	for _, want := range []string{fmt.Sprintf("Port: %d", port), fmt.Sprintf("PID: %d", pid)} {
		if !strings.Contains(log, want) {
			t.Errorf("logfile lacks %q:\n%s", want, log)
		}
	}
	lines := 0
	now := time.Now()
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		m := logLineRe.FindStringSubmatch(l)
		if m == nil {
			continue // the banner's lines
		}
		lines++
		if m[1] != strconv.Itoa(pid) {
			t.Errorf("log line with pid %s, want %d: %q", m[1], pid, l)
		}
		ts, err := time.ParseInLocation("02 Jan 2006 15:04:05.000", fmt.Sprintf("%s %s %s %s:%s:%s.%s", m[3], m[4], m[5], m[6], m[7], m[8], m[9]), time.Local)
		if err != nil || ts.Sub(now).Abs() > time.Hour {
			t.Errorf("log line time %q: %v", l, err)
		}
	}
	if lines < 3 {
		t.Errorf("only %d lines in Redis's log format:\n%s", lines, log)
	}
	if !regexp.MustCompile(`(?m)^\d+:M \d{2} [A-Z][a-z]{2} \d{4} [\d:.]+ \* Ready to accept connections`).MatchString(log) {
		t.Errorf("no '* Ready to accept connections' notice line from the master:\n%s", log)
	}

	c.send(encode("SHUTDOWN", "NOSAVE"))
	c.expectClosed(10 * time.Second)
	testutil.Eventually(t, 10*time.Second, "the daemon to exit", func() bool { return !alive(pid) || isZombie(pid) })
	testutil.Eventually(t, 5*time.Second, "the pidfile to be removed", func() bool {
		_, err := os.Stat(pidfile)
		return os.IsNotExist(err)
	})
	if b, _ := os.ReadFile(logfile); !strings.Contains(string(b), "ready to exit, bye bye") {
		t.Errorf("no shutdown lines in the logfile:\n%s", b)
	}
}

// isZombie reports whether pid has exited but not been reaped yet.
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	return len(f) > 0 && f[0] == "Z"
}

// TestForegroundLogMatchesRedisFormat: without a logfile the same format
// goes to standard output, banner included.
func TestForegroundLogMatchesRedisFormat(t *testing.T) {
	t.Parallel()
	srv := testutil.StartTandem(t)
	testutil.Eventually(t, 5*time.Second, "Ready to accept connections", func() bool {
		return strings.Contains(srv.LogText(), "Ready to accept connections")
	})
	log := srv.LogText()
	pid := srv.Cmd.Process.Pid
	for _, want := range []string{fmt.Sprintf("Port: %d", srv.Port), fmt.Sprintf("PID: %d", pid)} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if logLineRe.MatchString(l) {
			n++
		}
	}
	if n < 3 {
		t.Errorf("log has %d lines in Redis's format:\n%s", n, log)
	}
}
