// Package testutil starts real Tandem (and Redis) processes for end-to-end
// tests: free loopback ports, bounded waits, and cleanup of only the
// processes a test started.
package testutil

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The binary the tests run is built once per test process and shared by
// every test in it: a cache of the build, not server state.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds ./cmd/tandem once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "tandem-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "tandem")
		args := []string{"build", "-o", binPath}
		if RaceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/tandem")
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// FreePort returns a free TCP port on 127.0.0.1 (never 6379).
func FreePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 20; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if p != 6379 {
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

// Proc is a server process started by a test.
type Proc struct {
	Port int
	Dir  string
	Cmd  *exec.Cmd
	Log  string // path of the captured stdout/stderr
	done chan struct{}
}

// Addr is 127.0.0.1:port.
func (p *Proc) Addr() string { return fmt.Sprintf("127.0.0.1:%d", p.Port) }

// StartTandem starts the tandem binary with extra arguments (redis-server
// style) on a free port in a fresh directory, waits until it answers PING,
// and stops it when the test ends.
func StartTandem(t testing.TB, args ...string) *Proc {
	t.Helper()
	return startServer(t, Binary(t), nil, args...)
}

// StartTandemEnv is StartTandem with extra environment variables
// ("NAME=value"), such as TANDEM_CONN_MODE=goroutine.
func StartTandemEnv(t testing.TB, env []string, args ...string) *Proc {
	t.Helper()
	return startServer(t, Binary(t), env, args...)
}

// StartRedis starts Debian's redis-server the same way; the test is skipped
// when it is not installed.
func StartRedis(t testing.TB, args ...string) *Proc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	return startServer(t, bin, nil, args...)
}

func startServer(t testing.TB, bin string, env []string, args ...string) *Proc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p := launch(t, bin, env, args...)
		err := p.waitOwnPing(10 * time.Second)
		if err == nil {
			return p
		}
		// FreePort's port is free when it returns, not when the server
		// binds it: another test's server (or a client's ephemeral port)
		// may take it in between. The server then ends with "address
		// already in use", while the other one answers our PINGs.
		if attempt < 4 && p.Exited() && strings.Contains(p.LogText(), "address already in use") {
			t.Logf("port %d was taken before the server bound it; starting it again on another", p.Port)
			continue
		}
		p.Stop()
		t.Fatalf("server did not start: %v\nlog:\n%s", err, p.LogText())
	}
}

// launch starts bin on a free port in a fresh directory, and stops it
// when the test ends.
func launch(t testing.TB, bin string, env []string, args ...string) *Proc {
	t.Helper()
	dir := t.TempDir()
	port := FreePort(t)
	full := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""}, args...)
	p := &Proc{Port: port, Dir: dir, Log: filepath.Join(dir, "server.log"), done: make(chan struct{})}
	logf, err := os.Create(p.Log)
	if err != nil {
		t.Fatal(err)
	}
	p.Cmd = exec.Command(bin, full...)
	p.Cmd.Dir = dir
	if env != nil {
		p.Cmd.Env = append(os.Environ(), env...)
	}
	p.Cmd.Stdout, p.Cmd.Stderr = logf, logf
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.Cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		// A -race binary reports races on stderr and carries on: fail the
		// test that started it.
		if log := p.LogText(); RaceEnabled && strings.Contains(log, "WARNING: DATA RACE") {
			i := strings.Index(log, "WARNING: DATA RACE")
			t.Errorf("data race in %s:\n%s", filepath.Base(bin), log[i:min(len(log), i+6000)])
		}
	})
	return p
}

// waitOwnPing waits until the port answers PING and the socket listening
// on it is this process's, not another server's that took the port first.
func (p *Proc) waitOwnPing(d time.Duration) error {
	deadline := time.Now().Add(d)
	last := errors.New("no answer yet")
	for time.Now().Before(deadline) {
		if p.Exited() {
			return errors.New("the server exited")
		}
		if err := probeUp(p.Addr()); err != nil {
			last = err
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if ownsListener(p.Cmd.Process.Pid, p.Port) {
			return nil
		}
		last = fmt.Errorf("another process answers on port %d", p.Port)
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no PONG from the server on %s: %v", p.Addr(), last)
}

// probeUp asks addr once whether the server is up: it answers PING (or
// -NOAUTH), or it answers -LOADING while INFO says a load runs (tests
// watch loads from their start). A -LOADING without a load is Tandem's
// start-up finishing (Server.SetStarting), a few milliseconds in which a
// test's first command would be refused: not up yet.
func probeUp(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(conn)
	fmt.Fprintf(conn, "PING\r\n")
	line, err := r.ReadString('\n')
	switch {
	case err != nil:
		return err
	case strings.HasPrefix(line, "+PONG"), strings.HasPrefix(line, "-NOAUTH"):
		return nil
	case !strings.HasPrefix(line, "-LOADING"):
		return fmt.Errorf("PING answered %q", line)
	}
	fmt.Fprintf(conn, "INFO persistence\r\n")
	head, err := r.ReadString('\n')
	n, convErr := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	if err != nil || !strings.HasPrefix(head, "$") || convErr != nil || n < 0 {
		return nil // no INFO to tell: take -LOADING for up, as before
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(r, body); err != nil {
		return err
	}
	if strings.Contains(string(body), "loading:1") {
		return nil
	}
	return errors.New("-LOADING while no load runs: start-up is finishing")
}

// ownsListener reports whether process pid holds a TCP socket listening
// on port, from Linux's /proc; without /proc/net (not Linux) it says yes.
func ownsListener(pid, port int) bool {
	want := fmt.Sprintf(":%04X", port)
	var inodes []string
	read := false
	// IPv4 sockets, and IPv6 ones (a server bound to "*" or "::").
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		table, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		read = true
		for _, line := range strings.Split(string(table), "\n")[1:] {
			f := strings.Fields(line)
			// local_address is f[1] (hex IP:port), st f[3] (0A:
			// LISTEN), inode f[9].
			if len(f) > 9 && strings.HasSuffix(f[1], want) && f[3] == "0A" {
				inodes = append(inodes, "socket:["+f[9]+"]")
			}
		}
	}
	if !read {
		return true
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false // the process is gone (it lost the port and exited)
	}
	for _, fd := range fds {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		for _, in := range inodes {
			if link == in {
				return true
			}
		}
	}
	return false
}

// Stop kills the process (if still running) and waits for it.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.Cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// WaitExit waits for the process to exit by itself.
func (p *Proc) WaitExit(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// LogText returns what the server logged so far.
func (p *Proc) LogText() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

// WaitPing polls addr with an inline PING until +PONG (or -NOAUTH, or
// -LOADING: the server is up) or the deadline.
func WaitPing(addr string, d time.Duration) error { return waitPing(addr, d, true) }

// WaitReady is WaitPing that also waits for a load to finish: -LOADING is
// not an answer yet.
func WaitReady(addr string, d time.Duration) error { return waitPing(addr, d, false) }

func waitPing(addr string, d time.Duration, loadingOK bool) error {
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.SetDeadline(time.Now().Add(time.Second))
			fmt.Fprintf(conn, "PING\r\n")
			line, err := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if err == nil && (strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") || (loadingOK && strings.HasPrefix(line, "-LOADING"))) {
				return nil
			}
			last = fmt.Errorf("reply %q err %v", line, err)
		} else {
			last = err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("no PONG from %s: %v", addr, last)
}

// Eventually polls cond every 10ms until it returns true or d passes.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

// RedisCLI runs Debian's redis-cli with args (skipping the test when it is
// missing) and returns its trimmed output.
func RedisCLI(t testing.TB, port int, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"-p", fmt.Sprint(port)}, args...)
	out, err := exec.CommandContext(ctx, bin, full...).CombinedOutput()
	if err != nil && ctx.Err() != nil {
		t.Fatalf("redis-cli %v timed out", args)
	}
	return strings.TrimRight(string(out), "\n")
}

// SharedDir is the project's shared/ directory (specs and Redis-made test
// vectors), which sits beside the repository: ../shared from its root.
func SharedDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
}
