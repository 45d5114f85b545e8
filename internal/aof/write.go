package aof

import (
	"time"

	"github.com/tandemdb/tandem/internal/config"
)

// Barrier runs before a batch's replies are written to the socket, without
// the server lock: it returns once everything propagated so far is written
// (the Redis rule: the AOF is written before replies are sent), and under
// appendfsync always fdatasync'ed. Concurrent callers share the work: the
// one holding ioMu writes everything pending with one write(2) and, under
// always, one fdatasync (group commit), while other clients keep running
// commands.
func (a *Manager) Barrier() {
	target := a.appended.Load()
	always := config.FsyncPolicy(a.policy.Load()) == config.FsyncAlways && !a.holdFsync.Load()
	covered := func() bool { return a.done.Load() >= target && (!always || a.synced.Load() >= target) }
	for !covered() {
		wait := *a.round.Load()
		if covered() {
			return
		}
		if !a.ioMu.TryLock() {
			<-wait // the holder covers us, or we try again after it
			continue
		}
		postponed := false
		if a.done.Load() < target {
			a.writePending(false)
			postponed = a.done.Load() < target
		}
		if always && a.synced.Load() < target && a.done.Load() >= target {
			a.syncNow(true)
		}
		a.unlockIO()
		if postponed || a.lastError() != nil {
			return // everysec with a slow fsync, or a failed write: reply anyway
		}
	}
}

// unlockIO releases ioMu and wakes the barrier waiters.
func (a *Manager) unlockIO() {
	a.ioMu.Unlock()
	ch := make(chan struct{})
	close(*a.round.Swap(&ch))
}

// writePending writes the buffer to the current file (ioMu held), with
// Redis's rules: under everysec a write is postponed (up to two seconds)
// while a background fsync runs, replies going out meanwhile; a failed or
// short write is rolled back with ftruncate and retried later, refusing
// writes meanwhile (MISCONF), except under always, where the process
// exits. force writes regardless of a running fsync.
func (a *Manager) writePending(force bool) {
	if a.cur == nil {
		a.discardPending()
		return
	}
	pol := config.FsyncPolicy(a.policy.Load())
	if pol == config.FsyncEverySec && !force && a.bgSyncing.Load() {
		now := time.Now()
		if a.postponedSince.IsZero() {
			a.postponedSince = now
			return
		}
		if now.Sub(a.postponedSince) < 2*time.Second {
			return
		}
		a.delayedFsync.Add(1)
		a.log.Noticef("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.")
	}
	a.postponedSince = time.Time{}
	next := a.spare[:0]
	a.bufMu.Lock()
	chunk := a.buf
	a.buf = next
	a.bufMu.Unlock()
	a.spare = nil
	if len(chunk) == 0 {
		a.spare = chunk
		return
	}
	if us := a.flushSleep.Load(); us > 0 {
		time.Sleep(time.Duration(us) * time.Microsecond) // DEBUG AOF-FLUSH-SLEEP
	}
	n, err := a.cur.Write(chunk)
	if err != nil || n != len(chunk) {
		a.writeFailed(chunk, n, err, pol)
		return
	}
	if a.writeErr.Load() != nil {
		a.log.Warningf("AOF write error looks solved, Redis can write again.")
		a.writeErr.Store(nil)
	}
	a.wrote(int64(n))
	if cap(chunk) <= 4<<20 {
		a.spare = chunk[:0]
	}
	if pol == config.FsyncEverySec && time.Since(time.Unix(0, a.lastFsync.Load())) >= time.Second {
		a.startBackgroundFsync()
	}
}

func (a *Manager) wrote(n int64) {
	a.incrSize.Add(n)
	a.currentSize.Add(n)
	a.done.Add(n)
}

// discardPending drops the buffer: its file is gone (ioMu held).
func (a *Manager) discardPending() {
	a.bufMu.Lock()
	n := int64(len(a.buf))
	a.buf = a.buf[:0]
	a.bufMu.Unlock()
	a.done.Add(n)
	a.synced.Store(a.done.Load())
}

// writeFailed handles a failed or short write of chunk (ioMu held): what
// was not written goes back in front of the buffer.
func (a *Manager) writeFailed(chunk []byte, n int, err error, pol config.FsyncPolicy) {
	canLog := time.Since(a.lastWriteLog) > 30*time.Second
	if canLog {
		a.lastWriteLog = time.Now()
	}
	if err == nil {
		err = errShortWrite
	}
	if n > 0 {
		if canLog {
			a.log.Warningf("Short write while writing to the AOF file: (nwritten=%d, expected=%d)", n, len(chunk))
		}
		if terr := a.cur.Truncate(a.incrSize.Load()); terr != nil {
			if canLog {
				a.log.Warningf("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: %s", strerror(terr))
			}
			// What was written stays: keep the file and the buffer in step.
			a.wrote(int64(n))
		} else {
			n = 0
		}
		err = errShortWrite
	} else if canLog {
		a.log.Warningf("Error writing to the AOF file: %s", strerror(err))
	}
	a.bufMu.Lock()
	a.buf = append(append([]byte(nil), chunk[n:]...), a.buf...)
	a.bufMu.Unlock()
	if pol == config.FsyncAlways {
		a.log.Warningf("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
		a.exit(1)
		return
	}
	a.writeErr.Store(&err)
}

// syncNow fdatasyncs what is written (syncMu taken here). Under always a
// failure ends the process.
func (a *Manager) syncNow(always bool) {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	if a.syncFile == nil { // nothing open: nothing to wait for
		a.synced.Store(a.done.Load())
		return
	}
	w := a.done.Load()
	if a.synced.Load() >= w {
		return
	}
	if err := a.syncFile.Sync(); err != nil {
		if always {
			a.log.Warningf("Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. Exiting...", strerror(err))
			a.exit(1)
			return
		}
		a.bgErr.Store(&err)
		return
	}
	a.bgErr.Store(nil)
	a.synced.Store(w)
}

// startBackgroundFsync asks the fsync goroutine to sync the current file,
// unless one is running or no-appendfsync-on-rewrite holds it back.
func (a *Manager) startBackgroundFsync() {
	if a.holdFsync.Load() {
		return
	}
	a.lastFsync.Store(time.Now().UnixNano())
	if !a.bgSyncing.CompareAndSwap(false, true) {
		return
	}
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// syncLoop is the background fsync thread of everysec (and of writes made
// outside a client's batch under always).
func (a *Manager) syncLoop() {
	for {
		select {
		case <-a.kick:
		case <-a.srv.Done():
			return
		}
		a.syncNow(false)
		a.bgSyncing.Store(false)
	}
}

// flushNow writes everything pending (server lock held), e.g. before a
// file switch.
func (a *Manager) flushNow() {
	a.ioMu.Lock()
	a.writePending(true)
	a.unlockIO()
}

// switchTo makes f the file written to (server lock held). What is pending
// goes to the old file first, and the old file is fsynced and closed, so
// that synced never claims bytes nobody will sync; under always it is
// nearly clean already, otherwise its fsync runs in the background.
func (a *Manager) switchTo(f File, name string) {
	a.ioMu.Lock()
	defer a.unlockIO()
	a.writePending(true)
	a.syncMu.Lock()
	old := a.syncFile
	if old != nil && old != f {
		if config.FsyncPolicy(a.policy.Load()) == config.FsyncAlways {
			if err := old.Sync(); err != nil {
				a.log.Warningf("Fail to fsync the AOF file: %s", strerror(err))
			}
			old.Close()
		} else {
			a.spawn(func() { old.Sync(); old.Close() })
		}
	}
	a.synced.Store(a.done.Load())
	a.syncFile = f
	a.syncMu.Unlock()
	a.cur, a.curName = f, name
	a.incrSize.Store(0)
	if f != nil {
		if n, err := a.fs.Size(join(a.dir, name)); err == nil {
			a.incrSize.Store(n)
		}
	}
	a.selDB = -1
	a.lastTS = 0
	a.multiPending = false
}

// closeCurrent writes what is pending, fsyncs and closes the current file
// (server lock held). With discard, the pending bytes are dropped instead
// (their file is being thrown away).
func (a *Manager) closeCurrent(discard bool) {
	a.ioMu.Lock()
	defer a.unlockIO()
	if discard {
		a.discardPending()
	} else {
		a.writePending(true)
	}
	a.syncMu.Lock()
	if a.syncFile != nil {
		if !discard {
			if err := a.syncFile.Sync(); err != nil {
				a.log.Warningf("Fail to fsync the AOF file: %s", strerror(err))
			}
		}
		a.syncFile.Close()
		a.syncFile = nil
	}
	a.synced.Store(a.done.Load())
	a.syncMu.Unlock()
	a.cur, a.curName = nil, ""
	a.discardPending() // a write that failed above leaves nothing behind
	a.selDB = -1
	a.multiPending = false
}
