package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/tandemdb/tandem/internal/testutil"
)

// redis-sentinel with tls-replication yes (and its own TLS port and
// certificates) watches Tandem nodes over TLS only: it finds the master
// on its TLS port, the replicas by the TLS ports they announce, and when
// the master goes it promotes one replica and points the other at it,
// every link (sentinel to node, replica to master) over TLS.
func TestTLSSentinelWatchesTandem(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Skip("redis-sentinel not installed")
	}
	p := newPKI(t)
	ctx := ctxFor(t, 3*replWait)
	m := startTLSTandem(t, p, "master", "--tls-replication", "yes")
	r1 := startTLSTandem(t, p, "replica1", "--tls-replication", "yes")
	r2 := startTLSTandem(t, p, "replica2", "--tls-replication", "yes")
	for _, r := range []*tlsNode{r1, r2} {
		mustDo(t, ctx, r.c, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.tlsPort))
		waitLinkUp(t, ctx, r.replNode)
	}
	mustDo(t, ctx, m.c, "SET", "k", "v")

	sentTLS := testutil.FreePort(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("tls-port %d\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\ntls-replication yes\n"+
		"sentinel monitor mymaster 127.0.0.1 %d 1\nsentinel down-after-milliseconds mymaster 1500\n"+
		"sentinel failover-timeout mymaster 20000\n", sentTLS, p.srvCrt, p.srvKey, p.caCrt, m.tlsPort)), 0o644)
	s := startServerFile(t, bin, conf)
	sc := newClient(t, s.Addr(), 2)
	testutil.Eventually(t, replWait, "the sentinel sees the master and both replicas over TLS", func() bool {
		v, err := sc.Do(ctx, "SENTINEL", "MASTER", "mymaster").StringSlice()
		if err != nil {
			return false
		}
		f := map[string]string{}
		for i := 0; i+1 < len(v); i += 2 {
			f[v[i]] = v[i+1]
		}
		return f["flags"] == "master" && f["num-slaves"] == "2"
	})
	reps, err := sc.Do(ctx, "SENTINEL", "REPLICAS", "mymaster").Slice()
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]bool{}
	for _, rep := range reps {
		f := map[string]string{}
		kv, _ := rep.([]any)
		for i := 0; i+1 < len(kv); i += 2 {
			f[fmt.Sprint(kv[i])] = fmt.Sprint(kv[i+1])
		}
		ports[f["port"]] = true
	}
	if !ports[strconv.Itoa(r1.tlsPort)] || !ports[strconv.Itoa(r2.tlsPort)] {
		t.Fatalf("the sentinel knows the replicas at %v, want their TLS ports %d and %d", ports, r1.tlsPort, r2.tlsPort)
	}

	m.proc.Stop()
	var promoted, other *tlsNode
	testutil.Eventually(t, 2*replWait, "the sentinel fails over to a replica", func() bool {
		v, err := sc.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").StringSlice()
		if err != nil || len(v) != 2 {
			return false
		}
		switch v[1] {
		case strconv.Itoa(r1.tlsPort):
			promoted, other = r1, r2
		case strconv.Itoa(r2.tlsPort):
			promoted, other = r2, r1
		default:
			return false
		}
		return true
	})
	testutil.Eventually(t, replWait, "the other replica follows the new master over TLS", func() bool {
		inf := other.info(ctx, "replication")
		return inf["master_port"] == strconv.Itoa(promoted.tlsPort) && inf["master_link_status"] == "up"
	})
	mustDo(t, ctx, promoted.c, "SET", "after", "failover")
	testutil.Eventually(t, replWait, "a write on the new master reaches the other replica", func() bool {
		return other.c.Get(ctx, "after").Val() == "failover"
	})
}
