package test

import (
	"regexp"
	"strings"
	"testing"
)

// TestBlockingXReadServesLikeRedis plays blocking XREAD scenarios on
// Tandem and Redis 7.0 and compares the transcripts: "$" resolved when the
// client blocks, only the key that became ready served, wake-ups from
// MULTI/EXEC and from scripts, keys deleted or turned into another type
// while clients wait, timeouts, RESP3's map shape.
func TestBlockingXReadServesLikeRedis(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "dollar", conns: 2, steps: []mstep{
			call(0, "XADD s 1-1 a 1"),
			block(1, "XREAD BLOCK 0 STREAMS s $", 1), call(0, "XADD s 2-1 b 2"), reply(1),
			block(1, "XREAD BLOCK 0 STREAMS missing $", 1), call(0, "XADD missing 5-5 c 3"), reply(1),
		}, want: []string{`c1 <- "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n`}},
		{name: "two_keys_second_ready", conns: 2, steps: []mstep{
			call(0, "XADD a 1-1 f 1"), call(0, "XADD b 1-1 f 1"),
			block(1, "XREAD COUNT 10 BLOCK 0 STREAMS a b $ $", 1), call(0, "XADD b 2-2 g 2"), reply(1),
			block(1, "XREAD BLOCK 0 STREAMS a b $ $", 1), call(0, "MULTI"), call(0, "XADD b 3-3 h 3"),
			call(0, "XADD a 3-3 h 3"), call(0, "EXEC"), reply(1),
		}},
		{name: "id_already_served", conns: 2, steps: []mstep{
			call(0, "XADD s 1-1 a 1"), call(0, "XADD s 2-1 a 2"),
			call(1, "XREAD BLOCK 0 STREAMS s 1-1"),
			block(1, "XREAD BLOCK 0 STREAMS s 2-1", 1), call(0, "XDEL s 2-1"), waitFor(1), call(0, "XADD s 3-1 a 3"), reply(1),
		}},
		{name: "count_when_woken", conns: 2, steps: []mstep{
			block(1, "XREAD COUNT 2 BLOCK 0 STREAMS s 0", 1), call(0, "MULTI"), call(0, "XADD s 1-1 a 1"),
			call(0, "XADD s 1-2 a 2"), call(0, "XADD s 1-3 a 3"), call(0, "EXEC"), reply(1),
		}},
		{name: "script_wakes", conns: 2, steps: []mstep{
			block(1, "XREAD BLOCK 0 STREAMS s $", 1), call(0, "EVAL \"return redis.call('XADD', KEYS[1], '7-7', 'k', 'v')\" 1 s"), reply(1),
			call(0, "EVAL \"return redis.call('XREAD', 'BLOCK', 0, 'STREAMS', KEYS[1], '$')\" 1 s"),
			call(0, "EVAL \"return redis.call('XREAD', 'STREAMS', KEYS[1], '0')\" 1 s"),
		}},
		{name: "deleted_and_other_type", conns: 2, steps: []mstep{
			call(0, "XADD s 1-1 a 1"),
			block(1, "XREAD BLOCK 0 STREAMS s $", 1), call(0, "DEL s"), waitFor(1), call(0, "RPUSH s x"), waitFor(1),
			call(0, "DEL s"), call(0, "XADD s 1-0 z 1"), waitFor(1), call(0, "XADD s 2-0 z 2"), reply(1),
		}},
		{name: "multi_does_not_block", conns: 1, steps: []mstep{
			call(0, "MULTI"), call(0, "XREAD BLOCK 0 STREAMS s $"), call(0, "XREAD BLOCK 0 STREAMS s 0"), call(0, "EXEC"),
		}},
		{name: "timeout", conns: 1, steps: []mstep{
			call(0, "XREAD BLOCK 50 STREAMS s $"), call(0, "HELLO 3"), call(0, "XREAD BLOCK 50 STREAMS s $"),
		}},
		{name: "resp3", conns: 2, steps: []mstep{
			call(1, "HELLO 3"), call(0, "XADD s 1-1 a 1"), call(1, "XREAD STREAMS s 0"),
			block(1, "XREAD BLOCK 0 STREAMS s $", 1), call(0, "XADD s 2-1 b 2"), reply(1),
		}},
		{name: "xsetid_then_xadd", conns: 2, steps: []mstep{
			call(0, "XADD s 1-1 a 1"),
			block(1, "XREAD BLOCK 0 STREAMS s $", 1), call(0, "XADD s 2-1 b 2"), reply(1),
			// XSETID past the ID it waits after does not wake it (Redis
			// 7.0 does not signal the key): the next XADD's entry does.
			block(1, "XREAD BLOCK 0 STREAMS s $", 1), call(0, "XSETID s 5-0"), waitFor(1),
			call(0, "XSETID s 6-0 ENTRIESADDED 9 MAXDELETEDID 5-5"), waitFor(1), call(0, "XADD s 7-0 c 3"), reply(1),
			// After XSETID, other stream writes do not wake it either; a
			// group's destruction does, and it is answered with no entry.
			block(1, "XREAD BLOCK 0 STREAMS s 7-0", 1), call(0, "XSETID s 8-0"), waitFor(1), call(0, "XDEL s 7-0"), waitFor(1),
			call(0, "XGROUP CREATE s g 0"), waitFor(1), call(0, "XTRIM s MAXLEN 0"), waitFor(1), call(0, "XGROUP DESTROY s g"), reply(1),
		}},
	})
}

// TestStreamWritesPropagateLikeRedis compares the replication stream of
// stream writes with Redis 7.0's: XADD with "*" or "ms-*" carries the ID
// it got, an approximate trim is replicated as the exact trim it did
// ("=" and the length or first ID left), no-ops are not replicated.
func TestStreamWritesPropagateLikeRedis(t *testing.T) {
	t.Parallel()
	var steps []mstep
	for i := 0; i < 230; i++ {
		steps = append(steps, call(0, "XADD big MAXLEN ~ 150 * f v"))
	}
	steps = append(steps,
		call(0, "XADD s 5-* a 1"), call(0, "XADD s 5-* a 2"), call(0, "XADD s 6-1 a 3"),
		call(0, "XADD s MINID ~ 6 7-1 a 4"), call(0, "XADD s MAXLEN = 3 8-1 a 5"), call(0, "XADD s MAXLEN 3 9-1 a 6"),
		call(0, "XADD s NOMKSTREAM 10-1 a 7"), call(0, "XADD nokey NOMKSTREAM 1-1 a 1"),
		call(0, "XTRIM big MAXLEN ~ 50"), call(0, "XTRIM big MINID ~ 0"), call(0, "XTRIM s MAXLEN 2"), call(0, "XTRIM s MAXLEN 2"),
		call(0, "XDEL s 9-1 404-0"), call(0, "XDEL s 404-0"), call(0, "XSETID s 50-0 ENTRIESADDED 100 MAXDELETEDID 9-1"),
		call(0, "XADD s 0-1 a 1"), call(0, "XREAD STREAMS s 0"), call(0, "XADD s * a 8"),
		call(0, "EVAL \"redis.call('XADD', KEYS[1], '*', 'a', 9); return redis.call('XADD', KEYS[1], 'MAXLEN', '~', '0', '*', 'a', 10)\" 1 s"),
		call(0, "SET end 1"),
	)
	idRe := regexp.MustCompile(`\b\d{13}-\d+\b`)
	norm := func(ops []string) []string {
		for i, op := range ops {
			ops[i] = idRe.ReplaceAllString(op, "<id>")
		}
		return ops
	}
	tandem := startTandem(t, "--repl-diskless-sync", "no")
	got := norm(propagated(t, tandem.Addr(), steps))
	text := strings.Join(got, "\n")
	for _, w := range []string{"XADD s 5-0 a 1", "XADD s 5-1 a 2", "XADD s MINID = 5-0 7-1 a 4", "XADD big MAXLEN = 200 <id> f v",
		"XTRIM big MAXLEN = 130", "XADD s <id> a 8"} {
		if !strings.Contains(text, w) {
			t.Errorf("%q not propagated; stream:\n%s", w, text)
		}
	}
	ref := startRedis(t, "--repl-diskless-sync", "no")
	want := norm(propagated(t, ref.Addr(), steps))
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("replication stream differs from Redis 7.0:\ntandem:\n%s\nredis:\n%s", g, w)
	}
}

// TestBlockingXReadGroupServesLikeRedis: blocked XREADGROUP clients are
// served new entries in arrival order, fail with NOGROUP when the group is
// destroyed and with UNBLOCKED when the key is deleted or replaced, and
// NOACK reads leave nothing pending.
func TestBlockingXReadGroupServesLikeRedis(t *testing.T) {
	t.Parallel()
	runScenarios(t, []scenario{
		{name: "two_consumers", conns: 3, steps: []mstep{
			call(0, "XGROUP CREATE s g $ MKSTREAM"),
			block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 1),
			block(2, "XREADGROUP GROUP g bob COUNT 5 BLOCK 0 STREAMS s >", 2),
			call(0, "XADD s 1-1 a 1"), reply(1), waitFor(1), call(0, "MULTI"), call(0, "XADD s 2-1 b 2"), call(0, "XADD s 3-1 c 3"),
			call(0, "EXEC"), reply(2), call(0, "XPENDING s g"),
		}},
		{name: "group_destroyed", conns: 2, steps: []mstep{
			call(0, "XGROUP CREATE s g $ MKSTREAM"),
			block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 1), call(0, "XGROUP DESTROY s g"), reply(1),
		}},
		{name: "key_deleted", conns: 2, steps: []mstep{
			call(0, "XGROUP CREATE s g $ MKSTREAM"),
			block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 1), call(0, "DEL s"), reply(1),
			call(0, "XGROUP CREATE s g $ MKSTREAM"),
			block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 1), call(0, "SET s x"), reply(1),
		}},
		{name: "noack", conns: 2, steps: []mstep{
			call(0, "XGROUP CREATE s g $ MKSTREAM"),
			block(1, "XREADGROUP GROUP g alice NOACK BLOCK 0 STREAMS s >", 1), call(0, "XADD s 1-1 a 1"), reply(1),
			call(0, "XPENDING s g"), call(0, "XINFO GROUPS s"),
		}},
		{name: "setids_keep_waiting", conns: 2, steps: []mstep{
			// Neither XGROUP SETID (even back to 0, with entries to
			// deliver) nor XSETID wakes a blocked XREADGROUP in Redis 7.0;
			// the next real change serves it from the group's ID then.
			call(0, "XADD s 1-1 a 1"), call(0, "XADD s 2-1 b 2"), call(0, "XGROUP CREATE s g $"),
			block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 1), call(0, "XGROUP SETID s g 0"), waitFor(1),
			call(0, "XSETID s 5-0"), waitFor(1), call(0, "XADD s 6-0 c 3"), reply(1), call(0, "XPENDING s g"),
		}},
		{name: "other_writes_keep_waiting", conns: 2, steps: []mstep{
			call(0, "XGROUP CREATE s g $ MKSTREAM"), call(0, "XGROUP CREATE s g2 $"),
			block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 1), call(0, "XGROUP DESTROY s g2"), waitFor(1),
			call(0, "XGROUP CREATECONSUMER s g zed"), waitFor(1), call(0, "XADD s 5-5 f v"), reply(1),
		}},
		{name: "flush_and_swapdb", conns: 3, steps: []mstep{
			call(0, "XGROUP CREATE s g $ MKSTREAM"),
			block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 1), block(2, "XREAD BLOCK 0 STREAMS s $", 2),
			call(0, "FLUSHALL"), reply(1), waitFor(1), call(0, "XADD s 1-1 a 1"), reply(2),
			call(0, "SELECT 4"), call(0, "RPUSH s x"), call(0, "RPUSH l y"), call(0, "SELECT 0"), call(0, "XGROUP CREATE s g $"),
			block(1, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 1), block(2, "BLPOP l 0", 2),
			call(0, "SWAPDB 0 4"), reply(1), reply(2),
		}},
		{name: "timeout_and_multi", conns: 1, steps: []mstep{
			call(0, "XGROUP CREATE s g $ MKSTREAM"), call(0, "XREADGROUP GROUP g alice BLOCK 30 STREAMS s >"),
			call(0, "MULTI"), call(0, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >"), call(0, "EXEC"),
		}},
	})
}

// TestStreamGroupWritesPropagateLikeRedis compares what consumer-group
// commands put in the replication stream with Redis 7.0's: XREADGROUP as
// XCLAIM … LASTID per delivery, NOACK as XGROUP SETID (and CREATECONSUMER),
// XCLAIM/XAUTOCLAIM as XCLAIM JUSTID forms, XACK and XGROUP verbatim. The
// delivery times differ between servers and are masked.
func TestStreamGroupWritesPropagateLikeRedis(t *testing.T) {
	t.Parallel()
	steps := []mstep{
		call(0, "XADD s 1-1 a 1"), call(0, "XADD s 2-1 b 2"), call(0, "XADD s 3-1 c 3"), call(0, "XGROUP CREATE s g 0"),
		call(0, "XGROUP CREATE s g2 $ ENTRIESREAD 3"),
		call(0, "XREADGROUP GROUP g alice COUNT 2 STREAMS s >"), call(0, "XREADGROUP GROUP g alice STREAMS s 0"),
		call(0, "XREADGROUP GROUP g bob NOACK STREAMS s >"), call(0, "XREADGROUP GROUP g bob NOACK STREAMS s >"),
		call(0, "XACK s g 1-1 7-7"), call(0, "XACK s g 7-7"), call(0, "XCLAIM s g carol 0 2-1"), call(0, "XCLAIM s g carol 0 2-1 JUSTID LASTID 50-0"),
		call(0, "XCLAIM s g carol 0 9-9 LASTID 60-0"), call(0, "XCLAIM s g carol 0 3 JUSTID"), call(0, "XGROUP SETID s g 0"), call(0, "XREADGROUP GROUP g dave COUNT 1 STREAMS s >"),
		call(0, "XDEL s 1-1"), call(0, "XAUTOCLAIM s g erin 0 0"), call(0, "XGROUP CREATECONSUMER s g frank"), call(0, "XGROUP DELCONSUMER s g frank"),
		call(0, "XGROUP DELCONSUMER s g nobody"), call(0, "XGROUP DESTROY s g2"), call(0, "XREADGROUP GROUP g erin STREAMS s >"),
		block(1, "XREADGROUP GROUP g gina BLOCK 0 STREAMS s >", 1), call(0, "XADD s 4-1 d 4"), reply(1),
		call(0, "SET end 1"),
	}
	timeRe := regexp.MustCompile(` TIME \d+ `)
	norm := func(ops []string) []string {
		for i, op := range ops {
			ops[i] = timeRe.ReplaceAllString(op, " TIME <t> ")
		}
		return ops
	}
	tandem := startTandem(t, "--repl-diskless-sync", "no")
	got := norm(propagated(t, tandem.Addr(), steps))
	text := strings.Join(got, "\n")
	for _, w := range []string{"XCLAIM s g alice 0 1-1 TIME <t> RETRYCOUNT 1 FORCE JUSTID LASTID 1-1", "XGROUP SETID s g 3-1 ENTRIESREAD 3",
		"XGROUP CREATECONSUMER s g bob"} {
		if !strings.Contains(text, w) {
			t.Errorf("%q not propagated; stream:\n%s", w, text)
		}
	}
	ref := startRedis(t, "--repl-diskless-sync", "no")
	want := norm(propagated(t, ref.Addr(), steps))
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("replication stream differs from Redis 7.0:\ntandem:\n%s\nredis:\n%s", g, w)
	}
}
