package test

// The README's replication demo: examples/demo.sh with the three config
// files, run on free ports (DEMO_*_PORT) so the tests never touch 6379.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// repoRoot is the repository's top directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

// startDemo runs examples/demo.sh with args on free ports in its own
// process group (killed at the end of the test if still there) and
// returns the command, its output and the three ports.
func startDemo(t *testing.T, ctx context.Context, args ...string) (*exec.Cmd, *lockedBuffer, [3]int) {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	ports := [3]int{testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t)}
	for ports[1] == ports[0] {
		ports[1] = testutil.FreePort(t)
	}
	for ports[2] == ports[0] || ports[2] == ports[1] {
		ports[2] = testutil.FreePort(t)
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(repoRoot(t), "examples", "demo.sh")}, args...)...)
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("DEMO_MASTER_PORT=%d", ports[0]),
		fmt.Sprintf("DEMO_REPLICA1_PORT=%d", ports[1]),
		fmt.Sprintf("DEMO_REPLICA2_PORT=%d", ports[2]),
		"DEMO_DIR="+dir,
		"DEMO_BIN="+testutil.Binary(t),
	)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// The script's own group: whatever it left behind (nothing, if its
		// trap worked).
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, l := range logs {
			if fileContains(l, "WARNING: DATA RACE") {
				b, _ := os.ReadFile(l)
				t.Errorf("%s reports a data race:\n%s", filepath.Base(l), replTrunc(string(b), 6000))
			}
		}
		if t.Failed() {
			t.Logf("demo output:\n%s", out.String())
		}
	})
	return cmd, out, ports
}

// portsClosed reports whether nothing listens on the ports any more.
func portsClosed(ports [3]int) bool {
	for _, p := range ports {
		if testutil.WaitPing(fmt.Sprintf("127.0.0.1:%d", p), 10*time.Millisecond) == nil {
			return false
		}
	}
	return true
}

// TestDemoScriptCheckPasses: demo.sh --check starts the master and two
// replicas from their config files, sees both links up, reads the
// master's key back from both replicas, exits 0 and stops the servers.
func TestDemoScriptCheckPasses(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	cmd, out, ports := startDemo(t, ctx, "--check")
	err := cmd.Wait()
	if err != nil {
		t.Fatalf("demo.sh --check: %v", err)
	}
	text := out.String()
	if n := strings.Count(text, "master_link_status:up"); n != 2 {
		t.Errorf("output shows master_link_status:up %d times, want 2", n)
	}
	if n := strings.Count(text, "role:master"); n != 1 {
		t.Errorf("output shows role:master %d times, want 1", n)
	}
	for _, p := range ports[1:] {
		if !strings.Contains(text, fmt.Sprintf("GET demo:key on the replica on port %d: hello from the master", p)) {
			t.Errorf("output lacks the read on replica %d", p)
		}
	}
	if !strings.Contains(text, "READONLY You can't write against a read only replica.") {
		t.Error("output lacks the refused write on a replica")
	}
	if !strings.Contains(text, "== replication works") {
		t.Error("output lacks the success line")
	}
	testutil.Eventually(t, 20*time.Second, "the demo's servers to stop", func() bool { return portsClosed(ports) })
}

// TestDemoScriptStopsServersOnCtrlC: without --check the demo keeps the
// servers running until SIGINT, then stops all three and exits 0.
func TestDemoScriptStopsServersOnCtrlC(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	cmd, out, ports := startDemo(t, ctx)
	testutil.Eventually(t, 2*time.Minute, "the demo to be running", func() bool {
		return strings.Contains(out.String(), "Press Ctrl-C")
	})
	for _, p := range ports {
		if err := testutil.WaitPing(fmt.Sprintf("127.0.0.1:%d", p), 5*time.Second); err != nil {
			t.Fatalf("server on %d not running while the demo waits: %v", p, err)
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo after Ctrl-C: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not exit after SIGINT")
	}
	testutil.Eventually(t, 20*time.Second, "the demo's servers to stop", func() bool { return portsClosed(ports) })
}

// TestDemoConfigFiles: the replicas' config files point at the master on
// 6379 with its password, are password-protected themselves and keep
// their data apart.
func TestDemoConfigFiles(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "examples")
	directives := func(name string) map[string]string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			k, v, _ := strings.Cut(l, " ")
			m[k] = strings.TrimSpace(v)
		}
		return m
	}
	master := directives("redis.conf")
	if master["port"] != "6379" || master["requirepass"] != "foobared" {
		t.Errorf("redis.conf: port %q requirepass %q", master["port"], master["requirepass"])
	}
	files := map[string]bool{master["dir"] + "/" + master["dbfilename"]: true}
	for _, c := range []struct{ file, port string }{{"redis6371.conf", "6371"}, {"redis6372.conf", "6372"}} {
		d := directives(c.file)
		want := map[string]string{"port": c.port, "replicaof": "127.0.0.1 6379", "masterauth": "foobared", "requirepass": "foobared"}
		for k, v := range want {
			if d[k] != v {
				t.Errorf("%s: %s = %q, want %q", c.file, k, d[k], v)
			}
		}
		f := d["dir"] + "/" + d["dbfilename"]
		if files[f] {
			t.Errorf("%s: data file %s collides with another server's", c.file, f)
		}
		files[f] = true
	}
}
