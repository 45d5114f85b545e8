package server

import (
	"fmt"
	"runtime"
	"time"

	"github.com/tandemdb/tandem/internal/command"
)

// MemoryReporter is maxmemory's account (internal/evict), for INFO memory
// and stats and MEMORY STATS/DOCTOR (srv.mu held).
type MemoryReporter interface {
	MemoryStatus() MemoryStatus
	// ResetStats zeroes evicted_keys and the time spent over the limit
	// (CONFIG RESETSTAT).
	ResetStats()
	// OutOfMemory reports what the last check before a command found:
	// over maxmemory with nothing left to evict.
	OutOfMemory() bool
}

// MemoryStatus is what the memory figures of INFO are made of.
type MemoryStatus struct {
	// Used is used_memory: Startup + Dataset + GCReserve + Clients +
	// NotCounted.
	Used int64
	// Startup is the heap in use when the instance started.
	Startup int64
	// Dataset is the dataset account (keys, values, tables).
	Dataset int64
	// GCReserve is the room Go's collector takes beside the live data
	// (internal/evict's gcReserve), counted as the allocator's overhead.
	GCReserve int64
	// Clients is the normal clients' memory (mem_clients_normal),
	// counted for eviction as in Redis.
	Clients int64
	// NotCounted is mem_not_counted_for_evict: replication backlog, AOF
	// buffer and the replicas' client memory.
	NotCounted int64
	// Backlog, AOFBuffer and Replicas are NotCounted's parts.
	Backlog, AOFBuffer, Replicas int64
	MaxMemory                    int64
	Policy                       string
	Evicted                      int64
	// ExceededTotal and ExceededCurrent are the time spent over the
	// limit (INFO's total/current_eviction_exceeded_time).
	ExceededTotal, ExceededCurrent time.Duration
}

// memoryStatus is the status from the wired reporter, or one made of the
// heap figures when none is wired (a bare server in tests).
func (s *Server) memoryStatus(ms *runtime.MemStats) MemoryStatus {
	if s.parts.Memory != nil {
		return s.parts.Memory.MemoryStatus()
	}
	used := int64(ms.HeapAlloc + ms.StackInuse)
	return MemoryStatus{Used: used, Dataset: int64(ms.HeapAlloc), Policy: s.set.MaxmemoryPolicy}
}

// memoryStatsCmd is MEMORY STATS, in Redis's shape (its allocator fields
// from Go's heap figures).
func (s *Server) memoryStatsCmd(c *command.Ctx) {
	s.refreshClientMem()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := s.memoryStatus(&ms)
	rss := int64(readRSS())
	peak := int64(s.peakMemory(uint64(st.Used)))
	keys := 0
	var dbs []int
	for _, db := range s.ks.DBs {
		keys += db.Len()
		if db.Len() > 0 {
			dbs = append(dbs, db.ID)
		}
	}
	overhead := st.Used - st.Dataset
	heapActive := int64(ms.HeapInuse)
	heapAlloc := int64(ms.HeapAlloc)
	c.W.Map(27 + len(dbs))
	c.W.BulkString("peak.allocated")
	c.W.Int(peak)
	c.W.BulkString("total.allocated")
	c.W.Int(st.Used)
	c.W.BulkString("startup.allocated")
	c.W.Int(st.Startup)
	backlog, replicas, _ := s.replMemory(st)
	c.W.BulkString("replication.backlog")
	c.W.Int(backlog)
	c.W.BulkString("clients.slaves")
	c.W.Int(replicas)
	c.W.BulkString("clients.normal")
	c.W.Int(st.Clients)
	c.W.BulkString("cluster.links")
	c.W.Int(0)
	c.W.BulkString("aof.buffer")
	c.W.Int(st.AOFBuffer)
	c.W.BulkString("lua.caches")
	c.W.Int(0)
	c.W.BulkString("functions.caches")
	c.W.Int(0)
	for _, id := range dbs {
		db := s.ks.DBs[id]
		c.W.BulkString(fmt.Sprintf("db.%d", id))
		c.W.Map(2)
		c.W.BulkString("overhead.hashtable.main")
		c.W.Int(int64(db.Len()) * 8)
		c.W.BulkString("overhead.hashtable.expires")
		c.W.Int(int64(db.ExpiresLen()) * 40)
	}
	c.W.BulkString("overhead.total")
	c.W.Int(overhead)
	c.W.BulkString("keys.count")
	c.W.Int(int64(keys))
	c.W.BulkString("keys.bytes-per-key")
	if keys > 0 {
		c.W.Int((st.Used - st.Startup) / int64(keys))
	} else {
		c.W.Int(0)
	}
	c.W.BulkString("dataset.bytes")
	c.W.Int(st.Dataset)
	c.W.BulkString("dataset.percentage")
	c.W.Double(percent(st.Dataset, st.Used-st.Startup))
	c.W.BulkString("peak.percentage")
	c.W.Double(percent(st.Used, peak))
	c.W.BulkString("allocator.allocated")
	c.W.Int(heapAlloc)
	c.W.BulkString("allocator.active")
	c.W.Int(heapActive)
	c.W.BulkString("allocator.resident")
	c.W.Int(int64(ms.HeapSys - ms.HeapReleased))
	c.W.BulkString("allocator-fragmentation.ratio")
	c.W.Double(ratio(heapActive, heapAlloc))
	c.W.BulkString("allocator-fragmentation.bytes")
	c.W.Int(heapActive - heapAlloc)
	c.W.BulkString("allocator-rss.ratio")
	c.W.Double(ratio(int64(ms.HeapSys-ms.HeapReleased), heapActive))
	c.W.BulkString("allocator-rss.bytes")
	c.W.Int(int64(ms.HeapSys-ms.HeapReleased) - heapActive)
	c.W.BulkString("rss-overhead.ratio")
	c.W.Double(ratio(rss, int64(ms.HeapSys-ms.HeapReleased)))
	c.W.BulkString("rss-overhead.bytes")
	c.W.Int(rss - int64(ms.HeapSys-ms.HeapReleased))
	c.W.BulkString("fragmentation")
	c.W.Double(ratio(rss, st.Used))
	c.W.BulkString("fragmentation.bytes")
	c.W.Int(rss - st.Used)
}

// replMemory splits the shared replication buffer (total) between the
// backlog and the replicas, as Redis 7.0 does: what it holds beyond
// repl-backlog-size while there are replicas is their unsent stream, and
// counts with their client memory (INFO mem_clients_slaves, MEMORY STATS
// clients.slaves); the rest is the backlog's (srv.mu held).
func (s *Server) replMemory(st MemoryStatus) (backlog, replicas, total int64) {
	var rs ReplStats
	if s.parts.Repl != nil {
		rs = s.parts.Repl.ReplStats()
	}
	backlog, replicas = st.Backlog, s.cmem.byType[memReplica]
	if excess := rs.BufferMem - rs.BacklogSize; replicas > 0 && excess > 0 {
		backlog, replicas = rs.BacklogSize, replicas+excess
	}
	return backlog, replicas, rs.BufferMem
}

func percent(part, whole int64) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// memoryDoctor is MEMORY DOCTOR's report: Redis's texts for an instance
// too small to judge and for one without issues, and its peak and
// fragmentation findings.
func (s *Server) memoryDoctor() string {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := s.memoryStatus(&ms)
	if st.Used < 5<<20 {
		return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting."
	}
	peak := int64(s.peakMemory(uint64(st.Used)))
	var issues []string
	if float64(peak)/float64(st.Used) > 1.5 {
		issues = append(issues, " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
	}
	if rss := int64(readRSS()); float64(rss)/float64(st.Used) > 1.4 {
		issues = append(issues, fmt.Sprintf(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"go-%s\".\n\n", runtime.Version()))
	}
	if len(issues) == 0 {
		return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
	}
	out := "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
	for _, i := range issues {
		out += i
	}
	return out + "I'm here to keep you safe, Sam. I want to help you.\n"
}
