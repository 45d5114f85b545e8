package aof

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/config"
)

// TestAlwaysKeepsEveryAcknowledgedWriteThroughACrash: writers run
// INCR on their own keys under appendfsync always; the machine crashes in
// the middle; after restart every acknowledged value is there.
func TestAlwaysKeepsEveryAcknowledgedWriteThroughACrash(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, func(c *config.Config) { c.AppendFsync = config.FsyncAlways })
	const writers = 8
	acked := make([]atomic.Int64, writers)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := in.client()
			key := fmt.Sprintf("counter:%d", w)
			for !stop.Load() {
				r := c.do("INCR", key)
				if stop.Load() {
					return
				}
				var n int64
				fmt.Sscanf(r, ":%d", &n)
				acked[w].Store(n)
			}
		}(w)
	}
	time.Sleep(300 * time.Millisecond)
	crash(t, in)
	stop.Store(true)
	// acks recorded before the crash are final now; writers blocked on the
	// lock never return.
	snapshot := make([]int64, writers)
	for w := range acked {
		snapshot[w] = acked[w].Load()
	}
	in2 := mustInst(t, fsys, func(c *config.Config) { c.AppendFsync = config.FsyncAlways })
	got := in2.dump()
	total := int64(0)
	for w, n := range snapshot {
		total += n
		var v int64
		fmt.Sscanf(strings.TrimPrefix(got[fmt.Sprintf("0/counter:%d", w)], "string:"), "%d", &v)
		if v < n {
			t.Fatalf("counter %d: %d acknowledged, %d after the crash", w, n, v)
		}
	}
	if total == 0 {
		t.Fatal("no write was acknowledged")
	}
	t.Logf("%d acknowledged INCRs, %d fsyncs", total, fsys.Syncs)
}

// TestEverysecLosesAtMostAboutOneSecond: under everysec, after a crash the
// writes lost are only those acknowledged in the last second or two.
func TestEverysecLosesAtMostAboutOneSecond(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	type ack struct {
		n  int64
		at time.Time
	}
	var mu sync.Mutex
	var acks []ack
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := in.client()
		for !stop.Load() {
			r := c.do("INCR", "n")
			var n int64
			fmt.Sscanf(r, ":%d", &n)
			mu.Lock()
			acks = append(acks, ack{n, time.Now()})
			mu.Unlock()
			time.Sleep(200 * time.Microsecond)
		}
	}()
	time.Sleep(2500 * time.Millisecond)
	at := crash(t, in)
	stop.Store(true)
	mu.Lock()
	list := append([]ack(nil), acks...)
	mu.Unlock()
	in2 := mustInst(t, fsys, nil)
	var survived int64
	fmt.Sscanf(strings.TrimPrefix(in2.dump()["0/n"], "string:"), "%d", &survived)
	var lastKept time.Time
	var lost int
	for _, a := range list {
		if a.at.After(at) {
			continue
		}
		if a.n <= survived {
			lastKept = a.at
		} else {
			lost++
		}
	}
	if survived == 0 || lastKept.IsZero() {
		t.Fatalf("nothing survived (%d acks)", len(list))
	}
	if gap := at.Sub(lastKept); gap > 2*time.Second {
		t.Fatalf("lost %v of acknowledged writes (%d writes); everysec allows about one second", gap, lost)
	}
	t.Logf("%d acks, %d lost, last surviving ack %v before the crash", len(list), lost, at.Sub(lastKept))
}

func TestAppendfsyncNoNeverFsyncsWrites(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, func(c *config.Config) { c.AppendFsync = config.FsyncNo })
	before := fsys.Syncs
	c := in.client()
	for i := 0; i < 50; i++ {
		c.do("SET", "k", fmt.Sprint(i))
	}
	time.Sleep(1200 * time.Millisecond)
	if fsys.Syncs != before {
		t.Fatalf("%d fsyncs under appendfsync no", fsys.Syncs-before)
	}
}

// TestEverysecPostponesWritesWhileAnFsyncIsSlow is Redis's rule: while a
// background fsync runs, the write waits (replies still go out) for up to
// two seconds, then goes ahead and aof_delayed_fsync counts it.
func TestEverysecPostponesWritesWhileAnFsyncIsSlow(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	c := in.client()
	c.do("SET", "a", "1")
	release := make(chan struct{})
	var slow atomic.Bool
	slow.Store(true)
	// A slow fsync, outside the file system's lock: the fsync goroutine
	// holds syncMu while it sleeps, as a real fdatasync would block.
	in.locked(func() {
		in.a.syncMu.Lock()
		orig := in.a.syncFile
		in.a.syncFile = slowSync{File: orig, release: release, slow: &slow}
		in.a.syncMu.Unlock()
		in.a.lastFsync.Store(0)
		in.a.startBackgroundFsync()
	})
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	c.do("SET", "b", "2")
	if time.Since(start) > time.Second {
		t.Fatal("the reply waited for the slow fsync")
	}
	if in.info()["aof_buffer_length"] == "0" {
		t.Fatal("the write was not postponed while an fsync was running")
	}
	time.Sleep(2100 * time.Millisecond)
	c.do("SET", "c", "3")
	if !bytes.Contains(in.incrBytes(), cmd("SET", "b", "2")) || in.info()["aof_delayed_fsync"] != "1" {
		t.Fatalf("after two seconds the postponed write should go ahead: %v", in.info())
	}
	slow.Store(false)
	close(release)
}

type slowSync struct {
	File
	release chan struct{}
	slow    *atomic.Bool
}

func (s slowSync) Sync() error {
	if s.slow.Load() {
		<-s.release
	}
	return s.File.Sync()
}

func TestWriteErrorsRefuseWritesUntilSolved(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	c := in.client()
	c.do("SET", "a", "1")
	size := len(in.incrBytes())
	var fail atomic.Bool
	fail.Store(true)
	fsys.FailWrite = func(name string, p []byte) (int, error) {
		if fail.Load() && strings.Contains(name, "incr") {
			return 3, syscall.ENOSPC // a short write
		}
		return 0, nil
	}
	c.do("SET", "b", "2")
	if got := len(in.incrBytes()); got != size {
		t.Fatalf("the short write was not truncated away: %d bytes, had %d", got, size)
	}
	if r := c.do("SET", "c", "3"); !strings.HasPrefix(r, "-MISCONF Errors writing to the AOF file: No space left on device") {
		t.Fatalf("write during AOF errors: %q", r)
	}
	if r := c.do("GET", "a"); r != "$1\r\n1\r\n" {
		t.Fatalf("reads must still work: %q", r)
	}
	if in.info()["aof_last_write_status"] != "err" {
		t.Fatal("aof_last_write_status should be err")
	}
	fail.Store(false)
	in.locked(func() { in.a.Cron() })
	if r := c.do("SET", "c", "3"); r != "+OK\r\n" {
		t.Fatalf("after the error is solved: %q", r)
	}
	want := in.dump()
	if d := diffDumps(want, restart(t, in).dump()); d != "" {
		t.Fatal(d)
	}
}

func TestAlwaysExitsOnWriteError(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, func(c *config.Config) { c.AppendFsync = config.FsyncAlways })
	fsys.FailWrite = func(name string, p []byte) (int, error) { return 0, syscall.EIO }
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.client().do("SET", "a", "1")
	}()
	<-done
	if _, ok := in.exits.Load(1); !ok {
		t.Fatal("a write error under appendfsync always must end the process")
	}
}
