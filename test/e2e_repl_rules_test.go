package test

// Rules around a replication link: authentication to the master, read-only
// replicas, WAIT, min-replicas-to-write, expiry owned by the master, and
// the replica output-buffer limit.

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// withPassword replaces n's client with one that authenticates.
func (n *replNode) withPassword(t testing.TB, pw string) {
	t.Helper()
	n.c = redis.NewClient(&redis.Options{
		Addr: n.proc.Addr(), Password: pw, Protocol: 2,
		DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		MaxRetries: -1, PoolSize: 4,
	})
	c := n.c
	t.Cleanup(func() { c.Close() })
}

// TestReplMasterauthWrongStaysDownRightSyncs: with a wrong masterauth the
// replica never gets past AUTH (link down, `Unable to AUTH to MASTER` in its
// log, retried); with the right one it syncs.
func TestReplMasterauthWrongStaysDownRightSyncs(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master", "--requirepass", "s3cret")
	m.withPassword(t, "s3cret")
	if err := m.c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	wrong := startReplTandem(t, "wrong", "--masterauth", "nope", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	right := startReplTandem(t, "right", "--masterauth", "s3cret", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	waitLinkUp(t, ctx, right)
	if v, err := right.c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("right replica GET k = %q, %v", v, err)
	}
	const line = "Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled."
	testutil.Eventually(t, replWait, "two failed AUTH attempts", func() bool { return logLines(wrong.proc, line) >= 2 })
	if wrong.linkUp(ctx) {
		t.Error("replica with a wrong masterauth has its link up")
	}
	if got := wrong.info(ctx, "replication")["master_link_down_since_seconds"]; got != "-1" {
		t.Errorf("never-connected replica: master_link_down_since_seconds = %q, want -1", got)
	}
	if n, _ := wrong.c.DBSize(ctx).Result(); n != 0 {
		t.Errorf("replica with a wrong masterauth has %d keys", n)
	}
	// Fixing the password at run time lets it in on the next retry.
	if err := wrong.c.ConfigSet(ctx, "masterauth", "s3cret").Err(); err != nil {
		t.Fatal(err)
	}
	waitLinkUp(t, ctx, wrong)
	requireSameDataset(t, ctx, m, right, wrong)
}

// TestReplReplicaRefusesWrites: writes from clients on a read-only replica
// get Redis's exact READONLY error (also inside MULTI, where EXEC aborts);
// reads are served.
func TestReplReplicaRefusesWrites(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	m := startReplTandem(t, "master")
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	m.c.Set(ctx, "k", "v", 0)
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	const ro = "READONLY You can't write against a read only replica."
	for _, cmd := range [][]any{{"SET", "k", "x"}, {"DEL", "k"}, {"INCR", "n"}, {"EXPIRE", "k", 10}, {"FLUSHALL"}} {
		if err := r.c.Do(ctx, cmd...).Err(); err == nil || err.Error() != ro {
			t.Errorf("%v on replica: %v, want %q", cmd, err, ro)
		}
	}
	if v, err := r.c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("GET on replica = %q, %v", v, err)
	}
	raw := dialRaw(t, r.proc.Addr())
	raw.do("MULTI")
	if got := raw.do("SET", "k", "x"); got != "-"+ro+"\r\n" {
		t.Errorf("SET queued on replica: %q", got)
	}
	if got := raw.do("EXEC"); !strings.HasPrefix(got, "-EXECABORT") {
		t.Errorf("EXEC after a refused write: %q", got)
	}
	if v, _ := r.c.Get(ctx, "k").Result(); v != "v" {
		t.Errorf("replica value changed to %q", v)
	}
}

// TestReplWaitCountsAcknowledgingReplicas: WAIT returns how many replicas
// acknowledged the client's last write, and on timeout how many did so far
// (replicas held by a paused proxy do not ack).
func TestReplWaitCountsAcknowledgingReplicas(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master")
	p1 := testutil.StartProxy(t, m.proc.Addr())
	p2 := testutil.StartProxy(t, m.proc.Addr())
	r1 := startReplTandem(t, "r1", "--replicaof", "127.0.0.1", strconv.Itoa(p1.Port))
	r2 := startReplTandem(t, "r2", "--replicaof", "127.0.0.1", strconv.Itoa(p2.Port))
	waitLinkUp(t, ctx, r1, r2)
	waitOnline(t, ctx, m, 2)

	// WAIT is about this connection's writes; the client must outwait it.
	wc := redis.NewClient(&redis.Options{Addr: m.proc.Addr(), Protocol: 2, ReadTimeout: time.Minute, MaxRetries: -1})
	defer wc.Close()
	conn := wc.Conn()
	defer conn.Close()
	wait := func(n, ms int) (int64, time.Duration) {
		t.Helper()
		start := time.Now()
		got, err := conn.Do(ctx, "WAIT", n, ms).Int64()
		if err != nil {
			t.Fatalf("WAIT %d %d: %v", n, ms, err)
		}
		return got, time.Since(start)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("master INFO replication:\n%s", m.c.Info(ctx, "replication").Val())
		}
	})
	conn.Set(ctx, "a", "1", 0)
	if got, _ := wait(2, 20000); got != 2 {
		t.Fatalf("WAIT 2 with both replicas up = %d", got)
	}
	if got, el := wait(0, 0); got != 2 || el > 5*time.Second {
		t.Errorf("WAIT 0 0 = %d after %v, want 2 at once", got, el)
	}

	p2.Pause(true)
	conn.Set(ctx, "b", "2", 0)
	if got, _ := wait(1, 20000); got != 1 { // r1 acks; r2 cannot
		t.Fatalf("WAIT 1 with r2 paused = %d, want 1", got)
	}
	got, el := wait(2, 1000)
	if got != 1 {
		t.Errorf("WAIT 2 1000 with r2 paused = %d, want 1", got)
	}
	if el < 900*time.Millisecond || el > 15*time.Second {
		t.Errorf("WAIT 2 1000 took %v, want about 1s", el)
	}
	p1.Pause(true)
	conn.Set(ctx, "c", "3", 0)
	if got, el := wait(1, 500); got != 0 || el < 400*time.Millisecond {
		t.Errorf("WAIT 1 500 with both paused = %d after %v, want 0 after 500ms", got, el)
	}
	p1.Pause(false)
	p2.Pause(false)
	if got, _ := wait(2, 20000); got != 2 {
		t.Errorf("WAIT 2 after resuming = %d, want 2", got)
	}
	// WAIT is a master command.
	if err := r1.c.Do(ctx, "WAIT", 1, 10).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR WAIT cannot be used with replica instances.") {
		t.Errorf("WAIT on a replica: %v", err)
	}
}

// TestReplMinReplicasToWrite: with min-replicas-to-write 1 the master
// refuses writes (NOREPLICAS) while no good replica is attached, by loss
// of the link or by an ACK lag over min-replicas-max-lag, and accepts them
// again once it is back. Reads are always served.
func TestReplMinReplicasToWrite(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master", "--min-replicas-to-write", "1", "--min-replicas-max-lag", "3", "--repl-timeout", "60")
	const noreplicas = "NOREPLICAS Not enough good replicas to write."
	if err := m.c.Set(ctx, "k", "v", 0).Err(); err == nil || err.Error() != noreplicas {
		t.Fatalf("write with no replica: %v, want %q", err, noreplicas)
	}
	px := testutil.StartProxy(t, m.proc.Addr())
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(px.Port))
	waitLinkUp(t, ctx, r)
	testutil.Eventually(t, replWait, "write accepted with a good replica", func() bool {
		return m.c.Set(ctx, "k", "v1", 0).Err() == nil
	})
	if got := m.info(ctx, "replication")["min_slaves_good_slaves"]; got != "1" {
		t.Errorf("min_slaves_good_slaves = %q, want 1", got)
	}

	// Replica gone. Writes may still pass until the master notices; the
	// last accepted one is what a read must return.
	last := "v1"
	seq := 0
	refused := func(what string) {
		t.Helper()
		testutil.Eventually(t, replWait, what, func() bool {
			seq++
			v := fmt.Sprintf("v%d", seq+1)
			err := m.c.Set(ctx, "k", v, 0).Err()
			if err == nil {
				last = v
			}
			return err != nil && err.Error() == noreplicas
		})
	}
	accepted := func(what string) {
		t.Helper()
		testutil.Eventually(t, replWait, what, func() bool {
			seq++
			v := fmt.Sprintf("v%d", seq+1)
			if m.c.Set(ctx, "k", v, 0).Err() != nil {
				return false
			}
			last = v
			return true
		})
	}
	px.Down()
	refused("NOREPLICAS once the replica is gone")
	if v, err := m.c.Get(ctx, "k").Result(); err != nil || v != last {
		t.Errorf("read while refusing writes: %q %v, want %q", v, err, last)
	}
	px.Up()
	accepted("writes accepted once the replica is back")

	// Replica lagging: its ACKs stop arriving. The master stops taking
	// writes once the last ACK is min-replicas-max-lag (3 s) old: not a
	// second later (Redis counts whole seconds and refreshes its count once
	// a second), and not much earlier either (the replica ACKs every
	// 200 ms, not once a second, so its last ACK is at most that old when
	// the link stalls).
	px.Pause(true)
	paused := time.Now()
	refused("NOREPLICAS once the replica lags")
	if took := time.Since(paused); took < 2400*time.Millisecond || took > 3200*time.Millisecond {
		t.Errorf("writes refused %v after the replica's link stalled, want about 3 s (min-replicas-max-lag)", took)
	}
	px.Pause(false)
	accepted("writes accepted once the replica catches up")
	waitOffsetsMatch(t, ctx, m, r)
	if v, _ := r.c.Get(ctx, "k").Result(); v != last {
		t.Errorf("replica has k=%q, want %q", v, last)
	}
	// Ignored on replicas: the replica applies the stream regardless.
	if err := r.c.ConfigSet(ctx, "min-replicas-to-write", "3").Err(); err != nil {
		t.Fatal(err)
	}
	m.c.Set(ctx, "k", "v6", 0)
	waitOffsetsMatch(t, ctx, m, r)
	if v, _ := r.c.Get(ctx, "k").Result(); v != "v6" {
		t.Errorf("replica with min-replicas-to-write has k=%q, want v6", v)
	}
}

// TestReplExpiryIsOwnedByTheMaster: a key whose TTL passed reads as nil on
// the replica before the master's DEL arrives (the replica keeps it:
// DBSIZE still counts it); the master's expiry (lazy or active) then sends
// a DEL that removes it on the replica.
func TestReplExpiryIsOwnedByTheMaster(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master")
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	waitLinkUp(t, ctx, r)
	mustDo(t, ctx, m.c, "DEBUG", "SET-ACTIVE-EXPIRE", "0")

	m.c.Set(ctx, "lazy", "v", 300*time.Millisecond)
	m.c.Set(ctx, "keep", "v", 0)
	waitOffsetsMatch(t, ctx, m, r)
	if v, _ := r.c.Get(ctx, "lazy").Result(); v != "v" {
		t.Fatalf("replica did not get the key with a TTL (GET = %q)", v)
	}
	time.Sleep(400 * time.Millisecond) // let the TTL pass
	if err := r.c.Get(ctx, "lazy").Err(); err != redis.Nil {
		t.Errorf("replica GET of a logically expired key: %v, want nil", err)
	}
	if n, _ := r.c.Exists(ctx, "lazy").Result(); n != 0 {
		t.Errorf("replica EXISTS of a logically expired key = %d", n)
	}
	if n, _ := r.c.DBSize(ctx).Result(); n != 2 {
		t.Errorf("replica DBSIZE = %d, want 2: it must keep the key until the master's DEL", n)
	}
	// The master expires it lazily on access and propagates a DEL.
	if err := m.c.Get(ctx, "lazy").Err(); err != redis.Nil {
		t.Errorf("master GET of an expired key: %v", err)
	}
	testutil.Eventually(t, replWait, "the DEL reaches the replica", func() bool {
		n, _ := r.c.DBSize(ctx).Result()
		return n == 1
	})

	// Active expiry on the master does the same without any access.
	mustDo(t, ctx, m.c, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
	for i := 0; i < 20; i++ {
		m.c.Set(ctx, fmt.Sprintf("active:%d", i), "v", time.Duration(100+i*10)*time.Millisecond)
	}
	testutil.Eventually(t, replWait, "active expiry empties master and replica", func() bool {
		mn, _ := m.c.DBSize(ctx).Result()
		rn, _ := r.c.DBSize(ctx).Result()
		return mn == 1 && rn == 1
	})
	requireSameDataset(t, ctx, m, r)
}

// TestReplSlowReplicaDroppedByOutputBufferLimit: a replica that stops
// reading (the proxy stops moving bytes, or the replica process is
// stopped with SIGSTOP) is disconnected when its pending stream passes
// client-output-buffer-limit replica; the master keeps serving clients and
// logs which limit was hit; the replica later resynchronizes.
func TestReplSlowReplicaDroppedByOutputBufferLimit(t *testing.T) {
	for _, fault := range []string{"proxy-pause", "sigstop"} {
		t.Run(fault, func(t *testing.T) {
			ctx := ctxFor(t, 3*time.Minute)
			m := startReplTandem(t, "master", "--client-output-buffer-limit", "replica 1mb 0 0", "--repl-backlog-size", "1mb")
			px := testutil.StartProxy(t, m.proc.Addr())
			r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(px.Port))
			waitLinkUp(t, ctx, r)
			waitOnline(t, ctx, m, 1)
			resume := func() { px.Pause(false) }
			if fault == "proxy-pause" {
				px.Pause(true)
			} else {
				pid := r.proc.Cmd.Process.Pid
				if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
				resume = func() { syscall.Kill(pid, syscall.SIGCONT) }
				t.Cleanup(resume)
			}
			val := strings.Repeat("v", 100<<10)
			const line = "for overcoming of output buffer limits"
			deadline := time.Now().Add(replWait)
			for i := 0; !strings.Contains(m.proc.LogText(), line); i++ {
				if time.Now().After(deadline) {
					t.Fatalf("master never dropped the stuck replica (%d MB written)", i/10)
				}
				start := time.Now()
				if err := m.c.Set(ctx, fmt.Sprintf("big:%d", i%200), val, 0).Err(); err != nil {
					t.Fatalf("master stopped answering: %v", err)
				}
				if el := time.Since(start); el > 5*time.Second {
					t.Fatalf("a write took %v: the stuck replica blocks the master", el)
				}
			}
			if pong, err := m.c.Ping(ctx).Result(); err != nil || pong != "PONG" {
				t.Fatalf("master after dropping the replica: %q %v", pong, err)
			}
			logText := m.proc.LogText()
			i := strings.Index(logText, line)
			start := strings.LastIndex(logText[:i], "\n") + 1
			end := i + strings.Index(logText[i:], "\n")
			dropLine := logText[start:end]
			if !strings.Contains(dropLine, "flags=S") || !strings.Contains(dropLine, "replica") {
				t.Errorf("drop line does not name the replica client and its limit class: %s", dropLine)
			}
			testutil.Eventually(t, replWait, "master forgets the replica", func() bool {
				return m.infoInt(ctx, "replication", "connected_slaves") == 0 || !strings.Contains(m.info(ctx, "replication")["slave0"], "state=online")
			})
			resume()
			waitLinkUp(t, ctx, r)
			requireSameDataset(t, ctx, m, r)
		})
	}
}

// TestReplSilentLinkTimesOutOnBothSides: a link that goes silent without
// closing (the proxy drops every byte) is detected by repl-timeout: on the
// replica (`MASTER timeout: no data nor PING received...`) and, with the
// timeouts the other way round, on the master (`Disconnecting timedout
// replica (streaming sync)`); each time the replica resumes with a partial
// resync once the network is back.
func TestReplSilentLinkTimesOutOnBothSides(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master")
	px := testutil.StartProxy(t, m.proc.Addr())
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(px.Port))
	waitLinkUp(t, ctx, r)
	for _, side := range []struct {
		short *replNode // the side with repl-timeout 2, which notices first
		long  *replNode
		line  string
	}{
		{r, m, "MASTER timeout: no data nor PING received..."},
		{m, r, "Disconnecting timedout replica (streaming sync): 127.0.0.1:" + strconv.Itoa(r.port())},
	} {
		mustDo(t, ctx, side.short.c, "CONFIG", "SET", "repl-timeout", "2")
		mustDo(t, ctx, side.long.c, "CONFIG", "SET", "repl-timeout", "60")
		m.c.Set(ctx, "before", side.short.name, 0)
		waitOffsetsMatch(t, ctx, m, r)
		pok := m.stat(t, ctx, "sync_partial_ok")

		px.Blackhole(true)
		m.c.Set(ctx, "during", side.short.name, 0)
		waitLog(t, side.short, side.line)
		testutil.Eventually(t, replWait, "replica link down", func() bool { return !r.linkUp(ctx) })
		px.Blackhole(false)
		waitLinkUp(t, ctx, r)
		m.c.Set(ctx, "after", side.short.name, 0)
		requireSameDataset(t, ctx, m, r)
		if got := m.stat(t, ctx, "sync_partial_ok"); got <= pok {
			t.Errorf("%s timed out first: sync_partial_ok stayed at %d, the replica should PSYNC", side.short.name, got)
		}
	}
}

// TestWritableReplicaExpiry: on a writable replica (replica-read-only no)
// a key whose time passed is deleted by a client's write (INCR starts
// again from nothing, without a TTL) while reads only hide it, and keys
// the replica's own clients gave a TTL are expired by the replica itself,
// since no master will ever delete them (Redis 7.0's replication-3 cases).
func TestWritableReplicaExpiry(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, time.Minute)
	m := startReplTandem(t, "master", "--enable-debug-command", "yes")
	r := startReplTandem(t, "replica", "--replica-read-only", "no")
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)
	mustDo(t, ctx, m.c, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	m.c.Set(ctx, "key1", "5", 10*time.Millisecond)
	m.c.Set(ctx, "key2", "5", 10*time.Millisecond)
	waitOffsetsMatch(t, ctx, m, r)
	time.Sleep(50 * time.Millisecond)
	if n := r.c.DBSize(ctx).Val(); n != 2 {
		t.Fatalf("replica DBSIZE %d, want 2 (its master deletes, not it)", n)
	}
	if v, err := r.c.Incr(ctx, "key1").Result(); err != nil || v != 1 {
		t.Errorf("INCR of an expired key on the writable replica = %d, %v; want 1", v, err)
	}
	if ttl := r.c.TTL(ctx, "key1").Val(); ttl != -1 {
		t.Errorf("TTL after INCR re-created key1 = %v, want -1", ttl)
	}
	if err := r.c.Get(ctx, "key2").Err(); err != redis.Nil {
		t.Errorf("GET of an expired key: %v, want nil", err)
	}
	if n := r.c.DBSize(ctx).Val(); n != 2 {
		t.Errorf("replica DBSIZE %d after the read, want 2 (a read does not delete)", n)
	}
	rdb := r.db(t, 5)
	for _, k := range []string{"own1", "own2", "own3"} {
		rdb.Set(ctx, k, "v", time.Second)
	}
	testutil.Eventually(t, 10*time.Second, "the replica's own keys expired", func() bool {
		return rdb.DBSize(ctx).Val() == 0
	})
}

// TestReplicaLogsAFailedMasterCommand: a command of the master's that
// fails on the replica (DEBUG REPLICATE sends one the replica does not
// know) is logged as critical and counted, and replication goes on; with
// propagation-error-behavior panic a read-only replica stops (Redis 7.0's
// replication-4 cases).
func TestReplicaLogsAFailedMasterCommand(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, time.Minute)
	m := startReplTandem(t, "master", "--enable-debug-command", "yes")
	r := startReplTandem(t, "diverging replica")
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)
	mustDo(t, ctx, m.c, "DEBUG", "REPLICATE", "fake-command-1")
	m.c.Set(ctx, "foo", "bar", 0)
	waitOffsetsMatch(t, ctx, m, r)
	log := r.proc.LogText()
	if strings.Count(log, "== CRITICAL ==") != 1 || !strings.Contains(log, "fake-command-1") {
		t.Errorf("replica's log:\n%s", tailText(log, 10))
	}
	if got := r.infoInt(ctx, "stats", "unexpected_error_replies"); got != 1 {
		t.Errorf("unexpected_error_replies = %d, want 1", got)
	}
	if v := r.c.Get(ctx, "foo").Val(); v != "bar" {
		t.Errorf("replication stopped after the failed command: foo=%q", v)
	}
	r.c.ConfigSet(ctx, "propagation-error-behavior", "panic")
	mustDo(t, ctx, m.c, "DEBUG", "REPLICATE", "fake-command-2")
	if !r.proc.WaitExit(10 * time.Second) {
		t.Fatal("a read-only replica with propagation-error-behavior panic went on")
	}
	if log := r.proc.LogText(); !strings.Contains(log, "panicked sending an error to its master") || !strings.Contains(log, "STACK TRACE") {
		t.Errorf("replica's crash report:\n%s", tailText(log, 20))
	}
}

// TestReplPausedReplicaHoldsItsMasterStream: CLIENT PAUSE on a replica
// holds its master's stream as it holds any client (Redis 7.0 postpones its
// master client too): under PAUSE WRITE the master's writes are read
// (slave_read_repl_offset) but not applied (slave_repl_offset, the data,
// and the replica's own replica stay where they were), the held link counts
// in blocked_clients; CLIENT UNPAUSE applies them at once, without any
// further byte from the master. PAUSE ALL holds even a read-only command.
func TestReplPausedReplicaHoldsItsMasterStream(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master")
	mustDo(t, ctx, m.c, "CONFIG", "SET", "repl-ping-replica-period", "3600")
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	sub := startReplTandem(t, "subreplica", "--replicaof", "127.0.0.1", strconv.Itoa(r.port()))
	waitLinkUp(t, ctx, r, sub)
	m.c.Set(ctx, "foo", "bar", 0)
	waitOffsetsMatch(t, ctx, m, r, sub)

	// PAUSE WRITE: INFO still answers, so the hold is seen in the offsets.
	key := "held:write"
	before := r.infoInt(ctx, "replication", "slave_repl_offset")
	mustDo(t, ctx, r.c, "CLIENT", "PAUSE", "100000", "WRITE")
	if err := m.c.Set(ctx, key, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	mo := m.infoInt(ctx, "replication", "master_repl_offset")
	testutil.Eventually(t, replWait, "the replica reads the held write", func() bool {
		return r.infoInt(ctx, "replication", "slave_read_repl_offset") == mo
	})
	time.Sleep(200 * time.Millisecond) // several of the link's wake-ups
	if got := r.infoInt(ctx, "replication", "slave_repl_offset"); got != before {
		t.Fatalf("paused replica applied its master's stream: slave_repl_offset %d, want %d", got, before)
	}
	if got := r.infoInt(ctx, "clients", "blocked_clients"); got != 1 {
		t.Errorf("blocked_clients = %d while the master link is held, want 1", got)
	}
	if n, _ := r.c.Exists(ctx, key).Result(); n != 0 {
		t.Fatalf("paused replica has the held key")
	}
	if n, _ := sub.c.Exists(ctx, key).Result(); n != 0 {
		t.Fatalf("the paused replica forwarded a write it did not apply")
	}
	mustDo(t, ctx, r.c, "CLIENT", "UNPAUSE")
	testutil.Eventually(t, replWait, "unpause applies the held write", func() bool {
		return r.infoInt(ctx, "replication", "slave_repl_offset") == mo
	})
	if v, _ := r.c.Get(ctx, key).Result(); v != "v" {
		t.Fatalf("after unpause GET %s = %q", key, v)
	}
	if got := r.infoInt(ctx, "clients", "blocked_clients"); got != 0 {
		t.Errorf("blocked_clients = %d after unpause", got)
	}
	waitOffsetsMatch(t, ctx, m, r, sub)

	// PAUSE ALL holds every client of the replica (INFO and UNPAUSE
	// included, as in Redis), so the hold is seen from its own replica,
	// which gets nothing until the pause runs out.
	key = "held:all"
	mustDo(t, ctx, r.c, "CLIENT", "PAUSE", "1500", "ALL")
	start := time.Now()
	if err := m.c.Set(ctx, key, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if n, _ := sub.c.Exists(ctx, key).Result(); n != 0 {
		t.Fatalf("a replica paused with ALL applied and forwarded its master's write")
	}
	testutil.Eventually(t, replWait, "the pause's end applies and forwards the held write", func() bool {
		n, _ := sub.c.Exists(ctx, key).Result()
		return n == 1
	})
	if d := time.Since(start); d < 1400*time.Millisecond {
		t.Fatalf("the held write reached the sub-replica %v after a 1.5 s PAUSE ALL began", d)
	}
	requireSameDataset(t, ctx, m, r, sub)
}
