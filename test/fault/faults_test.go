package fault

// The faults. Each one starts from a healthy group, records when it struck
// (injectAt), and returns once it is healed; the group then settles on its
// own (Sentinel, replication) while the writers go on.

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// faultRun is what a fault acts on.
type faultRun struct {
	t        testing.TB
	g        *group
	m        *node // the master when the fault strikes
	rng      *rand.Rand
	cfg      *suiteConfig
	injectAt time.Time
}

func (fr *faultRun) strike() { fr.injectAt = time.Now() }

// fault is one row group of the table.
type fault struct {
	name string
	desc string
	// zeroLoss are the write modes whose acknowledged writes the issue's
	// targets say must all survive this fault (checked for Tandem only).
	zeroLoss []string
	// waitsFor, when set, names the Tandem feature the fault needs: Tandem
	// runs it only when a probe finds the feature answers.
	waitsFor string
	probe    func(t testing.TB, im impl) bool
	run      func(fr *faultRun) error
}

var allFaults = []*fault{
	{name: "kill9", desc: "kill -9 of the master; restarted (empty) once Sentinel promoted a replica",
		zeroLoss: []string{"waitall"}, run: runKill9},
	{name: "pause", desc: "SIGSTOP of the master for the pause time (> down-after), then SIGCONT",
		zeroLoss: []string{"waitall"}, run: runPause},
	{name: "partition", desc: "the master cut off from replicas and Sentinels (its proxy blackholes) for the partition time; clients still reach it",
		zeroLoss: []string{"waitall"}, run: runPartition},
	{name: "replica-restart", desc: "SIGTERM of a replica (it saves an RDB), restarted at once",
		run: runReplicaRestart},
	{name: "link-flap", desc: "replication links of the master cut, blackholed 1.5 s, delayed 100 ms for 2 s",
		run: runLinkFlap},
	{name: "sentinel-failover", desc: "SENTINEL FAILOVER (promotion with REPLICAOF NO ONE)",
		run: runSentinelFailover},
	{name: "failover", desc: "FAILOVER TIMEOUT 5000 sent to the master",
		zeroLoss: []string{"async", "wait1", "waitall", "async+minrep"},
		waitsFor: "the FAILOVER command (issue 21, being built)", probe: probeFailover, run: runFailoverCmd},
	{name: "shutdown", desc: "SHUTDOWN of the master (waits shutdown-timeout for its replicas), restarted once Sentinel promoted a replica",
		zeroLoss: []string{"async", "wait1", "waitall", "async+minrep"},
		waitsFor: "graceful SHUTDOWN that waits for replicas (issue 21, being built)", probe: probeShutdown, run: runShutdown},
}

// waitNewMaster waits until every Sentinel names a master other than old.
func (fr *faultRun) waitNewMaster(old *node, d time.Duration) error {
	return fr.g.waitFor(d, "a new master", func() error {
		m, err := fr.g.master()
		if err != nil {
			return err
		}
		if m == old {
			return fmt.Errorf("still %s", m.name)
		}
		return nil
	})
}

func runKill9(fr *faultRun) error {
	fr.g.beforeExit(fr.m)
	fr.strike()
	fr.m.kill()
	err := fr.waitNewMaster(fr.m, 30*time.Second)
	// Restarted empty (no persistence) only after the promotion: an empty
	// master back before it would hand its replicas an empty dataset.
	fr.m.restart(fr.t)
	return err
}

func runPause(fr *faultRun) error {
	fr.strike()
	fr.m.signal(syscall.SIGSTOP)
	time.Sleep(fr.cfg.pauseTime)
	fr.m.signal(syscall.SIGCONT)
	return nil
}

func runPartition(fr *faultRun) error {
	fr.strike()
	fr.m.proxy.Blackhole(scopeAll)
	time.Sleep(fr.cfg.partitionTime)
	fr.m.proxy.Heal()
	return nil
}

func (fr *faultRun) replicas() []*node {
	var out []*node
	for _, n := range fr.g.nodes {
		if n != fr.m {
			out = append(out, n)
		}
	}
	return out
}

func runReplicaRestart(fr *faultRun) error {
	r := fr.replicas()[fr.rng.Intn(2)]
	fr.g.beforeExit(r)
	fr.strike()
	r.signal(syscall.SIGTERM)
	if !r.waitExit(20 * time.Second) {
		r.kill()
		return fmt.Errorf("%s did not exit within 20 s of SIGTERM (killed)", r.name)
	}
	r.restart(fr.t)
	return nil
}

func runLinkFlap(fr *faultRun) error {
	px := fr.m.proxy
	fr.strike()
	n := px.Cut(scopeRepl)
	time.Sleep(time.Second)
	px.Blackhole(scopeRepl)
	time.Sleep(1500 * time.Millisecond)
	px.Heal()
	time.Sleep(time.Second)
	px.Delay(scopeRepl, 100*time.Millisecond)
	time.Sleep(2 * time.Second)
	px.Heal()
	if n == 0 {
		return fmt.Errorf("no replication link crossed the master's proxy")
	}
	return nil
}

func runSentinelFailover(fr *faultRun) error {
	i := fr.rng.Intn(len(fr.g.sc))
	ctx, cancel := ctx2s()
	defer cancel()
	fr.strike()
	if err := fr.g.sc[i].Do(ctx, "SENTINEL", "FAILOVER", masterName).Err(); err != nil {
		return fmt.Errorf("SENTINEL FAILOVER: %v", err)
	}
	return fr.waitNewMaster(fr.m, 30*time.Second)
}

func runFailoverCmd(fr *faultRun) error {
	ctx, cancel := ctx2s()
	defer cancel()
	fr.strike()
	if err := fr.m.c.Do(ctx, "FAILOVER", "TIMEOUT", 5000).Err(); err != nil {
		return fmt.Errorf("FAILOVER: %v", err)
	}
	// The master now hands over; Sentinel learns of it on its own (a
	// master that reports itself a replica is, to Sentinel, down).
	return fr.g.waitFor(30*time.Second, "FAILOVER to end", func() error {
		if st := fr.g.info(fr.m, "replication")["master_failover_state"]; st != "no-failover" {
			return fmt.Errorf("master_failover_state %q", st)
		}
		return nil
	})
}

func runShutdown(fr *faultRun) error {
	fr.g.beforeExit(fr.m)
	ctx, cancel := context.WithTimeout(ctxBG, 30*time.Second)
	defer cancel()
	fr.strike()
	// The connection closes when the server exits: no reply is expected.
	fr.m.c.Do(ctx, "SHUTDOWN")
	if !fr.m.waitExit(30 * time.Second) {
		fr.m.kill()
		return fmt.Errorf("%s did not exit within 30 s of SHUTDOWN (killed)", fr.m.name)
	}
	err := fr.waitNewMaster(fr.m, 30*time.Second)
	fr.m.restart(fr.t)
	return err
}

// probeFailover: the server answers FAILOVER ABORT as Redis 7.0 does when
// no failover runs.
func probeFailover(t testing.TB, im impl) bool {
	return probeReply(t, im, "ERR No failover in progress", "FAILOVER", "ABORT")
}

// probeShutdown: a master whose replica lags waits on SHUTDOWN (up to
// shutdown-timeout) instead of exiting, and SHUTDOWN ABORT from another
// client cancels the wait, as in Redis 7.0. Answering SHUTDOWN ABORT alone
// is not enough: a server can parse it and still exit at once.
func probeShutdown(t testing.TB, im impl) bool {
	t.Helper()
	m := startProc(t, im.name+"-probe-m", im.bin, testutil.FreePort(t), "save \"\"\nshutdown-timeout 10\n")
	defer m.kill()
	r := startProc(t, im.name+"-probe-r", im.bin, testutil.FreePort(t), fmt.Sprintf("save \"\"\nreplicaof 127.0.0.1 %d\n", m.port))
	defer r.kill()
	mc, rc := adminClient(m.addr()), adminClient(r.addr())
	defer mc.Close()
	defer rc.Close()
	if err := waitFor(10*time.Second, im.name+" probe replica link", func() error {
		if st := infoOf(rc, "replication")["master_link_status"]; st != "up" {
			return fmt.Errorf("link %q", st)
		}
		return nil
	}); err != nil {
		t.Logf("shutdown probe: %v", err)
		return false
	}
	r.signal(syscall.SIGSTOP)
	defer r.signal(syscall.SIGCONT)
	ctx, cancel := ctx2s()
	defer cancel()
	mc.Set(ctx, "probe", "1", 0)
	c1 := adminClient(m.addr())
	defer c1.Close()
	go c1.Do(context.Background(), "SHUTDOWN")
	// ABORT until the SHUTDOWN is seen waiting (on a loaded machine it
	// may arrive after the first ABORT, which then finds none in progress).
	err := waitFor(10*time.Second, im.name+" probe SHUTDOWN ABORT", func() error {
		actx, acancel := ctx2s()
		defer acancel()
		return mc.Do(actx, "SHUTDOWN", "ABORT").Err()
	})
	if err != nil {
		t.Logf("shutdown probe: %v", err)
	}
	return err == nil && m.running()
}

// probeReply starts a scratch server of im and reports whether args is
// answered with an error starting with want.
func probeReply(t testing.TB, im impl, want string, args ...any) bool {
	t.Helper()
	p := startProc(t, im.name+"-probe", im.bin, testutil.FreePort(t), "save \"\"\n")
	defer p.kill()
	c := adminClient(p.addr())
	defer c.Close()
	ctx, cancel := ctx2s()
	defer cancel()
	err := c.Do(ctx, args...).Err()
	return err != nil && strings.HasPrefix(err.Error(), want)
}
