package fault

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// suiteConfig is the run's shape: short (CI) unless TANDEM_FAULT_LONG=1.
// Every knob can be overridden by an environment variable (README,
// "Fault injection").
type suiteConfig struct {
	long          bool
	faults        []string // fault names to run, in order
	minrepFaults  []string // faults also run with min-replicas-to-write 1
	reps          int      // faults of each kind per group
	writers       int      // writers per write mode
	rate          int      // commands per second per writer (0 = no limit)
	regClients    int      // register clients (linearizability workload)
	regRate       int
	seed          int64
	pauseTime     time.Duration
	partitionTime time.Duration
	settleTimeout time.Duration
	downAfter     time.Duration
	maxLag        int
	out           string // directory for the table and visualizations
	impls         string // "redis,tandem" (default) or one of them
	details       bool   // write porcupine's page of a failed check and the lost writes
}

func loadConfig(t *testing.T) *suiteConfig {
	c := &suiteConfig{
		long:         os.Getenv("TANDEM_FAULT_LONG") == "1",
		faults:       []string{"kill9", "pause", "partition", "failover", "shutdown"},
		minrepFaults: []string{"partition"},
		reps:         1,
		writers:      2,
		rate:         200,
		regClients:   3,
		regRate:      100,
		seed:         21,
		// down-after 1 s made Sentinels on this shared 2-core machine
		// (load average 10-16) mark a just-promoted master down within a
		// second of the switch and fail over twice; 2 s keeps the faults,
		// not the load, in charge.
		pauseTime:     5 * time.Second,
		partitionTime: 6 * time.Second,
		settleTimeout: 90 * time.Second,
		downAfter:     2 * time.Second,
		maxLag:        2,
		impls:         "redis,tandem",
	}
	if c.long {
		c.faults = []string{"kill9", "pause", "partition", "replica-restart", "link-flap", "sentinel-failover", "failover", "shutdown"}
		c.minrepFaults = c.faults
		c.reps, c.writers, c.rate = 3, 4, 250
	}
	list := func(env string, dst *[]string) {
		if v, ok := os.LookupEnv(env); ok {
			*dst = nil
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					*dst = append(*dst, f)
				}
			}
		}
	}
	num := func(env string, dst *int) {
		if v := os.Getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s=%q: %v", env, v, err)
			}
			*dst = n
		}
	}
	list("TANDEM_FAULT_FAULTS", &c.faults)
	list("TANDEM_FAULT_MINREP_FAULTS", &c.minrepFaults)
	num("TANDEM_FAULT_REPS", &c.reps)
	num("TANDEM_FAULT_WRITERS", &c.writers)
	num("TANDEM_FAULT_RATE", &c.rate)
	var seed int
	seed = int(c.seed)
	num("TANDEM_FAULT_SEED", &seed)
	c.seed = int64(seed)
	if v := os.Getenv("TANDEM_FAULT_IMPLS"); v != "" {
		c.impls = v
	}
	c.out = os.Getenv("TANDEM_FAULT_OUT")
	// Porcupine's HTML pages (over a megabyte each) and the lists of lost
	// writes are kept only when asked for or in long mode; the table file
	// is always written.
	c.details = c.out != "" || c.long
	if c.out == "" {
		dir, err := os.MkdirTemp("", "tandem-fault-")
		if err != nil {
			t.Fatal(err)
		}
		c.out = dir
	} else if err := os.MkdirAll(c.out, 0o755); err != nil {
		t.Fatal(err)
	}
	return c
}

// settingsFor builds a group's settings; minrep adds min-replicas-to-write 1.
func (c *suiteConfig) settingsFor(minrep bool) settings {
	s := settings{downAfter: c.downAfter, failoverTimeout: 10 * time.Second, minReplicas: minrep, maxLag: c.maxLag}
	if os.Getenv("TANDEM_FAULT_LOGS") == "1" {
		s.logDir = c.out
	}
	return s
}

// modesFor is the write modes a group runs at once (one group per
// min-replicas setting, since that setting is the server's).
func modesFor(minrep bool) []mode {
	if minrep {
		return []mode{modeAsync}
	}
	return []mode{modeAsync, modeWait1, modeWaitAll}
}

func settingName(minrep bool) string {
	if minrep {
		return "minrep"
	}
	return "plain"
}

func rowMode(m mode, minrep bool) string {
	if minrep {
		return m.name + "+minrep"
	}
	return m.name
}

// TestFaultSuite runs every configured fault against a Redis group and a
// Tandem group side by side (same faults, same seeds, at the same time),
// prints the table, and fails if Tandem lost a write the targets
// say it must keep.
func TestFaultSuite(t *testing.T) {
	cfg := loadConfig(t)
	var impls []impl
	for _, im := range implsFor(t) {
		if strings.Contains(cfg.impls, im.name) {
			impls = append(impls, im)
		}
	}
	tab := &table{cfg: cfg, cells: map[cellKey]*cell{}}
	t.Cleanup(func() {
		out := tab.render()
		t.Log("\n" + out)
		path := filepath.Join(cfg.out, "fault-table.md")
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Errorf("write table: %v", err)
		}
		t.Logf("table written to %s", path)
	})
	t.Logf("fault suite: long=%v reps=%d writers/mode=%d rate/writer=%d seed=%d out=%s",
		cfg.long, cfg.reps, cfg.writers, cfg.rate, cfg.seed, cfg.out)

	// One subtest per fault and min-replicas setting; inside it Redis and
	// Tandem each get a group, struck at once (parallel subtests): the
	// same fault at the same time under the same load.
	probed := map[string]bool{} // a fault that waits for a Tandem feature is probed once
	for _, name := range cfg.faults {
		f := faultByName(name)
		if f == nil {
			t.Fatalf("unknown fault %q (known: %s)", name, faultNames())
		}
		settingsList := []bool{false}
		if slices.Contains(cfg.minrepFaults, name) {
			settingsList = append(settingsList, true)
		}
		t.Run(name, func(t *testing.T) {
			if f.waitsFor != "" {
				ok, seen := probed[f.name]
				if !seen {
					ok = f.probe(t, impl{name: "tandem", bin: testutil.Binary(t)})
					probed[f.name] = ok
				}
				if !ok && !cfg.long {
					for _, minrep := range settingsList {
						tab.skip(f, minrep, "tandem", "waits for "+f.waitsFor)
					}
					t.Skipf("Tandem does not answer it yet: this fault waits for %s (long mode still runs it for Redis)", f.waitsFor)
				}
			}
			for _, minrep := range settingsList {
				t.Run(settingName(minrep), func(t *testing.T) {
					for _, im := range impls {
						t.Run(im.name, func(t *testing.T) {
							t.Parallel() // Redis and Tandem side by side
							if im.name == "tandem" && f.waitsFor != "" && !probed[f.name] {
								tab.skip(f, minrep, im.name, "waits for "+f.waitsFor)
								t.Skipf("skipped for Tandem: this fault waits for %s", f.waitsFor)
							}
							runScenario(t, cfg, tab, im, f, minrep)
						})
					}
				})
			}
		})
	}
}

func faultNames() string {
	var n []string
	for _, f := range allFaults {
		n = append(n, f.name)
	}
	return strings.Join(n, ",")
}

// quietLogger drops go-redis's own log lines (failed dials while a node is
// down are expected here; the writers count them instead).
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietLogger{}) }

func faultByName(name string) *fault {
	for _, f := range allFaults {
		if f.name == name {
			return f
		}
	}
	return nil
}

// runScenario builds one group and strikes it with f cfg.reps times.
func runScenario(t *testing.T, cfg *suiteConfig, tab *table, im impl, f *fault, minrep bool) {
	g := newGroup(t, im, cfg.settingsFor(minrep))
	for rep := 0; rep < cfg.reps; rep++ {
		rr := runRep(t, cfg, g, f, minrep, rep)
		tab.add(f, minrep, im.name, rr)
		if rr.settleErr != "" {
			t.Logf("%s rep %d: the group did not settle (%s): later reps skipped", f.name, rep, rr.settleErr)
			break
		}
	}
	if im.name != "tandem" {
		return // Redis's results are reported, never asserted
	}
	for _, v := range lossViolations(f, minrep, tab.get(f, minrep, im.name)) {
		t.Error(v)
	}
}

// lossViolations lists the modes in which c (a Tandem group's summed
// reps) lost acknowledged writes that the targets say f must not
// lose; a count that could not be read back (-1) is a violation too.
func lossViolations(f *fault, minrep bool, c *cell) []string {
	var out []string
	for _, m := range modesFor(minrep) {
		row := rowMode(m, minrep)
		mr := c.modes[row]
		if !slices.Contains(f.zeroLoss, row) || mr == nil {
			continue
		}
		switch {
		case mr.lost > 0:
			out = append(out, fmt.Sprintf("Tandem lost %d of %d writes acknowledged in mode %s under %s (target: none)", mr.lost, mr.acked, row, f.name))
		case mr.lost < 0:
			out = append(out, fmt.Sprintf("Tandem's writes acknowledged in mode %s under %s could not be read back (no master)", row, f.name))
		}
	}
	return out
}

// modeResult is one mode's outcome in one rep (or summed over reps).
type modeResult struct {
	attempts, acked, lost int
	unavail               time.Duration // longest time with no acknowledged write
	// unavailKept is the same counting only the acknowledged writes that
	// survived: a write acknowledged and then lost is no availability.
	unavailKept time.Duration
	staleAcks   time.Duration // how long the old master kept acknowledging after the fault
	errs        map[string]int
}

type repResult struct {
	modes      map[string]*modeResult
	fullSyncs  int64
	failedOver bool
	faultErr   string
	settleErr  string
	checkErr   string
	lin        porcupine.CheckResult
	linOps     int
	linPath    string
	took       time.Duration
}

func seedFor(cfg *suiteConfig, f *fault, minrep bool, rep int) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%v/%d", f.name, minrep, rep)
	return cfg.seed ^ int64(h.Sum64()&0x7fffffffffff)
}

// runRep is one fault on a healthy group: writers start, the fault
// strikes and heals, the group settles, the writers stop, and everything
// acknowledged is read back from the final master.
func runRep(t *testing.T, cfg *suiteConfig, g *group, f *fault, minrep bool, rep int) *repResult {
	start := time.Now()
	rr := &repResult{modes: map[string]*modeResult{}}
	m0, err := g.settle(cfg.settleTimeout)
	if err != nil {
		t.Fatalf("group not healthy before %s rep %d: %v", f.name, rep, err)
	}
	seed := seedFor(cfg, f, minrep, rep)
	sw := g.watchSwitches()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	prefix := fmt.Sprintf("r%d", rep)
	var writers []*writer
	var sessions []*session
	for _, m := range modesFor(minrep) {
		for i := 0; i < cfg.writers; i++ {
			s := newSession(g, sw, i)
			sessions = append(sessions, s)
			writers = append(writers, &writer{m: m, id: i, prefix: prefix, sess: s, rate: cfg.rate, errs: map[string]int{}})
		}
	}
	t0 := time.Now()
	var regs []*registerClient
	for i := 0; i < cfg.regClients; i++ {
		s := newSession(g, sw, i)
		sessions = append(sessions, s)
		regs = append(regs, &registerClient{id: i, key: prefix + ":register", sess: s,
			rng: rand.New(rand.NewSource(seed + int64(i) + 1)), rate: cfg.regRate, t0: t0})
	}
	full0 := g.fullSyncs()
	for _, w := range writers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(stop) }()
	}
	for _, r := range regs {
		wg.Add(1)
		go func() { defer wg.Done(); r.run(stop) }()
	}
	time.Sleep(1500 * time.Millisecond) // steady state before the fault
	fr := &faultRun{t: t, g: g, m: m0, rng: rand.New(rand.NewSource(seed)), cfg: cfg}
	if err := f.run(fr); err != nil {
		rr.faultErr = err.Error()
		t.Logf("%s %s rep %d: %v", g.impl.name, f.name, rep, err)
	}
	if fr.injectAt.IsZero() {
		fr.injectAt = time.Now()
	}
	final, err := g.settle(cfg.settleTimeout)
	if err != nil {
		rr.settleErr = err.Error()
	}
	time.Sleep(time.Second) // writers find the settled master
	close(stop)
	wg.Wait()
	stopAt := time.Now()
	sw.close()
	for _, s := range sessions {
		s.close()
	}
	rr.failedOver = final != nil && final != m0
	if final != nil && rr.settleErr == "" {
		if err := g.caughtUp(final, 30*time.Second); err != nil {
			rr.checkErr = err.Error()
		}
	}
	rr.fullSyncs = g.fullSyncs() - full0

	// Read back every acknowledged write from the final master.
	for _, w := range writers {
		row := rowMode(w.m, minrep)
		mr := rr.modes[row]
		if mr == nil {
			mr = &modeResult{errs: map[string]int{}}
			rr.modes[row] = mr
		}
		mr.attempts += w.attempts
		mr.acked += len(w.acks)
		for k, v := range w.errs {
			mr.errs[k] += v
		}
	}
	for _, m := range modesFor(minrep) {
		row := rowMode(m, minrep)
		var acks []ack
		for _, w := range writers {
			if w.m == m {
				acks = append(acks, w.acks...)
			}
		}
		mr := rr.modes[row]
		if final == nil {
			mr.lost = -1
			rr.checkErr = "no master to read from"
			continue
		}
		lost, err := countLost(final, acks)
		if err != nil {
			rr.checkErr = err.Error()
		}
		mr.lost = len(lost)
		if len(lost) > 0 && cfg.details {
			path := filepath.Join(cfg.out, fmt.Sprintf("%s-%s-%s-rep%d-lost-%s.tsv", g.impl.name, f.name, settingName(minrep), rep, row))
			if err := writeLost(path, lost, fr.injectAt); err != nil {
				t.Logf("write %s: %v", path, err)
			}
		}
		mr.unavail = unavailability(acks, fr.injectAt, stopAt)
		mr.unavailKept = unavailability(keptAcks(acks, lost), fr.injectAt, stopAt)
		if rr.failedOver {
			for _, a := range acks {
				if a.node == m0.pub() && a.at.After(fr.injectAt) && a.at.Sub(fr.injectAt) > mr.staleAcks {
					mr.staleAcks = a.at.Sub(fr.injectAt)
				}
			}
		}
	}
	name := fmt.Sprintf("%s-%s-%s-rep%d", g.impl.name, f.name, settingName(minrep), rep)
	vdir := ""
	if cfg.details {
		vdir = cfg.out
	}
	rr.lin, rr.linOps, rr.linPath = checkRegister(regs, 10*time.Second, vdir, name)
	rr.took = time.Since(start)
	t.Logf("%s: %s took %v, failed over %v, full syncs %d, register %s (%d ops) %s",
		name, f.name, rr.took.Round(time.Millisecond), rr.failedOver, rr.fullSyncs, rr.lin, rr.linOps, rr.linPath)
	for _, m := range modesFor(minrep) {
		mr := rr.modes[rowMode(m, minrep)]
		t.Logf("  %-14s attempts %6d acked %6d lost %5d unavailable %6.2fs (kept writes %6.2fs) old-master acks %5.2fs errors %v",
			rowMode(m, minrep), mr.attempts, mr.acked, mr.lost, mr.unavail.Seconds(), mr.unavailKept.Seconds(), mr.staleAcks.Seconds(), mr.errs)
	}
	return rr
}

// countLost reads every acknowledged key from n and returns the
// acknowledgements whose write is missing or holds another value.
func countLost(n *node, acks []ack) ([]ack, error) {
	var lost []ack
	for i := 0; i < len(acks); i += 500 {
		batch := acks[i:min(i+500, len(acks))]
		keys := make([]string, len(batch))
		for j, a := range batch {
			keys[j] = a.key
		}
		ctx, cancel := ctxOp()
		vals, err := n.c.MGet(ctx, keys...).Result()
		cancel()
		if err != nil {
			return lost, fmt.Errorf("read back from %s: %v", n.name, err)
		}
		for j, v := range vals {
			if s, ok := v.(string); !ok || s != batch[j].val {
				lost = append(lost, batch[j])
			}
		}
	}
	return lost, nil
}

// writeLost lists lost acknowledgements (key, value, when, which node
// acknowledged) in a file, for a look at when and where they happened.
func writeLost(path string, lost []ack, injectAt time.Time) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %d acknowledged writes lost; times relative to the fault\n", len(lost))
	for _, a := range lost {
		fmt.Fprintf(&b, "%s\t%s\t%+.3fs\t%s\n", a.key, a.val, a.at.Sub(injectAt).Seconds(), a.node)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// keptAcks is acks without the lost ones.
func keptAcks(acks, lost []ack) []ack {
	if len(lost) == 0 {
		return acks
	}
	gone := make(map[string]bool, len(lost))
	for _, a := range lost {
		gone[a.key] = true
	}
	var out []ack
	for _, a := range acks {
		if !gone[a.key] {
			out = append(out, a)
		}
	}
	return out
}

// unavailability is the longest interval within [from, to] in which no
// write was acknowledged.
func unavailability(acks []ack, from, to time.Time) time.Duration {
	var ts []time.Time
	for _, a := range acks {
		if a.at.After(from) && a.at.Before(to) {
			ts = append(ts, a.at)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	longest, prev := time.Duration(0), from
	for _, at := range append(ts, to) {
		if d := at.Sub(prev); d > longest {
			longest = d
		}
		prev = at
	}
	return longest
}
