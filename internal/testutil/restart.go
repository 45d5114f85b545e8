package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Restart starts the server again with the same binary, arguments, port
// and directory once the previous process has exited (after SHUTDOWN, or
// Stop), and waits until it answers PING with its data loaded. Its output
// is appended to the same log file. The new process is stopped when the
// test ends, like the first one.
func (p *Proc) Restart(t testing.TB) {
	t.Helper()
	if !p.WaitExit(30 * time.Second) {
		t.Fatalf("restart of :%d: the previous process did not exit", p.Port)
	}
	logf, err := os.OpenFile(p.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "\n---- restarted by the test ----\n")
	cmd := exec.Command(p.Cmd.Path, p.Cmd.Args[1:]...)
	cmd.Dir = p.Cmd.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	done := make(chan struct{})
	p.Cmd, p.done = cmd, done
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	if err := WaitReady(p.Addr(), 20*time.Second); err != nil {
		p.Stop()
		t.Fatalf("server did not restart: %v\nlog:\n%s", err, p.LogText())
	}
}
