package test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// heapAndRSS reads go_heap_alloc (the Go heap, garbage not yet collected
// included; used_memory is maxmemory's dataset account) and the
// process's RSS, in bytes.
func heapAndRSS(t *testing.T, ctx context.Context, c *redis.Client, pid int) (used, rss int64) {
	t.Helper()
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	used, _ = strconv.ParseInt(infoFields(info)["go_heap_alloc"], 10, 64)
	return used, procRSS(t, pid)
}

// procRSS reads VmRSS from /proc, in bytes, without talking to the server.
func procRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// fillAndFlush writes 20,000 values of 2 KB (40 MB) and drops them: the
// heap is then mostly garbage that nothing allocating will collect.
func fillAndFlush(t *testing.T, ctx context.Context, c *redis.Client) {
	t.Helper()
	val := strings.Repeat("x", 2048)
	for i := 0; i < 20; i++ {
		p := c.Pipeline()
		for j := 0; j < 1000; j++ {
			p.Set(ctx, fmt.Sprintf("k:%d:%d", i, j), val, 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

// A quiet server gives back the memory a burst left behind, as Redis's
// allocator does on its background thread (jemalloc-bg-thread yes, the
// default); with the setting off it keeps it until MEMORY PURGE.
func TestIdleServerReturnsFreedMemory(t *testing.T) {
	t.Parallel()
	for _, bg := range []string{"yes", "no"} {
		t.Run("jemalloc-bg-thread "+bg, func(t *testing.T) {
			t.Parallel()
			srv := startTandem(t, "--jemalloc-bg-thread", bg)
			c := newClient(t, srv.Addr(), 2)
			ctx := ctxFor(t, 60*time.Second)
			pid := srv.Cmd.Process.Pid
			fillAndFlush(t, ctx, c)
			used0, rss0 := heapAndRSS(t, ctx, c, pid)
			if used0 < 30<<20 {
				t.Fatalf("used_memory after the burst = %d, want the garbage of 40 MB counted", used0)
			}
			// quiet waits up to d without sending a command (INFO is one,
			// and a server answering commands is not quiet), or until
			// the RSS has fallen by 20 MB; then it reads both figures.
			quiet := func(d time.Duration) (used, rss int64) {
				deadline := time.Now().Add(d)
				for time.Now().Before(deadline) && procRSS(t, pid) > rss0-20<<20 {
					time.Sleep(100 * time.Millisecond)
				}
				return heapAndRSS(t, ctx, c, pid)
			}
			used1, rss1 := quiet(4 * time.Second)
			if bg == "yes" {
				if used1 > 10<<20 || rss1 > rss0-20<<20 {
					t.Fatalf("quiet for 4 s after dropping 40 MB: used_memory %d → %d, RSS %d → %d; want both down by 20 MB", used0, used1, rss0, rss1)
				}
				return
			}
			if used1 < 30<<20 {
				t.Fatalf("jemalloc-bg-thread no: used_memory fell from %d to %d while quiet", used0, used1)
			}
			if err := c.Do(ctx, "MEMORY", "PURGE").Err(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				used2, rss2 := heapAndRSS(t, ctx, c, pid)
				if used2 < 10<<20 && rss2 < rss0-20<<20 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("MEMORY PURGE: used_memory %d → %d, RSS %d → %d after 5 s", used0, used2, rss0, rss2)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
