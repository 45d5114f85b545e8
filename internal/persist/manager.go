package persist

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
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
	// replStreams counts full-sync RDB streams under way (StreamTo), which
	// INFO shows as a background save, as Redis's fork child for a sync
	// is one; replStart is when the first of them began.
	replStreams int
	replStart   time.Time
	bgAbort     chan struct{}
	scheduled   bool
	saves       int64
	lastPeak    int
	lastLoad    LoadResult
	cow         *cowMeter          // the running RDB stream's, for INFO (nil when none)
	bgSnap      *keyspace.Snapshot // the running BGSAVE's snapshot
	// bg counts background saves' goroutines, for Close.
	bg sync.WaitGroup

	// repl and aof are the parts persistence asks things of (wired by
	// internal/app; nil when absent).
	repl Replication
	aof  AOFInfo
	// functions are the function libraries (functions.go).
	functions Functions
}

// Replication is what persistence asks of replication (lock held).
type Replication interface {
	// RDBAux returns the replication AUX fields (repl-id, repl-offset,
	// repl-stream-db) every RDB carries, at the snapshot instant.
	RDBAux() []Aux
	// BgsaveInstant is called at the snapshot instant of every background
	// save (BGSAVE, BGSAVE SCHEDULE, save points), so replication can
	// serve full syncs from it. The function it returns (nil: not
	// interested) is called exactly once when that save ends, lock held:
	// after a success with the finished RDB open for reading and its size
	// (the callee owns the file and must close it; it stays readable
	// whatever later saves do to dump.rdb), after a failure with nil, 0
	// and the error.
	BgsaveInstant() func(f *os.File, size int64, err error)
}

// AOFInfo writes the AOF part of INFO persistence (lock held).
type AOFInfo interface {
	InfoAOF(b *strings.Builder)
}

// SetReplication wires replication in (before start-up).
func (m *Manager) SetReplication(r Replication) { m.repl = r }

// SetAOF wires the AOF's part of INFO persistence in (before start-up).
func (m *Manager) SetAOF(a AOFInfo) { m.aof = a }

// ReplAux is replication's AUX fields for an RDB (lock held; none without
// replication).
func (m *Manager) ReplAux() []Aux {
	if m.repl == nil {
		return nil
	}
	return m.repl.RDBAux()
}

// LastSave implements server.LastSaver: the last successful save.
func (m *Manager) LastSave() int64 { return m.lastSave.Unix() }

// Debug implements server.DebugProvider: DEBUG RELOAD.
func (m *Manager) Debug(c *command.Ctx, sub string) bool {
	if sub == "reload" {
		m.debugReload(c)
		return true
	}
	return false
}

// NewManager attaches RDB persistence to srv and registers its commands;
// internal/app wires it into the server.
func NewManager(srv *server.Server, cfg *config.Config, log *logger.Logger) *Manager {
	m := &Manager{srv: srv, ks: srv.Keyspace(), cfg: cfg, log: log, lastSave: time.Now(), lastBgsaveOK: true}
	srv.Engine().Table.Add(
		&command.Spec{Name: "save", Arity: 1, Flags: command.Admin | command.NoScript | command.NoMulti, Handler: m.saveCmd, Group: "server", Summary: "Synchronously saves the database(s) to disk.", Since: "1.0.0"},
		&command.Spec{Name: "bgsave", Arity: -1, Flags: command.Admin | command.NoScript, Handler: m.bgsaveCmd, Group: "server", Summary: "Asynchronously saves the database(s) to disk.", Since: "1.0.0"},
	)
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
		HLLSparseMaxBytes:      int(cfg.HLLSparseMaxBytes),
		StreamNodeMaxBytes:     int(min(cfg.StreamNodeMaxBytes, types.StreamListpackMaxSize)),
		StreamNodeMaxEntries:   int(min(cfg.StreamNodeMaxEntries, 1<<31-1)),
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
	if !aofBase {
		aux = append(aux, m.ReplAux()...)
	}
	return append(aux, Aux{"aof-base", base})
}

// The server lock is what a snapshot walk or a load paces itself against:
// *server.Server is handed to Stream and Load as their sync.Locker.
var _ sync.Locker = (*server.Server)(nil)

// Cron implements server.CronJob: it triggers BGSAVE on save points (lock held), retrying a failed one
// only after 5 seconds, as Redis does.
func (m *Manager) Cron() {
	if m.saving() || m.ks.Running() != nil {
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

// Gate implements server.Gate: it refuses writes after a failed background save when
// stop-writes-on-bgsave-error is on (MISCONF).
func (m *Manager) Gate(sess *command.Session, spec *command.Spec, args [][]byte) string {
	if spec.Flags&command.Write == 0 || m.lastBgsaveOK || !m.cfg.StopWritesOnBgsaveError || len(m.cfg.Save) == 0 || sess.Flags&command.FlagMaster != 0 {
		return ""
	}
	return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
}

// PrepareShutdown implements server.ShutdownPreparer: it saves when asked (save=1) or when save points exist
// (save=-1), as SHUTDOWN does; a failed save refuses the shutdown, or
// with force (SHUTDOWN FORCE) is logged as not stopping it.
func (m *Manager) PrepareShutdown(save int, force bool) error {
	m.killBgsave()
	if save == 0 || (save < 0 && len(m.cfg.Save) == 0) {
		return nil
	}
	m.log.Noticef("Saving the final RDB snapshot before exiting.")
	if err := m.SaveNow(); err != nil {
		if force {
			m.log.Warningf("Error trying to save the DB. Exit anyway.")
		} else {
			m.log.Warningf("Error trying to save the DB, can't exit.")
		}
		return err
	}
	return nil
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

// AfterFlush runs after FLUSHALL and FLUSHDB (all: FLUSHALL). It mirrors
// Redis: a running BGSAVE is killed (its image is
// stale), and with save points a new (empty) RDB is written at once
// without resetting the change counter, so the FLUSHALL still propagates.
func (m *Manager) AfterFlush(all bool) {
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
		// The save resets the change counter, as Redis 7.0's does
		// (rdb_changes_since_last_save 0 after FLUSHALL); FLUSHALL still
		// reaches replicas and the AOF: it forces its propagation.
		m.SaveNow()
	}
}

// debugReload is DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty
// the dataset, load the file back. With NOFLUSH the file's function
// libraries join the current ones, replacing those of the same name with
// MERGE and failing the load without it (the file's keys are added to
// the current ones either way).
func (m *Manager) debugReload(c *command.Ctx) {
	flush, save, merge := true, true, false
	for _, a := range c.Args[2:] {
		switch strings.ToLower(string(a)) {
		case "merge":
			// The file's keys replace those with the same name; that is
			// how Tandem always loads (Redis, given NOFLUSH without MERGE,
			// crashes on the first duplicate). Its libraries replace ours
			// of the same name only with MERGE (MergeFunctions).
			merge = true
		case "noflush":
			flush = false
		case "nosave":
			save = false
		default:
			c.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	if save {
		if err := m.SaveNow(); err != nil {
			c.Error("ERR Error trying to save the DB: " + err.Error())
			return
		}
	}
	if flush {
		for _, db := range m.ks.DBs {
			db.Flush()
		}
	}
	res, err := m.loadFile(nil)
	if err == nil && m.functions != nil {
		if flush {
			err = m.functions.ReplaceFunctions(res.Functions)
		} else {
			err = m.functions.MergeFunctions(res.Functions, merge)
		}
	}
	if err != nil {
		c.Error("ERR Error trying to load the RDB dump: " + err.Error())
		return
	}
	m.log.Warningf("DB reloaded by DEBUG RELOAD")
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

// logCorruptReport logs, before a start-up that an unreadable RDB file
// ends, where the file went wrong and how far the load got: the report
// redis-check-rdb would print, which Redis logs at that point too, so an
// operator sees the offset and the key without running the checker.
func (m *Manager) logCorruptReport(re *rdb.Error, res LoadResult) {
	m.log.Warningf("--- RDB ERROR DETECTED ---")
	what := re.Msg
	if re.Err != nil {
		what += ": " + re.Err.Error()
	}
	m.log.Warningf("[offset %d] %s", re.Offset, what)
	m.log.Warningf("[info] %d keys read, %d expired keys skipped, %d bytes of %s checked", res.Keys, res.Expired, re.Offset, m.Path())
	m.log.Warningf("--- RDB ERROR DETECTED ---")
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
	m.srv.SetLoading(true)
	m.srv.Unlock()
	defer func() {
		m.srv.Lock()
		m.srv.SetLoading(false)
		m.srv.Unlock()
	}()
	res, err := m.loadFile(m.srv)
	if err == nil {
		m.srv.Lock()
		err = m.ReplaceFunctions(res.Functions)
		m.srv.Unlock()
	}
	if err != nil {
		var re *rdb.Error
		if errors.As(err, &re) {
			m.logCorruptReport(re, res)
			// A corrupt file: Redis's last words for it, which operators'
			// log watchers (and its tests) look for.
			return res, fmt.Errorf("Fatal error loading the DB (%s): %v. Terminating server after rdb file reading failure.", m.Path(), err)
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

// Info writes INFO persistence (lock held).
func (m *Manager) Info(b *strings.Builder) {
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
	saving := m.saving()
	switch {
	case m.bgInProgress:
		cur = int64(time.Since(m.bgStart).Seconds())
	case saving:
		cur = int64(time.Since(m.replStart).Seconds())
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
	f("loading", b01(m.srv.IsLoading()))
	f("async_loading", b01(m.srv.IsAsyncLoading()))
	cowCur, cowPeak, cowAge := cowInfo(m.cow, time.Now())
	f("current_cow_peak", cowPeak)
	f("current_cow_size", cowCur)
	f("current_cow_size_age", cowAge)
	f("current_fork_perc", "0.00")
	f("current_save_keys_processed", snapKeys)
	f("current_save_keys_total", snapTotal)
	f("rdb_changes_since_last_save", m.ks.Dirty)
	f("rdb_bgsave_in_progress", b01(saving))
	f("rdb_last_save_time", m.lastSave.Unix())
	f("rdb_last_bgsave_status", status)
	f("rdb_last_bgsave_time_sec", last)
	f("rdb_current_bgsave_time_sec", cur)
	f("rdb_saves", m.saves)
	f("rdb_last_cow_size", m.lastPeak)
	f("rdb_last_load_keys_expired", m.lastLoad.Expired)
	f("rdb_last_load_keys_loaded", m.lastLoad.Keys)
	if m.aof != nil {
		m.aof.InfoAOF(b)
	} else {
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
