package persist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/server"
	"github.com/tandemdb/tandem/internal/types"
)

// Manager runs RDB persistence for a server: SAVE, BGSAVE, save points,
// loading at start-up, SHUTDOWN saves, DEBUG RELOAD and INFO persistence.
// Its fields are guarded by the server lock.
type Manager struct {
	srv *server.Server
	ks  *keyspace.Keyspace
	cfg *config.Config
	log *logger.Logger

	lastSave       time.Time
	lastBgsaveOK   bool
	lastBgsaveTime time.Duration
	lastTry        time.Time
	bgInProgress   bool
	bgStart        time.Time
	bgAbort        chan struct{}
	scheduled      bool
	saves          int64
	lastPeak       int
	lastLoad       LoadResult
	cow            *cowMeter          // the running RDB stream's, for INFO (nil when none)
	bgSnap         *keyspace.Snapshot // the running BGSAVE's snapshot
	// bg counts background saves' goroutines, for Close.
	bg sync.WaitGroup

	// InfoExtra writes the AOF part of INFO persistence once AOF exists.
	InfoExtra []func(b *strings.Builder)
	// ReplAux adds the replication AUX fields (repl-id, repl-offset,
	// repl-stream-db) to every RDB, called at the snapshot instant.
	ReplAux func() []Aux
	// ShareBgsave, when set, is called at the snapshot instant of every
	// background save (BGSAVE, BGSAVE SCHEDULE, save points), lock held,
	// so replication can serve full syncs from it. The function it returns
	// (nil: not interested) is called exactly once when that save ends,
	// lock held: after a success with the finished RDB open for reading
	// and its size (the callee owns the file and must close it; it stays
	// readable whatever later saves do to dump.rdb), after a failure with
	// nil, 0 and the error.
	ShareBgsave func() func(f *os.File, size int64, err error)
}

// cowMeter is the live figure behind INFO's current_cow_*: the bytes a
// running RDB stream has produced and not yet written (what a fork-less
// snapshot holds instead of a child's copy-on-write pages). The writer
// updates it without the server lock.
type cowMeter struct {
	cur, peak atomic.Int64
	changed   atomic.Int64 // unix ms when cur last changed (0: never)
}

func (c *cowMeter) set(n int64) {
	if c.cur.Swap(n) != n {
		c.changed.Store(time.Now().UnixMilli())
	}
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// cowInfo reads a meter for INFO: current size, peak, and the seconds
// since the size last changed; all 0 without a meter.
func cowInfo(c *cowMeter, now time.Time) (cur, peak, age int64) {
	if c == nil {
		return 0, 0, 0
	}
	if t := c.changed.Load(); t > 0 {
		age = (now.UnixMilli() - t) / 1000
		if age < 0 {
			age = 0
		}
	}
	return c.cur.Load(), c.peak.Load(), age
}

// keySaveDelay is how long rdb-key-save-delay makes a stream pause after
// writing n more keys: delay microseconds per key, or for a negative delay
// 1 microsecond every -delay keys (Redis's debugDelay sleeps 1us with
// probability 1/-delay per key).
func keySaveDelay(n int64, delay int) time.Duration {
	switch {
	case n <= 0 || delay == 0:
		return 0
	case delay > 0:
		return time.Duration(n) * time.Duration(delay) * time.Microsecond
	default:
		return time.Duration(n/int64(-delay)) * time.Microsecond
	}
}

// meteredWriter sits between Stream and the real writer: it keeps the
// stream's cow meter current (each chunk is pending while it is written)
// and applies rdb-key-save-delay outside the server lock, so a debug
// setting can make a save slow without blocking clients.
type meteredWriter struct {
	w     io.Writer
	mu    sync.Locker
	meter *cowMeter
	delay int
	snap  *keyspace.Snapshot // set at the instant
	keys  int64              // keys already paid for by the delay
	stop  <-chan struct{}    // closed when a BGSAVE is killed (nil: never)
}

func (mw *meteredWriter) Write(p []byte) (int, error) {
	mw.meter.set(int64(len(p)))
	n, err := mw.w.Write(p)
	if mw.delay != 0 && mw.snap != nil && err == nil {
		mw.mu.Lock()
		keys := mw.snap.Keys
		mw.mu.Unlock()
		mw.sleep(keySaveDelay(keys-mw.keys, mw.delay))
		mw.keys = keys
	}
	mw.meter.set(0)
	return n, err
}

// sleep pauses for d in short naps and stops early once the save is
// killed or its snapshot aborted: a shutdown, FLUSHALL or an embedding
// program's Close stops a save at once, as killing Redis's child does,
// whatever delay a debug setting asked for. (The walk may be over while
// the writer still pays for its last keys, so the snapshot alone cannot
// tell.)
func (mw *meteredWriter) sleep(d time.Duration) {
	const nap = 10 * time.Millisecond
	for d > 0 {
		s := min(d, nap)
		select {
		case <-mw.stop:
			return
		case <-time.After(s):
		}
		d -= s
		mw.mu.Lock()
		aborted := mw.snap.Aborted()
		mw.mu.Unlock()
		if aborted {
			return
		}
	}
}

// metered wraps w for one stream (lock held). meterAtInstant must wrap
// the stream's AtInstant, and meterDone (lock held) run when it is over.
func (m *Manager) metered(w io.Writer, mu sync.Locker) *meteredWriter {
	return &meteredWriter{w: w, mu: mu, meter: &cowMeter{}, delay: m.cfg.RDBKeySaveDelay}
}

// meterAtInstant wraps the caller's AtInstant hook: from the instant, the
// stream's meter is what INFO shows (lock held).
func (m *Manager) meterAtInstant(mw *meteredWriter, next func()) func() {
	return func() {
		mw.snap = m.ks.Running()
		m.cow = mw.meter
		if next != nil {
			next()
		}
	}
}

// meterDone retires the stream's meter from INFO, unless a later stream
// already took over (lock held).
func (m *Manager) meterDone(mw *meteredWriter) {
	if m.cow == mw.meter {
		m.cow = nil
	}
}

// NewManager attaches RDB persistence to srv.
func NewManager(srv *server.Server, cfg *config.Config, log *logger.Logger) *Manager {
	m := &Manager{srv: srv, ks: srv.Keyspace(), cfg: cfg, log: log, lastSave: time.Now(), lastBgsaveOK: true}
	srv.Engine().Table.Add(
		&command.Spec{Name: "save", Arity: 1, Flags: command.Admin | command.NoScript | command.NoMulti, Handler: m.saveCmd, Group: "server", Summary: "Synchronously saves the database(s) to disk.", Since: "1.0.0"},
		&command.Spec{Name: "bgsave", Arity: -1, Flags: command.Admin | command.NoScript, Handler: m.bgsaveCmd, Group: "server", Summary: "Asynchronously saves the database(s) to disk.", Since: "1.0.0"},
	)
	srv.LastSave = func() int64 { return m.lastSave.Unix() }
	srv.OnCron = append(srv.OnCron, m.cron)
	srv.Gates = append(srv.Gates, m.gate)
	srv.BeforeShutdown = m.beforeShutdown
	srv.SetInfoSection("persistence", m.info)
	prevDebug := srv.Debug
	srv.Debug = func(c *command.Ctx, sub string) bool {
		if sub == "reload" {
			m.debugReload(c)
			return true
		}
		return prevDebug != nil && prevDebug(c, sub)
	}
	srv.Engine().FlushHook = m.afterFlushAll
	return m
}

// Path is the RDB file's path.
func (m *Manager) Path() string { return filepath.Join(m.cfg.Dir, m.cfg.DBFilename) }

// Limits are the small-value encoding thresholds from the config: what
// values are built with in memory (the engine's copy) and on load, and,
// through EncodeOptions, what the RDB writer chooses encodings by.
func Limits(cfg *config.Config) types.Limits {
	return types.Limits{
		HashMaxListpackEntries: int(cfg.HashMaxListpackEntries),
		HashMaxListpackValue:   int(cfg.HashMaxListpackValue),
		SetMaxIntsetEntries:    int(cfg.SetMaxIntsetEntries),
		ZSetMaxListpackEntries: int(cfg.ZSetMaxListpackEntries),
		ZSetMaxListpackValue:   int(cfg.ZSetMaxListpackValue),
		ListMaxListpackSize:    cfg.ListMaxListpackSize,
	}
}

// EncodeOptions are the RDB writer settings from the config.
func EncodeOptions(cfg *config.Config) rdb.EncodeOptions {
	lim := Limits(cfg)
	return rdb.EncodeOptions{
		Compression:     cfg.RDBCompression,
		DisableChecksum: !cfg.RDBChecksum,
		Limits:          &lim,
	}
}

// AuxFields are the AUX fields Redis 7.0 writes (lock held).
func (m *Manager) AuxFields(aofBase bool) []Aux {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := "0"
	if aofBase {
		base = "1"
	}
	aux := []Aux{
		{"redis-ver", server.Version},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"used-mem", strconv.FormatUint(ms.HeapAlloc, 10)},
	}
	if m.ReplAux != nil && !aofBase {
		aux = append(aux, m.ReplAux()...)
	}
	return append(aux, Aux{"aof-base", base})
}

// StreamTo writes a point-in-time RDB to w with the server's settings,
// pacing itself against the server lock (for BGSAVE and full syncs).
func (m *Manager) StreamTo(w *bufio.Writer, atInstant func()) (StreamResult, error) {
	m.srv.Lock()
	mw := m.metered(w, m.srv)
	opts := StreamOptions{Encode: EncodeOptions(m.cfg), AtInstant: m.meterAtInstant(mw, atInstant), Aux: func() []Aux { return m.AuxFields(false) }, InLoop: m.inLoop}
	m.srv.Unlock()
	res, err := Stream(m.srv, m.ks, mw, opts)
	if err == nil {
		err = w.Flush()
	}
	m.srv.Lock()
	m.meterDone(mw)
	m.srv.Unlock()
	return res, err
}

// inLoop hands a background walk to the server's event loop.
func (m *Manager) inLoop(step func(deadline time.Time) bool) LoopHandle {
	if t := m.srv.AddLoopTask(step); t != nil {
		return t
	}
	return nil
}

// The server lock is what a snapshot walk or a load paces itself against:
// *server.Server is handed to Stream and Load as their sync.Locker.
var _ sync.Locker = (*server.Server)(nil)

// nopLocker is used when the caller already holds the lock (SAVE).
type nopLocker struct{}

func (nopLocker) Lock()   {}
func (nopLocker) Unlock() {}

// errSaveAborted is a background save's error once FLUSHALL or SHUTDOWN
// killed it.
var errSaveAborted = errors.New("aborted")

// saveJob is an RDB file being written: begun under the lock (temp file
// open, snapshot taken), then finished by finishSave.
type saveJob struct {
	tmp string
	f   *os.File
	bw  *bufio.Writer
	mw  *meteredWriter
	st  *Streamer
}

// beginSave opens a temp file and takes the snapshot (lock held): the
// file's point in time is now. mu is what the walk will lock: the server
// lock, or a no-op when the caller keeps holding it (SAVE).
func (m *Manager) beginSave(mu sync.Locker, opts StreamOptions) (*saveJob, error) {
	tmp := filepath.Join(m.cfg.Dir, fmt.Sprintf("temp-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %v", filepath.Base(tmp), m.cfg.Dir, err)
	}
	j := &saveJob{tmp: tmp, f: f, bw: bufio.NewWriterSize(f, 1<<16)}
	j.mw = m.metered(j.bw, mu)
	opts.AtInstant = m.meterAtInstant(j.mw, opts.AtInstant)
	if j.st, err = BeginStream(m.ks, j.mw, opts); err != nil {
		m.meterDone(j.mw)
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return j, nil
}

// finishSave writes the snapshot, fsyncs and renames the file over the RDB
// path, so a crash never leaves a half-written dump.rdb. The rename happens
// under mu, and not at all once abort is closed: a killed save never
// replaces the file written after it (FLUSHALL's, SHUTDOWN's). With keep,
// the file is returned open for reading (the caller closes it), so its
// bytes stay readable even after a later save renames over dump.rdb.
func (m *Manager) finishSave(j *saveJob, mu sync.Locker, abort <-chan struct{}, keep bool) (StreamResult, *os.File, error) {
	f := j.f
	res, err := j.st.Run(mu)
	if err == nil {
		err = j.bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if !keep || err != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		f = nil
	}
	mu.Lock()
	m.meterDone(j.mw)
	if err == nil {
		select {
		case <-abort:
			err = errSaveAborted
		default:
			err = os.Rename(j.tmp, m.Path())
		}
	}
	mu.Unlock()
	if err != nil {
		if f != nil {
			f.Close()
		}
		os.Remove(j.tmp)
		return res, nil, err
	}
	if d, derr := os.Open(m.cfg.Dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return res, f, nil
}

func (m *Manager) streamOptions() StreamOptions {
	return StreamOptions{Encode: EncodeOptions(m.cfg), Aux: func() []Aux { return m.AuxFields(false) }}
}

// SaveNow saves synchronously with the lock held (SAVE, SHUTDOWN, FLUSHALL).
func (m *Manager) SaveNow() error {
	if m.ks.Running() != nil {
		return errors.New("a background save is in progress")
	}
	dirty := m.ks.Dirty
	job, err := m.beginSave(nopLocker{}, m.streamOptions())
	var res StreamResult
	if err == nil {
		res, _, err = m.finishSave(job, nopLocker{}, nil, false)
	}
	if err != nil {
		m.log.Warningf("Failed saving the DB: %v", err)
		return err
	}
	m.ks.Dirty -= dirty
	m.lastSave = time.Now()
	m.lastBgsaveOK = true
	m.saves++
	m.lastPeak = res.PeakPending
	m.log.Noticef("DB saved on disk")
	return nil
}

func (m *Manager) saveCmd(c *command.Ctx) {
	if m.bgInProgress {
		c.Error("ERR Background save already in progress")
		return
	}
	if err := m.SaveNow(); err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	c.W.OK()
}

func (m *Manager) bgsaveCmd(c *command.Ctx) {
	schedule := false
	if len(c.Args) > 2 {
		c.Error(command.ErrSyntax)
		return
	}
	if len(c.Args) == 2 {
		if !strings.EqualFold(string(c.Args[1]), "schedule") {
			c.Error(command.ErrSyntax)
			return
		}
		schedule = true
	}
	if m.bgInProgress {
		c.Error("ERR Background save already in progress")
		return
	}
	if m.ks.Running() != nil {
		if schedule {
			m.scheduled = true
			c.W.Simple("Background saving scheduled")
			return
		}
		c.Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
		return
	}
	m.startBgsave()
	c.W.Simple("Background saving started")
}

// BgsaveRunning reports whether a BGSAVE is in progress, its file not yet
// complete (lock held).
func (m *Manager) BgsaveRunning() bool { return m.bgInProgress }

// startBgsave launches a background save (lock held).
func (m *Manager) startBgsave() {
	m.bgInProgress = true
	m.bgStart = time.Now()
	m.lastTry = m.bgStart
	m.scheduled = false
	abort := make(chan struct{})
	m.bgAbort = abort
	dirty := m.ks.Dirty
	opts := m.streamOptions()
	// At the instant, replication may take this save to serve full syncs
	// (it then gets the finished file, or the error, at the end).
	var share func(*os.File, int64, error)
	opts.AtInstant = func() {
		m.bgSnap = m.ks.Running()
		if m.ShareBgsave != nil {
			share = m.ShareBgsave()
		}
	}
	m.log.Noticef("Background saving started")
	// The snapshot is taken here, under the command, so the file holds the
	// dataset as it was when BGSAVE ran (Redis forks before it replies);
	// the walk and the writing go on in the background.
	opts.InLoop = m.inLoop
	job, err := m.beginSave(m.srv, opts)
	if err == nil {
		job.mw.stop = abort
	}
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		var res StreamResult
		var f *os.File
		if err == nil {
			res, f, err = m.finishSave(job, m.srv, abort, true)
		}
		m.srv.Lock()
		defer m.srv.Unlock()
		aborted := false
		select {
		case <-abort:
			aborted, err = true, errSaveAborted
		default:
		}
		var size int64
		if err == nil {
			var st os.FileInfo
			if st, err = f.Stat(); err == nil {
				size = st.Size()
			}
		}
		if f != nil && (err != nil || share == nil) {
			f.Close()
			f = nil
		}
		if share != nil {
			// Replicas sharing this save learn the outcome after the log
			// lines below (deferred calls run before the unlock).
			defer share(f, size, err)
		}
		if aborted {
			// FLUSHALL or SHUTDOWN killed it and already cleared
			// bgInProgress (another save may be running now). As with
			// Redis's SIGUSR1, this is not a failed save.
			m.log.Warningf("Background saving terminated by signal 10")
			return
		}
		m.bgInProgress = false
		if errors.Is(err, ErrSnapshotRunning) {
			// Another snapshot (a full sync's, an AOF rewrite's) is running:
			// callers check first, but should one slip through, this is not
			// a failed save (which would refuse writes under
			// stop-writes-on-bgsave-error) but one to run when that
			// snapshot ends, as BGSAVE SCHEDULE does.
			m.scheduled = true
			m.log.Noticef("Background saving delayed: another snapshot started first; it will run when that one ends")
			return
		}
		m.lastBgsaveTime = time.Since(m.bgStart)
		if err != nil {
			m.lastBgsaveOK = false
			m.log.Warningf("Background saving error: %v", err)
			return
		}
		m.lastBgsaveOK = true
		m.ks.Dirty -= dirty
		m.lastSave = time.Now()
		m.saves++
		m.lastPeak = res.PeakPending
		m.log.Childf(logger.Notice, "DB saved on disk")
		m.log.Childf(logger.Notice, "Fork CoW for RDB: current 0 MB, peak %d MB, average 0 MB (no fork: snapshot buffer)", res.PeakPending>>20)
		m.log.Noticef("Background saving terminated with success")
	}()
}

// cron triggers BGSAVE on save points (lock held), retrying a failed one
// only after 5 seconds, as Redis does.
func (m *Manager) cron() {
	if m.bgInProgress || m.ks.Running() != nil {
		return
	}
	if m.scheduled {
		m.startBgsave()
		return
	}
	now := time.Now()
	for _, sp := range m.cfg.Save {
		if m.ks.Dirty >= sp.Changes && now.Sub(m.lastSave) > time.Duration(sp.Seconds)*time.Second &&
			(m.lastBgsaveOK || now.Sub(m.lastTry) > 5*time.Second) {
			m.log.Noticef("%d changes in %d seconds. Saving...", sp.Changes, sp.Seconds)
			m.startBgsave()
			return
		}
	}
}

// gate refuses writes after a failed background save when
// stop-writes-on-bgsave-error is on (MISCONF).
func (m *Manager) gate(sess *command.Session, spec *command.Spec, args [][]byte) string {
	if spec.Flags&command.Write == 0 || m.lastBgsaveOK || !m.cfg.StopWritesOnBgsaveError || len(m.cfg.Save) == 0 || sess.Flags&command.FlagMaster != 0 {
		return ""
	}
	return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
}

// beforeShutdown saves when asked (save=1) or when save points exist
// (save=-1), as SHUTDOWN does; a failed save refuses the shutdown.
func (m *Manager) beforeShutdown(save int) error {
	m.killBgsave()
	if save == 0 || (save < 0 && len(m.cfg.Save) == 0) {
		return nil
	}
	m.log.Noticef("Saving the final RDB snapshot before exiting.")
	if err := m.SaveNow(); err != nil {
		m.log.Warningf("Error trying to save the DB, can't exit.")
		return err
	}
	return nil
}

// killBgsave stops a running BGSAVE (lock held), as Redis kills its child
// when it shuts down.
func (m *Manager) killBgsave() {
	if !m.bgInProgress {
		return
	}
	m.log.Warningf("There is a child saving an .rdb. Killing it!")
	if s := m.ks.Running(); s != nil {
		s.Abort()
	}
	close(m.bgAbort)
	m.bgInProgress = false
}

// Close runs once the server has stopped: a BGSAVE still running is
// killed (the shutdown normally did), and Close returns when its goroutine
// has ended and closed its file.
func (m *Manager) Close() {
	m.srv.Lock()
	m.killBgsave()
	m.srv.Unlock()
	m.bg.Wait()
}

// afterFlushAll mirrors Redis: a running BGSAVE is killed (its image is
// stale), and with save points a new (empty) RDB is written at once
// without resetting the change counter, so the FLUSHALL still propagates.
func (m *Manager) afterFlushAll(all bool) {
	if !all {
		return
	}
	if m.bgInProgress {
		// Only the BGSAVE's own snapshot: a full sync's may be running
		// while the BGSAVE finishes its file, and it must go on (its image
		// is from before the FLUSHALL, which replicas get in the stream).
		if s := m.ks.Running(); s != nil && s == m.bgSnap {
			s.Abort()
		}
		close(m.bgAbort)
		m.bgInProgress = false
	}
	if len(m.cfg.Save) > 0 {
		dirty := m.ks.Dirty
		m.SaveNow()
		m.ks.Dirty = dirty
	}
}

func (m *Manager) debugReload(c *command.Ctx) {
	if err := m.SaveNow(); err != nil {
		c.Error("ERR Error trying to save the DB: " + err.Error())
		return
	}
	for _, db := range m.ks.DBs {
		db.Flush()
	}
	if _, err := m.loadFile(nil); err != nil {
		c.Error("ERR Error trying to load the RDB dump: " + err.Error())
		return
	}
	m.log.Noticef("DB reloaded by DEBUG RELOAD")
	c.W.OK()
}

// loadFile loads the RDB file into the keyspace.
func (m *Manager) loadFile(mu sync.Locker) (LoadResult, error) {
	f, err := os.Open(m.Path())
	if err != nil {
		return LoadResult{}, err
	}
	defer f.Close()
	res, err := Load(bufio.NewReaderSize(f, 1<<16), m.ks, mu, LoadOptions{
		Limits:      Limits(m.cfg),
		DropExpired: !m.cfg.IsReplica(),
		Now:         time.Now().UnixMilli(),
		Checksum:    m.cfg.RDBChecksum,
		OnSkip: func(key []byte, reason rdb.SkipReason) {
			if reason == rdb.SkipEmpty {
				m.log.Warningf("rdbLoadObject skipping empty key: %s", key)
			} else {
				m.log.Warningf("Skipping key %s: %s", key, reason)
			}
		},
	})
	// INFO reads the figures under the server lock, and answers while a
	// start-up load runs (mu is that lock then; nil when the caller holds it).
	if mu != nil {
		mu.Lock()
		defer mu.Unlock()
	}
	m.lastLoad = res
	return res, err
}

// LoadAtStartup loads dbfilename if it exists, logging as Redis does. A
// corrupt or truncated file is an error naming the file and byte offset:
// the server must not start half-loaded (and never overwrites the file).
func (m *Manager) LoadAtStartup() (LoadResult, error) {
	start := time.Now()
	if _, err := os.Stat(m.Path()); errors.Is(err, os.ErrNotExist) {
		return LoadResult{}, nil
	}
	m.srv.Lock()
	m.srv.Loading = true
	m.srv.Unlock()
	defer func() {
		m.srv.Lock()
		m.srv.Loading = false
		m.srv.Unlock()
	}()
	res, err := m.loadFile(m.srv)
	if err != nil {
		var re *rdb.Error
		if errors.As(err, &re) {
			return res, fmt.Errorf("Fatal error loading the DB (%s): %v. Exiting.", m.Path(), err)
		}
		return res, fmt.Errorf("Fatal error loading the DB (%s): %v. Exiting.", m.Path(), err)
	}
	if v := res.Aux["redis-ver"]; v != "" {
		m.log.Noticef("Loading RDB produced by version %s", v)
	}
	if ct, ok := res.AuxInt("ctime"); ok {
		m.log.Noticef("RDB age %d seconds", time.Now().Unix()-ct)
	}
	if um, ok := res.AuxInt("used-mem"); ok {
		m.log.Noticef("RDB memory usage when created %.2f Mb", float64(um)/(1024*1024))
	}
	if res.EmptySkipped > 0 {
		m.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d, empty keys skipped: %d.", res.Keys, res.Expired, res.EmptySkipped)
	} else {
		m.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d.", res.Keys, res.Expired)
	}
	m.log.Noticef("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	m.srv.Lock()
	m.ks.Dirty = 0
	m.srv.Unlock()
	return res, nil
}

func (m *Manager) info(b *strings.Builder) {
	f := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	b01 := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	status := "ok"
	if !m.lastBgsaveOK {
		status = "err"
	}
	cur := int64(-1)
	if m.bgInProgress {
		cur = int64(time.Since(m.bgStart).Seconds())
	}
	last := int64(-1)
	if m.saves > 0 {
		last = int64(m.lastBgsaveTime.Seconds())
	}
	snapKeys, snapTotal := int64(0), int64(0)
	if s := m.ks.Running(); s != nil {
		snapKeys = s.Keys
	}
	for _, db := range m.ks.DBs {
		snapTotal += int64(db.Len())
	}
	f("loading", b01(m.srv.Loading))
	f("async_loading", 0)
	cowCur, cowPeak, cowAge := cowInfo(m.cow, time.Now())
	f("current_cow_peak", cowPeak)
	f("current_cow_size", cowCur)
	f("current_cow_size_age", cowAge)
	f("current_fork_perc", "0.00")
	f("current_save_keys_processed", snapKeys)
	f("current_save_keys_total", snapTotal)
	f("rdb_changes_since_last_save", m.ks.Dirty)
	f("rdb_bgsave_in_progress", b01(m.bgInProgress))
	f("rdb_last_save_time", m.lastSave.Unix())
	f("rdb_last_bgsave_status", status)
	f("rdb_last_bgsave_time_sec", last)
	f("rdb_current_bgsave_time_sec", cur)
	f("rdb_saves", m.saves)
	f("rdb_last_cow_size", m.lastPeak)
	f("rdb_last_load_keys_expired", m.lastLoad.Expired)
	f("rdb_last_load_keys_loaded", m.lastLoad.Keys)
	for _, fn := range m.InfoExtra {
		fn(b)
	}
	if len(m.InfoExtra) == 0 {
		f("aof_enabled", 0)
		f("aof_rewrite_in_progress", 0)
		f("aof_rewrite_scheduled", 0)
		f("aof_last_rewrite_time_sec", -1)
		f("aof_current_rewrite_time_sec", -1)
		f("aof_last_bgrewrite_status", "ok")
		f("aof_rewrites", 0)
		f("aof_rewrites_consecutive_failures", 0)
		f("aof_last_write_status", "ok")
		f("aof_last_cow_size", 0)
		f("module_fork_in_progress", 0)
		f("module_fork_last_cow_size", 0)
	}
}
