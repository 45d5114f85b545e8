package repl

// The master side: the replicas attached to us, REPLCONF, SYNC and PSYNC
// (whose decision is planSync's, in psync.go), going online, output limits
// and the good-replica count. Full syncs are in mastersync.go.

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandemdb/tandem/internal/command"
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
					m.updateFailover(time.Now())
				}
			}
			return
		case "getack":
			if c.S.Flags&command.FlagMaster != 0 && m.link != nil {
				m.getAck()
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

// ReplicaNewline implements server.Replication (lock held): an
// empty line from a replica is a sign of life, sent once a second while it
// loads our RDB; it refreshes the time its timeout counts from.
func (m *Manager) ReplicaNewline(sess *command.Session) {
	if r, ok := m.replicas[sess]; ok {
		r.ackTime = time.Now()
	}
}

// syncCmd handles SYNC and PSYNC: a partial resync from the backlog when
// the history matches, otherwise a full sync from a fresh snapshot. What
// to do is planSync's and planFullStart's decision; this does it.
func (m *Manager) syncCmd(c *command.Ctx) {
	s := c.S
	args := c.Args
	if s.Flags&command.FlagReplica == 0 {
		if fp := planFailoverPSYNC(args, m.link != nil, m.id.ID); fp.applies {
			m.log.Warningf("Failover request received for replid %s.", quoteLine(string(args[1])))
			if fp.reply != "" {
				c.Error(fp.reply)
				return
			}
			m.unsetMaster("failover request from '" + m.srv.ClientInfo(s) + "'")
			args = args[:3] // an ordinary PSYNC from here on
		}
	}
	req := syncRequest{args: args, isReplica: s.Flags&command.FlagReplica != 0, failingOver: m.fo.state != noFailover,
		linkDown: m.link != nil && !m.machine.connected(), id: m.id}
	if m.backlog != nil {
		req.backlog = m.backlog.Range()
	}
	var r *replica
	req.name = func() string {
		r = m.replicaFor(s)
		return r.name()
	}
	p := planSync(req)
	for _, l := range p.logs {
		m.log.Noticef("%s", l)
	}
	for _, l := range p.warnings {
		m.log.Warningf("%s", l)
	}
	switch {
	case p.ignore:
		return
	case p.reply != "":
		c.Error(p.reply)
		return
	case p.partial:
		m.stats.partialOK++
		m.servePartial(c, r, p.from, p.rewound)
		return
	}
	if p.partialErr {
		m.stats.partialErr++
	}
	r.preSync = p.preSync
	m.stats.full++
	m.attach(c, r)
	r.state = stateWaitBgsave
	r.waitSince = time.Now()
	if m.backlog == nil {
		m.id = Identity{ID: NewID(), ID2: ZeroID, SecondOffset: -1, Offset: m.id.Offset}
		m.noDataTail = 0
		m.createBacklog()
		m.log.Noticef("Replication backlog created, my new replication IDs are '%s' and '%s'", m.id.ID, m.id.ID2)
	}
	sh := m.attachable()
	socket := m.syncShare != nil && m.syncShare.diskless
	switch planFullStart(sh != nil, m.fullRunning, socket, m.cfg.ReplDisklessSync, r.capaEOF, m.cfg.ReplDisklessSyncDelay) {
	case fullShare:
		m.log.Noticef("Waiting for end of BGSAVE for SYNC")
		m.attachShared(sh, r)
	case fullWaitSocket:
		m.log.Noticef("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
	case fullWaitCantUse:
		m.log.Noticef("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC")
	case fullDelay:
		m.log.Noticef("Delay next BGSAVE for diskless SYNC")
	case fullNow:
		m.startFullSync()
	}
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

// servePartial answers +CONTINUE and streams the bytes from off on, as
// planSync decided.
func (m *Manager) servePartial(c *command.Ctx, r *replica, off int64, rewound bool) {
	m.attach(c, r)
	r.state = stateOnline
	line := "+CONTINUE\r\n"
	switch {
	case rewound: // only a replica that offered REWIND gets the offset
		line = "+CONTINUE " + m.id.ID + " " + strconv.FormatInt(off, 10) + "\r\n"
	case r.capaPsync2:
		line = "+CONTINUE " + m.id.ID + "\r\n"
	}
	r.cursor = m.backlog.NewCursor(off)
	m.refreshGoodReplicas()
	m.startStream(r, []byte(line))
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
	m.streamTimeout.Store(int64(m.replTimeoutLocked()))
	r.out = newOutStream(r.cursor, r.conn, &m.streamTimeout, &m.stats.netOut)
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

// Disconnected implements server.DisconnectObserver: it forgets a replica whose connection closed (lock held).
func (m *Manager) Disconnected(sess *command.Session) {
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
// min-replicas-max-lag, and notes when the first of them stops counting
// (lock held).
func (m *Manager) refreshGoodReplicas() {
	n := 0
	lag := time.Duration(m.cfg.MinReplicasMaxLag) * time.Second
	now := time.Now()
	var until time.Time
	for _, r := range m.replicas {
		if r.state == stateOnline && !r.closed && now.Sub(r.ackTime) <= lag {
			n++
			if end := r.ackTime.Add(lag); until.IsZero() || end.Before(until) {
				until = end
			}
		}
	}
	m.goodReplicas, m.goodUntil = n, until
}
