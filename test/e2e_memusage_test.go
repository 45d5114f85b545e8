package test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// memUsageFill builds one key of each type and encoding, the same on any
// server: the keys memUsageCases names.
const memUsageFill = `
redis.call('set','s:emb','bar')
redis.call('set','s:int','12345')
redis.call('set','s:raw',string.rep('x',100))
redis.call('set','s:big',string.rep('x',10000))
for i=1,10 do redis.call('rpush','l:small','item'..i) end
for i=1,10000 do redis.call('rpush','l:big','item'..i) end
for i=1,10 do redis.call('hset','h:small','field'..i,'value'..i) end
for i=1,1000 do redis.call('hset','h:big','field'..i,'value'..i) end
for i=1,100 do redis.call('sadd','set:int',i) end
for i=1,1000 do redis.call('sadd','set:big','member'..i) end
for i=1,10 do redis.call('zadd','z:small',i,'member'..i) end
for i=1,1000 do redis.call('zadd','z:big',i,'member'..i) end
for i=1,100 do redis.call('xadd','x:s','*','f','v'..i) end
return 1`

// memUsageCases: key → its encoding in Redis 7.0 (and Tandem).
var memUsageCases = []struct{ key, enc string }{
	{"s:emb", "embstr"}, {"s:int", "int"}, {"s:raw", "raw"}, {"s:big", "raw"},
	{"l:small", "quicklist"}, {"l:big", "quicklist"},
	{"h:small", "listpack"}, {"h:big", "hashtable"},
	{"set:int", "intset"}, {"set:big", "hashtable"},
	{"z:small", "listpack"}, {"z:big", "skiplist"},
	{"x:s", "stream"},
}

// memUsageNear is the tolerance of MEMORY USAGE against Redis's figure:
// 35%, or 96 bytes for small values. Tandem's figure is its own memory
// (a 64-byte table node per key where Redis has a 24-byte dictEntry and a
// 16-byte object header; Go's size classes; a B-tree where Redis has a
// skiplist), so it cannot be Redis's to the byte.
func memUsageNear(tandem, redis int64) bool {
	d := tandem - redis
	if d < 0 {
		d = -d
	}
	return d <= 96 || float64(d) <= 0.35*float64(redis)
}

// MEMORY USAGE sizes every type and encoding close to Redis's figure, with
// the default sampling and with SAMPLES 0 (every element).
func TestMemoryUsageIsNearRedisForEveryEncoding(t *testing.T) {
	r := startRedis(t)
	td := startTandem(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc, tc := newClient(t, r.Addr(), 2), newClient(t, td.Addr(), 2)
	for _, c := range []*redis.Client{rc, tc} {
		if err := c.Eval(ctx, memUsageFill, nil).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var report []string
	for _, tc2 := range memUsageCases {
		for _, samples := range []string{"", "0"} {
			args := []any{"MEMORY", "USAGE", tc2.key}
			if samples != "" {
				args = append(args, "SAMPLES", samples)
			}
			want, err := rc.Do(ctx, args...).Int64()
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.Do(ctx, args...).Int64()
			if err != nil {
				t.Fatal(err)
			}
			enc := tc.ObjectEncoding(ctx, tc2.key).Val()
			report = append(report, fmt.Sprintf("%s (%s) samples=%q: redis %d tandem %d", tc2.key, enc, samples, want, got))
			if enc != tc2.enc {
				t.Errorf("%s: encoding %q, want %q", tc2.key, enc, tc2.enc)
			}
			if !memUsageNear(got, want) {
				t.Errorf("MEMORY USAGE %s SAMPLES %q = %d, Redis %d: not within 35%% or 96 bytes", tc2.key, samples, got, want)
			}
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Log("\n" + strings.Join(report, "\n"))
	}
}
