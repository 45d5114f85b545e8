package repl

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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/server"
)

// Replica states as INFO shows them.
const (
	stateWaitBgsave = "wait_bgsave"
	stateSendBulk   = "send_bulk"
	stateOnline     = "online"
)

// replica is one replica attached to us (master side).
type replica struct {
	m          *Manager
	sess       *command.Session
	conn       net.Conn
	ip         string
	listenPort int
	announceIP string
	capaEOF    bool
	capaPsync2 bool
	rdbOnly    bool
	diskless   bool // its full sync streams to the socket
	preSync    bool // old SYNC: no +FULLRESYNC line, no ACKs
	// delayLogged: "BGSAVE for replication delayed" was logged for it
	// (once, as Redis does, not at every retry of the periodic cycle).
	delayLogged bool
	state       string
	waitSince   time.Time
	ackOff      int64
	ackTime     time.Time
	cursor      *Cursor
	out         *outStream // its writer once streaming
	// streamOnAck: after a diskless transfer, the stream starts only when
	// the first REPLCONF ACK arrives (the EOF mark must end a read alone).
	streamOnAck bool
	startOff    int64      // first stream byte the replica needs after its RDB
	share       *snapShare // the snapshot it waits for (nil: none yet)
	closed      bool
	softSince   time.Time
	once        sync.Once
}

// name is how logs name a replica: ip:listening-port.
func (r *replica) name() string {
	if r.listenPort == 0 {
		return r.ip + ":<unknown-replica-port>"
	}
	return net.JoinHostPort(r.addrIP(), strconv.Itoa(r.listenPort))
}

func (r *replica) addrIP() string {
	if r.announceIP != "" {
		return r.announceIP
	}
	return r.ip
}

// close drops the replica's connection and cursor (lock held).
func (r *replica) close() {
	r.once.Do(func() {
		r.closed = true
		if r.cursor != nil {
			r.cursor.Close()
		}
		if r.conn != nil {
			r.conn.Close()
		}
		if r.out != nil {
			r.out.stop()
			r.m.setStreams()
		}
	})
}

func (m *Manager) replicaFor(sess *command.Session) *replica {
	if r, ok := m.replicas[sess]; ok {
		return r
	}
	if r, ok := m.pre[sess]; ok {
		return r
	}
	r := &replica{m: m, sess: sess}
	host, _, err := net.SplitHostPort(m.srv.RemoteAddr(sess))
	if err == nil {
		r.ip = host
	}
	m.pre[sess] = r
	return r
}

// replconfCmd handles REPLCONF options from replicas (and ACK/GETACK).
func (m *Manager) replconfCmd(c *command.Ctx) {
	if len(c.Args)%2 == 0 {
		c.Error(command.ErrSyntax)
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		opt := strings.ToLower(string(c.Args[i]))
		val := string(c.Args[i+1])
		switch opt {
		case "listening-port":
			p, ok := resp.ParseInt(c.Args[i+1])
			if !ok {
				c.Error(command.ErrNotInt)
				return
			}
			m.replicaFor(c.S).listenPort = int(p)
		case "ip-address":
			if len(val) >= 46 {
				c.Error(fmt.Sprintf("ERR REPLCONF ip-address provided by replica instance is too long: %d bytes", len(val)))
				return
			}
			m.replicaFor(c.S).announceIP = val
		case "capa":
			r := m.replicaFor(c.S)
			switch strings.ToLower(val) {
			case "eof":
				r.capaEOF = true
			case "psync2":
				r.capaPsync2 = true
			}
		case "ack":
			// Never a reply, and only meaningful from a replica.
			if r, ok := m.replicas[c.S]; ok {
				if off, err := strconv.ParseInt(val, 10, 64); err == nil {
					if off > r.ackOff {
						r.ackOff = off
					}
					r.ackTime = time.Now()
					if r.streamOnAck {
						r.streamOnAck = false
						m.startStreaming(r)
					}
					m.serveWaiters()
				}
			}
			return
		case "getack":
			if c.S.Flags&command.FlagMaster != 0 && m.link != nil {
				m.link.ackNow()
			}
			return
		case "rdb-only":
			m.replicaFor(c.S).rdbOnly = val == "1"
		case "rdb-filter-only":
			if val != "" && !strings.EqualFold(val, "functions") {
				c.Error("ERR Unsupported rdb-filter-only option: " + val)
				return
			}
			if val != "" {
				c.Error("ERR rdb-filter-only functions is not supported by Tandem yet")
				return
			}
		default:
			c.Error("ERR Unrecognized REPLCONF option: " + string(c.Args[i]))
			return
		}
	}
	c.W.OK()
}

// replicaNewline is the server's ReplicaNewline hook (lock held): an
// empty line from a replica is a sign of life, sent once a second while it
// loads our RDB; it refreshes the time its timeout counts from.
func (m *Manager) replicaNewline(sess *command.Session) {
	if r, ok := m.replicas[sess]; ok {
		r.ackTime = time.Now()
	}
}

// syncCmd handles SYNC and PSYNC: a partial resync from the backlog when
// the history matches, otherwise a full sync from a fresh snapshot.
func (m *Manager) syncCmd(c *command.Ctx) {
	s := c.S
	if s.Flags&command.FlagReplica != 0 {
		return // already a replica: ignored, as Redis does
	}
	isPSYNC := strings.EqualFold(string(c.Args[0]), "psync")
	if isPSYNC && len(c.Args) > 3 && strings.EqualFold(string(c.Args[3]), "failover") {
		c.Error("ERR PSYNC FAILOVER is not supported by Tandem yet")
		return
	}
	if m.link != nil && m.link.state != linkConnected {
		c.Error("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	r := m.replicaFor(s)
	m.log.Noticef("Replica %s asks for synchronization", r.name())
	if isPSYNC {
		if len(c.Args) != 3 {
			c.Error(command.ErrArity("psync"))
			return
		}
		off, ok := resp.ParseInt(c.Args[2])
		if !ok {
			m.log.Noticef("Replica %s asks for synchronization but with a wrong offset", r.name())
			c.Error(command.ErrNotInt)
			return
		}
		if m.tryPartial(c, r, string(c.Args[1]), off) {
			m.stats.partialOK++
			return
		}
		if string(c.Args[1]) != "?" {
			m.stats.partialErr++
		}
	} else {
		r.preSync = true
	}
	m.stats.full++
	m.attach(c, r)
	r.state = stateWaitBgsave
	r.waitSince = time.Now()
	if m.backlog == nil {
		m.id = Identity{ID: NewID(), ID2: ZeroID, SecondOffset: -1, Offset: m.id.Offset}
		m.createBacklog()
		m.log.Noticef("Replication backlog created, my new replication IDs are '%s' and '%s'", m.id.ID, m.id.ID2)
	}
	if sh := m.attachable(); sh != nil {
		m.log.Noticef("Waiting for end of BGSAVE for SYNC")
		m.attachShared(sh, r)
		return
	}
	if m.fullRunning {
		if m.syncShare != nil && m.syncShare.diskless {
			m.log.Noticef("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
		} else {
			m.log.Noticef("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC")
		}
		return
	}
	if m.cfg.ReplDisklessSync && r.capaEOF && m.cfg.ReplDisklessSyncDelay > 0 {
		m.log.Noticef("Delay next BGSAVE for diskless SYNC")
		return
	}
	m.startFullSync()
}

// attach turns a client into a replica: its socket now carries what we
// send (srv lock held).
func (m *Manager) attach(c *command.Ctx, r *replica) {
	delete(m.pre, c.S)
	c.S.Flags |= command.FlagReplica
	r.conn = m.srv.Detach(c.S)
	r.ackTime = time.Now()
	m.replicas[c.S] = r
}

// tryPartial answers +CONTINUE and streams the missing bytes when the
// PSYNC decision allows it.
func (m *Manager) tryPartial(c *command.Ctx, r *replica, replID string, off int64) bool {
	var bl BacklogRange
	if m.backlog != nil {
		bl = m.backlog.Range()
	}
	err := DecidePSYNC(m.id, bl, replID, off)
	switch {
	case err == nil:
	case errors.Is(err, ErrFullResyncRequested):
		m.log.Noticef("Full resync requested by replica %s", r.name())
		return false
	case errors.Is(err, ErrReplIDMismatch):
		m.log.Noticef("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')", replID, m.id.ID, m.id.ID2)
		return false
	case errors.Is(err, ErrSecondIDOffset):
		m.log.Noticef("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d", off, m.id.SecondOffset)
		return false
	default:
		m.log.Noticef("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).", r.name(), off)
		if off > m.id.Offset {
			m.log.Warningf("Warning: replica %s tried to PSYNC with an offset that is greater than the master replication offset.", r.name())
		}
		return false
	}
	m.attach(c, r)
	r.state = stateOnline
	line := "+CONTINUE\r\n"
	if r.capaPsync2 {
		line = "+CONTINUE " + m.id.ID + "\r\n"
	}
	r.cursor = m.backlog.NewCursor(off)
	m.log.Noticef("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", r.name(), m.id.Offset+1-off, off)
	m.refreshGoodReplicas()
	m.startStream(r, []byte(line))
	return true
}

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

// bgsaveInstant is persist's ShareBgsave hook: it runs at the instant of
// a user or save-point BGSAVE (lock held). With a backlog, the save's
// file can serve full syncs: its instant offset and replication ID are
// recorded (the AUX fields the file carries say the same; the replica
// goes by +FULLRESYNC anyway), a cursor holds the backlog from offset+1,
// and replicas waiting for a snapshot, or asking for one before the file
// is complete, share it instead of waiting for the next BGSAVE (where
// Redis would make them wait). Without a backlog nothing changes.
func (m *Manager) bgsaveInstant() func(f *os.File, size int64, err error) {
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
	if _, err := m.pm.StreamTo(bw, m.atInstant(s)); err != nil {
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

// putOnline marks a replica synchronized (lock held). After a diskless
// transfer its stream waits for the first ACK.
func (m *Manager) putOnline(r *replica, waitAck bool) {
	r.state = stateOnline
	r.ackTime = time.Now()
	m.log.Noticef("Synchronization with replica %s succeeded", r.name())
	if r.rdbOnly {
		r.close()
		return
	}
	m.refreshGoodReplicas()
	if waitAck && !r.preSync {
		r.streamOnAck = true
		return
	}
	m.startStreaming(r)
}

func (m *Manager) startStreaming(r *replica) { m.startStream(r, nil) }

// startStream gives an online replica its writer (lock held); first is
// written before the stream.
func (m *Manager) startStream(r *replica, first []byte) {
	r.out = newOutStream(r.cursor, r.conn, m.replTimeoutLocked(), &m.stats.netOut)
	m.setStreams()
	r.out.start(first)
}

func (m *Manager) replTimeout() time.Duration {
	m.srv.Lock()
	defer m.srv.Unlock()
	return m.replTimeoutLocked()
}

func (m *Manager) replTimeoutLocked() time.Duration {
	t := time.Duration(m.cfg.ReplTimeout) * time.Second
	if t <= 0 {
		t = 60 * time.Second
	}
	return t
}

// disconnected forgets a replica whose connection closed (lock held).
func (m *Manager) disconnected(sess *command.Session) {
	delete(m.pre, sess)
	r, ok := m.replicas[sess]
	if !ok {
		return
	}
	delete(m.replicas, sess)
	r.close()
	if !r.rdbOnly {
		m.log.Warningf("Connection with replica %s lost.", r.name())
	}
	if len(m.replicas) == 0 {
		m.noReplicasSince = time.Now()
	}
	m.refreshGoodReplicas()
}

// checkOutputLimits drops replicas whose unsent share of the buffer is over
// client-output-buffer-limit replica (lock held). The hard limit is at least
// the backlog size, as in Redis.
func (m *Manager) checkOutputLimits() {
	lim := m.cfg.ClientOutputBufferLimit[1]
	hard := int64(lim.Hard)
	if hard > 0 && hard < m.cfg.ReplBacklogSize {
		hard = m.cfg.ReplBacklogSize
	}
	// A shared snapshot holds the stream since its instant for replicas
	// that may still join; a late comer would start that far behind, over
	// the limit, so past it the snapshot stops taking newcomers and lets
	// the backlog go (those already sharing it keep their own cursors).
	for _, sh := range []*snapShare{m.syncShare, m.bgShare} {
		if sh != nil && sh.hold != nil && hard > 0 && sh.hold.Pending() >= hard {
			m.log.Noticef("The stream since the running BGSAVE started is over the replica output buffer limit: no more replicas can attach to it")
			sh.closeJoining()
		}
	}
	for _, r := range m.replicas {
		if r.cursor == nil || r.closed {
			continue
		}
		p := r.cursor.Pending()
		over := false
		switch {
		case hard > 0 && p >= hard:
			over = true
		case lim.Soft > 0 && p >= int64(lim.Soft):
			if r.softSince.IsZero() {
				r.softSince = time.Now()
			} else if time.Since(r.softSince) > time.Duration(lim.SoftSeconds)*time.Second {
				over = true
			}
		default:
			r.softSince = time.Time{}
		}
		if over {
			m.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits (replica %s, %d bytes pending; limit %s %d %d %d).",
				m.srv.ClientInfo(r.sess), r.name(), p, "replica", lim.Hard, lim.Soft, lim.SoftSeconds)
			m.srv.Kill(r.sess, server.CloseOutputLimitReplica)
			r.close()
		}
	}
}

// refreshGoodReplicas counts online replicas that acked within
// min-replicas-max-lag (lock held).
func (m *Manager) refreshGoodReplicas() {
	n := 0
	lag := time.Duration(m.cfg.MinReplicasMaxLag) * time.Second
	for _, r := range m.replicas {
		if r.state == stateOnline && !r.closed && time.Since(r.ackTime) <= lag {
			n++
		}
	}
	m.goodReplicas = n
}
