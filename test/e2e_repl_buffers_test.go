package test

// INFO memory's mem_total_replication_buffers: the shared replication
// buffer (the backlog and what replicas still have to send), which Redis's
// own shutdown tests watch to know a stopped replica's socket is full.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

func TestReplicationBuffersGrowWithAStoppedReplica(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	nodes := foGroup(t, ctx, "tt", "--repl-backlog-size", "16384")
	m, r := nodes[0], nodes[1]
	buffers := func() int64 { return m.infoInt(ctx, "memory", "mem_total_replication_buffers") }
	if b := buffers(); b <= 0 || b > 1<<20 {
		t.Fatalf("mem_total_replication_buffers %d with a replica in sync, want a backlog's worth", b)
	}
	sigstop(t, r)
	val := strings.Repeat("x", 1024)
	testutil.Eventually(t, time.Minute, "the buffers pass 2 MB", func() bool {
		pipe := m.c.Pipeline()
		for i := 0; i < 1024; i++ {
			pipe.Set(ctx, "junk:"+strings.Repeat("k", i%7)+time.Now().Format("150405.000000000"), val, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		return buffers() > 2<<20
	})
	// What the buffer holds beyond repl-backlog-size is the stopped
	// replica's, as Redis 7.0 splits its shared replication buffer:
	// mem_clients_slaves (Redis's unit/maxmemory "slave buffer are
	// counted correctly" watches it), the backlog keeping its size.
	s, err := m.c.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	var total, backlog, slaves int64
	f := infoFields(s)
	fmt.Sscan(f["mem_total_replication_buffers"], &total)
	fmt.Sscan(f["mem_replication_backlog"], &backlog)
	fmt.Sscan(f["mem_clients_slaves"], &slaves)
	if backlog != 16384 || slaves < total-backlog || slaves > total-backlog+1<<20 {
		t.Fatalf("mem_total_replication_buffers %d: mem_replication_backlog %d, mem_clients_slaves %d; want the backlog's size and the rest (plus the replica's client) as the replica's",
			total, backlog, slaves)
	}
	sigcont(t, r)
	waitOffsetsMatch(t, ctx, m, r)
	testutil.Eventually(t, 30*time.Second, "the buffers shrink once the replica caught up", func() bool {
		return buffers() < 1<<20
	})
}
