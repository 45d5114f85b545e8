package config

import "strings"

// The enumerations below list their names in Redis's order, which is the
// order its error messages list them in.

// LogLevel is loglevel.
type LogLevel int

const (
	LogDebug LogLevel = iota
	LogVerbose
	LogNotice
	LogWarning
)

var logLevelNames = []string{"debug", "verbose", "notice", "warning"}

func (l LogLevel) String() string { return enumName(logLevelNames, int(l)) }

// FsyncPolicy is appendfsync.
type FsyncPolicy int

const (
	FsyncEverySec FsyncPolicy = iota
	FsyncAlways
	FsyncNo
)

var fsyncNames = []string{"everysec", "always", "no"}

func (f FsyncPolicy) String() string { return enumName(fsyncNames, int(f)) }

// DisklessLoad is repl-diskless-load.
type DisklessLoad int

const (
	DisklessLoadDisabled DisklessLoad = iota
	DisklessLoadOnEmptyDB
	DisklessLoadSwapDB
)

var disklessLoadNames = []string{"disabled", "on-empty-db", "swapdb"}

func (d DisklessLoad) String() string { return enumName(disklessLoadNames, int(d)) }

// EvictionPolicy is maxmemory-policy.
type EvictionPolicy int

const (
	VolatileLRU EvictionPolicy = iota
	VolatileLFU
	VolatileRandom
	VolatileTTL
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	NoEviction
)

var evictionNames = []string{
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
}

func (p EvictionPolicy) String() string { return enumName(evictionNames, int(p)) }

// Allow is the no/yes/local choice of enable-debug-command,
// enable-module-command and enable-protected-configs.
type Allow int

const (
	AllowNo Allow = iota
	AllowYes
	AllowLocal // only from loopback or Unix-socket connections
)

var allowNames = []string{"no", "yes", "local"}

func (a Allow) String() string { return enumName(allowNames, int(a)) }

// Permits reports whether a client, local or not, may do the guarded thing.
func (a Allow) Permits(local bool) bool {
	return a == AllowYes || a == AllowLocal && local
}

// PropagationErrorBehavior is propagation-error-behavior: what a replica
// does when a command from its master fails.
type PropagationErrorBehavior int

const (
	PropagationIgnore PropagationErrorBehavior = iota
	PropagationPanic
	PropagationPanicOnReplicas
)

var propagationNames = []string{"ignore", "panic", "panic-on-replicas"}

func (p PropagationErrorBehavior) String() string { return enumName(propagationNames, int(p)) }

// ShutdownFlags is shutdown-on-sigint and shutdown-on-sigterm: the SHUTDOWN
// options a signal implies. Zero is "default".
type ShutdownFlags int

const (
	ShutdownSave ShutdownFlags = 1 << iota
	ShutdownNoSave
	ShutdownNow
	ShutdownForce
)

var shutdownNames = []string{"default", "save", "nosave", "now", "force"}

func (f ShutdownFlags) String() string {
	if f == 0 {
		return "default"
	}
	var parts []string
	for i, n := range shutdownNames[1:] {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, " ")
}

// KeyspaceEvents is notify-keyspace-events as a set of classes.
type KeyspaceEvents int

const (
	EventsKeyspace KeyspaceEvents = 1 << iota // K
	EventsKeyevent                            // E
	EventsGeneric                             // g
	EventsString                              // $
	EventsList                                // l
	EventsSet                                 // s
	EventsHash                                // h
	EventsZSet                                // z
	EventsExpired                             // x
	EventsEvicted                             // e
	EventsStream                              // t
	EventsKeyMiss                             // m
	EventsModule                              // d
	EventsNew                                 // n

	// EventsAll is what "A" stands for; it leaves out m and n.
	EventsAll = EventsGeneric | EventsString | EventsList | EventsSet | EventsHash |
		EventsZSet | EventsExpired | EventsEvicted | EventsStream | EventsModule
)

type eventLetter struct {
	c byte
	f KeyspaceEvents
}

// classLetters are the event classes, in the order Redis prints them; "A"
// replaces them when all those it covers are set. modeLetters follow.
var (
	classLetters = []eventLetter{
		{'g', EventsGeneric}, {'$', EventsString}, {'l', EventsList}, {'s', EventsSet},
		{'h', EventsHash}, {'z', EventsZSet}, {'x', EventsExpired}, {'e', EventsEvicted},
		{'t', EventsStream}, {'d', EventsModule}, {'n', EventsNew},
	}
	modeLetters = []eventLetter{{'K', EventsKeyspace}, {'E', EventsKeyevent}, {'m', EventsKeyMiss}}
)

// parseKeyspaceEvents reads the letters of notify-keyspace-events.
func parseKeyspaceEvents(s string) (KeyspaceEvents, bool) {
	var f KeyspaceEvents
next:
	for i := 0; i < len(s); i++ {
		if s[i] == 'A' {
			f |= EventsAll
			continue
		}
		for _, l := range classLetters {
			if l.c == s[i] {
				f |= l.f
				continue next
			}
		}
		for _, l := range modeLetters {
			if l.c == s[i] {
				f |= l.f
				continue next
			}
		}
		return 0, false
	}
	return f, true
}

// String is Redis's canonical form. When "A" is printed, n is not, even if
// set: Redis 7.0 does the same.
func (f KeyspaceEvents) String() string {
	var b strings.Builder
	if f&EventsAll == EventsAll {
		b.WriteByte('A')
	} else {
		for _, l := range classLetters {
			if f&l.f != 0 {
				b.WriteByte(l.c)
			}
		}
	}
	for _, l := range modeLetters {
		if f&l.f != 0 {
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

func enumName(names []string, i int) string {
	if i < 0 || i >= len(names) {
		return "unknown"
	}
	return names[i]
}
