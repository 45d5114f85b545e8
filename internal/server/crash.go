package server

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tandemdb/tandem/internal/command"
)

// Crash reports and the software watchdog. A process that is about to die
// (DEBUG SEGFAULT/PANIC/ASSERT, SIGABRT) first writes a bug report to the
// log with the stack of every goroutine, in the shape Redis's crash log
// has: operators and Redis's own test tools look for "crashed by signal"
// and "STACK TRACE". With watchdog-period set, a batch of commands that
// runs longer than that many milliseconds has the stacks logged once,
// as Redis's watchdog does from its SIGALRM handler.

// CrashFunc ends the process after a crash report (the binary installs
// one: SetCrashFunc); sig is the signal the process should die of.
type CrashFunc func(sig int)

// SetCrashFunc lets DEBUG SEGFAULT, PANIC and ASSERT end the process
// (before Start). Without one (an embedded server) they answer an error:
// they would end the embedding program.
func (s *Server) SetCrashFunc(f CrashFunc) { s.crashFunc = f }

// CrashReport writes a bug report: the headline lines, then every
// goroutine's stack. It takes no lock: the crashing goroutine may hold
// srv.mu.
func (s *Server) CrashReport(headline ...string) {
	var b strings.Builder
	b.WriteString("\n\n=== TANDEM BUG REPORT START: Cut & paste starting from here ===\n")
	for _, l := range headline {
		fmt.Fprintf(&b, "%d:M %s # %s\n", os.Getpid(), time.Now().Format("02 Jan 2006 15:04:05.000"), l)
	}
	b.WriteString("\n------ STACK TRACE ------\n\n")
	b.Write(allStacks())
	fmt.Fprintf(&b, "\n------ SERVER ------\ntandem_version:%s\nredis_version:%s\nprocess_id:%d\nuptime_in_seconds:%d\n",
		TandemVersion, Version, os.Getpid(), int64(time.Since(s.started).Seconds()))
	b.WriteString("\n=== TANDEM BUG REPORT END. Make sure to include from START to END. ===\n\n")
	s.log.Raw(b.String())
}

func allStacks() []byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= 64<<20 {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// Panic writes a crash report with the headline and ends the process
// (any goroutine, no lock needed). An embedded server cannot end its
// program: it logs the report and goes on.
func (s *Server) Panic(headline string) {
	s.CrashReport("Guru Meditation: "+headline, "------------------------------------------------")
	if s.crashFunc != nil {
		s.crashFunc(11)
	}
}

// NoteUnexpectedError counts an error reply sent where none should be
// (to our master, INFO's unexpected_error_replies).
func (s *Server) NoteUnexpectedError() { s.stats.unexpectedErrors.Add(1) }

// debugCrash is DEBUG SEGFAULT, PANIC and ASSERT: the report, then the
// process dies (of SIGSEGV, as Redis's do).
func (s *Server) debugCrash(c *command.Ctx, sub string) {
	if s.crashFunc == nil {
		c.Error("ERR DEBUG " + strings.ToUpper(sub) + " would end the embedding program: not available in an embedded server")
		return
	}
	const sigsegv = 11
	switch sub {
	case "segfault":
		s.CrashReport(fmt.Sprintf("Tandem %s crashed by signal: %d, si_code: 0 (DEBUG SEGFAULT)", TandemVersion, sigsegv))
	case "panic":
		s.CrashReport("------------------------------------------------",
			"!!! Software Failure. Press left mouse button to continue",
			fmt.Sprintf("Guru Meditation: DEBUG PANIC called at Unix time %d", time.Now().Unix()))
	case "assert":
		s.CrashReport("=== ASSERTION FAILED ===", "==> DEBUG ASSERT: 1 == 2 is not true")
	}
	s.crashFunc(sigsegv)
}

// watchdog logs the stacks once per batch of commands that runs past
// watchdog-period (checked every tenth of the period, at least every
// 10 ms). batchStart is set by runBuffered while the watchdog is on.
type watchdog struct {
	batchStart atomic.Int64 // unix nanoseconds; 0 when no batch runs
	reported   atomic.Int64 // the batchStart already reported
}

func (s *Server) runWatchdog() {
	defer s.wg.Done()
	for !s.closing.Load() {
		period := time.Duration(s.watchdogPeriod.Load()) * time.Millisecond
		if period <= 0 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		time.Sleep(max(period/10, 10*time.Millisecond))
		start := s.wd.batchStart.Load()
		if start == 0 || s.wd.reported.Load() == start || time.Since(time.Unix(0, start)) < period {
			continue
		}
		s.wd.reported.Store(start)
		s.log.Raw(fmt.Sprintf("\n--- WATCHDOG TIMER EXPIRED (a command has run for %v) ---\n", time.Since(time.Unix(0, start)).Round(time.Millisecond)))
		s.log.Raw(string(allStacks()))
		s.log.Raw("--------\n")
	}
}
