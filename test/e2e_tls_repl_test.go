package test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Replication over TLS (tls-replication yes on the replica, which dials
// its master's TLS port), in every pairing with Redis: a full sync of a
// dataset with large values, then the stream, then the same dataset on
// both; the master lists the replica under its TLS port, as a Redis
// replica with tls-replication announces it. The master requires client
// certificates (tls-auth-clients yes): the replica shows its
// tls-cert-file, or tls-client-cert-file when set.
func TestTLSReplication(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		master, repl  string // "tandem" or "redis"
		clientCertArg bool
		diskless      string
	}{
		{"tandem-to-tandem", "tandem", "tandem", false, "yes"},
		{"tandem-to-tandem-disk-client-cert", "tandem", "tandem", true, "no"},
		{"tandem-to-redis", "tandem", "redis", false, "yes"},
		{"redis-to-tandem", "redis", "tandem", true, "no"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := newPKI(t)
			ctx := ctxFor(t, 3*replWait)
			start := func(kind, name string, args ...string) *tlsNode {
				if kind == "redis" {
					return startTLSRedis(t, p, name, args...)
				}
				return startTLSTandem(t, p, name, args...)
			}
			m := start(tc.master, "master", "--repl-diskless-sync", tc.diskless)
			rargs := []string{"--tls-replication", "yes"}
			if tc.clientCertArg {
				rargs = append(rargs, "--tls-client-cert-file", p.cliCrt, "--tls-client-key-file", p.cliKey)
			}
			r := start(tc.repl, "replica", rargs...)
			// Before the sync: large and small values.
			pipe := m.c.Pipeline()
			for i := 0; i < 2000; i++ {
				pipe.Set(ctx, fmt.Sprintf("k:%d", i), strings.Repeat(strconv.Itoa(i%10), 1+i%3000), 0)
			}
			pipe.RPush(ctx, "list", "a", "b", "c")
			pipe.HSet(ctx, "hash", "f", "v")
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			mustDo(t, ctx, r.c, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.tlsPort))
			waitLinkUp(t, ctx, r.replNode)
			// The stream, over TLS.
			for i := 0; i < 500; i++ {
				m.c.Incr(ctx, "counter")
				m.c.Set(ctx, fmt.Sprintf("s:%d", i), i, 0)
			}
			waitOffsetsMatch(t, ctx, m.replNode, r.replNode)
			requireSameDataset(t, ctx, m.replNode, r.replNode)
			inf := m.replNode.info(ctx, "replication")
			if s := inf["slave0"]; !strings.Contains(s, "port="+strconv.Itoa(r.tlsPort)+",") {
				t.Errorf("master lists its replica as %q, want port=%d (the replica's TLS port)", s, r.tlsPort)
			}
			if inf["connected_slaves"] != "1" {
				t.Errorf("connected_slaves %q", inf["connected_slaves"])
			}
		})
	}
}

// A replica whose certificate the master's CA did not sign cannot
// replicate (the link stays down, the master logs the refusal), and one
// that trusts another CA refuses the master's certificate: TLS between
// replicas is authenticated both ways, as in Redis.
func TestTLSReplicationRefusesUntrustedPeers(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	other := newPKI(t)
	ctx := ctxFor(t, replWait)
	m := startTLSTandem(t, p, "master")
	// Certificates from another CA, trusting that CA only.
	r := startTLSTandem(t, other, "replica", "--tls-replication", "yes")
	mustDo(t, ctx, r.c, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.tlsPort))
	testutil.Eventually(t, replWait, "the replica logs the refused handshake", func() bool {
		return strings.Contains(r.proc.LogText(), "TLS handshake")
	})
	time.Sleep(500 * time.Millisecond)
	if r.linkUp(ctx) {
		t.Fatal("the link came up with a master the replica's CA did not sign")
	}
	// The replica trusts our CA but shows a certificate the master's CA
	// did not sign: the master refuses it.
	mustDo(t, ctx, r.c, "CONFIG", "SET", "tls-ca-cert-file", p.caCrt)
	testutil.Eventually(t, replWait, "the master logs the refused replica", func() bool {
		return strings.Contains(m.proc.LogText(), "Error accepting a client connection")
	})
	if r.linkUp(context.Background()) {
		t.Fatal("the master accepted a replica its CA did not sign")
	}
	// With a certificate from our CA, it replicates.
	mustDo(t, ctx, r.c, "CONFIG", "SET", "tls-client-cert-file", p.cliCrt, "tls-client-key-file", p.cliKey)
	waitLinkUp(t, ctx, r.replNode)
}

// A TLS replica killed inside a MULTI gets none of the transaction's
// writes, as a plain one (and Redis's) does: here they overflow the
// shrunken backlog, so the replica must come back with a full sync. The
// TLS connection's close_notify is sent a moment after the kill, from a
// goroutine; until then the replica's stream went on through the record
// layer, the replica caught up before the close, and resynced partially
// (Redis's integration/replication "diskless loading short read" under
// --tls).
func TestTLSReplicaKilledInMultiGetsNoneOfIt(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ctx := ctxFor(t, 3*replWait)
	// The master on one P, as on a busy host: the goroutine that sends
	// close_notify does not run before the transaction's stream is out.
	port := testutil.FreePort(t)
	proc := testutil.StartTandemEnv(t, []string{"GOMAXPROCS=1"},
		append(append([]string{"--enable-debug-command", "yes"}, replFastArgs...), p.serverArgs(port)...)...)
	m := &tlsNode{&replNode{name: "master", proc: proc, c: newClient(t, proc.Addr(), 2)}, port}
	r := startTLSTandem(t, p, "replica", "--tls-replication", "yes")
	mustDo(t, ctx, r.c, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.tlsPort))
	waitLinkUp(t, ctx, r.replNode)
	waitOffsetsMatch(t, ctx, m.replNode, r.replNode)
	big := strings.Repeat("A", 16384)
	for round := 0; round < 5; round++ {
		full := m.infoInt(ctx, "stats", "sync_full")
		_, err := m.c.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Do(ctx, "CLIENT", "KILL", "TYPE", "replica")
			pipe.Set(ctx, "asdf", "asdf", 0)
			pipe.ConfigSet(ctx, "repl-backlog-size", "16384")
			for i := 0; i < 10; i++ {
				pipe.Set(ctx, fmt.Sprintf("big:%d", i), big, 0)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		waitLinkUp(t, ctx, r.replNode)
		waitOffsetsMatch(t, ctx, m.replNode, r.replNode)
		if got := m.infoInt(ctx, "stats", "sync_full"); got != full+1 {
			t.Fatalf("round %d: sync_full went from %d to %d, want one full sync (the killed replica got the transaction)", round, full, got)
		}
	}
}
