package aof

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/config"
)

// TestShutdownRefusedWhileTheInitialRewriteRuns: while the rewrite that
// CONFIG SET appendonly yes starts is running there is no complete AOF
// yet, so a shutdown is refused ("Writing initial AOF, can't exit.", as in
// Redis 7.0), unless forced: "Writing initial AOF. Exit anyway.", the
// rewrite is killed and the error still reported.
func TestShutdownRefusedWhileTheInitialRewriteRuns(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, func(c *config.Config) { c.AppendOnly = false })
	c := in.client()
	c.do("SET", "k", "v")
	// The rewrite's base file stalls at its first write (fs.mu held: no
	// other file operation gets through until gate opens).
	gate, stalled := make(chan struct{}), make(chan struct{})
	var once, opened sync.Once
	open := func() { opened.Do(func() { close(gate) }) }
	t.Cleanup(open) // a failed check must not leave the rewrite stalled
	fsys.FailWrite = func(name string, p []byte) (int, error) {
		if strings.Contains(name, "temp-rewriteaof") {
			once.Do(func() { close(stalled); <-gate })
		}
		return 0, nil
	}
	var err error
	in.locked(func() { err = in.cfg.Set([][2]string{{"appendonly", "yes"}}) })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-stalled:
	case <-time.After(20 * time.Second):
		t.Fatal("the initial rewrite never wrote its base")
	}

	// A refusal touches no file; a shutdown that goes on blocks on the
	// stalled file system, which the gate then frees.
	refused := make(chan error, 1)
	go in.locked(func() { refused <- in.a.PrepareShutdown(-1, false) })
	select {
	case err = <-refused:
	case <-time.After(10 * time.Second):
		open()
		<-refused
		t.Fatalf("the shutdown went on during the initial rewrite\nlog:\n%s", in.logs)
	}
	if err == nil || !strings.Contains(in.logs.String(), "Writing initial AOF, can't exit.") {
		t.Fatalf("shutdown during the initial rewrite: err %v\nlog:\n%s", err, in.logs)
	}
	running := false
	in.locked(func() { running = in.a.rw != nil && in.a.state == stateWait })
	if !running {
		t.Fatal("a refused shutdown stopped the initial rewrite")
	}

	// Forced: it goes on (killing the rewrite needs the file system, which
	// the stalled write holds until the gate opens).
	forced := make(chan error, 1)
	go in.locked(func() { forced <- in.a.PrepareShutdown(-1, true) })
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(in.logs.String(), "Writing initial AOF. Exit anyway.") {
		if time.Now().After(deadline) {
			open()
			<-forced
			t.Fatalf("forced shutdown did not go on\nlog:\n%s", in.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	open()
	if err := <-forced; err == nil {
		t.Error("a forced shutdown during the initial rewrite reported no error")
	}
	in.locked(func() { running = in.a.rw != nil })
	if running {
		t.Error("the forced shutdown left the initial rewrite running")
	}
}
