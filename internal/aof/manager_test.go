package aof

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/persist"
)

func aofDir() string { return testDir + "/appendonlydir" }

func (in *inst) incrName() string {
	var n string
	in.locked(func() { n = in.a.curName })
	return n
}

func (in *inst) incrBytes() []byte {
	b, err := in.fs.ReadFile(aofDir() + "/" + in.incrName())
	if err != nil {
		in.t.Fatal(err)
	}
	return b
}

func TestStartCreatesBaseIncrAndManifestLikeRedis(t *testing.T) {
	in := mustInst(t, NewCrashFS(), nil)
	names, _ := in.fs.List(aofDir())
	want := "appendonly.aof.1.base.rdb,appendonly.aof.1.incr.aof,appendonly.aof.manifest"
	if strings.Join(names, ",") != want {
		t.Fatalf("files %v, want %s", names, want)
	}
	m, _ := in.fs.ReadFile(aofDir() + "/appendonly.aof.manifest")
	if string(m) != "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n" {
		t.Fatalf("manifest:\n%s", m)
	}
	base, _ := in.fs.ReadFile(aofDir() + "/appendonly.aof.1.base.rdb")
	if !bytes.HasPrefix(base, []byte("REDIS0010")) || !bytes.Contains(base, []byte("aof-base")) {
		t.Fatalf("base is not an RDB with aof-base: %q", base)
	}
}

func TestWritesAreInTheFileBeforeTheReply(t *testing.T) {
	in := mustInst(t, NewCrashFS(), func(c *config.Config) { c.AppendFsync = config.FsyncNo })
	c := in.client()
	var seen []byte
	// A hook after the AOF's barrier sees what the socket write would.
	in.barriers = append(in.barriers, func() { seen = in.incrBytes() })
	c.do("SET", "k", "v", "EX", "100")
	if !bytes.Contains(seen, []byte("PXAT")) || !bytes.HasPrefix(seen, cmd("SELECT", "0")) {
		t.Fatalf("file when the reply was released: %q", seen)
	}
}

func TestAOFRecordsThePropagatedForm(t *testing.T) {
	in := mustInst(t, NewCrashFS(), nil)
	c := in.client()
	c.do("SET", "a", "1")
	c.do("EXPIRE", "a", "100")
	c.do("PUBLISH", "ch", "msg")
	c.do("SELECT", "2")
	c.do("SET", "b", "2")
	c.do("DEL", "missing") // no-op: not written
	c.doBatch([][]byte{[]byte("MULTI")}, [][]byte{[]byte("INCR"), []byte("n")}, [][]byte{[]byte("INCR"), []byte("n")}, [][]byte{[]byte("EXEC")})
	c.doBatch([][]byte{[]byte("MULTI")}, [][]byte{[]byte("PUBLISH"), []byte("c"), []byte("m")}, [][]byte{[]byte("EXEC")})
	got := in.incrBytes()
	_, _, _, err := collect(got)
	if err != nil {
		t.Fatal(err)
	}
	cmds, _, _, _ := collect(got)
	text := strings.Join(cmds, "|")
	for _, want := range []string{"SELECT 0|SET a 1|PEXPIREAT a ", "SELECT 2|SET b 2|MULTI|INCR n|INCR n|EXEC"} {
		if !strings.Contains(text, want) {
			t.Fatalf("AOF %q lacks %q", text, want)
		}
	}
	for _, bad := range []string{"PUBLISH", "publish", "missing", "EXPIRE a"} {
		if strings.Contains(text, bad) {
			t.Fatalf("AOF %q contains %q", text, bad)
		}
	}
	if strings.Count(text, "MULTI") != 1 {
		t.Fatalf("a transaction of PUBLISH alone left a MULTI/EXEC: %q", text)
	}
}

func TestTimestampAnnotations(t *testing.T) {
	in := mustInst(t, NewCrashFS(), func(c *config.Config) { c.AOFTimestampEnabled = true })
	c := in.client()
	c.do("SET", "a", "1")
	c.do("SET", "a", "2")
	got := in.incrBytes()
	if !bytes.HasPrefix(got, []byte("#TS:")) || bytes.Count(got, []byte("#TS:")) > 2 {
		t.Fatalf("incr: %q", got)
	}
	in2 := restart(t, in)
	if in2.dump()["0/a"] != "string:2" {
		t.Fatalf("after restart: %v", in2.dump())
	}
}

// restart shuts in down cleanly (SHUTDOWN's AOF part) and starts a new
// instance on the same files.
func restart(t *testing.T, in *inst) *inst {
	t.Helper()
	in.locked(func() { in.a.beforeShutdown() })
	in.srv.Close()
	in.fs.SyncAll() // the machine stays up: everything written is there
	return mustInst(t, in.fs, func(c *config.Config) {
		c.AppendFsync = in.cfg.AppendFsync
		c.AOFUseRDBPreamble = in.cfg.AOFUseRDBPreamble
	})
}

// crash simulates power loss at this instant: the server is frozen (lock
// held for good), then only durable bytes survive.
func crash(t *testing.T, in *inst) time.Time {
	in.srv.Lock() // never released: the process is gone
	in.dead.Store(true)
	at := time.Now()
	in.fs.Crash()
	return at
}

func TestRestartLoadsEverything(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		t.Run(fmt.Sprintf("preamble=%v", preamble), func(t *testing.T) {
			in := mustInst(t, NewCrashFS(), func(c *config.Config) { c.AOFUseRDBPreamble = preamble })
			c := in.client()
			c.do("SET", "s", "v")
			c.do("SET", "ttl", "v", "PX", "100000")
			c.do("RPUSH", "l", "a", "b")
			c.do("SADD", "set", "x", "y")
			c.do("HSET", "h", "f", "v")
			c.do("ZADD", "z", "1.5", "m", "-inf", "n")
			c.do("SELECT", "7")
			c.do("INCRBYFLOAT", "f", "1.5")
			c.do("BGREWRITEAOF")
			in.waitRewrite()
			c.do("APPEND", "s", "w")
			want := in.dump()
			got := restart(t, in).dump()
			if d := diffDumps(want, got); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestINFOPersistenceAOFFields(t *testing.T) {
	in := mustInst(t, NewCrashFS(), nil)
	in.client().do("SET", "a", "1")
	info := in.info()
	for _, k := range []string{"aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec",
		"aof_current_rewrite_time_sec", "aof_last_bgrewrite_status", "aof_rewrites", "aof_rewrites_consecutive_failures",
		"aof_last_write_status", "aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size",
		"aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length", "aof_pending_bio_fsync", "aof_delayed_fsync"} {
		if _, ok := info[k]; !ok {
			t.Errorf("INFO lacks %s", k)
		}
	}
	if info["aof_enabled"] != "1" || info["aof_base_size"] != "89" || info["aof_current_size"] != fmt.Sprint(89+len(in.incrBytes())) {
		t.Fatalf("info %v", info)
	}
	off := mustInst(t, NewCrashFS(), func(c *config.Config) { c.AppendOnly = false }).info()
	if off["aof_enabled"] != "0" || off["aof_current_size"] != "" {
		t.Fatalf("appendonly no: %v", off)
	}
}

// TestReplicationStateSurvivesARestart: the base carries repl-* AUX fields
// and the incr files marks; a clean restart restores them exactly, and a
// command after the last mark makes them unknown.
func TestReplicationStateSurvivesARestart(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		t.Run(fmt.Sprintf("preamble=%v", preamble), func(t *testing.T) {
			fsys := NewCrashFS()
			mod := func(c *config.Config) { c.AOFUseRDBPreamble = preamble }
			in := mustInst(t, fsys, mod)
			var off atomic.Int64
			off.Store(100)
			replID := strings.Repeat("ab", 20)
			fakeRepl := func(p *persist.Manager) {
				p.SetReplication(fakeAux(func() []persist.Aux {
					return []persist.Aux{{Key: "repl-stream-db", Value: "3"}, {Key: "repl-id", Value: replID}, {Key: "repl-offset", Value: fmt.Sprint(off.Load())}}
				}))
			}
			fakeRepl(in.pm)
			c := in.client()
			c.do("SET", "a", "1")
			off.Store(131)
			c.do("BGREWRITEAOF")
			in.waitRewrite()
			c.do("SET", "b", "2")
			off.Store(160)
			in.locked(func() { in.a.Cron() })
			c.do("SET", "c", "3")
			off.Store(190)

			in.locked(func() { in.a.beforeShutdown() })
			in.srv.Close()
			in2 := mustInst(t, fsys, mod)
			res := in2.loaded.Aux
			if res["repl-id"] != replID || res["repl-offset"] != "190" || res["repl-stream-db"] != "3" {
				t.Fatalf("restored %v", res)
			}

			// A write after the last mark, then a crash before the next
			// mark: unknown.
			fakeRepl(in2.pm)
			in2.client().do("SET", "d", "4")
			fsys.SyncAll()
			crash(t, in2)
			in3 := mustInst(t, fsys, mod)
			if res := in3.loaded.Aux; len(res) != 0 {
				t.Fatalf("restored %v although a command follows the last mark", res)
			}
		})
	}
}

// fakeAux is a persist.Replication that only gives AUX fields.
type fakeAux func() []persist.Aux

func (f fakeAux) RDBAux() []persist.Aux                       { return f() }
func (f fakeAux) BgsaveInstant() func(*os.File, int64, error) { return nil }
