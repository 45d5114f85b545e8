package repl

// The full sync of a replica: receiving its master's RDB payload (to a
// temp file, or straight into a loader), storing it, loading it, and the
// abandon checks between those stages. The link's state machine around it
// is in replica.go.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/resp"
)

// fullSync receives the RDB payload ($<len> or $EOF:<mark>), flushes the
// old data and loads it. replID is "" for the old SYNC.
//
// The stages are receive (to a temp file, or straight into the loader with
// repl-diskless-load), fsync, flush-and-load, and finish. A REPLICAOF that
// replaces this link may arrive during any of them but the disk load
// (where, as in Redis, commands without the loading flag get -LOADING):
// the reads fail at once (quit), and each stage checks stopped under the
// server lock before its effects, so nothing of this master's payload
// reaches the dataset once the link was replaced.
func (l *link) fullSync(br *bufio.Reader, replID string, off int64, timeout time.Duration) error {
	m := l.m
	l.setState(linkSync)
	var h payloadHeader
	for {
		line, err := l.readLine(br, timeout)
		if err == errLineTooLong {
			return fmt.Errorf("Bad protocol from MASTER: %v", err)
		}
		if err != nil {
			return fmt.Errorf("Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.")
		}
		if line == "" {
			continue // keepalive newline while the master prepares the RDB
		}
		if h, err = parsePayloadHeader(line); err != nil {
			return err
		}
		break
	}
	if h.mark != nil {
		l.logf("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk")
	} else {
		l.logf("MASTER <-> REPLICA sync: receiving %d bytes from master to disk", h.size)
	}
	m.srv.Lock()
	if l.stopped {
		m.srv.Unlock()
		return errAbandoned
	}
	l.syncTotal, l.syncRead = h.size, 0
	if h.size < 0 {
		l.syncTotal = 0
	}
	dir := m.cfg.Dir
	mode := m.cfg.ReplDisklessLoad
	empty := true
	for _, db := range m.ks.DBs {
		if db.Len() > 0 {
			empty = false
		}
	}
	m.srv.Unlock()
	if mode == config.DisklessLoadSwapDB || (mode == config.DisklessLoadOnEmptyDB && empty) {
		return l.loadFromSocket(br, h, replID, off, timeout)
	}

	// Receive to a temp file first: the old data keeps serving reads until
	// the whole payload is here, as Redis's disk-load does.
	tmp := filepath.Join(dir, fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("Opening the temp file needed for MASTER <-> REPLICA synchronization: %v", err)
	}
	defer os.Remove(tmp)
	defer f.Close()
	if err := copyPayload(&deadlineReader{l: l, r: br, timeout: timeout}, f, h); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := l.testDelay(); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	opts, err := l.beginDiskLoad()
	if err != nil {
		return err
	}
	// However the load ends (an error, a panic), the server stops saying
	// LOADING.
	defer l.endLoad(true)
	start := time.Now()
	var res persist.LoadResult
	l.loadPolitely(func() {
		res, err = persist.Load(bufio.NewReaderSize(quitReader{l: l, r: f}, 1<<16), m.ks, serverLocker{m}, opts)
	})
	m.srv.Lock()
	defer m.srv.Unlock()
	m.srv.Loading = false
	if l.stopped {
		// Only a shutdown gets here (REPLICAOF waits for the load):
		// what was loaded is no replica's data.
		for _, db := range m.ks.DBs {
			db.Flush()
		}
		return errAbandoned
	}
	if err != nil {
		m.log.Warningf("Failed trying to load the MASTER synchronization DB from disk: %v", err)
		return err
	}
	if v := res.Aux["redis-ver"]; v != "" {
		m.log.Noticef("Loading RDB produced by version %s", quoteLine(v))
	}
	m.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d.", res.Keys, res.Expired)
	m.log.Noticef("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	l.finishFullSync(res, replID, off, h.mark != nil)
	return nil
}

// testDelay applies DEBUG REPLICA-SYNC-DELAY: it stalls between the fsync
// of the received payload and the load (disk load), or between the load
// and the swap (socket load), as a slow disk or CPU would, so tests can
// replace the link there. The next stage checks whether it was.
func (l *link) testDelay() error {
	l.m.srv.Lock()
	d := l.m.syncDelay
	if d > 0 {
		l.m.log.Noticef("MASTER <-> REPLICA sync: payload received; stalling %v (DEBUG REPLICA-SYNC-DELAY)", d)
	}
	l.m.srv.Unlock()
	if d <= 0 {
		return nil
	}
	select {
	case <-time.After(d):
	case <-l.stopCh:
	}
	return nil // the next stage checks stopped under the lock
}

// beginDiskLoad is the point of no return of a disk-load sync (lock taken
// here): unless the link was replaced meanwhile, it discards the cached
// master, drops our sub-replicas and backlog, flushes the old data and
// says LOADING. It returns the load's options.
func (l *link) beginDiskLoad() (persist.LoadOptions, error) {
	m := l.m
	m.srv.Lock()
	defer m.srv.Unlock()
	if l.stopped {
		return persist.LoadOptions{}, errAbandoned
	}
	l.dropHistory()
	m.log.Noticef("MASTER <-> REPLICA sync: Flushing old data")
	for _, db := range m.ks.DBs {
		db.Flush()
	}
	m.eng.TouchAllWatched(-1)
	m.log.Noticef("MASTER <-> REPLICA sync: Loading DB in memory")
	m.srv.Loading = true
	l.loading = true
	return persist.LoadOptions{Limits: persist.Limits(m.cfg), Checksum: m.cfg.RDBChecksum}, nil
}

// endLoad clears the loading marks (and LOADING, for a disk load) when
// the load ended without finishFullSync: an error, an abandon, a panic.
func (l *link) endLoad(disk bool) {
	l.m.srv.Lock()
	defer l.m.srv.Unlock()
	if !l.loading {
		return
	}
	l.loading = false
	if disk {
		l.m.srv.Loading = false
	}
}

// loadPolitely runs a load on the lowered-priority thread (runPolitely)
// while a goroutine of normal priority writes a newline to the master once
// a second, as a loading Redis replica does: the master takes it as a sign
// of life, so a load longer than repl-timeout does not get the replica
// dropped. A panic on the loading thread is raised again here, in the
// link's goroutine, whose recover logs it.
func (l *link) loadPolitely(fn func()) {
	stop := l.keepAlive()
	defer stop()
	l.m.srv.Lock()
	boom := l.m.debugPanic
	l.m.debugPanic = false
	l.m.srv.Unlock()
	var lp *linkPanic
	runPolitely(func() {
		defer func() {
			if p := recover(); p != nil {
				lp = asLinkPanic(p)
			}
		}()
		if boom {
			panic("DEBUG REPLICA-LOAD-PANIC")
		}
		fn()
	})
	if lp != nil {
		panic(lp)
	}
}

// keepAlive writes "\n" to the master every second until stop is called or
// the link stops.
func (l *link) keepAlive() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	conn := l.conn
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-l.stopCh:
				return
			case <-t.C:
			}
			l.connMu.Lock()
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, err := conn.Write([]byte("\n"))
			l.connMu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// quitReader fails reads once the link is stopped (a disk load abandoned
// at shutdown).
type quitReader struct {
	l *link
	r io.Reader
}

func (q quitReader) Read(p []byte) (int, error) {
	if q.l.quit.Load() {
		return 0, errAbandoned
	}
	return q.r.Read(p)
}

// loadFromSocket parses the RDB straight from the connection into a
// private keyspace and swaps it in at the end (repl-diskless-load): readers
// keep the old data until the new one is complete, the way swapdb works.
// A REPLICAOF meanwhile makes the next read fail and the swap not happen.
func (l *link) loadFromSocket(br *bufio.Reader, h payloadHeader, replID string, off int64, timeout time.Duration) error {
	m := l.m
	l.logf("MASTER <-> REPLICA sync: Loading DB in memory")
	m.srv.Lock()
	opts := persist.LoadOptions{Limits: persist.Limits(m.cfg), Checksum: m.cfg.RDBChecksum}
	tmp := keyspace.New(len(m.ks.DBs))
	l.loading = true
	m.srv.Unlock()
	defer l.endLoad(false)
	var src *bufio.Reader = bufio.NewReaderSize(&deadlineReader{l: l, r: br, timeout: timeout}, 64<<10)
	if h.size >= 0 {
		src = bufio.NewReaderSize(io.LimitReader(&deadlineReader{l: l, r: br, timeout: timeout}, h.size), 64<<10)
	}
	start := time.Now()
	var res persist.LoadResult
	var err error
	l.loadPolitely(func() {
		res, err = persist.Load(src, tmp, nil, opts)
	})
	if l.quit.Load() {
		return errAbandoned
	}
	if err != nil {
		return fmt.Errorf("Failed trying to load the MASTER synchronization DB from socket: %v", err)
	}
	if h.mark != nil {
		got := make([]byte, len(h.mark))
		if _, err := io.ReadFull(src, got); err != nil || !bytes.Equal(got, h.mark) {
			return errors.New("Replication stream EOF marker is broken")
		}
	} else if _, err := io.Copy(io.Discard, src); err != nil {
		return err
	}
	if err := l.testDelay(); err != nil {
		return err
	}
	m.srv.Lock()
	defer m.srv.Unlock()
	if l.stopped {
		return errAbandoned
	}
	l.dropHistory()
	for i, db := range m.ks.DBs {
		db.Swap(tmp.DBs[i])
	}
	m.eng.TouchAllWatched(-1)
	m.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d.", res.Keys, res.Expired)
	m.log.Noticef("MASTER <-> REPLICA sync: Loaded the DB from the socket in %.3f seconds", time.Since(start).Seconds())
	l.finishFullSync(res, replID, off, h.mark != nil)
	return nil
}

// deadlineReader refreshes the read deadline on every read, so a stalled
// master is noticed after repl-timeout, counts the bytes, and fails once
// the link is stopped (an abandoned sync reads nothing more).
type deadlineReader struct {
	l       *link
	r       io.Reader
	timeout time.Duration
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.l.quit.Load() {
		return 0, errAbandoned
	}
	d.l.conn.SetReadDeadline(time.Now().Add(d.timeout))
	n, err := d.r.Read(p)
	d.l.conn.SetReadDeadline(time.Time{})
	if n > 0 {
		d.l.m.srv.Lock()
		d.l.lastIO = time.Now()
		d.l.syncRead += int64(n)
		d.l.m.stats.netIn += int64(n)
		d.l.m.srv.Unlock()
	}
	return n, err
}

// finishFullSync makes the link the master client after a load (lock held):
// the history and offset are the master's, a fresh backlog starts there.
// The load's time does not count against repl-timeout: the last
// interaction with the master is now.
func (l *link) finishFullSync(res persist.LoadResult, replID string, off int64, eofFormat bool) {
	m := l.m
	db := 0
	if v, ok := res.AuxInt("repl-stream-db"); ok && v >= 0 && int(v) < len(m.ks.DBs) {
		db = int(v)
	}
	l.sess = command.Session{ID: l.id, Flags: command.FlagMaster, Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}, User: "default", DB: db}
	if replID != "" {
		m.id.ID = replID
	}
	m.id.ClearSecond()
	m.id.Offset = off
	l.reploff, l.readOff = off, off
	m.createBacklog()
	l.state = linkConnected
	l.downSince = time.Time{}
	l.lastIO = time.Now()
	l.loading = false
	m.ks.Dirty = 0
	for _, fn := range m.AfterFullSync {
		fn()
	}
	m.log.Noticef("MASTER <-> REPLICA sync: Finished with success")
	if eofFormat {
		l.ackNow()
	}
}

type serverLocker struct{ m *Manager }

func (s serverLocker) Lock()   { s.m.srv.Lock() }
func (s serverLocker) Unlock() { s.m.srv.Unlock() }

// dropHistory forgets what this server knew of replication before a full
// sync replaces its data (server lock held): the cached master, its own
// replicas (they must resync from the new data), the backlog, and a
// snapshot walk of the data about to go.
func (l *link) dropHistory() {
	m := l.m
	m.log.Noticef("Discarding previously cached master state.")
	l.cached = nil
	m.disconnectReplicas()
	m.freeBacklog()
	if s := m.ks.Running(); s != nil {
		s.Abort()
	}
}
