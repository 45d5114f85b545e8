package test

// End-to-end tests of the append-only file: crash safety per appendfsync,
// rewrites under load, start-up repair and refusal, the Redis 7.0 layout
// checked by Debian's redis-check-aof and loaded by Debian's redis-server
// (and theirs by us), CONFIG SET appendonly, INFO, and a replica that keeps
// its replication state across a restart from its AOF.

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

const aofWait = 60 * time.Second

// aofServer is a Tandem with appendonly yes in a directory that outlives
// the process, so it can be killed and restarted on the same files.
type aofServer struct {
	*replNode
	dir string
}

func startAOF(t *testing.T, name, dir string, args ...string) *aofServer {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	n := startReplTandem(t, name, append([]string{"--appendonly", "yes", "--dir", dir}, args...)...)
	waitLoaded(t, n)
	return &aofServer{replNode: n, dir: dir}
}

// waitLoaded waits until the server answers PING with PONG (the process
// accepts connections while it loads, answering -LOADING).
func waitLoaded(t testing.TB, n *replNode) {
	t.Helper()
	testutil.Eventually(t, aofWait, n.name+" loaded", func() bool {
		return n.c.Ping(context.Background()).Val() == "PONG"
	})
}

func (s *aofServer) aofDir() string { return filepath.Join(s.dir, "appendonlydir") }

func (s *aofServer) manifest() string { return filepath.Join(s.aofDir(), "appendonly.aof.manifest") }

// lastIncr is the path of the incr file the manifest lists last.
func (s *aofServer) lastIncr(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(s.manifest())
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 6 && f[5] == "i" {
			last = f[1]
		}
	}
	return filepath.Join(s.aofDir(), last)
}

// kill9 kills the process with SIGKILL and waits for it.
func (s *aofServer) kill9(t testing.TB) {
	t.Helper()
	s.proc.Cmd.Process.Kill()
	if !s.proc.WaitExit(10 * time.Second) {
		t.Fatal("server did not die")
	}
}

// shutdown sends SHUTDOWN NOSAVE (the AOF is flushed and fsynced).
func (s *aofServer) shutdown(t testing.TB) {
	t.Helper()
	s.c.Do(context.Background(), "SHUTDOWN", "NOSAVE")
	if !s.proc.WaitExit(10 * time.Second) {
		t.Fatal("server did not exit after SHUTDOWN")
	}
}

// waitRewriteDone waits until no rewrite runs or is scheduled and the
// AOF is on.
func (s *aofServer) waitRewriteDone(t testing.TB, ctx context.Context) {
	t.Helper()
	testutil.Eventually(t, aofWait, s.name+" AOF rewrite done", func() bool {
		inf := s.info(ctx, "persistence")
		return inf["aof_rewrite_in_progress"] == "0" && inf["aof_rewrite_scheduled"] == "0" && inf["aof_enabled"] == "1"
	})
}

// checkAOF runs Debian's redis-check-aof on a manifest.
func checkAOF(t testing.TB, manifest string) {
	t.Helper()
	bin, err := exec.LookPath("redis-check-aof")
	if err != nil {
		t.Skip("redis-check-aof not installed")
	}
	out, err := exec.Command(bin, manifest).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "All AOF files and manifest are valid") {
		t.Fatalf("redis-check-aof %s: %v\n%s", manifest, err, out)
	}
}

// copyDir copies the regular files of src into dst (created), writable.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// startRedisOnAOF starts Debian's redis-server with appendonly yes on a
// copy of an AOF directory (and optionally an old single-file AOF).
func startRedisOnAOF(t *testing.T, aofDir string) *replNode {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, aofDir, filepath.Join(dir, "appendonlydir"))
	return startReplRedis(t, "redis", "--appendonly", "yes", "--dir", dir)
}

// requireSameData compares two servers' datasets (no replication between
// them).
func requireSameData(t testing.TB, ctx context.Context, a, b *replNode) {
	t.Helper()
	want, got := dumpDataset(t, ctx, a), dumpDataset(t, ctx, b)
	if len(want) == 0 {
		t.Fatalf("dataset of %s is empty: nothing was compared", a.name)
	}
	if d := diffDatasets(want, got, a.name, b.name, pttlTolerance); len(d) > 0 {
		if len(d) > 30 {
			d = append(d[:30], fmt.Sprintf("... and %d more", len(d)-30))
		}
		t.Fatalf("datasets differ:\n%s", strings.Join(d, "\n"))
	}
}

// incrWriters runs n clients doing INCR on their own key until stop is
// closed, recording the last acknowledged value of each.
func incrWriters(t *testing.T, addr string, n int, stop chan struct{}) ([]atomic.Int64, *sync.WaitGroup) {
	acked := make([]atomic.Int64, n)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, PoolSize: 1, ReadTimeout: 5 * time.Second})
			defer c.Close()
			key := fmt.Sprintf("counter:%d", w)
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := c.Incr(context.Background(), key).Result()
				if err != nil {
					return // the server is gone
				}
				acked[w].Store(v)
			}
		}(w)
	}
	return acked, &wg
}

// TestAOFAlwaysKill9KeepsEveryAcknowledgedWrite: with appendfsync always,
// a server killed with SIGKILL in the middle of a write load comes back
// with every write it acknowledged.
func TestAOFAlwaysKill9KeepsEveryAcknowledgedWrite(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	s := startAOF(t, "tandem", "", "--appendfsync", "always")
	stop := make(chan struct{})
	acked, wg := incrWriters(t, s.proc.Addr(), 8, stop)
	testutil.Eventually(t, aofWait, "writes acknowledged", func() bool { return acked[0].Load() > 200 })
	s.kill9(t)
	close(stop)
	wg.Wait()
	s2 := startAOF(t, "tandem-restarted", s.dir)
	total := int64(0)
	for w := range acked {
		want := acked[w].Load()
		total += want
		got, err := s2.c.Get(ctx, fmt.Sprintf("counter:%d", w)).Int64()
		if err != nil || got < want || got > want+1 {
			t.Fatalf("counter:%d = %d (%v) after the crash, %d acknowledged", w, got, err, want)
		}
	}
	t.Logf("%d acknowledged INCRs all present after kill -9", total)
	checkAOF(t, s2.manifest())
}

// TestAOFEverysecKill9LosesAtMostAboutOneSecond: with everysec the buffer
// is still written before replies, so a killed process loses nothing the
// kernel had; what may be lost on power failure (at most about a second)
// is tested with the crash-simulating file system in internal/aof.
func TestAOFEverysecKill9LosesAtMostAboutOneSecond(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	s := startAOF(t, "tandem", "")
	stop := make(chan struct{})
	acked, wg := incrWriters(t, s.proc.Addr(), 4, stop)
	var rate int64
	testutil.Eventually(t, aofWait, "writes acknowledged", func() bool { return acked[0].Load() > 200 })
	start, n0 := time.Now(), acked[0].Load()
	time.Sleep(500 * time.Millisecond)
	rate = (acked[0].Load() - n0) * int64(time.Second) / int64(time.Since(start))
	s.kill9(t)
	close(stop)
	wg.Wait()
	s2 := startAOF(t, "tandem-restarted", s.dir)
	for w := range acked {
		want := acked[w].Load()
		got, _ := s2.c.Get(ctx, fmt.Sprintf("counter:%d", w)).Int64()
		if want-got > rate+1 {
			t.Fatalf("counter:%d lost %d acknowledged writes, more than one second's worth (%d/s)", w, want-got, rate)
		}
	}
}

// TestAOFRewriteUnderWriteLoadMatchesTheLiveDataset: BGREWRITEAOF while
// clients write every type; after the load stops, a restart from the files
// gives exactly the live dataset, and redis-check-aof accepts them.
func TestAOFRewriteUnderWriteLoadMatchesTheLiveDataset(t *testing.T) {
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble="+preamble, func(t *testing.T) {
			ctx := ctxFor(t, 3*time.Minute)
			s := startAOF(t, "tandem", "", "--aof-use-rdb-preamble", preamble)
			caps := detectCaps(t, ctx, s.replNode)
			writeTyped(t, ctx, s.c, caps, "seed", 300, time.Hour)
			var stop atomic.Bool
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					c := s.db(t, w%3)
					rng := rand.New(rand.NewSource(int64(w)))
					for !stop.Load() {
						c.Do(ctx, replRandomOp(rng, caps, 500)...)
					}
				}(w)
			}
			for i := 0; i < 3; i++ {
				if err := s.c.Do(ctx, "BGREWRITEAOF").Err(); err != nil && !strings.Contains(err.Error(), "already in progress") {
					t.Fatal(err)
				}
				s.waitRewriteDone(t, ctx)
			}
			stop.Store(true)
			wg.Wait()
			if st := s.info(ctx, "persistence")["aof_last_bgrewrite_status"]; st != "ok" {
				t.Fatalf("aof_last_bgrewrite_status:%s", st)
			}
			live := dumpDataset(t, ctx, s.replNode)
			s.shutdown(t)
			checkAOF(t, s.manifest())
			s2 := startAOF(t, "tandem-restarted", s.dir)
			if d := diffDatasets(live, dumpDataset(t, ctx, s2.replNode), "live", "reloaded", pttlTolerance); len(d) > 0 {
				t.Fatalf("%d differences, first: %s", len(d), strings.Join(d[:min(len(d), 20)], "\n"))
			}
		})
	}
}

// TestAOFFilesPassRedisCheckAOFAndLoadInRedisServer: our directory, with an
// RDB or RESP base, timestamps, transactions, expiries and several
// databases, passes Debian's redis-check-aof and a real redis-server 7.0
// loads it with the same data.
func TestAOFFilesPassRedisCheckAOFAndLoadInRedisServer(t *testing.T) {
	for _, v := range []struct{ name, preamble, ts string }{{"rdb-base", "yes", "no"}, {"resp-base", "no", "no"}, {"timestamps", "no", "yes"}} {
		t.Run(v.name, func(t *testing.T) {
			ctx := ctxFor(t, 2*time.Minute)
			s := startAOF(t, "tandem", "", "--aof-use-rdb-preamble", v.preamble, "--aof-timestamp-enabled", v.ts)
			caps := detectCaps(t, ctx, s.replNode)
			writeTyped(t, ctx, s.c, caps, "before", 50, time.Hour)
			mustDo(t, ctx, s.c, "SET", "float", "1.5")
			mustDo(t, ctx, s.c, "INCRBYFLOAT", "float", "0.25")
			mustDo(t, ctx, s.c, "SET", "ex", "v", "EX", "1000")
			if err := s.c.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
				t.Fatal(err)
			}
			s.waitRewriteDone(t, ctx)
			writeTyped(t, ctx, s.db(t, 5), caps, "after", 50, time.Hour)
			p := s.c.TxPipeline()
			p.Incr(ctx, "tx:a")
			p.Incr(ctx, "tx:b")
			p.Expire(ctx, "tx:b", time.Hour)
			if _, err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			mustDo(t, ctx, s.c, "DEL", "before:str:3")
			s.shutdown(t)
			checkAOF(t, s.manifest())
			r := startRedisOnAOF(t, s.aofDir())
			s2 := startAOF(t, "tandem-restarted", s.dir)
			requireSameData(t, ctx, s2.replNode, r)
		})
	}
}

// TestAOFWeLoadRedisVectorDirectories: the two directories written by
// Redis 7.0.15 (RDB base; RESP base with #TS: annotations and expiry DELs)
// load into the same data as redis-server gives from them.
func TestAOFWeLoadRedisVectorDirectories(t *testing.T) {
	for _, dir := range []string{"aof-rdb-base", "aof-resp-base"} {
		t.Run(dir, func(t *testing.T) {
			ctx := ctxFor(t, time.Minute)
			src := filepath.Join(testutil.SharedDir(), "testdata", "aof", dir)
			if _, err := os.Stat(src); err != nil {
				t.Skip("vector not available")
			}
			work := t.TempDir()
			copyDir(t, src, filepath.Join(work, "appendonlydir"))
			s := startAOF(t, "tandem", work)
			r := startRedisOnAOF(t, src)
			requireSameData(t, ctx, s.replNode, r)
			mustDo(t, ctx, s.c, "SET", "ours", "1")
			s.shutdown(t)
			checkAOF(t, s.manifest())
		})
	}
}

// TestAOFWeLoadAnOldStyleRDBPreambleAOF: a single-file AOF with an RDB
// preamble (Redis 4–6) is upgraded into the directory and loaded, as
// redis-server 7.0 does.
func TestAOFWeLoadAnOldStyleRDBPreambleAOF(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	src := filepath.Join(testutil.SharedDir(), "testdata", "aof", "rdb-preamble.aof")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Skip("vector not available")
	}
	ours, theirs := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(ours, "appendonly.aof"), b, 0o644)
	os.WriteFile(filepath.Join(theirs, "appendonly.aof"), b, 0o644)
	s := startAOF(t, "tandem", ours)
	r := startReplRedis(t, "redis", "--appendonly", "yes", "--dir", theirs)
	requireSameData(t, ctx, s.replNode, r)
	if got := len(dumpDataset(t, ctx, s.replNode)); got != 3 {
		t.Fatalf("%d keys, want k1 k2 k3", got)
	}
	s.shutdown(t)
	checkAOF(t, s.manifest())
}

// TestAOFAppendonlyYesIgnoresDumpRDB and CONFIG SET appendonly yes at run
// time writes a base first.
func TestAOFConfigSetAppendonlyYesRewritesFirstAndStartupIgnoresRDB(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	dir := t.TempDir()
	n := startReplTandem(t, "tandem", "--dir", dir)
	s := &aofServer{replNode: n, dir: dir}
	mustDo(t, ctx, s.c, "SET", "before", "1")
	mustDo(t, ctx, s.c, "SET", "gone", "1")
	if fileExists(s.manifest()) {
		t.Fatal("a manifest with appendonly no")
	}
	mustDo(t, ctx, s.c, "CONFIG", "SET", "appendonly", "yes")
	s.waitRewriteDone(t, ctx)
	if inf := s.info(ctx, "persistence"); inf["aof_rewrites"] != "1" || inf["aof_base_size"] == "0" {
		t.Fatalf("no base written: %v", inf)
	}
	mustDo(t, ctx, s.c, "SET", "after", "1")
	mustDo(t, ctx, s.c, "SAVE") // dump.rdb holds "gone"
	mustDo(t, ctx, s.c, "DEL", "gone")
	s.shutdown(t)
	checkAOF(t, s.manifest())
	s2 := startAOF(t, "tandem-restarted", dir)
	keys, _ := s2.c.Keys(ctx, "*").Result()
	if strings.Join(sorted(keys), ",") != "after,before" {
		t.Fatalf("keys %v: with appendonly yes only the AOF is loaded", keys)
	}
	mustDo(t, ctx, s2.c, "CONFIG", "SET", "appendonly", "no")
	if inf := s2.info(ctx, "persistence"); inf["aof_enabled"] != "0" {
		t.Fatalf("aof_enabled %s after CONFIG SET appendonly no", inf["aof_enabled"])
	}
}

// runFailing runs the tandem binary expecting it to refuse to start, and
// returns its output.
func runFailing(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"--port", strconv.Itoa(testutil.FreePort(t)), "--bind", "127.0.0.1", "--save", ""}, args...)
	out, err := exec.CommandContext(ctx, testutil.Binary(t), full...).CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("server did not refuse to start (err %v):\n%s", err, out)
	}
	return string(out)
}

// TestAOFTruncatedTailIsCutAtStartup: a last command cut by a crash is
// dropped (aof-load-truncated yes, the default) and its offset logged; with
// aof-load-truncated no the server refuses to start.
func TestAOFTruncatedTailIsCutAtStartup(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	s := startAOF(t, "tandem", "")
	mustDo(t, ctx, s.c, "SET", "a", "1")
	mustDo(t, ctx, s.c, "SET", "b", "2")
	s.shutdown(t)
	incr := s.lastIncr(t)
	good, _ := os.ReadFile(incr)
	os.WriteFile(incr, append(append([]byte(nil), good...), "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1"...), 0o644)

	out := runFailing(t, "--dir", s.dir, "--appendonly", "yes", "--aof-load-truncated", "no")
	if !strings.Contains(out, filepath.Base(incr)) || !strings.Contains(out, fmt.Sprintf("offset %d", len(good))) {
		t.Fatalf("refusal does not name the file and offset:\n%s", out)
	}
	s2 := startAOF(t, "tandem-restarted", s.dir)
	keys, _ := s2.c.Keys(ctx, "*").Result()
	if strings.Join(sorted(keys), ",") != "a,b" {
		t.Fatalf("keys %v", keys)
	}
	if !strings.Contains(s2.proc.LogText(), fmt.Sprintf("!!! Truncating the AOF %s at offset %d !!!", filepath.Base(incr), len(good))) {
		t.Fatalf("log:\n%s", tailText(s2.proc.LogText(), 20))
	}
	if st, _ := os.Stat(incr); st.Size() != int64(len(good)) {
		t.Fatalf("file not cut back: %d bytes, want %d", st.Size(), len(good))
	}
	mustDo(t, ctx, s2.c, "SET", "c", "3")
	s2.shutdown(t)
	checkAOF(t, s2.manifest())
}

// TestAOFMidFileCorruptionStopsStartup: a damaged command in the middle of
// a file stops start-up with a message naming the file and the offset, and
// the file is left as it is.
func TestAOFMidFileCorruptionStopsStartup(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	s := startAOF(t, "tandem", "")
	mustDo(t, ctx, s.c, "SET", "a", "1")
	mustDo(t, ctx, s.c, "SET", "b", "2")
	mustDo(t, ctx, s.c, "SET", "c", "3")
	s.shutdown(t)
	incr := s.lastIncr(t)
	b, _ := os.ReadFile(incr)
	at := strings.Index(string(b), "*3\r\n$3\r\nSET\r\n$1\r\nb")
	b[at+1] = 'x'
	os.WriteFile(incr, b, 0o644)
	out := runFailing(t, "--dir", s.dir, "--appendonly", "yes")
	if !strings.Contains(out, fmt.Sprintf("Bad file format reading the append only file %s at offset %d", filepath.Base(incr), at)) {
		t.Fatalf("refusal does not name the file and offset %d:\n%s", at, out)
	}
	after, _ := os.ReadFile(incr)
	if string(after) != string(b) {
		t.Fatal("the corrupt file was modified")
	}
}

func TestAOFInfoPersistenceFields(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	s := startAOF(t, "tandem", "")
	mustDo(t, ctx, s.c, "SET", "a", "1")
	inf := s.info(ctx, "persistence")
	want := map[string]string{"aof_enabled": "1", "aof_rewrite_in_progress": "0", "aof_rewrite_scheduled": "0",
		"aof_last_bgrewrite_status": "ok", "aof_last_write_status": "ok", "aof_base_size": "89", "aof_pending_rewrite": "0"}
	for k, v := range want {
		if inf[k] != v {
			t.Errorf("%s:%s, want %s", k, inf[k], v)
		}
	}
	if sz, _ := strconv.Atoi(inf["aof_current_size"]); sz <= 89 {
		t.Errorf("aof_current_size:%s", inf["aof_current_size"])
	}
	if r, err := s.c.Do(ctx, "BGREWRITEAOF").Text(); err != nil || r != "Background append only file rewriting started" {
		t.Fatalf("BGREWRITEAOF: %q %v", r, err)
	}
	s.waitRewriteDone(t, ctx)
	if s.info(ctx, "persistence")["aof_rewrites"] != "1" {
		t.Fatal("aof_rewrites should be 1")
	}
}

// TestAOFCollectionsInARESPBaseLoadInRedis: lists, sets, hashes and sorted
// sets (every encoding, ±inf scores) written as RPUSH/SADD/HMSET/ZADD in a
// RESP base load in redis-server as they load from the RDB they came from.
func TestAOFCollectionsInARESPBaseLoadInRedis(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	src := filepath.Join(testutil.SharedDir(), "testdata", "rdb", "big-encodings.rdb")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Skip("vector not available")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "dump.rdb"), b, 0o644)
	n := startReplTandem(t, "tandem", "--dir", dir, "--aof-use-rdb-preamble", "no")
	// PING answers -LOADING before the load ends; CONFIG SET appendonly
	// would too (a race-built binary loads this file slowly).
	if err := testutil.WaitReady(n.proc.Addr(), time.Minute); err != nil {
		t.Fatal(err)
	}
	s := &aofServer{replNode: n, dir: dir}
	mustDo(t, ctx, s.c, "CONFIG", "SET", "appendonly", "yes")
	s.waitRewriteDone(t, ctx)
	s.shutdown(t)
	checkAOF(t, s.manifest())
	fromAOF := startRedisOnAOF(t, s.aofDir())
	rdbDir := t.TempDir()
	os.WriteFile(filepath.Join(rdbDir, "dump.rdb"), b, 0o644)
	fromRDB := startReplRedis(t, "redis-rdb", "--dir", rdbDir)
	requireSameData(t, ctx, fromRDB, fromAOF)
}

// TestAOFReplicaKeepsItsAOFThroughAFullSyncAndContinuesWithPSYNC: a
// replica with appendonly yes rewrites its AOF after the full sync (so the
// AOF alone holds the master's data), and after a kill -9 and a restart it
// continues with a partial resynchronization instead of a full one — with
// a Tandem master and with Redis's.
func TestAOFReplicaKeepsItsAOFThroughAFullSyncAndContinuesWithPSYNC(t *testing.T) {
	for _, masterKind := range []string{"tandem", "redis"} {
		t.Run("master="+masterKind, func(t *testing.T) {
			ctx := ctxFor(t, 3*time.Minute)
			var m *replNode
			if masterKind == "redis" {
				m = startReplRedis(t, "master")
			} else {
				m = startReplTandem(t, "master")
			}
			caps := detectCaps(t, ctx, m)
			writeTyped(t, ctx, m.c, caps, "initial", 100, time.Hour)
			r := startAOF(t, "replica", "", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
			caps = detectCaps(t, ctx, m, r.replNode)
			waitLinkUp(t, ctx, r.replNode)
			r.waitRewriteDone(t, ctx)
			if inf := r.info(ctx, "persistence"); inf["aof_rewrites"] == "0" {
				t.Fatalf("no rewrite after the full sync: %v", inf)
			}
			writeTyped(t, ctx, m.c, caps, "streamed", 50, time.Hour)
			requireSameDataset(t, ctx, m, r.replNode)
			fullBefore := m.stat(t, ctx, "sync_full")
			partialBefore := m.stat(t, ctx, "sync_partial_ok")

			// Wait for the replication mark of the current offset in the
			// AOF (the cron writes it within a tick), then crash.
			inf := r.info(ctx, "replication")
			off, _ := strconv.ParseInt(inf["slave_repl_offset"], 10, 64)
			replID := inf["master_replid"]
			testutil.Eventually(t, aofWait, "replication mark in the AOF", func() bool {
				b, _ := os.ReadFile(r.lastIncr(t))
				i := strings.LastIndex(string(b), "#tandem-repl:"+replID+" ")
				if i < 0 {
					return false
				}
				f := strings.Fields(string(b[i:]))
				if len(f) < 2 {
					return false
				}
				got, _ := strconv.ParseInt(f[1], 10, 64)
				return got >= off
			})
			r.kill9(t)
			mustDo(t, ctx, m.c, "SET", "while-down", "1")

			r2 := startAOF(t, "replica-restarted", r.dir, "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
			waitLinkUp(t, ctx, r2.replNode)
			requireSameDataset(t, ctx, m, r2.replNode)
			if full, partial := m.stat(t, ctx, "sync_full"), m.stat(t, ctx, "sync_partial_ok"); full != fullBefore || partial != partialBefore+1 {
				t.Fatalf("after the restart: sync_full %d→%d, sync_partial_ok %d→%d; want a partial resync", fullBefore, full, partialBefore, partial)
			}
			if !strings.Contains(r2.proc.LogText(), "Partial Resynchronization") {
				t.Fatalf("replica log:\n%s", tailText(r2.proc.LogText(), 30))
			}
			r2.shutdown(t)
			checkAOF(t, r2.manifest())
			// Redis ignores our replication AUX fields and marks: it loads
			// the replica's AOF into the master's data.
			requireSameData(t, ctx, m, startRedisOnAOF(t, r2.aofDir()))
		})
	}
}

// TestDebugAOFFlushSleep: DEBUG AOF-FLUSH-SLEEP <us> makes each write of
// the AOF buffer wait first, so under appendfsync always a write's reply
// comes that much later (Redis's tests widen the reply window with it).
func TestDebugAOFFlushSleep(t *testing.T) {
	t.Parallel()
	p := startTandem(t, "--appendonly", "yes", "--appendfsync", "always", "--dir", t.TempDir())
	rc := dialRaw(t, p.Addr())
	waitReady(t, rc)
	if r := rc.do("DEBUG", "AOF-FLUSH-SLEEP", "300000"); r != "+OK\r\n" {
		t.Fatalf("DEBUG AOF-FLUSH-SLEEP: %q", r)
	}
	start := time.Now()
	rc.do("SET", "k", "v")
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("SET answered after %v with a 300 ms flush sleep", took)
	}
	rc.do("DEBUG", "AOF-FLUSH-SLEEP", "0")
	start = time.Now()
	rc.do("SET", "k", "v2")
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Errorf("SET answered after %v with no flush sleep", took)
	}
	if r := rc.do("DEBUG", "AOF-FLUSH-SLEEP", "x"); !strings.HasPrefix(r, "-ERR") {
		t.Errorf("DEBUG AOF-FLUSH-SLEEP x: %q", r)
	}
}

// TestAOFSlowScriptWhileLoadingAnswersLoading: a verbatim EVAL in the AOF
// that runs past busy-reply-threshold while the file loads leaves other
// clients with -LOADING (as Redis answers them), not -BUSY, and its
// effects are there once the load ends. Both the start-up load and DEBUG
// LOADAOF.
func TestAOFSlowScriptWhileLoadingAnswersLoading(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	s := startAOF(t, "tandem", "", "--busy-reply-threshold", "1", "--aof-use-rdb-preamble", "no")
	mustDo(t, ctx, s.c, "SET", "warm", "1")
	s.shutdown(t)
	script := "redis.call('set',KEYS[1],'y'); for i=1,3000000 do redis.call('ping') end return 'ok'"
	slow := fmt.Sprintf("*4\r\n$4\r\nEVAL\r\n$%d\r\n%s\r\n$1\r\n1\r\n$1\r\nx\r\n", len(script), script)
	f, err := os.OpenFile(s.lastIncr(t), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(slow)
	f.Close()

	check := func(t *testing.T, n *replNode, what string, loading func() bool) {
		t.Helper()
		var errs []string
		testutil.Eventually(t, aofWait, what+" answered", func() bool {
			err := n.c.Ping(ctx).Err()
			if err == nil {
				return !loading()
			}
			errs = append(errs, err.Error())
			return false
		})
		seen := false
		for _, e := range errs {
			if strings.HasPrefix(e, "BUSY") {
				t.Fatalf("%s: a client got %q during the AOF load", what, e)
			}
			seen = seen || strings.HasPrefix(e, "LOADING")
		}
		if !seen {
			t.Fatalf("%s: no -LOADING seen while the slow script loaded (errors %v)", what, errs)
		}
		if v, _ := n.c.Get(ctx, "x").Result(); v != "y" {
			t.Fatalf("%s: GET x = %q after the load", what, v)
		}
	}

	n := startReplTandem(t, "tandem-restarted", "--appendonly", "yes", "--dir", s.dir, "--busy-reply-threshold", "1")
	check(t, n, "start-up load", func() bool { return false })

	// DEBUG LOADAOF from another client, which waits for its OK.
	done := make(chan error, 1)
	other := redis.NewClient(&redis.Options{Addr: n.proc.Addr(), Protocol: 2, ReadTimeout: time.Minute})
	defer other.Close()
	go func() { done <- other.Do(ctx, "DEBUG", "LOADAOF").Err() }()
	testutil.Eventually(t, aofWait, "DEBUG LOADAOF starts", func() bool {
		return n.c.Ping(ctx).Err() != nil
	})
	check(t, n, "DEBUG LOADAOF", func() bool {
		select {
		case err := <-done:
			done <- err
			return false
		default:
			return true
		}
	})
	if err := <-done; err != nil {
		t.Fatalf("DEBUG LOADAOF: %v", err)
	}
}

// TestAOFEnabledInsideMultiIsScheduled: CONFIG SET appendonly yes inside a
// transaction schedules the AOF rewrite for after EXEC, as Redis does (its
// log line says so), and INFO's total_forks counts it, as each background
// snapshot (Tandem's fork), BGSAVE included.
func TestAOFEnabledInsideMultiIsScheduled(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	n := startReplTandem(t, "tandem", "--dir", t.TempDir())
	forks := n.infoInt(ctx, "stats", "total_forks")
	mustDo(t, ctx, n.c, "BGSAVE")
	testutil.Eventually(t, aofWait, "BGSAVE counted as a fork", func() bool {
		return n.infoInt(ctx, "stats", "total_forks") == forks+1
	})
	testutil.Eventually(t, aofWait, "BGSAVE done", func() bool {
		return n.info(ctx, "persistence")["rdb_bgsave_in_progress"] == "0"
	})
	_, err := n.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "foo", "bar", 0)
		p.ConfigSet(ctx, "appendonly", "yes")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitLog(t, n, "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.")
	testutil.Eventually(t, aofWait, "the scheduled rewrite ran", func() bool {
		inf := n.info(ctx, "persistence")
		return inf["aof_rewrites"] == "1" && inf["aof_rewrite_in_progress"] == "0" && n.infoInt(ctx, "stats", "total_forks") == forks+2
	})
}

// TestAOFRewriteWaitsForABackgroundSave: BGREWRITEAOF while a BGSAVE is
// still writing its file is scheduled, not started, and runs once the save
// is done, as Redis's rewrite waits for its RDB child.
func TestAOFRewriteWaitsForABackgroundSave(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	s := startReplTandem(t, "tandem", "--dir", t.TempDir())
	mustDo(t, ctx, s.c, "FLUSHALL")
	mustDo(t, ctx, s.c, "SET", "k", "v")
	before := s.infoInt(ctx, "persistence", "aof_rewrites")
	// One key: the snapshot's walk ends at once, the file's writing takes
	// 3 s (Redis's child is busy as long).
	mustDo(t, ctx, s.c, "CONFIG", "SET", "rdb-key-save-delay", "3000000")
	mustDo(t, ctx, s.c, "BGSAVE")
	if got, err := s.c.Do(ctx, "BGREWRITEAOF").Text(); err != nil || got != "Background append only file rewriting scheduled" {
		t.Fatalf("BGREWRITEAOF during a BGSAVE: %q %v", got, err)
	}
	if inf := s.info(ctx, "persistence"); inf["aof_rewrite_scheduled"] != "1" || inf["aof_rewrite_in_progress"] != "0" {
		t.Fatalf("rewrite scheduled %s, in progress %s", inf["aof_rewrite_scheduled"], inf["aof_rewrite_in_progress"])
	}
	mustDo(t, ctx, s.c, "CONFIG", "SET", "rdb-key-save-delay", "0")
	testutil.Eventually(t, aofWait, "the scheduled rewrite ran after the save", func() bool {
		inf := s.info(ctx, "persistence")
		return inf["rdb_bgsave_in_progress"] == "0" && inf["aof_rewrite_scheduled"] == "0" &&
			inf["aof_rewrite_in_progress"] == "0" && s.infoInt(ctx, "persistence", "aof_rewrites") == before+1
	})
}
