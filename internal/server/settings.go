package server

import (
	"io/fs"

	"github.com/tandemdb/tandem/internal/command"
)

// Settings are the values the server acts on, read from the configuration
// at start-up and again after every CONFIG SET. Keeping them in one typed
// struct means the hot paths read plain fields instead of looking names up.
type Settings struct {
	// notify-keyspace-events: the channels (K, E) and the classes on.
	NotifyKeyspace, NotifyKeyevent bool
	NotifyClasses                  command.Event
	Bind                           []string
	Port                           int
	Databases                      int
	RequirePass                    string
	MaxClients                     int
	Timeout                        int // idle seconds before a client is closed (0 = never)
	TCPKeepAlive                   int // seconds
	ProtectedMode                  bool
	Dir                            string
	Logfile                        string
	Loglevel                       string
	Pidfile                        string
	Daemonize                      bool
	Hz                             int

	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	// OutputLimits are client-output-buffer-limit per class.
	OutputLimits [numClasses]OutputLimit

	SlowlogSlowerThan int64 // microseconds; <0 disables
	// WatchdogPeriod is watchdog-period in milliseconds (0: off).
	WatchdogPeriod int
	// OOMScoreAdj and OOMScoreAdjValues are oom-score-adj (0 no, 1
	// relative, 3 absolute) and oom-score-adj-values (oomscore.go).
	OOMScoreAdj       int
	OOMScoreAdjValues [3]int
	SlowlogMaxLen     int
	MaxmemoryPolicy   string
	EnableDebug       string // "yes", "no", "local"
	EnableModule      string // "yes", "no", "local"
	// LatencyMonitorThreshold (ms, 0 = off) is the latency monitor's
	// threshold; LatencyTracking keeps per-command histograms, and
	// LatencyPercentiles are those INFO latencystats shows.
	LatencyMonitorThreshold int64
	LatencyTracking         bool
	LatencyPercentiles      []float64
	// TrackingTableMaxKeys bounds the CLIENT TRACKING table (0: no limit).
	TrackingTableMaxKeys int
	// IdlePurge: collect and return freed memory once quiet after a burst
	// (jemalloc-bg-thread; see idlepurge.go).
	IdlePurge bool

	// UnixSocket is the path of a Unix socket to listen on ("" = none),
	// UnixSocketPerm its mode (0 = as created).
	UnixSocket     string
	UnixSocketPerm fs.FileMode

	// ShutdownTimeout is how long (seconds) a shutdown waits for lagging
	// replicas (shutdown-timeout; 0 = not at all).
	ShutdownTimeout int

	// ACLLogMaxLen is acllog-max-len; ACLPubsubAll is acl-pubsub-default
	// allchannels (new users get every channel).
	ACLLogMaxLen int
	ACLPubsubAll bool

	// MaxmemoryClients is maxmemory-clients: bytes, or -n for n% of
	// MaxmemoryForClients (maxmemory); 0 turns client eviction off, and
	// so does a percentage while maxmemory is 0, as in Redis (see
	// clientEvictLimit).
	MaxmemoryClients    int64
	MaxmemoryForClients int64
}

// Client classes for output buffer limits.
const (
	ClassNormal = iota
	ClassReplica
	ClassPubSub
	numClasses
)

// OutputLimit is one client-output-buffer-limit class.
type OutputLimit struct {
	Hard, Soft int64
	SoftSecs   int
}

// DefaultSettings are Redis 7.0's defaults.
func DefaultSettings() Settings {
	return Settings{
		Bind:                   []string{"*", "-::*"},
		Port:                   6379,
		Databases:              16,
		ACLLogMaxLen:           128,
		MaxClients:             10000,
		TCPKeepAlive:           300,
		ProtectedMode:          true,
		Dir:                    ".",
		Loglevel:               "notice",
		Hz:                     10,
		ProtoMaxBulkLen:        512 << 20,
		ClientQueryBufferLimit: 1 << 30,
		OutputLimits: [numClasses]OutputLimit{
			ClassNormal:  {},
			ClassReplica: {Hard: 256 << 20, Soft: 64 << 20, SoftSecs: 60},
			ClassPubSub:  {Hard: 32 << 20, Soft: 8 << 20, SoftSecs: 60},
		},
		SlowlogSlowerThan:    10000,
		SlowlogMaxLen:        128,
		MaxmemoryPolicy:      "noeviction",
		EnableDebug:          "no",
		EnableModule:         "no",
		IdlePurge:            true,
		TrackingTableMaxKeys: 1000000,
		LatencyTracking:      true,
		LatencyPercentiles:   []float64{50, 99, 99.9},
		ShutdownTimeout:      10,
	}
}
