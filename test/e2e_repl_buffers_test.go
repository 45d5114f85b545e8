package test

// INFO memory's mem_total_replication_buffers: the shared replication
// buffer (the backlog and what replicas still have to send), which Redis's
// own shutdown tests watch to know a stopped replica's socket is full.

import (
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
	sigcont(t, r)
	waitOffsetsMatch(t, ctx, m, r)
	testutil.Eventually(t, 30*time.Second, "the buffers shrink once the replica caught up", func() bool {
		return buffers() < 1<<20
	})
}
