package config

import (
	"io/fs"
	"math"
)

// Bounds as Redis 7.0 declares them (C's INT_MAX, LONG_MAX…). ullMax is
// ULLONG_MAX seen through int64; kUmem compares it unsigned.
const (
	intMin  = math.MinInt32
	intMax  = math.MaxInt32
	uintMax = math.MaxUint32
	longMax = math.MaxInt64
	ullMax  = -1
	mb      = 1 << 20
)

// table is the directive table: every name CONFIG GET/SET and redis.conf
// know, with Redis 7.0.15's defaults, bounds and flags (checked against
// redis-server 7.0.15 by the tests).
var table = newTable(directives())

func directives() []*directive {
	return []*directive{
		// Network.
		bindDirective(),
		number("port", "", 0, kInt, 0, 65535, 6379, func(c *Config) *int { return &c.Port }),
		number("tcp-backlog", "", immutable, kInt, 0, intMax, 511, func(c *Config) *int { return &c.TCPBacklog }),
		number("tcp-keepalive", "", 0, kInt, 0, intMax, 300, func(c *Config) *int { return &c.TCPKeepalive }),
		number("timeout", "", 0, kInt, 0, intMax, 0, func(c *Config) *int { return &c.Timeout }),
		boolean("protected-mode", "", 0, true, func(c *Config) *bool { return &c.ProtectedMode }),
		str("unixsocket", "", immutable, "", true, nil, func(c *Config) *string { return &c.UnixSocket }),
		number("unixsocketperm", "", immutable, kOctal, 0, 0o777, fs.FileMode(0), func(c *Config) *fs.FileMode { return &c.UnixSocketPerm }),
		number("maxclients", "", 0, kInt, 1, uintMax, 10000, func(c *Config) *int64 { return &c.MaxClients }),
		number("tls-port", "", 0, kInt, 0, 65535, 0, func(c *Config) *int { return &c.TLSPort }),

		// Process.
		boolean("daemonize", "", immutable, false, func(c *Config) *bool { return &c.Daemonize }),
		str("pidfile", "", immutable, "", true, nil, func(c *Config) *string { return &c.PidFile }),
		str("logfile", "", immutable, "", false, nil, func(c *Config) *string { return &c.LogFile }),
		boolean("set-proc-title", "", immutable, true, func(c *Config) *bool { return &c.SetProcTitle }),
		str("proc-title-template", "", 0, "{title} {listen-addr} {server-mode}", false, validProcTitle, func(c *Config) *string { return &c.ProcTitleTemplate }),
		enum("loglevel", "", 0, logLevelNames, nil, LogNotice, func(c *Config) *LogLevel { return &c.LogLevel }),
		number("databases", "", immutable, kInt, 1, intMax, 16, func(c *Config) *int { return &c.Databases }),
		dirDirective(),
		hzDirective(),
		boolean("dynamic-hz", "", 0, true, func(c *Config) *bool { return &c.DynamicHZ }),
		number("io-threads", "", immutable, kInt, 1, 128, 1, func(c *Config) *int { return &c.IOThreads }),
		number("shutdown-timeout", "", 0, kInt, 0, intMax, 10, func(c *Config) *int { return &c.ShutdownTimeout }),
		shutdownDirective("shutdown-on-sigint", func(c *Config) *ShutdownFlags { return &c.ShutdownOnSigint }),
		shutdownDirective("shutdown-on-sigterm", func(c *Config) *ShutdownFlags { return &c.ShutdownOnSigterm }),
		boolean("cluster-enabled", "", immutable, false, func(c *Config) *bool { return &c.ClusterEnabled }),
		enum("enable-protected-configs", "", immutable, allowNames, nil, AllowNo, func(c *Config) *Allow { return &c.EnableProtectedConfigs }),
		enum("enable-debug-command", "", immutable, allowNames, nil, AllowNo, func(c *Config) *Allow { return &c.EnableDebugCommand }),
		enum("enable-module-command", "", immutable, allowNames, nil, AllowNo, func(c *Config) *Allow { return &c.EnableModuleCommand }),

		// Security.
		str("requirepass", "", sensitive, "", true, nil, func(c *Config) *string { return &c.RequirePass }),
		str("aclfile", "", immutable, "", false, nil, func(c *Config) *string { return &c.ACLFile }),
		number("acllog-max-len", "", 0, kInt, 0, longMax, 128, func(c *Config) *int64 { return &c.ACLLogMaxLen }),

		// Replication.
		replicaOfDirective(),
		str("masterauth", "", sensitive, "", true, nil, func(c *Config) *string { return &c.MasterAuth }),
		str("masteruser", "", sensitive, "", true, nil, func(c *Config) *string { return &c.MasterUser }),
		boolean("replica-read-only", "slave-read-only", 0, true, func(c *Config) *bool { return &c.ReplicaReadOnly }),
		boolean("replica-serve-stale-data", "slave-serve-stale-data", 0, true, func(c *Config) *bool { return &c.ReplicaServeStaleData }),
		number("replica-priority", "slave-priority", 0, kInt, 0, intMax, 100, func(c *Config) *int { return &c.ReplicaPriority }),
		str("replica-announce-ip", "slave-announce-ip", 0, "", true, nil, func(c *Config) *string { return &c.ReplicaAnnounceIP }),
		number("replica-announce-port", "slave-announce-port", 0, kInt, 0, 65535, 0, func(c *Config) *int { return &c.ReplicaAnnouncePort }),
		boolean("replica-announced", "", 0, true, func(c *Config) *bool { return &c.ReplicaAnnounced }),
		boolean("replica-lazy-flush", "slave-lazy-flush", 0, false, func(c *Config) *bool { return &c.ReplicaLazyFlush }),
		boolean("replica-ignore-maxmemory", "slave-ignore-maxmemory", 0, true, func(c *Config) *bool { return &c.ReplicaIgnoreMaxmemory }),
		boolean("replica-ignore-disk-write-errors", "", 0, false, func(c *Config) *bool { return &c.ReplicaIgnoreDiskWriteErrors }),
		boolean("repl-diskless-sync", "", 0, true, func(c *Config) *bool { return &c.ReplDisklessSync }),
		number("repl-diskless-sync-delay", "", 0, kInt, 0, intMax, 5, func(c *Config) *int { return &c.ReplDisklessSyncDelay }),
		number("repl-diskless-sync-max-replicas", "", 0, kInt, 0, intMax, 0, func(c *Config) *int { return &c.ReplDisklessSyncMaxReplicas }),
		enum("repl-diskless-load", "", denyLoading, disklessLoadNames, nil, DisklessLoadDisabled, func(c *Config) *DisklessLoad { return &c.ReplDisklessLoad }),
		replBacklogSizeDirective(),
		number("repl-backlog-ttl", "", 0, kInt, 0, longMax, 3600, func(c *Config) *int64 { return &c.ReplBacklogTTL }),
		number("repl-timeout", "", 0, kInt, 1, intMax, 60, func(c *Config) *int { return &c.ReplTimeout }),
		number("repl-ping-replica-period", "repl-ping-slave-period", 0, kInt, 1, intMax, 10, func(c *Config) *int { return &c.ReplPingReplicaPeriod }),
		boolean("repl-disable-tcp-nodelay", "", 0, false, func(c *Config) *bool { return &c.ReplDisableTCPNoDelay }),
		number("min-replicas-to-write", "min-slaves-to-write", 0, kInt, 0, intMax, 0, func(c *Config) *int { return &c.MinReplicasToWrite }),
		number("min-replicas-max-lag", "min-slaves-max-lag", 0, kInt, 0, intMax, 10, func(c *Config) *int { return &c.MinReplicasMaxLag }),
		enum("propagation-error-behavior", "", 0, propagationNames, nil, PropagationIgnore, func(c *Config) *PropagationErrorBehavior { return &c.PropagationErrorBehavior }),
		number("rdb-key-save-delay", "", hidden, kInt, intMin, intMax, 0, func(c *Config) *int { return &c.RDBKeySaveDelay }),
		number("key-load-delay", "", hidden, kInt, intMin, intMax, 0, func(c *Config) *int { return &c.KeyLoadDelay }),
		number("loading-process-events-interval-bytes", "", hidden, kInt, 1024, intMax, 2*mb, func(c *Config) *int64 { return &c.LoadingProcessEventsIntervalBytes }),

		// Snapshots.
		saveDirective(),
		str("dbfilename", "", protected, "dump.rdb", false, validDBFilename, func(c *Config) *string { return &c.DBFilename }),
		boolean("stop-writes-on-bgsave-error", "", 0, true, func(c *Config) *bool { return &c.StopWritesOnBgsaveError }),
		boolean("rdbcompression", "", 0, true, func(c *Config) *bool { return &c.RDBCompression }),
		boolean("rdbchecksum", "", immutable, true, func(c *Config) *bool { return &c.RDBChecksum }),
		boolean("rdb-save-incremental-fsync", "", 0, true, func(c *Config) *bool { return &c.RDBSaveIncrementalFsync }),
		boolean("rdb-del-sync-files", "", 0, false, func(c *Config) *bool { return &c.RDBDelSyncFiles }),

		// Append-only file.
		boolean("appendonly", "", denyLoading, false, func(c *Config) *bool { return &c.AppendOnly }),
		str("appendfilename", "", immutable, "appendonly.aof", false, validAOFName("appendfilename", "filename"), func(c *Config) *string { return &c.AppendFilename }),
		str("appenddirname", "", immutable, "appendonlydir", false, validAOFName("appenddirname", "dirname"), func(c *Config) *string { return &c.AppendDirname }),
		enum("appendfsync", "", 0, fsyncNames, nil, FsyncEverySec, func(c *Config) *FsyncPolicy { return &c.AppendFsync }),
		boolean("no-appendfsync-on-rewrite", "", 0, false, func(c *Config) *bool { return &c.NoAppendFsyncOnRewrite }),
		number("auto-aof-rewrite-percentage", "", 0, kInt, 0, intMax, 100, func(c *Config) *int { return &c.AutoAOFRewritePercentage }),
		number("auto-aof-rewrite-min-size", "", 0, kMem, 0, longMax, 64*mb, func(c *Config) *int64 { return &c.AutoAOFRewriteMinSize }),
		boolean("aof-load-truncated", "", 0, true, func(c *Config) *bool { return &c.AOFLoadTruncated }),
		boolean("aof-use-rdb-preamble", "", 0, true, func(c *Config) *bool { return &c.AOFUseRDBPreamble }),
		boolean("aof-timestamp-enabled", "", 0, false, func(c *Config) *bool { return &c.AOFTimestampEnabled }),
		boolean("aof-rewrite-incremental-fsync", "", 0, true, func(c *Config) *bool { return &c.AOFRewriteIncrementalFsync }),
		boolean("aof-disable-auto-gc", "", 0, false, func(c *Config) *bool { return &c.AOFDisableAutoGC }),

		// Memory and limits.
		number("maxmemory", "", 0, kUmem, 0, ullMax, uint64(0), func(c *Config) *uint64 { return &c.MaxMemory }),
		enum("maxmemory-policy", "", 0, evictionNames, nil, NoEviction, func(c *Config) *EvictionPolicy { return &c.MaxMemoryPolicy }),
		number("maxmemory-samples", "", 0, kInt, 1, intMax, 5, func(c *Config) *int { return &c.MaxMemorySamples }),
		number("maxmemory-eviction-tenacity", "", 0, kInt, 0, 100, 10, func(c *Config) *int { return &c.MaxMemoryEvictionTenacity }),
		number("lfu-log-factor", "", 0, kInt, 0, intMax, 10, func(c *Config) *int { return &c.LFULogFactor }),
		number("lfu-decay-time", "", 0, kInt, 0, intMax, 1, func(c *Config) *int { return &c.LFUDecayTime }),
		number("proto-max-bulk-len", "", 0, kMem, mb, longMax, 512*mb, func(c *Config) *int64 { return &c.ProtoMaxBulkLen }),
		number("client-query-buffer-limit", "", 0, kUmem, mb, longMax, 1024*mb, func(c *Config) *int64 { return &c.ClientQueryBufferLimit }),
		outputBufferLimitDirective(),
		boolean("lazyfree-lazy-eviction", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyEviction }),
		boolean("lazyfree-lazy-expire", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyExpire }),
		boolean("lazyfree-lazy-server-del", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyServerDel }),
		boolean("lazyfree-lazy-user-del", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyUserDel }),
		boolean("lazyfree-lazy-user-flush", "", 0, false, func(c *Config) *bool { return &c.LazyfreeLazyUserFlush }),
		boolean("activerehashing", "", 0, true, func(c *Config) *bool { return &c.ActiveRehashing }),
		boolean("jemalloc-bg-thread", "", 0, true, func(c *Config) *bool { return &c.JemallocBgThread }),
		number("active-expire-effort", "", 0, kInt, 1, 10, 1, func(c *Config) *int { return &c.ActiveExpireEffort }),

		// Encodings of small values.
		number("list-max-listpack-size", "list-max-ziplist-size", 0, kInt, intMin, intMax, -2, func(c *Config) *int { return &c.ListMaxListpackSize }),
		number("list-compress-depth", "", 0, kInt, 0, intMax, 0, func(c *Config) *int { return &c.ListCompressDepth }),
		number("hash-max-listpack-entries", "hash-max-ziplist-entries", 0, kInt, 0, longMax, 512, func(c *Config) *int64 { return &c.HashMaxListpackEntries }),
		number("hash-max-listpack-value", "hash-max-ziplist-value", 0, kUmem, 0, longMax, 64, func(c *Config) *int64 { return &c.HashMaxListpackValue }),
		number("set-max-intset-entries", "", 0, kInt, 0, longMax, 512, func(c *Config) *int64 { return &c.SetMaxIntsetEntries }),
		number("zset-max-listpack-entries", "zset-max-ziplist-entries", 0, kInt, 0, longMax, 128, func(c *Config) *int64 { return &c.ZSetMaxListpackEntries }),
		number("zset-max-listpack-value", "zset-max-ziplist-value", 0, kUmem, 0, longMax, 64, func(c *Config) *int64 { return &c.ZSetMaxListpackValue }),
		number("stream-node-max-bytes", "", 0, kUmem, 0, longMax, 4096, func(c *Config) *int64 { return &c.StreamNodeMaxBytes }),
		number("stream-node-max-entries", "", 0, kInt, 0, longMax, 100, func(c *Config) *int64 { return &c.StreamNodeMaxEntries }),
		number("hll-sparse-max-bytes", "", 0, kUmem, 0, longMax, 3000, func(c *Config) *int64 { return &c.HLLSparseMaxBytes }),

		// Diagnostics and events.
		number("slowlog-log-slower-than", "", 0, kInt, -1, longMax, 10000, func(c *Config) *int64 { return &c.SlowlogLogSlowerThan }),
		number("slowlog-max-len", "", 0, kInt, 0, longMax, 128, func(c *Config) *int64 { return &c.SlowlogMaxLen }),
		number("latency-monitor-threshold", "", 0, kInt, 0, longMax, 0, func(c *Config) *int64 { return &c.LatencyMonitorThreshold }),
		number("busy-reply-threshold", "lua-time-limit", 0, kInt, 0, longMax, 5000, func(c *Config) *int64 { return &c.BusyReplyThreshold }),
		notifyDirective(),

		// Stored only: accepted, validated, shown and rewritten, not acted on.
		storedBool("io-threads-do-reads", "", immutable, false),
		storedBool("always-show-logo", "", immutable, false),
		storedEnum("supervised", immutable, []string{"upstart", "systemd", "auto", "no"}, "no"),
		storedBool("syslog-enabled", "", immutable, false),
		storedStr("syslog-ident", immutable, "redis", false, nil),
		storedEnum("syslog-facility", immutable, []string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}, "local0"),
		storedBool("crash-log-enabled", "", 0, true),
		storedBool("crash-memcheck-enabled", "", 0, true),
		storedBool("use-exit-on-panic", "", hidden, false),
		number("watchdog-period", "", hidden, kInt, 0, intMax, 0, func(c *Config) *int { return &c.WatchdogPeriod }),
		storedBool("disable-thp", "", immutable, true),
		enum[int]("oom-score-adj", "", 0, []string{"no", "yes", "relative", "absolute"}, []int{0, 1, 1, 3}, 0, func(c *Config) *int { return &c.OOMScoreAdj }),
		oomScoreAdjValuesDirective(),
		storedStr("server_cpulist", immutable, "", true, nil),
		storedStr("bio_cpulist", immutable, "", true, nil),
		storedStr("aof_rewrite_cpulist", immutable, "", true, nil),
		storedStr("bgsave_cpulist", immutable, "", true, nil),
		storedStr("ignore-warnings", 0, "", false, nil),
		str("bind-source-addr", "", 0, "", true, nil, func(c *Config) *string { return &c.BindSourceAddr }),
		storedNum("socket-mark-id", "", immutable, kInt, 0, uintMax, 0),
		storedEnum("acl-pubsub-default", 0, []string{"allchannels", "resetchannels"}, "resetchannels"),
		storedEnum("sanitize-dump-payload", 0, []string{"no", "yes", "clients"}, "no"),
		number("tracking-table-max-keys", "", 0, kInt, 0, longMax, 1000000, func(c *Config) *int64 { return &c.TrackingTableMaxKeys }),
		storedNum("maxmemory-clients", "", 0, kMemPercent, -100, longMax, 0),
		boolean("latency-tracking", "", 0, true, func(c *Config) *bool { return &c.LatencyTracking }),
		latencyPercentilesDirective(),
		storedBool("activedefrag", "", 0, false),
		storedNum("active-defrag-ignore-bytes", "", 0, kUmem, 1, longMax, 100*mb),
		storedNum("active-defrag-threshold-lower", "", 0, kInt, 0, 1000, 10),
		storedNum("active-defrag-threshold-upper", "", 0, kInt, 0, 1000, 100),
		storedNum("active-defrag-cycle-min", "", 0, kInt, 1, 99, 1),
		storedNum("active-defrag-cycle-max", "", 0, kInt, 1, 99, 25),
		storedNum("active-defrag-max-scan-fields", "", 0, kInt, 1, longMax, 1000),
		storedStr("cluster-config-file", immutable, "nodes.conf", false, nil),
		storedNum("cluster-node-timeout", "", 0, kInt, 0, longMax, 15000),
		storedNum("cluster-port", "", immutable, kInt, 0, 65535, 0),
		storedNum("cluster-replica-validity-factor", "cluster-slave-validity-factor", 0, kInt, 0, intMax, 10),
		storedNum("cluster-migration-barrier", "", 0, kInt, 0, intMax, 1),
		storedBool("cluster-allow-replica-migration", "", 0, true),
		storedBool("cluster-require-full-coverage", "", 0, true),
		storedBool("cluster-replica-no-failover", "cluster-slave-no-failover", 0, false),
		storedBool("cluster-allow-reads-when-down", "", 0, false),
		storedBool("cluster-allow-pubsubshard-when-down", "", 0, true),
		storedNum("cluster-link-sendbuf-limit", "", 0, kUmem, 0, ullMax, 0),
		storedStr("cluster-announce-hostname", 0, "", true, validHostname),
		storedEnum("cluster-preferred-endpoint-type", 0, []string{"ip", "hostname", "unknown-endpoint"}, "ip"),
		storedStr("cluster-announce-ip", 0, "", true, nil),
		storedNum("cluster-announce-port", "", 0, kInt, 0, 65535, 0),
		storedNum("cluster-announce-tls-port", "", 0, kInt, 0, 65535, 0),
		storedNum("cluster-announce-bus-port", "", 0, kInt, 0, 65535, 0),
		storedStr("tls-cert-file", volatile, "", true, nil),
		storedStr("tls-key-file", volatile, "", true, nil),
		storedStr("tls-key-file-pass", sensitive, "", true, nil),
		storedStr("tls-client-cert-file", volatile, "", true, nil),
		storedStr("tls-client-key-file", volatile, "", true, nil),
		storedStr("tls-client-key-file-pass", sensitive, "", true, nil),
		storedStr("tls-dh-params-file", volatile, "", true, nil),
		storedStr("tls-ca-cert-file", volatile, "", true, nil),
		storedStr("tls-ca-cert-dir", volatile, "", true, nil),
		storedEnum("tls-auth-clients", 0, []string{"no", "yes", "optional"}, "yes"),
		storedBool("tls-replication", "", 0, false),
		storedBool("tls-cluster", "", 0, false),
		storedStr("tls-protocols", 0, "", true, nil),
		storedStr("tls-ciphers", 0, "", true, nil),
		storedStr("tls-ciphersuites", 0, "", true, nil),
		storedBool("tls-prefer-server-ciphers", "", 0, false),
		storedBool("tls-session-caching", "", 0, true),
		storedNum("tls-session-cache-size", "", 0, kInt, 0, intMax, 20*1024),
		storedNum("tls-session-cache-timeout", "", 0, kInt, 0, intMax, 300),
	}
}

// hz accepts any non-negative int but, as Redis, keeps it within 1..500.
func hzDirective() *directive {
	d := number("hz", "", 0, kInt, 0, intMax, 10, func(c *Config) *int { return &c.HZ })
	set := d.set
	d.set = func(c *Config, args []string) error {
		if err := set(c, args); err != nil {
			return err
		}
		c.HZ = clampHZ(c.HZ)
		return nil
	}
	return d
}

func clampHZ(hz int) int {
	return min(max(hz, 1), 500)
}

// replBacklogMin is the smallest backlog Redis keeps once CONFIG SET has
// resized it; a file may still say less and CONFIG GET then shows that.
const replBacklogMin = 16 * 1024

func replBacklogSizeDirective() *directive {
	d := number("repl-backlog-size", "", 0, kMem, 1, longMax, mb, func(c *Config) *int64 { return &c.ReplBacklogSize })
	d.afterSet = func(c *Config) {
		if c.ReplBacklogSize < replBacklogMin {
			c.ReplBacklogSize = replBacklogMin
		}
	}
	return d
}

// directiveTable finds directives by name or alias, case-insensitively.
type directiveTable struct {
	list   []*directive          // table order, which CONFIG GET and REWRITE follow
	byName map[string]*directive // lower-case names and aliases
}

func newTable(list []*directive) *directiveTable {
	t := &directiveTable{list: list, byName: make(map[string]*directive, 2*len(list))}
	for _, d := range list {
		for _, n := range []string{d.name, d.alias} {
			if n == "" {
				continue
			}
			if _, dup := t.byName[n]; dup {
				panic("config: directive " + n + " defined twice")
			}
			t.byName[n] = d
		}
	}
	return t
}

func (t *directiveTable) lookup(name string) *directive {
	return t.byName[lower(name)]
}

// Sensitive reports whether a directive's value must be kept out of logs,
// the slow log and MONITOR (masterauth, masteruser, requirepass and the
// TLS key passwords).
func Sensitive(name string) bool {
	d := table.lookup(name)
	return d != nil && d.flags&sensitive != 0
}

// DirectiveInfo describes one directive of the table, for tools and tests
// that must cover every directive without listing them by hand (the
// CONFIG SET walk in internal/app).
type DirectiveInfo struct {
	Name  string
	Alias string // "" when none
	// Mutable: CONFIG SET accepts it (Redis's IMMUTABLE_CONFIG is unset).
	Mutable bool
	// Protected: CONFIG SET needs enable-protected-configs (dir, dbfilename).
	Protected bool
	// Hidden: a test knob CONFIG GET patterns skip.
	Hidden bool
	// Default is the CONFIG GET form of its default value ("" for dir,
	// which New sets to the working directory).
	Default string
}

// Directives lists every directive, in table order.
func Directives() []DirectiveInfo {
	out := make([]DirectiveInfo, 0, len(table.list))
	for _, d := range table.list {
		out = append(out, DirectiveInfo{
			Name: d.name, Alias: d.alias,
			Mutable:   d.flags&immutable == 0,
			Protected: d.flags&protected != 0,
			Hidden:    d.flags&hidden != 0,
			Default:   defaultOf(d),
		})
	}
	return out
}
