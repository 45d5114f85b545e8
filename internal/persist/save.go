package persist

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/logger"
)

// Saving: SAVE, BGSAVE and the full-sync stream. A save is begun under the
// server lock (the snapshot is taken there, as Redis forks there), then
// streamed to a temp file in the background or in the caller, and renamed
// over dbfilename when complete.

// StreamTo writes a point-in-time RDB to w with the server's settings,
// pacing itself against the server lock (for full syncs, disk or socket:
// INFO shows it as rdb_bgsave_in_progress, as Redis's forked child).
func (m *Manager) StreamTo(w *bufio.Writer, atInstant func()) (StreamResult, error) {
	m.srv.Lock()
	if m.replStreams == 0 {
		m.replStart = time.Now()
	}
	m.replStreams++
	defer func() {
		m.srv.Lock()
		m.replStreams--
		m.srv.Unlock()
	}()
	mw := m.metered(w, m.srv)
	opts := StreamOptions{Encode: EncodeOptions(m.cfg), AtInstant: m.meterAtInstant(mw, atInstant), Aux: func() []Aux { return m.AuxFields(false) }, Functions: m.FunctionCodes, InLoop: m.inLoop}
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

// nopLocker is used when the caller already holds the lock (SAVE).
type nopLocker struct{}

func (nopLocker) Lock() {}

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
	return StreamOptions{Encode: EncodeOptions(m.cfg), Aux: func() []Aux { return m.AuxFields(false) }, Functions: m.FunctionCodes}
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

// saving reports whether an RDB is being written in the background, by
// BGSAVE or for a full sync (lock held): Redis's RDB child, which SAVE,
// BGSAVE and the save points wait for.
func (m *Manager) saving() bool { return m.bgInProgress || m.replStreams > 0 }

func (m *Manager) saveCmd(c *command.Ctx) {
	if m.saving() {
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
	if m.saving() {
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

// Saving reports whether an RDB is being written in the background, by
// BGSAVE or for a full sync (lock held): what an AOF rewrite waits for, as
// Redis's waits for its RDB child.
func (m *Manager) Saving() bool { return m != nil && m.saving() }

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
		if m.repl != nil {
			share = m.repl.BgsaveInstant()
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
