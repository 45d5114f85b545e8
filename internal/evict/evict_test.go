package evict

import (
	"runtime/debug"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
)

func newTestManager(t *testing.T, max uint64, policy config.EvictionPolicy) (*Manager, *keyspace.Keyspace) {
	t.Helper()
	ks := keyspace.New(16)
	eng := command.NewEngine(ks)
	cfg := config.New()
	cfg.MaxMemory, cfg.MaxMemoryPolicy = max, policy
	m := New(Options{Engine: eng, Config: cfg})
	m.Apply(cfg)
	t.Cleanup(m.Release)
	return m, ks
}

// The pool keeps the best 16 candidates sorted by score, drops a worse
// candidate when full, and never holds a key twice.
func TestPoolKeepsTheBestCandidates(t *testing.T) {
	m := &Manager{}
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = string(rune('a'+i%26)) + string(rune('A'+i/26))
		m.offer(uint64((i*7)%40), keys[i], 0)
	}
	// i=17 again (score 39): a sampled key aliases its node's buffer, so
	// the same key comes back as the same string.
	m.offer(39, keys[17], 0)
	prev := uint64(0)
	for i, pe := range m.pool {
		if !pe.used {
			t.Fatalf("slot %d empty after 40 offers", i)
		}
		if pe.score < prev {
			t.Fatalf("pool not sorted at %d: %d after %d", i, pe.score, prev)
		}
		prev = pe.score
	}
	if m.pool[0].score != 24 || m.pool[poolSize-1].score != 39 {
		t.Fatalf("pool holds %d..%d, want the best 16 (24..39)", m.pool[0].score, m.pool[poolSize-1].score)
	}
}

// maxmemory-eviction-tenacity maps to Redis's time limits.
func TestTenacityTimeLimit(t *testing.T) {
	m, _ := newTestManager(t, 0, config.NoEviction)
	for _, tc := range []struct {
		t    int
		want time.Duration
	}{{0, 0}, {1, 50 * time.Microsecond}, {10, 500 * time.Microsecond}, {11, 575 * time.Microsecond}, {100, time.Duration(1<<63 - 1)}} {
		m.cfg.MaxMemoryEvictionTenacity = tc.t
		if got := m.timeLimit(); got != tc.want {
			t.Errorf("tenacity %d: %v, want %v", tc.t, got, tc.want)
		}
	}
}

// Perform evicts under every policy until the account is under the limit;
// noeviction and volatile policies without volatile keys report Fail.
func TestPerformEvictsUnderEveryPolicy(t *testing.T) {
	for _, p := range []config.EvictionPolicy{config.AllKeysLRU, config.AllKeysLFU, config.AllKeysRandom,
		config.VolatileLRU, config.VolatileLFU, config.VolatileRandom, config.VolatileTTL, config.NoEviction} {
		t.Run(p.String(), func(t *testing.T) {
			m, ks := newTestManager(t, 0, p)
			val := make([]byte, 1000)
			for i := 0; i < 3000; i++ {
				db := ks.DBs[i%3]
				k := []byte{byte(i), byte(i >> 8), 'k'}
				db.SetString(k, val, false)
				if i%2 == 0 {
					db.SetExpire(k, 1<<50+int64(i))
				}
			}
			m.cfg.MaxMemory = 1 << 40 // the reserve counts only under a limit
			m.cfg.MaxMemory = uint64(m.Used() / 2)
			m.cfg.MaxMemoryEvictionTenacity = 100
			r := m.Perform()
			switch {
			case p == config.NoEviction:
				if r != Fail || m.evicted != 0 {
					t.Fatalf("noeviction: %v, evicted %d", r, m.evicted)
				}
			case r != OK || m.Used() > int64(m.cfg.MaxMemory):
				t.Fatalf("%v: result %v, used %d > %d", p, r, m.Used(), m.cfg.MaxMemory)
			}
			if p >= config.VolatileLRU && p <= config.VolatileTTL {
				// Only keys with a TTL went: the others are all there.
				n := 0
				for _, db := range ks.DBs {
					n += db.Len() - db.ExpiresLen()
				}
				if n != 1500 {
					t.Fatalf("%v evicted keys without a TTL: %d left of 1500", p, n)
				}
				m.cfg.MaxMemory = 1
				if r := m.Perform(); r != Fail {
					t.Fatalf("%v with no volatile key left: %v", p, r)
				}
			}
		})
	}
}

// A SET under eviction allocates nothing in the keyspace and the
// eviction: the evicted key's node and buffer take the new key
// (keyspace/recycle.go), and its DEL is built in reused buffers. Each
// allocation there is garbage the collector must chase, which was a sixth
// of the server's CPU time under bench/maxmemory.sh.
func TestEvictingWriteAllocatesNothing(t *testing.T) {
	m, ks := newTestManager(t, 0, config.AllKeysLRU)
	db := ks.DBs[0]
	key := []byte("key:000000000000")
	val := make([]byte, 100)
	setKey := func(i int) {
		for j := len(key) - 1; j >= 4; j-- {
			key[j] = byte('0' + i%10)
			i /= 10
		}
		db.SetString(key, val, false)
	}
	for i := 0; i < 20000; i++ {
		setKey(i)
	}
	m.cfg.MaxMemory = 1 << 40 // the reserve counts only under a limit
	m.cfg.MaxMemory = uint64(m.Used())
	next := 20000
	allocs := testing.AllocsPerRun(2000, func() {
		setKey(next)
		next++
		if m.Perform() != OK {
			t.Fatal("eviction failed")
		}
	})
	if m.evicted < 1000 {
		t.Fatalf("only %d keys evicted", m.evicted)
	}
	if allocs > 0.1 {
		t.Fatalf("%.2f allocations a SET under eviction, want none", allocs)
	}
	// Every key left holds what was written to it.
	n := 0
	for i := 0; i < next; i++ {
		for j, x := len(key)-1, i; j >= 4; j-- {
			key[j] = byte('0' + x%10)
			x /= 10
		}
		if e := db.Peek(key); e != nil {
			n++
			if e.Key() != string(key) || e.Str() != string(val) {
				t.Fatalf("key %s holds %q=%q", key, e.Key(), e.Str())
			}
		}
	}
	if n != db.Len() {
		t.Fatalf("%d keys found of %d", n, db.Len())
	}
}

// The collector's GOGC under maxmemory lets the heap grow to its goal at
// the limit, within [gcPercent, maxGCPercent], in steps of 5.
func TestGCPercentFor(t *testing.T) {
	for _, tc := range []struct {
		target, live int64
		want         int
	}{
		{1000, 0, maxGCPercent},   // nothing marked yet
		{1000, 100, maxGCPercent}, // far below: at most doubling
		{1000, 500, maxGCPercent},
		{1000, 700, 40}, // 42% of room, down to a step of 5
		{1000, 800, 25},
		{1000, 900, gcPercent}, // 11%: never below the limit's GOGC
		{1000, 1000, gcPercent},
		{1000, 5000, gcPercent}, // above the goal (clients, a burst)
	} {
		if got := gcPercentFor(tc.target, tc.live); got != tc.want {
			t.Errorf("gcPercentFor(%d, %d) = %d, want %d", tc.target, tc.live, got, tc.want)
		}
	}
}

// pace sets the process's GOGC from the live heap and maxmemory: the
// most room far below the limit, the limit's GOGC at it, and the
// process's own GOGC back once maxmemory is removed.
func TestPaceFollowsTheRoomUnderTheLimit(t *testing.T) {
	gogc := func() int { p := debug.SetGCPercent(100); debug.SetGCPercent(p); return p }
	orig := gogc()
	m, _ := newTestManager(t, 1<<40, config.AllKeysLRU)
	if got := gogc(); got != maxGCPercent {
		t.Fatalf("maxmemory 1 TB, a small heap: GOGC %d, want %d", got, maxGCPercent)
	}
	m.cfg.MaxMemory = 1 << 10 // below the test binary's own heap
	m.Apply(m.cfg)
	if got := gogc(); got != gcPercent {
		t.Fatalf("maxmemory 1 KB: GOGC %d, want %d", got, gcPercent)
	}
	m.cfg.MaxMemory = 0
	m.Apply(m.cfg)
	if got := gogc(); got != orig {
		t.Fatalf("maxmemory 0: GOGC %d, want the process's %d back", got, orig)
	}
}
