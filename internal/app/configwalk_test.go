package app

import (
	"bufio"
	"fmt"
	"github.com/tandemdb/tandem/internal/command"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/server"
	"github.com/tandemdb/tandem/internal/tlsconf"
	"github.com/tandemdb/tandem/internal/types"
)

// observe says how the CONFIG SET walk (TestConfigSetReachesEveryComponent)
// sees that a directive's new value reached the part of the server that
// uses it. Exactly one of check, live, stored, refused and gap is set.
//
// A CONFIG GET round trip alone proves only that the config package stored
// the value, so each kind looks further:
//   - check reads the value where the component reads it (the server's
//     settings, the engine's limits, the logger's level, persist's paths)
//     or observes its effect (a refused connection, an RDB file);
//   - live names a component that reads the shared *config.Config field at
//     each use, as "pkg Field". The walk checks only that the package's code
//     still reads that field: the weakest kind, which catches a read removed
//     or renamed, not a copy taken at start (the repl stream's write timeout
//     was one; see Manager.streamTimeout). Prefer check where it is cheap;
//   - stored is a directive Tandem accepts and does not act on at all,
//     with the reason; README's "stored but not acted on" list must name it;
//   - refused is a directive Tandem refuses at any value but its default
//     (config/unsupported.go): CONFIG SET must say so;
//   - gap is a directive Redis applies at run time and Tandem only at
//     start: CONFIG SET must refuse a change, saying so, rather than store
//     a value the server does not act on; the reason, until it is built.
type observe struct {
	val     string // a valid value other than the default
	check   func(w *walk)
	live    string
	stored  string
	refused bool
	gap     string
}

func settings(f func(s server.Settings) bool) func(w *walk) {
	return func(w *walk) {
		if !f(w.inst.Server.SettingsSnapshot()) {
			w.t.Errorf("%s %s: the server's settings do not show it: %+v", w.name, w.val, w.inst.Server.SettingsSnapshot())
		}
	}
}

func limits(f func(l types.Limits) bool) func(w *walk) {
	return func(w *walk) {
		w.inst.Server.Lock()
		l := w.inst.Server.Engine().Limits
		w.inst.Server.Unlock()
		if !f(l) {
			w.t.Errorf("%s %s: the engine's limits do not show it: %+v", w.name, w.val, l)
		}
	}
}

// lazyfree observes the lazyfree-lazy-* settings where the keyspace reads
// them.
func lazyfree(f func(l keyspace.LazyFree) bool) func(w *walk) {
	return func(w *walk) {
		w.inst.Server.Lock()
		l := w.inst.Server.Engine().KS.Lazy
		w.inst.Server.Unlock()
		if !f(l) {
			w.t.Errorf("%s %s: the keyspace's lazyfree settings do not show it: %+v", w.name, w.val, l)
		}
	}
}

const notBuilt = "the feature is not built"

// walkTable maps every directive CONFIG SET accepts to how the walk
// observes it. A directive added to the config table without an entry here
// fails the walk.
var walkTable = map[string]observe{
	// Network.
	"bind": {val: "127.0.0.1 -::1", check: func(w *walk) {
		a, _ := w.inst.Server.Addr().(*net.TCPAddr)
		if a == nil || !a.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			w.t.Errorf("bind %s: the server listens on %v", w.val, w.inst.Server.Addr())
		}
		if r := w.newClientPing(); !strings.Contains(r, "PONG") {
			w.t.Errorf("bind %s: a new client got %q", w.val, r)
		}
	}},
	// val is replaced by a free port (walkFreePort).
	"port": {val: "free", check: func(w *walk) {
		a, _ := w.inst.Server.Addr().(*net.TCPAddr)
		if a == nil || strconv.Itoa(a.Port) != w.val {
			w.t.Errorf("port %s: the server listens on %v", w.val, w.inst.Server.Addr())
		}
		if r := w.newClientPing(); !strings.Contains(r, "PONG") {
			w.t.Errorf("port %s: a new client got %q", w.val, r)
		}
	}},
	"tcp-keepalive":  {val: "60", check: settings(func(s server.Settings) bool { return s.TCPKeepAlive == 60 })},
	"timeout":        {val: "7", check: settings(func(s server.Settings) bool { return s.Timeout == 7 })},
	"protected-mode": {val: "no", check: settings(func(s server.Settings) bool { return !s.ProtectedMode })},
	"maxclients": {val: "1", check: func(w *walk) {
		settings(func(s server.Settings) bool { return s.MaxClients == 1 })(w)
		// The walk's own connection is the one client allowed.
		if r := w.newClientPing(); !strings.Contains(r, "max number of clients") {
			w.t.Errorf("maxclients 1: a second client got %q", r)
		}
	}},
	"tls-port": {val: "6390", check: func(w *walk) {
		if w.inst.Server.TLSPort() != 6390 || w.inst.Server.TLSAddr() == nil {
			w.t.Errorf("tls-port 6390: the server listens on TLS port %d (%v)", w.inst.Server.TLSPort(), w.inst.Server.TLSAddr())
		}
	}},

	// Process.
	"loglevel": {val: "debug", check: func(w *walk) {
		if !w.inst.Log.Enabled(logger.Debug) {
			w.t.Errorf("loglevel debug: the logger does not log debug lines")
		}
	}},
	"dir": {val: "sub", check: func(w *walk) {
		want := filepath.Join(w.dir, "sub", "dump.rdb")
		if got := w.persistPath(); got != want {
			w.t.Errorf("dir: persist saves to %s, want %s", got, want)
		}
		w.do("SAVE")
		if _, err := os.Stat(want); err != nil {
			w.t.Errorf("dir: SAVE did not write %s: %v", want, err)
		}
	}},
	"hz": {val: "50", check: func(w *walk) {
		settings(func(s server.Settings) bool { return s.Hz == 50 })(w)
		if v := w.info("hz"); v != "50" {
			w.t.Errorf("hz 50: INFO says hz:%s", v)
		}
	}},
	"dynamic-hz":          {val: "no", stored: "Tandem keeps the configured hz"},
	"shutdown-timeout":    {val: "3", check: settings(func(s server.Settings) bool { return s.ShutdownTimeout == 3 })},
	"shutdown-on-sigint":  {val: "save", live: "../cmd/tandem ShutdownOnSigint"}, // read when the signal arrives
	"shutdown-on-sigterm": {val: "save", live: "../cmd/tandem ShutdownOnSigterm"},

	// Security.
	"requirepass": {val: "walk-secret", check: func(w *walk) {
		settings(func(s server.Settings) bool { return s.RequirePass == "walk-secret" })(w)
		// The walk's connection was authenticated when it had no password.
		if r := w.newClientPing(); !strings.HasPrefix(r, "NOAUTH") {
			w.t.Errorf("requirepass: a new client's PING got %q, want NOAUTH", r)
		}
	}},
	"acllog-max-len": {val: "5", check: settings(func(s server.Settings) bool { return s.ACLLogMaxLen == 5 })},

	// Replication: the repl manager reads the shared config at each use:
	// the link's settings (masterauth, masteruser, announce-*,
	// diskless-load, repl-timeout) at each step of the link machine, the
	// replica streams' write timeout each second (Cron).
	"masterauth":                       {val: "pw", live: "repl MasterAuth"},
	"masteruser":                       {val: "u", live: "repl MasterUser"},
	"replica-read-only":                {val: "no", live: "repl ReplicaReadOnly"},
	"replica-serve-stale-data":         {val: "no", live: "repl ReplicaServeStaleData"},
	"replica-priority":                 {val: "7", live: "repl ReplicaPriority"},
	"replica-announce-ip":              {val: "10.1.2.3", live: "repl ReplicaAnnounceIP"},
	"replica-announce-port":            {val: "7000", live: "repl ReplicaAnnouncePort"},
	"replica-announced":                {val: "no", live: "repl ReplicaAnnounced"},
	"replica-lazy-flush":               {val: "yes", stored: "a full sync's flush is never lazy in Tandem"},
	"replica-ignore-maxmemory":         {val: "no", live: "evict ReplicaIgnoreMaxmemory"},
	"replica-ignore-disk-write-errors": {val: "yes", stored: "not acted on"},
	"repl-diskless-sync":               {val: "no", live: "repl ReplDisklessSync"},
	"repl-diskless-sync-delay":         {val: "1", live: "repl ReplDisklessSyncDelay"},
	"repl-diskless-sync-max-replicas":  {val: "2", live: "repl ReplDisklessSyncMaxReplicas"},
	"repl-diskless-load":               {val: "swapdb", live: "repl ReplDisklessLoad"},
	"repl-backlog-size":                {val: "2mb", live: "repl ReplBacklogSize"},
	"repl-backlog-ttl":                 {val: "60", live: "repl ReplBacklogTTL"},
	"repl-timeout":                     {val: "30", live: "repl ReplTimeout"},
	"repl-ping-replica-period":         {val: "3", live: "repl ReplPingReplicaPeriod"},
	"repl-disable-tcp-nodelay":         {val: "yes", live: "repl ReplDisableTCPNoDelay"},
	"min-replicas-to-write": {val: "1", check: func(w *walk) {
		if r := w.do("SET", "walk", "1"); !strings.HasPrefix(r, "NOREPLICAS") {
			w.t.Errorf("min-replicas-to-write 1 without replicas: SET got %q", r)
		}
	}},
	"min-replicas-max-lag": {val: "0", check: func(w *walk) {
		// max-lag 0 turns the min-replicas check off, as in Redis.
		w.mustSet("min-replicas-to-write", "1")
		if r := w.do("SET", "walk", "1"); r != "OK" {
			w.t.Errorf("min-replicas-max-lag 0: SET got %q, want OK (the check is off)", r)
		}
		w.mustSet("min-replicas-to-write", "0")
	}},
	"propagation-error-behavior":            {val: "panic", stored: "not acted on"},
	"rdb-key-save-delay":                    {val: "1", live: "persist RDBKeySaveDelay"},
	"key-load-delay":                        {val: "1", stored: "test knob Tandem does not implement"},
	"loading-process-events-interval-bytes": {val: "4096", stored: "Tandem loads without turning the event loop"},

	// Snapshots.
	"save": {val: "1 1", check: func(w *walk) {
		// A write, then one second: the cron's save point starts a BGSAVE.
		w.do("SET", "walk-save", "1")
		deadline := time.Now().Add(5 * time.Second)
		for w.info("rdb_changes_since_last_save") != "0" {
			if time.Now().After(deadline) {
				w.t.Errorf("save 1 1: no automatic save within 5 s")
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}},
	"dbfilename": {val: "walk.rdb", check: func(w *walk) {
		want := filepath.Join(w.dir, "walk.rdb")
		if got := w.persistPath(); got != want {
			w.t.Errorf("dbfilename: persist saves to %s, want %s", got, want)
		}
		w.do("SAVE")
		if _, err := os.Stat(want); err != nil {
			w.t.Errorf("dbfilename: SAVE did not write %s: %v", want, err)
		}
	}},
	"stop-writes-on-bgsave-error": {val: "no", live: "persist StopWritesOnBgsaveError"},
	"rdbcompression": {val: "no", check: func(w *walk) {
		// 64 KB of one byte: LZF makes it a few hundred bytes.
		w.do("SET", "walk-big", strings.Repeat("a", 64<<10))
		w.do("SAVE")
		fi, err := os.Stat(w.persistPath())
		if err != nil || fi.Size() < 64<<10 {
			w.t.Errorf("rdbcompression no: the RDB is not uncompressed (%v, %v)", fi, err)
		}
		w.do("DEL", "walk-big")
	}},
	"rdb-save-incremental-fsync": {val: "no", stored: "Tandem fsyncs an RDB once, at its end"},
	"rdb-del-sync-files":         {val: "yes", refused: true},

	// Append-only file.
	"appendonly": {val: "yes", check: func(w *walk) {
		if v := w.info("aof_enabled"); v != "1" {
			w.t.Errorf("appendonly yes: INFO says aof_enabled:%s", v)
		}
	}},
	"appendfsync":                   {val: "always", live: "aof AppendFsync"},
	"no-appendfsync-on-rewrite":     {val: "yes", live: "aof NoAppendFsyncOnRewrite"},
	"auto-aof-rewrite-percentage":   {val: "50", live: "aof AutoAOFRewritePercentage"},
	"auto-aof-rewrite-min-size":     {val: "1mb", live: "aof AutoAOFRewriteMinSize"},
	"aof-load-truncated":            {val: "no", live: "aof AOFLoadTruncated"},
	"aof-use-rdb-preamble":          {val: "no", live: "aof AOFUseRDBPreamble"},
	"aof-timestamp-enabled":         {val: "yes", live: "aof AOFTimestampEnabled"},
	"aof-rewrite-incremental-fsync": {val: "no", live: "aof AOFRewriteIncrementalFsync"},
	"aof-disable-auto-gc":           {val: "yes", live: "aof AOFDisableAutoGC"},

	// Memory and limits.
	"maxmemory": {val: "1gb", check: func(w *walk) {
		w.inst.Server.Lock()
		got := w.inst.Evict.MemoryStatus().MaxMemory
		w.inst.Server.Unlock()
		if got != 1<<30 {
			w.t.Errorf("maxmemory 1gb: the eviction manager has %d", got)
		}
	}},
	"maxmemory-policy": {val: "allkeys-lfu", check: func(w *walk) {
		w.inst.Server.Lock()
		lfu := w.inst.Server.Keyspace().LFU()
		w.inst.Server.Unlock()
		if !lfu {
			w.t.Errorf("maxmemory-policy allkeys-lfu: the keyspace does not track LFU")
		}
	}},
	"maxmemory-samples":           {val: "7", live: "evict MaxMemorySamples"},
	"maxmemory-eviction-tenacity": {val: "20", live: "evict MaxMemoryEvictionTenacity"},
	"lfu-log-factor":              {val: "5", live: "evict LFULogFactor"},
	"lfu-decay-time":              {val: "2", live: "evict LFUDecayTime"},
	"proto-max-bulk-len": {val: "2mb", check: func(w *walk) {
		settings(func(s server.Settings) bool { return s.ProtoMaxBulkLen == 2<<20 })(w)
		w.inst.Server.Lock()
		n := w.inst.Server.Engine().MaxStringSize
		w.inst.Server.Unlock()
		if n != 2<<20 {
			w.t.Errorf("proto-max-bulk-len 2mb: the engine's MaxStringSize is %d", n)
		}
		if r := w.do("SETRANGE", "walk", strconv.Itoa(2<<20), "x"); !strings.Contains(r, "maximum allowed size") {
			w.t.Errorf("proto-max-bulk-len 2mb: SETRANGE past it got %q", r)
		}
	}},
	"client-query-buffer-limit": {val: "2mb", check: settings(func(s server.Settings) bool { return s.ClientQueryBufferLimit == 2<<20 })},
	"client-output-buffer-limit": {val: "normal 1mb 512kb 5 replica 300mb 70mb 61 pubsub 2mb 1mb 7", check: func(w *walk) {
		settings(func(s server.Settings) bool {
			return s.OutputLimits[server.ClassNormal] == server.OutputLimit{Hard: 1 << 20, Soft: 512 << 10, SoftSecs: 5} &&
				s.OutputLimits[server.ClassPubSub] == server.OutputLimit{Hard: 2 << 20, Soft: 1 << 20, SoftSecs: 7}
		})(w)
		// The replica class is enforced by repl's senders.
		w.checkLive("repl ClientOutputBufferLimit")
	}},
	"lazyfree-lazy-eviction":    {val: "yes", check: lazyfree(func(l keyspace.LazyFree) bool { return l.Eviction })},
	"lazyfree-lazy-expire":      {val: "yes", check: lazyfree(func(l keyspace.LazyFree) bool { return l.Expire })},
	"lazyfree-lazy-server-del":  {val: "yes", check: lazyfree(func(l keyspace.LazyFree) bool { return l.ServerDel })},
	"lazyfree-lazy-user-del":    {val: "yes", check: lazyfree(func(l keyspace.LazyFree) bool { return l.UserDel })},
	"lazyfree-lazy-user-flush":  {val: "yes", check: lazyfree(func(l keyspace.LazyFree) bool { return l.UserFlush })},
	"activerehashing":           {val: "no", stored: "Go maps rehash themselves"},
	"jemalloc-bg-thread":        {val: "no", check: settings(func(s server.Settings) bool { return !s.IdlePurge })},
	"active-expire-effort":      {val: "5", stored: "the active expire cycle has one effort"},
	"list-max-listpack-size":    {val: "5", check: limits(func(l types.Limits) bool { return l.ListMaxListpackSize == 5 })},
	"list-compress-depth":       {val: "1", stored: "lists are not compressed"},
	"hash-max-listpack-entries": {val: "3", check: limits(func(l types.Limits) bool { return l.HashMaxListpackEntries == 3 })},
	"hash-max-listpack-value":   {val: "9", check: limits(func(l types.Limits) bool { return l.HashMaxListpackValue == 9 })},
	"set-max-intset-entries":    {val: "4", check: limits(func(l types.Limits) bool { return l.SetMaxIntsetEntries == 4 })},
	"zset-max-listpack-entries": {val: "6", check: limits(func(l types.Limits) bool { return l.ZSetMaxListpackEntries == 6 })},
	"zset-max-listpack-value":   {val: "11", check: limits(func(l types.Limits) bool { return l.ZSetMaxListpackValue == 11 })},
	"stream-node-max-bytes":     {val: "100", check: limits(func(l types.Limits) bool { return l.StreamNodeMaxBytes == 100 })},
	"stream-node-max-entries":   {val: "10", check: limits(func(l types.Limits) bool { return l.StreamNodeMaxEntries == 10 })},
	"hll-sparse-max-bytes":      {val: "100", check: limits(func(l types.Limits) bool { return l.HLLSparseMaxBytes == 100 })},

	// Diagnostics and events.
	"slowlog-log-slower-than": {val: "0", check: func(w *walk) {
		settings(func(s server.Settings) bool { return s.SlowlogSlowerThan == 0 })(w)
		// 0 logs every command.
		w.do("SLOWLOG", "RESET")
		w.do("PING")
		if n := w.do("SLOWLOG", "LEN"); n == "0" {
			w.t.Errorf("slowlog-log-slower-than 0: PING was not logged")
		}
	}},
	"slowlog-max-len":           {val: "3", check: settings(func(s server.Settings) bool { return s.SlowlogMaxLen == 3 })},
	"watchdog-period":           {val: "100", check: settings(func(s server.Settings) bool { return s.WatchdogPeriod == 100 })},
	"latency-monitor-threshold": {val: "100", check: settings(func(s server.Settings) bool { return s.LatencyMonitorThreshold == 100 })},
	"busy-reply-threshold":      {val: "100", live: "app BusyReplyThreshold"},
	"notify-keyspace-events": {val: "KEA", check: settings(func(s server.Settings) bool {
		return s.NotifyKeyspace && s.NotifyKeyevent && s.NotifyClasses&command.EvHash != 0 && s.NotifyClasses&command.EvKeyMiss == 0
	})},

	// Stored only (config.storedX in the table).
	"proc-title-template":                 {val: "{title} {listen-addr}", live: "app ProcTitle"},
	"crash-log-enabled":                   {val: "no", stored: "Go prints its own crash report"},
	"crash-memcheck-enabled":              {val: "no", stored: "Go prints its own crash report"},
	"use-exit-on-panic":                   {val: "yes", stored: "test knob"},
	"oom-score-adj":                       {val: "yes", check: settings(func(s server.Settings) bool { return s.OOMScoreAdj == 1 })},
	"oom-score-adj-values":                {val: "1 2 3", check: settings(func(s server.Settings) bool { return s.OOMScoreAdjValues == [3]int{1, 2, 3} })},
	"ignore-warnings":                     {val: "ARM64-COW-BUG", stored: "not acted on"},
	"bind-source-addr":                    {val: "127.0.0.1", live: "repl BindSourceAddr"},
	"sanitize-dump-payload":               {val: "yes", stored: "RESTORE always checks payloads deeply"},
	"acl-pubsub-default":                  {val: "allchannels", check: settings(func(s server.Settings) bool { return s.ACLPubsubAll })},
	"tracking-table-max-keys":             {val: "10", check: settings(func(s server.Settings) bool { return s.TrackingTableMaxKeys == 10 })},
	"maxmemory-clients":                   {val: "10mb", check: settings(func(s server.Settings) bool { return s.MaxmemoryClients == 10<<20 })},
	"latency-tracking":                    {val: "no", check: settings(func(s server.Settings) bool { return !s.LatencyTracking })},
	"latency-tracking-info-percentiles":   {val: "50 99", check: settings(func(s server.Settings) bool { return len(s.LatencyPercentiles) == 2 })},
	"activedefrag":                        {val: "yes", stored: "Go's collector compacts nothing"},
	"active-defrag-ignore-bytes":          {val: "10mb", stored: "no active defrag"},
	"active-defrag-threshold-lower":       {val: "5", stored: "no active defrag"},
	"active-defrag-threshold-upper":       {val: "50", stored: "no active defrag"},
	"active-defrag-cycle-min":             {val: "2", stored: "no active defrag"},
	"active-defrag-cycle-max":             {val: "20", stored: "no active defrag"},
	"active-defrag-max-scan-fields":       {val: "10", stored: "no active defrag"},
	"cluster-node-timeout":                {val: "100", stored: "cluster mode is refused"},
	"cluster-replica-validity-factor":     {val: "1", stored: "cluster mode is refused"},
	"cluster-migration-barrier":           {val: "2", stored: "cluster mode is refused"},
	"cluster-allow-replica-migration":     {val: "no", stored: "cluster mode is refused"},
	"cluster-require-full-coverage":       {val: "no", stored: "cluster mode is refused"},
	"cluster-replica-no-failover":         {val: "yes", stored: "cluster mode is refused"},
	"cluster-allow-reads-when-down":       {val: "yes", stored: "cluster mode is refused"},
	"cluster-allow-pubsubshard-when-down": {val: "no", stored: "cluster mode is refused"},
	"cluster-link-sendbuf-limit":          {val: "1000", stored: "cluster mode is refused"},
	"cluster-announce-hostname":           {val: "walk", stored: "cluster mode is refused"},
	"cluster-preferred-endpoint-type":     {val: "hostname", stored: "cluster mode is refused"},
	"cluster-announce-ip":                 {val: "10.0.0.1", stored: "cluster mode is refused"},
	"cluster-announce-port":               {val: "7001", stored: "cluster mode is refused"},
	"cluster-announce-tls-port":           {val: "7002", stored: "cluster mode is refused"},
	"cluster-announce-bus-port":           {val: "7003", stored: "cluster mode is refused"},
	"tls-cert-file":                       {val: "cert.pem", live: "app TLS"},
	"tls-key-file":                        {val: "key.pem", live: "app TLS"},
	"tls-key-file-pass":                   {val: "pw", live: "app TLS"},
	"tls-client-cert-file":                {val: "c.pem", live: "app TLS"},
	"tls-client-key-file":                 {val: "k.pem", live: "app TLS"},
	"tls-client-key-file-pass":            {val: "pw", live: "app TLS"},
	"tls-dh-params-file":                  {val: "dh.pem", live: "app TLS"},
	"tls-ca-cert-file":                    {val: "ca.pem", live: "app TLS"},
	"tls-ca-cert-dir":                     {val: "/tmp", live: "app TLS"},
	"tls-auth-clients": {val: "no", check: func(w *walk) {
		if w.inst.Server.TLSAuthClients() != tlsconf.AuthNo {
			w.t.Errorf("tls-auth-clients no: the server asks for %v", w.inst.Server.TLSAuthClients())
		}
	}},
	"tls-replication": {val: "yes", check: func(w *walk) {
		if cfg, _ := w.inst.tls.ReplicaTLS(); cfg == nil {
			w.t.Errorf("tls-replication yes: the replica would dial in plain TCP")
		}
	}},
	"tls-cluster": {val: "yes", check: func(w *walk) {
		if w.inst.tls.MigrateTLS() == nil {
			w.t.Errorf("tls-cluster yes: MIGRATE would dial in plain TCP")
		}
	}},
	"tls-protocols":             {val: "TLSv1.3", live: "app TLS"},
	"tls-ciphers":               {val: "DEFAULT", live: "app TLS"},
	"tls-ciphersuites":          {val: "TLS_AES_128_GCM_SHA256", live: "app TLS"},
	"tls-prefer-server-ciphers": {val: "yes", live: "app TLS"},
	"tls-session-caching":       {val: "no", live: "app TLS"},
	"tls-session-cache-size":    {val: "100", live: "app TLS"},
	"tls-session-cache-timeout": {val: "100", live: "app TLS"},
}

// walk is the state of TestConfigSetReachesEveryComponent: one instance,
// one client connection, the directive being walked.
type walk struct {
	t    *testing.T
	inst *Instance
	dir  string
	conn net.Conn
	rd   *bufio.Reader

	name, val string
}

// TestConfigSetReachesEveryComponent walks every directive CONFIG SET
// accepts, from the config package's own table: it sets a value other than
// the default through a client, sees the value (or its effect) where the
// component reads it (see observe), and sets the old value back. A
// directive Tandem refuses must be refused with the reason.
func TestConfigSetReachesEveryComponent(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := config.New()
	// Fields CONFIG SET cannot change: the walk's own files, and dir and
	// dbfilename made settable from a client.
	cfg.Dir = dir
	cfg.Bind = []string{"127.0.0.1"}
	cfg.LogFile = filepath.Join(dir, "log")
	cfg.EnableProtectedConfigs = config.AllowYes
	// The port CONFIG SET port restores at the end: a free one, not 6379.
	cfg.Port = walkFreePort(t)
	// Valid TLS files, so that tls-port, tls-replication and tls-cluster
	// can turn TLS on (TLS itself stays off: no TLS port at start).
	crt, key := writeTLSFiles(t, dir)
	if err := cfg.Set([][2]string{{"tls-cert-file", crt}, {"tls-key-file", key}, {"tls-ca-cert-file", crt}}); err != nil {
		t.Fatal(err)
	}
	inst, err := Start(cfg, Options{EphemeralPort: true, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Shutdown()
	conn, err := net.Dial("tcp", inst.Server.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w := &walk{t: t, inst: inst, dir: dir, conn: conn, rd: bufio.NewReader(conn)}
	readme := storedInReadme(t)

	seen := map[string]bool{}
	counts := map[string]int{}
	for _, d := range config.Directives() {
		if !d.Mutable {
			counts["immutable"]++
			if r := w.do("CONFIG", "SET", d.Name, d.Default); !strings.Contains(r, "can't set immutable config") {
				t.Errorf("CONFIG SET %s (immutable): got %q", d.Name, r)
			}
			continue
		}
		seen[d.Name] = true
		o, ok := walkTable[d.Name]
		if d.Name == "port" {
			o.val = strconv.Itoa(walkFreePort(t))
		}
		if !ok {
			t.Errorf("directive %s is mutable but walkTable does not say how to observe it", d.Name)
			continue
		}
		kinds := 0
		for _, set := range []bool{o.check != nil, o.live != "", o.stored != "", o.refused, o.gap != ""} {
			if set {
				kinds++
			}
		}
		if kinds != 1 || o.val == "" {
			t.Errorf("walkTable[%q]: want a value and exactly one way to observe it", d.Name)
			continue
		}
		w.name, w.val = d.Name, o.val
		before := w.get(d.Name)
		if o.gap != "" {
			counts["gap"]++
			r := w.do("CONFIG", "SET", d.Name, o.val)
			if !strings.Contains(r, "changing "+d.Name+" at run time is not supported by Tandem yet") {
				t.Errorf("CONFIG SET %s %q (%s): got %q, want a refusal", d.Name, o.val, o.gap, r)
			}
			if got := w.get(d.Name); got != before {
				t.Errorf("%s: a refused CONFIG SET changed it from %q to %q", d.Name, before, got)
			}
			w.mustSet(d.Name, before) // the value in force is accepted
			continue
		}
		if o.refused {
			counts["refused"]++
			r := w.do("CONFIG", "SET", d.Name, o.val)
			if !strings.Contains(r, d.Name+" is not supported by Tandem yet") {
				t.Errorf("CONFIG SET %s %q: got %q, want a 'not supported by Tandem yet' error", d.Name, o.val, r)
			}
			if got := w.get(d.Name); got != before {
				t.Errorf("%s: a refused CONFIG SET changed it from %q to %q", d.Name, before, got)
			}
			w.mustSet(d.Name, before)
			continue
		}
		w.mustSet(d.Name, o.val)
		if got := w.get(d.Name); got == before {
			t.Errorf("%s: %q is its current value, not a change", d.Name, o.val)
		}
		switch {
		case o.check != nil:
			counts["observed"]++
			o.check(w)
		case o.live != "":
			counts["live"]++
			w.checkLive(o.live)
		case o.stored != "":
			counts["stored"]++
			if !readme(d.Name) {
				t.Errorf("%s is stored but not acted on (%s): README's list must name it", d.Name, o.stored)
			}
		}
		w.mustSet(d.Name, before)
		if got := w.get(d.Name); got != before {
			t.Errorf("%s: set back to %q, CONFIG GET says %q", d.Name, before, got)
		}
	}
	for name := range walkTable {
		if !seen[name] {
			t.Errorf("walkTable names %s, which is not a mutable directive", name)
		}
	}
	t.Logf("walked %d mutable directives (and refused %d immutable ones): %v", len(seen), counts["immutable"], counts)
}

// do sends one command and returns its reply: a simple string, an error's
// text, an integer's or bulk's text, or an array's elements joined by
// newlines.
func (w *walk) do(args ...string) string {
	w.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	w.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := w.conn.Write([]byte(b.String())); err != nil {
		w.t.Fatal(err)
	}
	r, err := readReply(w.rd)
	if err != nil {
		w.t.Fatalf("%v: %v", args, err)
	}
	return r
}

func readReply(rd *bufio.Reader) (string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+', '-', ':':
		return line[1:], nil
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		parts := make([]string, 0, max(n, 0))
		for range n {
			p, err := readReply(rd)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

func (w *walk) mustSet(name, val string) {
	w.t.Helper()
	if r := w.do("CONFIG", "SET", name, val); r != "OK" {
		w.t.Errorf("CONFIG SET %s %q: %s", name, val, r)
	}
}

func (w *walk) get(name string) string {
	w.t.Helper()
	r := w.do("CONFIG", "GET", name)
	_, v, ok := strings.Cut(r, "\n")
	if !ok {
		w.t.Fatalf("CONFIG GET %s: %q", name, r)
	}
	return v
}

// persistPath is where SAVE writes, read as persist reads it (srv.mu).
func (w *walk) persistPath() string {
	w.inst.Server.Lock()
	defer w.inst.Server.Unlock()
	return w.inst.Persist.Path()
}

// info returns one field of INFO.
func (w *walk) info(field string) string {
	w.t.Helper()
	for _, l := range strings.Split(w.do("INFO", "everything"), "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return ""
}

// newClientPing opens a second connection and returns its PING reply (or
// the error it was closed with).
func (w *walk) newClientPing() string {
	w.t.Helper()
	c, err := net.Dial("tcp", w.inst.Server.Addr().String())
	if err != nil {
		w.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("PING\r\n"))
	r, err := readReply(bufio.NewReader(c))
	if err != nil {
		return err.Error()
	}
	return r
}

// checkLive checks that package pkg's code reads the shared Config's
// field (spec "pkg Field"): the component then sees every CONFIG SET at
// its next use.
func (w *walk) checkLive(spec string) {
	w.t.Helper()
	pkg, field, _ := strings.Cut(spec, " ")
	files, _ := filepath.Glob(filepath.Join("..", pkg, "*.go"))
	// The field's name is enough: Config's names are distinctive, and
	// the repl link reads them through a local (c := m.cfg).
	re := regexp.MustCompile(`\.` + field + `\b`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if src, err := os.ReadFile(f); err == nil && re.Match(src) {
			return
		}
	}
	w.t.Errorf("%s: package %s does not read cfg.%s", w.name, pkg, field)
}

// storedInReadme returns whether README's "Directives stored but not acted
// on" list names a directive (itself or by a pattern such as cluster-*).
func storedInReadme(t *testing.T) func(name string) bool {
	src, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	_, sec, ok := strings.Cut(text, "### Directives stored but not acted on")
	if !ok {
		t.Fatal("README has no 'Directives stored but not acted on' section")
	}
	if i := strings.Index(sec, "\n#"); i >= 0 {
		sec = sec[:i]
	}
	var names []string
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(sec, -1) {
		names = append(names, m[1])
	}
	return func(name string) bool {
		for _, n := range names {
			if ok, _ := path.Match(n, name); ok {
				return true
			}
		}
		return false
	}
}

// walkFreePort is a TCP port free on 127.0.0.1 at the time of the call.
func walkFreePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
