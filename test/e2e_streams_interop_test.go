package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// streamSetup builds the same streams on any server: several nodes, deleted
// entries, trimmed heads, integer and long values, an emptied stream, a
// stream whose last ID was moved by XSETID.
func streamSetup() [][]string {
	var cmds [][]string
	for i := 0; i < 330; i++ {
		v := fmt.Sprint(i * 13)
		if i%7 == 0 {
			v = strings.Repeat("x", 10+i%90) // LZF-compressible, some over 64 bytes
		}
		if i%5 == 0 {
			cmds = append(cmds, []string{"XADD", "st:big", fmt.Sprintf("%d-%d", 1000+i/4, i%4), "name", fmt.Sprint("n", i), "val", v, "extra", "-42"})
		} else {
			cmds = append(cmds, []string{"XADD", "st:big", fmt.Sprintf("%d-%d", 1000+i/4, i%4), "name", fmt.Sprint("n", i), "val", v})
		}
	}
	cmds = append(cmds,
		[]string{"XDEL", "st:big", "1000-0", "1010-1", "1010-2", "1050-3", "1082-1"},
		[]string{"XTRIM", "st:big", "MINID", "1005-2"},
		[]string{"XADD", "st:small", "1-1", "a", "1"},
		[]string{"XADD", "st:small", "1-2", "a", "2", "b", "3"},
		[]string{"XSETID", "st:small", "99-0", "ENTRIESADDED", "10", "MAXDELETEDID", "5-0"},
		[]string{"XADD", "st:empty", "5-5", "f", "v"},
		[]string{"XDEL", "st:empty", "5-5"},
		[]string{"XADD", "st:huge", "7-7", "blob", strings.Repeat("0123456789", 600)},
		[]string{"XADD", "st:huge", "7-8", "blob", "small"},
	)
	return cmds
}

var streamKeys = []string{"st:big", "st:small", "st:empty", "st:huge"}

// TestStreamsCrossWithRedis builds the same streams in Tandem and Redis
// 7.0 and checks that they are the same bytes: DUMP payloads identical,
// each one RESTOREd into the other server reads the same (XINFO STREAM
// FULL, with LZF-compressed listpacks), DEBUG DIGEST-VALUE equal, and an RDB saved by Tandem loads in
// redis-server with the same contents.
func TestStreamsCrossWithRedis(t *testing.T) {
	t.Parallel()
	td := startTandem(t, "--enable-debug-command", "yes")
	rd := startRedis(t, "--enable-debug-command", "yes")
	tc, rc := dialRaw(t, td.Addr()), dialRaw(t, rd.Addr())
	for _, cmd := range streamSetup() {
		if g, w := tc.do(cmd...), rc.do(cmd...); g != w {
			t.Fatalf("%.60q: tandem %q redis %q", cmd, g, w)
		}
	}
	for _, k := range streamKeys {
		// Without LZF (whose output may differ from liblzf's and still be
		// valid) the payloads must be the same bytes.
		tc.do("CONFIG", "SET", "rdbcompression", "no")
		rc.do("CONFIG", "SET", "rdbcompression", "no")
		tDump, rDump := tc.do("DUMP", k), rc.do("DUMP", k)
		if tDump != rDump {
			t.Errorf("DUMP %s differs:\ntandem %q\nredis  %q", k, replTrunc(tDump, 400), replTrunc(rDump, 400))
		}
		tc.do("CONFIG", "SET", "rdbcompression", "yes")
		rc.do("CONFIG", "SET", "rdbcompression", "yes")
		if g, w := tc.do("DEBUG", "DIGEST-VALUE", k), rc.do("DEBUG", "DIGEST-VALUE", k); g != w {
			t.Errorf("DEBUG DIGEST-VALUE %s: tandem %q redis %q", k, g, w)
		}
		want := rc.do("XINFO", "STREAM", k, "FULL", "COUNT", "0")
		if g := tc.do("XINFO", "STREAM", k, "FULL", "COUNT", "0"); g != want {
			t.Errorf("XINFO STREAM %s FULL:\ntandem %q\nredis  %q", k, replTrunc(g, 400), replTrunc(want, 400))
		}
		// Each server restores the other's payload.
		for _, p := range []struct {
			name     string
			from, to *rawConn
		}{{"tandem->redis", tc, rc}, {"redis->tandem", rc, tc}} {
			payload := bulkBody(t, p.from.do("DUMP", k))
			if r := p.to.do("RESTORE", k+":copy", "0", payload); r != "+OK\r\n" {
				t.Errorf("%s RESTORE %s: %q", p.name, k, r)
				continue
			}
			if g := p.to.do("XINFO", "STREAM", k+":copy", "FULL", "COUNT", "0"); g != want {
				t.Errorf("%s: restored %s reads\n%q\nwant\n%q", p.name, k, replTrunc(g, 400), replTrunc(want, 400))
			}
		}
	}
	if g, w := tc.do("DEBUG", "DIGEST"), rc.do("DEBUG", "DIGEST"); g != w {
		t.Errorf("DEBUG DIGEST: tandem %q redis %q", g, w)
	}
	// Tandem's RDB, loaded by redis-server.
	if r := tc.do("SAVE"); r != "+OK\r\n" {
		t.Fatalf("SAVE: %q", r)
	}
	loaded := startRedis(t, "--dir", td.Dir, "--dbfilename", "dump.rdb", "--enable-debug-command", "yes")
	lc := dialRaw(t, loaded.Addr())
	for _, k := range append(streamKeys, streamKeys[0]+":copy") {
		if g, w := lc.do("XINFO", "STREAM", k, "FULL", "COUNT", "0"), tc.do("XINFO", "STREAM", k, "FULL", "COUNT", "0"); g != w {
			t.Errorf("redis loading Tandem's RDB: %s reads\n%q\nwant\n%q", k, replTrunc(g, 400), replTrunc(w, 400))
		}
	}
	if g, w := lc.do("DEBUG", "DIGEST"), tc.do("DEBUG", "DIGEST"); g != w {
		t.Errorf("DEBUG DIGEST after loading Tandem's RDB: redis %q tandem %q", g, w)
	}
}

// bulkBody is the payload of a raw bulk reply.
func bulkBody(t *testing.T, raw string) string {
	t.Helper()
	i := strings.Index(raw, "\r\n")
	if !strings.HasPrefix(raw, "$") || i < 0 {
		t.Fatalf("not a bulk reply: %q", raw)
	}
	return strings.TrimSuffix(raw[i+2:], "\r\n")
}

// TestStreamRDBFromRedisLoads loads ../shared/testdata/rdb/all-types.rdb
// (a Redis 7.0 file with a stream, a group, a consumer and a pending
// entry) in Tandem and in redis-server: the stream reads the same.
func TestStreamRDBFromRedisLoads(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "testdata", "rdb", "all-types.rdb"))
	if err != nil {
		data, err = os.ReadFile(filepath.Join("..", "..", "wt", "shared", "testdata", "rdb", "all-types.rdb"))
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "all-types.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	td := startTandem(t, "--dir", dir, "--dbfilename", "all-types.rdb", "--save", "", "--enable-debug-command", "yes")
	rd := startRedis(t, "--dir", dir, "--dbfilename", "all-types.rdb", "--save", "", "--enable-debug-command", "yes")
	tc, rc := dialRaw(t, td.Addr()), dialRaw(t, rd.Addr())
	for _, cmd := range [][]string{
		{"XINFO", "STREAM", "stream", "FULL"}, {"XINFO", "STREAM", "stream"}, {"XINFO", "GROUPS", "stream"},
		{"XRANGE", "stream", "-", "+"}, {"XLEN", "stream"}, {"TYPE", "stream"}, {"OBJECT", "ENCODING", "stream"},
		{"DUMP", "stream"}, {"DEBUG", "DIGEST-VALUE", "stream"}, {"DEBUG", "DIGEST"}, {"DBSIZE"},
	} {
		if g, w := tc.do(cmd...), rc.do(cmd...); g != w {
			t.Errorf("%q: tandem %q redis %q", cmd, g, w)
		}
	}
}

// TestStreamsReplicateBothWaysWithRedis runs a Redis replica of a Tandem
// master and a Tandem replica of a Redis master: streams cross in the full
// sync (the RDB) and in the command stream (XADD with "*", approximate
// trims, XDEL, XSETID), and the replicas end equal to their masters.
func TestStreamsReplicateBothWaysWithRedis(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 2*time.Minute)
	for _, tc := range []struct {
		name                 string
		tandemMaster, redisM bool
	}{{"tandem-master", true, false}, {"redis-master", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var master, replica *replNode
			if tc.tandemMaster {
				master = startReplTandem(t, "master", "--enable-debug-command", "yes")
				replica = startReplRedis(t, "replica", "--enable-debug-command", "yes")
			} else {
				master = startReplRedis(t, "master", "--enable-debug-command", "yes")
				replica = startReplTandem(t, "replica", "--enable-debug-command", "yes")
			}
			mc := dialRaw(t, master.proc.Addr())
			for _, cmd := range streamSetup()[:200] {
				mc.do(cmd...)
			}
			groupOps := func() {
				mc.do("XGROUP", "CREATE", "st:big", "g1", "0")
				mc.do("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "st:big", ">")
				mc.do("XGROUP", "CREATECONSUMER", "st:big", "g1", "bob")
				mc.do("XGROUP", "CREATE", "st:big", "g0", "$")
			}
			if tc.redisM {
				// Groups in the full sync (the RDB) from Redis.
				groupOps()
			}
			replica.replicaOf(t, ctx, master.port())
			waitLinkUp(t, ctx, replica)
			for _, cmd := range streamSetup()[200:] {
				mc.do(cmd...)
			}
			if !tc.redisM {
				groupOps()
			}
			// Group commands in the command stream: their effects
			// (XCLAIM, XGROUP SETID/CREATECONSUMER) replicate.
			mc.do("XREADGROUP", "GROUP", "g1", "carol", "COUNT", "5", "STREAMS", "st:big", ">")
			mc.do("XREADGROUP", "GROUP", "g1", "dan", "NOACK", "COUNT", "2", "STREAMS", "st:big", ">")
			mc.do("XACK", "st:big", "g1", "1001-0", "1001-1")
			mc.do("XCLAIM", "st:big", "g1", "bob", "0", "1002-0", "1002-1")
			mc.do("XAUTOCLAIM", "st:big", "g1", "erin", "0", "0", "COUNT", "2")
			// (XGROUP SETID … ENTRIESREAD n then a read that cannot keep
			// the counter would leave replicas at n, in Redis too: the
			// XCLAIMs of the read carry LASTID, not the counter.)
			mc.do("XGROUP", "SETID", "st:big", "g0", "1003-0")
			mc.do("XREADGROUP", "GROUP", "g0", "fay", "STREAMS", "st:big", ">")
			mc.do("XGROUP", "DELCONSUMER", "st:big", "g1", "dan")
			for i := 0; i < 250; i++ {
				mc.do("XADD", "st:auto", "MAXLEN", "~", "120", "*", "i", fmt.Sprint(i))
			}
			mc.do("XADD", "st:auto", "MINID", "~", "0", "*", "i", "last")
			mc.do("XTRIM", "st:auto", "MAXLEN", "~", "30")
			waitOffsetsMatch(t, ctx, master, replica)
			rc := dialRaw(t, replica.proc.Addr())
			// st:big has groups, whose times differ (below).
			for _, k := range append(streamKeys[1:], "st:auto") {
				if g, w := rc.do("XINFO", "STREAM", k, "FULL", "COUNT", "0"), mc.do("XINFO", "STREAM", k, "FULL", "COUNT", "0"); g != w {
					t.Errorf("%s: replica reads\n%q\nmaster\n%q", k, replTrunc(g, 600), replTrunc(w, 600))
				}
			}
			if g, w := rc.do("DEBUG", "DIGEST"), mc.do("DEBUG", "DIGEST"); g != w {
				t.Errorf("DEBUG DIGEST: replica %q master %q", g, w)
			}
			// Groups (times aside: a replica stamps consumers it creates
			// with its own clock, in Redis too).
			for _, cmd := range [][]string{{"XINFO", "GROUPS", "st:big"}, {"XPENDING", "st:big", "g1"}, {"XPENDING", "st:big", "g0"},
				{"XPENDING", "st:big", "g1", "-", "+", "100", "bob"}, {"XINFO", "STREAM", "st:big"}, {"XRANGE", "st:big", "-", "+"}} {
				g, w := rc.do(cmd...), mc.do(cmd...)
				if cmd[0] == "XPENDING" && len(cmd) > 3 {
					g, w = maskIdle(g), maskIdle(w)
				}
				if g != w {
					t.Errorf("%q: replica %q master %q", cmd, replTrunc(g, 600), replTrunc(w, 600))
				}
			}
		})
	}
}

// TestStreamsSurviveAOFRewriteAndLoadInRedis writes streams, rewrites the
// AOF (RDB base and RESP base, whose XADD/XSETID commands are Redis's
// rewriteStreamObject's), appends more, restarts on the files, and loads
// the same files in redis-server: all three read the same streams.
func TestStreamsSurviveAOFRewriteAndLoadInRedis(t *testing.T) {
	t.Parallel()
	for _, preamble := range []string{"yes", "no"} {
		t.Run("preamble-"+preamble, func(t *testing.T) {
			ctx := ctxFor(t, 2*time.Minute)
			s := startAOF(t, "tandem", "", "--aof-use-rdb-preamble", preamble, "--enable-debug-command", "yes")
			c := dialRaw(t, s.proc.Addr())
			setup := streamSetup()
			for _, cmd := range setup[:250] {
				c.do(cmd...)
			}
			if r := c.do("BGREWRITEAOF"); !strings.HasPrefix(r, "+") {
				t.Fatalf("BGREWRITEAOF: %q", r)
			}
			s.waitRewriteDone(t, ctx)
			for _, cmd := range setup[250:] {
				c.do(cmd...)
			}
			for i := 0; i < 150; i++ {
				c.do("XADD", "st:auto", "MAXLEN", "~", "60", "*", "i", fmt.Sprint(i))
			}
			keys := append(streamKeys, "st:auto")
			want := map[string]string{}
			for _, k := range keys {
				want[k] = c.do("XINFO", "STREAM", k, "FULL", "COUNT", "0")
			}
			digest := c.do("DEBUG", "DIGEST")
			s.shutdown(t)
			checkAOF(t, s.manifest())
			r := startRedisOnAOF(t, s.aofDir())
			s2 := startAOF(t, "tandem-restarted", s.dir, "--enable-debug-command", "yes")
			for name, addr := range map[string]string{"tandem restarted": s2.proc.Addr(), "redis": r.proc.Addr()} {
				rc := dialRaw(t, addr)
				for _, k := range keys {
					if g := rc.do("XINFO", "STREAM", k, "FULL", "COUNT", "0"); g != want[k] {
						t.Errorf("%s: %s reads\n%q\nwant\n%q", name, k, replTrunc(g, 600), replTrunc(want[k], 600))
					}
				}
				if name == "tandem restarted" {
					if g := rc.do("DEBUG", "DIGEST"); g != digest {
						t.Errorf("%s: DEBUG DIGEST %q want %q", name, g, digest)
					}
				}
			}
		})
	}
}

// maskIdle blanks the idle times (the third element of each entry) of a
// raw XPENDING extended reply.
func maskIdle(raw string) string {
	lines := strings.Split(raw, "\r\n")
	for i := 0; i+6 < len(lines); i++ {
		if lines[i] == "*4" && strings.HasPrefix(lines[i+5], ":") {
			lines[i+5] = ":<idle>"
		}
	}
	return strings.Join(lines, "\r\n")
}
