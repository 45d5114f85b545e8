package test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem"
)

// TestCommandFuzz draws commands from the command table (every command
// Tandem lists in COMMAND, with argument trees from Redis 7.0's COMMAND
// DOCS), fills them with hostile values (int64 extremes and one past them,
// 2^32, NaN/inf words, empty and 1 MB strings, negative counts, keys of
// every type, huge numkeys) and runs them against Tandem and, when
// redis-server is installed, against Redis 7.0 with the same data,
// comparing the replies (per-command comparison classes hide what is
// legitimately random or server-specific). After every command it checks
// that Tandem still works: PING answers, a canary key set with EX 100 has
// the PTTL the wall clock says, a key set now has a TTL of 100 s (a stuck
// command clock fails both), INFO parses; every 500 commands, that the
// embedded server's goroutines do not grow.
//
// Tandem runs embedded in the test process (so goroutines can be counted);
// TANDEM_FUZZ_BINARY=1 runs the tandem binary instead. TANDEM_FUZZ_SEED
// replays a run (each run logs its seed), TANDEM_FUZZ_COMMANDS sets the
// number of commands (default 15000; the long mode is 1000000).
//
// A reply that differs from Redis's fails the test unless it is in
// knownFuzzDiffs (each entry cites its finding); the test carries on to
// collect every distinct difference, then fails listing them. A broken
// invariant, a hang or a closed connection fails at once.
func TestCommandFuzz(t *testing.T) {
	// Not parallel: goroutines are counted in this process.
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TANDEM_FUZZ_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TANDEM_FUZZ_SEED: %v", err)
		}
		seed = v
	}
	total := 15000
	if s := os.Getenv("TANDEM_FUZZ_COMMANDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("TANDEM_FUZZ_COMMANDS: %v", err)
		}
		total = v
	}
	t.Logf("seed %d (replay with TANDEM_FUZZ_SEED=%d)", seed, seed)

	embedded := os.Getenv("TANDEM_FUZZ_BINARY") == ""
	var tdAddr string
	if embedded {
		srv, err := tandem.Start(tandem.Config{Directives: [][]string{{"dir", t.TempDir()}, {"save", ""}, {"databases", "32"}}})
		if err != nil {
			t.Fatalf("tandem.Start: %v", err)
		}
		t.Cleanup(func() { srv.Close() })
		tdAddr = srv.Addr()
	} else {
		tdAddr = startTandem(t, "--databases", "32").Addr()
	}
	h := &fuzzHarness{t: t, seed: seed, unsupported: map[string]int{}, tandemOnly: map[string]int{}, diffs: map[string]*fuzzDiff{}}
	h.td, h.tdAdmin, h.check = h.dial(tdAddr), h.dial(tdAddr), h.dial(tdAddr)
	if _, err := exec.LookPath("redis-server"); err == nil {
		ref := startRedis(t, "--databases", "32")
		h.rd, h.rdAdmin = h.dial(ref.Addr()), h.dial(ref.Addr())
	} else {
		t.Log("redis-server not installed: invariants only, no comparison")
	}
	g := &fuzzGen{r: rand.New(rand.NewPCG(seed, 0xf022)), byName: map[string]*fuzzCmd{}}
	h.loadTable(g)
	t.Logf("%d commands and subcommands drawn (%d with argument specs from COMMAND DOCS)", len(g.cmds), h.withDocs)
	// The check keys live in db 31, which no value the generator draws
	// selects (only FLUSHALL reaches them).
	h.must(h.check, "SELECT", "31")
	h.configAtStart = []string{"CONFIG", "SET"}
	for _, p := range configSetParams {
		r := h.must(h.tdAdmin, "CONFIG", "GET", p)
		if len(r.kids) == 2 {
			h.configAtStart = append(h.configAtStart, p, r.kids[1].text)
		}
	}
	h.reseed()
	h.resetCanary()

	baseG := runtime.NumGoroutine()
	start := time.Now()
	for i := 0; i < total; i++ {
		c, args := g.next()
		h.n = i
		h.run(g, c, args)
		h.invariants(c)
		if i%2000 == 1999 {
			h.reseed()
		}
		if time.Since(h.canaryAt) > 50*time.Second {
			h.resetCanary()
		}
		if embedded && i%500 == 499 {
			h.goroutines(baseG)
		}
		if i%100000 == 99999 {
			t.Logf("%d commands, %v, %d distinct differences so far", i+1, time.Since(start).Round(time.Second), len(h.diffs))
		}
	}
	el := time.Since(start)
	var uns []string
	for k, v := range h.unsupported {
		uns = append(uns, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(uns)
	var only []string
	for k := range h.tandemOnly {
		only = append(only, k)
	}
	sort.Strings(only)
	t.Logf("%d commands in %v (%.0f/s): %d compared with Redis, %d Tandem errors, %d not supported by Tandem (%s), not in Redis 7.0: %s; %d known differences, %d known failures skipped, %d DBSIZE expiry races",
		total, el.Round(time.Millisecond), float64(total)/el.Seconds(), h.compared, h.errors, h.unsupportedN,
		strings.Join(uns, " "), strings.Join(only, " "), h.known, h.skipped, h.expiryRaces)
	if len(h.diffs) > 0 {
		t.Errorf("%s", h.diffList())
	}
}

// diffList lists the distinct differences found.
func (h *fuzzHarness) diffList() string {
	var out []string
	for _, d := range h.diffs {
		out = append(out, d.String())
	}
	sort.Strings(out)
	return fmt.Sprintf("%d distinct differences from Redis 7.0 (seed %d):\n%s", len(out), h.seed, strings.Join(out, "\n"))
}

type fuzzDiff struct {
	name, key  string
	args       []string
	td, rd     string
	count, cmd int
}

func (d *fuzzDiff) String() string {
	return fmt.Sprintf("  %s (x%d, first at command %d): %s\n    redis:  %s\n    tandem: %s",
		d.name, d.count, d.cmd, showArgs(d.args), clip(d.rd), clip(d.td))
}

func clip(s string) string {
	if len(s) > 300 {
		return fmt.Sprintf("%s…(%d bytes)", s[:300], len(s))
	}
	return s
}

func showArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if len(a) > 40 {
			a = fmt.Sprintf("%s…(%d bytes)", a[:20], len(a))
		}
		out[i] = strconv.Quote(a)
	}
	return strings.Join(out, " ")
}

// fconn is one connection with a per-command deadline (a hang fails).
type fconn struct {
	c net.Conn
	r *bufio.Reader
}

func (c *fconn) send(cmds ...[]string) error {
	var buf []byte
	for _, a := range cmds {
		buf = append(buf, encode(a...)...)
	}
	c.c.SetDeadline(time.Now().Add(60 * time.Second))
	_, err := c.c.Write(buf)
	return err
}

func (c *fconn) do(args ...string) (*rnode, error) {
	if err := c.send(args); err != nil {
		return nil, err
	}
	return readNode(c.r)
}

type fuzzHarness struct {
	// xaddMs is the time given to XADD "*" IDs (see run).
	xaddMs               int64
	t                    *testing.T
	seed                 uint64
	n                    int
	td, tdAdmin, check   *fconn
	rd, rdAdmin          *fconn
	withDocs             int
	canaryFrom, canaryAt time.Time
	queued               []queuedCmd // the commands queued in MULTI
	lastQueued           []queuedCmd // those of the last EXEC
	compared, errors     int
	unsupported          map[string]int
	tandemOnly           map[string]int
	unsupportedN, known  int
	skipped, expiryRaces int
	diffs                map[string]*fuzzDiff
	lastArgs             [][]string
	multiState           bool
	configAtStart        []string
}

func (h *fuzzHarness) dial(addr string) *fconn {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return &fconn{c: c, r: bufio.NewReaderSize(c, 1<<16)}
}

func (h *fuzzHarness) must(c *fconn, args ...string) *rnode {
	n, err := c.do(args...)
	if err != nil {
		h.fatalf("%v: %v", args, err)
	}
	return n
}

func (h *fuzzHarness) fatalf(format string, a ...any) {
	h.t.Helper()
	var last []string
	for _, a := range h.lastArgs {
		last = append(last, "  "+showArgs(a))
	}
	if len(h.diffs) > 0 {
		h.t.Errorf("%s", h.diffList())
	}
	h.t.Fatalf("command %d: %s\nlast commands:\n%s\n(seed %d)", h.n, fmt.Sprintf(format, a...), strings.Join(last[max(0, len(last)-10):], "\n"), h.seed)
}

// loadTable builds the generator's command list.
func (h *fuzzHarness) loadTable(g *fuzzGen) {
	docs := map[string]*rnode{}
	if h.rd != nil {
		all := h.must(h.rd, "COMMAND", "DOCS")
		for i := 0; i+1 < len(all.kids); i += 2 {
			docs[all.kids[i].text] = all.kids[i+1]
			if subs := flatMap(all.kids[i+1], "subcommands"); subs != nil {
				for j := 0; j+1 < len(subs.kids); j += 2 {
					docs[subs.kids[j].text] = subs.kids[j+1]
				}
			}
		}
	}
	add := func(e *rnode, words []string) {
		if len(e.kids) < 6 {
			return
		}
		atoi := func(n *rnode) int { v, _ := strconv.Atoi(n.text); return v }
		c := &fuzzCmd{name: strings.ToLower(e.kids[0].text), words: words, arity: atoi(e.kids[1]),
			first: atoi(e.kids[3]), last: atoi(e.kids[4]), step: atoi(e.kids[5])}
		if fuzzExcluded[c.name] {
			return
		}
		if d, ok := docs[c.name]; ok {
			c.docs = true
			c.args = parseArgSpecs(flatMap(d, "arguments"))
			h.withDocs++
		}
		g.cmds = append(g.cmds, c)
		g.byName[c.name] = c
	}
	table := h.must(h.tdAdmin, "COMMAND")
	for _, e := range table.kids {
		if len(e.kids) == 0 {
			continue
		}
		name := strings.ToUpper(e.kids[0].text)
		add(e, []string{name})
		if len(e.kids) > 9 {
			for _, s := range e.kids[9].kids {
				if len(s.kids) > 0 {
					_, sub, _ := strings.Cut(s.kids[0].text, "|")
					add(s, []string{name, strings.ToUpper(sub)})
				}
			}
		}
	}
	if len(g.cmds) < 150 {
		h.t.Fatalf("only %d commands in Tandem's COMMAND", len(g.cmds))
	}
}

// seedData creates keys of every type (names in fuzzKeys).
var seedData = [][]string{
	{"SET", "s", "hello"}, {"SET", "n", "42"}, {"SET", "fl", "3.5"}, {"SET", "big", strings.Repeat("v", 200)},
	{"RPUSH", "l", "a", "b", "c", "1", "2"}, {"SET", "ttl", "t", "EX", "10000"},
	{"HSET", "h", "f1", "v1", "f2", "2", "f3", "1.5"}, {"SADD", "S", "a", "b", "c"}, {"SADD", "I", "1", "2", "3", "-7"},
	{"ZADD", "z", "1", "a", "2", "b", "2.5", "c"}, {"SET", "w_1", "3"}, {"SET", "w_2", "1"}, {"SET", "", "empty-name"},
}

func init() {
	var l, hh, z []string
	for i := 0; i < 200; i++ {
		l = append(l, fmt.Sprint("e", i))
		hh = append(hh, fmt.Sprint("f", i), fmt.Sprint(i))
		z = append(z, fmt.Sprint(i%37), fmt.Sprint("m", i))
	}
	seedData = append(seedData, append([]string{"RPUSH", "L"}, l...), append([]string{"HSET", "H"}, hh...),
		append([]string{"ZADD", "Z"}, z...), append([]string{"SADD", "SS"}, l...))
}

// reseed empties both servers and writes the same data; the fuzzing
// connections are RESET (protocol 2, db 0, no MULTI).
func (h *fuzzHarness) reseed() {
	for _, c := range []*fconn{h.tdAdmin, h.rdAdmin} {
		if c == nil {
			continue
		}
		h.must(c, "FLUSHALL")
		for _, a := range seedData {
			if r := h.must(c, a...); r.kind == '-' {
				h.fatalf("seed %v: %s", a, r)
			}
		}
	}
	for _, c := range []*fconn{h.td, h.rd} {
		if c != nil {
			h.must(c, "RESET")
		}
	}
	// CONFIG SET may have changed the two servers differently (a
	// difference ends in a reseed): back to the values of the start.
	for _, c := range []*fconn{h.tdAdmin, h.rdAdmin} {
		if c != nil && h.configAtStart != nil {
			if r := h.must(c, h.configAtStart...); r.String() != "+OK" {
				h.fatalf("%v: %s", h.configAtStart, r)
			}
		}
	}
	h.queued, h.multiState = nil, false
	h.lastArgs = nil
	h.resetCanary()
}

// resetCanary sets the canary key; its expiry lies between
// canaryFrom+100 s and canaryAt+100 s by the wall clock.
func (h *fuzzHarness) resetCanary() {
	h.canaryFrom = time.Now()
	if r := h.must(h.check, "SET", "canary", "1", "EX", "100"); r.String() != "+OK" {
		h.fatalf("SET canary: %s", r)
	}
	h.canaryAt = time.Now()
}

// notSupported says whether Tandem refused a command it does not build yet.
func notSupported(n *rnode) bool {
	return n != nil && n.kind == '-' && strings.Contains(n.text, "not supported by Tandem yet")
}

// run sends one command to both servers and compares the replies.
func (h *fuzzHarness) run(g *fuzzGen, c *fuzzCmd, args []string) {
	if c.name == "xadd" {
		// XADD's "*" takes each server's clock, and the two run it a few
		// microseconds apart, sometimes across a millisecond: both get
		// the same explicit time instead ("<ms>-*"), rising as a clock does.
		for i, a := range args {
			if a == "*" {
				if h.xaddMs == 0 {
					h.xaddMs = 1_700_000_000_000
				}
				h.xaddMs++
				args[i] = fmt.Sprintf("%d-*", h.xaddMs)
			}
		}
	}
	h.lastArgs = append(h.lastArgs, args)
	if len(h.lastArgs) > 2100 {
		h.lastArgs = h.lastArgs[100:]
	}
	if _, ok := h.unsupported[c.name]; ok && h.multiState {
		return // would run in Redis's MULTI only
	}
	if h.rd != nil && !c.docs && h.multiState {
		// Newer than Redis 7.0 (CLIENT SETINFO): Tandem queues it, Redis
		// refuses it and dooms its transaction, so EXEC would differ.
		return
	}
	for _, k := range knownFuzzSkips {
		if k.skip(c.name, args) {
			h.skipped++
			return
		}
	}
	got, err := h.td.do(args...)
	if err != nil {
		h.fatalf("tandem: %s: %v (hang or closed connection)", showArgs(args), err)
	}
	if notSupported(got) {
		h.unsupported[c.name]++
		h.unsupportedN++
		return
	}
	if got.kind == '-' {
		h.errors++
	}
	if h.rd == nil {
		h.cleanup(c, args)
		return
	}
	want, err := h.rd.do(args...)
	if err != nil {
		h.fatalf("redis: %s: %v", showArgs(args), err)
	}
	if !c.docs && want.kind == '-' && (strings.HasPrefix(want.text, "ERR unknown command") || strings.HasPrefix(want.text, "ERR unknown subcommand '")) {
		h.tandemOnly[c.name]++ // newer than Redis 7.0
		return
	}
	h.compared++
	norm := fuzzClass(c.name)
	if c.name == "exec" {
		norm = execNorm(h.queued)
	}
	if got.String() == "+QUEUED" {
		h.queued = append(h.queued, queuedCmd{c.name, norm})
	}
	switch c.name {
	case "exec", "discard", "reset":
		h.lastQueued = h.queued
		h.queued, h.multiState = nil, false
	case "multi":
		if got.String() == "+OK" {
			h.queued, h.multiState = nil, true
		}
	}
	if c.name == "exec" && masked(got, want) {
		// A command Tandem does not build ran in Redis's transaction only:
		// the data may differ from now on.
		defer h.reseed()
	}
	gs, ws := norm(got).String(), norm(want).String()
	if gs != ws && c.name == "dbsize" && !h.multiState && h.sameKeys() {
		// DBSIZE counts keys whose time has passed but that no lookup or
		// active-expiry cycle has removed yet: the two servers' cycles
		// run at different moments. KEYS (which skips them) agrees.
		h.expiryRaces++
		return
	}
	if gs != ws {
		if c.name == "exec" && h.knownInExec(got, want) {
			h.known++
		} else {
			h.diff(c, args, got.String(), want.String())
		}
		h.reseed()
		return
	}
	h.cleanup(c, args)
}

// masked replaces, in EXEC replies, the elements Tandem answered "not
// supported" (and Redis's for the same command) by a placeholder, and
// says whether it did.
func masked(got, want *rnode) bool {
	any := false
	for i, k := range got.kids {
		if notSupported(k) && i < len(want.kids) {
			got.kids[i], want.kids[i] = &rnode{kind: '?'}, &rnode{kind: '?'}
			any = true
		}
	}
	return any
}

// queuedCmd is a command queued in MULTI, for comparing EXEC's replies.
type queuedCmd struct {
	name string
	norm normFn
}

// execNorm compares an EXEC reply element by element with each queued
// command's class.
func execNorm(q []queuedCmd) normFn {
	return func(n *rnode) *rnode {
		if n == nil || len(n.kids) != len(q) {
			return n
		}
		c := *n
		c.kids = make([]*rnode, len(n.kids))
		for i, k := range n.kids {
			c.kids[i] = q[i].norm(k)
		}
		return &c
	}
}

// cleanup deletes the keys of a command that carried a 1 MB value or a
// large offset, and the keys SPOP changed at random, on both servers.
func (h *fuzzHarness) cleanup(c *fuzzCmd, args []string) {
	big := c.name == "spop"
	for _, a := range args {
		if len(a) >= 1<<20 {
			big = true
		}
		if v, err := strconv.ParseInt(strings.TrimPrefix(a, "#"), 10, 64); err == nil && v > 1<<20 &&
			(c.name == "setbit" || c.name == "setrange" || c.name == "bitfield") {
			big = true
		}
	}
	if !big {
		return
	}
	del := []string{"DEL"}
	for _, a := range args[len(c.words):] {
		for _, k := range fuzzKeys {
			if a == k && k != "" {
				del = append(del, k)
			}
		}
	}
	if len(del) == 1 {
		return
	}
	for _, conn := range []*fconn{h.td, h.rd} {
		if conn == nil {
			continue
		}
		r := h.must(conn, del...)
		if conn == h.td && r.String() == "+QUEUED" {
			h.queued = append(h.queued, queuedCmd{"del", kindOnly})
		}
	}
}

// isKnown says whether a difference is in knownFuzzDiffs.
func isKnown(name string, args []string, got, want string) bool {
	for _, k := range knownFuzzDiffs {
		if (k.cmd == name || k.cmd == "*") && k.match(args, want, got) {
			return true
		}
	}
	return false
}

// knownInExec says whether every element that differs in an EXEC reply is
// a known difference of the command queued there.
func (h *fuzzHarness) knownInExec(got, want *rnode) bool {
	q := h.lastQueued
	if got.kind != '*' || want.kind != '*' || len(got.kids) != len(q) || len(want.kids) != len(q) {
		return false
	}
	for i, e := range q {
		g, w := e.norm(got.kids[i]).String(), e.norm(want.kids[i]).String()
		if g != w && !isKnown(e.name, nil, g, w) {
			return false
		}
	}
	return true
}

func (h *fuzzHarness) diff(c *fuzzCmd, args []string, got, want string) {
	if isKnown(c.name, args, got, want) {
		h.known++
		return
	}
	key := c.name + "|" + diffShape(got) + "|" + diffShape(want)
	if d, ok := h.diffs[key]; ok {
		d.count++
		return
	}
	h.diffs[key] = &fuzzDiff{name: c.name, key: key, args: args, td: got, rd: want, count: 1, cmd: h.n}
	h.t.Logf("difference at command %d: %s\n  redis:  %s\n  tandem: %s\n%s",
		h.n, showArgs(args), clip(want), clip(got), h.context(args))
}

// diffShape reduces a reply to what tells failures apart: an error's
// first words, or the reply's type.
func diffShape(s string) string {
	if strings.HasPrefix(s, "-") {
		w := strings.Fields(quoted.ReplaceAllString(s, "'…'"))
		if len(w) > 4 {
			w = w[:4]
		}
		return strings.Join(w, " ")
	}
	if s == "" {
		return s
	}
	return s[:1]
}

// sameKeys says whether KEYS * gives the same keys on both servers.
func (h *fuzzHarness) sameKeys() bool {
	td, err1 := h.td.do("KEYS", "*")
	rd, err2 := h.rd.do("KEYS", "*")
	return err1 == nil && err2 == nil && sortedFlat(td).String() == sortedFlat(rd).String()
}

// context shows what led to a difference: the last commands since the
// last reseed, those on the command's keys, and the keys that differ.
func (h *fuzzHarness) context(args []string) string {
	var b strings.Builder
	keys := map[string]bool{}
	for _, a := range args[1:] {
		if slices.Contains(fuzzKeys, a) {
			keys[a] = true
		}
	}
	fmt.Fprintf(&b, "  since the last reseed (last 30, and those naming the same keys):\n")
	for i, a := range h.lastArgs {
		near := i >= len(h.lastArgs)-30
		for _, x := range a[1:] {
			near = near || keys[x]
		}
		if near {
			fmt.Fprintf(&b, "    %s\n", showArgs(a))
		}
	}
	if !h.multiState && h.rd != nil {
		td, err1 := h.td.do("KEYS", "*")
		rd, err2 := h.rd.do("KEYS", "*")
		if err1 == nil && err2 == nil {
			a, z := sortedFlat(td).String(), sortedFlat(rd).String()
			if a != z {
				fmt.Fprintf(&b, "  keys: tandem %s\n        redis  %s\n", clip(a), clip(z))
			} else {
				fmt.Fprintf(&b, "  KEYS * is the same on both\n")
			}
		}
	}
	return b.String()
}

var quoted = regexp.MustCompile(`'[^']*'`)

// invariants checks that Tandem still works after a command.
func (h *fuzzHarness) invariants(c *fuzzCmd) {
	ck := h.check
	cmds := [][]string{{"PING"}, {"PTTL", "canary"}, {"SET", "fresh", "1", "EX", "100"}, {"PTTL", "fresh"}, {"INFO"}}
	sent := time.Now()
	if err := ck.send(cmds...); err != nil {
		h.fatalf("check connection: %v", err)
	}
	rs := make([]*rnode, len(cmds))
	for i := range cmds {
		r, err := readNode(ck.r)
		if err != nil {
			h.fatalf("check %v: %v (hang or closed connection)", cmds[i], err)
		}
		rs[i] = r
	}
	recv := time.Now()
	if rs[0].String() != "+PONG" {
		h.fatalf("PING: %s", rs[0])
	}
	pttl, _ := strconv.ParseInt(rs[1].text, 10, 64)
	if rs[1].kind != ':' {
		h.fatalf("PTTL canary: %s", rs[1])
	}
	if pttl == -2 {
		switch c.name {
		case "flushall", "exec":
			h.resetCanary()
			return
		}
		h.fatalf("canary vanished (PTTL -2) %v after it was set", time.Since(h.canaryAt))
	}
	// The server computed PTTL between sent and recv, for an expiry set
	// between canaryFrom and canaryAt: the wall clock bounds it (with a
	// second of slack for clock granularity). A stuck command clock drifts
	// out of these bounds and keeps drifting.
	const slack = 1000
	lo := 100000 - recv.Sub(h.canaryFrom).Milliseconds() - slack
	hi := 100000 - sent.Sub(h.canaryAt).Milliseconds() + slack
	if pttl < lo || pttl > hi {
		h.fatalf("canary PTTL %d ms, the wall clock says between %d and %d (set %v ago)", pttl, lo, hi, time.Since(h.canaryAt))
	}
	fresh, _ := strconv.ParseInt(rs[3].text, 10, 64)
	if lo := 100000 - recv.Sub(sent).Milliseconds() - slack; rs[2].String() != "+OK" || fresh < lo || fresh > 100000 {
		h.fatalf("SET fresh 1 EX 100: %s, then PTTL %s (want %d to 100000)", rs[2], rs[3], lo)
	}
	if rs[4].kind != '$' && rs[4].kind != '=' {
		h.fatalf("INFO: %s", clip(rs[4].String()))
	}
	for _, l := range strings.Split(rs[4].text, "\r\n") {
		if l == "" || strings.HasPrefix(l, "# ") {
			continue
		}
		if k, _, ok := strings.Cut(l, ":"); !ok || k == "" {
			h.fatalf("INFO line %q is neither a section nor key:value", l)
		}
	}
}

// goroutines fails when the embedded server's goroutines grew by more than
// a slack for the connections and timers of the moment.
func (h *fuzzHarness) goroutines(base int) {
	const slack = 40
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base+slack {
			return
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			pprof.Lookup("goroutine").WriteTo(&b, 1)
			h.fatalf("goroutines grew from %d to %d:\n%s", base, n, b.String()[:min(b.Len(), 20000)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
