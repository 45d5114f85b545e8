package test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// TestDebugHTStatsMatchesRedis: DEBUG HTSTATS, HTSTATS-KEY, LISTPACK and
// QUICKLIST answer as Redis 7.0 does: the same errors, statuses and empty
// tables exactly, and for filled tables the same table sizes and element
// counts (the chain figures depend on each server's random hash seed).
func TestDebugHTStatsMatchesRedis(t *testing.T) {
	t.Parallel()
	big := "SADD bigset " + seqArgs(300, func(i int) string { return fmt.Sprintf("m%d", i) })
	runTypeDiff(t, []diffCase{{name: "exact", cmds: []string{
		"FLUSHALL", "DEBUG HTSTATS 0", "SET one 1", "DEBUG HTSTATS 0", "SET two 2", "DEL one two", "DEBUG HTSTATS 16", "DEBUG HTSTATS -1", "DEBUG HTSTATS x", "DEBUG HTSTATS",
		"DEBUG HTSTATS-KEY nokey", "SET str v", "DEBUG HTSTATS-KEY str", "HSET h f v", "DEBUG HTSTATS-KEY h",
		"SADD iset 1 2 3", "DEBUG HTSTATS-KEY iset", "ZADD z 1 a", "DEBUG HTSTATS-KEY z", "RPUSH l a b", "DEBUG HTSTATS-KEY l",
		"DEBUG LISTPACK nokey", "DEBUG LISTPACK h", "DEBUG LISTPACK z", "DEBUG LISTPACK l", "DEBUG LISTPACK str",
		"DEBUG QUICKLIST nokey", "DEBUG QUICKLIST l", "DEBUG QUICKLIST l 1", "DEBUG QUICKLIST h", "DEBUG QUICKLIST l 1 2",
		"DEBUG LISTPACK", big, "DEBUG LISTPACK bigset",
	}}})

	tandem, ref := startTandem(t), startRedis(t)
	// The size and count lines of every table in a reply, in order.
	sizes := regexp.MustCompile(`(?m)^(\[.*\]|Hash table \d.*|No stats.*| table size: \d+| number of elements: \d+)\r?$`)
	shape := func(addr string) []string {
		c := dialRaw(t, addr)
		c.do("FLUSHALL")
		c.do(strings.Fields(big)...)
		for i := 1; i <= 128; i++ {
			c.do("SET", fmt.Sprintf("{foo}%d", i), "a")
		}
		// Both finish rehashing the key table in their cron (the steps a
		// command does differ between them, so the tables are compared
		// once it is done).
		var stats string
		testutil.Eventually(t, 5*time.Second, "key table rehashed", func() bool {
			stats = c.do("DEBUG", "HTSTATS", "0")
			return !strings.Contains(stats, "rehashing target")
		})
		out := sizes.FindAllString(stats, -1)
		// One call each (Redis 7.0 converts a hash by its entry count only
		// one field at a time: a 200-field HSET stays a listpack there).
		for i := 0; i < 600; i++ {
			c.do("HSET", "bighash", fmt.Sprintf("f%d", i), "v")
			c.do("ZADD", "bigz", fmt.Sprint(i), fmt.Sprintf("m%d", i))
		}
		for _, k := range []string{"bighash", "bigz", "bigset"} {
			reply := c.do("DEBUG", "HTSTATS-KEY", k)
			if !strings.Contains(reply, "different slots:") || !strings.Contains(reply, "Chain length distribution:") {
				t.Errorf("%s: DEBUG HTSTATS-KEY %s = %q", addr, k, reply)
			}
			// A big set's table may still be rehashing in Redis (only
			// commands on it move it on): its tables' counts are summed.
			n := 0
			for _, l := range sizes.FindAllString(reply, -1) {
				if v, ok := strings.CutPrefix(l, " number of elements: "); ok {
					x, _ := strconv.Atoi(v)
					n += x
				}
			}
			out = append(out, fmt.Sprintf("%s: %d elements", k, n))
		}
		return out
	}
	got, want := shape(tandem.Addr()), shape(ref.Addr())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("DEBUG HTSTATS tables differ from Redis 7.0:\n tandem: %q\n redis:  %q", got, want)
	}
}
