// Package command holds Tandem's command table and its single dispatch
// path: every request, from a client, from a MULTI queue, or from our
// master's replication stream, goes through Engine.Call, which checks
// authentication, arity, role restrictions and transaction state, runs the
// handler, and hands the writes it made to the propagation sinks
// (replication and AOF) as one unit.
package command

import (
	"errors"
	"sort"
	"strings"

	"github.com/tandemdb/tandem/internal/latency"
)

// Flag describes a command's behaviour (Redis's command flags).
type Flag uint32

const (
	// Write commands may change the keyspace: refused on read-only replicas,
	// while min-replicas-to-write is unmet, and after a failed save.
	Write Flag = 1 << iota
	// ReadOnly commands only read keys.
	ReadOnly
	// Admin commands are server administration.
	Admin
	// PubSub commands are Pub/Sub related.
	PubSub
	// NoAuth commands run before a client authenticates.
	NoAuth
	// Loading commands run while a dataset is being loaded.
	Loading
	// Stale commands run on a replica whose master link is down with
	// replica-serve-stale-data no.
	Stale
	// NoMulti commands cannot be queued inside MULTI.
	NoMulti
	// Fast commands are O(1) or O(log N).
	Fast
	// DenyOOM commands may grow memory.
	DenyOOM
	// Blocking commands may block the client.
	Blocking
	// MayReplicate commands are propagated though not writes (PUBLISH).
	MayReplicate
	// SkipMonitor commands are not shown to MONITOR clients.
	SkipMonitor
	// NoScript commands cannot run from scripts.
	NoScript
	// AllowBusy commands run while a script is busy.
	AllowBusy
	// TouchesArbitraryKeys commands never wrap their expiry DELs in MULTI.
	TouchesArbitraryKeys
	// Protected commands (DEBUG, MODULE) run only where their enable-*-
	// command setting allows: Host.Protected decides, right after the
	// arity checks, as Redis's CMD_PROTECTED.
	Protected
)

var flagNames = []struct {
	f    Flag
	name string
}{
	{Write, "write"}, {ReadOnly, "readonly"}, {DenyOOM, "denyoom"}, {Admin, "admin"},
	{PubSub, "pubsub"}, {NoScript, "noscript"}, {Blocking, "blocking"}, {Loading, "loading"},
	{Stale, "stale"}, {SkipMonitor, "skip_monitor"}, {Fast, "fast"}, {NoAuth, "no_auth"},
	{NoMandatoryKeys, "no_mandatory_keys"}, {NoMulti, "no_multi"}, {MovableKeys, "movablekeys"}, {AllowBusy, "allow_busy"},
}

// Names lists the flag names as COMMAND INFO shows them.
func (f Flag) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Handler runs a command. It writes exactly one reply to c.W (or blocks the
// client through c.Block).
type Handler func(c *Ctx)

// Spec describes a command.
type Spec struct {
	Name string // lower case
	// Latency is the command's latency histogram (latency-tracking; nil
	// until it first runs).
	Latency *latency.Histogram
	Arity   int // >0 exact argc, <0 at least -Arity
	Flags   Flag
	// Key positions as Redis's legacy (first, last, step) triple; Last < 0
	// counts from the end. KeysFn overrides it for commands whose keys are
	// found another way (numkeys arguments).
	FirstKey, LastKey, Step int
	KeysFn                  func(args [][]byte) []int
	Handler                 Handler
	Group                   string // command group for COMMAND DOCS
	Summary                 string
	Since                   string
	// Subcommands lists the names (lower case) of subcommands, for COMMAND.
	Subcommands []string
	// Variant, when set, gives the spec whose flags the server's refusals
	// (Host.Gate, at call and at EXEC) look at, for a command whose flags
	// depend on its arguments: EVAL of a script that declares its flags in
	// a shebang (Redis's getCommandFlags). It returns spec itself when the
	// arguments change nothing.
	Variant func(args [][]byte) *Spec
	// What COMMAND INFO shows beyond the above, where a command sets it:
	// its ACL categories (without '@'; nil: Group alone), its tips, its key
	// specs, and its subcommands' own entries (named "container|sub", in
	// Redis's order; nil: bare entries from Subcommands).
	Categories []string
	Tips       []string
	KeySpecs   []KeySpec
	SubSpecs   []*Spec
	// Meta is Redis 7.0's own description of the command (nil for one
	// Redis does not have), set by Table.Add: COMMAND INFO shows its
	// flags, and it fills Categories, Tips and KeySpecs where the spec
	// leaves them nil.
	Meta *RedisMeta

	// Stats (INFO commandstats), updated under the server lock. A
	// container's are kept per subcommand (SubStats), as Redis keeps them
	// ("cmdstat_config|get"), and its own stay zero. Nsec is the time
	// spent, summed in nanoseconds so that commands shorter than a
	// microsecond (a script's calls) add up to what they took, instead
	// of each being cut to 0 µs; INFO shows it in µs.
	Calls, Nsec, Rejected, Failed int64
	subStats                      map[string]*Spec
}

// StatsFor is the spec a call's statistics go to (calls, time, failures,
// latency histogram): a container's subcommand's, created at its first
// call, else the spec itself. The server lock must be held.
func (s *Spec) StatsFor(args [][]byte) *Spec {
	if len(s.Subcommands) == 0 || len(args) < 2 {
		return s
	}
	sub := lookup(s.subStats, args[1])
	if sub != nil {
		return sub
	}
	name := strings.ToLower(string(args[1]))
	known := false
	for _, n := range s.Subcommands {
		if n == name {
			known = true
		}
	}
	if !known {
		return s
	}
	if s.subStats == nil {
		s.subStats = map[string]*Spec{}
	}
	sub = &Spec{Name: s.Name + "|" + name, Flags: s.Flags}
	s.subStats[name] = sub
	return sub
}

// EachSubStats calls f with the subcommand stats of a container, sorted by
// name (nothing for other commands).
func (s *Spec) EachSubStats(f func(sub *Spec)) {
	names := make([]string, 0, len(s.subStats))
	for n := range s.subStats {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f(s.subStats[n])
	}
}

// Keys returns the positions of the key arguments in args.
func (s *Spec) Keys(args [][]byte) []int {
	if s.KeysFn != nil {
		return s.KeysFn(args)
	}
	if s.FirstKey <= 0 {
		return nil
	}
	last := s.LastKey
	if last < 0 {
		last = len(args) + last
	}
	step := s.Step
	if step <= 0 {
		step = 1
	}
	var out []int
	for i := s.FirstKey; i <= last && i < len(args); i += step {
		out = append(out, i)
	}
	return out
}

// Table maps command names to specs.
//
// Clients see the commands under the names rename-command left them
// (Rename); a renamed command keeps its spec, and so its real name in
// COMMAND, INFO commandstats, CLIENT LIST and errors, as in Redis.
type Table struct {
	m    map[string]*Spec // by the name clients call it, after renames
	orig map[string]*Spec // by the real name, whatever the renames
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{m: map[string]*Spec{}, orig: map[string]*Spec{}} }

// Add registers specs; a later spec with the same name replaces the earlier.
// Specs are added before renames are applied.
func (t *Table) Add(specs ...*Spec) {
	for _, s := range specs {
		s.Name = strings.ToLower(s.Name)
		s.applyRedisMeta()
		t.m[s.Name] = s
		t.orig[s.Name] = s
	}
}

// Rename applies a rename-command line: the command clients call from
// (case-insensitively) is called to from now on, or by no name when to is
// "". The errors are Redis's reasons.
func (t *Table) Rename(from, to string) error {
	from, to = strings.ToLower(from), strings.ToLower(to)
	s := t.m[from]
	if s == nil {
		return errors.New("No such command in rename-command")
	}
	delete(t.m, from)
	if to == "" {
		return nil
	}
	if t.m[to] != nil {
		return errors.New("Target command name already exists")
	}
	t.m[to] = s
	return nil
}

// Lookup finds a command by the name clients call it,
// case-insensitively, without allocating.
func (t *Table) Lookup(name []byte) *Spec { return lookup(t.m, name) }

// LookupOriginal is Lookup that also finds a command renamed away by its
// real name. Only what the server must obey uses it, its master's stream
// and the AOF: they name commands as clients did or by their real names
// (the rewritten forms SET, PEXPIREAT…, the MULTI/EXEC/SELECT framing), and
// a write lost there would make the data diverge.
func (t *Table) LookupOriginal(name []byte) *Spec {
	if s := lookup(t.m, name); s != nil {
		return s
	}
	return lookup(t.orig, name)
}

func lookup(m map[string]*Spec, name []byte) *Spec {
	var buf [32]byte
	if len(name) > len(buf) {
		return m[strings.ToLower(string(name))]
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return m[string(buf[:len(name)])]
}

// All returns every spec clients can call, sorted by real name.
func (t *Table) All() []*Spec {
	out := make([]*Spec, 0, len(t.m))
	for _, s := range t.m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Len is the number of commands clients can call.
func (t *Table) Len() int { return len(t.m) }
