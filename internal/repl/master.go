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
	state      string
	waitSince  time.Time
	ackOff     int64
	ackTime    time.Time
	cursor     *Cursor
	// streamOnAck: after a diskless transfer, the stream starts only when
	// the first REPLCONF ACK arrives (the EOF mark must end a read alone).
	streamOnAck bool
	startOff    int64 // first stream byte the replica needs after its RDB
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
	if m.fullRunning {
		m.log.Noticef("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
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
	go r.send([]byte(line), nil)
	return true
}

// startFullSync snapshots the dataset for every replica waiting for one
// (lock held). All of them share the snapshot: diskless, the bytes are fanned
// out to every socket as produced; on disk, the file is written once and
// sent to each.
func (m *Manager) startFullSync() {
	var group []*replica
	diskless := m.cfg.ReplDisklessSync
	for _, r := range m.replicas {
		if r.state == stateWaitBgsave && r.cursor == nil && !r.closed {
			group = append(group, r)
			if !r.capaEOF {
				diskless = false
			}
		}
	}
	if len(group) == 0 || m.fullRunning {
		return
	}
	if m.ks.Running() != nil {
		m.log.Noticef("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed")
		return
	}
	m.fullRunning = true
	target := "disk"
	if diskless {
		target = "replicas sockets"
	}
	for _, r := range group {
		r.diskless = diskless
	}
	m.log.Noticef("Starting BGSAVE for SYNC with target: %s", target)
	go m.runFullSync(group, diskless)
}

// atInstant runs at the snapshot instant (lock held): the stream from here
// on is what the replicas will apply after the RDB, so their cursors start
// at the next byte, and the first command after gets a SELECT.
func (m *Manager) atInstant(group []*replica) func() {
	return func() {
		off := m.id.Offset
		for _, r := range group {
			if r.closed {
				continue
			}
			r.startOff = off + 1
			r.cursor = m.backlog.NewCursor(off + 1)
		}
		m.selDB = -1
		m.fullOffset = off
		m.fullReplID = m.id.ID
	}
}

func (m *Manager) runFullSync(group []*replica, diskless bool) {
	var err error
	if diskless {
		err = m.fullSyncDiskless(group)
	} else {
		err = m.fullSyncDisk(group)
	}
	m.srv.Lock()
	defer m.srv.Unlock()
	m.fullRunning = false
	if err != nil {
		m.log.Warningf("SYNC failed: %v", err)
		for _, r := range group {
			if r.state != stateOnline {
				r.close()
			}
		}
	}
	// Replicas that arrived meanwhile get the next snapshot.
	m.startFullSync()
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

func (m *Manager) addOut(n int) {
	m.srv.Lock()
	m.stats.netOut += int64(n)
	m.srv.Unlock()
}

func (m *Manager) fullSyncDiskless(group []*replica) error {
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
	if _, err := m.pm.StreamTo(bw, m.atInstant(group)); err != nil {
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

func (m *Manager) fullSyncDisk(group []*replica) error {
	dir := m.cfg.Dir
	tmp := filepath.Join(dir, fmt.Sprintf("temp-sync-%d-%d.rdb", os.Getpid(), time.Now().UnixNano()))
	file, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	defer file.Close()
	inst := m.atInstant(group)
	bw := bufio.NewWriterSize(file, 1<<16)
	m.srv.Lock()
	m.log.Noticef("Background saving started")
	m.srv.Unlock()
	_, err = m.pm.StreamTo(bw, func() {
		inst()
		// +FULLRESYNC goes out at the instant; the replica then waits
		// (with newlines from cron) while the file is written.
		for _, r := range group {
			if !r.closed && !r.preSync {
				line := fmt.Sprintf("+FULLRESYNC %s %d\r\n", m.fullReplID, m.fullOffset)
				r.conn.SetWriteDeadline(time.Now().Add(time.Second))
				r.conn.Write([]byte(line))
			}
		}
	})
	if err != nil {
		return err
	}
	size, err := file.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	m.srv.Lock()
	m.log.Noticef("Background saving terminated with success")
	for _, r := range group {
		if !r.closed {
			r.state = stateSendBulk
		}
	}
	m.srv.Unlock()
	for _, r := range group {
		if r.closed {
			continue
		}
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return err
		}
		r.conn.SetWriteDeadline(time.Now().Add(m.replTimeout()))
		w := bufio.NewWriterSize(r.conn, 64<<10)
		fmt.Fprintf(w, "$%d\r\n", size)
		_, err := io.Copy(w, file)
		if err == nil {
			err = w.Flush()
		}
		m.srv.Lock()
		if err != nil {
			m.log.Warningf("Error sending the RDB to replica %s: %v", r.name(), err)
			r.close()
		} else {
			m.stats.netOut += size
			m.putOnline(r, false)
		}
		m.srv.Unlock()
	}
	return nil
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

func (m *Manager) startStreaming(r *replica) {
	go r.send(nil, nil)
}

// send writes a first line (if any) then the stream from the replica's
// cursor until the cursor or the connection closes. It runs without the
// server lock: the cursor has its own.
func (r *replica) send(first []byte, _ []byte) {
	m := r.m
	timeout := m.replTimeout()
	if len(first) > 0 {
		r.conn.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := r.conn.Write(first); err != nil {
			r.conn.Close()
			return
		}
	}
	buf := make([]byte, 0, 64<<10)
	for {
		buf = r.cursor.Next(buf, 64<<10)
		if buf == nil {
			return
		}
		if len(buf) == 0 {
			continue
		}
		r.conn.SetWriteDeadline(time.Now().Add(timeout))
		n, err := r.conn.Write(buf)
		m.srv.Lock()
		m.stats.netOut += int64(n)
		m.srv.Unlock()
		if err != nil {
			r.conn.Close()
			return
		}
	}
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
			m.srv.Kill(r.sess)
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

var _ = persist.Aux{}
