package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/resp"
)

// rewrite is one background rewrite. Its fields are guarded by the server
// lock (the goroutine that streams the base only touches tmp).
type rewrite struct {
	gen   uint64
	start time.Time
	tmp   string // temp base path
	rdb   bool   // RDB-format base (aof-use-rdb-preamble)
	wait  bool   // the rewrite turns the AOF on (stateWait)
	enc   rdb.EncodeOptions
	ts    bool // aof-timestamp-enabled: #TS: at the top of a RESP base
	every int64

	// Set at the snapshot instant.
	snap       *keyspace.Snapshot
	keys       int64 // keys at the instant: a complete snapshot hands over this many
	instantErr error
	aborted    bool
	// killed is closed by killRewrite: it ends rdb-key-save-delay's
	// pacing, which may outlast the snapshot's walk.
	killed chan struct{}
}

var errRewriteRunning = errors.New("Background append only file rewriting already in progress")

// startRewrite launches a background rewrite (lock held). The caller has
// checked that no snapshot is running; if one starts before ours does,
// the rewrite is rescheduled.
//
// The flow, as rewriteAppendOnlyFileBackground and its done-handler:
//  1. at the snapshot instant (lock held, same instant as the snapshot),
//     the pending buffer goes to the current incr file and a new incr
//     file takes over, already listed in a persisted manifest (or, when
//     turning the AOF on, a temp incr file outside the manifest);
//  2. the snapshot streams into temp-rewriteaof-bg-<pid>-<n>.aof, fsynced;
//  3. on success the temp file is renamed to the next base name, the old
//     base and every incr file but the current one become history, the
//     manifest is persisted (temp, fsync, rename, fsync dir), and only
//     then the history files are removed.
//
// A crash at any point leaves a manifest whose files describe one
// consistent history.
func (a *Manager) startRewrite() error {
	if a.rw != nil {
		return errRewriteRunning
	}
	if a.ks.Running() != nil {
		a.scheduled = true
		return nil
	}
	if err := a.fs.MkdirAll(a.dir); err != nil {
		a.log.Warningf("Can't open or create append-only dir %s: %s", a.dir, strerror(err))
		a.rwLastOK = false
		return err
	}
	a.flushNow()
	a.gen++
	rw := &rewrite{
		gen:    a.gen,
		start:  time.Now(),
		tmp:    join(a.dir, fmt.Sprintf("temp-rewriteaof-bg-%d-%d.aof", os.Getpid(), a.gen)),
		rdb:    a.cfg.AOFUseRDBPreamble,
		wait:   a.state == stateWait,
		enc:    persist.EncodeOptions(a.cfg),
		ts:     a.cfg.AOFTimestampEnabled,
		killed: make(chan struct{}),
	}
	if a.cfg.AOFRewriteIncrementalFsync {
		rw.every = 4 << 20
	}
	a.rw = rw
	a.scheduled = false
	a.rewrites++
	a.log.Noticef("Background append only file rewriting started")
	a.spawn(func() { a.runRewrite(rw) })
	return nil
}

// atInstant runs inside the snapshot's first lock hold: from here on,
// writes go to the new incr file, and the snapshot is the base (lock held).
func (a *Manager) atInstant(rw *rewrite) {
	rw.snap = a.ks.Running()
	if rw != a.rw {
		rw.aborted = true
		rw.snap.Abort()
		return
	}
	for _, db := range a.ks.DBs {
		rw.keys += int64(db.Len())
	}
	switch a.state {
	case stateOn:
		a.markRepl()
		m := a.man.clone()
		name := m.newIncr(a.name)
		f, err := a.fs.Create(join(a.dir, name))
		if err != nil {
			a.log.Warningf("Can't open the append-only file %s: %s", name, strerror(err))
			rw.instantErr = err
			break
		}
		if err := a.persistManifest(m); err != nil {
			f.Close()
			a.fs.Remove(join(a.dir, name))
			rw.instantErr = err
			break
		}
		a.man = m
		a.switchTo(f, name)
		a.log.Noticef("Creating AOF incr file %s on background rewrite", name)
	case stateWait:
		name := tempPrefix + a.name + incrSuffix
		f, err := a.fs.Create(join(a.dir, name))
		if err != nil {
			a.log.Warningf("Can't open the append-only file %s: %s", name, strerror(err))
			rw.instantErr = err
			break
		}
		a.switchTo(f, name)
		a.log.Noticef("Creating AOF incr file %s on background rewrite", name)
	}
	if rw.instantErr != nil {
		rw.snap.Abort()
		return
	}
	a.mark = a.currentMark() // the base carries the replication state of this instant
}

// runRewrite streams the snapshot into the temp base and hands the result
// to finishRewrite.
func (a *Manager) runRewrite(rw *rewrite) {
	keys, err := a.writeBase(rw.tmp, rw, func() { a.atInstant(rw) })
	if a.rewriteHook != nil {
		a.rewriteHook("streamed")
	}
	a.srv.Lock()
	a.finishRewrite(rw, keys, err)
	a.srv.Unlock()
	if a.rewriteHook != nil {
		a.rewriteHook("installed")
	}
}

// writeBase streams a point-in-time base (RDB or RESP) into path and
// fsyncs it. atInstant runs at the snapshot instant with the lock held. It
// returns the number of keys written.
func (a *Manager) writeBase(path string, rw *rewrite, atInstant func()) (int64, error) {
	f, err := a.fs.Create(path)
	if err != nil {
		return 0, fmt.Errorf("Opening the temp file for AOF rewrite: %s", strerror(err))
	}
	sw := &syncEvery{f: f, every: rw.every}
	bw := bufio.NewWriterSize(sw, 64<<10)
	var out io.Writer = bw
	if a.pm != nil {
		a.srv.Lock()
		var done func()
		out, atInstant, done = a.pm.MeterStream(bw, atInstant, rw.killed)
		a.srv.Unlock()
		defer func() {
			a.srv.Lock()
			done()
			a.srv.Unlock()
		}()
	}
	var keys int64
	if rw.rdb {
		var res persist.StreamResult
		res, err = persist.Stream(a.srv, a.ks, out, persist.StreamOptions{
			Encode:    rw.enc,
			AtInstant: atInstant,
			Aux:       a.baseAux,
			Functions: a.pm.FunctionCodes,
		})
		keys = res.Keys
	} else {
		keys, err = streamCommands(a.srv, a.ks, out, commandStreamOptions{
			AtInstant: atInstant,
			Header: func() []byte {
				var h []byte
				if rw.ts {
					h = fmt.Appendf(h, "#TS:%d\r\n", time.Now().Unix())
				}
				if m := a.currentMark(); m != "" {
					h = append(h, m...)
					h = append(h, '\r', '\n')
				}
				// The function libraries first, as FUNCTION LOAD
				// commands (Redis's rewriteFunctions).
				for _, code := range a.pm.FunctionCodes() {
					h = resp.AppendCommand(h, []byte("FUNCTION"), []byte("LOAD"), code)
				}
				return h
			},
		})
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return keys, err
}

// baseAux are the AUX fields of an RDB base (lock held, at the instant):
// Redis's (aof-base=1) plus repl-id/repl-offset/repl-stream-db, which
// Redis's AOF loader and redis-check-aof ignore, and which let us resume
// replication with PSYNC after a restart (see doc.go).
func (a *Manager) baseAux() []persist.Aux {
	aux := a.pm.AuxFields(true)
	repl := a.pm.ReplAux()
	if len(repl) == 0 {
		return aux
	}
	out := make([]persist.Aux, 0, len(aux)+len(repl))
	out = append(out, aux[:len(aux)-1]...) // everything but aof-base
	out = append(out, repl...)
	return append(out, aux[len(aux)-1])
}

// finishRewrite installs a finished rewrite (lock held).
func (a *Manager) finishRewrite(rw *rewrite, keys int64, err error) {
	if rw != a.rw { // killed meanwhile
		a.fs.Remove(rw.tmp)
		return
	}
	a.rw = nil
	a.rwLastDur = time.Since(rw.start)
	fail := func(format string, args ...any) {
		a.log.Warningf(format, args...)
		a.fs.Remove(rw.tmp)
		a.rwLastOK = false
		a.rwFailures++
		if rw.wait {
			a.dropTempIncr()
			a.scheduled = true // retry: the AOF is still being turned on
		}
	}
	switch {
	case errors.Is(err, persist.ErrSnapshotRunning):
		// Another snapshot started first: try again when it is done.
		a.fs.Remove(rw.tmp)
		a.rewrites--
		a.scheduled = true
		return
	case err != nil:
		fail("Background AOF rewrite terminated with error: %v", err)
		return
	case rw.instantErr != nil:
		fail("Background AOF rewrite terminated with error: %v", rw.instantErr)
		return
	case rw.aborted || keys != rw.keys:
		fail("Background AOF rewrite terminated by an aborted snapshot (%d of %d keys written)", keys, rw.keys)
		return
	}
	a.log.Noticef("Background AOF rewrite terminated with success")
	m := a.man.clone()
	base := m.newBase(a.name, rw.rdb)
	if err := a.fs.Rename(rw.tmp, join(a.dir, base)); err != nil {
		fail("Error trying to rename the temporary AOF base file %s into %s: %s", rw.tmp, base, strerror(err))
		return
	}
	a.log.Noticef("Successfully renamed the temporary AOF base file %s into %s", baseName(rw.tmp), base)
	if rw.wait {
		incr := m.newIncr(a.name)
		if err := a.fs.Rename(join(a.dir, a.curName), join(a.dir, incr)); err != nil {
			a.fs.Remove(join(a.dir, base))
			fail("Error trying to rename the temporary AOF incr file %s into %s: %s", a.curName, incr, strerror(err))
			return
		}
		a.log.Noticef("Successfully renamed the temporary AOF incr file %s into %s", a.curName, incr)
		a.curName = incr
	}
	m.incrToHistory(a.state != stateOff)
	if err := a.persistManifest(m); err != nil {
		a.fs.Remove(join(a.dir, base))
		if rw.wait {
			a.fs.Remove(join(a.dir, a.curName))
		}
		fail("Background AOF rewrite could not persist the manifest: %v", err)
		return
	}
	a.man = m
	if n, err := a.fs.Size(join(a.dir, base)); err == nil {
		a.baseSize = n
	}
	if a.state != stateOff {
		a.selDB = -1
		a.currentSize.Store(a.baseSize + a.incrSize.Load())
		a.rewriteBaseSize = a.currentSize.Load()
	}
	a.deleteHistory()
	a.rwLastOK = true
	a.rwFailures = 0
	a.log.Noticef("Background AOF rewrite finished successfully")
	if a.state == stateWait {
		a.state = stateOn
	}
}

// killRewrite stops the running rewrite (lock held); its goroutine removes
// its temp file when it sees it was superseded.
func (a *Manager) killRewrite() {
	rw := a.rw
	if rw == nil {
		return
	}
	a.log.Noticef("Killing running AOF rewrite child")
	a.rw = nil
	rw.aborted = true
	if rw.killed != nil {
		close(rw.killed)
	}
	if rw.snap != nil && a.ks.Running() == rw.snap {
		rw.snap.Abort()
	}
	a.rwLastDur = time.Since(rw.start)
	if rw.wait && a.cur != nil {
		a.dropTempIncr()
	}
}

// dropTempIncr closes and removes the temp incr file of a rewrite that
// was turning the AOF on (lock held).
func (a *Manager) dropTempIncr() {
	if a.cur == nil {
		return
	}
	name := a.curName
	a.closeCurrent(true)
	a.log.Noticef("Removing the temp incr aof file %s in the background", name)
	a.fs.Remove(join(a.dir, name))
}

// deleteHistory removes the history files and forgets them (lock held),
// unless aof-disable-auto-gc.
func (a *Manager) deleteHistory() {
	if a.cfg.AOFDisableAutoGC || len(a.man.History) == 0 {
		return
	}
	var paths []string
	for _, h := range a.man.History {
		a.log.Noticef("Removing the history file %s in the background", h.Name)
		paths = append(paths, join(a.dir, h.Name))
	}
	m := a.man.clone()
	m.History = nil
	if err := a.persistManifest(m); err != nil {
		return // the files stay listed as history; removed next time
	}
	a.man = m
	fsys := a.fs
	a.spawn(func() {
		for _, p := range paths {
			fsys.Remove(p)
		}
	})
}

// persistManifest writes m atomically: temp file, fsync, rename, fsync
// the directory (writeAofManifestFile).
func (a *Manager) persistManifest(m *Manifest) error {
	tmpName := tempPrefix + a.name + manifestSuffix
	tmp := join(a.dir, tmpName)
	f, err := a.fs.Create(tmp)
	if err != nil {
		a.log.Warningf("Can't open the AOF manifest file %s: %s", tmpName, strerror(err))
		return err
	}
	if _, err = f.Write(m.Encode()); err != nil {
		a.log.Warningf("Error trying to write the temporary AOF manifest file %s: %s", tmpName, strerror(err))
	} else if err = f.Sync(); err != nil {
		a.log.Warningf("Fail to fsync the temp AOF file %s: %s.", tmpName, strerror(err))
	}
	f.Close()
	if err != nil {
		return err
	}
	if err := a.fs.Rename(tmp, a.ManifestPath()); err != nil {
		a.log.Warningf("Error trying to rename the temporary AOF manifest file %s into %s: %s", tmpName, a.name+manifestSuffix, strerror(err))
		return err
	}
	if err := a.fs.SyncDir(a.dir); err != nil {
		a.log.Warningf("Fail to fsync AOF directory %s: %s.", a.dir, strerror(err))
		return err
	}
	return nil
}

// syncEvery fsyncs every `every` bytes (aof-rewrite-incremental-fsync), so
// a big base does not end with one huge fsync.
type syncEvery struct {
	f     File
	every int64
	since int64
}

func (s *syncEvery) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.since += int64(n)
	if err == nil && s.every > 0 && s.since >= s.every {
		s.since = 0
		err = s.f.Sync()
	}
	return n, err
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
