package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/testutil"
)

// TestReplicaConnectsFromBindSourceAddr: bind-source-addr is the address
// a replica's link to its master comes from (the master lists the replica
// by it), set at start-up or by CONFIG SET for the next connection; one
// that is not ours is tried, logged, and the link connects anyway, as
// Redis's best-effort bind does.
func TestReplicaConnectsFromBindSourceAddr(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 2*replWait)
	// 127.0.0.2 is not 127.0.0.1: protected mode would refuse it.
	master := startReplTandem(t, "master", "--protected-mode", "no")
	replica := startReplTandem(t, "replica", "--bind-source-addr", "127.0.0.2",
		"--replicaof", "127.0.0.1", fmt.Sprint(master.port()))
	waitOnline(t, ctx, master, 1)
	if s := master.info(ctx, "replication")["slave0"]; !strings.Contains(s, "ip=127.0.0.2,") {
		t.Fatalf("slave0 = %q, want ip=127.0.0.2", s)
	}

	mustDo(t, ctx, replica.c, "CONFIG", "SET", "bind-source-addr", "127.0.0.3")
	mustDo(t, ctx, master.c, "CLIENT", "KILL", "TYPE", "replica")
	testutil.Eventually(t, replWait, "the replica back from 127.0.0.3", func() bool {
		return strings.Contains(master.info(ctx, "replication")["slave0"], "ip=127.0.0.3,")
	})

	// An address this machine does not have (TEST-NET-1).
	mustDo(t, ctx, replica.c, "CONFIG", "SET", "bind-source-addr", "192.0.2.1")
	mustDo(t, ctx, master.c, "CLIENT", "KILL", "TYPE", "replica")
	testutil.Eventually(t, replWait, "the replica back from the system's address", func() bool {
		s := master.info(ctx, "replication")["slave0"]
		return strings.Contains(s, "ip=127.0.0.1,") && strings.Contains(s, "state=online")
	})
	if !strings.Contains(replica.proc.LogText(), "bind-source-addr 192.0.2.1 failed") {
		t.Errorf("no log line for the unusable bind-source-addr")
	}
}
