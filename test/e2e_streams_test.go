package test

import (
	"fmt"
	"testing"
)

// Stream commands against Redis 7.0, reply for reply (RESP2 and RESP3).
func TestStreamRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, streamCases)
}

// Many entries cross node boundaries (100 entries or 4096 bytes per node),
// so ranges, deletions and trims run over several nodes.
func streamBig(then ...string) []string {
	var cmds []string
	for i := 0; i < 250; i++ {
		cmds = append(cmds, fmt.Sprintf("XADD big %d-%d f%d v%d n %d", 1+i/3, i%3, i%4, i, i*7-300))
	}
	return append(cmds, then...)
}

var streamCases = []diffCase{
	{name: "xadd_ids", cmds: []string{
		"XADD s 1-1 a 1", "XADD s 1-1 a 1", "XADD s 1-0 a 1", "XADD s 1-2 a 1 b 2", "XADD s 1 a 1",
		"XADD s 2 a 1", "XADD s 2-* a 2", "XADD s 2-* a 3", "XADD s 3-* a 4", "XADD s 0-0 a 1",
		"XADD s2 0-0 a 1", "EXISTS s2", "XADD s2 0-* a 1", "XADD s3 0-1 a 1", "XADD s abc a 1",
		"XADD s 1-x a 1", "XADD s -1 a 1", "XADD s + a 1", "XADD s - a 1", "XADD s 18446744073709551615-18446744073709551615 a 1",
		"XADD s * a 1", "XADD s 5-5 a", "XADD s 5-5", "XADD s", "XADD s 5-5 a 1 b",
		"XADD s 007-1 a 1", "XADD s 8-018446744073709551616 a 1", "XADD s 9-18446744073709551615 a 1", "XADD s 9-* a 1",
		"XLEN s", "XRANGE s - +", "XADD s2 18446744073709551615-18446744073709551615 x y", "XADD s2 * x y",
		"XADD s2 18446744073709551615-* x y",
	}},
	{name: "xadd_options", cmds: []string{
		"XADD s NOMKSTREAM 1-1 a 1", "EXISTS s", "XADD s 1-1 a 1", "XADD s nomkstream 1-2 a 2",
		"XADD s MAXLEN 2 3-1 a 3", "XADD s MAXLEN = 2 4-1 a 4", "XRANGE s - +",
		"XADD s MAXLEN ~ 1 5-1 a 5", "XLEN s", "XADD s MINID 5 6-1 a 6", "XRANGE s - +",
		"XADD s MINID = 6-1 7-1 a 7", "XADD s MAXLEN 1 MINID 1 8-1 a 1", "XADD s LIMIT 10 8-1 a 1",
		"XADD s MAXLEN 1 LIMIT 10 8-1 a 1", "XADD s MAXLEN ~ 1 LIMIT 10 8-1 a 1", "XADD s MAXLEN -1 9-1 a 1",
		"XADD s MAXLEN abc 9-1 a 1", "XADD s MAXLEN ~ 1 LIMIT -1 9-1 a 1", "XADD s MINID - 9-1 a 1",
		"XADD s MINID abc 9-1 a 1", "XADD s FOO 9-1 a 1", "XADD s MAXLEN", "XADD s MAXLEN 5",
		"XADD wrong MAXLEN ~ 10 1-1 a 1", "XINFO STREAM s", "SET str x", "XADD str 1-1 a 1", "XADD str NOMKSTREAM 1-1 a 1",
	}},
	{name: "xrange", cmds: []string{
		"XRANGE none - +", "XREVRANGE none + -",
		"XADD s 1-1 a 1", "XADD s 1-2 b 2 c 3", "XADD s 2-0 a x", "XADD s 3-5 a 12345678901 b -5",
		"XRANGE s - +", "XREVRANGE s + -", "XRANGE s 1 1", "XRANGE s (1-1 +", "XRANGE s - (3-5", "XRANGE s (1 +",
		"XREVRANGE s (3-5 (1-1", "XRANGE s - + COUNT 2", "XREVRANGE s + - COUNT 1", "XRANGE s - + COUNT 0",
		"XRANGE s - + COUNT -1", "XRANGE s - + COUNT x", "XRANGE s - + FOO", "XRANGE s - + COUNT", "XRANGE s 2 1",
		"XRANGE s ( +", "XRANGE s (- +", "XRANGE s - (+", "XRANGE s (18446744073709551615-18446744073709551615 +",
		"XRANGE s - (0-0", "XRANGE s x +", "XRANGE s 1-x +", "XRANGE s", "XRANGE s -", "SET str v", "XRANGE str - +",
		"XRANGE s 2-0 2-0", "XRANGE s 2 + COUNT 1 COUNT 5",
	}},
	{name: "xdel_xlen", cmds: []string{
		"XDEL none 1-1", "XLEN none", "XADD s 1-1 a 1", "XADD s 2-1 a 2", "XADD s 3-1 a 3",
		"XDEL s 2-1", "XDEL s 2-1", "XLEN s", "XDEL s 1-1 3-1 9-9", "XLEN s", "EXISTS s", "XINFO STREAM s",
		"XADD s 4-1 a 4", "XDEL s x", "XDEL s 4-1 x", "XLEN s", "XDEL s +", "XDEL s", "SET str v", "XDEL str 1-1", "XLEN str",
	}},
	{name: "xtrim", cmds: streamBig(
		"XTRIM none MAXLEN 1", "XLEN big", "XTRIM big MAXLEN ~ 200", "XLEN big", "XINFO STREAM big",
		"XTRIM big MAXLEN 180", "XLEN big", "XRANGE big - + COUNT 3", "XTRIM big MINID 40", "XRANGE big - + COUNT 2",
		"XTRIM big MINID ~ 70", "XLEN big", "XTRIM big MAXLEN ~ 10 LIMIT 50", "XLEN big", "XTRIM big MAXLEN ~ 10 LIMIT 0", "XLEN big",
		"XTRIM big", "XTRIM big FOO 1", "XTRIM big LIMIT 1", "XTRIM big MAXLEN 1 LIMIT 5", "XTRIM big MAXLEN -1",
		"XTRIM big MINID 1 MAXLEN 1", "XTRIM big MAXLEN 0", "XLEN big", "EXISTS big", "XINFO STREAM big",
	)},
	{name: "xdel_many_nodes", cmds: streamBig(
		"XDEL big 1-0 1-1 1-2 30-0 30-1 30-2 40-1 83-2", "XLEN big", "XRANGE big - + COUNT 4",
		"XREVRANGE big + - COUNT 4", "XRANGE big 29 41", "XREVRANGE big 41 29", "XINFO STREAM big",
		"XINFO STREAM big FULL COUNT 3", "XTRIM big MINID 34", "XINFO STREAM big",
	)},
	{name: "xsetid", cmds: []string{
		"XSETID none 1-1", "XADD s 5-5 a 1", "XSETID s 5-4", "XSETID s 5-5", "XSETID s 10-0", "XADD s 9-0 a 1",
		"XADD s 10-* a 1", "XINFO STREAM s", "XSETID s 20-0 ENTRIESADDED 1", "XSETID s 20-0 ENTRIESADDED -1",
		"XSETID s 20-0 ENTRIESADDED 7 MAXDELETEDID 3-0", "XINFO STREAM s", "XSETID s 20-0 MAXDELETEDID 30-0",
		"XSETID s 20-0 FOO 1", "XSETID s 20-0 ENTRIESADDED", "XSETID s abc", "XSETID s -", "XDEL s 5-5 10-1",
		"XSETID s 1-0", "XINFO STREAM s", "SET str v", "XSETID str 1-1",
	}},
	{name: "xinfo", cmds: []string{
		"XINFO STREAM none", "XINFO", "XINFO HELP", "XINFO HELP x", "XINFO FOO k", "XINFO STREAM",
		"XADD s 1-1 a 1 b 2", "XADD s 1-2 a 3 b 4", "XADD s 2-1 c 5", "XINFO STREAM s", "XINFO STREAM s FULL",
		"XINFO STREAM s FULL COUNT 1", "XINFO STREAM s FULL COUNT 0", "XINFO STREAM s FULL COUNT -5",
		"XINFO STREAM s FULL COUNT x", "XINFO STREAM s FOO", "XINFO STREAM s FULL COUNT", "XINFO STREAM s FULL FOO 1",
		"XINFO GROUPS s", "XINFO CONSUMERS s g", "XINFO GROUPS", "SET str v", "XINFO STREAM str",
		"TYPE s", "OBJECT ENCODING s",
	}},
	{name: "xread", cmds: []string{
		"XREAD STREAMS none 0", "XADD s 1-1 a 1", "XADD s 2-1 a 2", "XADD t 1-1 b 1",
		"XREAD STREAMS s 0", "XREAD COUNT 1 STREAMS s t 0 0", "XREAD STREAMS s t 1-1 1-1", "XREAD STREAMS s $",
		"XREAD STREAMS s t 1 0-0", "XREAD STREAMS s", "XREAD STREAMS s t 0", "XREAD s 0", "XREAD COUNT x STREAMS s 0",
		"XREAD COUNT -1 STREAMS s 0", "XREAD BLOCK -1 STREAMS s 0", "XREAD BLOCK x STREAMS s 0",
		"XREAD GROUP g c STREAMS s 0", "XREAD NOACK STREAMS s 0", "XREAD STREAMS s >", "XREAD STREAMS s x",
		"XREAD BLOCK 10 STREAMS s $", "XREAD BLOCK 10 STREAMS s 2-1", "XREAD FOO STREAMS s 0",
		"SET str v", "XREAD STREAMS s str 0 0", "XREAD STREAMS str s 0 x",
		"MULTI", "XREAD BLOCK 0 STREAMS s $", "XADD s 3-1 a 3", "XREAD BLOCK 0 STREAMS s 2-1", "EXEC",
	}},
}

// Consumer groups against Redis 7.0. Times (idle, seen, delivery) differ
// between two servers, so the replies that show them are compared by
// type only (the "?" lines); XPENDING's counts and owners are compared.
func TestStreamGroupRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, streamGroupCases)
}

var streamGroupCases = []diffCase{
	{name: "xgroup", cmds: []string{
		"XGROUP CREATE s g $", "XGROUP CREATE s g $ MKSTREAM", "EXISTS s", "XLEN s", "XGROUP CREATE s g $", "XGROUP CREATE s g2 0 ENTRIESREAD 5",
		"XGROUP CREATE s g3 0 ENTRIESREAD -2", "XGROUP CREATE s g3 0 ENTRIESREAD x", "XGROUP CREATE s g3 0 FOO", "XGROUP CREATE s g3 - ",
		"XGROUP CREATE s g3 x", "XGROUP CREATE s g3 + ", "XINFO GROUPS s", "XGROUP SETID s nog 0", "XGROUP SETID s g 5-5", "XGROUP SETID s g - ENTRIESREAD 3",
		"XGROUP SETID s g + ", "XGROUP SETID s g $ ENTRIESREAD", "XINFO GROUPS s", "XGROUP CREATECONSUMER s g alice", "XGROUP CREATECONSUMER s g alice",
		"XGROUP CREATECONSUMER s nog alice", "XGROUP DELCONSUMER s g bob", "XGROUP DELCONSUMER s g alice", "XGROUP DESTROY s g2", "XGROUP DESTROY s g2",
		"XGROUP DESTROY nokey g", "XGROUP CREATECONSUMER nokey g c", "XGROUP", "XGROUP HELP", "XGROUP HELP x", "XGROUP FOO s g", "XGROUP DESTROY s",
		"XGROUP CREATE s", "XGROUP SETID s g 0 FOO 1", "XGROUP CREATE s g9 0 MKSTREAM ENTRIESREAD 2 MKSTREAM", "XGROUP CREATE s g10 0 MKSTREAM ENTRIESREAD 2 X Y",
		"SET str v", "XGROUP CREATE str g 0", "XGROUP CREATE str g 0 MKSTREAM", "XINFO GROUPS s",
	}},
	{name: "xreadgroup_xack_xpending", cmds: []string{
		"XADD s 1-1 a 1", "XADD s 2-1 b 2", "XADD s 3-1 c 3", "XGROUP CREATE s g 0",
		"XREADGROUP GROUP g alice COUNT 2 STREAMS s >", "XREADGROUP GROUP g bob STREAMS s >", "XREADGROUP GROUP g bob STREAMS s >",
		"XREADGROUP GROUP g alice STREAMS s 0", "XREADGROUP GROUP g alice STREAMS s 1-1", "XREADGROUP GROUP g carol STREAMS s 0",
		"XPENDING s g", "?XPENDING s g - + 10", "?XPENDING s g - + 10 alice", "XPENDING s g - + 0", "XPENDING s g - + 10 nobody",
		"XINFO GROUPS s", "?XINFO CONSUMERS s g", "XACK s g 1-1 9-9", "XACK s g 1-1", "XACK s nog 1-1", "XACK nokey g 1-1", "XACK s g x",
		"XPENDING s g", "XDEL s 2-1", "XREADGROUP GROUP g alice STREAMS s 0", "XINFO GROUPS s",
		"XADD s 4-1 d 4", "XREADGROUP GROUP g alice NOACK STREAMS s >", "XPENDING s g", "XINFO GROUPS s",
		"XREADGROUP GROUP nog alice STREAMS s >", "XREADGROUP GROUP g alice STREAMS nokey >", "XREADGROUP GROUP g alice STREAMS s $",
		"XREADGROUP STREAMS s >", "XREADGROUP GROUP g STREAMS s >", "XREADGROUP GROUP g alice STREAMS s", "XREADGROUP GROUP g alice COUNT x STREAMS s >",
		"XREAD GROUP g alice STREAMS s >", "?XPENDING s g IDLE 0 - + 10 alice", "XPENDING s g IDLE x - + 10", "XPENDING s g - +", "XPENDING s g - + x",
		"XPENDING s g IDLE 10 - +", "?XPENDING s g (1-1 (9 10", "XPENDING nokey g", "XPENDING s nog", "XPENDING s g x + 10",
		"XGROUP SETID s g 0", "XREADGROUP GROUP g bob COUNT 1 STREAMS s >", "XPENDING s g", "XINFO GROUPS s",
		"SET str v", "XREADGROUP GROUP g alice STREAMS str >", "XACK str g 1-1", "XPENDING str g",
	}},
	{name: "xclaim_xautoclaim", cmds: []string{
		"XADD s 1-1 a 1", "XADD s 2-1 b 2", "XADD s 3-1 c 3", "XADD s 4-1 d 4", "XGROUP CREATE s g 0",
		"XREADGROUP GROUP g alice STREAMS s >", "XCLAIM s g bob 0 1-1", "XCLAIM s g bob 0 2-1 JUSTID", "XPENDING s g",
		"XCLAIM s g bob 3600000 3-1", "XCLAIM s g carol 0 9-9", "XCLAIM s g carol 0 9-9 FORCE", "XCLAIM s g carol 0 4-1 RETRYCOUNT 7 JUSTID",
		"?XPENDING s g - + 10", "XCLAIM s g carol 0 1-1 IDLE x", "XCLAIM s g carol 0 1-1 TIME x", "XCLAIM s g carol 0 1-1 RETRYCOUNT x",
		"XCLAIM s g carol 0 1-1 FOO", "XCLAIM s g carol x 1-1", "XCLAIM s nog carol 0 1-1", "XCLAIM nokey g carol 0 1-1", "XCLAIM s g carol 0 1-1 LASTID 9-0 JUSTID",
		"XINFO GROUPS s", "XCLAIM s g carol 0 1-1 LASTID x", "XDEL s 2-1", "XCLAIM s g dave 0 2-1 1-1 JUSTID", "XPENDING s g",
		"XAUTOCLAIM s g erin 0 0", "XAUTOCLAIM s g erin 0 0 COUNT 1", "XAUTOCLAIM s g erin 0 0 COUNT 1 JUSTID", "XAUTOCLAIM s g erin 0 (1-1 JUSTID",
		"XAUTOCLAIM s g erin 0 0 COUNT 0", "XAUTOCLAIM s g erin 0 0 COUNT x", "XAUTOCLAIM s g erin x 0", "XAUTOCLAIM s g erin 0 x",
		"XAUTOCLAIM s g erin 0 0 FOO", "XAUTOCLAIM s nog erin 0 0", "XAUTOCLAIM s g erin 3600000 0", "XDEL s 3-1 4-1", "XAUTOCLAIM s g erin 0 0",
		"XPENDING s g", "XINFO GROUPS s", "XINFO STREAM s",
	}},
	{name: "pel_over_many_nodes", cmds: bigPELCmds()},
}

// bigPELCmds makes pending-entries lists of hundreds of entries (many
// nodes of Tandem's PEL tree), acknowledged, deleted and claimed in a
// scattered order, read back through every command that walks a PEL in
// order (the replies are deterministic: no idle times).
func bigPELCmds() []string {
	cmds := []string{}
	for i := 1; i <= 700; i++ {
		cmds = append(cmds, fmt.Sprintf("XADD s %d-1 f %d", i, i))
	}
	cmds = append(cmds, "XGROUP CREATE s g 0", "XREADGROUP GROUP g alice COUNT 400 STREAMS s >",
		"XREADGROUP GROUP g bob STREAMS s >", "XPENDING s g")
	ack := "XACK s g"
	for i := 3; i <= 700; i += 7 {
		ack += fmt.Sprintf(" %d-1", i)
	}
	del := "XDEL s"
	for i := 5; i <= 700; i += 11 {
		del += fmt.Sprintf(" %d-1", i)
	}
	cmds = append(cmds, ack, del, "XPENDING s g", "XINFO GROUPS s",
		"XREADGROUP GROUP g alice COUNT 50 STREAMS s 120", "XREADGROUP GROUP g bob COUNT 30 STREAMS s 0")
	for _, from := range []string{"0", "117-1", "(240-1", "380", "500-0", "650"} {
		cmds = append(cmds, "XAUTOCLAIM s g carol 0 "+from+" COUNT 90 JUSTID")
	}
	cmds = append(cmds, "XAUTOCLAIM s g dave 0 350 COUNT 500 JUSTID", "XPENDING s g",
		"XREADGROUP GROUP g carol STREAMS s 0", "XGROUP DELCONSUMER s g dave", "XPENDING s g", "XACK s g 1-1 2-1 699-1 700-1",
		"XPENDING s g", "XINFO GROUPS s")
	return cmds
}

// Stream commands fire Redis 7.0's keyspace events (xadd, xtrim, xdel,
// xsetid, xgroup-*), in Redis's order.
func TestStreamNotificationsMatchRedis(t *testing.T) {
	t.Parallel()
	compareNotifications(t, "streams", "KEA", []string{
		"XADD s 1-1 a 1", "XADD s MAXLEN 1 2-1 a 2", "XADD s MAXLEN ~ 1 3-1 a 3", "XADD s NOMKSTREAM 4-1 a 4",
		"XADD nokey NOMKSTREAM 1-1 a 1", "XDEL s 4-1 9-9", "XDEL s 9-9", "XTRIM s MAXLEN 0", "XTRIM s MAXLEN 0",
		"XSETID s 10-0", "XGROUP CREATE s g $", "XGROUP CREATE s2 g $ MKSTREAM", "XGROUP CREATE s g $",
		"XGROUP SETID s g 0", "XGROUP CREATECONSUMER s g c1", "XGROUP CREATECONSUMER s g c1", "XGROUP DELCONSUMER s g c1",
		"XGROUP DELCONSUMER s g nobody", "XADD s 11-1 a 1", "XREADGROUP GROUP g c2 STREAMS s >", "XREADGROUP GROUP g c2 STREAMS s >",
		"XCLAIM s g c3 0 11-1", "XAUTOCLAIM s g c4 0 0", "XACK s g 11-1", "XGROUP DESTROY s g", "XGROUP DESTROY s g", "DEL s",
	})
}
