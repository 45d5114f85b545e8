package aof

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/server"
)

// state is aof_state.
type state int

const (
	stateOff state = iota
	stateOn
	// stateWait: AOF is being turned on (CONFIG SET appendonly yes, or a
	// replica after a full sync). Writes after the rewrite's snapshot go to
	// a temp incr file that becomes part of the AOF only when the new base
	// is in place; until then the manifest on disk is untouched.
	stateWait
)

// Options build a Manager.
type Options struct {
	Server  *server.Server
	Config  *config.Config
	Log     *logger.Logger
	Persist *persist.Manager
	// FS is the file system (nil: the real one).
	FS FS
	// Exit ends the process after an unrecoverable error under appendfsync
	// always (nil: os.Exit). Tests replace it.
	Exit func(code int)
}

// Manager is an instance's AOF: it is a propagation sink (the engine hands
// it every write in replication form), has the buffer written before any
// reply that may depend on it leaves, fsyncs per appendfsync, rewrites on
// the fork-less snapshot, loads at start-up, and reports in INFO
// persistence.
//
// Locking. Fields without a note are guarded by the server lock. The write
// path runs without it, so that writing (and under always, fsyncing) the
// AOF overlaps with command execution:
//
//   - bufMu guards buf, the bytes propagated and not yet written; it is a
//     leaf lock, taken by Propagate (server lock held) and by the writer.
//   - ioMu serializes writes to the current file: whoever holds it writes
//     everything pending (group write), so concurrent replies cost one
//     write(2), and under always one fdatasync (group commit).
//   - syncMu serializes fsyncs with file switches.
//
// Lock order: server lock, ioMu, syncMu; bufMu is taken alone. cur is
// changed only with both the server lock and ioMu held, so either one is
// enough to read it.
type Manager struct {
	// flushSleep is DEBUG AOF-FLUSH-SLEEP's pause before each write of
	// the buffer, in microseconds (0: none).
	flushSleep atomic.Int64
	srv        *server.Server
	ks         *keyspace.Keyspace
	eng        *command.Engine
	cfg        *config.Config
	log        *logger.Logger
	pm         *persist.Manager
	fs         FS
	exit       func(int)

	dir  string // <dir>/<appenddirname>, fixed when the AOF is turned on
	name string // appendfilename

	state   state
	man     *Manifest
	cur     File   // the incr file written to; nil when writes are not recorded
	curName string // its name in dir
	selDB   int    // database of the last SELECT written (-1: none yet)
	lastTS  int64  // last #TS: annotation written
	mark    string // last replication mark written (see replstate.go)
	// multiDB/multiPending hold back a MULTI until the transaction writes
	// something we record (a MULTI of PUBLISHes alone writes nothing).
	multiPending bool
	multiDB      int

	bufMu sync.Mutex
	buf   []byte // (bufMu) aof_buf: propagated, not yet written

	ioMu sync.Mutex
	// round is closed whenever ioMu is let go of (unlockIO), so barrier
	// waiters whose bytes the holder covered return without taking ioMu in
	// turn.
	round          atomic.Pointer[chan struct{}]
	spare          []byte    // (ioMu) the previous buffer, reused
	postponedSince time.Time // (ioMu) everysec write postponed by a running fsync
	lastWriteLog   time.Time // (ioMu)

	// Positions in the stream of propagated bytes, over the life of the
	// process: appended (put in buf), done (written to a file, or dropped
	// with the file they were meant for), synced (fsynced, or dropped).
	// A reply waits until done, and under always synced, reach the
	// appended position its batch left.
	appended atomic.Int64
	done     atomic.Int64
	synced   atomic.Int64

	syncMu    sync.Mutex
	syncFile  File // (syncMu) the file fsyncs go to
	bgSyncing atomic.Bool
	kick      chan struct{}
	lastFsync atomic.Int64 // unix ns of the last fsync started (everysec)

	policy    atomic.Int32 // appendfsync, readable without the lock
	holdFsync atomic.Bool  // no-appendfsync-on-rewrite while a snapshot streams
	writeErr  atomic.Pointer[error]
	bgErr     atomic.Pointer[error] // last background fsync error

	baseSize        int64        // aof_base_size
	incrSize        atomic.Int64 // size of the current incr (aof_last_incr_size)
	currentSize     atomic.Int64 // aof_current_size
	rewriteBaseSize int64        // size after the last rewrite (auto-rewrite growth)
	delayedFsync    atomic.Int64

	rw         *rewrite // the running rewrite
	gen        uint64
	scheduled  bool // aof_rewrite_scheduled
	rwLastOK   bool
	rwFailures int
	rewrites   int64
	rwLastDur  time.Duration // -1 until one finished
	limitUntil time.Time     // auto rewrite paused after repeated failures
	limitDelay time.Duration

	// bg counts the goroutines the manager starts (the fsync loop,
	// rewrites, closing a replaced file, removing history): Close waits
	// for them.
	bg sync.WaitGroup
	// rewriteHook lets tests stop a rewrite at a stage ("streamed": the
	// base is written, not installed; "installed": the manifest switched).
	rewriteHook func(stage string)
}

// New builds the AOF for a server and registers the BGREWRITEAOF command
// and the CONFIG SET appendonly/appendfsync hooks. internal/app wires the
// rest: the propagation sink (Propagate), the write-before-reply barrier
// (Barrier), the cron, the MISCONF gate, INFO persistence (InfoAOF), the
// shutdown flush (PrepareShutdown) and AfterFullSync. Nothing is opened
// until LoadAtStartup (or CONFIG SET appendonly yes).
func New(opts Options) *Manager {
	a := &Manager{
		srv: opts.Server, ks: opts.Server.Keyspace(), eng: opts.Server.Engine(),
		cfg: opts.Config, log: opts.Log, pm: opts.Persist, fs: opts.FS, exit: opts.Exit,
		selDB: -1, rwLastOK: true, rwLastDur: -1, man: &Manifest{},
		kick: make(chan struct{}, 1),
	}
	if a.fs == nil {
		a.fs = OSFS{}
	}
	if a.exit == nil {
		a.exit = os.Exit
	}
	if a.log == nil {
		a.log = logger.Discard()
	}
	ch := make(chan struct{})
	a.round.Store(&ch)
	a.setPaths()
	a.policy.Store(int32(a.cfg.AppendFsync))
	a.lastFsync.Store(time.Now().UnixNano())

	a.eng.Table.Add(&command.Spec{Name: "bgrewriteaof", Arity: 1, Flags: command.Admin | command.NoScript,
		Handler: a.bgrewriteaofCmd, Group: "server", Summary: "Asynchronously rewrites the append-only file to disk.", Since: "1.0.0"})
	a.spawn(a.syncLoop)
	return a
}

// spawn runs fn on a goroutine that Close waits for.
func (a *Manager) spawn(fn func()) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		fn()
	}()
}

// Close releases the AOF once the server has stopped (its Done channel is
// closed): a running rewrite is killed, what is pending is written, the
// file fsynced and closed, and Close returns when every goroutine the
// manager started has ended. The binary's shutdown gets here after
// PrepareShutdown flushed and fsynced the file; an embedding program's
// Close and a start-up that failed get here as well, so that no file or
// goroutine outlives the server.
func (a *Manager) Close() {
	a.srv.Lock()
	a.killRewrite()
	if a.cur != nil {
		a.closeCurrent(false)
	}
	a.srv.Unlock()
	a.bg.Wait()
}

func (a *Manager) setPaths() {
	a.dir = filepath.Join(a.cfg.Dir, a.cfg.AppendDirname)
	a.name = a.cfg.AppendFilename
}

// Dir is the AOF directory.
func (a *Manager) Dir() string { return a.dir }

// ManifestPath is the manifest's path.
func (a *Manager) ManifestPath() string { return join(a.dir, a.name+manifestSuffix) }

// Enabled reports whether the AOF is on or being turned on (lock held).
func (a *Manager) Enabled() bool { return a.state != stateOff }

// Active implements command.ActiveSink: writes are recorded only while an
// incr file (or the temp incr of a rewrite that turns the AOF on) is open.
func (a *Manager) Active() bool { return a.cur != nil }

var (
	argMulti  = []byte("MULTI")
	argSelect = []byte("SELECT")
)

// Propagate implements command.Propagator (server lock held). The AOF
// records what replicas receive, minus what only replicas care about:
// PUBLISH (Redis never writes it to the AOF), and the PING/REPLCONF the
// replication layer feeds its own stream with.
func (a *Manager) Propagate(db int, argv [][]byte) {
	if a.cur == nil || len(argv) == 0 {
		return
	}
	switch {
	case isCmd(argv, "publish"), isCmd(argv, "spublish"), isCmd(argv, "ping"), isCmd(argv, "replconf"):
		return
	case isCmd(argv, "multi"):
		a.multiPending, a.multiDB = true, db
		return
	case isCmd(argv, "exec"):
		if a.multiPending { // nothing recorded inside: drop MULTI and EXEC
			a.multiPending = false
			return
		}
	default:
		if a.multiPending {
			a.multiPending = false
			a.append(a.multiDB, [][]byte{argMulti})
		}
	}
	a.append(db, argv)
}

// append encodes one command into the buffer, with the #TS: annotation
// (aof-timestamp-enabled) and a SELECT when the database changes, as
// feedAppendOnlyFile does (server lock held).
func (a *Manager) append(db int, argv [][]byte) {
	a.bufMu.Lock()
	n := len(a.buf)
	if a.cfg.AOFTimestampEnabled {
		if now := time.Now().Unix(); now > a.lastTS {
			a.lastTS = now
			a.buf = append(a.buf, "#TS:"...)
			a.buf = strconv.AppendInt(a.buf, now, 10)
			a.buf = append(a.buf, '\r', '\n')
		}
	}
	if db >= 0 && db != a.selDB {
		var num [20]byte
		a.buf = resp.AppendCommand(a.buf, argSelect, strconv.AppendInt(num[:0], int64(db), 10))
		a.selDB = db
	}
	a.buf = resp.AppendCommand(a.buf, argv...)
	a.appended.Add(int64(len(a.buf) - n))
	a.bufMu.Unlock()
}

// appendRaw adds bytes (an annotation) to the buffer (server lock held).
func (a *Manager) appendRaw(b ...[]byte) {
	a.bufMu.Lock()
	for _, p := range b {
		a.buf = append(a.buf, p...)
		a.appended.Add(int64(len(p)))
	}
	a.bufMu.Unlock()
}

// Cron implements server.CronJob: it runs with the server cycle (lock held): pending writes (those made
// outside client batches: the replication stream, expiry DELs, postponed
// ones), the everysec fsync when a second passed (even when idle), the
// replication mark, scheduled and automatic rewrites.
func (a *Manager) Cron() {
	a.holdFsync.Store(a.cfg.NoAppendFsyncOnRewrite && a.ks.Running() != nil)
	if a.cur != nil {
		a.markRepl()
		// Never wait for a writer here (it may be in an fsync): it will
		// write what is pending anyway.
		if a.ioMu.TryLock() {
			a.writePending(false)
			a.unlockIO()
		}
		if a.synced.Load() < a.done.Load() {
			switch a.cfg.AppendFsync {
			case config.FsyncAlways:
				// Written outside a client's batch: nobody waits on a
				// barrier for it.
				a.startBackgroundFsync()
			case config.FsyncEverySec:
				if time.Since(time.Unix(0, a.lastFsync.Load())) >= time.Second {
					a.startBackgroundFsync()
				}
			}
		}
	}
	if a.rw != nil || a.srv.IsLoading() || a.ks.Running() != nil || a.pm.Saving() {
		return
	}
	if a.scheduled && !a.rewriteLimited() {
		if err := a.startRewrite(); err != nil {
			a.log.Warningf("Background AOF rewrite scheduled but could not start: %v", err)
		}
		return
	}
	cur := a.currentSize.Load()
	if a.state != stateOn || a.cfg.AutoAOFRewritePercentage <= 0 || cur <= a.cfg.AutoAOFRewriteMinSize {
		return
	}
	base := a.rewriteBaseSize
	if base == 0 {
		base = 1
	}
	growth := cur*100/base - 100
	if growth < int64(a.cfg.AutoAOFRewritePercentage) || a.rewriteLimited() {
		return
	}
	a.log.Noticef("Starting automatic rewriting of AOF on %d%% growth", growth)
	if err := a.startRewrite(); err != nil {
		a.log.Warningf("Automatic AOF rewrite could not start: %v", err)
	}
}

// rewriteLimited delays automatic rewrites after three consecutive
// failures: 1, 2, 4 … 60 minutes (aofRewriteLimited).
func (a *Manager) rewriteLimited() bool {
	if a.rwFailures < 3 {
		a.limitUntil, a.limitDelay = time.Time{}, 0
		return false
	}
	if !a.limitUntil.IsZero() {
		if time.Now().Before(a.limitUntil) {
			return true
		}
		a.limitUntil = time.Time{}
		return false
	}
	if a.limitDelay == 0 {
		a.limitDelay = time.Minute
	} else {
		a.limitDelay *= 2
	}
	if a.limitDelay > time.Hour {
		a.limitDelay = time.Hour
	}
	a.limitUntil = time.Now().Add(a.limitDelay)
	a.log.Warningf("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in %d minutes", int(a.limitDelay/time.Minute))
	return true
}

// lastError is the write or background fsync error that makes
// aof_last_write_status err, or nil.
func (a *Manager) lastError() error {
	if p := a.writeErr.Load(); p != nil {
		return *p
	}
	if p := a.bgErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Gate implements server.Gate: it refuses writes (and PING, as Redis does) while the AOF cannot be
// written: -MISCONF until a write succeeds again.
func (a *Manager) Gate(s *command.Session, spec *command.Spec, args [][]byte) string {
	if a.state == stateOff || s.Flags&command.FlagMaster != 0 {
		return ""
	}
	if spec.Flags&command.Write == 0 && spec.Name != "ping" {
		return ""
	}
	err := a.lastError()
	if err == nil {
		return ""
	}
	return "MISCONF Errors writing to the AOF file: " + strerror(err)
}

// PrepareShutdown implements server.ShutdownPreparer: beforeShutdown,
// whatever SHUTDOWN's save choice (which is the RDB's business). While the
// rewrite that turns the AOF on runs, there is no complete AOF yet: as in
// Redis, the shutdown is refused unless forced.
func (a *Manager) PrepareShutdown(save int, force bool) error {
	var err error
	if a.state == stateWait && a.rw != nil {
		err = errors.New("the initial AOF rewrite is running")
		if !force {
			a.log.Warningf("Writing initial AOF, can't exit.")
			return err
		}
		a.log.Warningf("Writing initial AOF. Exit anyway.")
	}
	a.beforeShutdown()
	return err
}

// beforeShutdown is what SHUTDOWN does for the AOF (lock held): stop a
// rewrite, write the buffer with the current replication mark, fsync.
func (a *Manager) beforeShutdown() {
	if a.rw != nil {
		a.log.Warningf("There is a child rewriting the AOF. Killing it!")
		a.killRewrite()
	}
	if a.state != stateOn || a.cur == nil {
		return
	}
	a.markRepl()
	a.ioMu.Lock()
	a.writePending(true)
	a.log.Noticef("Calling fsync() on the AOF file.")
	a.syncNow(false)
	a.unlockIO()
}
