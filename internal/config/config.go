package config

import (
	"io/fs"
	"os"
	"slices"
)

// Config holds every setting of a server. The exported fields are the
// settings Tandem acts on; their defaults, bounds, names and aliases are in
// the directive table (directives.go), the one place defining them. Settings
// Tandem accepts for compatibility but does not act on (syslog-*, tls-*,
// cluster-*, active-defrag-*, …) are validated the same way and kept out of
// sight, so that CONFIG GET and CONFIG REWRITE show them.
//
// Code may read the fields directly; it should change them only through Set,
// which validates and tells the subscribers (Subscribe). The exception is ReplicaOf,
// which CONFIG SET refuses and the REPLICAOF command assigns; CONFIG REWRITE
// then writes whatever the fields hold.
//
// A Config is not safe for concurrent use: the server calls Get, Set,
// Rewrite and Subscribe, and reads fields, under its own global lock, and
// hands a Clone to anything that must read without that lock.
type Config struct {
	// Network.
	Bind           []string // addresses to listen on; "-" prefix = optional
	Port           int      // 0 = no TCP listener
	TCPBacklog     int
	TCPKeepalive   int // seconds; 0 = off
	Timeout        int // client idle timeout in seconds; 0 = never
	ProtectedMode  bool
	UnixSocket     string
	UnixSocketPerm fs.FileMode
	MaxClients     int64
	TLSPort        int // accepted for compatibility; Tandem has no TLS

	// Process.
	Daemonize bool
	PidFile   string
	LogFile   string // "" = standard output
	// SetProcTitle and ProcTitleTemplate: the process title (ProcTitle),
	// set by the program's main (cmd/tandem) when it can.
	SetProcTitle       bool
	ProcTitleTemplate  string
	LogLevel           LogLevel
	Databases          int
	Dir                string // absolute; the working directory by default
	HZ                 int    // clamped to 1..500 as Redis does
	DynamicHZ          bool
	IOThreads          int
	ShutdownTimeout    int // seconds to wait for replicas on shutdown
	ShutdownOnSigint   ShutdownFlags
	ShutdownOnSigterm  ShutdownFlags
	ClusterEnabled     bool // accepted; CheckSupported refuses it
	EnableDebugCommand Allow
	// EnableProtectedConfigs decides whether CONFIG SET may change dir and
	// dbfilename.
	EnableProtectedConfigs Allow
	EnableModuleCommand    Allow

	// Security. RenameCommands and LoadModules are kept as read; the server
	// applies the renames (ApplyRenames) and CheckSupported refuses modules.
	RequirePass  string
	ACLFile      string
	ACLLogMaxLen int64
	// Users are the user lines, {name, rules...} each, in order; the
	// server applies them at start-up (after requirepass).
	Users [][]string
	// ACLUsers, when set, gives the users as CONFIG REWRITE writes them
	// ("user <name> <rules>" lines; none when an ACL file holds them, and
	// the file's user lines are then dropped, as Redis does). It is called
	// under the server lock, where CONFIG REWRITE runs.
	ACLUsers       func() []string
	RenameCommands [][2]string // {old, new}; new "" removes the command
	LoadModules    [][]string  // {path, args...}

	// Replication.
	ReplicaOf             HostPort // Host "" = not a replica
	MasterAuth            string
	MasterUser            string
	ReplicaReadOnly       bool
	ReplicaServeStaleData bool
	ReplicaPriority       int
	ReplicaAnnounceIP     string
	// BindSourceAddr is the local address outgoing replication links
	// bind to ("": the system's choice).
	BindSourceAddr               string
	ReplicaAnnouncePort          int
	ReplicaAnnounced             bool
	ReplicaLazyFlush             bool
	ReplicaIgnoreMaxmemory       bool
	ReplicaIgnoreDiskWriteErrors bool
	ReplDisklessSync             bool
	ReplDisklessSyncDelay        int // seconds
	ReplDisklessSyncMaxReplicas  int
	ReplDisklessLoad             DisklessLoad
	ReplBacklogSize              int64 // bytes; CONFIG SET raises it to 16kb
	ReplBacklogTTL               int64 // seconds; 0 = keep forever
	ReplTimeout                  int   // seconds
	ReplPingReplicaPeriod        int   // seconds
	ReplDisableTCPNoDelay        bool
	MinReplicasToWrite           int
	MinReplicasMaxLag            int // seconds
	PropagationErrorBehavior     PropagationErrorBehavior
	// Test knobs Redis hides from CONFIG GET patterns.
	RDBKeySaveDelay                   int   // microseconds per key saved
	KeyLoadDelay                      int   // microseconds per key loaded
	LoadingProcessEventsIntervalBytes int64 // bytes between event-loop turns while loading

	// Snapshots.
	Save                    []SavePoint // empty = no automatic snapshots
	DBFilename              string
	StopWritesOnBgsaveError bool
	RDBCompression          bool
	RDBChecksum             bool
	RDBSaveIncrementalFsync bool
	RDBDelSyncFiles         bool

	// Append-only file.
	AppendOnly                 bool
	AppendFilename             string
	AppendDirname              string // relative to Dir
	AppendFsync                FsyncPolicy
	NoAppendFsyncOnRewrite     bool
	AutoAOFRewritePercentage   int
	AutoAOFRewriteMinSize      int64
	AOFLoadTruncated           bool
	AOFUseRDBPreamble          bool
	AOFTimestampEnabled        bool
	AOFRewriteIncrementalFsync bool
	AOFDisableAutoGC           bool

	// Memory and limits.
	MaxMemory                 uint64 // bytes; 0 = no limit
	MaxMemoryPolicy           EvictionPolicy
	MaxMemorySamples          int
	MaxMemoryEvictionTenacity int
	LFULogFactor              int
	LFUDecayTime              int                  // minutes
	ProtoMaxBulkLen           int64                // bytes
	ClientQueryBufferLimit    int64                // bytes
	ClientOutputBufferLimit   [3]OutputBufferLimit // indexed by ClientClass
	LazyfreeLazyEviction      bool
	LazyfreeLazyExpire        bool
	LazyfreeLazyServerDel     bool
	LazyfreeLazyUserDel       bool
	LazyfreeLazyUserFlush     bool
	ActiveRehashing           bool
	// JemallocBgThread keeps Redis's name for returning freed memory to the
	// system in the background: here, the collection after a burst once
	// the server goes quiet (see the server's idle purge).
	JemallocBgThread   bool
	ActiveExpireEffort int // 1..10

	// Encodings of small values.
	ListMaxListpackSize    int // > 0 entries, < 0 size class (-1 = 4kb … -5 = 64kb)
	ListCompressDepth      int
	HashMaxListpackEntries int64
	HashMaxListpackValue   int64
	SetMaxIntsetEntries    int64
	ZSetMaxListpackEntries int64
	ZSetMaxListpackValue   int64
	StreamNodeMaxBytes     int64
	StreamNodeMaxEntries   int64
	HLLSparseMaxBytes      int64
	TrackingTableMaxKeys   int64 // CLIENT TRACKING table size; 0 = no limit

	// Diagnostics and events.
	SlowlogLogSlowerThan    int64 // microseconds; < 0 = off, 0 = log everything
	SlowlogMaxLen           int64
	LatencyMonitorThreshold int64 // milliseconds; 0 = off
	LatencyTracking         bool  // per-command latency histograms (INFO latencystats)
	BusyReplyThreshold      int64 // milliseconds (alias lua-time-limit)
	WatchdogPeriod          int   // milliseconds; 0: off (the software watchdog's stack dumps)
	OOMScoreAdj             int   // oom-score-adj: 0 no, 1 yes/relative, 3 absolute (OOMScoreAdjValues)
	NotifyKeyspaceEvents    KeyspaceEvents

	path    string             // absolute path of the file read; "" = none
	stored  map[string]any     // settings without a field, by directive name
	modules [][]string         // module configs (dotted names), refused by CheckSupported
	subs    []subscriber       // CONFIG SET reactions, in registration order
	loading *loadState         // non-nil only during Load
	lines   map[string]lineRef // where each directive was last set while loading
	renames []lineRef          // where each RenameCommands entry was read
}

// HostPort is a master's address.
type HostPort struct {
	Host string
	Port int
}

// SavePoint asks for a snapshot when at least Changes writes happened in
// the last Seconds seconds.
type SavePoint struct {
	Seconds int64
	Changes int64
}

// ClientClass indexes Config.ClientOutputBufferLimit.
type ClientClass int

const (
	ClassNormal ClientClass = iota
	ClassReplica
	ClassPubSub
)

// OutputBufferLimit closes a client whose pending output exceeds Hard bytes,
// or stays above Soft bytes for SoftSeconds. Zero disables a limit.
type OutputBufferLimit struct {
	Hard        uint64
	Soft        uint64
	SoftSeconds int64
}

// New returns a Config holding Redis 7.0's defaults, with Dir set to the
// working directory.
func New() *Config {
	c := &Config{stored: make(map[string]any)}
	for _, d := range table.list {
		d.init(c)
	}
	if wd, err := os.Getwd(); err == nil {
		c.Dir = wd
	} else {
		c.Dir = "."
	}
	return c
}

// Clone returns an independent copy of the settings and of the file path;
// subscriptions are not copied.
func (c *Config) Clone() *Config {
	n := c.snapshot()
	n.subs = nil
	n.loading = nil
	return n
}

// snapshot copies everything the setters may change. Setters always
// replace slices rather than change them in place, so copying the slice
// headers of the nested ones is enough.
func (c *Config) snapshot() *Config {
	n := *c
	n.Bind = slices.Clone(c.Bind)
	n.Save = slices.Clone(c.Save)
	n.RenameCommands = slices.Clone(c.RenameCommands)
	n.renames = slices.Clone(c.renames)
	n.LoadModules = slices.Clone(c.LoadModules)
	n.Users = slices.Clone(c.Users)
	n.modules = slices.Clone(c.modules)
	n.stored = make(map[string]any, len(c.stored))
	for k, v := range c.stored {
		n.stored[k] = v
	}
	return &n
}

// Path is the absolute path of the configuration file that was read, or ""
// when there is none (CONFIG REWRITE then fails).
func (c *Config) Path() string { return c.path }

// IsReplica reports whether replicaof names a master.
func (c *Config) IsReplica() bool { return c.ReplicaOf.Host != "" }

// Value returns the CONFIG GET form of one directive, by name or alias.
func (c *Config) Value(name string) (string, bool) {
	d := table.lookup(name)
	if d == nil {
		return "", false
	}
	return d.get(c), true
}

// subscriber is one component's reaction to CONFIG SET.
type subscriber struct {
	fn    func(*Config) error
	names []string // canonical directive names; nil = every directive
}

// watches reports whether the subscriber cares about the directive (by
// canonical name).
func (s *subscriber) watches(name string) bool {
	return s.names == nil || slices.Contains(s.names, name)
}

// Subscribe is the one way a component learns of a CONFIG SET: fn runs once
// after a Set that changed any of the directives names (or the directives
// the aliases name), or any directive at all when names is empty. Every
// component reads its settings from this Config under the server's lock;
// it subscribes only when it holds state derived from a value (a tick
// rate, an open file, a buffer's size) that must follow the change at once.
//
// Subscribers run in registration order (internal/app wires them, in an
// order written down there) and see all the new values. If fn returns an
// error the old values are restored, every subscriber that the change
// concerned runs again so the server can return to them, and Set fails
// with fn's error text as the reason. Subscribe panics on an unknown name:
// that is a typo in the server, not a user error.
func (c *Config) Subscribe(fn func(c *Config) error, names ...string) {
	sub := subscriber{fn: fn}
	for _, name := range names {
		d := table.lookup(name)
		if d == nil {
			panic("config: Subscribe to unknown directive " + name)
		}
		sub.names = append(sub.names, d.name)
	}
	c.subs = append(c.subs, sub)
}

// ApplyRenames applies the rename-command lines, in order, through rename
// (the server's command table). An error rename returns becomes a
// FileError at the line that asked for it, as Redis reports it while it
// reads the file.
func (c *Config) ApplyRenames(version string, rename func(from, to string) error) error {
	for i, r := range c.RenameCommands {
		if err := rename(r[0], r[1]); err != nil {
			fe := &FileError{Version: version, File: c.path, Reason: err.Error()}
			if i < len(c.renames) {
				at := c.renames[i]
				fe.Line, fe.Text = at.line, at.text
				if at.file != "" {
					fe.File = at.file
				}
			}
			return fe
		}
	}
	return nil
}

// CheckSupported reports settings that Redis accepts but Tandem cannot
// honour: cluster mode, modules and module configs (a FileError banner
// without a line, as Redis prints for its own whole-configuration checks),
// then any directive that must keep its default until Tandem builds it
// (maxmemory, TLS…; see notYet), with the line that set it.
// app.Start calls it before anything starts.
func (c *Config) CheckSupported(version string) error {
	if version == "" {
		version = DefaultVersion
	}
	fail := func(r string) error { return &FileError{Version: version, File: c.path, Reason: r} }
	switch {
	case c.ClusterEnabled:
		return fail("cluster mode (cluster-enabled yes) is not supported")
	case len(c.LoadModules) > 0:
		return fail("modules are not supported (loadmodule " + c.LoadModules[0][0] + ")")
	case len(c.modules) > 0:
		return fail("module configuration '" + c.modules[0][0] + "' is not supported")
	}
	return c.unsupportedError(version)
}
