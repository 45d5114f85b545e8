package test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Blocked clients stay on the event loop, and the loop reads replicas'
// ACKs itself (internal/server/evloop_block_linux.go). These tests drive
// what that changed: timeouts come from the loop's timers, commands sent
// while blocked wait for the block to end, a client that leaves while
// blocked is noticed, and a replica's socket closes whoever closes it.

// TestLoopBlockedClientTimesOutThenRunsWhatItSent: a timeout ends the
// block, and the command pipelined behind the blocked one runs after it.
func TestLoopBlockedClientTimesOutThenRunsWhatItSent(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	rc := dialRaw(t, srv.Addr())
	start := time.Now()
	rc.send(append(encode("BLPOP", "nolist", "0.3"), encode("INCR", "after")...))
	if got := rc.read(); got != "*-1\r\n" {
		t.Fatalf("BLPOP timeout = %q", got)
	}
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Fatalf("BLPOP 0.3 timed out after %v", took)
	}
	if got := rc.read(); got != ":1\r\n" {
		t.Fatalf("INCR pipelined behind BLPOP = %q", got)
	}
	if got := rc.do("GET", "after"); got != "$1\r\n1\r\n" {
		t.Fatalf("GET = %q", got)
	}
}

// TestLoopBlockedClientServedThenBlocksAgain: served by a push, the client
// blocks again on a command it had pipelined; that second block has its
// own timeout (the first one's timer must not stand in for it) and is
// served by the next push.
func TestLoopBlockedClientServedThenBlocksAgain(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	rc := dialRaw(t, srv.Addr())
	other := dialRaw(t, srv.Addr())
	// First block: 30 s, served at once. Second: 0.4 s, times out.
	rc.send(append(encode("BLPOP", "q", "30"), encode("BLPOP", "q2", "0.4")...))
	waitBlocked(t, other, 1)
	start := time.Now()
	if got := other.do("RPUSH", "q", "a"); got != ":1\r\n" {
		t.Fatalf("RPUSH = %q", got)
	}
	if got := rc.read(); got != "*2\r\n$1\r\nq\r\n$1\r\na\r\n" {
		t.Fatalf("first BLPOP = %q", got)
	}
	if got := rc.read(); got != "*-1\r\n" {
		t.Fatalf("second BLPOP = %q", got)
	}
	if took := time.Since(start); took < 350*time.Millisecond || took > 10*time.Second {
		t.Fatalf("second BLPOP 0.4 timed out after %v", took)
	}
	// Third: no timeout, served by a push; nothing times it out early.
	rc.send(encode("BLPOP", "q3", "0"))
	waitBlocked(t, other, 1)
	time.Sleep(200 * time.Millisecond)
	if got := other.do("RPUSH", "q3", "z"); got != ":1\r\n" {
		t.Fatalf("RPUSH q3 = %q", got)
	}
	if got := rc.read(); got != "*2\r\n$2\r\nq3\r\n$1\r\nz\r\n" {
		t.Fatalf("third BLPOP = %q", got)
	}
}

// TestLoopBlockedClientThatLeavesIsNotServed: a client that closes its
// connection while blocked is dropped, so a later push stays in the list
// instead of going to nobody.
func TestLoopBlockedClientThatLeavesIsNotServed(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	rc := dialRaw(t, srv.Addr())
	other := dialRaw(t, srv.Addr())
	rc.send(encode("BLPOP", "gone", "0"))
	waitBlocked(t, other, 1)
	rc.c.Close()
	waitBlocked(t, other, 0)
	if got := other.do("RPUSH", "gone", "x"); got != ":1\r\n" {
		t.Fatalf("RPUSH = %q", got)
	}
	if got := other.do("LLEN", "gone"); got != ":1\r\n" {
		t.Fatalf("LLEN after the blocked client left = %q (served to a closed connection?)", got)
	}
}

// TestLoopBlockedClientKilledAndUnblocked: CLIENT KILL closes a blocked
// client; CLIENT UNBLOCK answers one, which then goes on working.
func TestLoopBlockedClientKilledAndUnblocked(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	victim := dialRaw(t, srv.Addr())
	other := dialRaw(t, srv.Addr())
	id := strings.TrimSpace(strings.Trim(victim.do("CLIENT", "ID"), ":"))
	victim.send(encode("BLPOP", "k1", "0"))
	waitBlocked(t, other, 1)
	if got := other.do("CLIENT", "KILL", "ID", id); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL = %q", got)
	}
	victim.expectClosed(5 * time.Second)
	waitBlocked(t, other, 0)

	rc := dialRaw(t, srv.Addr())
	id = strings.TrimSpace(strings.Trim(rc.do("CLIENT", "ID"), ":"))
	rc.send(append(encode("BLPOP", "k2", "0"), encode("PING")...))
	waitBlocked(t, other, 1)
	if got := other.do("CLIENT", "UNBLOCK", id); got != ":1\r\n" {
		t.Fatalf("CLIENT UNBLOCK = %q", got)
	}
	if got := rc.read(); got != "*-1\r\n" {
		t.Fatalf("unblocked BLPOP = %q", got)
	}
	if got := rc.read(); got != "+PONG\r\n" {
		t.Fatalf("PING after = %q", got)
	}
}

// TestLoopReplicaSocketClosesFromBothSides: a replica whose ACKs the loop
// reads is disconnected by CLIENT KILL TYPE replica (the loop's side) and
// by the master's own decision (its output buffer limit, replication's
// side); each time it reconnects and WAIT counts it again.
func TestLoopReplicaSocketClosesFromBothSides(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 2*replWait)
	master := startReplTandem(t, "master")
	replica := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", fmt.Sprint(master.port()))
	waitOnline(t, ctx, master, 1)
	wait1 := func(what string) {
		t.Helper()
		testutil.Eventually(t, replWait, what, func() bool {
			master.c.Set(ctx, "w", what, 0)
			n, err := master.c.Do(ctx, "WAIT", "1", "1000").Int()
			return err == nil && n == 1
		})
	}
	wait1("before any kill")
	synced := func() int {
		inf := master.info(ctx, "stats")
		var full, partial int
		fmt.Sscan(inf["sync_full"], &full)
		fmt.Sscan(inf["sync_partial_ok"], &partial)
		return full + partial
	}
	before := synced()
	if n, err := master.c.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Int(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE replica = %v, %v", n, err)
	}
	testutil.Eventually(t, replWait, "the replica's resync after CLIENT KILL", func() bool { return synced() > before })
	wait1("after CLIENT KILL")

	// The master drops it itself, at its output limit: the replica is
	// stopped while the master writes past 1 MB. Once it runs again it
	// must find its connection closed at once (not at repl-timeout, 60 s
	// here) and resync.
	before = synced()
	mustDo(t, ctx, master.c, "CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 0 0")
	sigstop(t, replica)
	val := strings.Repeat("x", 1024)
	testutil.Eventually(t, replWait, "the master drops the stopped replica", func() bool {
		pipe := master.c.Pipeline()
		for i := 0; i < 512; i++ {
			pipe.Set(ctx, fmt.Sprintf("junk:%d", i), val, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return master.info(ctx, "replication")["connected_slaves"] == "0"
	})
	sigcont(t, replica)
	resumed := time.Now()
	testutil.Eventually(t, replWait, "the replica's resync after the output limit", func() bool { return synced() > before })
	if took := time.Since(resumed); took > 20*time.Second {
		t.Fatalf("the replica resynced %v after it resumed: its connection was not closed by the master", took)
	}
	mustDo(t, ctx, master.c, "CONFIG", "SET", "client-output-buffer-limit", "replica 0 0 0")
	wait1("after the output limit")
	waitOffsetsMatch(t, ctx, master, replica)
}

// TestLoopRDBOnlyReplicaIsClosedAfterItsRDB: an rdb-only replica (what
// redis-cli --rdb asks for) is closed by replication alone once its RDB
// is sent, with no CLIENT KILL: the loop, which reads that socket, must
// see the close.
func TestLoopRDBOnlyReplicaIsClosedAfterItsRDB(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--repl-diskless-sync", "no")
	ctl := dialRaw(t, srv.Addr())
	if got := ctl.do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET = %q", got)
	}
	rc := dialRaw(t, srv.Addr())
	if got := rc.do("REPLCONF", "rdb-only", "1"); got != "+OK\r\n" {
		t.Fatalf("REPLCONF rdb-only = %q", got)
	}
	rc.send(encode("PSYNC", "?", "-1"))
	rc.c.SetReadDeadline(time.Now().Add(replWait))
	line, err := rc.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "+FULLRESYNC ") {
		t.Fatalf("PSYNC = %q, %v", line, err)
	}
	for line == "\n" || strings.HasPrefix(line, "+FULLRESYNC ") {
		if line, err = rc.r.ReadString('\n'); err != nil {
			t.Fatalf("waiting for the RDB: %v", err)
		}
	}
	var size int64
	if _, err := fmt.Sscanf(line, "$%d\r\n", &size); err != nil || size <= 0 {
		t.Fatalf("RDB header = %q", line)
	}
	if _, err := io.CopyN(io.Discard, rc.r, size); err != nil {
		t.Fatalf("reading the %d-byte RDB: %v", size, err)
	}
	rc.expectClosed(10 * time.Second)
}
