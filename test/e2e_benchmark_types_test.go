package test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRedisBenchmarkListsHashesSetsZSetsRunClean runs redis-benchmark's
// default tests for lists, hashes, sets and sorted sets (it stops at the
// first error reply) against Tandem, plain, pipelined and in RESP3.
func TestRedisBenchmarkListsHashesSetsZSetsRunClean(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("redis-benchmark not installed")
	}
	srv := startTandem(t)
	tests := "lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange,mset"
	for _, args := range [][]string{
		{"-t", tests, "-q", "-n", "2000"},
		{"-t", tests, "-q", "-n", "2000", "-P", "16", "-c", "4"},
		{"-t", "lpush,lpop,hset,sadd,spop,zadd,zpopmin,lrange_100", "-q", "-n", "1000", "-3", "-r", "50"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		cmd := exec.CommandContext(ctx, bin, append([]string{"-p", strconv.Itoa(srv.Port)}, args...)...)
		out, err := cmd.CombinedOutput()
		cancel()
		text := string(out)
		if err != nil || strings.Contains(text, "Error") || strings.Contains(text, "ERR") {
			t.Fatalf("redis-benchmark %v: %v\n%s", args, err, text)
		}
		for _, name := range []string{"LPUSH", "ZPOPMIN", "LRANGE_100"} {
			if !strings.Contains(text, name) {
				t.Fatalf("redis-benchmark %v printed no %s result:\n%s", args, name, text)
			}
		}
	}
	info := dialRaw(t, srv.Addr()).do("INFO", "commandstats")
	for _, c := range []string{"lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop", "zadd", "zpopmin", "lrange", "mset"} {
		if !strings.Contains(info, "cmdstat_"+c+":") {
			t.Errorf("INFO commandstats lacks %s", c)
		}
	}
}
