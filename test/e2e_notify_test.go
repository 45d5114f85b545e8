package test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Keyspace notifications: the same commands on Tandem and on Redis 7.0
// fire the same events, in the same order, on the same channels.

// notifyScript runs cmds with notify-keyspace-events set to flags and
// returns every message a PSUBSCRIBE __key*__:* client received.
func notifyScript(t *testing.T, addr, flags string, cmds []string) []string {
	t.Helper()
	w, sub := dialRaw(t, addr), dialRaw(t, addr)
	if got := w.do("CONFIG", "SET", "notify-keyspace-events", flags); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET notify-keyspace-events %s: %q", flags, got)
	}
	w.do("FLUSHALL")
	sub.do("PSUBSCRIBE", "__key*__:*")
	sub.do("SUBSCRIBE", "end-of-script")
	for _, line := range cmds {
		if d, ok := strings.CutPrefix(line, "@sleep "); ok {
			dur, _ := time.ParseDuration(d)
			time.Sleep(dur)
			continue
		}
		w.do(splitCmd(line)...)
	}
	w.do("PUBLISH", "end-of-script", "x")
	var out []string
	for {
		r, err := sub.tryRead(5 * time.Second)
		if err != nil {
			t.Fatalf("reading notifications: %v (after %d)", err, len(out))
		}
		if strings.Contains(r, "end-of-script") {
			break
		}
		// *4 pmessage pattern channel message: keep channel and message.
		parts := strings.Split(r, "\r\n")
		if len(parts) >= 9 {
			out = append(out, parts[6]+" "+parts[8])
		} else {
			out = append(out, r)
		}
	}
	return out
}

func compareNotifications(t *testing.T, name string, flags string, cmds []string) {
	t.Helper()
	got := notifyScript(t, startTandem(t).Addr(), flags, cmds)
	want := notifyScript(t, startRedis(t).Addr(), flags, cmds)
	n := max(len(got), len(want))
	var diffs []string
	for i := 0; i < n; i++ {
		g, w := "(none)", "(none)"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			diffs = append(diffs, fmt.Sprintf("#%d tandem %-50s redis %s", i, g, w))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("%s: notifications differ from Redis 7.0 (%d vs %d):\n  %s", name, len(got), len(want), strings.Join(diffs, "\n  "))
	}
}

var notifyCases = []struct {
	name string
	cmds []string
}{
	{"strings", []string{
		"SET s v", "SET s v NX", "SET s v2 XX", "SET s v3 GET", "SET e v EX 100", "SET e v KEEPTTL", "SETEX se 100 v",
		"PSETEX pse 100000 v", "SETNX s v", "SETNX n v", "MSET a 1 b 2", "MSETNX a 1 c 3", "MSETNX x 1 y 2",
		"APPEND s more", "APPEND ap new", "SETRANGE s 1 X", "SETRANGE sr 2 X", "SETRANGE s 0 \"\"", "INCR i", "INCRBY i 5",
		"DECR i", "DECRBY i 2", "INCRBYFLOAT f 1.5", "GETSET s new", "GETDEL s", "GETDEL missing", "GETEX e PERSIST",
		"GETEX a EX 100", "GETEX a", "SETBIT bits 7 1", "SETBIT bits 7 1", "BITOP OR dst bits bits", "BITOP AND none missing missing",
		"BITFIELD bf SET u8 0 255", "BITFIELD bf GET u8 0", "BITFIELD bf INCRBY u8 0 1", "LCS a b",
		"PFADD h a b", "PFADD h a", "PFMERGE hm h", "PFCOUNT h",
	}},
	{"generic", []string{
		"SET a 1", "SET b 2", "DEL a b missing", "SET a 1", "UNLINK a", "SET a 1", "EXPIRE a 100", "PEXPIRE a 100000",
		"EXPIREAT a 99999999999", "PEXPIREAT a 99999999999999", "EXPIRE a 100 NX", "EXPIRE a 200 XX", "PERSIST a", "PERSIST a",
		"EXPIRE a -1", "SET a 1", "RENAME a b", "RENAME b b", "SET c 3", "RENAMENX b c", "RENAMENX b d", "COPY d e",
		"COPY d e REPLACE", "MOVE e 1", "SET t 1", "TOUCH t", "RESTORE r 0 \"\\x00\\x01v\\x0a\\x00\\x9b\\x8a\\x1b\\xbd\\x0a\\x0d\\xde\\x8d\"",
		"SET x 1 PX 50", "@sleep 200ms", "GET x", "SET y 1", "EXPIRE y 0", "SORT nolist", "RPUSH sl 3 1 2", "SORT sl STORE sorted",
		"SORT sl STORE emptydst BY nosort LIMIT 5 5", "FLUSHDB", "SET z 1", "FLUSHALL", "SET q 1", "SWAPDB 0 1", "SELECT 1", "SET w 1",
	}},
	{"lists", []string{
		"LPUSH l a b", "RPUSH l c", "LPUSHX l d", "LPUSHX nol d", "RPUSHX l e", "LINSERT l BEFORE a z", "LINSERT l BEFORE nope z",
		"LSET l 0 v", "LPOP l", "RPOP l", "LPOP l 2", "RPUSH l 1 2 3 4", "LTRIM l 1 2", "LTRIM l 5 6", "RPUSH l 1 1 2",
		"LREM l 1 1", "LREM l 0 9", "RPOPLPUSH l l2", "LMOVE l2 l LEFT RIGHT", "LMOVE l l RIGHT LEFT", "LMPOP 1 l LEFT COUNT 9",
		"RPUSH bl x", "BLPOP bl 1", "RPUSH bl x y", "BRPOP bl 1", "BLMOVE bl bl2 LEFT LEFT 1", "BLMPOP 1 1 bl2 RIGHT", "RPOP missing",
	}},
	{"sets", []string{
		"SADD s a b c", "SADD s a", "SREM s a", "SREM s nope", "SMOVE s s2 b", "SMOVE s s2 nope", "SPOP s", "SADD s x y z",
		"SPOP s 2", "SPOP s 5", "SADD s1 a b", "SADD s2 b c", "SINTERSTORE si s1 s2", "SUNIONSTORE su s1 s2", "SDIFFSTORE sd s1 s2",
		"SINTERSTORE si nope s1", "SDIFFSTORE sd s1 s1", "SRANDMEMBER s1",
	}},
	{"hashes", []string{
		"HSET h a 1 b 2", "HSET h a 1", "HSETNX h a 1", "HSETNX h c 3", "HMSET h d 4", "HINCRBY h n 1", "HINCRBYFLOAT h f 1.5",
		"HDEL h a", "HDEL h nope", "HDEL h b c d n f", "HGET h a",
	}},
	{"zsets", []string{
		"ZADD z 1 a 2 b", "ZADD z 1 a", "ZADD z INCR 5 a", "ZADD z XX 3 nope", "ZINCRBY z 1 b", "ZREM z a", "ZREM z nope",
		"ZADD z 1 a 2 b 3 c 4 d", "ZREMRANGEBYSCORE z 1 1", "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYLEX z - +", "ZADD z 1 a 2 b",
		"ZPOPMIN z", "ZPOPMAX z", "ZADD z 1 a 2 b 3 c", "ZPOPMIN z 5", "ZADD z1 1 a 2 b", "ZADD z2 1 b", "ZUNIONSTORE zu 2 z1 z2",
		"ZINTERSTORE zi 2 z1 z2", "ZDIFFSTORE zd 2 z1 z2", "ZDIFFSTORE zd 1 nope", "ZRANGESTORE zr z1 0 -1", "ZRANGESTORE zr nope 0 -1",
		"ZMPOP 1 z1 MIN", "BZPOPMIN z1 1", "BZMPOP 1 1 z2 MAX", "ZADD g 1 a",
		"GEOADD geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", "GEOADD geo 13.361389 38.115556 Palermo",
		"GEORADIUS geo 15 37 200 km STORE gs", "GEOSEARCHSTORE gs2 geo FROMLONLAT 15 37 BYRADIUS 200 km",
		"GEOSEARCHSTORE gs3 geo FROMLONLAT 15 37 BYRADIUS 1 m",
	}},
}

func TestKeyspaceNotificationsMatchRedis(t *testing.T) {
	t.Parallel()
	for _, tc := range notifyCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			compareNotifications(t, tc.name, "KEA", tc.cmds)
		})
	}
	t.Run("new-keys", func(t *testing.T) {
		t.Parallel()
		compareNotifications(t, "new", "KEn", []string{"SET a 1", "SET a 2", "RPUSH l x", "DEL a", "SET a 1", "HSET h f v", "HSET h g v", "RENAME a b"})
	})
	t.Run("key-miss", func(t *testing.T) {
		t.Parallel()
		compareNotifications(t, "keymiss", "KEm", []string{"GET nokey", "SET a 1", "GET a", "MGET a b c", "LRANGE nolist 0 -1",
			"HGET noh f", "SMEMBERS nos", "ZSCORE noz m", "EXISTS nokey", "TYPE nokey", "TTL nokey", "STRLEN nokey", "GETRANGE nokey 0 1",
			"SET e 1 PX 10", "@sleep 100ms", "GET e", "SCARD nos", "HLEN noh", "LLEN nol", "DUMP nokey", "OBJECT ENCODING nokey",
			"SUNION nos nos2", "ZUNION 2 a noz", "PFCOUNT nohll", "GETBIT nob 1", "BITCOUNT nob", "COPY nokey x", "SORT nol"})
	})
	t.Run("some-classes", func(t *testing.T) {
		t.Parallel()
		compareNotifications(t, "classes", "El$", []string{"SET a 1", "RPUSH l x", "SADD s x", "DEL a", "INCR i"})
	})
}
