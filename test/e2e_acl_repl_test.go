package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// A replica authenticates as masteruser with masterauth, and a master
// whose replication user may run PING, REPLCONF and PSYNC only serves it,
// Tandem and Redis on either side. A user without PSYNC is refused
// (NOPERM), so the link stays down.
func TestACLReplicationUser(t *testing.T) {
	t.Parallel()
	for _, kinds := range [][2]string{{"tandem", "tandem"}, {"redis", "tandem"}, {"tandem", "redis"}} {
		kinds := kinds
		t.Run(kinds[0]+"-master-"+kinds[1]+"-replica", func(t *testing.T) {
			t.Parallel()
			ctx := ctxFor(t, 2*replWait)
			start := func(kind, name string, args ...string) *replNode {
				if kind == "redis" {
					return startReplRedis(t, name, args...)
				}
				return startReplTandem(t, name, args...)
			}
			m := start(kinds[0], "master")
			mustDo(t, ctx, m.c, "ACL", "SETUSER", "repl", "on", ">rpw", "-@all", "+psync", "+replconf", "+ping")
			mustDo(t, ctx, m.c, "ACL", "SETUSER", "nosync", "on", ">npw", "-@all", "+replconf", "+ping")
			mustDo(t, ctx, m.c, "SET", "k1", "v1")

			bad := start(kinds[1], "replica-nosync", "--masteruser", "nosync", "--masterauth", "npw")
			bad.replicaOf(t, ctx, m.port())

			r := start(kinds[1], "replica", "--masteruser", "repl", "--masterauth", "rpw")
			r.replicaOf(t, ctx, m.port())
			waitLinkUp(t, ctx, r)
			mustDo(t, ctx, m.c, "SET", "k2", "v2")
			testutil.Eventually(t, replWait, "k2 on the replica", func() bool {
				v, err := r.c.Get(ctx, "k2").Result()
				return err == nil && v == "v2"
			})
			if v, _ := r.c.Get(ctx, "k1").Result(); v != "v1" {
				t.Errorf("k1 on the replica: %q", v)
			}
			// The refused replica never gets its link up, and the master
			// logs why in ACL LOG.
			time.Sleep(2 * time.Second)
			if bad.linkUp(ctx) {
				t.Errorf("a replica whose user may not PSYNC has its link up")
			}
			log := fmt.Sprint(mustDo(t, ctx, m.c, "ACL", "LOG"))
			if !strings.Contains(log, "nosync") || !strings.Contains(log, "psync") {
				t.Errorf("master's ACL LOG: %s", log)
			}
		})
	}
}

// redis-sentinel with `sentinel auth-user` monitors Tandem nodes whose
// sentinel user has only the commands Redis's documentation gives it, and
// fails over to the replica when the master goes.
func TestACLSentinelAuthUser(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Skip("redis-sentinel not installed")
	}
	ctx := ctxFor(t, 3*replWait)
	sentRules := []any{"ACL", "SETUSER", "sentuser", "on", ">spw", "allchannels", "+multi", "+slaveof", "+ping", "+exec",
		"+subscribe", "+config|rewrite", "+role", "+publish", "+info", "+client|setname", "+client|kill", "+script|kill"}
	replRules := []any{"ACL", "SETUSER", "repl", "on", ">rpw", "-@all", "+psync", "+replconf", "+ping"}
	m := startReplTandem(t, "master")
	r := startReplTandem(t, "replica", "--masteruser", "repl", "--masterauth", "rpw")
	for _, n := range []*replNode{m, r} {
		mustDo(t, ctx, n.c, sentRules...)
		mustDo(t, ctx, n.c, replRules...)
		// Nobody else may do anything: the sentinel must use its user.
		mustDo(t, ctx, n.c, "ACL", "SETUSER", "admin", "on", ">apw", "+@all", "~*", "&*")
	}
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)

	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 1\nsentinel auth-user mymaster sentuser\n"+
		"sentinel auth-pass mymaster spw\nsentinel down-after-milliseconds mymaster 1500\nsentinel failover-timeout mymaster 20000\n", m.port())), 0o644)
	s := startServerFile(t, bin, conf)
	sc := newClient(t, s.Addr(), 2)
	testutil.Eventually(t, replWait, "the sentinel sees the master and its replica", func() bool {
		v, err := sc.Do(ctx, "SENTINEL", "MASTER", "mymaster").StringSlice()
		if err != nil {
			return false
		}
		f := map[string]string{}
		for i := 0; i+1 < len(v); i += 2 {
			f[v[i]] = v[i+1]
		}
		return f["flags"] == "master" && f["num-slaves"] == "1"
	})
	// Take the default user away: whatever the sentinel does, it does as
	// sentuser.
	for _, n := range []*replNode{m, r} {
		mustDo(t, ctx, n.c, "ACL", "SETUSER", "default", "off")
	}
	ra := redis.NewClient(&redis.Options{Addr: r.proc.Addr(), Username: "admin", Password: "apw", Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { ra.Close() })
	m.proc.Stop()
	testutil.Eventually(t, replWait, "the sentinel fails over to the replica", func() bool {
		v, err := sc.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").StringSlice()
		return err == nil && len(v) == 2 && v[1] == strconv.Itoa(r.port())
	})
	testutil.Eventually(t, replWait, "the replica is a master", func() bool {
		v, err := ra.Do(ctx, "ROLE").Slice()
		return err == nil && len(v) > 0 && v[0] == "master"
	})
	if log := fmt.Sprint(mustDo(t, ctx, ra, "ACL", "LOG")); strings.Contains(log, "sentuser") {
		t.Errorf("the sentinel's user was refused something: %s", log)
	}
}
