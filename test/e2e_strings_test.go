package test

import (
	"bytes"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// TestRandomStringOpsMatchRedis drives both servers with the same random
// sequence of range and bit commands over random binary values and
// compares every reply.
func TestRandomStringOpsMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	td, rd := dialRaw(t, tandem.Addr()), dialRaw(t, ref.Addr())
	rng := rand.New(rand.NewSource(7))
	num := func() string {
		switch rng.Intn(6) {
		case 0:
			return strconv.Itoa(-rng.Intn(40))
		case 1:
			return strconv.Itoa(rng.Intn(300))
		default:
			return strconv.Itoa(rng.Intn(40))
		}
	}
	value := func() string {
		b := make([]byte, rng.Intn(24))
		rng.Read(b)
		if rng.Intn(3) == 0 {
			for i := range b {
				b[i] = "\x00\xff\x0f\xf0"[rng.Intn(4)]
			}
		}
		return string(b)
	}
	keys := []string{"a", "b", "c", "missing"}
	key := func() string { return keys[rng.Intn(len(keys))] }
	ops := []func() []string{
		func() []string { return []string{"SET", key(), value()} },
		func() []string { return []string{"APPEND", key(), value()} },
		func() []string { return []string{"GETRANGE", key(), num(), num()} },
		func() []string { return []string{"SETRANGE", key(), strconv.Itoa(rng.Intn(40)), value()} },
		func() []string { return []string{"STRLEN", key()} },
		func() []string { return []string{"GETBIT", key(), strconv.Itoa(rng.Intn(200))} },
		func() []string {
			return []string{"SETBIT", key(), strconv.Itoa(rng.Intn(200)), strconv.Itoa(rng.Intn(2))}
		},
		func() []string { return []string{"BITCOUNT", key()} },
		func() []string { return []string{"BITCOUNT", key(), num(), num()} },
		func() []string { return []string{"BITCOUNT", key(), num(), num(), "BIT"} },
		func() []string { return []string{"BITPOS", key(), strconv.Itoa(rng.Intn(2))} },
		func() []string { return []string{"BITPOS", key(), strconv.Itoa(rng.Intn(2)), num()} },
		func() []string { return []string{"BITPOS", key(), strconv.Itoa(rng.Intn(2)), num(), num()} },
		func() []string { return []string{"BITPOS", key(), strconv.Itoa(rng.Intn(2)), num(), num(), "BIT"} },
		func() []string {
			op := []string{"AND", "OR", "XOR", "NOT"}[rng.Intn(4)]
			if op == "NOT" {
				return []string{"BITOP", op, key(), key()}
			}
			return []string{"BITOP", op, key(), key(), key(), key()}
		},
		func() []string { return []string{"GET", key()} },
		func() []string { return []string{"INCRBY", key(), num()} },
		func() []string { return []string{"SET", key(), num()} },
		func() []string { return []string{"OBJECT", "ENCODING", key()} },
	}
	var history []string
	for i := 0; i < 3000; i++ {
		args := ops[rng.Intn(len(ops))]()
		history = append(history, fmt.Sprintf("%q", args))
		if got, want := td.do(args...), rd.do(args...); got != want {
			t.Fatalf("step %d %q:\ntandem %q\nredis  %q\nlast commands:\n%s", i, args, got, want, strings.Join(history[max(0, len(history)-12):], "\n"))
		}
	}
}

// TestIncrByFloatMatchesRedis: the long-double arithmetic and the
// formatting of INCRBYFLOAT give Redis's digits.
func TestIncrByFloatMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	td, rd := dialRaw(t, tandem.Addr()), dialRaw(t, ref.Addr())
	rng := rand.New(rand.NewSource(11))
	incs := []string{"0.1", "-0.1", "1e-5", "3.14159", "10.5", "1e10", "-1e10", "0.3333333333333333", "5.0e3", "1e17", "123456789.123456789", "-0.000001"}
	for i := 0; i < 600; i++ {
		k := fmt.Sprintf("f%d", i%5)
		args := []string{"INCRBYFLOAT", k, incs[rng.Intn(len(incs))]}
		if i%97 == 0 {
			args = []string{"SET", k, incs[rng.Intn(len(incs))]}
		}
		if got, want := td.do(args...), rd.do(args...); got != want {
			t.Fatalf("step %d %q:\ntandem %q\nredis  %q", i, args, got, want)
		}
	}
}

// TestStringsAreBinarySafeAndLarge: every byte value survives, and a 20 MB
// value can be written, appended to, ranged and read back.
func TestStringsAreBinarySafeAndLarge(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 60*time.Second)
	c := newClient(t, srv.Addr(), 3)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if err := c.Set(ctx, string(all), all, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, string(all)).Bytes(); err != nil || !bytes.Equal(v, all) {
		t.Fatalf("binary round trip: %v", err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 20<<20/16)
	if err := c.Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Append(ctx, "big", "tail").Result(); err != nil || n != int64(len(big)+4) {
		t.Fatalf("APPEND = %d, %v", n, err)
	}
	if s, err := c.GetRange(ctx, "big", -8, -1).Result(); err != nil || s != "cdeftail" {
		t.Fatalf("GETRANGE = %q, %v", s, err)
	}
	if _, err := c.SetRange(ctx, "big", 16, "XY").Result(); err != nil {
		t.Fatal(err)
	}
	v, err := c.Get(ctx, "big").Bytes()
	if err != nil || len(v) != len(big)+4 || string(v[14:20]) != "efXY23" {
		t.Fatalf("GET big: len %d, %v", len(v), err)
	}
	if n, err := c.BitCount(ctx, "big", nil).Result(); err != nil || n <= 0 {
		t.Fatalf("BITCOUNT big: %d %v", n, err)
	}
	// A value at proto-max-bulk-len's limit is refused with Redis's error.
	if err := c.SetRange(ctx, "huge", 512<<20, "x").Err(); err == nil || err.Error() != "ERR string exceeds maximum allowed size (proto-max-bulk-len)" {
		t.Fatalf("SETRANGE past 512MB: %v", err)
	}
}

// TestConcurrentCountersLoseNothing: parallel INCR/INCRBY/DECR from many
// connections add up exactly.
func TestConcurrentCountersLoseNothing(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 60*time.Second)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 8, MaxRetries: -1})
	defer c.Close()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				var err error
				switch i % 3 {
				case 0:
					err = c.Incr(ctx, "ctr").Err()
				case 1:
					err = c.IncrBy(ctx, "ctr", 5).Err()
				default:
					err = c.Decr(ctx, "ctr").Err()
				}
				if err != nil {
					t.Error(err)
					return
				}
				if err := c.Append(ctx, fmt.Sprintf("log%d", w%2), "x").Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	// Per worker: 84 INCR, 83 INCRBY 5, 83 DECR.
	if n, err := c.Get(ctx, "ctr").Int(); err != nil || n != 8*(84+83*5-83) {
		t.Fatalf("ctr = %d, %v", n, err)
	}
	for _, k := range []string{"log0", "log1"} {
		if n, _ := c.StrLen(ctx, k).Result(); n != 1000 {
			t.Fatalf("%s length %d", k, n)
		}
	}
}

// TestStringExpiryOptions: the TTL options of SET, SETEX, PSETEX, GETEX
// and KEEPTTL make keys really disappear (or not) on time.
func TestStringExpiryOptions(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 30*time.Second)
	c := newClient(t, srv.Addr(), 2)
	now := time.Now()
	c.Set(ctx, "px", "v", 100*time.Millisecond)
	c.SetEx(ctx, "ex", "v", time.Second)
	c.Do(ctx, "PSETEX", "psetex", 100, "v")
	c.Do(ctx, "SET", "pxat", "v", "PXAT", now.Add(100*time.Millisecond).UnixMilli())
	c.Set(ctx, "getex", "v", 0)
	c.GetEx(ctx, "getex", 100*time.Millisecond)
	c.Set(ctx, "keepttl", "v", 100*time.Millisecond)
	c.SetArgs(ctx, "keepttl", "v2", redis.SetArgs{KeepTTL: true})
	c.Set(ctx, "reset", "v", 100*time.Millisecond)
	c.Set(ctx, "reset", "v2", 0) // a plain SET drops the TTL
	c.Set(ctx, "persisted", "v", 100*time.Millisecond)
	c.GetEx(ctx, "persisted", 0)
	c.Do(ctx, "GETEX", "persisted", "PERSIST")
	testutil.Eventually(t, 5*time.Second, "short TTLs to pass", func() bool {
		n, _ := c.Exists(ctx, "px", "psetex", "pxat", "getex", "keepttl").Result()
		return n == 0
	})
	if n, _ := c.Exists(ctx, "ex", "reset", "persisted").Result(); n != 3 && time.Since(now) < 900*time.Millisecond {
		t.Fatalf("keys without a short TTL expired: %d left", n)
	}
	if v, _ := c.Get(ctx, "reset").Result(); v != "v2" {
		t.Fatalf("reset = %q", v)
	}
	if d, _ := c.TTL(ctx, "persisted").Result(); d != -1 {
		t.Fatalf("GETEX PERSIST: TTL %v", d)
	}
	testutil.Eventually(t, 5*time.Second, "SETEX 1s to pass", func() bool {
		n, _ := c.Exists(ctx, "ex").Result()
		return n == 0
	})
	if got := strings.Join(sorted(mustKeys(t, c)), ","); got != "persisted,reset" {
		t.Fatalf("keys left: %s", got)
	}
}

func mustKeys(t *testing.T, c *redis.Client) []string {
	t.Helper()
	keys, err := c.Keys(ctxFor(t, 5*time.Second), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
