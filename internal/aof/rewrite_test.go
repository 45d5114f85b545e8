package aof

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
)

func TestBGREWRITEAOFReplies(t *testing.T) {
	in := mustInst(t, NewCrashFS(), nil)
	c := in.client()
	// Hold the snapshot: a BGSAVE-like snapshot is running.
	var snapDone func()
	in.locked(func() {
		s := in.srv.Keyspace().Snapshot(nopSink{})
		snapDone = func() { in.locked(func() { s.Abort() }) }
	})
	if r := c.do("BGREWRITEAOF"); r != "+Background append only file rewriting scheduled\r\n" {
		t.Fatalf("while a snapshot runs: %q", r)
	}
	if in.info()["aof_rewrite_scheduled"] != "1" {
		t.Fatal("aof_rewrite_scheduled should be 1")
	}
	snapDone()
	in.waitRewrite()
	if in.info()["aof_rewrites"] != "1" || in.info()["aof_last_bgrewrite_status"] != "ok" {
		t.Fatalf("info %v", in.info())
	}
	// In progress: make the rewrite slow to finish by holding the lock
	// across the start and the second request.
	var r1, r2 string
	in.locked(func() {
		c.sess.W.Reset()
		in.srv.Engine().Call(&c.sess, [][]byte{[]byte("BGREWRITEAOF")})
		r1 = string(c.sess.W.Buf)
		c.sess.W.Reset()
		in.srv.Engine().Call(&c.sess, [][]byte{[]byte("BGREWRITEAOF")})
		r2 = string(c.sess.W.Buf)
	})
	if r1 != "+Background append only file rewriting started\r\n" || r2 != "-ERR Background append only file rewriting already in progress\r\n" {
		t.Fatalf("replies %q %q", r1, r2)
	}
	in.waitRewrite()
}

type nopSink struct{}

func (nopSink) Key(int, *keyspace.Entry, int64) {}

func TestAutomaticRewriteOnGrowth(t *testing.T) {
	in := mustInst(t, NewCrashFS(), func(c *config.Config) {
		c.AutoAOFRewriteMinSize = 4096
		c.AutoAOFRewritePercentage = 100
	})
	c := in.client()
	for i := 0; i < 200; i++ {
		c.do("SET", "k", strings.Repeat("x", 100))
	}
	deadline := time.Now().Add(10 * time.Second)
	for in.info()["aof_rewrites"] == "0" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	in.waitRewrite()
	if in.info()["aof_rewrites"] == "0" || !strings.Contains(in.logs.String(), "Starting automatic rewriting of AOF on") {
		t.Fatalf("no automatic rewrite; info %v", in.info())
	}
	if d := restart(t, in).dump(); d["0/k"] != "string:"+strings.Repeat("x", 100) {
		t.Fatalf("after restart %v", d)
	}
}

// TestRewriteUnderWriteLoadMatchesTheLiveDataset: writers keep changing
// every type while rewrites run; the files then load into exactly the
// live dataset.
func TestRewriteUnderWriteLoadMatchesTheLiveDataset(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		t.Run(fmt.Sprintf("preamble=%v", preamble), func(t *testing.T) {
			fsys := NewCrashFS()
			in := mustInst(t, fsys, func(c *config.Config) { c.AOFUseRDBPreamble = preamble })
			seed := in.client()
			for i := 0; i < 2000; i++ {
				seed.do("SET", fmt.Sprintf("s:%d", i), fmt.Sprint(i))
				if i%10 == 0 {
					seed.do("RPUSH", fmt.Sprintf("l:%d", i%50), fmt.Sprint(i))
					seed.do("HSET", fmt.Sprintf("h:%d", i%50), fmt.Sprint(i), "v")
				}
			}
			var stop atomic.Bool
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					c := in.client()
					c.do("SELECT", fmt.Sprint(w%3))
					for i := 0; !stop.Load(); i++ {
						k := fmt.Sprintf("s:%d", (i*7+w)%2500)
						switch i % 6 {
						case 0:
							c.do("INCR", k)
						case 1:
							c.do("DEL", k)
						case 2:
							c.do("SET", k, "x", "PX", "100000")
						case 3:
							c.do("RPUSH", fmt.Sprintf("l:%d", i%60), fmt.Sprint(i))
						case 4:
							c.do("SADD", fmt.Sprintf("set:%d", i%60), fmt.Sprint(i%100))
						case 5:
							c.do("APPEND", k, "y")
						}
					}
				}(w)
			}
			c := in.client()
			for r := 0; r < 3; r++ {
				if rep := c.do("BGREWRITEAOF"); !strings.HasPrefix(rep, "+") {
					t.Fatal(rep)
				}
				in.waitRewrite()
			}
			stop.Store(true)
			wg.Wait()
			if in.info()["aof_last_bgrewrite_status"] != "ok" {
				t.Fatalf("rewrite failed:\n%s", in.logs)
			}
			want := in.dump()
			in.locked(func() { in.a.beforeShutdown() })
			in.srv.Close()
			fsys.Crash() // everything the shutdown fsynced is there
			got := mustInst(t, fsys, func(c *config.Config) { c.AOFUseRDBPreamble = preamble }).dump()
			if d := diffDumps(want, got); d != "" {
				t.Fatalf("%d keys live, %d loaded:\n%s", len(want), len(got), d)
			}
		})
	}
}

// TestCrashDuringRewriteKeepsAConsistentAOF crashes while the base is
// being streamed, and again right after the new manifest: either way the
// files load into a dataset holding every acknowledged write.
func TestCrashDuringRewriteKeepsAConsistentAOF(t *testing.T) {
	for _, stage := range []string{"streamed", "installed"} {
		t.Run(stage, func(t *testing.T) {
			fsys := NewCrashFS()
			in := mustInst(t, fsys, func(c *config.Config) { c.AppendFsync = config.FsyncAlways })
			c := in.client()
			for i := 0; i < 300; i++ {
				c.do("SET", fmt.Sprintf("k:%d", i), fmt.Sprint(i))
			}
			reached := make(chan struct{})
			hold := make(chan struct{})
			in.a.rewriteHook = func(s string) {
				if s == stage {
					close(reached)
					<-hold
				}
			}
			c.do("BGREWRITEAOF")
			<-reached
			for i := 0; i < 300; i += 3 {
				c.do("INCR", fmt.Sprintf("k:%d", i))
			}
			c.do("SET", "after", "1")
			want := in.dump()
			crash(t, in)
			close(hold)
			got := mustInst(t, fsys, nil).dump()
			if d := diffDumps(want, got); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestConfigSetAppendonlyYesRewritesFirst(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, func(c *config.Config) { c.AppendOnly = false })
	c := in.client()
	c.do("SET", "before", "1")
	c.do("RPUSH", "l", "a", "b")
	if names, _ := fsys.List(aofDir()); len(names) != 0 {
		t.Fatalf("files with appendonly no: %v", names)
	}
	// The in-process server has no config store: set it as CONFIG SET does.
	var err error
	in.locked(func() { err = in.cfg.Set([][2]string{{"appendonly", "yes"}}) })
	if err != nil {
		t.Fatal(err)
	}
	c.do("SET", "during", "1")
	in.waitRewrite()
	c.do("SET", "after", "1")
	m, _ := fsys.ReadFile(aofDir() + "/appendonly.aof.manifest")
	if string(m) != "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n" {
		t.Fatalf("manifest:\n%s", m)
	}
	want := in.dump()
	if d := diffDumps(want, restart(t, in).dump()); d != "" {
		t.Fatal(d)
	}
	// and off again: the files stay, writes are no longer recorded
	in3 := mustInst(t, fsys, nil)
	in3.locked(func() { err = in3.cfg.Set([][2]string{{"appendonly", "no"}}) })
	if err != nil || in3.info()["aof_enabled"] != "0" {
		t.Fatalf("appendonly no: %v %v", err, in3.info())
	}
}

func TestHistoryFilesAreRemovedAfterTheSwitch(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	c := in.client()
	c.do("SET", "a", "1")
	c.do("BGREWRITEAOF")
	in.waitRewrite()
	deadline := time.Now().Add(5 * time.Second)
	for {
		names, _ := fsys.List(aofDir())
		if strings.Join(names, ",") == "appendonly.aof.2.base.rdb,appendonly.aof.2.incr.aof,appendonly.aof.manifest" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("files %v", names)
		}
		time.Sleep(5 * time.Millisecond)
	}
	m, _ := fsys.ReadFile(aofDir() + "/appendonly.aof.manifest")
	if string(m) != "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n" {
		t.Fatalf("manifest:\n%s", m)
	}
}

func TestAutoGCDisabledKeepsHistory(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, func(c *config.Config) { c.AOFDisableAutoGC = true })
	in.client().do("BGREWRITEAOF")
	in.waitRewrite()
	m, _ := fsys.ReadFile(aofDir() + "/appendonly.aof.manifest")
	want := "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
	if string(m) != want {
		t.Fatalf("manifest:\n%s\nwant:\n%s", m, want)
	}
	// the history files are still listed and loading ignores them
	if d := restart(t, in).dump(); len(d) != 0 {
		t.Fatalf("data %v", d)
	}
}
