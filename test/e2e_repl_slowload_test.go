package test

// A replica whose load of its master's RDB takes longer than repl-timeout
// (issue 14, finding 2): while it loads it writes a newline to the master
// once a second, the master takes that as a sign of life, and the replica
// does not count its own load time against the link. The first full sync
// must be the only one.

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/testutil"
)

// writeBigRDB writes an RDB of n small string keys (key:<i> → v<i>) into
// db 0 of a file in dir, and returns its name: much faster than writing
// the keys through a client.
func writeBigRDB(t testing.TB, dir string, n int) string {
	t.Helper()
	name := "big.rdb"
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	e := rdb.NewEncoder(w, rdb.EncodeOptions{})
	if err := e.Header(); err != nil {
		t.Fatal(err)
	}
	if err := e.SelectDB(0); err != nil {
		t.Fatal(err)
	}
	if err := e.ResizeDB(uint64(n), 0); err != nil {
		t.Fatal(err)
	}
	ent := rdb.Entry{Kind: rdb.KindString, ExpireAt: rdb.NoExpiry}
	var kb, vb []byte
	for i := 0; i < n; i++ {
		kb = strconv.AppendInt(append(kb[:0], "key:"...), int64(i), 10)
		vb = strconv.AppendInt(append(vb[:0], "value-"...), int64(i), 10)
		ent.Key, ent.Str = kb, vb
		if err := e.WriteEntry(&ent); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return name
}

// startBigMaster starts a Tandem master that loads n keys at start-up, and
// waits until it has.
func startBigMaster(t *testing.T, ctx context.Context, n int, args ...string) *replNode {
	t.Helper()
	dir := t.TempDir()
	name := writeBigRDB(t, dir, n)
	m := startReplTandem(t, "master", append([]string{"--dir", dir, "--dbfilename", name}, args...)...)
	testutil.Eventually(t, replWait, "the master loaded its dataset", func() bool {
		return m.info(ctx, "persistence")["loading"] == "0"
	})
	if got := m.c.DBSize(ctx).Val(); got != int64(n) {
		t.Fatalf("master has %d keys, want %d", got, n)
	}
	return m
}

// loadSeconds is the replica's "DB loaded from disk: X seconds" figure.
var loadSeconds = regexp.MustCompile(`DB loaded from disk: ([0-9.]+) seconds`)

func TestReplicaLoadLongerThanReplTimeoutCompletes(t *testing.T) {
	const keys = 4_000_000
	ctx := ctxFor(t, 3*time.Minute)
	timeout := []string{"--repl-timeout", "2"}
	m := startBigMaster(t, ctx, keys, timeout...)
	r := startReplTandem(t, "replica", timeout...)
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)

	// The load took clearly longer than repl-timeout, or this test proves
	// nothing.
	match := loadSeconds.FindStringSubmatch(r.proc.LogText())
	if match == nil {
		t.Fatalf("the replica never logged its load time:\n%s", tailText(r.proc.LogText(), 40))
	}
	secs, _ := strconv.ParseFloat(match[1], 64)
	t.Logf("replica loaded %d keys in %.2f s (repl-timeout 2)", keys, secs)
	if secs <= 3 {
		t.Skipf("the load took %.2f s, not over 3 s: too fast a machine to test the timeout", secs)
	}
	// A few more seconds of link life, then: one full sync, no partial
	// one (the link never broke), nobody timed out.
	time.Sleep(3 * time.Second)
	waitOffsetsMatch(t, ctx, m, r)
	if got := m.stat(t, ctx, "sync_full"); got != 1 {
		t.Errorf("sync_full = %d, want 1", got)
	}
	if got := m.stat(t, ctx, "sync_partial_ok"); got != 0 {
		t.Errorf("sync_partial_ok = %d, want 0 (the link broke)", got)
	}
	if got := r.c.DBSize(ctx).Val(); got != keys {
		t.Errorf("replica has %d keys, want %d", got, keys)
	}
	for _, l := range []struct {
		n    *replNode
		line string
	}{
		{m, "Disconnecting timedout replica"},
		{m, "Connection with replica"},
		{r, "Timeout receiving bulk data"},
		{r, "MASTER timeout"},
		{r, "Connection with master lost"},
	} {
		if log := l.n.proc.LogText(); strings.Contains(log, l.line) {
			t.Errorf("%s logged %q:\n%s", l.n.name, l.line, tailText(log, 30))
		}
	}
}

// TestReplicaLoadLongerThanReplTimeoutWithRedisMaster: the same against
// Debian's redis-server as the master: a real Redis master must take our
// loading replica's newlines as signs of life too.
func TestReplicaLoadLongerThanReplTimeoutWithRedisMaster(t *testing.T) {
	const keys = 4_000_000
	ctx := ctxFor(t, 3*time.Minute)
	timeout := []string{"--repl-timeout", "2"}
	m := startReplRedis(t, "master", timeout...)
	for i := 0; i < 8; i++ { // in parts: each within the client's timeout
		mustDo(t, ctx, m.c, "DEBUG", "POPULATE", keys/8, "p"+strconv.Itoa(i))
	}
	r := startReplTandem(t, "replica", timeout...)
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	match := loadSeconds.FindStringSubmatch(r.proc.LogText())
	if match == nil {
		t.Fatalf("the replica never logged its load time:\n%s", tailText(r.proc.LogText(), 40))
	}
	secs, _ := strconv.ParseFloat(match[1], 64)
	t.Logf("replica loaded %d keys in %.2f s (repl-timeout 2)", keys, secs)
	if secs <= 3 {
		t.Skipf("the load took %.2f s, not over 3 s: too fast a machine to test the timeout", secs)
	}
	time.Sleep(3 * time.Second)
	waitOffsetsMatch(t, ctx, m, r)
	if got := m.stat(t, ctx, "sync_full"); got != 1 {
		t.Errorf("sync_full = %d, want 1", got)
	}
	if got := m.stat(t, ctx, "sync_partial_ok"); got != 0 {
		t.Errorf("sync_partial_ok = %d, want 0 (the link broke)", got)
	}
	if got := r.c.DBSize(ctx).Val(); got != keys {
		t.Errorf("replica has %d keys, want %d", got, keys)
	}
	for _, line := range []string{"Timeout receiving bulk data", "MASTER timeout", "Connection with master lost"} {
		if log := r.proc.LogText(); strings.Contains(log, line) {
			t.Errorf("replica logged %q:\n%s", line, tailText(log, 30))
		}
	}
}
