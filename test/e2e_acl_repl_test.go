package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
