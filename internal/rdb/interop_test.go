package rdb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/types"
)

// interopDataset has every kind in both its compact and its plain encoding,
// in several databases, with TTLs in the future.
func interopDataset(now time.Time) []*Entry {
	ttl := now.Add(time.Hour).UnixMilli()
	str := func(db int, key, val string, exp int64) *Entry {
		return &Entry{DB: db, Key: []byte(key), Kind: KindString, Str: []byte(val), ExpireAt: exp}
	}
	var bigHash []Pair
	for i := range 600 {
		bigHash = append(bigHash, Pair{Field: []byte(fmt.Sprintf("field:%d", i)), Value: []byte(strconv.Itoa(i * 7))})
	}
	var bigZSet []ZMember
	for i := range 300 {
		bigZSet = append(bigZSet, ZMember{[]byte(fmt.Sprintf("m%03d", i)), float64(i%50) / 7})
	}
	longList := bs(seq("item-%05d-"+strings.Repeat("q", 40), 0, 4999)...)
	ints := bs(seq("%d", 0, 99)...)
	return []*Entry{
		str(0, "str", "hello", NoExpiry),
		str(0, "int8", "-5", NoExpiry),
		str(0, "int32", "2147483647", ttl),
		str(0, "int64", "-9223372036854775808", NoExpiry),
		str(0, "not-int", "007", NoExpiry),
		str(0, "empty", "", NoExpiry),
		str(0, "binary", "\x00\x01\xff\r\n", NoExpiry),
		str(0, "compressible", strings.Repeat("tandem-", 20000), ttl+1),
		str(0, "incompressible", randomString(3000), NoExpiry),
		{DB: 0, Key: []byte("list"), Kind: KindList, ExpireAt: ttl, List: bs("a", "b", "1", "2", "-100", "70000", "4096", "-4097", "8388608", "9223372036854775807", "", "-0")},
		{DB: 0, Key: []byte("longlist"), Kind: KindList, ExpireAt: NoExpiry, List: longList},
		{DB: 0, Key: []byte("plainlist"), Kind: KindList, ExpireAt: NoExpiry, List: bs("small", strings.Repeat("P", 150), "small2", strings.Repeat("R", 300))},
		{DB: 0, Key: []byte("iset16"), Kind: KindSet, ExpireAt: NoExpiry, Set: bs("3", "1", "2", "-7")},
		{DB: 0, Key: []byte("iset64"), Kind: KindSet, ExpireAt: NoExpiry, Set: bs("-5", "1099511627776", "1")},
		{DB: 0, Key: []byte("set"), Kind: KindSet, ExpireAt: NoExpiry, Set: bs("a", "b", "c", "1")},
		{DB: 0, Key: []byte("bigintset"), Kind: KindSet, ExpireAt: NoExpiry, Set: bs(seq("%d", 0, 599)...)},
		{DB: 1, Key: []byte("hash"), Kind: KindHash, ExpireAt: ttl, Hash: pairs("f1", "v1", "f2", "2", "f3", "")},
		{DB: 1, Key: []byte("bighash"), Kind: KindHash, ExpireAt: NoExpiry, Hash: bigHash},
		{DB: 1, Key: []byte("widehash"), Kind: KindHash, ExpireAt: NoExpiry, Hash: pairs("f", strings.Repeat("w", 100))},
		{DB: 5, Key: []byte("zset"), Kind: KindZSet, ExpireAt: NoExpiry, ZSet: []ZMember{
			{[]byte("b"), 2.5}, {[]byte("a"), 1}, {[]byte("tenth"), 0.1}, {[]byte("pinf"), math.Inf(1)},
			{[]byte("ninf"), math.Inf(-1)}, {[]byte("big"), 1e20}, {[]byte("neg"), -3}, {[]byte("1"), 1}}},
		{DB: 5, Key: []byte("bigzset"), Kind: KindZSet, ExpireAt: NoExpiry, ZSet: bigZSet},
		{DB: 15, Key: []byte("last-db"), Kind: KindSet, ExpireAt: ttl, Set: ints},
		str(15, "k", "v", NoExpiry),
	}
}

func randomString(n int) string {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}

const interopLibrary = "#!lua name=tandemlib\nredis.register_function('tandemfn', function(keys, args) return 7 end)"

func TestInteropWithRedis(t *testing.T) {
	for _, bin := range []string{"redis-server", "redis-check-rdb"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not on PATH", bin)
		}
	}
	now := time.Now()
	data := interopDataset(now)
	for _, cfg := range []struct {
		name string
		opts EncodeOptions
	}{
		{"defaults", EncodeOptions{Compression: true, plainThreshold: 100}},
		{"plain types small nodes", EncodeOptions{DisableChecksum: true, Limits: limits(func(l *types.Limits) {
			l.ListMaxListpackSize, l.HashMaxListpackEntries, l.SetMaxIntsetEntries, l.ZSetMaxListpackEntries = 4, -1, -1, -1
		})}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "dump.rdb")
			writeInteropFile(t, path, cfg.opts, data)

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if out, err := exec.CommandContext(ctx, "redis-check-rdb", path).CombinedOutput(); err != nil {
				t.Fatalf("redis-check-rdb: %v\n%s", err, out)
			}
			srv := startRedis(ctx, t, dir)
			defer srv.stop(t)
			c := srv.client(t)
			checkRedisHolds(t, c, data, now)

			// Redis's own dump of the same data, in its encodings (the
			// listpacks it rebuilt, hashtables, skiplists), must decode to
			// the same dataset.
			if r := c.do(t, "SAVE"); r != "OK" {
				t.Fatalf("SAVE: %v", r)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var col collector
			if err := Load(f, &col, LoadOptions{Databases: 16}); err != nil {
				t.Fatalf("loading Redis's dump: %v", err)
			}
			want := make([]string, len(data))
			for i, e := range data {
				want[i] = normalize(e)
			}
			got := make([]string, len(col.entries))
			for i, e := range col.entries {
				got[i] = normalize(e)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("Redis's dump decodes differently:\n got %.2000q\nwant %.2000q", got, want)
			}
			if len(col.functions) != 1 || col.functions[0] != interopLibrary {
				t.Errorf("functions in Redis's dump: %q", col.functions)
			}
		})
	}
}

func writeInteropFile(t *testing.T, path string, opts EncodeOptions, data []*Entry) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := NewEncoder(f, opts)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(enc.Header())
	for _, kv := range [][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}, {"ctime", strconv.FormatInt(time.Now().Unix(), 10)}, {"used-mem", "1000000"}, {"aof-base", "0"}} {
		must(enc.Aux(kv[0], kv[1]))
	}
	must(enc.Function([]byte(interopLibrary)))
	for i, e := range data {
		if i == 0 || data[i-1].DB != e.DB {
			var size, expires uint64
			for _, o := range data {
				if o.DB == e.DB {
					size++
					if o.ExpireAt != NoExpiry {
						expires++
					}
				}
			}
			must(enc.SelectDB(e.DB))
			must(enc.ResizeDB(size, expires))
		}
		must(enc.WriteEntry(e))
	}
	must(enc.Finish())
	must(f.Close())
}

func checkRedisHolds(t *testing.T, c *respClient, data []*Entry, now time.Time) {
	t.Helper()
	perDB := map[int]int{}
	for _, e := range data {
		perDB[e.DB]++
		c.do(t, "SELECT", strconv.Itoa(e.DB))
		key := string(e.Key)
		if typ := c.do(t, "TYPE", key); typ != e.Kind.String() {
			t.Errorf("%s: TYPE %v, want %v", key, typ, e.Kind)
			continue
		}
		if px := c.do(t, "PEXPIRETIME", key); px != e.ExpireAt {
			t.Errorf("%s: PEXPIRETIME %v, want %d", key, px, e.ExpireAt)
		}
		var got, want []string
		switch e.Kind {
		case KindString:
			got, want = []string{c.do(t, "GET", key).(string)}, []string{string(e.Str)}
		case KindList:
			got, want = strs(c.do(t, "LRANGE", key, "0", "-1")), strs2(e.List)
		case KindSet:
			got, want = strs(c.do(t, "SMEMBERS", key)), strs2(e.Set)
			slices.Sort(got)
			slices.Sort(want)
		case KindHash:
			flat := strs(c.do(t, "HGETALL", key))
			for i := 0; i+1 < len(flat); i += 2 {
				got = append(got, flat[i]+"="+flat[i+1])
			}
			for _, p := range e.Hash {
				want = append(want, string(p.Field)+"="+string(p.Value))
			}
			slices.Sort(got)
			slices.Sort(want)
		case KindZSet:
			flat := strs(c.do(t, "ZRANGE", key, "0", "-1", "WITHSCORES"))
			for i := 0; i+1 < len(flat); i += 2 {
				f, err := strconv.ParseFloat(flat[i+1], 64)
				if err != nil {
					t.Errorf("%s: score %q", key, flat[i+1])
				}
				got = append(got, flat[i]+":"+strconv.FormatFloat(f, 'g', -1, 64))
			}
			sorted := slices.Clone(e.ZSet)
			slices.SortFunc(sorted, func(a, b ZMember) int {
				if a.Score != b.Score {
					return cmpFloat(a.Score, b.Score)
				}
				return bytes.Compare(a.Member, b.Member)
			})
			for _, m := range sorted {
				want = append(want, string(m.Member)+":"+strconv.FormatFloat(m.Score, 'g', -1, 64))
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s (db %d):\n got %.300q\nwant %.300q", key, e.DB, got, want)
		}
	}
	for db := range 16 {
		c.do(t, "SELECT", strconv.Itoa(db))
		if n := c.do(t, "DBSIZE"); n != int64(perDB[db]) {
			t.Errorf("db %d: DBSIZE %v, want %d", db, n, perDB[db])
		}
	}
	if lib := fmt.Sprint(c.do(t, "FCALL", "tandemfn", "0")); lib != "7" {
		t.Errorf("FCALL tandemfn: %v", lib)
	}
}

func cmpFloat(a, b float64) int {
	if a < b {
		return -1
	}
	return 1
}

func strs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, len(arr))
	for i, x := range arr {
		out[i], _ = x.(string)
	}
	return out
}

func strs2(b [][]byte) []string {
	out := make([]string, len(b))
	for i, x := range b {
		out[i] = string(x)
	}
	return out
}

// redisServer is one redis-server process started by a test.
type redisServer struct {
	cmd  *exec.Cmd
	port int
	out  *bytes.Buffer
	done chan error
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startRedis(ctx context.Context, t *testing.T, dir string) *redisServer {
	t.Helper()
	port := freePort(t)
	s := &redisServer{port: port, out: new(bytes.Buffer), done: make(chan error, 1)}
	s.cmd = exec.CommandContext(ctx, "redis-server",
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "dump.rdb",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--databases", "16")
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c := &respClient{conn: conn, r: bufio.NewReader(conn)}
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			reply, err := c.call("PING")
			conn.Close()
			if err == nil && reply == "PONG" {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("redis-server exited (%v):\n%s", err, s.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop(t)
			t.Fatalf("redis-server not ready:\n%s", s.out)
		}
	}
}

func (s *redisServer) client(t *testing.T) *respClient {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &respClient{conn: conn, r: bufio.NewReader(conn)}
}

// stop asks the server to exit and kills it (this process only) if it does
// not within the deadline.
func (s *redisServer) stop(t *testing.T) {
	if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second); err == nil {
		c := &respClient{conn: conn, r: bufio.NewReader(conn)}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.call("SHUTDOWN", "NOSAVE")
		conn.Close()
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Errorf("redis-server did not shut down; killed pid %d", s.cmd.Process.Pid)
	}
}

// respClient is a minimal RESP2 client, enough to read values back.
type respClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func (c *respClient) do(t *testing.T, args ...string) any {
	t.Helper()
	_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	v, err := c.call(args...)
	if err != nil {
		t.Fatalf("%s: %v", args[0], err)
	}
	return v
}

func (c *respClient) call(args ...string) (any, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.conn.Write(b.Bytes()); err != nil {
		return nil, err
	}
	return c.read()
}

func (c *respClient) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, errors.New(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected reply %q", line)
}
