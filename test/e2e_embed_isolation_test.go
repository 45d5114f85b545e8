package test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem"
	"github.com/tandemdb/tandem/internal/testutil"
)

// These tests check what two servers in one Go process must not share
// (settings, hooks, files) and what an embedded server must give back when
// it stops or fails to start (goroutines, descriptors, files). The ones
// that count goroutines and descriptors of the whole process do not run in
// parallel with other tests.

// embedDirectives is a server's directives with its own dir and files.
func embedDirectives(dir, name string, extra ...[]string) [][]string {
	d := [][]string{{"dir", dir}, {"dbfilename", name + ".rdb"}, {"appendfilename", name + ".aof"}}
	return append(d, extra...)
}

// sendRaw writes raw bytes and reads one reply (or the error that ended
// the read) on a fresh connection: a protocol error closes it.
func sendRaw(t *testing.T, addr string, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		return "write: " + err.Error()
	}
	buf := make([]byte, 256)
	n, err := c.Read(buf)
	if n == 0 {
		return "read: " + err.Error()
	}
	return strings.TrimRight(string(buf[:n]), "\r\n")
}

// TestEmbeddedServersKeepTheirOwnLimits: proto-max-bulk-len and the
// encoding thresholds of one embedded server never apply to another one
// in the same process, at start-up or after CONFIG SET; the server started
// last must not win.
func TestEmbeddedServersKeepTheirOwnLimits(t *testing.T) {
	t.Parallel()
	a := startEmbedded(t, tandem.Config{Directives: embedDirectives(t.TempDir(), "a",
		[]string{"proto-max-bulk-len", "1mb"},
		[]string{"hash-max-listpack-entries", "2"},
		[]string{"zset-max-listpack-entries", "4"},
		[]string{"save", ""})})
	b := startEmbedded(t, tandem.Config{Directives: embedDirectives(t.TempDir(), "b", []string{"save", ""})})
	ctx := ctxFor(t, 60*time.Second)
	ca, cb := newClient(t, a.Addr(), 2), newClient(t, b.Addr(), 2)

	// The header of a 2 MB argument is refused before its bytes are sent.
	big := strings.Repeat("x", 2<<20)
	if got := sendRaw(t, a.Addr(), fmt.Sprintf("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n", len(big))); got != "-ERR Protocol error: invalid bulk length" {
		t.Fatalf("2 MB SET on a = %q", got)
	}
	if err := cb.Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatalf("2 MB SET on b: %v", err)
	}
	// String growth is bounded by the same setting (APPEND, SETRANGE, SETBIT).
	const tooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	if err := ca.SetRange(ctx, "s", 1500000, "x").Err(); err == nil || err.Error() != tooLong {
		t.Fatalf("SETRANGE past 1 MB on a: %v", err)
	}
	if err := cb.SetRange(ctx, "s", 1500000, "x").Err(); err != nil {
		t.Fatalf("SETRANGE past 1 MB on b: %v", err)
	}
	if err := ca.SetBit(ctx, "bits", 9000000, 1).Err(); err == nil || err.Error() != "ERR bit offset is not an integer or out of range" {
		t.Fatalf("SETBIT past 1 MB on a: %v", err)
	}
	if err := cb.SetBit(ctx, "bits", 9000000, 1).Err(); err != nil {
		t.Fatalf("SETBIT past 1 MB on b: %v", err)
	}

	encoding := func(c *redis.Client, key string) string {
		t.Helper()
		enc, err := c.ObjectEncoding(ctx, key).Result()
		if err != nil {
			t.Fatalf("OBJECT ENCODING %s: %v", key, err)
		}
		return enc
	}
	for _, c := range []*redis.Client{ca, cb} {
		c.HSet(ctx, "h", "f1", 1, "f2", 2, "f3", 3, "f4", 4, "f5", 5)
		c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 3, Member: "c"},
			redis.Z{Score: 4, Member: "d"}, redis.Z{Score: 5, Member: "e"})
		c.SAdd(ctx, "s3", 1, 2, 3)
	}
	if got := encoding(ca, "h"); got != "hashtable" {
		t.Fatalf("5-field hash on a (hash-max-listpack-entries 2): %s", got)
	}
	if got := encoding(cb, "h"); got != "listpack" {
		t.Fatalf("5-field hash on b: %s", got)
	}
	if got := encoding(ca, "z"); got != "skiplist" {
		t.Fatalf("5-member sorted set on a (zset-max-listpack-entries 4): %s", got)
	}
	if got := encoding(cb, "z"); got != "listpack" {
		t.Fatalf("5-member sorted set on b: %s", got)
	}

	// CONFIG SET on one server changes that server only.
	if err := cb.ConfigSet(ctx, "set-max-intset-entries", "2").Err(); err != nil {
		t.Fatal(err)
	}
	if err := cb.ConfigSet(ctx, "proto-max-bulk-len", "1mb").Err(); err != nil {
		t.Fatal(err)
	}
	ca.SAdd(ctx, "s3b", 1, 2, 3)
	cb.SAdd(ctx, "s3b", 1, 2, 3)
	if got := encoding(ca, "s3b"); got != "intset" {
		t.Fatalf("3-int set on a after CONFIG SET on b: %s", got)
	}
	if got := encoding(cb, "s3b"); got != "listpack" && got != "hashtable" {
		t.Fatalf("3-int set on b after set-max-intset-entries 2: %s", got)
	}
	if v, _ := ca.ConfigGet(ctx, "set-max-intset-entries").Result(); v["set-max-intset-entries"] != "512" {
		t.Fatalf("a's set-max-intset-entries = %v", v)
	}
	if err := cb.Append(ctx, "s", strings.Repeat("y", 1<<20)).Err(); err == nil || err.Error() != tooLong {
		t.Fatalf("APPEND past 1 MB on b after CONFIG SET: %v", err)
	}
	if err := ca.ConfigSet(ctx, "proto-max-bulk-len", "512mb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := ca.SetRange(ctx, "s", 1500000, "x").Err(); err != nil {
		t.Fatalf("SETRANGE on a after raising its limit: %v", err)
	}
	if err := cb.SetRange(ctx, "s2", 1500000, "x").Err(); err == nil || err.Error() != tooLong {
		t.Fatalf("SETRANGE on b after a raised its own limit: %v", err)
	}
	if err := ca.ConfigSet(ctx, "hash-max-listpack-entries", "512").Err(); err != nil {
		t.Fatal(err)
	}
	cb.HSet(ctx, "h2", "f1", 1, "f2", 2, "f3", 3)
	if got := encoding(cb, "h2"); got != "listpack" {
		t.Fatalf("3-field hash on b after CONFIG SET on a: %s", got)
	}
}

// TestFlushallSavesItsOwnServersFile: with save points, FLUSHALL writes
// the (empty) RDB of the server it ran on, in that server's dir, as Redis
// does, and never the file of another server in the process.
func TestFlushallSavesItsOwnServersFile(t *testing.T) {
	t.Parallel()
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startEmbedded(t, tandem.Config{Directives: embedDirectives(dirA, "a", []string{"save", "3600 1"})})
	b := startEmbedded(t, tandem.Config{Directives: embedDirectives(dirB, "b", []string{"save", "3600 1"})})
	ctx := ctxFor(t, 30*time.Second)
	ca, cb := newClient(t, a.Addr(), 2), newClient(t, b.Addr(), 2)
	ca.Set(ctx, "ka", "1", 0)
	cb.Set(ctx, "kb", "1", 0)
	if err := ca.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dirA, "a.rdb")); err != nil {
		t.Fatalf("FLUSHALL on a did not write a's RDB: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dirB, "b.rdb")); err == nil {
		t.Fatal("FLUSHALL on a wrote b's RDB")
	}
	if n, _ := cb.Exists(ctx, "kb").Result(); n != 1 {
		t.Fatal("FLUSHALL on a emptied b")
	}
	if err := cb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dirB, "b.rdb")); err != nil {
		t.Fatalf("FLUSHALL on b did not write b's RDB: %v", err)
	}
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// settlesTo waits (bounded) until the goroutine and descriptor counts are
// back at their baselines, and fails with the goroutines left otherwise.
func settlesTo(t *testing.T, what string, goroutines, fds int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var g, f int
	for {
		g, f = runtime.NumGoroutine(), openFDs(t)
		if g <= goroutines && f <= fds {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	ents, _ := os.ReadDir("/proc/self/fd")
	var links []string
	for _, e := range ents {
		l, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		links = append(links, l)
	}
	t.Fatalf("%s: %d goroutines (baseline %d), %d fds (baseline %d)\nfds: %v\n%s", what, g, goroutines, f, fds, links, buf)
}

// warmUp starts and closes one server so that what the Go runtime and the
// packages set up once per process (the network poller, ...) is in the
// baseline.
func warmUp(t *testing.T) {
	t.Helper()
	s, err := tandem.Start(tandem.Config{Directives: embedDirectives(t.TempDir(), "w", []string{"appendonly", "yes"})})
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	c.Set(context.Background(), "k", "v", 0)
	c.Close()
	s.Close()
	time.Sleep(50 * time.Millisecond)
}

// TestEmbeddedStartFailuresLeakNothing: a Start that fails late (the port
// is taken; the RDB is corrupt; the AOF directory cannot be created) gives
// back every goroutine, descriptor and file it took, however often it is
// tried.
func TestEmbeddedStartFailuresLeakNothing(t *testing.T) {
	warmUp(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	corrupt := t.TempDir()
	os.WriteFile(filepath.Join(corrupt, "c.rdb"), []byte("REDIS0010\xfa\x09redis-ver\x057.0.15\xfe\x00\xfb\x05\x00\x00\x01k"), 0o644)
	notADir := t.TempDir()
	os.WriteFile(filepath.Join(notADir, "appendonlydir"), []byte("a file where the AOF dir should be"), 0o644)

	cases := []struct {
		name string
		cfg  func(pid string) tandem.Config
		want string
	}{
		{"port in use", func(pid string) tandem.Config {
			return tandem.Config{Port: port, Directives: [][]string{{"bind", "127.0.0.1"}, {"dir", t.TempDir()}, {"pidfile", pid}, {"appendonly", "yes"}}}
		}, "Could not create server TCP listening socket"},
		{"corrupt rdb", func(pid string) tandem.Config {
			return tandem.Config{Directives: embedDirectives(corrupt, "c", []string{"pidfile", pid})}
		}, ""},
		{"aof dir is a file", func(pid string) tandem.Config {
			return tandem.Config{Directives: embedDirectives(notADir, "n", []string{"pidfile", pid}, []string{"appendonly", "yes"})}
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pid := filepath.Join(t.TempDir(), "tandem.pid")
			g0, f0 := runtime.NumGoroutine(), openFDs(t)
			for i := 0; i < 20; i++ {
				s, err := tandem.Start(tc.cfg(pid))
				if err == nil {
					s.Close()
					t.Fatal("Start succeeded")
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Start: %v", err)
				}
				if _, err := os.Stat(pid); err == nil {
					t.Fatal("the pid file of a failed start is left behind")
				}
			}
			settlesTo(t, "after 20 failed starts", g0, f0)
		})
	}
}

// TestEmbeddedCloseShutsDownLikeTheBinary: Close does what SIGTERM does
// to the binary: the AOF is flushed and fsynced (the last write is in it,
// and a restart from the same dir loads it), replication links end, and
// afterwards the process has the goroutines and descriptors it had before
// the servers started.
func TestEmbeddedCloseShutsDownLikeTheBinary(t *testing.T) {
	warmUp(t)
	g0, f0 := runtime.NumGoroutine(), openFDs(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	pid := filepath.Join(t.TempDir(), "a.pid")
	confA := embedDirectives(dirA, "a", []string{"appendonly", "yes"}, []string{"appendfsync", "no"}, []string{"save", ""}, []string{"pidfile", pid}, []string{"repl-diskless-sync-delay", "0"})
	a, err := tandem.Start(tandem.Config{Directives: confA})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pid); err != nil {
		t.Fatalf("pid file: %v", err)
	}
	_, portA, _ := net.SplitHostPort(a.Addr())
	b, err := tandem.Start(tandem.Config{Directives: embedDirectives(dirB, "b", []string{"save", "3600 1"}, []string{"replicaof", "127.0.0.1", portA})})
	if err != nil {
		a.Close()
		t.Fatal(err)
	}
	ctx := ctxFor(t, 60*time.Second)
	ca := redis.NewClient(&redis.Options{Addr: a.Addr(), MaxRetries: -1})
	cb := redis.NewClient(&redis.Options{Addr: b.Addr(), MaxRetries: -1})
	for i := 0; i < 1000; i++ {
		ca.Set(ctx, fmt.Sprintf("k%d", i), i, 0)
	}
	if err := ca.Set(ctx, "last", "write", 0).Err(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the replica gets the last write", func() bool {
		v, _ := cb.Get(ctx, "last").Result()
		return v == "write"
	})
	ca.Close()
	cb.Close()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// b has save points: like the binary on SIGTERM, Close saved its RDB.
	if _, err := os.Stat(filepath.Join(dirB, "b.rdb")); err != nil {
		t.Fatalf("replica with save points did not save on Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pid); err == nil {
		t.Fatal("pid file left after Close")
	}
	settlesTo(t, "after Close", g0, f0)

	// The AOF holds the last write (appendfsync no: only Close flushed it).
	aofDir := filepath.Join(dirA, "appendonlydir")
	ents, _ := os.ReadDir(aofDir)
	found := false
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".incr.aof") {
			data, _ := os.ReadFile(filepath.Join(aofDir, e.Name()))
			found = found || strings.Contains(string(data), "$4\r\nlast\r\n$5\r\nwrite\r\n")
		}
	}
	if !found {
		t.Fatalf("the last write is not in the AOF (%v)", ents)
	}
	a2, err := tandem.Start(tandem.Config{Directives: confA})
	if err != nil {
		t.Fatal(err)
	}
	c2 := redis.NewClient(&redis.Options{Addr: a2.Addr(), MaxRetries: -1})
	v, err := c2.Get(ctx, "last").Result()
	n, _ := c2.DBSize(ctx).Result()
	c2.Close()
	a2.Close()
	if v != "write" || n != 1001 {
		t.Fatalf("restart from the AOF: last=%q (%v), dbsize %d", v, err, n)
	}
	settlesTo(t, "after the restart's Close", g0, f0)
}

// TestEmbeddedServerWithoutConfigFileHasNoSavePoints: without a ConfigFile
// an embedded server neither saves by the clock nor on Close unless its
// Directives set save points; with them, Close saves as SIGTERM does.
func TestEmbeddedServerWithoutConfigFileHasNoSavePoints(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startEmbedded(t, tandem.Config{Directives: [][]string{{"dir", dir}}})
	ctx := ctxFor(t, 20*time.Second)
	c := newClient(t, s.Addr(), 2)
	if v, err := c.ConfigGet(ctx, "save").Result(); err != nil || v["save"] != "" {
		t.Fatalf("CONFIG GET save = %v, %v", v, err)
	}
	c.Set(ctx, "k", "v", 0)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err == nil {
		t.Fatal("Close wrote dump.rdb without save points")
	}
	// Directives' save lines replace the embedded default, as a file's do.
	s2 := startEmbedded(t, tandem.Config{Directives: [][]string{{"dir", dir}, {"save", "3600 1"}, {"save", "60 100"}}})
	c2 := newClient(t, s2.Addr(), 2)
	if v, err := c2.ConfigGet(ctx, "save").Result(); err != nil || v["save"] != "3600 1 60 100" {
		t.Fatalf("CONFIG GET save = %v, %v", v, err)
	}
	c2.Set(ctx, "k", "v", 0)
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatalf("Close with save points did not save: %v", err)
	}
}

// TestEmbeddedCloseAfterClientShutdown: a client's SHUTDOWN saves and
// stops the server; Close afterwards neither saves again nor fails, and
// still gives back the AOF file, the pid file and every goroutine.
func TestEmbeddedCloseAfterClientShutdown(t *testing.T) {
	warmUp(t)
	g0, f0 := runtime.NumGoroutine(), openFDs(t)
	dir := t.TempDir()
	pid := filepath.Join(t.TempDir(), "s.pid")
	s, err := tandem.Start(tandem.Config{Directives: embedDirectives(dir, "s", []string{"save", "3600 1"}, []string{"appendonly", "yes"}, []string{"pidfile", pid})})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 20*time.Second)
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	c.Set(ctx, "k", "v", 0)
	// The connection closes without a reply (go-redis reports nil).
	if err := c.Shutdown(ctx).Err(); err != nil && strings.HasPrefix(err.Error(), "ERR") {
		t.Fatalf("SHUTDOWN: %v", err)
	}
	c.Close()
	st, err := os.Stat(filepath.Join(dir, "s.rdb"))
	if err != nil {
		t.Fatalf("SHUTDOWN did not save: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close after SHUTDOWN: %v", err)
	}
	if st2, err := os.Stat(filepath.Join(dir, "s.rdb")); err != nil || !st2.ModTime().Equal(st.ModTime()) {
		t.Fatalf("Close after SHUTDOWN saved again (%v)", err)
	}
	if _, err := os.Stat(pid); err == nil {
		t.Fatal("pid file left after Close")
	}
	settlesTo(t, "after SHUTDOWN and Close", g0, f0)
}

// TestEmbeddedCloseStopsBackgroundWork: Close during a BGSAVE or an AOF
// rewrite stops it, leaves no temp file, and waits for its goroutines.
func TestEmbeddedCloseStopsBackgroundWork(t *testing.T) {
	warmUp(t)
	for _, cmd := range []string{"BGSAVE", "BGREWRITEAOF"} {
		t.Run(cmd, func(t *testing.T) {
			g0, f0 := runtime.NumGoroutine(), openFDs(t)
			dir := t.TempDir()
			// A BGSAVE pays 5 ms per key: 2000 small keys make one chunk
			// of the stream followed by a 10 s pause, which Close must cut
			// short. A rewrite (no such delay) has 48 MB to write and
			// fsync instead (under auto-aof-rewrite-min-size, so that no
			// automatic rewrite starts first).
			s, err := tandem.Start(tandem.Config{Directives: embedDirectives(dir, "s", []string{"appendonly", "yes"}, []string{"rdb-key-save-delay", "5000"})})
			if err != nil {
				t.Fatal(err)
			}
			ctx := ctxFor(t, 30*time.Second)
			c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
			val, n := "v", 2000
			if cmd == "BGREWRITEAOF" {
				val, n = strings.Repeat("v", 64<<10), 768
			}
			for b := 0; b < n; b += 256 {
				pipe := c.Pipeline()
				for i := b; i < b+256 && i < n; i++ {
					pipe.Set(ctx, fmt.Sprintf("k%d", i), val, 0)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Do(ctx, cmd).Err(); err != nil {
				t.Fatal(err)
			}
			info, _ := c.Info(ctx, "persistence").Result()
			fields := infoFields(info)
			if fields["rdb_bgsave_in_progress"] != "1" && fields["aof_rewrite_in_progress"] != "1" {
				t.Fatalf("%s not running:\n%s", cmd, info)
			}
			c.Close()
			start := time.Now()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("Close took %v: it waited for the snapshot instead of stopping it", d)
			}
			settlesTo(t, "after Close during "+cmd, g0, f0)
			var temps []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && strings.HasPrefix(d.Name(), "temp-") {
					temps = append(temps, p)
				}
				return nil
			})
			if len(temps) > 0 {
				t.Fatalf("temp files left: %v", temps)
			}
		})
	}
}
