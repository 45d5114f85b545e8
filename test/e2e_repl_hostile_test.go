package test

// A hostile master, or a man in the middle speaking for one (issue 14,
// finding 9): whatever bytes come back on the link, the replica keeps
// running and serving its clients, logs what was wrong, and retries as
// with a broken link.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/testutil"
)

// fakeMaster is a scripted master: it answers PING and REPLCONF like a
// real one, then answers PSYNC (or SYNC) with what script returns for the
// n-th connection (from 1), and keeps the connection open until the
// replica drops it (or, with hangUp, closes it at once).
type fakeMaster struct {
	ln     net.Listener
	port   int
	script func(n int, psync []string) []byte
	hangUp bool // set before the first connection
	// after, when set before the first connection, takes over each
	// connection once the script's answer is written (instead of reading
	// and discarding what the replica sends).
	after func(c net.Conn, br *bufio.Reader)

	mu    sync.Mutex
	psync [][]string // each connection's PSYNC arguments
}

func startFakeMaster(t *testing.T, script func(n int, psync []string) []byte) *fakeMaster {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fm := &fakeMaster{ln: ln, port: ln.Addr().(*net.TCPAddr).Port, script: script}
	var wg sync.WaitGroup
	var conns sync.Map
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				fm.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return fm
}

// serve runs one connection's handshake and the script's answer.
func (fm *fakeMaster) serve(c net.Conn) {
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	for {
		args, err := readCommand(br)
		if err != nil {
			return
		}
		switch strings.ToUpper(args[0]) {
		case "PING":
			c.Write([]byte("+PONG\r\n"))
		case "REPLCONF", "AUTH":
			c.Write([]byte("+OK\r\n"))
		case "PSYNC", "SYNC":
			fm.mu.Lock()
			fm.psync = append(fm.psync, args)
			n := len(fm.psync)
			fm.mu.Unlock()
			c.Write(fm.script(n, args))
			switch {
			case fm.after != nil:
				fm.after(c, br)
			case !fm.hangUp:
				io.Copy(io.Discard, br) // until the replica hangs up
			}
			return
		}
	}
}

// connections is how many PSYNCs the fake master answered, and their
// arguments.
func (fm *fakeMaster) connections() (int, [][]string) {
	fm.mu.Lock()
	defer fm.mu.Unlock()
	return len(fm.psync), append([][]string(nil), fm.psync...)
}

// readCommand reads one RESP array of bulk strings (or an inline line).
func readCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line + " x"), nil // inline (SYNC)
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil {
		return nil, err
	}
	args := make([]string, n)
	for i := range args {
		hdr, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimRight(hdr, "\r\n")[1:])
		if err != nil {
			return nil, err
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, err
		}
		args[i] = string(b[:size])
	}
	return args, nil
}

// doPastLoading runs a command, retrying while the server answers
// -LOADING (a replica loading its master's RDB), for at most replWait.
func doPastLoading(t *testing.T, ctx context.Context, n *replNode, args ...any) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(replWait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err = n.c.Do(ctx, args...).Err(); err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
			break
		}
	}
	if err != nil {
		t.Fatalf("%s: %v: %v", n.name, args, err)
	}
}

// emptyRDB is a valid RDB with no keys.
func emptyRDB(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	e := rdb.NewEncoder(&b, rdb.EncodeOptions{})
	if err := e.Header(); err != nil {
		t.Fatal(err)
	}
	if err := e.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A socket load (repl-diskless-load swapdb) whose master goes away
// mid-payload logs what Redis's loader logs of it, "Internal error in RDB
// reading offset ...", which tools and Redis's integration/replication
// "diskless loading short read" wait for, and keeps the old data.
func TestReplicaLogsAPayloadCutShortAsRedis(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, replWait)
	var b bytes.Buffer
	e := rdb.NewEncoder(&b, rdb.EncodeOptions{})
	if err := e.Header(); err != nil {
		t.Fatal(err)
	}
	if err := e.SelectDB(0); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		ent := rdb.Entry{Key: []byte(fmt.Sprint("k", i)), ExpireAt: rdb.NoExpiry, Kind: rdb.KindString, Str: []byte(strings.Repeat("v", 100))}
		if err := e.WriteEntry(&ent); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	cut := b.Bytes()[:b.Len()/2]
	mark := strings.Repeat("m", 40)
	fm := startFakeMaster(t, func(int, []string) []byte {
		return []byte("+FULLRESYNC 1ba9fe0fa82bab35ddc9ff0662584d7570d257ec 0\r\n$EOF:" + mark + "\r\n" + string(cut))
	})
	fm.hangUp = true
	r := startReplTandem(t, "replica", "--repl-diskless-load", "swapdb")
	mustDo(t, ctx, r.c, "SET", "mine", "1")
	doPastLoading(t, ctx, r, "REPLICAOF", "127.0.0.1", fm.port)
	testutil.Eventually(t, 30*time.Second, "the cut-short log line", func() bool {
		return strings.Contains(r.proc.LogText(), "Internal error in RDB reading offset")
	})
	if log := r.proc.LogText(); !strings.Contains(log, "Failure loading rdb format from socket, assuming connection error, resuming operation.") {
		t.Fatalf("log:\n%s", tailText(log, 30))
	}
	if v, err := r.c.Get(ctx, "mine").Result(); err != nil || v != "1" {
		t.Fatalf("GET mine after the cut-short load: %q, %v (swapdb keeps the old data)", v, err)
	}
}

func TestReplicaSurvivesAHostileMaster(t *testing.T) {
	const id = "1ba9fe0fa82bab35ddc9ff0662584d7570d257ec"
	full := "+FULLRESYNC " + id + " 0\r\n"
	empty := emptyRDB(t)
	garbage := []byte("REDIS0010\xfa\x09redis-ver\xff\xff\xff\xff\xff\xff\xff\xff\x00\x01\x02")
	fullThen := func(stream string) []byte {
		return []byte(full + "$" + strconv.Itoa(len(empty)) + "\r\n" + string(empty) + stream)
	}
	cases := []struct {
		name string
		// script answers each PSYNC; logLine is what the replica must log.
		script  func(n int, psync []string) []byte
		logLine string
	}{
		{
			// The first sync fails while loading (after the cached master
			// was discarded), so the next PSYNC is `PSYNC ? -1`, which
			// gets +CONTINUE: there is no cached master to continue.
			name: "continue-without-cached-master",
			script: func(n int, psync []string) []byte {
				if len(psync) == 3 && psync[1] == "?" {
					return []byte("+CONTINUE\r\n*1\r\n$4\r\nping\r\n")
				}
				return []byte(full + "$" + strconv.Itoa(len(garbage)) + "\r\n" + string(garbage))
			},
			logLine: "Master accepted a partial resynchronization we did not ask for",
		},
		{name: "fullresync-bad-id", script: func(int, []string) []byte { return []byte("+FULLRESYNC " + id[:39] + "! 0\r\n$0\r\n") }, logLine: "wrong +FULLRESYNC syntax"},
		{name: "fullresync-short-id", script: func(int, []string) []byte { return []byte("+FULLRESYNC abc 0\r\n") }, logLine: "wrong +FULLRESYNC syntax"},
		{name: "fullresync-bad-offset", script: func(int, []string) []byte { return []byte("+FULLRESYNC " + id + " -3\r\n") }, logLine: "wrong +FULLRESYNC syntax"},
		{name: "payload-negative-length", script: func(int, []string) []byte { return []byte(full + "$-5\r\n") }, logLine: "invalid RDB payload length (we received '$-5')"},
		{name: "payload-length-overflow", script: func(int, []string) []byte { return []byte(full + "$99999999999999999999\r\n") }, logLine: "invalid RDB payload length"},
		{name: "payload-short-eof-mark", script: func(int, []string) []byte { return []byte(full + "$EOF:abc\r\nxyz") }, logLine: "invalid RDB payload length"},
		{name: "payload-garbage-rdb", script: func(int, []string) []byte {
			return []byte(full + "$" + strconv.Itoa(len(garbage)) + "\r\n" + string(garbage))
		}, logLine: "Failed trying to load the MASTER synchronization DB"},
		{name: "endless-line", script: func(int, []string) []byte { return []byte("+" + strings.Repeat("x", 100<<10)) }, logLine: "line from MASTER too long"},
		{name: "stream-multibulk-2g", script: func(int, []string) []byte { return fullThen("*2147483648\r\n") }, logLine: "Protocol error from MASTER"},
		{name: "stream-bulk-maxint64", script: func(int, []string) []byte {
			return fullThen("*1\r\n$9223372036854775807\r\nxx")
		}, logLine: "Protocol error from MASTER"},
		{name: "stream-bulk-over-proto-max-bulk-len", script: func(int, []string) []byte {
			return fullThen("*1\r\n$536870913\r\nxx")
		}, logLine: "Protocol error from MASTER"},
		{name: "stream-negative-lengths", script: func(int, []string) []byte { return fullThen("*2\r\n$3\r\nset\r\n$-7\r\n") }, logLine: "Protocol error from MASTER"},
		{name: "stream-inline", script: func(int, []string) []byte { return fullThen("flushall\r\n") }, logLine: "Receiving inline protocol from master"},
	}
	ctx := ctxFor(t, 5*time.Minute)
	r := startReplTandem(t, "replica")
	mustDo(t, ctx, r.c, "SET", "mine", "1")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fm := startFakeMaster(t, c.script)
			before := len(r.proc.LogText())
			doPastLoading(t, ctx, r, "REPLICAOF", "127.0.0.1", fm.port)
			want := 2
			if c.name == "continue-without-cached-master" {
				want = 3 // the garbage sync, the +CONTINUE, one more
			}
			testutil.Eventually(t, 30*time.Second, fmt.Sprintf("%d connections to the fake master", want), func() bool {
				n, _ := fm.connections()
				return n >= want || r.proc.Exited()
			})
			if r.proc.Exited() {
				t.Fatalf("the replica exited:\n%s", tailText(r.proc.LogText(), 60))
			}
			if c.name == "continue-without-cached-master" {
				_, all := fm.connections()
				asked := false
				for _, a := range all {
					asked = asked || len(a) == 3 && a[1] == "?"
				}
				if !asked {
					t.Fatalf("never sent PSYNC ? -1: %v", all)
				}
			}
			// It serves its clients throughout (a moment of -LOADING
			// while it loads a hostile master's RDB is what Redis does
			// too: PING has no loading flag).
			doPastLoading(t, ctx, r, "PING")
			if inf := r.info(ctx, "replication"); inf["role"] != "slave" || inf["master_port"] != strconv.Itoa(fm.port) {
				t.Fatalf("INFO replication: %v", inf)
			}
			log := r.proc.LogText()[before:]
			if !strings.Contains(log, c.logLine) {
				t.Fatalf("the log does not say %q:\n%s", c.logLine, tailText(log, 30))
			}
			if strings.Contains(log, "panic") || strings.Contains(log, "Internal error in the replication link") {
				t.Fatalf("the link panicked:\n%s", tailText(log, 60))
			}
			doPastLoading(t, ctx, r, "REPLICAOF", "NO", "ONE")
		})
	}
	if r.proc.Exited() {
		t.Fatal("the replica exited")
	}
}

// TestReplicaLinkPanicIsRecovered: a panic on the replica's loading thread
// (DEBUG REPLICA-LOAD-PANIC stands for a bug nobody found yet) is logged
// at warning level with its stack, the server stops saying LOADING, keeps
// serving, and the link retries until it syncs.
func TestReplicaLinkPanicIsRecovered(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master")
	setKeys(t, ctx, m, "k:", 1000)
	for _, load := range []string{"disabled", "swapdb"} {
		t.Run(load, func(t *testing.T) {
			r := startReplTandem(t, "replica", "--repl-diskless-load", load)
			mustDo(t, ctx, r.c, "DEBUG", "REPLICA-LOAD-PANIC")
			r.replicaOf(t, ctx, m.port())
			waitLinkUp(t, ctx, r)
			waitOffsetsMatch(t, ctx, m, r)
			if got := r.c.DBSize(ctx).Val(); got != 1000 {
				t.Fatalf("replica has %d keys, want 1000", got)
			}
			if inf := r.info(ctx, "persistence"); inf["loading"] != "0" {
				t.Fatalf("loading:%s after the panic", inf["loading"])
			}
			log := r.proc.LogText()
			i := strings.Index(log, "Internal error in the replication link")
			if i < 0 {
				t.Fatalf("the panic was not logged:\n%s", tailText(log, 40))
			}
			line := log[strings.LastIndex(log[:i], "\n")+1:]
			if !strings.Contains(line[:min(len(line), 60)], " # ") {
				t.Fatalf("the panic was not logged at warning level: %q", line[:min(len(line), 100)])
			}
			if !strings.Contains(log[i:], "DEBUG REPLICA-LOAD-PANIC") || !strings.Contains(log[i:], "internal/repl.(*link).loadPolitely") {
				t.Fatalf("the panic's log has no value or stack:\n%s", replTrunc(log[i:], 3000))
			}
			if got := m.stat(t, ctx, "sync_full"); got < 2 {
				t.Fatalf("sync_full %d: the link did not retry", got)
			}
		})
	}
}

// A chunk of the master's stream that holds several GETACKs (a replica
// that fell behind reads them in one go) gets one ACK per GETACK, each
// with the offset before its own GETACK, in order, as Redis answers; the
// replica sends them together once the chunk is applied.
func TestReplicaAnswersEveryGETACKOfAChunk(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, replWait)
	const id = "1ba9fe0fa82bab35ddc9ff0662584d7570d257ec"
	cmd := func(args ...string) string {
		s := "*" + strconv.Itoa(len(args)) + "\r\n"
		for _, a := range args {
			s += "$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n"
		}
		return s
	}
	setA, setB, getack := cmd("SET", "a", "1"), cmd("SET", "b", "22"), cmd("REPLCONF", "GETACK", "*")
	chunk := setA + getack + getack + setB + getack
	want := []string{
		strconv.Itoa(len(setA)),
		strconv.Itoa(len(setA + getack)),
		strconv.Itoa(len(setA + getack + getack + setB)),
	}
	whole := strconv.Itoa(len(chunk)) // what a periodic ACK says afterwards

	empty := emptyRDB(t)
	acks := make(chan []string, 1)
	fm := startFakeMaster(t, func(int, []string) []byte {
		return []byte("+FULLRESYNC " + id + " 0\r\n$" + strconv.Itoa(len(empty)) + "\r\n" + string(empty))
	})
	fm.after = func(c net.Conn, br *bufio.Reader) {
		var got []string
		defer func() { acks <- got }()
		// Until the replica has loaded: then one write, one chunk.
		time.Sleep(300 * time.Millisecond)
		c.Write([]byte(chunk))
		for len(got) < len(want) {
			args, err := readCommand(br)
			if err != nil {
				return
			}
			if len(args) == 3 && strings.EqualFold(args[0], "replconf") && strings.EqualFold(args[1], "ack") &&
				args[2] != "0" && args[2] != whole {
				got = append(got, args[2])
			}
		}
	}
	r := startReplTandem(t, "replica")
	mustDo(t, ctx, r.c, "REPLICAOF", "127.0.0.1", fm.port)
	select {
	case got := <-acks:
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("ACK offsets %v, want %v", got, want)
		}
	case <-ctx.Done():
		t.Fatal("no ACKs in time")
	}
	if v, err := r.c.Get(ctx, "b").Result(); err != nil || v != "22" {
		t.Fatalf("GET b: %q, %v", v, err)
	}
}
