package server

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tandemdb/tandem/internal/command"
)

// InfoSection writes one INFO section's field lines (srv.mu held). Other
// packages (persistence, replication) register theirs with SetInfoSection.
type InfoSection func(b *strings.Builder)

// defaultSections is INFO's default set, in Redis 7.0's order.
var defaultSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"}

// SetInfoSection replaces the writer of a section (srv.mu held or before
// Start).
func (s *Server) SetInfoSection(name string, fn InfoSection) {
	if s.infoSections == nil {
		s.infoSections = map[string]InfoSection{}
	}
	s.infoSections[name] = fn
}

func (s *Server) infoCmd(c *command.Ctx) {
	want := map[string]bool{}
	all, everything := false, false
	for _, a := range c.Args[1:] {
		n := strings.ToLower(string(a))
		switch n {
		case "all":
			all = true
		case "everything":
			everything = true
		case "default":
			for _, d := range defaultSections {
				want[d] = true
			}
		default:
			want[n] = true
		}
	}
	if len(c.Args) == 1 {
		for _, d := range defaultSections {
			want[d] = true
		}
	}
	order := []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
		"commandstats", "errorstats", "latencystats", "cluster", "keyspace"} // Redis 7.0's order
	var b strings.Builder
	for _, name := range order {
		if !(want[name] || all || everything) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		title := strings.ToUpper(name[:1]) + name[1:]
		if name == "cpu" {
			title = "CPU"
		}
		fmt.Fprintf(&b, "# %s\r\n", title)
		s.writeSection(&b, name)
	}
	c.W.Verbatim(b.String())
}

func (s *Server) writeSection(b *strings.Builder, name string) {
	if fn, ok := s.infoSections[name]; ok {
		fn(b)
		return
	}
	f := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	switch name {
	case "server":
		up := time.Since(s.started)
		port := s.set.Port
		if port == 0 {
			port = s.TLSPort() // as Redis: the TLS port of a TLS-only server
		}
		exe, _ := os.Executable()
		f("redis_version", Version)
		f("redis_git_sha1", "00000000")
		f("redis_git_dirty", 0)
		f("redis_build_id", "tandem-"+TandemVersion)
		f("redis_mode", "standalone")
		f("os", runtime.GOOS+" "+runtime.GOARCH)
		f("arch_bits", 64)
		f("monotonic_clock", "POSIX clock_gettime")
		f("multiplexing_api", "epoll")
		f("atomicvar_api", "c11-builtin")
		f("gcc_version", "0.0.0")
		f("process_id", os.Getpid())
		f("process_supervised", "no")
		f("run_id", s.runID)
		f("tcp_port", port)
		f("server_time_usec", time.Now().UnixMicro())
		f("uptime_in_seconds", int64(up.Seconds()))
		f("uptime_in_days", int64(up.Hours()/24))
		f("hz", s.set.Hz)
		f("configured_hz", s.set.Hz)
		f("lru_clock", s.ks.Clock()&(1<<24-1))
		f("executable", exe)
		f("config_file", s.configFile)
		f("io_threads_active", 0)
		if ms, ok := s.shutdownInMilliseconds(); ok {
			f("shutdown_in_milliseconds", ms)
		}
		f("tandem_version", TandemVersion)
		f("go_version", runtime.Version())
	case "clients":
		normal := 0
		for _, cl := range s.clients {
			if cl.sess.Flags&command.FlagReplica == 0 {
				normal++
			}
		}
		f("connected_clients", normal)
		f("cluster_connections", 0)
		f("maxclients", s.set.MaxClients)
		// The largest of the last seconds, as Redis (clientevict.go), and
		// of now: a client noted a moment ago is in its second's slot.
		maxIn, maxOut := s.recentMaxBuffers()
		for _, cl := range s.clients {
			maxIn = max(maxIn, cl.queryMem()+int64(cl.argTables))
			maxOut = max(maxOut, cl.outputMem())
		}
		f("client_recent_max_input_buffer", maxIn)
		f("client_recent_max_output_buffer", maxOut)
		f("blocked_clients", s.eng.BlockedClients()+s.shutdownBlockedClients()+s.pausedClients+s.masterHeldCount())
		f("tracking_clients", s.trk.clients)
		f("clients_in_timeout_table", s.eng.BlockedClients())
	case "memory":
		s.refreshClientMem() // the accounts as of now
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		// used_memory is maxmemory's measure (internal/evict), not the
		// heap, which counts uncollected garbage; the heap figures follow
		// at the end (go_heap_*).
		mst := s.memoryStatus(&ms)
		used := uint64(mst.Used)
		rss := readRSS()
		f("used_memory", used)
		f("used_memory_human", humanBytes(used))
		f("used_memory_rss", rss)
		f("used_memory_rss_human", humanBytes(rss))
		f("used_memory_peak", s.peakMemory(used))
		f("used_memory_peak_human", humanBytes(s.peakMem))
		f("used_memory_overhead", mst.Used-mst.Dataset)
		f("used_memory_startup", mst.Startup)
		f("used_memory_dataset", mst.Dataset)
		if mst.Used > mst.Startup {
			f("used_memory_dataset_perc", fmt.Sprintf("%.2f%%", float64(mst.Dataset)*100/float64(mst.Used-mst.Startup)))
		} else {
			f("used_memory_dataset_perc", "0.00%")
		}
		sysMem := totalSystemMemory()
		f("total_system_memory", sysMem)
		f("total_system_memory_human", humanBytes(sysMem))
		s.writeScriptMemory(f)
		f("maxmemory", mst.MaxMemory)
		f("maxmemory_human", humanBytes(uint64(mst.MaxMemory)))
		f("maxmemory_policy", s.set.MaxmemoryPolicy)
		ratio := 1.0
		if used > 0 {
			ratio = float64(rss) / float64(used)
		}
		f("mem_fragmentation_ratio", fmt.Sprintf("%.2f", ratio))
		f("mem_not_counted_for_evict", mst.NotCounted)
		backlog, replicas, replBuf := s.replMemory(mst)
		f("mem_replication_backlog", backlog)
		f("mem_total_replication_buffers", replBuf)
		f("mem_clients_slaves", replicas)
		// What used_memory counts of the clients (ClientMemory): their
		// tot-mem but for the reply buffers' idle room (heldMem), so that
		// used_memory minus mem_clients_normal does not move when a burst
		// of replies leaves a client's buffer big (Redis 7.0's
		// unit/maxmemory "slave buffer are counted correctly" measures
		// so); MEMORY STATS clients.normal is the same figure.
		counted, _ := s.ClientMemory()
		f("mem_clients_normal", counted)
		f("mem_allocator", "go-"+runtime.Version()) // after these, as in Redis
		f("lazyfree_pending_objects", 0)            // nothing waits: see keyspace/lazyfree.go
		f("lazyfreed_objects", s.ks.Lazy.Freed)
		f("go_heap_alloc", ms.HeapAlloc)
		f("go_heap_sys", ms.HeapSys)
		f("go_gc_cycles", ms.NumGC)
		f("mem_gc_reserve", mst.GCReserve)
	case "persistence":
		// The persistence manager replaces this section in every real
		// instance; alone, the server reports the fields tools parse.
		f("loading", 0)
		f("rdb_changes_since_last_save", s.ks.Dirty)
		f("rdb_bgsave_in_progress", 0)
		f("aof_enabled", 0)
		f("aof_rewrite_in_progress", 0)
	case "stats":
		f("total_connections_received", s.stats.connections)
		f("total_commands_processed", s.eng.TotalCommands)
		f("instantaneous_ops_per_sec", s.instantaneousOps())
		f("total_net_input_bytes", s.stats.netIn.Load())
		f("total_net_output_bytes", s.stats.netOut.Load())
		var rs ReplStats
		if s.parts.Repl != nil {
			rs = s.parts.Repl.ReplStats()
		}
		f("total_net_repl_input_bytes", rs.NetInput)
		f("total_net_repl_output_bytes", rs.NetOutput)
		f("instantaneous_input_kbps", "0.00")
		f("instantaneous_output_kbps", "0.00")
		f("instantaneous_input_repl_kbps", "0.00")
		f("instantaneous_output_repl_kbps", "0.00")
		f("rejected_connections", s.stats.rejected)
		f("sync_full", rs.FullSyncs)
		f("sync_partial_ok", rs.PartialSyncsOK)
		f("sync_partial_err", rs.PartialSyncsError)
		f("expired_keys", s.ks.ExpiredKeys)
		f("expired_stale_perc", "0.00")
		f("expired_time_cap_reached_count", 0)
		f("expire_cycle_cpu_milliseconds", 0)
		var mst MemoryStatus
		if s.parts.Memory != nil {
			mst = s.parts.Memory.MemoryStatus()
		}
		f("evicted_keys", mst.Evicted)
		f("evicted_clients", s.cmem.evicted)
		f("total_eviction_exceeded_time", mst.ExceededTotal.Milliseconds())
		f("current_eviction_exceeded_time", mst.ExceededCurrent.Milliseconds())
		f("keyspace_hits", s.ks.Hits)
		f("keyspace_misses", s.ks.Misses)
		f("pubsub_channels", len(s.ps.channels))
		f("pubsub_patterns", len(s.ps.patterns))
		f("pubsubshard_channels", 0)
		// Tandem's fork is its fork-less snapshot (BGSAVE, full syncs,
		// AOF rewrites): how many began, and the latest one's pause.
		f("latest_fork_usec", s.ks.LastSnapshotTook.Microseconds())
		f("total_forks", s.ks.SnapshotsTaken)
		migrateSockets := 0
		if s.parts.Migrate != nil {
			migrateSockets = s.parts.Migrate.CachedSockets()
		}
		f("migrate_cached_sockets", migrateSockets)
		f("slave_expires_tracked_keys", 0)
		f("active_defrag_hits", 0)
		f("active_defrag_misses", 0)
		f("active_defrag_key_hits", 0)
		f("active_defrag_key_misses", 0)
		f("total_active_defrag_time", 0)
		f("current_active_defrag_time", 0)
		f("tracking_total_keys", s.trk.table.len())
		f("tracking_total_items", s.trk.items)
		f("tracking_total_prefixes", len(s.trk.prefixes))
		f("unexpected_error_replies", s.stats.unexpectedErrors.Load())
		f("total_error_replies", s.eng.TotalErrors)
		f("dump_payload_sanitizations", 0)
		f("total_reads_processed", s.eng.TotalCommands)
		f("total_writes_processed", s.eng.TotalCommands)
		f("io_threaded_reads_processed", 0)
		f("io_threaded_writes_processed", 0)
		f("reply_buffer_shrinks", s.stats.replyShrinks)
		f("reply_buffer_expands", s.stats.replyExpands)
	case "replication":
		f("role", "master")
		f("connected_slaves", 0)
		f("master_failover_state", "no-failover")
		f("master_replid", s.runID)
		f("master_replid2", strings.Repeat("0", 40))
		f("master_repl_offset", 0)
		f("second_repl_offset", -1)
		f("repl_backlog_active", 0)
		f("repl_backlog_size", 1048576)
		f("repl_backlog_first_byte_offset", 0)
		f("repl_backlog_histlen", 0)
	case "cpu":
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		tv := func(t syscall.Timeval) string { return fmt.Sprintf("%d.%06d", t.Sec, t.Usec) }
		f("used_cpu_sys", tv(ru.Stime))
		f("used_cpu_user", tv(ru.Utime))
		f("used_cpu_sys_children", "0.000000")
		f("used_cpu_user_children", "0.000000")
		f("used_cpu_sys_main_thread", tv(ru.Stime))
		f("used_cpu_user_main_thread", tv(ru.Utime))
	case "modules":
	case "errorstats":
		codes := make([]string, 0, len(s.eng.ErrorStats))
		for code := range s.eng.ErrorStats {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			f("errorstat_"+code, fmt.Sprintf("count=%d", s.eng.ErrorStats[code]))
		}
	case "cluster":
		f("cluster_enabled", 0)
	case "commandstats":
		for _, sp := range statSpecs(s.eng.Table) {
			if sp.Calls == 0 && sp.Rejected == 0 && sp.Failed == 0 {
				continue
			}
			per := 0.0
			if sp.Calls > 0 {
				per = float64(sp.Nsec) / 1e3 / float64(sp.Calls)
			}
			fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
				sp.Name, sp.Calls, sp.Nsec/1e3, per, sp.Rejected, sp.Failed)
		}
	case "latencystats":
		if !s.set.LatencyTracking {
			break
		}
		for _, sp := range statSpecs(s.eng.Table) {
			h := sp.Latency
			if h == nil || h.Total() == 0 {
				continue
			}
			fmt.Fprintf(b, "latency_percentiles_usec_%s:", sp.Name)
			for i, p := range s.set.LatencyPercentiles {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(b, "p%s=%.3f", strconv.FormatFloat(p, 'f', -1, 64), float64(h.Percentile(p))/1000)
			}
			b.WriteString("\r\n")
		}
	case "keyspace":
		for _, db := range s.ks.DBs {
			if db.Len() == 0 {
				continue
			}
			avg := db.AvgTTL
			if db.ExpiresLen() == 0 {
				avg = 0 // Redis's expiry cycle resets it when no key has a TTL
			}
			fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=%d\r\n", db.ID, db.Len(), db.ExpiresLen(), avg)
		}
	}
}

func (s *Server) peakMemory(used uint64) uint64 {
	if used > s.peakMem {
		s.peakMem = used
	}
	return s.peakMem
}

// ScriptMemory is what scripting reports in INFO memory: the sizes of the
// Lua states that run EVAL scripts and functions, of the scripts' and
// libraries' own data, and how many there are.
type ScriptMemory struct {
	VMEval        int64 // the EVAL scripts' Lua state (used_memory_vm_eval)
	ScriptsEval   int64 // the cached scripts' bodies and entries (used_memory_scripts_eval)
	CachedScripts int64
	Functions     int64
	Libraries     int64
	VMFunctions   int64 // the functions' Lua state (used_memory_vm_functions)
	FunctionsMem  int64 // the libraries' and functions' own data (used_memory_functions)
}

// ScriptInfo is scripting as INFO sees it (srv.mu held).
type ScriptInfo interface {
	ScriptMemory() ScriptMemory
}

// writeScriptMemory writes INFO memory's scripting fields, in Redis 7.0's
// order and names (used_memory_lua is the EVAL state's size, kept for old
// tools; used_memory_scripts is scripts and functions together).
func (s *Server) writeScriptMemory(f func(k string, v any)) {
	var m ScriptMemory
	if s.parts.Scripts != nil {
		m = s.parts.Scripts.ScriptMemory()
	}
	f("used_memory_lua", m.VMEval)
	f("used_memory_vm_eval", m.VMEval)
	f("used_memory_lua_human", humanBytes(uint64(m.VMEval)))
	f("used_memory_scripts_eval", m.ScriptsEval)
	f("number_of_cached_scripts", m.CachedScripts)
	f("number_of_functions", m.Functions)
	f("number_of_libraries", m.Libraries)
	f("used_memory_vm_functions", m.VMFunctions)
	f("used_memory_vm_total", m.VMEval+m.VMFunctions)
	f("used_memory_vm_total_human", humanBytes(uint64(m.VMEval+m.VMFunctions)))
	f("used_memory_functions", m.FunctionsMem)
	f("used_memory_scripts", m.ScriptsEval+m.FunctionsMem)
	f("used_memory_scripts_human", humanBytes(uint64(m.ScriptsEval+m.FunctionsMem)))
}

func humanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// readRSS reads the resident set size from /proc (0 where unavailable).
func readRSS() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident uint64
	fmt.Sscan(string(data), &size, &resident)
	return resident * uint64(os.Getpagesize())
}

// statSpecs are the specs INFO commandstats and latencystats report: every
// command, and a container's subcommands right after it ("config|get"),
// as Redis lists them.
func statSpecs(t *command.Table) []*command.Spec {
	var out []*command.Spec
	for _, sp := range t.All() {
		out = append(out, sp)
		sp.EachSubStats(func(sub *command.Spec) { out = append(out, sub) })
	}
	return out
}
