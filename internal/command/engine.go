package command

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/ticks"
	"github.com/tandemdb/tandem/internal/types"
)

// Host is what the engine asks of the server that runs it, every call
// with the server lock held. internal/server implements it; a bare engine
// (unit tests) has NopHost, which refuses and records nothing.
type Host interface {
	// AuthRequired reports whether clients must authenticate first.
	AuthRequired() bool
	// Protected answers the refusal of a Protected command (DEBUG,
	// MODULE) for s, or "" to let it run. It is asked before
	// authentication and before MULTI queues the command, as in Redis.
	Protected(s *Session, spec *Spec, args [][]byte) string
	// Gate lets the server refuse a command for reasons the engine does
	// not know about (read-only replica, stale master link, loading,
	// min-replicas-to-write, failed saves). It returns the error reply
	// text, or "" to let the command run; EXEC asks it for every queued
	// command.
	Gate(s *Session, spec *Spec, args [][]byte) string
	// Monitor is shown every top-level command that MONITOR may see.
	// spec is the command run, whatever name the client called it by
	// (rename-command), so that secrets can be found and hidden.
	Monitor(s *Session, spec *Spec, args [][]byte)
	// Slow is told how long each command took (SLOWLOG), with spec as for
	// Monitor.
	Slow(s *Session, spec *Spec, args [][]byte, d time.Duration)
	// Warnf logs a warning the engine raises itself: a handler that
	// panicked, with its stack.
	Warnf(format string, args ...any)
}

// NopHost is a Host that refuses nothing, needs no authentication and
// records nothing (an engine without a server, in tests).
type NopHost struct{}

func (NopHost) AuthRequired() bool                            { return false }
func (NopHost) Protected(*Session, *Spec, [][]byte) string    { return "" }
func (NopHost) Gate(*Session, *Spec, [][]byte) string         { return "" }
func (NopHost) Monitor(*Session, *Spec, [][]byte)             {}
func (NopHost) Slow(*Session, *Spec, [][]byte, time.Duration) {}
func (NopHost) Warnf(string, ...any)                          {}

// Tracker is client-side caching's view of the dispatch (the server keeps
// the tracking table; CLIENT TRACKING). The engine tells it which keys a
// tracking client read and which keys changed, and by whom.
type Tracker interface {
	// TrackRead: a read-only command ran for caller, a tracking client
	// (for a script's calls, the client that ran the script).
	TrackRead(caller *Session, spec *Spec, args [][]byte)
	// KeyChanged: key was modified or removed; by is the client whose
	// command did it, nil for the server itself (an expiry, even one a
	// client's read found); current is the client whose command is
	// running, if any.
	KeyChanged(key []byte, by, current *Session)
	// Flushed: every key went at once (FLUSHALL, FLUSHDB, a full sync);
	// by as for KeyChanged.
	Flushed(by *Session)
	// AfterCommand: s's top-level command spec has written its reply;
	// invalidations of keys it changed itself follow it.
	AfterCommand(s *Session, spec *Spec)
}

// ReplOffsetter reports the replication offset after propagation, so a
// client's WAIT knows which offset its writes reached (replication).
type ReplOffsetter interface {
	ReplOffset() int64
}

// FlushObserver is told of FLUSHALL (all) and FLUSHDB after the data is
// gone: on FLUSHALL persistence kills a BGSAVE whose image is stale and,
// with save points, saves the empty dataset, as Redis does.
type FlushObserver interface {
	AfterFlush(all bool)
}

// Engine executes commands against the keyspace.
type Engine struct {
	// rerunning marks the next run as a blocked command's re-run: Redis
	// counts a blocked command's call once, when it first runs (its time,
	// failure, latency and slowlog entry when it is unblocked).
	rerunning bool
	// Muted stops all propagation (lock held to change it): DEBUG LOADAOF
	// replays the AOF into the running server, and what it replays must
	// reach neither the AOF again nor the replicas, as in Redis.
	Muted bool

	KS    *keyspace.Keyspace
	Table *Table
	// Sinks receive every propagated command, in this order (the
	// replication stream, then the AOF: see internal/app).
	Sinks []Propagator
	// SinkTargets says what each sink is (parallel to Sinks; a sink
	// without an entry takes everything), so that a script's
	// redis.set_repl can send its writes to the AOF or the replicas only.
	SinkTargets []Target
	// Host is the server running the engine (never nil: NopHost by
	// default).
	Host Host
	// Offsets and Flushes are nil when no part wants them.
	Offsets ReplOffsetter
	Flushes FlushObserver

	// Limits are the encoding thresholds (hash-max-listpack-*, set-max-
	// intset-entries, zset-max-listpack-*, list-max-listpack-size) that new
	// and growing collections obey, and MaxStringSize bounds what APPEND,
	// SETRANGE and SETBIT may build (proto-max-bulk-len). The server sets
	// them from its configuration at start and after CONFIG SET; they are
	// read under the server lock like everything the handlers touch. They
	// live here, not in package variables, so that servers embedded in one
	// process keep their own.
	Limits types.Limits
	// Tracker is told of reads and changes for CLIENT TRACKING (nil: no
	// server, as in tests of the engine alone).
	Tracker Tracker
	// Perm checks ACL permissions before a command runs or is queued, and
	// again at EXEC (nil: everything is allowed).
	Perm PermChecker
	// Notifier receives keyspace events (nil: none are sent).
	Notifier Notifier
	// top is the client whose command is running (Call), the one a
	// script's calls are attributed to; nil between commands.
	top *Session
	// topSpec and topArgs are top's command (a script's declared keys).
	topSpec *Spec
	topArgs [][]byte
	// expiring: the next keyModified is an expired key's deletion.
	expiring      bool
	MaxStringSize int64

	now int64
	// execRunning is set while EXEC runs its queued commands (Redis's
	// server.in_exec): work they start may be deferred until it ends.
	execRunning int
	depth       int
	// The chained clock (see ChainClock): the reading that ended the last
	// top-level command, and whether the next one may start from it.
	chain, chainOK bool
	chainEnd       time.Duration
	chainTick      uint64 // KS.Ticks of chainEnd's base
	unit           []propOp
	// unitBuf and unitArgs hold the unit's argument bytes and their ranges;
	// argvScratch is rebuilt from them for each sink call.
	unitBuf     []byte
	unitArgs    [][2]int
	argvScratch [][]byte
	// evictKey and evictArgv are KeyEvicted's copy of the key and its DEL,
	// reused: nothing keeps them past the call (the sinks encode at once,
	// the unit copies, tracking and WATCH store strings of their own).
	evictKey  []byte
	evictArgv [2][]byte
	// noWrap keeps the current unit from being wrapped in MULTI/EXEC
	// (active expiry, SCAN, RANDOMKEY).
	noWrap bool
	// propSkip are the targets the running script's writes must not
	// reach (SetScriptTargets); 0 outside scripts.
	propSkip Target

	watchers map[watchKey][]*Session
	blocked  map[watchKey][]*Session
	ready    []watchKey
	readySet map[watchKey]bool
	// readyKey is the key whose blocked clients serveReady is re-running
	// (nil otherwise); see Ctx.readyKey.
	readyKey []byte
	// noWake: the key changing now does not make its blocked clients
	// re-run (modifiedNoWake: XSETID, XGROUP SETID).
	noWake bool
	ctxs   []*Ctx // reused handler contexts, by nesting depth

	// Stats for INFO.
	TotalCommands int64
	TotalErrors   int64
	// ErrorStats counts error replies by code ("ERR", "WRONGTYPE") for
	// INFO errorstats.
	ErrorStats map[string]int64
}

type watchKey struct {
	db  int
	key string
}

// NewEngine builds an engine over ks with the data commands registered.
// The server adds its own commands to e.Table.
func NewEngine(ks *keyspace.Keyspace) *Engine {
	e := &Engine{
		KS:       ks,
		Table:    NewTable(),
		watchers: map[watchKey][]*Session{},
		blocked:  map[watchKey][]*Session{},
		readySet: map[watchKey]bool{},
		Host:     NopHost{},
		Limits:   types.DefaultLimits(),
		// Redis's default proto-max-bulk-len.
		MaxStringSize: 512 << 20,
	}
	ks.Observer = (*keyObserver)(e)
	ks.OnNew = func(db *keyspace.DB, key []byte) {
		if n := e.Notifier; n != nil && n.Enabled(EvNew) {
			n.Notify(EvNew, "new", key, db.ID)
		}
	}
	ks.OnMiss = func(db *keyspace.DB, key []byte) {
		if n := e.Notifier; n != nil && n.Enabled(EvKeyMiss) {
			n.Notify(EvKeyMiss, "keymiss", key, db.ID)
		}
	}
	e.now = ks.Now()
	registerAll(e.Table)
	return e
}

// registerAll registers every data command. Each file of the package
// contributes a function returning its specs.
func registerAll(t *Table) {
	t.Add(transactionCommands()...)
	t.Add(stringCommands()...)
	t.Add(bitmapCommands()...)
	t.Add(hllCommands()...)
	t.Add(bitfieldCommands()...)
	t.Add(lcsCommands()...)
	t.Add(sortCommands()...)
	t.Add(geoCommands()...)
	t.Add(keyCommands()...)
	t.Add(databaseCommands()...)
	t.Add(listCommands()...)
	t.Add(hashCommands()...)
	t.Add(setCommands()...)
	t.Add(zsetCommands()...)
	t.Add(allStreamCommands()...)
}

// Call runs one request for s, writing its reply to s.W. It is the single
// dispatch path. The server lock must be held. The reply is dropped when
// the client turned replies off (CLIENT REPLY OFF, or SKIP for this one);
// invalidations its own command caused (CLIENT TRACKING) follow the reply.
func (e *Engine) Call(s *Session, args [][]byte) {
	mark := len(s.W.Buf)
	s.replySkip = s.ReplySkipNext
	s.ReplySkipNext = false
	s.keep = s.keep[:0]
	spec := e.call(s, args)
	if (s.ReplyOff || s.replySkip) && !s.Blocked() && mark <= len(s.W.Buf) {
		// Ranges ascend and never overlap what is kept before them, so
		// they are moved down in place.
		kept := s.W.Buf[:mark]
		for _, r := range s.keep {
			if r[0] >= mark && r[1] <= len(s.W.Buf) {
				kept = append(kept, s.W.Buf[r[0]:r[1]]...)
			}
		}
		s.W.Buf = kept
	}
	s.replySkip = false
	if e.Tracker != nil && spec != nil && e.depth == 0 {
		e.Tracker.AfterCommand(s, spec)
	}
}

// call is Call's checks and run; it returns the command's spec (nil when
// the name is unknown).
func (e *Engine) call(s *Session, args [][]byte) *Spec {
	if len(args) == 0 {
		return nil
	}
	// Clients mostly repeat one command (a pipeline, a benchmark, a
	// loader): comparing its name with the last one's is cheaper than
	// folding the case and hashing it.
	var spec *Spec
	if s.lastSpec != nil && string(args[0]) == string(s.lastName) {
		spec = s.lastSpec
	} else if spec = e.lookup(s, args[0]); spec != nil && len(args[0]) <= 32 {
		s.lastName = append(s.lastName[:0], args[0]...)
		s.lastSpec = spec
	}
	if spec == nil {
		s.LastCmd = "" // CLIENT LIST shows cmd=NULL, as Redis does
		e.reject(s, ErrUnknown(args))
		return nil
	}
	// Set before running, as Redis does: CLIENT LIST shows the command
	// being run ("client|list"), and EXEC for the commands it runs.
	s.LastCmd = fullName(spec, args)
	if (spec.Arity > 0 && len(args) != spec.Arity) || len(args) < -spec.Arity {
		spec.StatsFor(args).Rejected++
		e.rejectCmd(s, spec, ErrArity(spec.Name))
		return spec
	}
	// A container's subcommand that is unknown, or given the wrong number
	// of arguments, is refused before anything else looks at it, as in
	// Redis (where the lookup finds no command, or the subcommand's
	// arity fails): inside MULTI that dooms the transaction.
	if msg := checkSubcommand(spec, args); msg != "" {
		e.rejectCmd(s, spec, msg)
		return spec
	}
	if spec.Flags&Protected != 0 {
		if msg := e.Host.Protected(s, spec, args); msg != "" {
			spec.StatsFor(args).Rejected++
			e.rejectCmd(s, spec, msg)
			return spec
		}
	}
	if !s.Authed && spec.Flags&NoAuth == 0 && e.Host.AuthRequired() {
		spec.StatsFor(args).Rejected++
		e.rejectCmd(s, spec, "NOAUTH Authentication required.")
		return spec
	}
	if e.Perm != nil && s.Flags&FlagMaster == 0 {
		if msg := e.Perm.CheckPerm(s, s, spec, args, PermCall); msg != "" {
			spec.StatsFor(args).Rejected++
			e.rejectCmd(s, spec, msg)
			return spec
		}
	}
	if s.Proto == 2 && s.Subscriptions() > 0 && !allowedWhileSubscribed(spec.Name) {
		spec.StatsFor(args).Rejected++
		// Named as CLIENT LIST shows it: "client|getname" for a subcommand.
		e.rejectCmd(s, spec, fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", s.LastCmd))
		return spec
	}
	if msg := e.Host.Gate(s, spec.gated(args), args); msg != "" {
		spec.StatsFor(args).Rejected++
		e.rejectCmd(s, spec, msg)
		return spec
	}
	if s.InMulti() && !runsInsideMulti(spec.Name) {
		if spec.Flags&NoMulti != 0 {
			e.reject(s, fmt.Sprintf("ERR Command not allowed inside a transaction"))
			return spec
		}
		// A transaction already doomed (a failed WATCH, a queueing error)
		// keeps nothing, as in Redis: EXEC will not run it, and the
		// server's refusals at EXEC time look at queued commands only.
		if s.Flags&(FlagDirtyCAS|FlagDirtyExec) != 0 {
			s.W.Simple("QUEUED")
			return spec
		}
		q := queued{spec: spec, args: make([][]byte, len(args))}
		if len(s.multi) == 0 {
			s.multiBytes = 0
		}
		for i, a := range args {
			// Never nil, even for an empty argument: handlers tell an
			// option given as "" from one not given by a nil test (a
			// STOREDIST "" in MULTI skipped a check it must meet).
			q.args[i] = append(make([]byte, 0, len(a)), a...)
			s.multiBytes += int64(len(a))
		}
		s.multi = append(s.multi, q)
		s.W.Simple("QUEUED")
		return spec
	}
	prevTop, prevSpec, prevArgs := e.top, e.topSpec, e.topArgs
	e.top, e.topSpec, e.topArgs = s, spec, args
	c := e.run(s, spec, args, false)
	e.top, e.topSpec, e.topArgs = prevTop, prevSpec, prevArgs
	// MONITOR sees a command once it has run (SELECT shows the new DB;
	// queued commands show when EXEC runs them), as in Redis's call().
	e.feedMonitor(s, spec, args)
	if c.block != nil {
		e.blockSession(s, spec, args, c.block)
	}
	// A command run while another is suspended (a busy script letting
	// other clients in) must not flush that command's propagation unit:
	// the suspended command's end does.
	if e.depth > 0 {
		return spec
	}
	wrote := len(e.unit) > 0
	e.afterTopLevel()
	if wrote && e.Offsets != nil {
		s.WOff = e.Offsets.ReplOffset()
	}
	return spec
}

// lookup finds the command a request names. Our master and the AOF also
// reach commands renamed away by their real names (Table.LookupOriginal).
func (e *Engine) lookup(s *Session, name []byte) *Spec {
	if s.Flags&FlagMaster != 0 {
		return e.Table.LookupOriginal(name)
	}
	return e.Table.Lookup(name)
}

func (e *Engine) feedMonitor(s *Session, spec *Spec, args [][]byte) {
	if spec.Flags&(Admin|SkipMonitor) == 0 {
		e.Host.Monitor(s, spec, args)
	}
}

// fullName is the name CLIENT LIST shows: "container|sub" for a known
// subcommand.
func fullName(spec *Spec, args [][]byte) string {
	if len(spec.Subcommands) > 0 && len(args) > 1 {
		sub := strings.ToLower(string(args[1]))
		for _, s := range spec.Subcommands {
			if s == sub {
				return spec.Name + "|" + s
			}
		}
	}
	return spec.Name
}

// reject answers an error without running anything; inside MULTI it also
// dooms the transaction, as queue-time errors do in Redis.
func (e *Engine) reject(s *Session, msg string) {
	e.TotalErrors++
	e.CountError(msg)
	if s.InMulti() {
		s.Flags |= FlagDirtyExec
	}
	s.W.Error(msg)
}

// rejectCmd refuses a known command. A refused EXEC ends its transaction
// (Redis's execCommandAbort): the client learns it left MULTI, and why.
// The reason keeps its code (READONLY, NOREPLICAS…) except a plain ERR,
// which Redis formats without one there. Redis does this outside MULTI
// too: "EXEC x" alone answers EXECABORT and forgets the WATCHed keys.
func (e *Engine) rejectCmd(s *Session, spec *Spec, msg string) {
	if spec.Name == "exec" {
		e.discard(s)
		msg = execAbortMsg(msg)
	}
	e.reject(s, msg)
}

// execAbortMsg is the EXECABORT error for a transaction refused for
// reason msg.
func execAbortMsg(msg string) string {
	return "EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR ")
}

// CountError records an error reply under its code, the first word, as
// Redis's INFO errorstats does (at most 128 distinct codes).
func (e *Engine) CountError(msg string) {
	code, _, _ := strings.Cut(msg, " ")
	if e.ErrorStats == nil {
		e.ErrorStats = map[string]int64{}
	}
	if _, ok := e.ErrorStats[code]; !ok && len(e.ErrorStats) >= 128 {
		return
	}
	e.ErrorStats[code]++
}

func allowedWhileSubscribed(name string) bool {
	switch name {
	case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

func runsInsideMulti(name string) bool {
	switch name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// ChainClock says whether the commands that follow run back to back, each
// right after the previous one's end, so that the clock reading ending one
// also starts the next (lock held). Why: two readings per command were 9%
// of the server's CPU with pipelined clients (-P 16; clock_gettime costs
// about 25 ns on a VM). A command's duration then includes the parsing of
// its request, some tens of nanoseconds. The caller turns it off before
// it lets the lock go (others then run commands, and time passes) and at
// the end of the batch; turning it on starts a fresh chain.
func (e *Engine) ChainClock(on bool) { e.chain, e.chainOK = on, false }

// run executes a handler and queues what it propagates. It returns the
// context so callers can see whether the handler asked to block.
//
// Contexts are reused (one per nesting depth) so a command allocates none:
// a handler must not keep its *Ctx, or anything that refers to it, after it
// returns.
func (e *Engine) run(s *Session, spec *Spec, args [][]byte, inExec bool) *Ctx {
	if e.depth >= len(e.ctxs) {
		e.ctxs = append(e.ctxs, &Ctx{E: e})
	}
	c := e.ctxs[e.depth]
	c.reset(args, s, spec, e.KS.DBs[s.DB], inExec)
	rerun := e.rerunning
	e.rerunning = false
	dirty := e.KS.Dirty
	// A top-level command: one clock reading gives the command's time and
	// the start of its duration; in a chained batch, the previous
	// command's end is that reading. A nested command (a script's call, a
	// command EXEC runs) keeps the time of the command it runs in, and
	// only its duration is measured, as Redis measures each call for
	// commandstats, latencystats, SLOWLOG and LATENCY: two readings, as
	// chaining them would charge each call the Lua code run since the
	// previous one. They are taken with the processor's counter where
	// there is one to trust (package ticks), less than half the cost of
	// the monotonic clock (13 ns against 30), which a script making a
	// thousand calls pays a thousand times. Both readings of a duration
	// come from the same clock.
	var start time.Duration
	var fast *ticks.Clock
	var t0 uint64
	if e.depth > 0 {
		if fast = ticks.Get(); fast != nil {
			t0 = fast.Now()
		} else {
			ticks.Start()
			start = e.KS.Elapsed()
			c.start, c.started = start, true
		}
	} else {
		if e.chainOK && e.chainTick == e.KS.Ticks {
			start = e.chainEnd
		} else {
			start = e.KS.Elapsed()
		}
		c.start, c.started = start, true
		e.now = e.KS.NowAt(start)
		e.KS.SetCommandTime(e.now)
	}
	e.depth++
	if s.Flags&FlagMaster != 0 {
		e.KS.FromMaster = true
	}
	e.invoke(c)
	e.KS.FromMaster = false
	e.depth--
	if e.depth == 0 {
		e.KS.SetCommandTime(0)
	}
	st := spec.StatsFor(args)
	if !rerun {
		st.Calls++
	}
	var took time.Duration
	if fast != nil {
		took = fast.Since(t0)
	} else {
		end := e.KS.Elapsed()
		took = max(end-start, 0) // a Tick may move the base
		if e.depth == 0 {
			e.chainEnd, e.chainOK, e.chainTick = end, e.chain, e.KS.Ticks
		}
	}
	st.Nsec += int64(took)
	e.Host.Slow(s, spec, args, took)
	// A tracking client remembers the keys its reads touched. A read-only
	// script is not a read itself; each read it calls makes the client
	// remember the keys the script declared (its KEYS), as Redis 7.0 does.
	if t := e.top; t != nil && t.Tracking && spec.Flags&ReadOnly != 0 && e.Tracker != nil && !isScriptRunner(spec.Name) {
		if s == t {
			e.Tracker.TrackRead(t, spec, args)
		} else if e.topSpec != nil {
			e.Tracker.TrackRead(t, e.topSpec, e.topArgs)
		}
	}
	e.TotalCommands++
	if c.failed {
		st.Failed++
		if !c.noErrStats {
			e.TotalErrors++
		}
	}
	// Only a grown change counter means a write: SAVE and SHUTDOWN SAVE
	// lower it (Redis clamps the difference at 0 in call()) and must not
	// reach replicas.
	if (e.KS.Dirty > dirty || c.force) && !c.noProp && !c.extra {
		argv := args
		if c.rewritten != nil {
			argv = c.rewritten
		}
		e.alsoPropagate(c.DB.ID, argv)
	}
	return c
}

// invoke runs c's handler and recovers from its panic, so that run's
// bookkeeping after it (depth, clock chain, FromMaster, propagation) is
// done whatever happens; a deferred recover costs a few nanoseconds.
func (e *Engine) invoke(c *Ctx) {
	mark := len(c.W.Buf)
	defer func() {
		if r := recover(); r != nil {
			e.handlerPanicked(c, mark, r)
		}
	}()
	c.Spec.Handler(c)
}

// handlerPanicked turns a handler's panic into an error reply and a
// logged warning, and leaves the engine as if the command had failed.
//
// The reply: whatever the handler wrote before it panicked (an array's
// header, some elements) is cut off, so the client gets exactly one reply,
// an error, and the protocol stays in step (inside EXEC too, where the
// transaction's other commands go on).
//
// Propagation: the panicking command itself never reaches replicas or the
// AOF. Its bug would most likely panic again on a Tandem replica, and at
// every start-up when the AOF is loaded, turning one bad command into a
// server that cannot start. What the unit already holds is kept and
// flushed as usual: those ops record changes that did happen (keys that
// expired under the command, the earlier commands of an EXEC, ops the
// handler propagated for changes it had made), and dropping them would
// make the replicas diverge for sure. Any partial change the command made
// to the keyspace stays on this server alone; the warning says so.
func (e *Engine) handlerPanicked(c *Ctx, mark int, r any) {
	if mark <= len(c.W.Buf) {
		c.W.Buf = c.W.Buf[:mark]
	}
	c.block = nil
	c.noProp = true
	c.rewritten = nil
	e.Host.Warnf("Command '%s' panicked (%d args; any partial change it made is not propagated): %v\n%s",
		c.Spec.Name, len(c.Args), r, debug.Stack())
	c.Error(fmt.Sprintf("ERR internal error in '%s' command, see the server log", c.Spec.Name))
}

// afterTopLevel flushes the propagation unit of a top-level command (more
// than one op is wrapped in MULTI/EXEC, as Redis 7.0 does) and serves
// clients blocked on keys that became ready.
func (e *Engine) afterTopLevel() {
	e.flushUnit()
	if len(e.ready) > 0 {
		e.serveReady()
	}
}

// keyModified invalidates WATCHes on the key and marks clients blocked on
// it as ready to be served.
// keyObserver is the engine as its keyspace's Observer: a conversion, so
// that the keyspace's calls cost an interface call and Engine's exported
// methods stay free of them.
type keyObserver Engine

func (o *keyObserver) KeyModified(db *keyspace.DB, key []byte) { (*Engine)(o).keyModified(db, key) }
func (o *keyObserver) KeyExpired(db *keyspace.DB, key string)  { (*Engine)(o).keyExpired(db, key) }

// isScriptRunner names the read-only commands that run a script.
func isScriptRunner(name string) bool {
	switch name {
	case "eval_ro", "evalsha_ro", "fcall_ro":
		return true
	}
	return false
}

// Flushed tells client-side caching that every key went (FLUSHALL,
// FLUSHDB, a replica's full sync).
func (e *Engine) Flushed() {
	if e.Tracker != nil {
		e.Tracker.Flushed(e.top)
	}
}

func (e *Engine) keyModified(db *keyspace.DB, key []byte) {
	if e.Tracker != nil {
		by := e.top
		if e.expiring {
			by = nil
		}
		e.Tracker.KeyChanged(key, by, e.top)
	}
	e.expiring = false
	if len(e.watchers) > 0 {
		wk := watchKey{db.ID, string(key)}
		if ss, ok := e.watchers[wk]; ok {
			for _, s := range ss {
				// A key that had expired before WATCH and is now deleted
				// (its expiry found) has not changed, as in Redis.
				if s.expiredAtWatch[wk] && db.Peek(key) == nil {
					delete(s.expiredAtWatch, wk)
					continue
				}
				s.Flags |= FlagDirtyCAS
			}
		}
	}
	if len(e.blocked) > 0 && !e.noWake {
		wk := watchKey{db.ID, string(key)}
		if _, ok := e.blocked[wk]; ok && !e.readySet[wk] {
			e.readySet[wk] = true
			e.ready = append(e.ready, wk)
		}
	}
}

// InExec reports whether EXEC is running its queued commands (lock held).
func (e *Engine) InExec() bool { return e.execRunning > 0 }

// TouchAllWatched invalidates the WATCHes on keys of database db (every
// database when db < 0) that FLUSHDB, FLUSHALL or a full sync's flush is
// about to empty; call it before emptying. See TouchWatchedReplaced.
func (e *Engine) TouchAllWatched(db int) {
	for i, d := range e.KS.DBs {
		if db < 0 || i == db {
			e.TouchWatchedReplaced(d, nil)
		}
	}
}

// TouchWatchedReplaced applies Redis 7.0's rule to the keys watched in
// database emptied, whose contents are about to be replaced by those of
// with (nil: by nothing; called before the swap or flush). A watched key
// changes if it is in either; but a key that had already expired when it
// was watched has not changed if it is now gone, or replaced by another
// expired key, and a missing key replaced by an expired one has not
// changed either (it becomes one that had expired at WATCH).
func (e *Engine) TouchWatchedReplaced(emptied, with *keyspace.DB) {
	now := e.now // the command clock; outside a command (a replica's flush), the wall clock
	if e.depth == 0 {
		now = time.Now().UnixMilli()
	}
	for wk, ss := range e.watchers {
		if wk.db != emptied.ID {
			continue
		}
		key := []byte(wk.key)
		inEmptied := emptied.Peek(key) != nil
		inWith := with != nil && with.Peek(key) != nil
		if !inEmptied && !inWith {
			continue
		}
		for _, s := range ss {
			switch {
			case s.expiredAtWatch[wk] && !inWith:
				delete(s.expiredAtWatch, wk) // an expired key now gone
				continue
			case s.expiredAtWatch[wk] && keyExpiredAt(with, key, now):
				continue // still an expired key
			case !s.expiredAtWatch[wk] && !inEmptied && keyExpiredAt(with, key, now):
				if s.expiredAtWatch == nil {
					s.expiredAtWatch = map[watchKey]bool{}
				}
				s.expiredAtWatch[wk] = true
				continue
			}
			s.Flags |= FlagDirtyCAS
		}
	}
}

// Disconnect drops everything the engine holds for a closing session.
func (e *Engine) Disconnect(s *Session) {
	e.unwatchAll(s)
	if s.block != nil {
		e.unblock(s)
	}
	s.multi = nil
	s.Flags &^= FlagMulti | FlagDirtyCAS | FlagDirtyExec
}
