package test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem"
	"github.com/tandemdb/tandem/internal/testutil"
)

// startEmbedded starts an in-process server and closes it when the test
// ends (Close is idempotent enough to be called again by the test).
func startEmbedded(t *testing.T, cfg tandem.Config) *tandem.Server {
	t.Helper()
	srv, err := tandem.Start(cfg)
	if err != nil {
		t.Fatalf("tandem.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestEmbeddedServerServesGoRedis: Start with the zero Config listens on
// a free loopback port, go-redis works against Addr, Close stops it.
func TestEmbeddedServerServesGoRedis(t *testing.T) {
	t.Parallel()
	srv := startEmbedded(t, tandem.Config{})
	addr := srv.Addr()
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("Addr() = %q", addr)
	}
	ctx := ctxFor(t, 20*time.Second)
	for _, proto := range []int{2, 3} {
		c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1})
		key := fmt.Sprintf("k%d", proto)
		if err := c.Set(ctx, key, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Get(ctx, key).Result(); err != nil || v != "v" {
			t.Fatalf("GET = %q, %v", v, err)
		}
		if n, err := c.Incr(ctx, "n").Result(); err != nil || n != int64(proto-1) {
			t.Fatalf("INCR = %d, %v", n, err)
		}
		pipe := c.Pipeline()
		for i := 0; i < 100; i++ {
			pipe.Set(ctx, fmt.Sprintf("p%d", i), i, 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	// The same process also answers redis-cli.
	_, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	if out := testutil.RedisCLI(t, p, "GET", "k2"); out != "v" {
		t.Fatalf("redis-cli GET = %q", out)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.SetDeadline(time.Now().Add(2 * time.Second))
		c.Write([]byte("PING\r\n"))
		buf := make([]byte, 16)
		n, _ := c.Read(buf)
		c.Close()
		if n > 0 {
			t.Fatalf("server still answers after Close: %q", buf[:n])
		}
	}
}

// TestTwoEmbeddedServersAreIndependent: two servers in one process each
// have their own data, configuration and clients.
func TestTwoEmbeddedServersAreIndependent(t *testing.T) {
	t.Parallel()
	a := startEmbedded(t, tandem.Config{})
	b := startEmbedded(t, tandem.Config{Directives: [][]string{{"requirepass", "bpass"}, {"databases", "4"}}})
	if a.Addr() == b.Addr() {
		t.Fatal("same address")
	}
	ctx := ctxFor(t, 20*time.Second)
	ca := redis.NewClient(&redis.Options{Addr: a.Addr(), MaxRetries: -1})
	defer ca.Close()
	cb := redis.NewClient(&redis.Options{Addr: b.Addr(), Password: "bpass", MaxRetries: -1})
	defer cb.Close()
	var wg sync.WaitGroup
	for _, c := range []*redis.Client{ca, cb} {
		wg.Add(1)
		go func(c *redis.Client) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if err := c.Incr(ctx, "shared-name").Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	ca.Set(ctx, "only-a", "1", 0)
	if n, _ := cb.Exists(ctx, "only-a").Result(); n != 0 {
		t.Fatal("a key written to a is visible in b")
	}
	for _, c := range []*redis.Client{ca, cb} {
		if n, _ := c.Get(ctx, "shared-name").Int(); n != 200 {
			t.Fatalf("counter = %d", n)
		}
	}
	if err := redis.NewClient(&redis.Options{Addr: b.Addr(), MaxRetries: -1}).Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("b without password: %v", err)
	}
	if v, _ := cb.ConfigGet(ctx, "databases").Result(); v["databases"] != "4" {
		t.Fatalf("b databases = %v", v)
	}
	if v, _ := ca.ConfigGet(ctx, "databases").Result(); v["databases"] != "16" {
		t.Fatalf("a databases = %v", v)
	}
	// Closing one leaves the other serving.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cb.Ping(ctx).Err(); err != nil {
		t.Fatalf("b after closing a: %v", err)
	}
}

// TestEmbeddedConfigErrorsAreReturned: a bad directive or file is an
// error from Start, not an exit of the host program.
func TestEmbeddedConfigErrorsAreReturned(t *testing.T) {
	t.Parallel()
	if _, err := tandem.Start(tandem.Config{Directives: [][]string{{"port", "notaport"}}}); err == nil {
		t.Fatal("bad port accepted")
	}
	if _, err := tandem.Start(tandem.Config{Directives: [][]string{{"nosuchdirective", "1"}}}); err == nil || !strings.Contains(err.Error(), "Bad directive or wrong number of arguments") {
		t.Fatalf("unknown directive: %v", err)
	}
	if _, err := tandem.Start(tandem.Config{ConfigFile: filepath.Join(t.TempDir(), "missing.conf")}); err == nil {
		t.Fatal("missing config file accepted")
	}
	if _, err := tandem.Start(tandem.Config{Directives: [][]string{{"rdb-del-sync-files", "yes"}}}); err == nil || !strings.Contains(err.Error(), "rdb-del-sync-files is not supported by Tandem yet") {
		t.Fatalf("rdb-del-sync-files yes: %v", err)
	}
	conf := filepath.Join(t.TempDir(), "e.conf")
	os.WriteFile(conf, []byte("hz 33\nproto-max-bulk-len 5mb\n"), 0o644)
	// With a ConfigFile, Redis's default save points apply: dir keeps the
	// dump Close saves out of the working directory.
	srv := startEmbedded(t, tandem.Config{ConfigFile: conf, Directives: [][]string{{"proto-max-bulk-len", "7mb"}, {"dir", t.TempDir()}}})
	ctx := ctxFor(t, 10*time.Second)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer c.Close()
	v, err := c.ConfigGet(ctx, "*").Result()
	if err != nil || v["hz"] != "33" || v["proto-max-bulk-len"] != "7340032" {
		t.Fatalf("hz=%s proto-max-bulk-len=%s (%v)", v["hz"], v["proto-max-bulk-len"], err)
	}
}

// TestEmbeddedServerOnGivenPort: Config.Port is honoured, and a port in use
// is an error.
func TestEmbeddedServerOnGivenPort(t *testing.T) {
	t.Parallel()
	port := testutil.FreePort(t)
	srv := startEmbedded(t, tandem.Config{Port: port, Directives: [][]string{{"bind", "127.0.0.1"}}})
	if want := fmt.Sprintf("127.0.0.1:%d", port); srv.Addr() != want {
		t.Fatalf("Addr() = %q, want %q", srv.Addr(), want)
	}
	if _, err := tandem.Start(tandem.Config{Port: port, Directives: [][]string{{"bind", "127.0.0.1"}}}); err == nil {
		t.Fatal("second server on the same port started")
	}
	if err := testutil.WaitPing(srv.Addr(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
}
