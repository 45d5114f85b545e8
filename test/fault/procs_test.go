package fault

// Processes of a group: nodes (tandem or redis-server) and sentinels
// (redis-sentinel), each started from a config file in its own directory
// so that Sentinel's CONFIG REWRITE and its own config rewrites persist
// across restarts, as they would in a deployment.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// impl is the server program under test in a group's nodes.
type impl struct {
	name string // "redis" or "tandem"
	bin  string
}

// implsFor returns the programs to compare: Debian's redis-server (when
// installed) and Tandem, built once per test process into a temp dir.
func implsFor(t *testing.T) []impl {
	t.Helper()
	var out []impl
	if bin, err := exec.LookPath("redis-server"); err == nil {
		out = append(out, impl{name: "redis", bin: bin})
	} else {
		t.Log("redis-server not installed: only Tandem runs (Redis's column stays empty)")
	}
	return append(out, impl{name: "tandem", bin: testutil.Binary(t)})
}

// proc is one process started by the suite. A node keeps its port, its
// directory and its config file across restarts.
type proc struct {
	name string
	bin  string
	args []string
	port int
	dir  string
	log  string

	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) addr() string { return fmt.Sprintf("127.0.0.1:%d", p.port) }

// startProc writes conf into a fresh directory and starts bin with it; it
// returns once the process answers PING (or fails the test).
func startProc(t testing.TB, name, bin string, port int, conf string, extra ...string) *proc {
	t.Helper()
	dir := t.TempDir()
	cf := filepath.Join(dir, name+".conf")
	conf = fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nlogfile \"\"\n", port, dir) + conf
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, bin: bin, args: append([]string{cf}, extra...), port: port, dir: dir,
		log: filepath.Join(dir, name+".log")}
	p.launch(t)
	t.Cleanup(func() {
		p.kill()
		// A -race binary reports races in its log and carries on: fail
		// the test that started it.
		if log := p.logText(); testutil.RaceEnabled && strings.Contains(log, "WARNING: DATA RACE") {
			i := strings.Index(log, "WARNING: DATA RACE")
			t.Errorf("data race in %s:\n%s", p.name, log[i:min(len(log), i+6000)])
		}
	})
	return p
}

// launch starts the process (again), appending its output to its log.
func (p *proc) launch(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(p.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	if err := testutil.WaitReady(p.addr(), 20*time.Second); err != nil {
		p.kill()
		t.Fatalf("%s did not start: %v\nlog:\n%s", p.name, err, tail(p.logText(), 40))
	}
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signal sends sig to the process if it still runs.
func (p *proc) signal(sig syscall.Signal) {
	if p.running() {
		p.cmd.Process.Signal(sig)
	}
}

// kill sends SIGKILL (also to a stopped process) and waits for the exit.
func (p *proc) kill() {
	if !p.running() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.waitExit(10 * time.Second)
}

// waitExit waits up to d for the process to end.
func (p *proc) waitExit(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// restart starts the process again once it has exited, same arguments.
func (p *proc) restart(t testing.TB) {
	t.Helper()
	if !p.waitExit(30 * time.Second) {
		t.Fatalf("%s: restart while the previous process still runs", p.name)
	}
	if f, err := os.OpenFile(p.log, os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		fmt.Fprintf(f, "\n---- restarted by the fault suite at %s ----\n", time.Now().Format("15:04:05.000"))
		f.Close()
	}
	p.launch(t)
}

func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
