package test

// Crash reports: DEBUG SEGFAULT, PANIC and ASSERT and a SIGABRT write a bug
// report with every goroutine's stack to the log before the process ends
// (status 128+signal), and the software watchdog (watchdog-period) logs
// the stacks of a command that runs too long; an embedded server refuses
// the DEBUG crashes, which would end the embedding program (Redis 7.0's
// integration/logging cases).

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tandemdb/tandem"
	"github.com/tandemdb/tandem/internal/testutil"
)

func TestDebugCrashesWriteAReport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		how, headline string
		status        int
	}{
		{"SEGFAULT", "crashed by signal: 11", 139},
		{"PANIC", "Guru Meditation: DEBUG PANIC called at Unix time", 139},
		{"ASSERT", "=== ASSERTION FAILED ===", 139},
		{"SIGABRT", "crashed by signal: 6", 134},
	} {
		t.Run(tc.how, func(t *testing.T) {
			t.Parallel()
			p := startTandem(t)
			if tc.how == "SIGABRT" {
				p.Cmd.Process.Signal(syscall.SIGABRT)
			} else {
				rc := dialRaw(t, p.Addr())
				rc.send(encode("DEBUG", tc.how))
				if r, err := rc.tryRead(10 * time.Second); err == nil {
					t.Fatalf("DEBUG %s answered %q", tc.how, r)
				}
			}
			if !p.WaitExit(10 * time.Second) {
				t.Fatal("the process did not end")
			}
			if got := p.Cmd.ProcessState.ExitCode(); got != tc.status {
				t.Errorf("exit status %d, want %d", got, tc.status)
			}
			log := p.LogText()
			for _, want := range []string{tc.headline, "------ STACK TRACE ------", "goroutine ", "BUG REPORT END"} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, tailText(log, 30))
				}
			}
		})
	}
}

func TestWatchdogLogsTheStackOfASlowCommand(t *testing.T) {
	t.Parallel()
	p := startTandem(t)
	rc := dialRaw(t, p.Addr())
	rc.do("CONFIG", "SET", "watchdog-period", "200")
	if r, err := rc.tryRead0("PING", 5*time.Second); err != nil || r != "+PONG\r\n" {
		t.Fatalf("PING = %q, %v", r, err)
	}
	if strings.Contains(p.LogText(), "WATCHDOG TIMER EXPIRED") {
		t.Fatal("the watchdog fired on a fast command")
	}
	rc.do("DEBUG", "SLEEP", "1")
	testutil.Eventually(t, 10*time.Second, "the watchdog's stack dump", func() bool {
		log := p.LogText()
		return strings.Contains(log, "WATCHDOG TIMER EXPIRED") && strings.Contains(log, "debugCommand")
	})
	if n := strings.Count(p.LogText(), "WATCHDOG TIMER EXPIRED"); n != 1 {
		t.Errorf("%d watchdog reports for one slow command, want 1", n)
	}
}

func TestEmbeddedServerRefusesDebugCrashes(t *testing.T) {
	t.Parallel()
	srv, err := tandem.Start(tandem.Config{Directives: embedDirectives(t.TempDir(), "e", []string{"enable-debug-command", "yes"})})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rc := dialRaw(t, srv.Addr())
	for _, sub := range []string{"SEGFAULT", "PANIC", "ASSERT"} {
		if r := rc.do("DEBUG", sub); !strings.Contains(r, "not available in an embedded server") {
			t.Errorf("DEBUG %s in an embedded server: %q", sub, r)
		}
	}
	if r := rc.do("PING"); r != "+PONG\r\n" {
		t.Errorf("PING after: %q", r)
	}
}
