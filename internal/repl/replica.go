package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/server"
)

// Link states, as ROLE names them.
const (
	linkConnect    = "connect"
	linkConnecting = "connecting"
	linkHandshake  = "handshake"
	linkSync       = "sync"
	linkConnected  = "connected"
)

// cachedMaster is what we remember of a master to PSYNC with later.
type cachedMaster struct {
	replID string
	offset int64 // last applied byte
	db     int
}

// link is the connection to our master and its state machine:
// connect → PING → AUTH → REPLCONF → PSYNC → (RDB → load) → stream.
// Fields marked (lock) are guarded by the server lock.
type link struct {
	m         *Manager
	host      string
	port      int
	state     string // (lock)
	conn      net.Conn
	sess      command.Session // the master "client": FlagMaster, no replies
	id        int64
	cached    *cachedMaster // (lock)
	downSince time.Time     // (lock) zero until an established link drops
	lastIO    time.Time     // (lock)
	reploff   int64         // (lock) last applied byte
	readOff   int64         // (lock) last byte read
	syncTotal int64         // (lock) payload size (-1 unknown)
	syncRead  int64         // (lock)
	// loading: the master's RDB is being loaded (lock). The master's
	// silence then is ours, not its: cron does not time the link out.
	loading bool
	// stopped says the link was replaced (REPLICAOF) or shut down (lock);
	// quit says the same without the lock, for readers mid-transfer. Every
	// stage of a sync checks stopped under the lock before it changes the
	// dataset or the replication state, so an abandoned sync never loads
	// the old master's data (see abandoned).
	stopped bool
	quit    atomic.Bool
	stopCh  chan struct{}
	// prev is the previous link's done: a link starts only once the one it
	// replaces has returned, so two links never load at once. done is
	// closed when run returns.
	prev, done chan struct{}
	connMu     sync.Mutex // serializes writes to conn (ACKs, newlines)
	acks       ackQueue
	localAddr  string
	remoteAddr string
}

// errAbandoned ends a sync whose link was stopped meanwhile (REPLICAOF to
// another master or NO ONE, or shutdown).
var errAbandoned = errors.New("sync abandoned: the link with this master was replaced")

// setMaster makes us a replica of host:port (lock held).
func (m *Manager) setMaster(host string, port int, who string) {
	wasMaster := m.link == nil
	var cached *cachedMaster
	if m.link != nil {
		cached = m.link.cachedState()
		m.link.stop()
		m.log.Warningf("Connection with master lost.")
		m.log.Noticef("Caching the disconnected master state.")
	}
	if wasMaster {
		m.srv.DisconnectBlocked("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
		if m.restoredCache != nil {
			cached = m.restoredCache
			m.restoredCache = nil
		} else {
			m.log.Noticef("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.")
			db := m.selDB
			if db < 0 {
				db = 0
			}
			cached = &cachedMaster{replID: m.id.ID, offset: m.id.Offset, db: db}
		}
	}
	l := &link{m: m, host: host, port: port, state: linkConnect, cached: cached, stopCh: make(chan struct{}), syncTotal: -1,
		prev: m.linkDone, done: make(chan struct{})}
	m.linkDone = l.done
	l.id = m.srv.NextClientID()
	l.sess = command.Session{ID: l.id, Flags: command.FlagMaster, Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}, User: "default"}
	if cached != nil {
		l.sess.DB = cached.db
		l.reploff = cached.offset
		l.readOff = cached.offset
	}
	m.link = l
	m.srv.SetReplica(true)
	m.cfg.ReplicaOf.Host, m.cfg.ReplicaOf.Port = host, port
	m.log.Noticef("Connecting to MASTER %s:%d", host, port)
	go l.run()
	m.log.Noticef("REPLICAOF %s:%d enabled (%s)", host, port, who)
}

// unsetMaster promotes us to master (REPLICAOF NO ONE), keeping our history
// reachable through the secondary ID so former siblings can PSYNC (lock held).
func (m *Manager) unsetMaster(who string) {
	if m.link == nil {
		return
	}
	m.link.stop()
	m.link = nil
	m.srv.SetReplica(false)
	m.cfg.ReplicaOf.Host, m.cfg.ReplicaOf.Port = "", 0
	m.log.Noticef("Discarding previously cached master state.")
	old := m.id.ID
	m.id.Shift()
	m.log.Warningf("Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s", old, m.id.SecondOffset, m.id.ID)
	m.disconnectReplicas()
	m.selDB = -1
	m.noReplicasSince = time.Now()
	if m.backlog == nil {
		m.createBacklog()
	}
	m.log.Noticef("MASTER MODE enabled (%s)", who)
}

// disconnectReplicas drops every sub-replica so they reconnect and learn
// our new history (lock held).
func (m *Manager) disconnectReplicas() {
	for sess, r := range m.replicas {
		m.srv.Kill(sess, server.CloseRoleChange)
		r.close()
	}
}

func (l *link) cachedState() *cachedMaster {
	if l.cached != nil && l.state != linkConnected {
		return l.cached
	}
	if l.state == linkConnected {
		return &cachedMaster{replID: l.m.id.ID, offset: l.reploff, db: l.sess.DB}
	}
	return l.cached
}

// stop ends the link for good (lock held).
func (l *link) stop() {
	if l.stopped {
		return
	}
	l.stopped = true
	l.quit.Store(true)
	close(l.stopCh)
	if l.conn != nil {
		shutClose(l.conn)
	}
}

// Kill cuts the current connection (CLIENT KILL TYPE master): the link
// caches the master and reconnects at once, usually with a partial resync.
func (l *link) Kill() {
	if l.conn != nil {
		shutClose(l.conn)
	}
}

// shutClose shuts a link's socket down before closing it: the shutdown
// wakes a linkReader waiting in epoll_wait at once (Close alone does not).
func shutClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseRead()
	}
	c.Close()
}

func (l *link) ClientID() int64    { return l.id }
func (l *link) RemoteAddr() string { return l.remoteAddr }
func (l *link) LocalAddr() string  { return l.localAddr }
func (l *link) ClientType() string { return "master" }
func (l *link) InfoLine() string {
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=7 name= age=0 idle=%d flags=M db=%d sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=NULL user=default redir=-1 resp=2",
		l.id, l.remoteAddr, l.localAddr, int64(time.Since(l.lastIO).Seconds()), l.sess.DB)
}

// run connects and syncs until stopped, retrying every second. It starts
// only once the link it replaces has returned. A panic in the link (a bug,
// or an input from the master nobody foresaw) is logged with its stack and
// handled as a broken link: the process keeps serving, and retries.
func (l *link) run() {
	m := l.m
	defer close(l.done)
	if l.prev != nil {
		select {
		case <-l.prev:
		case <-l.stopCh:
			return
		}
	}
	for {
		err := l.safeOnce()
		m.srv.Lock()
		if l.stopped {
			if errors.Is(err, errAbandoned) || l.state == linkSync {
				m.log.Noticef("MASTER <-> REPLICA sync with %s:%d abandoned: the link was replaced before the sync completed", l.host, l.port)
			}
			m.srv.Unlock()
			return
		}
		wasConnected := l.state == linkConnected
		if wasConnected {
			l.downSince = time.Now()
			m.log.Warningf("Connection with master lost.")
			m.log.Noticef("Caching the disconnected master state.")
			l.cached = &cachedMaster{replID: m.id.ID, offset: l.reploff, db: l.sess.DB}
			l.readOff = l.reploff
			l.sess.Flags &^= command.FlagMulti
			m.eng.Disconnect(&l.sess)
		} else if err != nil && err != errLinkPanicked {
			m.log.Warningf("%v", err)
		}
		l.state = linkConnect
		if l.conn != nil {
			l.conn.Close()
		}
		m.srv.Unlock()
		if !wasConnected {
			select {
			case <-l.stopCh:
				return
			case <-time.After(time.Second):
			}
		}
		m.srv.Lock()
		m.log.Noticef("Reconnecting to MASTER %s:%d", l.host, l.port)
		m.srv.Unlock()
	}
}

// errLinkPanicked is what safeOnce returns after a recovered panic (already
// logged).
var errLinkPanicked = errors.New("replication link panicked")

// linkPanic carries a panic from a helper goroutine of the link (the
// loading thread) to the link's own recover, with the stack where it
// happened.
type linkPanic struct {
	value any
	stack []byte
}

// asLinkPanic wraps a recovered value with the current stack (called in
// the deferred function, where the stack still shows the panic's origin).
func asLinkPanic(p any) *linkPanic {
	if lp, ok := p.(*linkPanic); ok {
		return lp
	}
	return &linkPanic{value: p, stack: debug.Stack()}
}

// safeOnce is once with a recover. Every section of the link that holds
// the server lock releases it with defer, so the lock is free here. After a
// panic the dataset and the offset may be half-way through a command: the
// cached master is discarded, and the next attempt is a full resync.
func (l *link) safeOnce() (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		lp := asLinkPanic(p)
		m := l.m
		m.srv.Lock()
		defer m.srv.Unlock()
		m.log.Warningf("Internal error in the replication link with MASTER %s:%d: %v. Closing the master connection and discarding the cached master.\n%s",
			l.host, l.port, lp.value, lp.stack)
		if l.state == linkConnected {
			l.sess.Flags &^= command.FlagMulti
		}
		l.state = linkConnect
		l.cached = nil
		err = errLinkPanicked
	}()
	return l.once()
}

func (l *link) setState(s string) {
	l.m.srv.Lock()
	l.state = s
	l.lastIO = time.Now()
	l.m.srv.Unlock()
}

// once runs one connection attempt through to its end.
func (l *link) once() error {
	m := l.m
	m.srv.Lock()
	l.state = linkConnecting
	l.lastIO = time.Now()
	timeout := m.replTimeoutLocked()
	auth, user := m.cfg.MasterAuth, m.cfg.MasterUser
	port := m.cfg.Port
	if m.cfg.ReplicaAnnouncePort != 0 {
		port = m.cfg.ReplicaAnnouncePort
	}
	announceIP := m.cfg.ReplicaAnnounceIP
	m.log.Noticef("MASTER <-> REPLICA sync started")
	m.srv.Unlock()

	conn, err := l.dial(timeout)
	if err != nil {
		return fmt.Errorf("Error condition on socket for SYNC: %v", err)
	}
	m.srv.Lock()
	if l.stopped {
		m.srv.Unlock()
		conn.Close()
		return nil
	}
	l.conn = conn
	l.localAddr, l.remoteAddr = conn.LocalAddr().String(), conn.RemoteAddr().String()
	m.log.Noticef("Non blocking connect for SYNC fired the event.")
	m.srv.Unlock()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(!m.cfg.ReplDisableTCPNoDelay)
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	l.setState(linkHandshake)

	// PING, then the handshake in one burst, replies read one by one, as
	// a real replica does (a Redis master refuses PSYNC with pending replies).
	if err := l.write(resp.AppendCommand(nil, []byte("PING"))); err != nil {
		return err
	}
	line, err := l.readLine(br, 5*time.Second)
	if err != nil {
		return fmt.Errorf("Master did not respond to command during SYNC handshake: %v", err)
	}
	if !pingReplyOK(line) {
		return fmt.Errorf("Error reply to PING from master: '%s'", quoteLine(line))
	}
	l.logf("Master replied to PING, replication can continue...")
	var burst []byte
	steps := []string{}
	if auth != "" {
		if user != "" {
			burst = resp.AppendCommand(burst, []byte("AUTH"), []byte(user), []byte(auth))
		} else {
			burst = resp.AppendCommand(burst, []byte("AUTH"), []byte(auth))
		}
		steps = append(steps, "auth")
	}
	burst = resp.AppendCommand(burst, []byte("REPLCONF"), []byte("listening-port"), []byte(strconv.Itoa(port)))
	steps = append(steps, "listening-port")
	if announceIP != "" {
		burst = resp.AppendCommand(burst, []byte("REPLCONF"), []byte("ip-address"), []byte(announceIP))
		steps = append(steps, "ip-address")
	}
	burst = resp.AppendCommand(burst, []byte("REPLCONF"), []byte("capa"), []byte("eof"), []byte("capa"), []byte("psync2"))
	steps = append(steps, "capa")
	if err := l.write(burst); err != nil {
		return err
	}
	for _, step := range steps {
		line, err := l.readLine(br, 5*time.Second)
		if err != nil {
			return fmt.Errorf("Master did not respond to command during SYNC handshake: %v", err)
		}
		if step == "auth" && strings.HasPrefix(line, "-") {
			return fmt.Errorf("Unable to AUTH to MASTER: %s", quoteLine(line))
		}
		if step != "auth" && strings.HasPrefix(line, "-") {
			l.logf("(Non critical) Master does not understand REPLCONF %s: %s", step, quoteLine(line))
		}
	}

	// PSYNC with what we remember, or ask for everything.
	m.srv.Lock()
	cached := l.cached
	m.srv.Unlock()
	var psync []byte
	if cached != nil {
		l.logf("Trying a partial resynchronization (request %s:%d).", cached.replID, cached.offset+1)
		psync = resp.AppendCommand(nil, []byte("PSYNC"), []byte(cached.replID), []byte(strconv.FormatInt(cached.offset+1, 10)))
	} else {
		l.logf("Partial resynchronization not possible (no cached master)")
		psync = resp.AppendCommand(nil, []byte("PSYNC"), []byte("?"), []byte("-1"))
	}
	if err := l.write(psync); err != nil {
		return err
	}
	for {
		line, err = l.readLine(br, timeout)
		if err != nil {
			return fmt.Errorf("Master did not reply to PSYNC: %v", err)
		}
		if line != "" {
			break
		}
	}
	reply, err := parsePSYNCReply(line, cached != nil)
	if err != nil {
		return err
	}
	switch reply.action {
	case psyncFull:
		l.logf("Full resync from master: %s:%d", reply.replID, reply.offset)
		if err := l.fullSync(br, reply.replID, reply.offset, timeout); err != nil {
			return err
		}
	case psyncContinue:
		l.logf("Successful partial resynchronization with master.")
		if err := l.continueSync(reply.replID); err != nil {
			return err
		}
	case psyncLater:
		return fmt.Errorf("Master is currently unable to PSYNC but should be in the future: %s", quoteLine(line))
	default:
		if strings.HasPrefix(line, "-ERR") {
			l.logf("Master does not support PSYNC or is in error state (reply: %s)", quoteLine(line))
		} else {
			l.logf("Unexpected reply to PSYNC from master: %s", quoteLine(line))
		}
		l.logf("Retrying with SYNC...")
		if err := l.write([]byte("SYNC\r\n")); err != nil {
			return err
		}
		if err := l.fullSync(br, "", 0, timeout); err != nil {
			return err
		}
	}
	return l.stream(br)
}

// dial connects to the master, giving up after timeout or as soon as the
// link is stopped: the link that replaces this one waits for it to return.
func (l *link) dial(timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case <-l.stopCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	var d net.Dialer
	return d.DialContext(ctx, "tcp", net.JoinHostPort(l.host, strconv.Itoa(l.port)))
}

func (l *link) logf(format string, args ...any) {
	l.m.srv.Lock()
	l.m.log.Noticef(format, args...)
	l.m.srv.Unlock()
}

func (l *link) write(b []byte) error {
	l.connMu.Lock()
	defer l.connMu.Unlock()
	l.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := l.conn.Write(b)
	return err
}

// readLine reads one CRLF (or LF) terminated line of the handshake with a
// deadline (at most maxMasterLine bytes).
func (l *link) readLine(br *bufio.Reader, d time.Duration) (string, error) {
	l.conn.SetReadDeadline(time.Now().Add(d))
	defer l.conn.SetReadDeadline(time.Time{})
	line, err := readMasterLine(br)
	if err != nil {
		return "", err
	}
	l.m.srv.Lock()
	l.lastIO = time.Now()
	l.m.srv.Unlock()
	return line, nil
}

// continueSync resumes on the same history (or learns the master's new ID).
func (l *link) continueSync(newID string) error {
	m := l.m
	m.srv.Lock()
	defer m.srv.Unlock()
	if l.stopped {
		return errAbandoned
	}
	if l.cached == nil {
		// parsePSYNCReply refuses +CONTINUE when we sent no history.
		return errors.New("Master accepted a partial resynchronization we did not ask for")
	}
	if newID != "" && newID != l.cached.replID {
		m.log.Noticef("Master replication ID changed to %s", newID)
		m.id.ID2 = l.cached.replID
		m.id.SecondOffset = l.reploff + 1
		m.id.ID = newID
		m.disconnectReplicas()
	} else {
		m.id.ID = l.cached.replID
	}
	m.id.Offset = l.reploff
	l.readOff = l.reploff
	if m.backlog == nil || m.backlog.End() != l.reploff {
		m.freeBacklog()
		m.createBacklog()
	}
	l.state = linkConnected
	l.downSince = time.Time{}
	l.cached = nil
	m.log.Noticef("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
	return nil
}

// stream applies the master's commands, counting the offset on the raw
// bytes and forwarding exactly those bytes to our own replicas. Bulks are
// limited by our proto-max-bulk-len, as any client's: a master (or a man
// in the middle) announcing more is a protocol error, not an allocation.
func (l *link) stream(br *bufio.Reader) error {
	m := l.m
	m.srv.Lock()
	maxBulk := m.cfg.ProtoMaxBulkLen
	m.srv.Unlock()
	rd := newStreamReader(maxBulk)
	var pending []byte // bytes of an open MULTI: applied (and forwarded) at EXEC
	l.conn.SetReadDeadline(time.Time{})
	lr := newLinkReader(l.conn)
	if lr != nil {
		defer lr.Close()
	}
	for {
		var n int
		var err error
		if lr == nil || br.Buffered() > 0 {
			n, err = br.Read(rd.Space())
		} else {
			n, err = lr.Read(rd.Space())
		}
		if n > 0 {
			rd.Advance(n)
		}
		if err != nil {
			return nil // link lost: run() caches the master and reconnects
		}
		err = l.apply(rd, n, &pending)
		m.afterCommands()
		if err == errAbandoned {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// apply runs every complete command rd holds, under the server lock (taken
// and released here, with defer: a panic leaves it free). n is how many
// bytes the last read added.
func (l *link) apply(rd *resp.Reader, n int, pending *[]byte) error {
	m := l.m
	m.srv.Lock()
	defer m.srv.Unlock()
	if l.stopped {
		return errAbandoned
	}
	if n > 0 {
		// Not on an empty wake-up: repl-timeout counts from real data.
		l.lastIO = time.Now()
	}
	l.readOff += int64(n)
	m.stats.netIn += int64(n)
	m.inLink = true
	defer func() { m.inLink = false }()
	for {
		ok, perr := nextMasterCommand(rd)
		if perr == errInlineFromMaster {
			m.log.Warningf("WARNING: Receiving inline protocol from master, master stream corruption? Closing the master connection and discarding the cached master.")
			l.state = linkConnect
			return perr
		}
		if perr != nil {
			m.log.Warningf("Protocol error from MASTER: %v. Closing the master connection and discarding the cached master.", perr)
			l.state = linkConnect
			return perr
		}
		if !ok {
			return nil
		}
		raw := rd.Raw()
		if len(rd.Args) > 0 {
			l.sess.W.Reset()
			m.eng.Call(&l.sess, rd.Args)
		}
		*pending = append(*pending, raw...)
		if !l.sess.InMulti() {
			l.reploff += int64(len(*pending))
			if m.backlog != nil {
				m.feed(*pending)
			} else {
				m.id.Offset = l.reploff
			}
			*pending = (*pending)[:0]
		}
	}
}

// sendAck tells the master how far we applied (REPLCONF ACK <offset>).
func (l *link) sendAck() {
	l.m.srv.Lock()
	if l.state != linkConnected || l.conn == nil {
		l.m.srv.Unlock()
		return
	}
	off, conn := l.reploff, l.conn
	l.m.srv.Unlock()
	l.writeAck(conn, off)
}

// ackNow answers a GETACK from inside the stream (lock held): the offset is
// the one before the GETACK's own bytes, as Redis reports it; the write
// happens without the lock.
//
// One writer goroutine at a time: GETACKs arriving while it writes only
// raise the offset it sends next. A goroutine per GETACK would let a
// master (or a man in the middle) that sends GETACKs and stops reading
// pile up goroutines blocked on the connection without bound.
func (l *link) ackNow() {
	if l.conn == nil {
		return
	}
	q := &l.acks
	q.mu.Lock()
	q.conn, q.off, q.pending = l.conn, l.reploff, true
	if q.busy {
		q.mu.Unlock()
		return
	}
	q.busy = true
	q.mu.Unlock()
	go func() {
		for {
			q.mu.Lock()
			if !q.pending {
				q.busy = false
				q.mu.Unlock()
				return
			}
			conn, off := q.conn, q.off
			q.pending = false
			q.mu.Unlock()
			l.writeAck(conn, off)
		}
	}()
}

// ackQueue is the latest GETACK answer waiting for ackNow's writer.
type ackQueue struct {
	mu      sync.Mutex
	busy    bool // a writer goroutine runs
	pending bool // conn and off are to be written
	conn    net.Conn
	off     int64
}

// writeAck writes REPLCONF ACK on conn, the connection seen under the
// server lock when the offset was read: l.conn itself belongs to the link
// goroutine, which replaces it on reconnect (an ACK must not slip into the
// next connection's handshake).
func (l *link) writeAck(conn net.Conn, off int64) {
	b := resp.AppendCommand(nil, []byte("REPLCONF"), []byte("ACK"), []byte(strconv.FormatInt(off, 10)))
	l.connMu.Lock()
	defer l.connMu.Unlock()
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	conn.Write(b)
}
