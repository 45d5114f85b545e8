package fault

// A group: one master, two replicas, three Sentinels, all on 127.0.0.1,
// every node behind its fault proxy (see doc.go).

import (
	"context"
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

const masterName = "mymaster"

// settings are the knobs a group is built with; the same for Redis and
// Tandem in one run.
type settings struct {
	downAfter       time.Duration // sentinel down-after-milliseconds
	failoverTimeout time.Duration // sentinel failover-timeout
	minReplicas     bool          // min-replicas-to-write 1 on every node
	maxLag          int           // min-replicas-max-lag (seconds) when minReplicas
	logDir          string        // when set, every process's log is copied there at the end
}

// node is one data node and the proxy that is its public address.
type node struct {
	*proc
	idx   int
	proxy *faultProxy
	c     *redis.Client // direct, for the harness's own checks

	// sync_full survives restarts: base holds what earlier processes
	// counted, last the newest reading of this one.
	fullBase, fullLast int64
}

// pub is the node's announced address (its proxy), the one Sentinel uses.
func (n *node) pub() string { return n.proxy.addr() }

type group struct {
	t         testing.TB
	impl      impl
	set       settings
	nodes     []*node
	sentinels []*proc
	sc        []*redis.Client // one client per sentinel
}

func adminClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DialTimeout: time.Second,
		ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second, MaxRetries: -1, PoolSize: 2, DialerRetries: 1})
}

// newGroup starts the three nodes (node 0 the master) and the three
// Sentinels and waits until the Sentinels know every node and each other.
func newGroup(t testing.TB, im impl, set settings) *group {
	t.Helper()
	sentinelBin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		t.Skip("redis-sentinel not installed")
	}
	g := &group{t: t, impl: im, set: set}
	for i := 0; i < 3; i++ {
		px, err := listenProxy()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(px.Close)
		g.nodes = append(g.nodes, &node{idx: i, proxy: px})
	}
	for i, n := range g.nodes {
		// Save points make a SIGTERM or SHUTDOWN save an RDB (a restarted
		// replica can then resume with a partial sync); an hour is longer
		// than any run, so no BGSAVE happens meanwhile.
		conf := "save 3600 1\nappendonly no\n" +
			fmt.Sprintf("replica-announce-ip 127.0.0.1\nreplica-announce-port %d\n", n.proxy.port) +
			// Redis's default waits 5 s for more replicas before a
			// diskless full sync; one second keeps each fault short.
			"repl-diskless-sync-delay 1\n"
		if set.minReplicas {
			conf += fmt.Sprintf("min-replicas-to-write 1\nmin-replicas-max-lag %d\n", set.maxLag)
		}
		if i > 0 {
			conf += fmt.Sprintf("replicaof 127.0.0.1 %d\n", g.nodes[0].proxy.port)
		}
		n.proc = startProc(t, fmt.Sprintf("%s-n%d", im.name, i), im.bin, testutil.FreePort(t), conf)
		n.proxy.start(n.proc.addr())
		n.c = adminClient(n.proc.addr())
		t.Cleanup(func() { n.c.Close() })
	}
	if err := g.waitFor(30*time.Second, "replicas online", func() error {
		if inf := g.info(g.nodes[0], "replication"); inf["connected_slaves"] != "2" {
			return fmt.Errorf("master has %q replicas", inf["connected_slaves"])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		conf := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2\n", masterName, g.nodes[0].proxy.port) +
			fmt.Sprintf("sentinel down-after-milliseconds %s %d\n", masterName, set.downAfter.Milliseconds()) +
			fmt.Sprintf("sentinel failover-timeout %s %d\n", masterName, set.failoverTimeout.Milliseconds()) +
			fmt.Sprintf("sentinel parallel-syncs %s 1\n", masterName)
		s := startProc(t, fmt.Sprintf("%s-s%d", im.name, i), sentinelBin, testutil.FreePort(t), conf, "--sentinel")
		g.sentinels = append(g.sentinels, s)
		c := adminClient(s.addr())
		t.Cleanup(func() { c.Close() })
		g.sc = append(g.sc, c)
	}
	if err := g.waitFor(60*time.Second, "sentinels to know the group", g.sentinelsReady); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if set.logDir != "" {
			tag := "plain"
			if set.minReplicas {
				tag = "minrep"
			}
			for _, p := range append(g.procs(), g.sentinels...) {
				os.WriteFile(filepath.Join(set.logDir, fmt.Sprintf("%s-%s.log", strings.ReplaceAll(t.Name(), "/", "_"), p.name+"-"+tag)), []byte(p.logText()), 0o644)
			}
		}
		if t.Failed() {
			for _, n := range g.nodes {
				t.Logf("---- log of %s ----\n%s", n.name, tail(n.logText(), 40))
			}
			for _, s := range g.sentinels {
				t.Logf("---- log of %s ----\n%s", s.name, tail(s.logText(), 30))
			}
		}
	})
	return g
}

func (g *group) procs() []*proc {
	var out []*proc
	for _, n := range g.nodes {
		out = append(out, n.proc)
	}
	return out
}

// waitFor polls cond every 50 ms until it returns nil or d passes; the
// error names what was awaited and the last reason.
func waitFor(d time.Duration, what string, cond func() error) error {
	deadline := time.Now().Add(d)
	var err error
	for {
		if err = cond(); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not after %v: %v", what, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor is the package's waitFor with the group's server named.
func (g *group) waitFor(d time.Duration, what string, cond func() error) error {
	return waitFor(d, g.impl.name+" "+what, cond)
}

func ctx2s() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Second)
}

// info reads one INFO section of a node as a map (empty on error).
func (g *group) info(n *node, section string) map[string]string { return infoOf(n.c, section) }

func infoOf(c *redis.Client, section string) map[string]string {
	ctx, cancel := ctx2s()
	defer cancel()
	s, err := c.Info(ctx, section).Result()
	m := map[string]string{}
	if err != nil {
		return m
	}
	for _, l := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// sentinelsReady: every Sentinel sees the same master, two healthy
// replicas and the two other Sentinels.
func (g *group) sentinelsReady() error {
	ctx, cancel := ctx2s()
	defer cancel()
	for i, c := range g.sc {
		m, err := c.Do(ctx, "SENTINEL", "MASTER", masterName).Result()
		if err != nil {
			return fmt.Errorf("sentinel %d: %v", i, err)
		}
		f := pairs(m)
		if f["num-slaves"] != "2" || f["num-other-sentinels"] != "2" || f["flags"] != "master" {
			return fmt.Errorf("sentinel %d: flags=%s slaves=%s others=%s", i, f["flags"], f["num-slaves"], f["num-other-sentinels"])
		}
		reps, err := c.Do(ctx, "SENTINEL", "REPLICAS", masterName).Slice()
		if err != nil {
			return fmt.Errorf("sentinel %d replicas: %v", i, err)
		}
		for _, r := range reps {
			rf := pairs(r)
			if rf["flags"] != "slave" || rf["master-link-status"] != "ok" {
				return fmt.Errorf("sentinel %d: replica %s:%s flags=%s link=%s", i, rf["ip"], rf["port"], rf["flags"], rf["master-link-status"])
			}
		}
	}
	return nil
}

// pairs turns a flat name/value reply (RESP2 array or RESP3 map) into a map.
func pairs(v any) map[string]string {
	out := map[string]string{}
	switch x := v.(type) {
	case []any:
		for i := 0; i+1 < len(x); i += 2 {
			out[fmt.Sprint(x[i])] = fmt.Sprint(x[i+1])
		}
	case map[any]any:
		for k, val := range x {
			out[fmt.Sprint(k)] = fmt.Sprint(val)
		}
	}
	return out
}

// sentinelMaster asks Sentinel i for the master's announced address.
func (g *group) sentinelMaster(i int) (string, error) {
	ctx, cancel := ctx2s()
	defer cancel()
	a, err := g.sc[i].Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName).StringSlice()
	if err != nil {
		return "", err
	}
	if len(a) != 2 {
		return "", fmt.Errorf("reply %q", a)
	}
	return a[0] + ":" + a[1], nil
}

// byPub finds the node announced at addr.
func (g *group) byPub(addr string) *node {
	for _, n := range g.nodes {
		if n.pub() == addr {
			return n
		}
	}
	return nil
}

// direct maps an announced address to the node's own address (what the
// writers dial); unknown addresses are returned as they are.
func (g *group) direct(addr string) string {
	if n := g.byPub(addr); n != nil {
		return n.proc.addr()
	}
	return addr
}

// master is the node every Sentinel names as master, or an error.
func (g *group) master() (*node, error) {
	var first string
	for i := range g.sc {
		a, err := g.sentinelMaster(i)
		if err != nil {
			return nil, fmt.Errorf("sentinel %d: %v", i, err)
		}
		if i == 0 {
			first = a
		} else if a != first {
			return nil, fmt.Errorf("sentinels disagree: %s vs %s", first, a)
		}
	}
	n := g.byPub(first)
	if n == nil {
		return nil, fmt.Errorf("sentinels name %s, not a node of the group", first)
	}
	return n, nil
}

// healthy reports nil when the group is whole again: the Sentinels agree
// on a running master that has two online replicas, each replica's link
// is up, and the Sentinels see both replicas healthy.
func (g *group) healthy() (*node, error) {
	m, err := g.master()
	if err != nil {
		return nil, err
	}
	if inf := g.info(m, "replication"); inf["role"] != "master" || inf["connected_slaves"] != "2" {
		return nil, fmt.Errorf("%s: role=%q replicas=%q", m.name, inf["role"], inf["connected_slaves"])
	}
	for _, n := range g.nodes {
		if n == m {
			continue
		}
		inf := g.info(n, "replication")
		if inf["role"] != "slave" || inf["master_port"] != strconv.Itoa(m.proxy.port) || inf["master_link_status"] != "up" {
			return nil, fmt.Errorf("%s: role=%q master_port=%q link=%q", n.name, inf["role"], inf["master_port"], inf["master_link_status"])
		}
	}
	return m, g.sentinelsReady()
}

// settle waits until the group is healthy (bounded); it returns the final
// master, or the Sentinels' choice and an error when the group did not
// settle in time.
func (g *group) settle(d time.Duration) (*node, error) {
	var m *node
	err := g.waitFor(d, "group to settle", func() error {
		var err error
		m, err = g.healthy()
		return err
	})
	if err != nil {
		m, _ = g.master()
	}
	return m, err
}

// caughtUp waits until every replica has processed the master's whole
// stream (writers stopped first).
func (g *group) caughtUp(m *node, d time.Duration) error {
	return g.waitFor(d, "replicas to catch up", func() error {
		mo := g.info(m, "replication")["master_repl_offset"]
		for _, n := range g.nodes {
			if n == m {
				continue
			}
			inf := g.info(n, "replication")
			if inf["slave_repl_offset"] != mo {
				return fmt.Errorf("%s at %s, master %s at %s", n.name, inf["slave_repl_offset"], m.name, mo)
			}
		}
		return nil
	})
}

// fullSyncs is the number of full syncs the group's nodes served so far
// (INFO stats sync_full, summed over nodes and over restarts).
func (g *group) fullSyncs() int64 {
	var sum int64
	for _, n := range g.nodes {
		if v, err := strconv.ParseInt(g.info(n, "stats")["sync_full"], 10, 64); err == nil && n.running() {
			n.fullLast = v
		}
		sum += n.fullBase + n.fullLast
	}
	return sum
}

// beforeExit records a node's counters before the harness ends its
// process, so fullSyncs keeps counting across the restart.
func (g *group) beforeExit(n *node) {
	g.fullSyncs()
	n.fullBase += n.fullLast
	n.fullLast = 0
}
