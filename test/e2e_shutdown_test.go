package test

// Graceful shutdown (Redis 7.0's SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]
// [ABORT], shutdown-timeout, shutdown-on-sigterm / shutdown-on-sigint): a
// master waits, writes paused, until its replicas have acknowledged its
// offset. Redis's tests/integration/shutdown.tcl and tests/unit/shutdown.tcl
// were the checklist.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tandemdb/tandem"
	"github.com/tandemdb/tandem/internal/testutil"
)

// shutdownQuiet keeps the replication stream still while a shutdown
// waits: no PINGs (the default period, 10 s, would move the offset once
// in a while; the tests compare offsets exactly). PINGs count from the
// master's start-up, as Redis's, so none comes within a test.
var shutdownQuiet = []string{"--repl-ping-replica-period", "3600"}

// startShutdownGroup starts a master (with masterArgs) and n Tandem
// replicas of it, and waits until they are online with the master's
// offset.
func startShutdownGroup(t *testing.T, ctx context.Context, n int, masterArgs ...string) (*replNode, []*replNode) {
	t.Helper()
	m := startReplTandem(t, "master", append(append([]string{}, shutdownQuiet...), masterArgs...)...)
	var rs []*replNode
	for i := 0; i < n; i++ {
		rs = append(rs, startReplTandem(t, fmt.Sprintf("replica%d", i+1), "--replicaof", "127.0.0.1", strconv.Itoa(m.port())))
	}
	waitLinkUp(t, ctx, rs...)
	waitOnline(t, ctx, m, n)
	waitOffsetsMatch(t, ctx, m, rs...)
	return m, rs
}

// stopProc freezes a process (SIGSTOP) until the returned func resumes
// it; the test's end resumes it too, so that no stopped process outlives
// the test (its cleanup kills it).
func stopProc(t *testing.T, p *testutil.Proc) (resume func()) {
	t.Helper()
	if err := p.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The signal is only queued when kill returns: until every thread has
	// stopped the process may still read and ACK what comes next.
	stat := fmt.Sprintf("/proc/%d/stat", p.Cmd.Process.Pid)
	testutil.Eventually(t, 5*time.Second, "process stopped", func() bool {
		b, err := os.ReadFile(stat)
		if err != nil {
			return true // no procfs: nothing to wait on
		}
		// pid (comm) state ...: comm may hold spaces, so after the last ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		return len(f) > 0 && (f[0] == "T" || f[0] == "t")
	})
	resumed := false
	resume = func() {
		if !resumed {
			resumed = true
			p.Cmd.Process.Signal(syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)
	return resume
}

// writeKeys sets prefix:0 … prefix:n-1 to their index on the master.
func writeKeys(t *testing.T, ctx context.Context, m *replNode, prefix string, n int) {
	t.Helper()
	pipe := m.c.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, fmt.Sprintf("%s:%d", prefix, i), i, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("writes: %v", err)
	}
}

// waitShutdownWaiting waits until the master reports a shutdown waiting
// for its replicas (INFO shutdown_in_milliseconds, as Redis's tests do)
// and returns its replication offset then: writes are paused and no PING
// is sent (shutdownQuiet), so that is the offset every replica must reach.
func waitShutdownWaiting(t *testing.T, ctx context.Context, m *replNode) int64 {
	t.Helper()
	testutil.Eventually(t, replWait, "INFO shutdown_in_milliseconds on the master", func() bool {
		return m.infoInt(ctx, "server", "shutdown_in_milliseconds") > 0
	})
	return m.infoInt(ctx, "replication", "master_repl_offset")
}

// replicaOffset is a replica's slave_repl_offset, link up or not.
func replicaOffset(ctx context.Context, r *replNode) int64 {
	return r.infoInt(ctx, "replication", "slave_repl_offset")
}

// requireAllKeys checks that r has prefix:0 … prefix:n-1 (DBSIZE want
// and the last key's value).
func requireAllKeys(t *testing.T, ctx context.Context, r *replNode, prefix string, n int, want int64) {
	t.Helper()
	if got, err := r.c.DBSize(ctx).Result(); err != nil || got != want {
		t.Errorf("%s: DBSIZE %d (%v), want %d", r.name, got, err, want)
	}
	key := fmt.Sprintf("%s:%d", prefix, n-1)
	if v, err := r.c.Get(ctx, key).Result(); err != nil || v != strconv.Itoa(n-1) {
		t.Errorf("%s: GET %s = %q (%v), want %d", r.name, key, v, err, n-1)
	}
}

// exitCode waits for p to exit and returns its status.
func exitCode(t *testing.T, p *testutil.Proc, d time.Duration) int {
	t.Helper()
	if !p.WaitExit(d) {
		t.Fatalf("server :%d still running after %v\n%s", p.Port, d, tailText(p.LogText(), 30))
	}
	return p.Cmd.ProcessState.ExitCode()
}

// TestShutdownWaitsForLaggingReplicas: a master with two replicas, one of
// them frozen, does not exit on SHUTDOWN (or SIGTERM) while the frozen one
// lags: it pauses writes, keeps serving reads, and exits once the replica
// is back and has acknowledged everything. Both replicas then hold every
// write, at the master's final offset, and the log shows the wait.
func TestShutdownWaitsForLaggingReplicas(t *testing.T) {
	for _, how := range []string{"SHUTDOWN", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			ctx := ctxFor(t, 3*time.Minute)
			m, rs := startShutdownGroup(t, ctx, 2, "--shutdown-timeout", "300")
			writeKeys(t, ctx, m, "before", 1000)
			waitOffsetsMatch(t, ctx, m, rs...)
			resume := stopProc(t, rs[1].proc)
			writeKeys(t, ctx, m, "after", 500)

			var sd *rawConn
			if how == "SHUTDOWN" {
				sd = dialRaw(t, m.proc.Addr())
				sd.send(encode("SHUTDOWN"))
			} else {
				m.proc.Cmd.Process.Signal(syscall.SIGTERM)
			}
			final := waitShutdownWaiting(t, ctx, m)

			// Waiting: reads are served, writes are held.
			if v, err := m.c.Get(ctx, "after:499").Result(); err != nil || v != "499" {
				t.Fatalf("GET during the wait: %q %v", v, err)
			}
			held := make(chan error, 1)
			go func() { held <- m.c.Set(context.Background(), "during", "x", 0).Err() }()
			time.Sleep(300 * time.Millisecond)
			select {
			case err := <-held:
				t.Fatalf("a write ran while the shutdown waited for replicas: %v", err)
			default:
			}
			if how == "SHUTDOWN" {
				// The SHUTDOWN, and the SET held by the pause: Redis 7.0
				// counts a paused client as blocked (BLOCKED_POSTPONE).
				if got := m.infoInt(ctx, "clients", "blocked_clients"); got != 2 {
					t.Errorf("blocked_clients = %d during the wait, want 2 (the SHUTDOWN and the held SET)", got)
				}
			}
			if m.proc.Exited() {
				t.Fatal("the master exited while a replica lagged")
			}
			if got := m.infoInt(ctx, "replication", "master_repl_offset"); got != final {
				t.Errorf("master_repl_offset moved during the wait: %d then %d", final, got)
			}

			resume()
			if code := exitCode(t, m.proc, replWait); code != 0 {
				t.Errorf("exit status %d", code)
			}
			if sd != nil {
				if rest := sd.expectClosed(5 * time.Second); rest != "" {
					t.Errorf("SHUTDOWN got a reply: %q", rest)
				}
			}
			if err := <-held; err == nil {
				t.Error("the write held by the pause succeeded on a stopping server")
			}
			for _, r := range rs {
				if got := replicaOffset(ctx, r); got != final {
					t.Errorf("%s: slave_repl_offset %d, the master's final offset is %d", r.name, got, final)
				}
				requireAllKeys(t, ctx, r, "after", 500, 1500)
			}
			log := m.proc.LogText()
			for _, want := range []string{"User requested shutdown...", "Waiting for replicas before shutting down.",
				"2 of 2 replicas are in sync when shutting down.", "Redis is now ready to exit, bye bye..."} {
				if !strings.Contains(log, want) {
					t.Errorf("master log lacks %q", want)
				}
			}
			if strings.Contains(log, "Lagging replica") {
				t.Error("a replica was logged as lagging though the master waited for it")
			}
		})
	}
}

// TestShutdownTimeoutGivesUpOnLaggingReplica: with shutdown-timeout 2, a
// frozen replica makes the master wait about two seconds, then it logs
// the lagging replica and exits; the live replica has every write.
func TestShutdownTimeoutGivesUpOnLaggingReplica(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 3*time.Minute)
	m, rs := startShutdownGroup(t, ctx, 2, "--shutdown-timeout", "2")
	writeKeys(t, ctx, m, "k", 200)
	waitOffsetsMatch(t, ctx, m, rs...)
	stopProc(t, rs[1].proc)
	m.c.Incr(ctx, "counter")

	start := time.Now()
	m.proc.Cmd.Process.Signal(syscall.SIGTERM)
	final := waitShutdownWaiting(t, ctx, m)
	if code := exitCode(t, m.proc, replWait); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("the master exited after %v: it did not wait for shutdown-timeout (2 s)", took)
	}
	log := m.proc.LogText()
	port := strconv.Itoa(rs[1].port())
	if !strings.Contains(log, "Lagging replica 127.0.0.1:"+port+" reported offset ") || !strings.Contains(log, ", state=online.") {
		t.Errorf("master log lacks the lagging replica (:%s):\n%s", port, tailText(log, 12))
	}
	if !strings.Contains(log, "1 of 2 replicas are in sync when shutting down.") {
		t.Errorf("master log lacks the in-sync count:\n%s", tailText(log, 12))
	}
	if got := replicaOffset(ctx, rs[0]); got != final {
		t.Errorf("live replica: slave_repl_offset %d, master's final %d", got, final)
	}
	if v, _ := rs[0].c.Get(ctx, "counter").Result(); v != "1" {
		t.Errorf("live replica: counter = %q, want 1", v)
	}
}

// TestShutdownNowDoesNotWait: SHUTDOWN NOW (and shutdown-timeout 0) exit
// at once with a replica lagging, logging it as lagging.
func TestShutdownNowDoesNotWait(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string // master's
		cmd  []string
	}{
		{"NOW", []string{"--shutdown-timeout", "300"}, []string{"SHUTDOWN", "NOW"}},
		{"timeout-0", []string{"--shutdown-timeout", "0"}, []string{"SHUTDOWN"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := ctxFor(t, 3*time.Minute)
			m, rs := startShutdownGroup(t, ctx, 1, tc.args...)
			stopProc(t, rs[0].proc)
			m.c.Set(ctx, "k", "v", 0)
			c := dialRaw(t, m.proc.Addr())
			c.send(encode(tc.cmd...))
			if code := exitCode(t, m.proc, 5*time.Second); code != 0 {
				t.Errorf("exit status %d", code)
			}
			log := m.proc.LogText()
			if strings.Contains(log, "Waiting for replicas") {
				t.Errorf("%v waited for replicas", tc.cmd)
			}
			if !strings.Contains(log, "Lagging replica ") || !strings.Contains(log, "0 of 1 replicas are in sync when shutting down.") {
				t.Errorf("log lacks the lagging replica:\n%s", tailText(log, 10))
			}
		})
	}
}

// TestShutdownAbortCancelsTheWait: SHUTDOWN ABORT from another client
// ends a shutdown waiting for a frozen replica: the two clients blocked
// in SHUTDOWN get Redis's error, the writes it held (a SET, a MULTI/EXEC
// with a write) run, the server keeps running. While it waited the
// dataset stood still: a key whose time passed was hidden from reads but
// not deleted (no DEL moved the offset), and is deleted once writes
// resume.
func TestShutdownAbortCancelsTheWait(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 3*time.Minute)
	m, rs := startShutdownGroup(t, ctx, 1, "--shutdown-timeout", "300")
	m.c.Set(ctx, "short", "lived", 1500*time.Millisecond)
	expires := time.Now().Add(1500 * time.Millisecond)
	waitOffsetsMatch(t, ctx, m, rs...)
	resume := stopProc(t, rs[0].proc)
	m.c.Incr(ctx, "k")
	// Queued before the wait: a write is held even inside MULTI, as in
	// Redis (the pause is checked before queueing).
	tx := dialRaw(t, m.proc.Addr())
	tx.do("MULTI")
	tx.do("INCR", "k")

	sd1, sd2 := dialRaw(t, m.proc.Addr()), dialRaw(t, m.proc.Addr())
	sd1.send(encode("SHUTDOWN"))
	sd2.send(encode("SHUTDOWN", "NOSAVE"))
	off := waitShutdownWaiting(t, ctx, m)
	testutil.Eventually(t, replWait, "blocked_clients:2", func() bool {
		return m.infoInt(ctx, "clients", "blocked_clients") == 2
	})
	if got := dialRaw(t, m.proc.Addr()).do("SHUTDOWN", "ABORT", "NOW"); got != "-ERR syntax error\r\n" {
		t.Errorf("SHUTDOWN ABORT NOW: %q", got)
	}

	setDone := make(chan error, 1)
	go func() { setDone <- m.c.Set(context.Background(), "held", "1", 0).Err() }()
	tx.send(encode("EXEC"))
	time.Sleep(time.Until(expires) + 300*time.Millisecond) // "short" is past its time
	select {
	case err := <-setDone:
		t.Fatalf("SET ran during the wait (%v)", err)
	default:
	}
	if r, err := tx.tryRead(50 * time.Millisecond); err == nil {
		t.Fatalf("EXEC with a write ran during the wait: %q", r)
	}
	if n, _ := m.c.Exists(ctx, "short").Result(); n != 0 {
		t.Error("a key past its time is visible during the wait")
	}
	if n, _ := m.c.DBSize(ctx).Result(); n != 2 {
		t.Errorf("DBSIZE %d during the wait, want 2: the expired key must stay until writes resume", n)
	}
	if got := m.infoInt(ctx, "replication", "master_repl_offset"); got != off {
		t.Errorf("master_repl_offset moved during the wait (%d → %d): something was propagated", off, got)
	}

	if got := dialRaw(t, m.proc.Addr()).do("SHUTDOWN", "ABORT"); got != "+OK\r\n" {
		t.Fatalf("SHUTDOWN ABORT: %q", got)
	}
	for _, c := range []*rawConn{sd1, sd2} {
		if got := c.read(); got != "-ERR Errors trying to SHUTDOWN. Check logs.\r\n" {
			t.Errorf("blocked SHUTDOWN got %q", got)
		}
	}
	if err := <-setDone; err != nil {
		t.Errorf("held SET after ABORT: %v", err)
	}
	if got := tx.read(); got != "*1\r\n:2\r\n" {
		t.Errorf("held EXEC after ABORT: %q", got)
	}
	if got := dialRaw(t, m.proc.Addr()).do("SHUTDOWN", "ABORT"); got != "-ERR No shutdown in progress.\r\n" {
		t.Errorf("second SHUTDOWN ABORT: %q", got)
	}
	if _, ok := m.info(ctx, "server")["shutdown_in_milliseconds"]; ok {
		t.Error("INFO still shows shutdown_in_milliseconds after ABORT")
	}
	testutil.Eventually(t, 10*time.Second, "the expired key deleted after ABORT", func() bool {
		n, _ := m.c.DBSize(ctx).Result()
		return n == 2 // k and held; short is gone
	})
	if !strings.Contains(m.proc.LogText(), "Shutdown manually aborted.") {
		t.Error("log lacks 'Shutdown manually aborted.'")
	}
	resume()
	waitOffsetsMatch(t, ctx, m, rs...)
	requireSameDataset(t, ctx, m, rs...)
	if m.proc.Exited() {
		t.Fatal("the master exited after SHUTDOWN ABORT")
	}
}

// TestShutdownRefusedWhenTheSaveFails: with dump.rdb made a directory the
// final save fails: SHUTDOWN answers Redis's error and the server goes on
// (SIGTERM too, logging why); SHUTDOWN FORCE and SHUTDOWN NOSAVE exit.
func TestShutdownRefusedWhenTheSaveFails(t *testing.T) {
	for _, last := range [][]string{{"SHUTDOWN", "FORCE"}, {"SHUTDOWN", "NOSAVE"}} {
		t.Run(strings.Join(last, "_"), func(t *testing.T) {
			t.Parallel()
			srv := startTandem(t, "--save", "3600 1")
			c := dialRaw(t, srv.Addr())
			c.do("SET", "k", "v")
			if err := os.Mkdir(filepath.Join(srv.Dir, "dump.rdb"), 0o755); err != nil {
				t.Fatal(err)
			}
			if got := c.do("SHUTDOWN"); got != "-ERR Errors trying to SHUTDOWN. Check logs.\r\n" {
				t.Fatalf("SHUTDOWN with a failing save: %q", got)
			}
			srv.Cmd.Process.Signal(syscall.SIGTERM)
			testutil.Eventually(t, 10*time.Second, "the refused SIGTERM logged", func() bool {
				return strings.Count(srv.LogText(), "Error trying to save the DB, can't exit.") == 2
			})
			if got := c.do("PING"); got != "+PONG\r\n" || srv.Exited() {
				t.Fatalf("server gone after a refused shutdown: %q", got)
			}
			if !strings.Contains(srv.LogText(), "Errors trying to shut down the server. Check the logs for more information.") {
				t.Error("log lacks the refusal")
			}
			c.send(encode(last...))
			if code := exitCode(t, srv, 10*time.Second); code != 0 {
				t.Errorf("exit status %d", code)
			}
			if last[1] == "FORCE" && !strings.Contains(srv.LogText(), "Error trying to save the DB. Exit anyway.") {
				t.Error("log lacks 'Exit anyway.'")
			}
		})
	}
}

// TestShutdownOnSigterm: shutdown-on-sigterm chooses what SIGTERM does
// (and shutdown-on-sigint what SIGINT does): nosave skips the save points,
// save saves without any, now does not wait for a frozen replica, force
// exits though the save fails.
func TestShutdownOnSigterm(t *testing.T) {
	for _, tc := range []struct {
		flags   string
		sig     syscall.Signal
		save    string // save points
		replica bool   // a frozen replica lags
		badDump bool   // dump.rdb is a directory: the save fails
		dump    bool   // a dump.rdb file is expected
		log     string
	}{
		{flags: "nosave", sig: syscall.SIGTERM, save: "3600 1"},
		{flags: "save", sig: syscall.SIGTERM, save: "", dump: true, log: "Saving the final RDB snapshot before exiting."},
		{flags: "now", sig: syscall.SIGTERM, replica: true, log: "0 of 1 replicas are in sync when shutting down."},
		{flags: "force", sig: syscall.SIGTERM, save: "3600 1", badDump: true, log: "Error trying to save the DB. Exit anyway."},
		{flags: "nosave now", sig: syscall.SIGINT, save: "3600 1", replica: true, log: "Received SIGINT scheduling shutdown..."},
	} {
		t.Run(strings.ReplaceAll(tc.flags, " ", "-")+"-"+tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			ctx := ctxFor(t, 2*time.Minute)
			directive := "--shutdown-on-sigterm"
			if tc.sig == syscall.SIGINT {
				directive = "--shutdown-on-sigint"
			}
			args := []string{"--save", tc.save, "--shutdown-timeout", "300"}
			var m *replNode
			if tc.replica {
				var rs []*replNode
				m, rs = startShutdownGroup(t, ctx, 1, args...)
				stopProc(t, rs[0].proc)
			} else {
				m = startReplTandem(t, "master", args...)
			}
			// Set at run time: the signal reads the value in force.
			if err := m.c.ConfigSet(ctx, strings.TrimPrefix(directive, "--"), tc.flags).Err(); err != nil {
				t.Fatal(err)
			}
			m.c.Set(ctx, "k", "v", 0)
			if tc.badDump {
				os.Mkdir(filepath.Join(m.proc.Dir, "dump.rdb"), 0o755)
			}
			m.proc.Cmd.Process.Signal(tc.sig)
			if code := exitCode(t, m.proc, 10*time.Second); code != 0 {
				t.Errorf("exit status %d", code)
			}
			st, err := os.Stat(filepath.Join(m.proc.Dir, "dump.rdb"))
			if dumped := err == nil && st.Mode().IsRegular(); dumped != tc.dump {
				t.Errorf("dump.rdb written: %v, want %v", dumped, tc.dump)
			}
			if tc.log != "" && !strings.Contains(m.proc.LogText(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, tailText(m.proc.LogText(), 10))
			}
		})
	}
}

// TestShutdownSignalsWhileWaiting: while a signal's shutdown waits for a
// frozen replica, another SIGTERM only logs, and a SIGINT exits at once
// with status 1 ("You insist... exiting now.").
func TestShutdownSignalsWhileWaiting(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 2*time.Minute)
	m, rs := startShutdownGroup(t, ctx, 1, "--shutdown-timeout", "300")
	stopProc(t, rs[0].proc)
	m.c.Set(ctx, "k", "v", 0)
	m.proc.Cmd.Process.Signal(syscall.SIGTERM)
	waitShutdownWaiting(t, ctx, m)
	m.proc.Cmd.Process.Signal(syscall.SIGTERM)
	testutil.Eventually(t, 10*time.Second, "the second SIGTERM logged", func() bool {
		return strings.Count(m.proc.LogText(), "Received SIGTERM scheduling shutdown...") == 2
	})
	time.Sleep(200 * time.Millisecond)
	if m.proc.Exited() {
		t.Fatal("a second SIGTERM ended the wait")
	}
	m.proc.Cmd.Process.Signal(syscall.SIGINT)
	if code := exitCode(t, m.proc, 10*time.Second); code != 1 {
		t.Errorf("exit status %d after an insisting SIGINT, want 1", code)
	}
	if !strings.Contains(m.proc.LogText(), "You insist... exiting now.") {
		t.Error("log lacks 'You insist... exiting now.'")
	}
}

// TestShutdownRepliesMatchRedis: SHUTDOWN's refusals answer what Redis
// 7.0 answers (syntax, ABORT without a shutdown, inside MULTI).
func TestShutdownRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ref := startRedis(t)
	for _, args := range [][]string{
		{"SHUTDOWN", "FOO"}, {"SHUTDOWN", "ABORT"}, {"SHUTDOWN", "abort", "abort"},
		{"SHUTDOWN", "ABORT", "NOW"}, {"SHUTDOWN", "FORCE", "ABORT"}, {"SHUTDOWN", "SAVE", "NOSAVE"},
		{"SHUTDOWN", "NOSAVE", "SAVE", "NOW"}, {"SHUTDOWN", "NOW", "x"},
	} {
		if got, want := dialRaw(t, srv.Addr()).do(args...), dialRaw(t, ref.Addr()).do(args...); got != want {
			t.Errorf("%v: tandem %q redis %q", args, got, want)
		}
	}
	for _, n := range []string{srv.Addr(), ref.Addr()} {
		c := dialRaw(t, n)
		c.do("MULTI")
		got := c.do("SHUTDOWN")
		if want := "-ERR Command not allowed inside a transaction\r\n"; got != want {
			t.Errorf("%s: SHUTDOWN inside MULTI: %q", n, got)
		}
	}
	if srv.Exited() {
		t.Fatal("a refused SHUTDOWN stopped the server")
	}
}

// TestShutdownInteropRedisReplicaGetsEveryWrite: a real redis-server
// replica of a Tandem master, frozen while the master takes writes, has
// every one of them once the master's SHUTDOWN (which waits for it) is
// over.
func TestShutdownInteropRedisReplicaGetsEveryWrite(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 3*time.Minute)
	m := startReplTandem(t, "master", append(append([]string{}, shutdownQuiet...), "--shutdown-timeout", "300")...)
	r := startReplRedis(t, "redis-replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	waitLinkUp(t, ctx, r)
	writeKeys(t, ctx, m, "before", 1000)
	waitOffsetsMatch(t, ctx, m, r)
	resume := stopProc(t, r.proc)
	writeKeys(t, ctx, m, "after", 1000)
	sd := dialRaw(t, m.proc.Addr())
	sd.send(encode("SHUTDOWN"))
	final := waitShutdownWaiting(t, ctx, m)
	time.Sleep(300 * time.Millisecond)
	if m.proc.Exited() {
		t.Fatal("the master exited while the Redis replica lagged")
	}
	resume()
	if code := exitCode(t, m.proc, replWait); code != 0 {
		t.Errorf("exit status %d", code)
	}
	if got := replicaOffset(ctx, r); got != final {
		t.Errorf("redis replica: slave_repl_offset %d, master's final %d", got, final)
	}
	requireAllKeys(t, ctx, r, "after", 1000, 2000)
	if log := m.proc.LogText(); !strings.Contains(log, "1 of 1 replicas are in sync when shutting down.") {
		t.Errorf("master log:\n%s", tailText(log, 10))
	}
}

// TestEmbeddedCloseWaitsForReplicas: the embedding API's Close waits, as
// SHUTDOWN does, for a lagging replica (frozen here) up to
// shutdown-timeout, then stops anyway without an error (nothing failed).
func TestEmbeddedCloseWaitsForReplicas(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 2*time.Minute)
	srv, err := tandem.Start(tandem.Config{Directives: embedDirectives(t.TempDir(), "m",
		[]string{"shutdown-timeout", "2"}, []string{"repl-diskless-sync-delay", "0"}, []string{"repl-ping-replica-period", "3600"})})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			srv.Close()
		}
	})
	_, port, _ := net.SplitHostPort(srv.Addr())
	m := &replNode{name: "embedded master", c: newClient(t, srv.Addr(), 2)}
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", port)
	waitLinkUp(t, ctx, r)
	writeKeys(t, ctx, m, "k", 100)
	waitOffsetsMatch(t, ctx, m, r)
	stopProc(t, r.proc)
	if err := m.c.Set(ctx, "last", "write", 0).Err(); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	err = srv.Close()
	closed = true
	if err != nil {
		t.Errorf("Close: %v", err)
	}
	if took := time.Since(start); took < 1500*time.Millisecond || took > 30*time.Second {
		t.Errorf("Close took %v: it should wait shutdown-timeout (2 s) for the frozen replica", took)
	}
}

// TestShutdownRemovesTempRDBFiles: SHUTDOWN NOSAVE during a BGSAVE leaves
// no temp file behind, and a second SIGINT while the final save of a
// SIGINT runs exits at once (status 1) and removes that save's temp file
// (Redis's tests/unit/shutdown.tcl).
func TestShutdownRemovesTempRDBFiles(t *testing.T) {
	temps := func(dir string) []string {
		m, _ := filepath.Glob(filepath.Join(dir, "temp-*.rdb"))
		return m
	}
	for _, tc := range []struct {
		name string
		stop func(srv *testutil.Proc, c *rawConn)
		code int
	}{
		{"BGSAVE-then-SHUTDOWN-NOSAVE", func(srv *testutil.Proc, c *rawConn) {
			c.do("BGSAVE")
			testutil.Eventually(t, 10*time.Second, "the BGSAVE's temp file", func() bool { return len(temps(srv.Dir)) > 0 })
			c.send(encode("SHUTDOWN", "NOSAVE"))
		}, 0},
		{"second-SIGINT-during-the-final-save", func(srv *testutil.Proc, c *rawConn) {
			srv.Cmd.Process.Signal(syscall.SIGINT)
			testutil.Eventually(t, 10*time.Second, "the final save's temp file", func() bool { return len(temps(srv.Dir)) > 0 })
			srv.Cmd.Process.Signal(syscall.SIGINT)
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startTandem(t, "--save", "3600 1")
			c := dialRaw(t, srv.Addr())
			for i := 0; i < 20; i++ {
				c.do("SET", strconv.Itoa(i), "v")
			}
			c.do("CONFIG", "SET", "rdb-key-save-delay", "100000") // 2 s for 20 keys
			tc.stop(srv, c)
			if code := exitCode(t, srv, 10*time.Second); code != tc.code {
				t.Errorf("exit status %d, want %d", code, tc.code)
			}
			testutil.Eventually(t, 5*time.Second, "no temp RDB file left", func() bool { return len(temps(srv.Dir)) == 0 })
		})
	}
}

// TestShutdownRefusedWhileWritingTheInitialAOF: a SHUTDOWN that waited for
// a lagging replica still refuses to exit when, meanwhile, AOF was turned
// on and its first rewrite is not done (kept slow by rdb-key-save-delay,
// which paces AOF rewrites as it does BGSAVE, as in Redis): both blocked
// clients get the error, the log says why, and SHUTDOWN NOSAVE FORCE
// exits at once despite the slow rewrite (Redis 7.0's integration/shutdown
// case).
func TestShutdownRefusedWhileWritingTheInitialAOF(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 3*time.Minute)
	m, rs := startShutdownGroup(t, ctx, 1, "--shutdown-timeout", "300")
	waitOffsetsMatch(t, ctx, m, rs...)
	resume := stopProc(t, rs[0].proc)
	defer resume()
	m.c.Incr(ctx, "k")
	sd1, sd2 := dialRaw(t, m.proc.Addr()), dialRaw(t, m.proc.Addr())
	sd1.send(encode("SHUTDOWN"))
	sd2.send(encode("SHUTDOWN"))
	waitShutdownWaiting(t, ctx, m)
	testutil.Eventually(t, replWait, "blocked_clients:2", func() bool {
		return m.infoInt(ctx, "clients", "blocked_clients") == 2
	})
	admin := dialRaw(t, m.proc.Addr())
	admin.do("CONFIG", "SET", "rdb-key-save-delay", "30000000") // 30 s per key
	if got := admin.do("CONFIG", "SET", "appendonly", "yes"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET appendonly yes: %q", got)
	}
	resume()
	for _, c := range []*rawConn{sd1, sd2} {
		if got, err := c.tryRead(30 * time.Second); err != nil || got != "-ERR Errors trying to SHUTDOWN. Check logs.\r\n" {
			t.Errorf("blocked SHUTDOWN got %q, %v", got, err)
		}
	}
	logs := m.proc.LogText()
	for _, want := range []string{"1 of 1 replicas are in sync", "Writing initial AOF, can't exit", "Errors trying to shut down"} {
		if !strings.Contains(logs, want) {
			t.Errorf("master's log lacks %q", want)
		}
	}
	if m.proc.Exited() {
		t.Fatal("the master exited with its initial AOF unwritten")
	}
	start := time.Now()
	admin.send(encode("SHUTDOWN", "NOSAVE", "FORCE"))
	testutil.Eventually(t, 20*time.Second, "master exited", m.proc.Exited)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("SHUTDOWN NOSAVE FORCE took %v with a slow rewrite running", took)
	}
}

// TestShutdownRefusesNewConnectionsOnceAnswered: once SHUTDOWN has closed
// its client's connection, the server accepts no new one (Redis has
// exited by then; Redis's unit/scripting dials right after SHUTDOWN
// NOSAVE and expects "connection refused"), with or without a busy
// script in the way.
func TestShutdownRefusesNewConnectionsOnceAnswered(t *testing.T) {
	t.Parallel()
	for _, busy := range []bool{false, true} {
		srv := startTandem(t, "--busy-reply-threshold", "100")
		rc := dialRaw(t, srv.Addr())
		if busy {
			script := dialRaw(t, srv.Addr())
			script.send(encode("EVAL", "while true do end", "0"))
			testutil.Eventually(t, 10*time.Second, "the script to be busy", func() bool {
				return strings.HasPrefix(rc.do("PING"), "-BUSY")
			})
		}
		rc.send(encode("SHUTDOWN", "NOSAVE"))
		rc.expectClosed(10 * time.Second)
		if c, err := net.DialTimeout("tcp", srv.Addr(), 2*time.Second); err == nil {
			c.Close()
			t.Fatalf("busy script %v: a connection was accepted after SHUTDOWN NOSAVE closed its client's", busy)
		}
	}
}
