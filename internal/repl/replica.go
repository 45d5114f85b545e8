package repl

// The replica side's driver: it feeds the link's state machine
// (linkmachine.go) with what happens and performs what the machine
// decides. The actions that change the dataset or the replication state
// run under the server lock, in the critical section of the step that
// decided them; the I/O (dial, reads, writes, loads, pauses) runs in the
// link's goroutine without the lock. The full sync's I/O is in
// fullsync.go.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/server"
)

// link is the I/O of one link (one REPLICAOF): its goroutine, socket and
// master client. Its state is the machine's (m.machine); fields marked
// (lock) are guarded by the server lock.
type link struct {
	m    *Manager
	gen  int64
	host string
	port int
	conn net.Conn // set by the link goroutine, under the lock
	br   *bufio.Reader
	sess command.Session // (lock) the master "client": FlagMaster, no replies
	id   int64
	// quit says the link was replaced (REPLICAOF) or shut down, without
	// the lock, for readers mid-transfer; stopCh wakes its waits.
	quit      atomic.Bool
	stopped   bool // (lock)
	pauseHeld bool // apply left a command to CLIENT PAUSE (set by apply, read by stream: one goroutine)
	stopCh    chan struct{}
	// prev is the previous link's done: a link starts only once the one it
	// replaces has returned, so two links never load at once. done is
	// closed when run returns.
	prev, done chan struct{}
	connMu     sync.Mutex // serializes writes to conn (ACKs, newlines)
	acks       ackQueue
	// ackBatch collects the ACKs the GETACKs of one apply ask for, sent
	// in one write when the chunk is applied (apply; lock held), as
	// Redis writes a chunk's replies at once.
	ackBatch   []byte
	batchAcks  bool
	batchedOff int64
	localAddr  string
	remoteAddr string

	// A full sync's work in progress (link goroutine only).
	file    *os.File           // the payload's temp file
	tmpPath string             // its name
	payload []byte             // read buffer of a disk transfer
	loaded  *keyspace.Keyspace // (lock) a socket load's databases, until swapped in
	// loadedFunctions are the socket load's function libraries, swapped
	// in with its databases.
	loadedFunctions [][]byte
	// stopKeepAlive ends the newlines to the master (nil: none running).
	stopKeepAlive func()
}

// errAbandoned ends a sync whose link was stopped meanwhile (REPLICAOF to
// another master or NO ONE, or shutdown).
var errAbandoned = errors.New("sync abandoned: the link with this master was replaced")

// setMaster makes us a replica of host:port (lock held). It returns false
// when we already follow that master.
func (m *Manager) setMaster(host string, port int, who string) bool {
	gen := m.machine.gen
	m.stepLocked(event{kind: evReplicaOf, host: host, port: port, text: who})
	return m.machine.gen != gen
}

// unsetMaster promotes us to master (REPLICAOF NO ONE) (lock held).
func (m *Manager) unsetMaster(who string) {
	m.stepLocked(event{kind: evNoOne, text: who})
}

// disconnectReplicas drops every sub-replica so they reconnect and learn
// our new history (lock held).
func (m *Manager) disconnectReplicas() {
	for sess, r := range m.replicas {
		m.srv.Kill(sess, server.CloseRoleChange)
		r.close()
	}
}

// world is what the machine may know of the server now (lock held).
func (m *Manager) world() world {
	w := world{now: time.Now(), id: m.id, selDB: m.selDB, numDBs: len(m.ks.DBs), empty: true, noDataTail: m.noDataTail}
	if m.link != nil {
		w.streamDB = m.link.sess.DB
	}
	for _, db := range m.ks.DBs {
		if db.Len() > 0 {
			w.empty = false
			break
		}
	}
	c := m.cfg
	w.cfg = linkSettings{timeout: m.replTimeoutLocked(), auth: c.MasterAuth, user: c.MasterUser,
		port: c.Port, announceIP: c.ReplicaAnnounceIP, disklessLoad: c.ReplDisklessLoad}
	if _, tlsPort := m.replicaTLS(); tlsPort != 0 {
		w.cfg.port = tlsPort // Redis announces the TLS port with tls-replication
	}
	if c.ReplicaAnnouncePort != 0 {
		w.cfg.port = c.ReplicaAnnouncePort
	}
	return w
}

// stepLocked feeds ev to the machine (lock held), performs every action
// that belongs in the critical section and returns the others, in order,
// for the link goroutine. ACKs are queued here too (a queue never
// blocks), so steps from outside the link (cron, GETACK) are complete.
func (m *Manager) stepLocked(ev event) []action {
	acts := m.machine.Step(m.world(), ev)
	rest := acts[:0]
	for _, a := range acts {
		switch {
		case a.kind.locked():
			m.perform(a)
		case a.kind == actAck:
			if l := m.link; l != nil && l.gen == a.gen {
				l.queueAck(a.n)
			}
		default:
			rest = append(rest, a)
		}
	}
	return rest
}

// perform carries out an action of the critical section (lock held).
func (m *Manager) perform(a action) {
	l := m.link
	if l != nil && a.gen != 0 && l.gen != a.gen {
		l = nil
	}
	switch a.kind {
	case actLog:
		if a.n == logWarning {
			m.log.Warningf("%s", a.text)
		} else {
			m.log.Noticef("%s", a.text)
		}
	case actStartLink:
		nl := &link{m: m, gen: a.gen, host: a.host, port: a.port, stopCh: make(chan struct{}),
			prev: m.linkDone, done: make(chan struct{})}
		m.linkDone = nl.done
		nl.id = m.srv.NextClientID()
		nl.sess = command.Session{ID: nl.id, Flags: command.FlagMaster, Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}, User: "default", DB: int(a.n)}
		m.link = nl
		go nl.run()
	case actStopLink:
		if l != nil {
			l.stop()
		}
	case actKill:
		if l != nil {
			l.Kill()
		}
	case actReplicaMode:
		m.srv.SetReplica(true)
		m.cfg.ReplicaOf.Host, m.cfg.ReplicaOf.Port = a.host, a.port
	case actMasterMode:
		m.link = nil
		m.srv.SetReplica(false)
		m.cfg.ReplicaOf.Host, m.cfg.ReplicaOf.Port = "", 0
	case actDisconnectBlocked:
		m.srv.DisconnectBlocked("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
	case actDisconnectReplicas:
		m.disconnectReplicas()
	case actPromote:
		m.selDB = -1
		m.noReplicasSince = time.Now()
		if m.backlog == nil {
			m.createBacklog()
		}
	case actSetID:
		m.setID(a.id)
	case actBacklogAt:
		// Resuming before our tail (rewind.go) keeps the history before it.
		if m.backlog == nil || m.backlog.End() != a.n && !m.backlog.Truncate(a.n) {
			m.freeBacklog()
			m.createBacklog()
		}
	case actNewBacklog:
		m.createBacklog()
	case actDropHistory:
		// Its own replicas must resync from the new data; a snapshot walk
		// of the data about to go is pointless.
		m.disconnectReplicas()
		m.freeBacklog()
		if s := m.ks.Running(); s != nil {
			s.Abort()
		}
	case actFlush:
		for _, db := range m.ks.DBs {
			db.Flush()
		}
		m.eng.Flushed()
		if a.flag {
			m.eng.TouchAllWatched(-1)
		}
	case actLoadingFlag:
		m.srv.SetLoading(a.flag)
	case actAsyncLoading:
		m.srv.SetAsyncLoading(a.flag)
	case actSwap:
		if l != nil && l.loaded != nil {
			for i, db := range m.ks.DBs {
				db.Swap(l.loaded.DBs[i])
			}
			l.loaded = nil
			// The master's function libraries replace ours with its
			// data. They were checked as they were read only for their
			// RDB form: one that does not load leaves ours (and is told).
			if err := m.pm.ReplaceFunctions(l.loadedFunctions); err != nil {
				m.log.Warningf("The master's function libraries were not loaded: %v", err)
			}
			l.loadedFunctions = nil
			m.eng.TouchAllWatched(-1)
			m.eng.Flushed()
		}
	case actMasterSession:
		if l != nil {
			l.sess = command.Session{ID: l.id, Flags: command.FlagMaster, Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}, User: "default", DB: int(a.n)}
		}
	case actAfterFullSync:
		m.ks.Dirty = 0
		for _, o := range m.afterFullSync {
			o.AfterFullSync()
		}
	case actMasterLost:
		if l != nil {
			l.sess.Flags &^= command.FlagMulti
			m.eng.Disconnect(&l.sess)
		}
	case actClearMulti:
		if l != nil {
			l.sess.Flags &^= command.FlagMulti
		}
	case actFailoverDone:
		m.clearFailover()
	case actFailoverAbort:
		if m.fo.state != noFailover {
			m.logFailoverAbort(a.text)
			m.clearFailover()
		}
	}
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

// Kill cuts the current connection (CLIENT KILL TYPE master, a timeout):
// the link caches the master and reconnects at once, usually with a
// partial resync.
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
		l.id, l.remoteAddr, l.localAddr, int64(time.Since(l.m.machine.lastIO).Seconds()), l.sess.DB)
}

// run is the link's goroutine: it feeds the machine and performs its
// I/O until the machine says the link is over. It starts only once the
// link it replaces has returned.
func (l *link) run() {
	defer close(l.done)
	defer l.cleanup()
	if l.prev != nil {
		select {
		case <-l.prev:
		case <-l.stopCh:
		}
	}
	ev := event{kind: evStart}
	for {
		next, exit := l.iterate(ev)
		if exit {
			return
		}
		ev = next
	}
}

// iterate steps the machine with ev and performs the I/O it asks for,
// returning the event that I/O produced. A panic in the link (a bug, or an
// input from the master nobody foresaw) is logged with its stack by the
// machine and handled as a broken link: the process keeps serving, and
// retries. Every section that holds the server lock releases it with
// defer, so the lock is free here.
func (l *link) iterate(ev event) (next event, exit bool) {
	defer func() {
		if p := recover(); p != nil {
			lp := asLinkPanic(p)
			next, exit = event{kind: evPanic, text: fmt.Sprint(lp.value), data: lp.stack}, false
		}
	}()
	acts := l.feed(ev)
	return l.do(acts)
}

// feed steps the machine with one of this link's events.
func (l *link) feed(ev event) []action {
	ev.gen = l.gen
	l.m.srv.Lock()
	defer l.m.srv.Unlock()
	return l.m.stepLocked(ev)
}

// do performs a step's I/O actions in order. The last one waits for
// something (a dial, a read, a load, a pause) and its outcome is the next
// event; a failed write ends the batch early.
func (l *link) do(acts []action) (event, bool) {
	for _, a := range acts {
		switch a.kind {
		case actExit:
			return event{}, true
		case actDial:
			return l.dial(a), false
		case actSend:
			if err := l.write(a.data); err != nil {
				return event{kind: evWriteError, text: err.Error()}, false
			}
		case actReadLine:
			return l.readLine(a.d), false
		case actReceiveFile:
			if err := l.createFile(); err != nil {
				return event{kind: evFileError, flag: true, text: err.Error()}, false
			}
		case actReadPayload:
			return l.readPayload(a), false
		case actWriteFile:
			if _, err := l.file.Write(a.data); err != nil {
				return event{kind: evFileError, text: err.Error()}, false
			}
		case actStore:
			return l.store(), false
		case actDelay:
			l.sleep(a.d)
			return event{kind: evDelayDone}, false
		case actLoad:
			if a.flag {
				return l.loadFromSocket(a), false
			}
			return l.loadFromDisk(a), false
		case actStream:
			return l.stream(), false
		case actKeepAlive:
			l.setKeepAlive(a.flag)
		case actClose:
			l.setKeepAlive(false)
			l.dropFile()
			if l.conn != nil {
				l.conn.Close()
			}
		case actRetry:
			l.sleep(a.d)
			return event{kind: evRetry}, false
		}
	}
	// Every step of the link's own events ends with a wait: one that does
	// not is a bug of the machine, handled as a panic would be.
	return event{kind: evPanic, text: "replication link: a step asked for nothing to wait for", data: debug.Stack()}, false
}

// cleanup releases what the goroutine holds when it returns.
func (l *link) cleanup() {
	l.setKeepAlive(false)
	l.dropFile()
	l.m.srv.Lock()
	conn := l.conn
	l.m.srv.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// sleep waits d or until the link stops.
func (l *link) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-l.stopCh:
	}
}

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

// dial connects to the master, giving up after the timeout or as soon as
// the link is stopped: the link that replaces this one waits for it to
// return. The connection is recorded under the lock of the step that
// learns of it, so a stop can always close it.
func (l *link) dial(a action) event {
	ctx, cancel := context.WithTimeout(context.Background(), a.d)
	defer cancel()
	go func() {
		select {
		case <-l.stopCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	m := l.m
	m.srv.Lock()
	src := m.cfg.BindSourceAddr
	m.srv.Unlock()
	addr := net.JoinHostPort(a.host, strconv.Itoa(a.port))
	var d net.Dialer
	if src != "" {
		// bind-source-addr, best effort as in Redis: a source address
		// that cannot be used (not ours, not resolvable) is logged and
		// the link connects from the system's choice instead.
		if ip := resolveSource(ctx, src); ip != nil {
			d.LocalAddr = &net.TCPAddr{IP: ip}
		} else {
			m.log.Warningf("bind-source-addr %s does not resolve to an address: connecting to MASTER from any", src)
		}
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil && d.LocalAddr != nil && ctx.Err() == nil {
		m.log.Warningf("Connecting to MASTER from bind-source-addr %s failed (%v): trying from any address", src, err)
		d.LocalAddr = nil
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return event{kind: evDialFailed, text: err.Error()}
	}
	raw := conn // the socket, under TLS or not
	if tlsCfg, _ := m.replicaTLS(); tlsCfg != nil {
		// tls-replication: the handshake is part of the dial, bounded by
		// its timeout and cut short by a stop.
		if conn, err = tlsHandshake(ctx, raw, tlsCfg); err != nil {
			return event{kind: evDialFailed, text: "TLS handshake: " + err.Error()}
		}
	}
	m.srv.Lock()
	if l.conn != nil {
		l.conn.Close()
	}
	l.conn = conn
	l.br = bufio.NewReaderSize(conn, 64<<10)
	l.localAddr, l.remoteAddr = conn.LocalAddr().String(), conn.RemoteAddr().String()
	if l.stopped {
		shutClose(conn)
	}
	nodelay := !m.cfg.ReplDisableTCPNoDelay
	m.srv.Unlock()
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetNoDelay(nodelay)
	}
	return event{kind: evDialed}
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
func (l *link) readLine(d time.Duration) event {
	l.conn.SetReadDeadline(time.Now().Add(d))
	defer l.conn.SetReadDeadline(time.Time{})
	line, err := readMasterLine(l.br)
	switch {
	case err == errLineTooLong:
		return event{kind: evLineTooLong}
	case err != nil:
		return event{kind: evReadError, text: err.Error()}
	}
	return event{kind: evLine, text: line}
}

// pausePoll is how often a link whose command waits out CLIENT PAUSE looks
// again when its reads have no wake-up of their own (see stream).
const pausePoll = 10 * time.Millisecond

// stream applies the master's commands, counting the offset on the raw
// bytes and forwarding exactly those bytes to our own replicas. Bulks are
// limited by our proto-max-bulk-len, as any client's: a master (or a man
// in the middle) announcing more is a protocol error, not an allocation.
// It returns when the link is lost, the stream is malformed, or the link
// was replaced.
func (l *link) stream() event {
	m := l.m
	m.srv.Lock()
	maxBulk := m.cfg.ProtoMaxBulkLen
	m.srv.Unlock()
	rd := newStreamReader(maxBulk)
	var pending []byte // bytes of an open MULTI: applied (and forwarded) at EXEC
	br := l.br
	l.conn.SetReadDeadline(time.Time{})
	lr := newLinkReader(l.conn)
	if lr != nil {
		defer lr.Close()
	}
	defer func() {
		m.srv.Lock()
		m.srv.MasterLinkReleased()
		m.srv.Unlock()
	}()
	held := false // a command waits out CLIENT PAUSE (MasterCommandPaused)
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
			if ne, ok := err.(net.Error); ok && ne.Timeout() && held {
				continue // the pause's poll (below), not a dead link
			}
			return event{kind: evStreamEnd} // the machine caches the master and reconnects
		}
		gone, perr := l.apply(rd, n, &pending)
		// A command held by CLIENT PAUSE must be retried when the pause
		// ends even if the master says nothing more: the linkReader wakes
		// every linkPoll by itself; a plain read (a TLS link) is given a
		// short deadline instead.
		held = l.pauseHeld
		if lr == nil || br.Buffered() > 0 {
			if held {
				l.conn.SetReadDeadline(time.Now().Add(pausePoll))
			} else {
				l.conn.SetReadDeadline(time.Time{})
			}
		}
		m.AfterRound()
		// An ACK the socket did not take at once is with the writer
		// goroutine: let it run on this thread's P before the coming wait
		// in epoll_wait holds the P in a system call (see queueAck).
		if l.acks.queued() {
			runtime.Gosched()
		}
		if gone {
			return event{kind: evStreamEnd}
		}
		if perr != nil {
			return event{kind: evStreamError, text: perr.Error(), flag: perr == errInlineFromMaster}
		}
	}
}

// apply runs every complete command rd holds, under the server lock (taken
// and released here, with defer: a panic leaves it free). n is how many
// bytes the last read added. gone says the link was replaced.
func (l *link) apply(rd *resp.Reader, n int, pending *[]byte) (gone bool, err error) {
	m := l.m
	m.srv.Lock()
	defer m.srv.Unlock()
	if l.stopped {
		return true, nil
	}
	sm := m.machine
	var now time.Time
	if n > 0 { // not on an empty wake-up of the linkReader (every 8 ms)
		now = time.Now()
	}
	sm.streamRead(now, n)
	m.stats.netIn += int64(n)
	l.pauseHeld = false
	m.inLink = true
	l.batchAcks = true
	defer func() {
		m.inLink = false
		l.batchAcks = false
		if len(l.ackBatch) > 0 {
			b := l.ackBatch
			l.ackBatch = l.ackBatch[:0]
			l.sendAck(l.batchedOff, b)
		}
	}()
	for {
		ok, perr := nextMasterCommand(rd)
		if perr != nil {
			return false, perr
		}
		if !ok {
			return false, nil
		}
		if len(rd.Args) > 0 && m.srv.MasterCommandPaused(&l.sess, rd.Args) {
			// CLIENT PAUSE holds the master's stream here, unapplied (our
			// offset stays; slave_read_repl_offset grows as bytes come):
			// the linkReader's periodic wake-ups bring us back.
			rd.Unread()
			l.pauseHeld = true
			return false, nil
		}
		raw := rd.Raw()
		inBlock := len(*pending) > 0
		if len(rd.Args) > 0 {
			l.sess.W.Reset()
			m.eng.Call(&l.sess, rd.Args)
			if b := l.sess.W.Buf; len(b) > 0 && b[0] == '-' {
				m.masterCommandFailed(rd.Args[0], b)
			}
		}
		*pending = append(*pending, raw...)
		if !l.sess.InMulti() {
			if inBlock || len(rd.Args) == 0 {
				m.noDataTail = 0 // a MULTI block (or an empty line) counts as data
			} else {
				m.trackTail(rd.Args, len(raw))
			}
			sm.applied(int64(len(*pending)))
			if m.backlog != nil {
				m.feed(*pending)
			} else {
				m.id.Offset = sm.reploff
			}
			*pending = (*pending)[:0]
		}
	}
}

// getAck answers a GETACK from inside the stream (lock held): the offset
// is the one before the GETACK's own bytes, as Redis reports it.
func (m *Manager) getAck() {
	m.stepLocked(event{kind: evGetAck, gen: m.machine.gen})
}

// queueAck sends REPLCONF ACK (lock held): at once when the socket takes
// it without waiting, else through the link's one ACK writer goroutine,
// which writes without the lock.
//
// Writing at once matters for WAIT: the ACK a GETACK asks for then leaves
// before the stream goroutine waits in epoll_wait again. Handed to a
// goroutine, it could sit on this thread's P while that wait holds it in a
// system call: the scheduler runs the global queue first one time in 61,
// so a yield did not always let the writer go first, and WAIT's p99 was
// the link's poll interval (8 ms, measured with bench/run.sh wait).
//
// One writer goroutine at a time: ACKs asked for while it writes only
// raise the offset it sends next. A goroutine per GETACK would let a
// master (or a man in the middle) that sends GETACKs and stops reading
// pile up goroutines blocked on the connection without bound.
func (l *link) queueAck(off int64) {
	if l.conn == nil {
		return
	}
	if l.batchAcks {
		l.ackBatch = appendAck(l.ackBatch, off)
		l.batchedOff = off
		return
	}
	l.sendAck(off, appendAck(nil, off))
}

// sendAck writes b, one or more ACKs of which the last is for off (lock
// held), or hands what the socket does not take to the ACK writer, which
// sends the rest of b and then an ACK of the latest offset.
func (l *link) sendAck(off int64, b []byte) {
	q := &l.acks
	q.mu.Lock()
	q.conn, q.off, q.pending = l.conn, off, true
	if q.busy {
		q.mu.Unlock()
		return
	}
	n := l.tryWriteAck(b)
	if n == len(b) {
		q.pending = false
		q.mu.Unlock()
		return
	}
	if n > 0 {
		// The rest of this ACK must go first, whatever offset is asked
		// for meanwhile: half a command cannot be replaced. (A copy: b
		// may be the link's batch buffer, which the next chunk reuses.)
		q.rest, q.restConn = append([]byte(nil), b[n:]...), l.conn
	}
	q.busy = true
	q.mu.Unlock()
	go func() {
		for {
			q.mu.Lock()
			if rest := q.rest; rest != nil {
				conn := q.restConn
				q.rest, q.restConn = nil, nil
				q.mu.Unlock()
				l.writeRaw(conn, rest)
				continue
			}
			if !q.pending {
				q.busy = false
				q.mu.Unlock()
				return
			}
			conn, off := q.conn, q.off
			q.pending = false
			q.mu.Unlock()
			l.writeRaw(conn, ackCommand(off))
		}
	}()
}

// tryWriteAck writes b on the link's socket if that needs no waiting: one
// non-blocking write, while no other write holds the connection (the
// keepalive newlines of a loading replica). It returns what was written.
func (l *link) tryWriteAck(b []byte) int {
	sc, ok := l.conn.(syscall.Conn)
	if !ok || !l.connMu.TryLock() {
		return 0
	}
	defer l.connMu.Unlock()
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0
	}
	written := 0
	raw.Write(func(fd uintptr) bool {
		if n, err := syscall.Write(int(fd), b); err == nil && n > 0 {
			written = n
		}
		return true // never wait here: the writer goroutine does
	})
	return written
}

// queued reports whether an ACK writer is running or due.
func (q *ackQueue) queued() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.busy
}

// ackQueue is the latest ACK waiting for queueAck's writer.
type ackQueue struct {
	mu      sync.Mutex
	busy    bool // a writer goroutine runs
	pending bool // conn and off are to be written
	conn    net.Conn
	off     int64
	// rest is the unwritten end of an ACK written in part on restConn,
	// sent before anything else.
	rest     []byte
	restConn net.Conn
}

func ackCommand(off int64) []byte { return appendAck(nil, off) }

// appendAck appends REPLCONF ACK off to b.
func appendAck(b []byte, off int64) []byte {
	var num [20]byte
	return resp.AppendCommand(b, []byte("REPLCONF"), []byte("ACK"), strconv.AppendInt(num[:0], off, 10))
}

// writeRaw writes b (an ACK or its end) on conn, the connection seen
// under the server lock when the offset was read: l.conn itself belongs to
// the link goroutine, which replaces it on reconnect (an ACK must not slip
// into the next connection's handshake).
func (l *link) writeRaw(conn net.Conn, b []byte) {
	l.connMu.Lock()
	defer l.connMu.Unlock()
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	conn.Write(b)
}

// masterCommandFailed handles an error one of our master's commands got
// here (lock held): the datasets may now differ. As Redis does, it is
// logged as critical and counted (unexpected_error_replies); under
// propagation-error-behavior panic or panic-on-replicas a read-only
// replica stops rather than go on with data that may differ (a writable
// replica is allowed to differ).
func (m *Manager) masterCommandFailed(name []byte, reply []byte) {
	msg := strings.TrimRight(string(reply[1:]), "\r\n")
	cmd := "<unknown>"
	if spec := m.eng.Table.Lookup(name); spec != nil {
		cmd = spec.Name
	}
	m.log.Warningf("== CRITICAL == This replica is sending an error to its master: '%s' after processing the command '%s'", msg, cmd)
	m.srv.NoteUnexpectedError()
	if m.cfg.ReplicaReadOnly && m.cfg.PropagationErrorBehavior != config.PropagationIgnore {
		m.srv.Panic("This replica panicked sending an error to its master after processing the command '" + cmd + "'")
	}
}

// resolveSource is bind-source-addr as an IP: a literal, or a name's
// first address (nil when it has none).
func resolveSource(ctx context.Context, src string) net.IP {
	if ip := net.ParseIP(src); ip != nil {
		return ip
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", src)
	if err != nil || len(ips) == 0 {
		return nil
	}
	return ips[0]
}
