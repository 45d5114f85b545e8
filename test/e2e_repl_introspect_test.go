package test

// What clients see of replication: INFO replication (fields in Redis's
// order), ROLE, CLIENT LIST flags and CLIENT KILL TYPE master|replica.
// Where Redis is installed, shapes are compared with a real pair.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// replPair starts a master and a replica of the given kind and waits for
// the link and a few PINGs.
func replPair(t *testing.T, ctx context.Context, redisToo bool) (m, r *replNode) {
	t.Helper()
	start := startReplTandem
	if redisToo {
		start = startReplRedis
	}
	m = start(t, "master")
	r = start(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	waitLinkUp(t, ctx, r)
	waitOnline(t, ctx, m, 1)
	m.c.Set(ctx, "k", "v", 0)
	waitOffsetsMatch(t, ctx, m, r)
	return m, r
}

// infoFieldNames lists the field names of an INFO section in order, with
// slave<N> lines reduced to "slave<N>".
func infoFieldNames(info string) []string {
	var out []string
	re := regexp.MustCompile(`^slave\d+$`)
	for _, l := range strings.Split(info, "\r\n") {
		k, _, ok := strings.Cut(l, ":")
		if !ok || strings.HasPrefix(l, "#") {
			continue
		}
		if re.MatchString(k) {
			k = "slave<N>"
		}
		out = append(out, k)
	}
	return out
}

// TestReplInfoReplicationFieldsInRedisOrder: INFO replication of a master
// and of its replica list the same fields, in the same order, as a real
// Redis 7.0 pair (values differ, names and order must not), including a
// replica whose link is down.
func TestReplInfoReplicationFieldsInRedisOrder(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	rm, rr := replPair(t, ctx, true)
	tm, tr := replPair(t, ctx, false)
	for _, pair := range []struct {
		role      string
		red, tand *replNode
	}{{"master", rm, tm}, {"replica", rr, tr}} {
		want := infoFieldNames(pair.red.c.Info(ctx, "replication").Val())
		got := infoFieldNames(pair.tand.c.Info(ctx, "replication").Val())
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s INFO replication fields\n got: %v\nwant: %v", pair.role, got, want)
		}
	}
	// The slave0 line has the same keys.
	keys := func(n *replNode) string {
		v := n.info(ctx, "replication")["slave0"]
		var ks []string
		for _, kv := range strings.Split(v, ",") {
			k, _, _ := strings.Cut(kv, "=")
			ks = append(ks, k)
		}
		return strings.Join(ks, ",")
	}
	if got, want := keys(tm), keys(rm); got != want {
		t.Errorf("slave0 keys %q, want %q", got, want)
	}
	if v := tm.info(ctx, "replication")["slave0"]; !strings.Contains(v, "port="+strconv.Itoa(tr.port())+",state=online") {
		t.Errorf("slave0 = %q: wrong port or state", v)
	}
	// A replica whose master is gone: the link-down fields appear.
	rm.proc.Stop()
	tm.proc.Stop()
	testutil.Eventually(t, replWait, "links down", func() bool { return !rr.linkUp(ctx) && !tr.linkUp(ctx) })
	want := infoFieldNames(rr.c.Info(ctx, "replication").Val())
	got := infoFieldNames(tr.c.Info(ctx, "replication").Val())
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("link-down replica INFO replication fields\n got: %v\nwant: %v", got, want)
	}
	if v := tr.info(ctx, "replication")["master_link_down_since_seconds"]; v == "" || v == "-1" {
		t.Errorf("master_link_down_since_seconds = %q after the link dropped", v)
	}
}

// respShape reduces a raw RESP reply to its types: "*3[$,:,*1[*3[$,$,$]]]".
func respShape(raw string) string {
	r := bufio.NewReader(strings.NewReader(raw))
	var b bytes.Buffer
	var walk func()
	walk = func() {
		line, err := r.ReadString('\n')
		if err != nil {
			b.WriteString("?")
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch line[0] {
		case '*':
			n, _ := strconv.Atoi(line[1:])
			fmt.Fprintf(&b, "*%d[", n)
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				walk()
			}
			b.WriteByte(']')
		case '$':
			n, _ := strconv.Atoi(line[1:])
			if n >= 0 {
				buf := make([]byte, n+2)
				r.Read(buf)
			}
			b.WriteByte('$')
		default:
			b.WriteByte(line[0])
		}
	}
	walk()
	return b.String()
}

// TestReplRoleShapesMatchRedis: ROLE on a master is [master, offset,
// [[ip, port, offset]...]] with bulk strings inside, on a replica
// [slave, host, port, state, offset] with integer port and offset; the
// shapes match Redis's, and the values agree with INFO.
func TestReplRoleShapesMatchRedis(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	tm, tr := replPair(t, ctx, false)
	raw := func(n *replNode) string { return dialRaw(t, n.proc.Addr()).do("ROLE") }
	if got := respShape(raw(tm)); got != "*3[$,:,*1[*3[$,$,$]]]" {
		t.Errorf("master ROLE shape %s (%q)", got, raw(tm))
	}
	if got := respShape(raw(tr)); got != "*5[$,$,:,$,:]" {
		t.Errorf("replica ROLE shape %s (%q)", got, raw(tr))
	}
	v, err := tr.c.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) != 5 || v[0] != "slave" || v[1] != "127.0.0.1" || v[2] != int64(tm.port()) || v[3] != "connected" {
		t.Errorf("replica ROLE = %v %v", v, err)
	}
	v, err = tm.c.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) != 3 || v[0] != "master" {
		t.Fatalf("master ROLE = %v %v", v, err)
	}
	if rs := v[2].([]any); len(rs) != 1 || rs[0].([]any)[1] != strconv.Itoa(tr.port()) {
		t.Errorf("master ROLE replicas = %v", rs)
	}
	if _, ok := v[1].(int64); !ok {
		t.Errorf("master ROLE offset %T", v[1])
	}

	// A replica of an unreachable master: state connect (or connecting), offset -1.
	lone := startReplTandem(t, "lone", "--replicaof", "127.0.0.1", strconv.Itoa(testutil.FreePort(t)))
	v, err = lone.c.Do(ctx, "ROLE").Slice()
	if err != nil || len(v) != 5 || (v[3] != "connect" && v[3] != "connecting") || v[4] != int64(-1) {
		t.Errorf("ROLE of a replica with no master = %v %v", v, err)
	}

	// Same shapes as a real Redis pair.
	if _, err := exec.LookPath("redis-server"); err == nil {
		rm, rr := replPair(t, ctx, true)
		if a, b := respShape(raw(tm)), respShape(raw(rm)); a != b {
			t.Errorf("master ROLE shape %s, Redis %s", a, b)
		}
		if a, b := respShape(raw(tr)), respShape(raw(rr)); a != b {
			t.Errorf("replica ROLE shape %s, Redis %s", a, b)
		}
	}
}

// clientLines returns CLIENT LIST [args] as lines.
func clientLines(t testing.TB, ctx context.Context, n *replNode, args ...any) []string {
	t.Helper()
	s, err := n.c.Do(ctx, append([]any{"CLIENT", "LIST"}, args...)...).Text()
	if err != nil {
		t.Fatalf("%s: CLIENT LIST %v: %v", n.name, args, err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func clientField(line, name string) string {
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// TestReplClientListFlags: the master lists its replica's connection with
// flags=S (cmd=replconf once ACKs flow) and the replica lists its master's
// with flags=M; CLIENT LIST TYPE replica|master select exactly those.
func TestReplClientListFlags(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	m, r := replPair(t, ctx, false)
	var replicaLine string
	for _, l := range clientLines(t, ctx, m) {
		if strings.Contains(clientField(l, "flags"), "S") {
			replicaLine = l
		}
	}
	if replicaLine == "" {
		t.Fatalf("master CLIENT LIST has no flags=S line:\n%s", strings.Join(clientLines(t, ctx, m), "\n"))
	}
	testutil.Eventually(t, replWait, "replica connection cmd=replconf", func() bool {
		for _, l := range clientLines(t, ctx, m, "TYPE", "replica") {
			if clientField(l, "cmd") == "replconf" && clientField(l, "flags") == "S" {
				return true
			}
		}
		return false
	})
	if got := clientLines(t, ctx, m, "TYPE", "slave"); len(got) != 1 {
		t.Errorf("master CLIENT LIST TYPE slave: %q", got)
	}
	if got := clientLines(t, ctx, m, "TYPE", "normal"); len(got) == 0 || strings.Contains(strings.Join(got, "\n"), "flags=S") {
		t.Errorf("master CLIENT LIST TYPE normal includes the replica: %q", got)
	}
	var masterLine string
	for _, l := range clientLines(t, ctx, r) {
		if clientField(l, "flags") == "M" {
			masterLine = l
		}
	}
	if masterLine == "" {
		t.Fatalf("replica CLIENT LIST has no flags=M line:\n%s", strings.Join(clientLines(t, ctx, r), "\n"))
	}
	if clientField(masterLine, "addr") != m.proc.Addr() {
		t.Errorf("master connection addr = %q, want %s", clientField(masterLine, "addr"), m.proc.Addr())
	}
	if got := clientLines(t, ctx, r, "TYPE", "master"); len(got) != 1 || clientField(got[0], "flags") != "M" {
		t.Errorf("replica CLIENT LIST TYPE master: %q", got)
	}
	if got := clientLines(t, ctx, r, "TYPE", "normal"); strings.Contains(strings.Join(got, "\n"), "flags=M") {
		t.Errorf("replica CLIENT LIST TYPE normal includes the master link: %q", got)
	}
}

// TestReplClientKillTypeMasterAndReplica: CLIENT KILL TYPE master on a
// replica and CLIENT KILL TYPE replica on a master drop the link (reply:
// the number killed) and the replica comes back with a partial resync.
func TestReplClientKillTypeMasterAndReplica(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m, r := replPair(t, ctx, false)
	pok := m.stat(t, ctx, "sync_partial_ok")
	full := m.stat(t, ctx, "sync_full")

	n, err := r.c.Do(ctx, "CLIENT", "KILL", "TYPE", "master").Int64()
	if err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE master = %d %v, want 1", n, err)
	}
	testutil.Eventually(t, replWait, "PSYNC after killing the master link", func() bool {
		return m.stat(t, ctx, "sync_partial_ok") == pok+1 && r.linkUp(ctx)
	})
	m.c.Set(ctx, "after-master-kill", "1", 0)
	waitOffsetsMatch(t, ctx, m, r)

	n, err = m.c.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Int64()
	if err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE replica = %d %v, want 1", n, err)
	}
	testutil.Eventually(t, replWait, "PSYNC after killing the replica", func() bool {
		return m.stat(t, ctx, "sync_partial_ok") == pok+2 && r.linkUp(ctx)
	})
	m.c.Set(ctx, "after-replica-kill", "1", 0)
	requireSameDataset(t, ctx, m, r)
	if got := m.stat(t, ctx, "sync_full"); got != full {
		t.Errorf("sync_full went from %d to %d", full, got)
	}
	if !strings.Contains(m.proc.LogText(), "Connection with replica 127.0.0.1:"+strconv.Itoa(r.port())+" lost.") {
		t.Error("master log lacks `Connection with replica … lost.`")
	}
	if !strings.Contains(r.proc.LogText(), "Connection with master lost.") {
		t.Error("replica log lacks `Connection with master lost.`")
	}
	// Nothing to kill: 0.
	if n, err := m.c.Do(ctx, "CLIENT", "KILL", "TYPE", "master").Int64(); err != nil || n != 0 {
		t.Errorf("CLIENT KILL TYPE master on a master = %d %v, want 0", n, err)
	}
}

// TestReplFullSyncShowsAsBackgroundSave: a full sync's RDB stream, to a
// socket (diskless) or to a file, shows in INFO persistence as a
// background save (rdb_bgsave_in_progress 1, a current time), as Redis's
// forked child does; it ends with the stream.
func TestReplFullSyncShowsAsBackgroundSave(t *testing.T) {
	for _, diskless := range []string{"yes", "no"} {
		t.Run("diskless-"+diskless, func(t *testing.T) {
			ctx := ctxFor(t, 2*time.Minute)
			m := startReplTandem(t, "master", "--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0")
			mustDo(t, ctx, m.c, "DEBUG", "POPULATE", "20")
			mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", "100000") // 2 s for 20 keys
			r := startReplTandem(t, "replica")
			mustDo(t, ctx, r.c, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.port()))
			testutil.Eventually(t, replWait, "the sync's save shows", func() bool {
				inf := m.info(ctx, "persistence")
				return inf["rdb_bgsave_in_progress"] == "1" && inf["rdb_current_bgsave_time_sec"] != "-1"
			})
			// Redis refuses SAVE and BGSAVE (SCHEDULE too) while its RDB
			// child for a sync runs.
			for _, cmd := range [][]any{{"BGSAVE"}, {"BGSAVE", "SCHEDULE"}, {"SAVE"}} {
				if err := m.c.Do(ctx, cmd...).Err(); err == nil || err.Error() != "ERR Background save already in progress" {
					t.Errorf("%v during the sync's save: %v", cmd, err)
				}
			}
			mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", "0")
			waitLinkUp(t, ctx, r)
			testutil.Eventually(t, replWait, "the save ends with the stream", func() bool {
				inf := m.info(ctx, "persistence")
				return inf["rdb_bgsave_in_progress"] == "0" && inf["rdb_current_bgsave_time_sec"] == "-1"
			})
		})
	}
}
