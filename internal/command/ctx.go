package command

import (
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// SessionFlag marks what kind of connection a session is.
type SessionFlag uint32

const (
	// FlagMaster marks the link to our master: its commands are applied
	// without replies and see logically expired keys.
	FlagMaster SessionFlag = 1 << iota
	// FlagReplica marks a replica attached to us.
	FlagReplica
	// FlagMonitor marks a MONITOR client.
	FlagMonitor
	// FlagMulti is set between MULTI and EXEC/DISCARD.
	FlagMulti
	// FlagDirtyCAS is set when a watched key changed: EXEC will fail.
	FlagDirtyCAS
	// FlagDirtyExec is set when a command was refused while queueing: EXEC
	// will answer EXECABORT.
	FlagDirtyExec
	// FlagNoEvict is CLIENT NO-EVICT on.
	FlagNoEvict
	// FlagCloseAfterReply closes the connection once replies are written.
	FlagCloseAfterReply
	// FlagScript marks the session a script's redis.call runs in (MONITOR
	// shows it as "lua", as Redis does).
	FlagScript
	// FlagLuaDebug: SCRIPT DEBUG YES or SYNC was sent; the next EVAL runs
	// as a Lua debugging session, a synchronous one with FlagLuaDebugSync.
	FlagLuaDebug
	FlagLuaDebugSync
)

// Conn is what the engine needs from a network connection.
type Conn interface {
	// Push delivers out-of-band bytes (Pub/Sub messages, MONITOR lines) to
	// the client, returning false when the client is being closed.
	Push(b []byte) bool
	// Wake tells a blocked client that its reply is ready.
	Wake()
}

// Session is the per-client state the engine reads and changes.
type Session struct {
	ID     int64
	DB     int
	Proto  int
	Authed bool
	User   string
	Name   string
	Flags  SessionFlag
	W      *resp.Writer
	Conn   Conn
	// Owner is the server's own connection object, for server-level handlers.
	Owner any

	LastCmd string
	// WOff is the replication offset right after this client's last write,
	// the target of WAIT.
	WOff int64

	multi   []queued
	watched []watchKey
	// expiredAtWatch holds the watched keys that had already expired when
	// WATCH ran, as Redis 7.0 remembers them: their deletion is no change,
	// while a key that expires after WATCH fails EXEC even if nothing has
	// deleted it yet.
	expiredAtWatch map[watchKey]bool
	// multiBytes is the size of the arguments queued in multi (meaningful
	// only while multi is not empty).
	multiBytes int64

	// lastName and lastSpec cache the last command found by name.
	lastName []byte
	lastSpec *Spec

	// Channels and Patterns hold Pub/Sub subscriptions, ShardChannels the
	// sharded ones (SSUBSCRIBE).
	Channels      map[string]struct{}
	Patterns      map[string]struct{}
	ShardChannels map[string]struct{}
	// Tracking is set while CLIENT TRACKING is on for the session (the
	// server keeps the rest of its tracking state).
	Tracking bool
	// ReplyOff drops the replies to the session's commands (CLIENT REPLY
	// OFF); ReplySkipNext drops the next one's (CLIENT REPLY SKIP). Pushes
	// (messages, invalidations) still go out.
	ReplyOff, ReplySkipNext bool
	replySkip               bool // SKIP applies to the running command
	// keep are the byte ranges of s.W.Buf a command wrote as pushes (a
	// subscription's confirmation), which CLIENT REPLY OFF lets through.
	keep [][2]int

	block *blockState

	// CanStream is set by a connection that can deliver a reply in
	// slices; Stream is then the reply still to produce (see stream.go).
	// The connection runs no other command of the client until Stream is
	// done, and drops it when the client goes away.
	CanStream bool
	Stream    ReplyStream
}

// ReplyOn is CLIENT REPLY ON: replies flow again, this command's reply
// (its OK) included even when a SKIP was meant for it, as in Redis.
func (s *Session) ReplyOn() { s.ReplyOff, s.ReplySkipNext, s.replySkip = false, false, false }

// KeepPush marks what the command wrote to s.W since from as a push that
// CLIENT REPLY OFF|SKIP does not drop (Redis's CLIENT_PUSHING).
func (s *Session) KeepPush(from int) {
	if s.ReplyOff || s.replySkip {
		s.keep = append(s.keep, [2]int{from, len(s.W.Buf)})
	}
}

// Subscriptions is the number of channels, patterns and shard channels
// subscribed: with any, a RESP2 client is in subscribe mode.
func (s *Session) Subscriptions() int {
	return len(s.Channels) + len(s.Patterns) + len(s.ShardChannels)
}

// Blocked reports whether the session waits in a blocking command.
func (s *Session) Blocked() bool { return s.block != nil }

// InMulti reports whether the session is queueing a transaction.
func (s *Session) InMulti() bool { return s.Flags&FlagMulti != 0 }

// MultiLen is the number of queued commands.
func (s *Session) MultiLen() int { return len(s.multi) }

// WatchedKeys is how many keys the session WATCHes (client memory
// accounting counts each).
func (s *Session) WatchedKeys() int { return len(s.watched) }

// MultiBytes is the size of the queued commands' arguments: input received
// but not run yet, which counts toward client-query-buffer-limit.
func (s *Session) MultiBytes() int64 {
	if len(s.multi) == 0 {
		return 0
	}
	return s.multiBytes
}

type queued struct {
	spec *Spec
	args [][]byte
}

// Ctx is what a handler gets: the request, the session, the engine, the
// selected database and the reply writer. Args point into the connection's
// read buffer and are valid only during the call: copy what you keep.
type Ctx struct {
	Args [][]byte
	W    *resp.Writer
	S    *Session
	E    *Engine
	DB   *keyspace.DB
	Spec *Spec
	// InExec is true while running a queued command of a transaction (and
	// for commands a script runs): blocking commands must not block.
	InExec bool

	rewritten [][]byte
	extra     bool // the handler propagated its own ops instead of argv
	noProp    bool
	force     bool
	block     *blockRequest
	failed    bool
	// noErrStats: the error reply was counted where it arose (a script's
	// command), so the failure is not counted again (ErrorNoStats).
	noErrStats bool
	// start is the clock reading (Keyspace.Elapsed) the command's
	// duration is measured from, when started is set; a nested command
	// timed with the processor's counter (see run) has none.
	start   time.Duration
	started bool
}

// reset readies a reused context for a command, as if it were
// Ctx{Args: args, W: s.W, S: s, E: its engine, DB: db, Spec: spec, InExec:
// inExec}. Field by field, and a pointer only when it changes: copying a
// whole new Ctx ran the garbage collector's bulk write barrier over every
// pointer in it whenever a collection was under way, which a script's
// thousand calls (each allocating a little in Lua) kept busy; a script's
// calls mostly find the same session, database and command already there.
// TestCtxReset checks that no field is left out.
func (c *Ctx) reset(args [][]byte, s *Session, spec *Spec, db *keyspace.DB, inExec bool) {
	c.Args = args
	if c.W != s.W {
		c.W = s.W
	}
	if c.S != s {
		c.S = s
	}
	if c.DB != db {
		c.DB = db
	}
	if c.Spec != spec {
		c.Spec = spec
	}
	c.InExec = inExec
	if c.rewritten != nil {
		c.rewritten = nil
	}
	if c.block != nil {
		c.block = nil
	}
	c.extra, c.noProp, c.force, c.failed, c.noErrStats = false, false, false, false, false
	c.start, c.started = 0, false
}

// Started is when the command started: the clock reading its duration is
// measured from, so that a handler that needs the time it started (a
// script's run time) does not read the clock again. A nested command
// timed by the counter (an EVAL that EXEC runs) reads the clock now.
func (c *Ctx) Started() time.Time {
	if !c.started {
		c.start, c.started = c.E.KS.Elapsed(), true
	}
	return c.E.KS.TimeAt(c.start)
}

// Error writes an error reply (msg starts with its code, e.g. "ERR ...").
func (c *Ctx) Error(msg string) {
	c.failed = true
	c.E.CountError(msg)
	c.W.Error(msg)
}

// Now is the command's time in unix ms (fixed for the whole command, as
// Redis caches it, so a command sees one instant).
func (c *Ctx) Now() int64 { return c.E.now }

// Rewrite replaces what is propagated for this command (for example SET …
// EX as SET … PXAT). The slices must stay valid until the command returns.
func (c *Ctx) Rewrite(argv ...[]byte) { c.rewritten = argv }

// Propagate sends argv (in the current database) to replicas and the AOF
// as part of this command's unit, instead of the command itself (SPOP's
// SREMs, a BLPOP served as LPOP).
func (c *Ctx) Propagate(argv ...[]byte) {
	c.extra = true
	c.E.alsoPropagate(c.DB.ID, argv)
}

// NoPropagate stops the command itself from being propagated.
func (c *Ctx) NoPropagate() { c.noProp = true }

// ForcePropagate propagates the command even if it changed nothing
// (FLUSHALL on an empty server, PUBLISH).
func (c *Ctx) ForcePropagate() { c.force = true }

// Timeout converts a blocking command's timeout in seconds (may be
// fractional) to a duration; 0 means forever.
func Timeout(sec float64) time.Duration {
	return time.Duration(sec * float64(time.Second))
}
