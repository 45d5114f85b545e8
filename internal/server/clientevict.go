package server

import (
	"cmp"
	"errors"
	"os"
	"slices"
	"time"
	"unsafe"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/tlsconf"
)

// Client memory and client eviction (maxmemory-clients), as Redis 7.0 does
// them. A client's memory is what it makes the server hold: its query
// buffer, its reply buffers (the one being filled and the one a write is
// sending), its queued MULTI, the bookkeeping of its watched keys,
// subscriptions and tracking prefixes, and a fixed cost for the client
// itself. CLIENT LIST's tot-mem is exactly that figure, so an operator
// sums the same numbers the server compares with the limit.
//
// Each client's figure is kept in an account per type (normal and pub/sub,
// replicas, our master) that the eviction compares with maxmemory-clients,
// and beside it the part maxmemory counts (heldMem), which INFO shows as
// mem_clients_normal (and mem_clients_slaves, with the replication buffer).
// A client's figure is brought up to date whenever its buffers change
// under srv.mu: after every read (at a batch's start), at a batch's end,
// after every push, and for every client in the cron; between two of
// these the account may be stale, so before evicting anyone the
// eviction refreshes every client first (that O(n) walk runs only when
// the account says the limit is passed).
//
// Redis groups clients in buckets by powers of two and evicts from the
// largest bucket, in the bucket's order; Tandem sorts the candidates by
// their exact figure when it must evict, which gives the same order (the
// largest first) without keeping buckets on every update.

// memType is a client's account: Redis's client types as INFO groups
// them.
type memType uint8

const (
	memNormal  memType = iota // normal and pub/sub: counted for eviction
	memReplica                // mem_clients_slaves
	memMaster                 // our master's link: in mem_clients_normal, never evicted
	numMemTypes
)

const (
	// clientStructBytes is the fixed cost of a client: its client,
	// session and parser structures.
	clientStructBytes = int64(unsafe.Sizeof(client{}) + unsafe.Sizeof(command.Session{}))
	// goroutineBytes is what a goroutine serving a client costs at least
	// (its starting stack): a client off the event loop has one, an
	// async client two.
	goroutineBytes = 8 << 10
	// watchedKeyBytes, subscriptionBytes and prefixBytes are the
	// bookkeeping per watched key, subscription and tracking prefix: map
	// or slice entries, their headers and a short name.
	watchedKeyBytes   = 64
	subscriptionBytes = 64
	prefixBytes       = 48
	// minClientEvictLimit is Redis's floor on maxmemory-clients (128 KB),
	// so that a tiny setting cannot make the server unreachable.
	minClientEvictLimit = 128 << 10
	// peakSlots is how many seconds client_recent_max_*_buffer look back
	// (Redis's CLIENTS_PEAK_MEM_USAGE_SLOTS).
	peakSlots = 8
)

// clientMem is the server's client memory accounts (srv.mu).
type clientMem struct {
	byType [numMemTypes]int64
	// held is byType without the reply buffers' idle room (heldMem):
	// what maxmemory counts.
	held    [numMemTypes]int64
	evicted int64 // INFO evicted_clients
	// peakIn and peakOut are the largest query and output buffers seen
	// in each of the last peakSlots seconds (slot: unix second mod
	// peakSlots), as Redis's clientsCronTrackExpansiveClients.
	peakIn, peakOut [peakSlots]int64
	peakSec         [peakSlots]int64
}

// clientEvictLimit is the client memory above which clients are evicted
// (0: never), from maxmemory-clients and maxmemory as Redis's
// getClientEvictionLimit: a percentage applies only when maxmemory is set,
// and the result is at least 128 KB.
func clientEvictLimit(maxmemoryClients, maxmemory int64) int64 {
	var lim int64
	switch {
	case maxmemoryClients < 0 && maxmemory > 0:
		lim = int64(float64(maxmemory) * float64(-maxmemoryClients) / 100)
	case maxmemoryClients > 0:
		lim = maxmemoryClients
	default:
		return 0
	}
	return max(lim, minClientEvictLimit)
}

// clientEvictLimit is the limit in force (srv.mu held).
func (s *Server) clientEvictLimit() int64 {
	return clientEvictLimit(s.set.MaxmemoryClients, s.set.MaxmemoryForClients)
}

// holdsSlowReaders reports whether a client that does not read its
// replies should go on being served, its replies piling up in its buffer,
// as in Redis (srv.mu held). That is so when a limit answers the pile:
// maxmemory-clients or an output limit of the normal class closes the
// client, and maxmemory counts its buffer in used_memory, so that keys
// are evicted for it (Redis 7.0's unit/maxmemory "eviction due to output
// buffers of many MGET clients") or writes refused. Without any of them, a
// client whose socket does not take its replies waits for it instead (it
// is not read meanwhile), so a client that pipelines replies it never
// reads cannot grow the server's memory without bound.
func (s *Server) holdsSlowReaders() bool {
	l := s.set.OutputLimits[ClassNormal]
	return l.Hard > 0 || l.Soft > 0 || s.clientEvictLimit() > 0 || s.set.MaxmemoryForClients > 0
}

// memType is the client's account (srv.mu held).
func (c *client) memType() memType {
	switch f := c.sess.Flags; {
	case f&command.FlagMaster != 0:
		return memMaster
	case f&command.FlagReplica != 0 && f&command.FlagMonitor == 0:
		return memReplica
	}
	return memNormal
}

// outputMem is the client's pending output: replies not yet handed to the
// socket and those it has not taken (CLIENT LIST's omem; srv.mu held).
func (c *client) outputMem() int64 { return int64(len(c.w.Buf)) + c.unsent.Load() }

// memUsage is the client's memory, CLIENT LIST's tot-mem (srv.mu held).
// The reply buffers count by capacity, the memory they hold: the one a
// write is sending is the spare (takeOutput), so pending output is in
// them already.
func (c *client) memUsage() int64 {
	n := clientStructBytes + c.queryMem() + int64(c.argTables) + int64(cap(c.w.Buf)) + int64(cap(c.spare))
	n += c.sess.MultiBytes()
	n += int64(c.sess.WatchedKeys()) * watchedKeyBytes
	// By count, not by walking the names: this runs after every push.
	n += int64(c.sess.Subscriptions()) * subscriptionBytes
	n += int64(len(c.trk.prefixes)) * prefixBytes
	bufs, room := c.tlsMem()
	n += bufs + room
	switch c.mode {
	case modeConn, modeDetached:
		if !c.loopDetached { // a replica the loop reads has no goroutine
			n += goroutineBytes
		}
	case modeAsync:
		n += 2 * goroutineBytes
	}
	return n
}

// noteClientMem brings the client's figure in its account up to date
// (srv.mu held). A closing client counts nothing: it is going, and a
// client an output limit closes must not make others be evicted.
func (s *Server) noteClientMem(c *client) {
	var mem, held int64
	t := c.memType()
	if !c.closing && c.mode != modeClosed {
		mem = c.memUsage()
		held = c.heldMem(mem)
		s.notePeaks(c)
	}
	s.cmem.byType[c.memAcctType] -= c.memAcct
	s.cmem.held[c.memAcctType] -= c.memHeld
	s.cmem.byType[t] += mem
	s.cmem.held[t] += held
	c.memAcct, c.memAcctType, c.memHeld = mem, t, held
}

// heldMem is the part of the client's memory mem (memUsage) that
// maxmemory counts: all but the free room of its reply buffers, which
// stay allocated after a burst of replies has been written. Redis counts
// the replies waiting to be written, which are freed once written (its
// fixed 16 KB buffer is in its client's fixed cost); counting the room
// left behind too would make a burst of replies, such as the
// invalidation messages an eviction sends to tracking clients, evict
// more keys long after it was written, and those evictions send more
// messages (Redis 7.0's unit/maxmemory, "client tracking don't cause
// eviction feedback loop").
func (c *client) heldMem(mem int64) int64 {
	_, room := c.tlsMem()
	return mem - int64(cap(c.w.Buf)) - int64(cap(c.spare)) - room + c.outputMem()
}

// tlsMem is a TLS client's connection buffers (tlsconf/bufs.go): bufs, the
// record buffers, held as a query buffer is; room, the capacity of the
// loop's ciphertext buffer, idle room as the reply buffers' is (srv.mu
// held; zeros for a plain client). Records not sent yet off the loop are
// in unsent.
func (c *client) tlsMem() (bufs, room int64) {
	if tc, ok := c.conn.(*tlsconf.Conn); ok {
		return tc.Buffers(), 0
	}
	return loopTLSMem(c.conn)
}

// forgetClientMem takes a dropped client out of its account (srv.mu
// held).
func (s *Server) forgetClientMem(c *client) {
	s.cmem.byType[c.memAcctType] -= c.memAcct
	s.cmem.held[c.memAcctType] -= c.memHeld
	c.memAcct, c.memHeld = 0, 0
}

// notePeaks records the client's buffers in this second's peak slot
// (srv.mu held).
func (s *Server) notePeaks(c *client) {
	sec := time.Now().Unix()
	i := sec % peakSlots
	m := &s.cmem
	if m.peakSec[i] != sec {
		m.peakSec[i], m.peakIn[i], m.peakOut[i] = sec, 0, 0
	}
	m.peakIn[i] = max(m.peakIn[i], c.queryMem()+int64(c.argTables))
	m.peakOut[i] = max(m.peakOut[i], c.outputMem())
}

// recentMaxBuffers is client_recent_max_input_buffer and
// client_recent_max_output_buffer: the largest seen in the last
// peakSlots seconds (srv.mu held).
func (s *Server) recentMaxBuffers() (in, out int64) {
	now := time.Now().Unix()
	m := &s.cmem
	for i := range m.peakSec {
		if now-m.peakSec[i] < peakSlots {
			in, out = max(in, m.peakIn[i]), max(out, m.peakOut[i])
		}
	}
	return in, out
}

// evictClients evicts normal and pub/sub clients, the largest first,
// while their memory is over maxmemory-clients (srv.mu held). Clients with
// CLIENT NO-EVICT on count but are never evicted. It is called wherever a
// client's figure grows (see noteClientMem's callers) and when the
// setting changes.
func (s *Server) evictClients() {
	lim := s.clientEvictLimit()
	if lim == 0 || s.cmem.byType[memNormal] <= lim {
		return
	}
	// The account may be stale (a write drained a buffer since): refresh
	// every client before deciding.
	var cands []*client
	for _, cl := range s.clients {
		s.noteClientMem(cl)
		if cl.memAcct > 0 && cl.memAcctType == memNormal && cl.sess.Flags&command.FlagNoEvict == 0 {
			cands = append(cands, cl)
		}
	}
	if s.cmem.byType[memNormal] <= lim {
		return
	}
	slices.SortFunc(cands, func(a, b *client) int { return cmp.Compare(b.memAcct, a.memAcct) })
	for _, cl := range cands {
		if s.cmem.byType[memNormal] <= lim {
			return
		}
		s.log.Noticef("Evicting client: %s", cl.info())
		cl.closeFor(CloseEvicted)
		cl.conn.Close()
		s.noteClientMem(cl) // closing: out of the account
		s.cmem.evicted++
	}
	if s.cmem.byType[memNormal] > lim {
		s.log.Warningf("Over client maxmemory after evicting all evictable clients")
	}
}

// ClientMemory is the memory of the clients as maxmemory counts it
// (srv.mu held), as of the last update of each client's figure:
// counted is normal and pub/sub clients and our master's link, which
// Redis's used_memory includes and compares with maxmemory; replicas is
// the replicas' (mem_clients_slaves), which Redis does not compare with
// maxmemory (their output is the replication buffer).
func (s *Server) ClientMemory() (counted, replicas int64) {
	return s.cmem.held[memNormal] + s.cmem.held[memMaster], s.cmem.held[memReplica]
}

// clientMemCron refreshes every client's figure, as Redis's client cron
// does, and evicts if the limit is passed (srv.mu held).
func (s *Server) clientMemCron() {
	s.refreshClientMem()
	s.evictClients()
}

// refreshClientMem brings every client's figure up to date (srv.mu held).
func (s *Server) refreshClientMem() {
	for _, cl := range s.clients {
		s.noteClientMem(cl)
	}
}

// holdIfLimited moves a client on its own goroutine to a writer goroutine
// when slow readers are to be held (holdsSlowReaders; srv.mu held): its
// replies then pile up in its buffer while the socket does not take them,
// and it goes on being read, so that its output limit or client eviction
// closes it as Redis would, instead of it waiting on its socket. Only once
// its socket did not take its replies at once (writeOrHold,
// holdHandedOutput); a client in a reply sent in slices keeps writing its
// slices itself.
func (c *client) holdIfLimited() {
	if c.mode == modeConn && !c.closing && c.sess.Stream == nil && c.srv.holdsSlowReaders() {
		c.startAsync()
	}
}

// pileStopped reports whether a held client is to be left unread until
// its replies drain (srv.mu held): a normal client held for maxmemory's
// sake alone (no output limit of its class, no maxmemory-clients: nothing
// would close it), with replies pending, while the memory is over
// maxmemory and nothing is left to evict. Redis goes on reading such a
// client and its replies grow without bound; Tandem waits for its socket
// instead, as it does for a slow reader when no limit applies at all.
// While keys can be evicted the replies pile up as in Redis, evicting
// keys for them.
func (c *client) pileStopped() bool {
	s := c.srv
	if c.closing || c.outputMem() == 0 || c.class() != ClassNormal || s.parts.Memory == nil {
		return false
	}
	l := s.set.OutputLimits[ClassNormal]
	if l.Hard > 0 || l.Soft > 0 || s.clientEvictLimit() > 0 || s.set.MaxmemoryForClients == 0 {
		return false
	}
	return s.parts.Memory.OutOfMemory()
}

// pileRecheck is how often a reader waiting for its replies to drain looks
// again at the memory (keys deleted, the limit raised) when its socket
// takes nothing.
const pileRecheck = 100 * time.Millisecond

// waitForPile holds an async client's goroutine, before it runs what it
// has read, while pileStopped says so: until its writer drains its
// replies or the memory is back under the limit (srv.mu not held). Its
// socket is read meanwhile (startReadBehind), so that a client that sends
// its whole pipeline before reading cannot wait on the server while the
// server waits on it. Each batch's replies stop at maxBatchOutput, so a
// client runs at most that much past the moment the limit was found
// passed.
func (c *client) waitForPile() {
	s := c.srv
	var t *time.Timer
	var stopReading func() bool
	for {
		s.mu.Lock()
		stop := c.pileStopped()
		s.mu.Unlock()
		if !stop {
			break
		}
		if t == nil {
			t = time.NewTimer(pileRecheck)
			defer t.Stop()
			stopReading = c.startReadBehind()
			defer stopReading()
		} else {
			// Reset discards a value the timer may have left (Go 1.23's
			// timers), so no stale wake-up follows a drained one.
			t.Reset(pileRecheck)
		}
		select {
		case <-c.drained:
		case <-t.C:
		}
	}
}

// holdWait is how long writeOrHold lets the socket take a batch's replies
// before it hands the rest to a writer goroutine.
const holdWait = time.Millisecond

// writeOrHold writes a batch's replies (the connection's goroutine, srv.mu
// not held), as write does; but while slow readers are held, a socket that
// does not take them within holdWait gets the rest through a writer
// goroutine (holdIfLimited), and the connection goes on being read. When
// they are not held and readBehind is set, the socket is read meanwhile
// instead (writeReadingBehind); fed reports that requests arrived so.
//
// A TLS connection's deadline is not set on its tls.Conn: a write cut by
// it may have sent part of a record and fails every later write (crypto/tls
// makes the error permanent). writeOrHoldTLS encrypts first and holds the
// records instead; where it cannot (other systems), a TLS client's write
// blocks, as write does.
func (c *client) writeOrHold(out []byte, readBehind bool) (fed bool, err error) {
	s := c.srv
	s.mu.Lock()
	_, isTLS := c.conn.(*tlsconf.Conn)
	hold := c.mode == modeConn && s.holdsSlowReaders()
	s.mu.Unlock()
	if !hold {
		if readBehind {
			return c.writeReadingBehind(out)
		}
		return false, c.write(out)
	}
	if isTLS {
		if ok, err := c.writeOrHoldTLS(out); ok {
			return false, err
		}
		return false, c.write(out)
	}
	n, err := c.writeWithin(out, holdWait)
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return false, err
	}
	if !c.holdHandedOutput(out[n:]) {
		return false, c.write(out[n:]) // not to be held after all (closing, a stream)
	}
	return false, nil
}

// writeWithin writes out, as write does, but gives the socket at most d to
// take it (srv.mu not held): it returns how much was taken, and
// os.ErrDeadlineExceeded when that was not all. Another failure closes the
// connection. A TLS connection must not be written to so (see
// writeOrHold).
func (c *client) writeWithin(out []byte, d time.Duration) (int, error) {
	s := c.srv
	c.writeMu.Lock()
	c.unsent.Store(int64(len(out)))
	c.conn.SetWriteDeadline(time.Now().Add(d))
	n, err := c.conn.Write(out)
	c.conn.SetWriteDeadline(time.Time{})
	c.unsent.Store(0)
	c.writeMu.Unlock()
	s.stats.netOut.Add(int64(n))
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		s.mu.Lock()
		c.noteClose(CloseWriteError)
		s.mu.Unlock()
		c.conn.Close()
	}
	return n, err
}

// holdHandedOutput is holdIfLimited for a client the event loop handed
// over with replies its socket did not take (runConn; srv.mu not held):
// true when the replies were given to a writer goroutine, false when the
// caller is to write them.
func (c *client) holdHandedOutput(out []byte) bool {
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	c.holdIfLimited()
	if c.mode != modeAsync {
		return false
	}
	// out is the spare's array (takeOutput): it becomes the buffer.
	c.w.Buf = append(out, c.w.Buf...)
	c.spare = nil
	if !c.checkOutputLimit() {
		s.noteClientMem(c)
		s.evictClients()
	}
	c.kickLocked()
	return true
}

// noteReader copies the reader's figures for CLIENT LIST and the memory
// account (the reader's owner, srv.mu held).
func (c *client) noteReader() {
	c.qbufLen, c.qbufCap = c.rd.Buffered(), c.rd.Cap()
	c.qbufParsed, c.qbufAwaited = c.rd.BigArg()
	c.argTables = c.rd.ArgTablesCap()
}

// queryMem is the query buffer's size as counted: a big argument counts
// for its announced size as soon as its header is read, as Redis sizes
// its buffer for it then (srv.mu held).
func (c *client) queryMem() int64 {
	return int64(max(c.qbufCap, c.qbufLen+c.qbufAwaited))
}
