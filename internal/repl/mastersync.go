package repl

// The master side's full syncs: the snapshot replicas share (a full
// sync's, or a user BGSAVE's), its instant, and the transfer of the RDB,
// straight to the replicas' sockets (diskless) or from a file. The
// decision to start one is planFullStart's (psync.go); the replicas
// themselves, REPLCONF and SYNC are in master.go.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tandemdb/tandem/internal/persist"
)

// snapShare is one snapshot that replicas needing a full sync share: a
// full sync's (each replica of the group gets it; with a disk target, late
// comers can join until the file is complete, as Redis lets a replica
// attach to a BGSAVE another replica waits for), or a user or save-point
// BGSAVE that found a backlog at its instant. Everyone who shares it gets
// the same +FULLRESYNC <replID> <offset> and a cursor at offset+1, then the
// same RDB. Guarded by the server lock.
type snapShare struct {
	bgsave   bool // a BGSAVE's dump.rdb rather than a full sync's file
	diskless bool // a socket transfer: nobody can join once it started
	started  bool // past the instant: offset, replID, backlog are set
	done     bool // the file is complete (or failed, or too far behind): no more joining
	offset   int64
	replID   string
	backlog  *Backlog
	// hold keeps the backlog's bytes from offset+1 for as long as replicas
	// may still join, even if every replica sharing it so far drops.
	hold     *Cursor
	replicas []*replica // whoever joined (filter on r.share == s, !r.closed)
}

// joinable reports whether a replica needing a full sync can share s now
// (lock held): a disk snapshot whose file is not complete, on the history
// and backlog of its instant.
func (m *Manager) joinable(s *snapShare) bool {
	if s == nil || s.diskless || s.done {
		return false
	}
	if !s.started {
		return true // it will get the cursor with the group at the instant
	}
	return m.backlog != nil && s.backlog == m.backlog && s.replID == m.id.ID
}

// attachable is the running snapshot a newcomer can share, if any: a
// BGSAVE's first (a snapshot that is running for sure), then a full sync's.
func (m *Manager) attachable() *snapShare {
	if m.joinable(m.bgShare) {
		return m.bgShare
	}
	if m.joinable(m.syncShare) {
		return m.syncShare
	}
	return nil
}

// attachShared makes r share s (lock held). Past the instant it gets its
// cursor and +FULLRESYNC at once, otherwise with the group at the instant.
func (m *Manager) attachShared(s *snapShare, r *replica) {
	r.share = s
	r.diskless = false
	s.replicas = append(s.replicas, r)
	if s.started {
		m.startAt(s, r)
	}
}

// startAt positions r at the snapshot's instant (lock held): its stream
// starts at offset+1, and it is told so by +FULLRESYNC (written directly:
// the replica now waits for the payload, with newlines from cron).
func (m *Manager) startAt(s *snapShare, r *replica) {
	if r.closed {
		return
	}
	r.startOff = s.offset + 1
	r.cursor = s.backlog.NewCursor(s.offset + 1)
	if !r.preSync && !s.diskless {
		line := fmt.Sprintf("+FULLRESYNC %s %d\r\n", s.replID, s.offset)
		r.conn.SetWriteDeadline(time.Now().Add(time.Second))
		r.conn.Write([]byte(line))
	}
}

// sharing lists the replicas still waiting for s's file (lock held).
func (s *snapShare) sharing() []*replica {
	var out []*replica
	for _, r := range s.replicas {
		if r.share == s && !r.closed && r.state == stateWaitBgsave {
			out = append(out, r)
		}
	}
	return out
}

// closeJoining closes s to newcomers and releases its hold on the backlog
// (lock held): the replicas sharing it keep their own cursors.
func (s *snapShare) closeJoining() {
	s.done = true
	if s.hold != nil {
		s.hold.Close()
		s.hold = nil
	}
}

// end is closeJoining once the file is complete (or failed); it returns
// the replicas waiting for it (lock held).
func (s *snapShare) end() []*replica {
	s.closeJoining()
	return s.sharing()
}

// startFullSync snapshots the dataset for every replica waiting for one
// (lock held). All of them share the snapshot: diskless, the bytes are fanned
// out to every socket as produced; on disk, the file is written once and
// sent to each, and replicas arriving before it is complete join in.
func (m *Manager) startFullSync() {
	var group []*replica
	diskless := m.cfg.ReplDisklessSync
	for _, r := range m.sortedReplicas() {
		if r.state == stateWaitBgsave && r.cursor == nil && r.share == nil && !r.closed {
			group = append(group, r)
			if !r.capaEOF {
				diskless = false
			}
		}
	}
	if len(group) == 0 || m.fullRunning {
		return
	}
	// A BGSAVE is busy until its file is written, not only while its walk
	// runs (the walk may finish well before the writing, as a fork's
	// child is busy until it exits).
	if m.ks.Running() != nil || m.pm.BgsaveRunning() {
		// A BGSAVE that can serve them (it had a backlog at its instant).
		if m.joinable(m.bgShare) {
			for _, r := range group {
				m.log.Noticef("Waiting for end of BGSAVE for SYNC")
				m.attachShared(m.bgShare, r)
			}
			return
		}
		logIt := false
		for _, r := range group {
			if !r.delayLogged {
				r.delayLogged, logIt = true, true
			}
		}
		if logIt {
			m.log.Noticef("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed")
		}
		return
	}
	m.fullRunning = true
	target := "disk"
	if diskless {
		target = "replicas sockets"
	}
	s := &snapShare{diskless: diskless, replicas: group}
	for _, r := range group {
		r.diskless = diskless
		r.share = s
	}
	m.syncShare = s
	m.log.Noticef("Starting BGSAVE for SYNC with target: %s", target)
	go m.runFullSync(s)
}

// atInstant runs at the snapshot instant (lock held): the stream from here
// on is what the replicas will apply after the RDB, so their cursors start
// at the next byte, and the first command after gets a SELECT.
func (m *Manager) atInstant(s *snapShare) func() {
	return func() {
		off := m.id.Offset
		m.selDB = -1
		m.fullOffset = off
		m.fullReplID = m.id.ID
		if m.backlog == nil {
			// The history went away between the PSYNC and the instant
			// (only possible while our own master replaced our data,
			// which disconnected every replica): nobody to serve.
			s.done = true
			for _, r := range s.replicas {
				r.close()
			}
			return
		}
		s.started = true
		s.offset, s.replID, s.backlog = off, m.id.ID, m.backlog
		if !s.diskless {
			s.hold = m.backlog.NewCursor(off + 1)
		}
		for _, r := range s.replicas {
			if r.share == s {
				m.startAt(s, r)
			}
		}
	}
}

func (m *Manager) runFullSync(s *snapShare) {
	var err error
	if s.diskless {
		err = m.fullSyncDiskless(s)
	} else {
		err = m.fullSyncDisk(s)
	}
	m.srv.Lock()
	defer m.srv.Unlock()
	m.fullRunning = false
	if m.syncShare == s {
		m.syncShare = nil
	}
	list := s.end()
	switch {
	case err == nil:
	case errors.Is(err, persist.ErrSnapshotRunning) && !s.started:
		// Another snapshot (a BGSAVE) took the instant first: nothing was
		// sent, so they wait for the next one, or share that BGSAVE
		// (startFullSync below).
		for _, r := range list {
			r.share = nil
		}
	default:
		m.log.Warningf("SYNC failed: %v", err)
		for _, r := range s.replicas {
			if r.share == s && r.state != stateOnline {
				r.close()
			}
		}
	}
	// Replicas that arrived meanwhile get the next snapshot.
	m.startFullSync()
}

// BgsaveInstant implements persist.Replication: it runs at the instant of
// a user or save-point BGSAVE (lock held). With a backlog, the save's
// file can serve full syncs: its instant offset and replication ID are
// recorded (the AUX fields the file carries say the same; the replica
// goes by +FULLRESYNC anyway), a cursor holds the backlog from offset+1,
// and replicas waiting for a snapshot, or asking for one before the file
// is complete, share it instead of waiting for the next BGSAVE (where
// Redis would make them wait). Without a backlog nothing changes.
func (m *Manager) BgsaveInstant() func(f *os.File, size int64, err error) {
	if m.backlog == nil {
		return nil
	}
	off := m.id.Offset
	s := &snapShare{bgsave: true, started: true, offset: off, replID: m.id.ID, backlog: m.backlog}
	s.hold = m.backlog.NewCursor(off + 1)
	m.bgShare = s
	for _, r := range m.sortedReplicas() {
		if r.state == stateWaitBgsave && r.cursor == nil && r.share == nil && !r.closed {
			m.log.Noticef("Waiting for end of BGSAVE for SYNC")
			m.attachShared(s, r)
		}
	}
	return func(f *os.File, size int64, err error) { m.bgsaveEnd(s, f, size, err) }
}

// bgsaveEnd runs when a shared BGSAVE finished (lock held): its file goes
// to every replica that shares it, or they are closed (and retry) when it
// failed.
func (m *Manager) bgsaveEnd(s *snapShare, f *os.File, size int64, err error) {
	if m.bgShare == s {
		m.bgShare = nil
	}
	list := s.end()
	if err == nil && s.backlog != m.backlog {
		err = errors.New("the replication backlog was replaced during the BGSAVE")
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		if len(list) > 0 {
			m.log.Warningf("SYNC failed. BGSAVE child returned an error")
			for _, r := range list {
				r.close()
			}
		}
		return
	}
	if len(list) == 0 {
		f.Close()
		return
	}
	m.deliver(list, f, size, nil)
}

// fanout writes the snapshot to every replica of the group; a replica that
// fails is dropped and the others go on. It fails only when none is left.
type fanout struct {
	m       *Manager
	group   []*replica
	prefix  func(r *replica) []byte
	started bool
	timeout time.Duration
}

func (f *fanout) Write(p []byte) (int, error) {
	alive := 0
	for _, r := range f.group {
		if r.closed {
			continue
		}
		buf := p
		if !f.started && f.prefix != nil {
			buf = append(f.prefix(r), p...)
		}
		r.conn.SetWriteDeadline(time.Now().Add(f.timeout))
		if _, err := r.conn.Write(buf); err != nil {
			f.m.srv.Lock()
			f.m.log.Warningf("Diskless rdb transfer to replica %s failed: %v", r.name(), err)
			r.close()
			f.m.srv.Unlock()
			continue
		}
		f.m.addOut(len(buf))
		alive++
	}
	f.started = true
	if alive == 0 {
		return 0, errors.New("Diskless rdb transfer, last replica dropped, killing fork child.")
	}
	return len(p), nil
}

func (m *Manager) addOut(n int) { m.stats.netOut.Add(int64(n)) }

func (m *Manager) fullSyncDiskless(s *snapShare) error {
	group := s.replicas // nobody joins a socket transfer: fixed
	markBytes := make([]byte, 20)
	rand.Read(markBytes)
	mark := hex.EncodeToString(markBytes)
	f := &fanout{m: m, group: group, timeout: m.replTimeout()}
	f.prefix = func(r *replica) []byte {
		var b []byte
		if !r.preSync {
			b = fmt.Appendf(b, "+FULLRESYNC %s %d\r\n", m.fullReplID, m.fullOffset)
		}
		return fmt.Appendf(b, "$EOF:%s\r\n", mark)
	}
	m.srv.Lock()
	m.log.Noticef("Background RDB transfer started")
	m.srv.Unlock()
	bw := bufio.NewWriterSize(f, 64<<10)
	at := m.atInstant(s)
	instant := func() {
		at()
		// +FULLRESYNC and the $EOF header go out at the instant (lock
		// held), as Redis answers PSYNC when it forks: the payload's first
		// bytes may be long in coming (a big dataset, rdb-key-save-delay)
		// and a replica gives up on a handshake left without an answer.
		for _, r := range group {
			if r.closed {
				continue
			}
			b := f.prefix(r)
			r.conn.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := r.conn.Write(b); err != nil {
				m.log.Warningf("Diskless rdb transfer to replica %s failed: %v", r.name(), err)
				r.close()
				continue
			}
			m.addOut(len(b))
		}
		f.started = true
	}
	if _, err := m.pm.StreamTo(bw, instant); err != nil {
		return err
	}
	if _, err := f.Write([]byte(mark)); err != nil {
		return err
	}
	m.srv.Lock()
	defer m.srv.Unlock()
	m.log.Noticef("Background RDB transfer terminated with success")
	for _, r := range group {
		if r.closed {
			continue
		}
		m.log.Noticef("Streamed RDB transfer with replica %s succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming", r.name())
		m.putOnline(r, true)
	}
	return nil
}

func (m *Manager) fullSyncDisk(s *snapShare) error {
	dir := m.cfg.Dir
	tmp := filepath.Join(dir, fmt.Sprintf("temp-sync-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	file, err := os.Create(tmp)
	if err != nil {
		return err
	}
	// The name is not needed past the save: the open file is what gets sent.
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(file, 1<<16)
	m.srv.Lock()
	m.log.Noticef("Background saving started")
	m.srv.Unlock()
	_, err = m.pm.StreamTo(bw, m.atInstant(s))
	var size int64
	if err == nil {
		size, err = file.Seek(0, io.SeekEnd)
	}
	if err != nil {
		file.Close()
		return err
	}
	m.srv.Lock()
	defer m.srv.Unlock()
	m.log.Noticef("Background saving terminated with success")
	list := s.end()
	if len(list) == 0 {
		file.Close()
		return nil
	}
	m.deliver(list, file, size, nil)
	return nil
}

// deliver sends a complete RDB file to the replicas that waited for it
// (lock held): each gets $<size> and the bytes from its own goroutine, so
// a slow one delays nobody, then goes online and starts streaming from its
// cursor. f is closed (and then cleanup run) after the last transfer.
func (m *Manager) deliver(list []*replica, f *os.File, size int64, cleanup func()) {
	timeout := m.replTimeoutLocked()
	for _, r := range list {
		r.state = stateSendBulk
	}
	var wg sync.WaitGroup
	for _, r := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.sendFile(r, f, size, timeout)
		}()
	}
	go func() {
		wg.Wait()
		f.Close()
		if cleanup != nil {
			cleanup()
		}
	}()
}

// sendFile writes one replica's copy of an RDB file (no lock held: the
// state is send_bulk, so nothing else writes to the connection).
func (m *Manager) sendFile(r *replica, f *os.File, size int64, timeout time.Duration) {
	w := bufio.NewWriterSize(&deadlineWriter{conn: r.conn, timeout: timeout}, 64<<10)
	fmt.Fprintf(w, "$%d\r\n", size)
	_, err := io.Copy(w, io.NewSectionReader(f, 0, size))
	if err == nil {
		err = w.Flush()
	}
	m.srv.Lock()
	defer m.srv.Unlock()
	if err != nil {
		if !r.closed {
			m.log.Warningf("Error sending the RDB to replica %s: %v", r.name(), err)
		}
		r.close()
		return
	}
	m.stats.netOut.Add(size)
	if r.closed {
		return
	}
	m.putOnline(r, false)
}

// deadlineWriter gives every write to a connection its own deadline, so a
// long transfer is cut only when the replica stops reading for a timeout.
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.conn.Write(p)
}
