// Package evict is maxmemory: it measures the memory the dataset uses,
// compares it with the limit before each command, evicts keys under the
// configured maxmemory-policy, refuses commands that may grow memory
// (the denyoom flag) with Redis's -OOM error when nothing more can be
// evicted, and keeps evicting in the background when a burst left the
// server above the limit.
//
// # What is measured
//
// Redis compares maxmemory with its allocator's count of live bytes, minus
// the replication and AOF buffers (mem_not_counted_for_evict). Go has no
// such count: the heap figures include the garbage not collected yet,
// which under the default GOGC is up to as much again as the live data,
// so a limit checked against them would evict half the data for nothing
// before each collection. Tandem keeps a dataset account instead
// (internal/keyspace memory.go): every write adds the bytes it allocates
// (node, key, value rounded to Go's size classes; collections estimated
// in O(1) from their encodings and a sample of their strings), every
// delete subtracts them, and the tables and expiry maps are added when
// read. What is compared with maxmemory is
//
//	used_memory_startup + dataset account + reserve + clients
//
// where used_memory_startup is the live heap when the instance started,
// and the reserve and the clients are described below. The replication backlog and the AOF buffer are reported on top of it
// (used_memory, mem_not_counted_for_evict) and, as in Redis, not counted
// for eviction.
//
// The account bounds the live data; the garbage is bounded by running the
// collector with a GOGC of 15 at the limit (see gcPercent and pace), and
// that room, with what the runtime keeps beside the heap, is counted as a
// reserve of 20% of the account (gcReserve) while maxmemory is set, so
// that the process, not only its live data, stays near maxmemory: RSS
// 1.02x maxmemory under a write load that evicts and recycles its nodes,
// 1.16x under one that makes garbage (Redis's jemalloc: 1.12-1.14x).
// Clients' buffers are counted too (normal and pub/sub clients, our master's link: query
// buffers, queued MULTI, replies waiting to be written; see
// server.heldMem), as Redis's used_memory holds them; the replicas' memory is not compared with the
// limit. The GOGC is process-wide: when several instances are embedded
// in one process, the last one configured sets it.
//
// # How keys are chosen
//
// As in Redis's evict.c: the LRU, LFU and TTL policies keep a pool of 16
// candidates, refilled on each pick by sampling maxmemory-samples keys of
// every database (from the main table for allkeys-*, from the keys with a
// TTL for volatile-*), ranked by idle time, 255 minus the LFU counter, or
// time to expiry; the best candidate still present is evicted. The random
// policies take a random key from the next database in turn. Each
// eviction is propagated as a DEL (command.Engine.KeyEvicted).
//
// # What a SET under eviction costs
//
// An evicted plain string's node and buffer are kept for the next new key
// (keyspace/recycle.go), and the DEL is built in reused buffers, so that
// a write load at the limit allocates nothing for its keys: the
// collector, which must mark the whole live heap each time a GOGC's share
// of it has been allocated, then hardly runs. What is left is mostly
// sampling, whose cost is cache misses on randomly placed nodes, as in
// Redis (keyspace's sample overlaps them). Under bench/maxmemory.sh this
// took the server's CPU a SET from 5.6-7.7 µs to 2.5-3.5 µs (Redis 2.4-3.8
// in the same runs), and RSS at the end of the load from 1.10-1.16x
// maxmemory to 0.93-0.94x (the reserve below still bounds it when
// recycling does not apply: other types, growing values, a snapshot
// running). Since such a load makes no garbage, the reserve was then
// lowered from 32% to 20% with the GOGC from 25 to 15: 1.02-1.04x, and
// 10% more keys held (see reservePercent). An evicted small list is kept
// the same way for the next LPUSH or RPUSH that creates a key: LPUSHes to
// new keys under eviction went from 5.2-6.2 µs to 2.7-3.7 a write (Redis
// 3.4-4.6) and their RSS from 1.15-1.20x maxmemory to 1.03x.
//
// Locking: every method is called with the server lock held.
package evict

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/server"
)

// clockBase is the origin of the eviction rounds' monotonic clock.
var clockBase = time.Now()

// OOMError is the refusal of a command that may grow memory (Redis's
// shared.oomerr).
const OOMError = "OOM command not allowed when used memory > 'maxmemory'."

// Result is what an eviction round achieved (Redis's EVICT_*).
type Result int

const (
	// OK: under the limit, or evicting is not possible now.
	OK Result = iota
	// Running: over the limit, and the background eviction goes on.
	Running
	// Fail: over the limit with nothing left to evict.
	Fail
)

// Options are what the manager needs from the instance.
type Options struct {
	Engine *command.Engine
	Config *config.Config
	// IsReplica reports whether we replicate from a master (replicas
	// ignore maxmemory under replica-ignore-maxmemory yes).
	IsReplica func() bool
	// Backlog and AOFBuffer are the memory of the replication backlog
	// and of the AOF buffer (mem_not_counted_for_evict); nil: none.
	Backlog, AOFBuffer func() int64
	// Clients is the clients' memory: counted is what is compared with
	// maxmemory (normal and pub/sub clients, our master's link), replicas
	// is not (mem_clients_slaves); nil: none.
	Clients func() (counted, replicas int64)
	// Startup is the heap in use when the instance started
	// (used_memory_startup).
	Startup int64
	// Paused reports whether writes are paused (CLIENT PAUSE, a
	// failover): the dataset must stay still, so nothing is evicted.
	Paused func() bool
}

// poolSize is the eviction pool's size (Redis's EVPOOL_SIZE).
const poolSize = 16

type poolEntry struct {
	score uint64
	key   string
	db    int
	used  bool
}

// Manager applies maxmemory to one instance.
type Manager struct {
	opt Options
	ks  *keyspace.Keyspace
	eng *command.Engine
	cfg *config.Config

	pool [poolSize]poolEntry
	// policy is the maxmemory-policy the pool was filled under.
	policy config.EvictionPolicy
	nextDB int
	// oom is what the last check before a top-level command found: over
	// the limit with nothing to evict. EXEC's queued commands and a
	// script's calls are judged by it (Redis's script_oom).
	oom bool
	// running: background eviction is under way (wake asks for it).
	running bool
	wake    func()

	// Stats (INFO).
	evicted       int64
	exceededSince time.Time // zero when not over the limit
	exceededTotal time.Duration
	// memLimitSet: debug.SetMemoryLimit was called by us; origLimit is
	// what it was before.
	memLimitSet bool
	origLimit   int64
	origGC      int
	// gcSet is the GOGC we set last (pace); liveHeap reads what the last
	// collection found live (what the collector's goal is computed from).
	gcSet    int
	liveHeap []metrics.Sample
	// exempt is the part of the dataset counted without a reserve
	// (gcReserve): the dataset when maxmemory was set on a running
	// server, less what eviction took since (a key evicted is taken
	// from it first) and never more than the dataset.
	exempt int64
}

// New returns a manager; call Apply once the configuration is loaded.
func New(opt Options) *Manager {
	if opt.IsReplica == nil {
		opt.IsReplica = func() bool { return false }
	}
	if opt.Paused == nil {
		opt.Paused = func() bool { return false }
	}
	m := &Manager{opt: opt, ks: opt.Engine.KS, eng: opt.Engine, cfg: opt.Config}
	m.ks.SetOverLimit(m.overLimit)
	return m
}

// overLimit reports whether more bytes would take the memory used over
// maxmemory (Redis's overMaxmemoryAfterAlloc).
func (m *Manager) overLimit(more int64) bool {
	max := m.cfg.MaxMemory
	if max == 0 || max > math.MaxInt64 {
		return false
	}
	return m.Used()+more > int64(max)
}

// SetWaker gives the manager the way to ask for background eviction
// steps (a loop task's Wake); without one the cron does them.
func (m *Manager) SetWaker(wake func()) { m.wake = wake }

// Apply takes the current configuration: the keyspace's access tracking
// (LRU or LFU), Go's memory limit, and, when the limit is now below what
// is used, eviction in the background right after the command (CONFIG SET
// maxmemory), as Redis's updateMaxmemory does.
func (m *Manager) Apply(c *config.Config) error {
	p := c.MaxMemoryPolicy
	if p != m.policy {
		// The random policies evict without the pool: its candidates
		// could then name a buffer an evicted node recycled for another
		// key (keyspace/recycle.go). They would also be ranked by the
		// other policy's scores.
		m.pool = [poolSize]poolEntry{}
		m.policy = p
	}
	m.ks.SetLFU(p == config.AllKeysLFU || p == config.VolatileLFU, c.LFULogFactor, c.LFUDecayTime)
	m.ks.SetLRUPolicy(p == config.AllKeysLRU || p == config.VolatileLRU)
	m.ks.SetSharedIntegers(c.MaxMemory == 0 || !(p == config.AllKeysLFU || p == config.VolatileLFU ||
		p == config.AllKeysLRU || p == config.VolatileLRU))
	m.setMemLimit(c.MaxMemory)
	if c.MaxMemory > 0 {
		// As Redis's updateMaxmemory: the background eviction starts, so
		// that a CONFIG SET inside EXEC or a script does not delete keys
		// in the middle of it, and the DELs go out on their own.
		m.startBackground()
	}
	return nil
}

// gcPercent is the collector's GOGC at the limit: the heap may grow by
// 15% of the live data before the next collection (the reserve counted
// with the data, gcReserve, holds that room). Below the limit the
// collector is given more (pace).
//
// Why a GOGC and not a memory limit (debug.SetMemoryLimit) tied to
// maxmemory: the limit bounds the runtime's whole memory, so the room
// left to the heap between collections is the limit minus the live data
// minus everything else the runtime holds (free pages, metadata: about
// 12 MiB at 100 MB of data). With the live data counted alone against
// maxmemory (before the reserve), a limit of maxmemory + a tenth left
// almost no room: 159 collections in 2M SETs, 19.7k SET/s (Redis 82k),
// and + a quarter ran away over 10M SETs (4k SET/s). The cause is that
// room, not the limit itself: with the live data held at 1/1.3 of
// maxmemory, a limit of 1.12x maxmemory ran steadily, but with 30-50%
// more collection work than a GOGC of 25 for the same RSS (96-111
// collections of a 79 MB heap in 3M SETs, against 76 of a 73 MB heap),
// since the writers must help mark once the heap nears a hard goal. A
// GOGC paces collections by what was allocated since the last one, and
// the reserve bounds the process.
//
// Why 15 (it was 25, with a reserve of 32%): a write load at the limit
// that recycles evicted nodes (keyspace/recycle.go) allocates nothing,
// so the GOGC costs it nothing, while every point of reserve is keys a
// cache cannot hold. See reservePercent for the measurements.
const gcPercent = 15

// maxGCPercent bounds pace: below the limit the heap may at most double
// between collections, as under Go's default GOGC, so that a small
// dataset under a large maxmemory does not take the room in garbage.
const maxGCPercent = 100

// gcPercentFor is the GOGC that lets a heap whose last collection found
// live bytes grow to target before the next one, within [gcPercent,
// maxGCPercent] and in steps of 5 (so that small changes of the live
// heap do not reset the collector's goal at every cron tick).
func gcPercentFor(target, live int64) int {
	if live <= 0 {
		return maxGCPercent
	}
	p := (target - live) * 100 / live
	p -= p % 5
	return int(max(gcPercent, min(p, maxGCPercent)))
}

// heapTarget is the heap's goal once the dataset reaches the limit: the
// live heap then (used_memory_startup plus the account that maxmemory
// leaves once the reserve is counted) plus gcPercent of it.
func (m *Manager) heapTarget(max int64) int64 {
	live := m.opt.Startup + (max-m.opt.Startup)*100/(100+reservePercent)
	return live * (100 + gcPercent) / 100
}

// pace sets the collector's GOGC for the room left under maxmemory
// (Cron, Apply). A load filling the dataset up to the limit allocates
// mostly live data, so collections during it mark a growing heap for
// little garbage: a fill to 100 MB made 19 collections at a GOGC of 25
// (375 ms of CPU, 0.125 µs a SET over bench/maxmemory.sh's 3M SETs) and
// 28 at 15. Below the limit the heap may instead grow up to the goal it
// has at the limit (heapTarget), and at most double: the RSS stays under
// its steady state and the fill makes 6 collections (116 ms). Not during
// a load, which sets its own GOGC (persist.Load).
func (m *Manager) pace() {
	max := m.cfg.MaxMemory
	if !m.memLimitSet || max == 0 || max > math.MaxInt64/4 || m.ks.ExpireMode() == keyspace.ExpireLoading {
		return
	}
	if m.liveHeap == nil {
		m.liveHeap = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	}
	metrics.Read(m.liveHeap)
	if m.liveHeap[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := int64(m.liveHeap[0].Value.Uint64())
	if p := gcPercentFor(m.heapTarget(int64(max)), live); p != m.gcSet {
		debug.SetGCPercent(p)
		m.gcSet = p
	}
}

// memLimitFor is a safety net only: a soft memory limit far above what
// gcPercent leads to, for a heap that grows beyond the dataset (buffers).
func memLimitFor(max, startup int64) int64 { return 2*max + startup + 64<<20 }

func (m *Manager) setMemLimit(max uint64) {
	if max == 0 || max > math.MaxInt64/4 {
		m.exempt = 0
		if m.memLimitSet {
			debug.SetMemoryLimit(m.origLimit)
			debug.SetGCPercent(m.origGC)
			m.memLimitSet = false
		}
		return
	}
	if !m.memLimitSet {
		m.exempt = m.ks.DatasetBytes()
		m.origLimit = debug.SetMemoryLimit(-1)
		m.origGC = debug.SetGCPercent(gcPercent)
		m.gcSet = gcPercent
		m.memLimitSet = true
	}
	debug.SetMemoryLimit(memLimitFor(int64(max), m.opt.Startup))
	m.pace()
}

// Release gives the process its memory limit back (the instance stops).
func (m *Manager) Release() { m.setMemLimit(0) }

// Used is the memory compared with maxmemory: the start-up heap plus the
// dataset account.
func (m *Manager) Used() int64 {
	d := m.ks.DatasetBytes()
	m.exempt = min(m.exempt, d)
	n := m.opt.Startup + d + m.gcReserve(d)
	if m.opt.Clients != nil {
		c, _ := m.opt.Clients()
		n += c
	}
	return n
}

// gcReserve is the room Go's runtime takes beside a live dataset of d
// bytes: the garbage the collector lets pile up before each collection
// (gcPercent of the live data), and the free slots, free pages and
// metadata it keeps besides. Redis's allocator returns a freed block at
// once, so its used_memory is its live data; ours cannot, so the reserve
// is counted with the data (used_memory, and what maxmemory is compared
// with), and the process, not only its live heap, stays near maxmemory.
// See reservePercent for the measurements.
//
// Without maxmemory there is no reserve: the collector runs with the
// process's own GOGC and nothing is compared with a limit, so used_memory
// is the live data, as Redis's (its unit/memefficiency compares
// used_memory with the bytes written and fails with the reserve counted).
//
// The data present when a limit is set (CONFIG SET maxmemory on a server
// that has keys) is exempt until evictions take it (see exempt): a limit
// set a few KB above the used_memory read just before, as Redis's own
// tests set it (unit/maxmemory), must not evict a fifth of the data at
// once for a reserve that used_memory did not show. The reserve then
// grows in with the data written under the limit.
func (m *Manager) gcReserve(d int64) int64 {
	if m.cfg.MaxMemory == 0 {
		return 0
	}
	return max(0, d-m.exempt) * reservePercent / 100
}

// reservePercent is the reserve as a share of the dataset account: the
// collector's gcPercent plus what the runtime holds beyond the heap's
// goal (free pages its scavenger has not returned yet, metadata).
//
// Measured with bench/maxmemory.sh's loads (maxmemory 100mb allkeys-lru,
// 3M writes of 100 bytes on random keys, -c 50 -P 16; RSS at the end of
// the load / maxmemory, keys held), GOGC / reserve:
//
//	                      SET (recycled nodes)    LPUSH (new lists: garbage)
//	25 / 32% (before)     0.94, 420k keys         1.14-1.17, 271k keys, 4.7-5.1 µs
//	15 / 20%              1.02-1.04, 465k keys    1.15-1.16, 292k keys, 5.2-6.2 µs
//	10 / 15%              1.05, 486k keys         1.14, 305k keys, 9.3 µs
//	(Redis                1.12, 513k keys         1.12, 342k keys, 3.4-3.7 µs)
//
// and the hit ratio of the Zipf load at maxmemory 20mb (Redis: 107k keys,
// 79.4% LRU, 82.2% LFU) 77.6% / 81.0% with 89k keys at 25/32%, 78.5% /
// 81.7% with 98k at 15/20%, 79.0% LRU with 103k at 10/15%. The hit ratio
// follows the keys held alone: Redis under 17mb holds 89.5k keys and hits
// 77.7%, as we did under 20mb with 89k (load 3-6; at load 8-10 the LPUSH
// RSS of both builds reached 1.18-1.22). 15/20% keeps both loads' RSS
// where 25/32% had it and the hit ratio within a point of Redis's, at
// the price of about a fifth more CPU a write for a load that makes
// garbage (the LPUSHes), which is most of it collection; 10/15% took
// half as much again.
const reservePercent = 20

// safe reports whether evicting is allowed now (Redis's
// isSafeToPerformEvictions): not while loading, not on a replica that
// ignores maxmemory, not while writes are paused.
func (m *Manager) safe() bool {
	if m.ks.ExpireMode() == keyspace.ExpireLoading {
		return false
	}
	if m.cfg.ReplicaIgnoreMaxmemory && m.opt.IsReplica() {
		return false
	}
	return !m.opt.Paused()
}

// timeLimit is how long one round may evict (maxmemory-eviction-tenacity,
// Redis's evictionTimeLimitUs): 50 µs a step up to 10, then 15% more a
// step, unlimited at 100.
func (m *Manager) timeLimit() time.Duration {
	t := m.cfg.MaxMemoryEvictionTenacity
	switch {
	case t <= 10:
		return time.Duration(50*t) * time.Microsecond
	case t < 100:
		return time.Duration(500*math.Pow(1.15, float64(t)-10)) * time.Microsecond
	}
	return time.Duration(math.MaxInt64)
}

// Perform evicts until the memory used is under maxmemory, for at most the
// tenacity's time; past it, the background eviction carries on (Redis's
// performEvictions).
func (m *Manager) Perform() Result {
	max := m.cfg.MaxMemory
	if max == 0 {
		m.running = false
		m.noteResult(OK)
		return OK
	}
	if !m.safe() {
		return OK
	}
	used := m.Used()
	if used <= int64(max) {
		m.running = false
		m.noteResult(OK)
		return OK
	}
	if m.cfg.MaxMemoryPolicy == config.NoEviction {
		m.noteResult(Fail)
		return Fail
	}
	limit := m.timeLimit()
	// The round's clock is monotonic only (time.Since of a base with a
	// monotonic reading makes one clock read, time.Now two): it is read
	// before every SET at the limit.
	start := time.Since(clockBase)
	// What is freed is measured on the account (with its reserve):
	// evicting a key can grow what is not the account (a tracking
	// client's invalidation message), and that must not make this round
	// go on evicting for it (Redis's evict.c measures the same way).
	toFree := used - int64(max)
	var freed int64
	res := Fail
	for keys := 0; freed < toFree; {
		before := m.ks.DatasetBytes()
		usedBefore := before + m.gcReserve(before)
		db, key, ok := m.evictOne()
		if !ok {
			m.running = false
			m.noteResult(Fail)
			return Fail
		}
		after := m.ks.DatasetBytes()
		if m.exempt -= before - after; m.exempt < 0 {
			m.exempt = 0
		}
		freed += usedBefore - after - m.gcReserve(after)
		m.evicted++
		m.eng.KeyEvicted(db, key)
		keys++
		if keys%16 == 0 && time.Since(clockBase)-start > limit {
			m.startBackground()
			break
		}
	}
	res = OK
	if freed < toFree && m.running {
		res = Running
	} else if freed >= toFree {
		m.running = false
	}
	m.noteResult(res)
	return res
}

// startBackground asks for more eviction outside commands.
func (m *Manager) startBackground() {
	if m.running {
		return
	}
	m.running = true
	if m.wake != nil {
		m.wake()
	}
}

// Step is one background eviction round (a loop task's step, or the
// cron): it reports whether more are needed.
func (m *Manager) Step() bool {
	if !m.running {
		return false
	}
	if m.Perform() != Running {
		m.running = false
	}
	return m.running
}

// Cron paces the collector, and runs a background round when no loop
// task does.
func (m *Manager) Cron() {
	m.pace()
	if m.wake == nil {
		m.Step()
	}
}

// noteResult keeps the time spent over the limit (INFO's
// total/current_eviction_exceeded_time).
func (m *Manager) noteResult(r Result) {
	if r != OK {
		if m.exceededSince.IsZero() {
			m.exceededSince = time.Now()
		}
		return
	}
	if !m.exceededSince.IsZero() {
		m.exceededTotal += time.Since(m.exceededSince)
		m.exceededSince = time.Time{}
	}
}

// Gate is the check before a command (Redis's processCommand): an
// eviction round, then the OOM refusal of a command that may grow memory,
// or of anything but EXEC, DISCARD, QUIT and RESET inside MULTI (queueing
// takes memory). Commands of our master are never refused. Asked again
// inside a command (EXEC's queued commands, a script's first write),
// it judges by what the check before the command found.
func (m *Manager) Gate(sess *command.Session, spec *command.Spec, args [][]byte) string {
	if m.cfg.MaxMemory == 0 {
		m.oom = false
		return ""
	}
	obey := sess.Flags&command.FlagMaster != 0
	if m.eng.Depth() > 0 {
		if m.oom && !obey && spec.Flags&command.DenyOOM != 0 {
			return OOMError
		}
		return ""
	}
	m.oom = m.Perform() == Fail
	if !m.oom || obey {
		return ""
	}
	reject := spec.Flags&command.DenyOOM != 0
	if sess.InMulti() {
		switch spec.Name {
		case "exec", "discard", "quit", "reset":
		default:
			reject = true
		}
	}
	if reject {
		return OOMError
	}
	return ""
}

// MemoryStatus is the account for INFO and MEMORY STATS.
func (m *Manager) MemoryStatus() server.MemoryStatus {
	st := server.MemoryStatus{
		Startup:       m.opt.Startup,
		Dataset:       m.ks.DatasetBytes(),
		MaxMemory:     int64(min(m.cfg.MaxMemory, math.MaxInt64)),
		Policy:        m.cfg.MaxMemoryPolicy.String(),
		Evicted:       m.evicted,
		ExceededTotal: m.exceededTotal,
	}
	if m.opt.Backlog != nil {
		st.Backlog = m.opt.Backlog()
	}
	if m.opt.AOFBuffer != nil {
		st.AOFBuffer = m.opt.AOFBuffer()
	}
	if m.opt.Clients != nil {
		st.Clients, st.Replicas = m.opt.Clients()
	}
	st.NotCounted = st.Backlog + st.AOFBuffer + st.Replicas
	m.exempt = min(m.exempt, st.Dataset)
	st.GCReserve = m.gcReserve(st.Dataset)
	st.Used = st.Startup + st.Dataset + st.GCReserve + st.Clients + st.NotCounted
	if !m.exceededSince.IsZero() {
		st.ExceededCurrent = time.Since(m.exceededSince)
		st.ExceededTotal += st.ExceededCurrent
	}
	return st
}

// ResetStats zeroes evicted_keys and the time spent over the limit, as
// CONFIG RESETSTAT does in Redis: a stretch over the limit under way
// starts counting again at its next check.
func (m *Manager) ResetStats() {
	m.evicted = 0
	m.exceededTotal = 0
	m.exceededSince = time.Time{}
}

// OutOfMemory reports what the last check before a top-level command
// found: over maxmemory with nothing left to evict (the server stops
// reading a client whose unread replies pile up meanwhile).
func (m *Manager) OutOfMemory() bool { return m.oom }

var (
	_ server.Gate           = (*Manager)(nil)
	_ server.CronJob        = (*Manager)(nil)
	_ server.MemoryReporter = (*Manager)(nil)
)

// SetStartup sets the heap the instance started with
// (used_memory_startup).
func (m *Manager) SetStartup(n int64) { m.opt.Startup = n }

// maxStartup caps the start-up figure: several instances embedded in one
// process share the heap, and a later one must not count an earlier
// one's data as its own fixed overhead.
const maxStartup = 16 << 20

// StartupHeap measures the live heap now, after a collection (a few
// milliseconds at start-up, before any data is loaded).
func StartupHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return min(int64(ms.HeapAlloc), maxStartup)
}
