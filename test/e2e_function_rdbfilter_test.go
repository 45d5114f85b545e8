package test

// REPLCONF rdb-filter-only: `redis-cli --functions-rdb` gets an RDB of the
// function libraries alone, which redis-check-rdb accepts and redis-server
// loads; `redis-cli --replica` gets an RDB of nothing, then the stream; the
// option's errors are Redis's.

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFunctionsRDBFilterOnly(t *testing.T) {
	ctx := ctxFor(t, 90*time.Second)
	td := startReplTandem(t, "tandem")
	rd := startReplRedis(t, "redis")
	for _, n := range []*replNode{td, rd} {
		mustDo(t, ctx, n.c, "FUNCTION", "LOAD", fnLibCounter)
		mustDo(t, ctx, n.c, "FUNCTION", "LOAD", fnLibTag)
		mustDo(t, ctx, n.c, "FCALL", "bump", "1", "c", "7")
		mustDo(t, ctx, n.c, "SET", "k", "v")
	}
	want := functionList(t, ctx, td)
	if want != functionList(t, ctx, rd) {
		t.Fatalf("the servers list different libraries:\n%s\n%s", want, functionList(t, ctx, rd))
	}

	// The option's replies, beside Redis's: a fresh connection each, as
	// a refused SYNC leaves the connection's replica state behind.
	for _, args := range [][]any{
		{"REPLCONF", "rdb-filter-only", "functions"},
		{"REPLCONF", "rdb-filter-only", "FUNCTIONS"},
		{"REPLCONF", "rdb-filter-only", ""},
		{"REPLCONF", "rdb-filter-only", "keys"},
		{"REPLCONF", "rdb-filter-only", "functions keys"},
		{"REPLCONF", "rdb-filter-only", "\"functions"},
	} {
		tc, rc := newClient(t, td.proc.Addr(), 2), newClient(t, rd.proc.Addr(), 2)
		if g, w := fnDo(ctx, tc, args...), fnDo(ctx, rc, args...); g != w {
			t.Errorf("%q: tandem %q, redis %q", args, g, w)
		}
	}
	for _, n := range []*replNode{td, rd} {
		c := newClient(t, n.proc.Addr(), 2)
		mustDo(t, ctx, c, "REPLCONF", "rdb-filter-only", "functions")
		if got := fnDo(ctx, c, "SYNC"); got != "ERR: ERR Filtered replica requires EOF capability" {
			t.Errorf("%s: SYNC of a filtered replica without capa eof: %q", n.name, got)
		}
	}

	// redis-cli --functions-rdb against Tandem.
	file := filepath.Join(t.TempDir(), "functions.rdb")
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, "redis-cli", "-p", strconv.Itoa(td.port()), "--functions-rdb", file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Transfer finished with success") {
		t.Fatalf("redis-cli --functions-rdb: %v\n%s", err, out)
	}
	check, err := exec.Command("redis-check-rdb", file).CombinedOutput()
	if err != nil || !strings.Contains(string(check), "RDB looks OK") || !strings.Contains(string(check), "0 keys read") {
		t.Fatalf("redis-check-rdb of the functions RDB: %v\n%s", err, check)
	}
	rdir := t.TempDir()
	copyFile(t, file, filepath.Join(rdir, "dump.rdb"))
	loaded := startReplRedis(t, "redis-loaded", "--dir", rdir)
	if got := functionList(t, ctx, loaded); got != want {
		t.Fatalf("redis-server loaded\n%s\nwant\n%s", got, want)
	}
	if got := fnDo(ctx, loaded.c, "DBSIZE"); got != "0" {
		t.Fatalf("DBSIZE of redis-server after loading the functions RDB: %s", got)
	}
	// The master is untouched: its data and libraries are all there.
	if got := fnDo(ctx, td.c, "DBSIZE"); got != "2" {
		t.Fatalf("DBSIZE of Tandem after the filtered sync: %s", got)
	}

	// redis-cli --replica asks for an RDB without data or functions, then
	// shows the stream.
	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	cmd := exec.CommandContext(rctx, "redis-cli", "-p", strconv.Itoa(td.port()), "--replica")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		rcancel()
		cmd.Wait()
	}()
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(what func(string) bool) string {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("redis-cli --replica ended")
				}
				if what(l) {
					return l
				}
			case <-rctx.Done():
				t.Fatal("redis-cli --replica: timed out")
			}
		}
	}
	done := waitLine(func(l string) bool { return strings.HasPrefix(l, "SYNC done after ") })
	// An RDB of nothing: the header, the AUX fields, the end and the
	// checksum, far less than one library's code.
	n, _ := strconv.Atoi(strings.Fields(strings.TrimPrefix(done, "SYNC done after "))[0])
	if n <= 0 || n > 400 {
		t.Fatalf("redis-cli --replica: %q (an RDB without data or functions expected)", done)
	}
	mustDo(t, ctx, td.c, "SET", "after", "sync")
	waitLine(func(l string) bool {
		return strings.Contains(l, `"set","after","sync"`) || strings.Contains(l, `"SET","after","sync"`)
	})
}
