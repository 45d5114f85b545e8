package aof

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
)

// errShortWrite stands for ENOSPC after a short write, as Redis records it.
var errShortWrite = syscall.ENOSPC

// strerror renders an error as C's strerror does for its errno when there
// is one ("No space left on device"), else the error's text.
func strerror(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		s := en.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// InfoAOF implements persist.AOFInfo: it writes the AOF lines of INFO persistence (lock held), in Redis
// 7.0's order; the size fields appear only while appendonly is yes.
func (a *Manager) InfoAOF(b *strings.Builder) {
	f := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	b01 := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	okErr := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "err"
	}
	cur := int64(-1)
	if a.rw != nil {
		cur = int64(time.Since(a.rw.start).Seconds())
	}
	last := int64(-1)
	if a.rwLastDur >= 0 {
		last = int64(a.rwLastDur.Seconds())
	}
	writeOK := a.lastError() == nil
	f("aof_enabled", b01(a.state != stateOff))
	f("aof_rewrite_in_progress", b01(a.rw != nil))
	f("aof_rewrite_scheduled", b01(a.scheduled))
	f("aof_last_rewrite_time_sec", last)
	f("aof_current_rewrite_time_sec", cur)
	f("aof_last_bgrewrite_status", okErr(a.rwLastOK))
	f("aof_rewrites", a.rewrites)
	f("aof_rewrites_consecutive_failures", a.rwFailures)
	f("aof_last_write_status", okErr(writeOK))
	f("aof_last_cow_size", 0)
	f("module_fork_in_progress", 0)
	f("module_fork_last_cow_size", 0)
	if a.cfg.AppendOnly {
		f("aof_current_size", a.currentSize.Load())
		f("aof_base_size", a.baseSize)
		f("aof_pending_rewrite", b01(a.scheduled))
		a.bufMu.Lock()
		pending := len(a.buf)
		a.bufMu.Unlock()
		f("aof_buffer_length", pending)
		f("aof_pending_bio_fsync", b01(a.bgSyncing.Load()))
		f("aof_delayed_fsync", a.delayedFsync.Load())
	}
}

// bgrewriteaofCmd is BGREWRITEAOF, with Redis's replies.
func (a *Manager) bgrewriteaofCmd(c *command.Ctx) {
	switch {
	case a.rw != nil:
		c.Error("ERR Background append only file rewriting already in progress")
	case a.ks.Running() != nil || a.pm.Saving() || c.InExec:
		a.scheduled = true
		a.rwFailures = 0
		c.W.Simple("Background append only file rewriting scheduled")
	default:
		if err := a.startRewrite(); err != nil {
			c.Error("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
			return
		}
		c.W.Simple("Background append only file rewriting started")
	}
}

// ConfigChanged follows a CONFIG SET of appendonly or appendfsync (lock
// held; internal/app subscribes it): the fsync policy takes effect for the
// next write, and the AOF is turned on (a rewrite writes its base) or off
// when appendonly changed. An AOF that cannot be turned on vetoes the
// change with Redis's reply.
func (a *Manager) ConfigChanged(c *config.Config) error {
	a.policy.Store(int32(c.AppendFsync))
	if c.AppendOnly && a.state == stateOff {
		if err := a.startAppendOnly(); err != nil {
			return errors.New("Unable to turn on AOF. Check server logs.")
		}
	} else if !c.AppendOnly && a.state != stateOff {
		a.stopAppendOnly(true)
	}
	return nil
}

// startAppendOnly turns the AOF on at run time (lock held): a rewrite
// writes the base first; writes after its snapshot go to a temp incr file
// that joins the AOF when the base is in place.
func (a *Manager) startAppendOnly() error {
	a.setPaths()
	if err := a.loadManifestIfAny(); err != nil {
		a.log.Warningf("%v", err)
		return err
	}
	a.state = stateWait
	switch {
	case (a.ks.Running() != nil || a.pm.Saving()) && a.rw == nil:
		a.scheduled = true
		a.log.Warningf("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
	case a.eng.InExec() && a.rw == nil:
		// As in Redis, a transaction does not start background work: the
		// cron starts the rewrite after EXEC.
		a.scheduled = true
		a.log.Warningf("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.")
	default:
		if a.rw != nil {
			a.log.Warningf("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.")
			a.killRewrite()
		}
		if err := a.startRewrite(); err != nil {
			a.state = stateOff
			a.log.Warningf("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.")
			return err
		}
	}
	a.lastFsync.Store(time.Now().UnixNano())
	if a.lastError() != nil {
		a.log.Warningf("AOF reopen, just ignore the last error.")
		a.writeErr.Store(nil)
		a.bgErr.Store(nil)
	}
	return nil
}

// stopAppendOnly turns the AOF off (lock held). mark writes the current
// replication mark first; it is false when the dataset was just replaced
// without propagation (full sync), since the old files then describe the
// old dataset and its old offset.
func (a *Manager) stopAppendOnly(mark bool) {
	if a.state == stateOn && a.cur != nil {
		if mark {
			a.markRepl()
		}
		a.closeCurrent(false)
	}
	a.killRewrite()
	if a.cur != nil { // the temp incr of a rewrite that never finished
		a.dropTempIncr()
	}
	a.state = stateOff
	a.scheduled = false
	a.mark = ""
}

// AfterFullSync keeps a replica's AOF consistent with a dataset loaded from
// its master (lock held, called before the stream is applied): as Redis's
// restartAOFAfterSYNC, the AOF is turned off and on again, so a new base
// is written from the new dataset while the old files stay valid on disk
// until it is in place.
func (a *Manager) AfterFullSync() {
	if a.state == stateOff {
		return
	}
	a.stopAppendOnly(false)
	if err := a.startAppendOnly(); err != nil {
		a.log.Warningf("Failed enabling the AOF after successful master synchronization! Trying it again in one second.")
		a.state = stateWait
		a.scheduled = true
	}
}
