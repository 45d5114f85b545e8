package server

import (
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// A batch: every complete command in a client's read buffer, run in one
// hold of the server lock, its replies taken out in the same hold. The
// event loop and the goroutine path (conn.go) both serve clients in
// batches.

// batchEnd is why runBuffered stopped, and so what the connection does
// next. It replaces flags that lived on the client between two calls.
type batchEnd uint8

const (
	// batchDrained: no complete command is left in the buffer (or the
	// client blocked, or a reply in slices started: client.blocked and
	// sess.Stream say so): read more, or wait.
	batchDrained batchEnd = iota
	// batchFull: the replies reached maxBatchOutput with commands still
	// buffered: write them, then run on without reading.
	batchFull
	// batchPaused: CLIENT PAUSE is in force and the client is on the
	// event loop, which must not wait: it continues on the goroutine path.
	batchPaused
	// batchClose: close the connection once the replies are written
	// (closeReason says why).
	batchClose
)

// maxBatchOutput is how large a batch's replies may grow before the
// batch yields the server lock to write them: a client that pipelines big
// replies and does not read them then blocks only itself.
const maxBatchOutput = 1 << 20

// runBuffered executes every complete command in the read buffer under the
// server lock and takes the replies out in the same hold of the lock (one
// lock round per batch). It stops early when the client blocks or must
// close, and says why it stopped (batchEnd). The returned bytes are for the
// caller to write; async and detached clients return none. A loop client
// that must wait from now on leaves the loop here (see connMode).
func (c *client) runBuffered() (out []byte, end batchEnd) {
	s := c.srv
	s.lockForClient()
	s.clientBatch = true
	s.running = c
	s.eng.ChainClock(true)
	defer func() {
		s.eng.ChainClock(false)
		if len(s.trk.prefixes) > 0 {
			s.trackBroadcast() // BCAST: once per batch, as Redis once per event loop turn
		}
		s.clientBatch = false
		s.running = nil
		if c.mode == modeLoop && (end == batchFull || end == batchPaused || c.sess.Stream != nil ||
			c.sess.Blocked() && !s.loop.keepsBlocked(c)) {
			s.loop.convert(c)
		}
		out = c.collectOutput()
		c.noteReader()
		s.noteClientMem(c)
		s.evictClients()
		c.blocked = c.sess.Blocked()
		c.blockDeadline = c.sess.BlockDeadline()
		c.queryLimit = s.set.ClientQueryBufferLimit
		s.mu.Unlock()
	}()
	c.lastIO = time.Now()
	if p := s.set.WatchdogPeriod; p != s.wdPeriod || p > 0 {
		s.wdPeriod = p
		s.watchdogPeriod.Store(int64(p))
		if p > 0 {
			s.wd.batchStart.Store(c.lastIO.UnixNano())
			defer s.wd.batchStart.Store(0)
		}
	}
	// proto-max-bulk-len applies to connections already open, as in
	// Redis (CONFIG SET changes it under srv.mu).
	c.rd.MaxBulk = s.set.ProtoMaxBulkLen
	// The read that led here may have grown the query buffer: counted
	// (and the clients' memory held to maxmemory-clients) before anything
	// runs, as Redis counts a client after each read.
	c.noteReader()
	s.noteClientMem(c)
	s.evictClients()
	// What CLIENT LIST shows as qbuf while the batch runs: everything the
	// last read brought, the running command included, as Redis shows its
	// query buffer until the batch is done.
	inBatch := c.rd.Buffered()
	for !c.sess.Blocked() && !c.closing && c.sess.Stream == nil {
		if c.mode == modeLoop && s.pauseActive() {
			end = batchPaused
			break
		}
		// Decided at each request, as Redis does: CONFIG SET requirepass ""
		// lifts the limits from clients that never authenticated.
		c.rd.Unauth = !c.sess.Authed && s.authRequired()
		perr := c.rd.Next()
		if perr == resp.ErrIncomplete {
			break
		}
		// A type assertion, not errors.As: that would allocate per request.
		if pe, ok := perr.(*resp.ProtocolError); ok {
			s.log.Verbosef("Protocol error (%s) from client: %s", pe.Msg, c.info())
			c.w.Error("ERR " + pe.Error())
			c.noteClose(CloseProtocolError)
			return nil, batchClose
		}
		if len(c.rd.Args) == 0 {
			if c.rd.Inline && c.sess.Flags&command.FlagReplica != 0 && s.parts.Repl != nil {
				s.parts.Repl.ReplicaNewline(&c.sess)
			}
			continue
		}
		if s.pauseActive() {
			c.waitPause()
		}
		c.qbufLen, c.qbufCap = inBatch, c.rd.Cap()
		c.qbufParsed, c.qbufAwaited = 0, 0
		// A reply in slices needs the blocking writes of this goroutine
		// (or of the one the loop hands the client to).
		c.sess.CanStream = c.mode.writesOwnReplies()
		s.eng.Call(&c.sess, c.rd.Args)
		if c.checkOutputLimit() {
			return nil, batchClose
		}
		if c.sess.Flags&command.FlagCloseAfterReply != 0 {
			// QUIT, unless the command that asked for the close said why.
			c.noteClose(CloseQuit)
			return nil, batchClose
		}
		if len(c.w.Buf) >= maxBatchOutput {
			end = batchFull
			break
		}
	}
	if c.closing {
		return nil, batchClose
	}
	return nil, end
}

// collectOutput hands the batch's replies over (srv.mu held): async
// clients get their writer kicked, detached ones drop theirs, others take
// the buffer. (The AOF write and fsync come later, in endRound's barrier,
// before any reply of the round leaves.)
func (c *client) collectOutput() []byte {
	switch c.mode {
	case modeAsync:
		c.kickLocked()
		return nil
	case modeDetached:
		c.w.Buf = c.w.Buf[:0]
		return nil
	}
	return c.takeOutput()
}

// waitPause holds a command while CLIENT PAUSE applies to it (srv.mu held
// on entry and exit; released while waiting).
func (c *client) waitPause() {
	s := c.srv
	// A client held by a pause counts in INFO's blocked_clients, as in
	// Redis (its clients wait in the BLOCKED_PAUSE state).
	counted := false
	defer func() {
		if counted {
			s.pausedClients--
		}
	}()
	for {
		if s.closing.Load() || s.stopping.Load() {
			return // the command is refused now (gate): nothing waits out a pause
		}
		spec := s.eng.Table.Lookup(c.rd.Args[0])
		if spec == nil {
			return
		}
		// A command with the wrong number of arguments is answered at
		// once: Redis checks arity before the pause.
		if n := len(c.rd.Args); (spec.Arity > 0 && n != spec.Arity) || n < -spec.Arity {
			return
		}
		// A script that declares no-writes is not held by a write pause
		// (its flags, not EVAL's, as Redis's processCommand checks them).
		d := s.pausedFor(&c.sess, spec.Gated(c.rd.Args))
		if d <= 0 {
			return
		}
		if d > 20*time.Millisecond {
			d = 20 * time.Millisecond
		}
		if !counted {
			counted = true
			s.pausedClients++
		}
		// The batch's earlier commands must not wait for the pause.
		// Others run commands meanwhile, and time passes: the clock chain
		// stops here and starts afresh after.
		s.eng.ChainClock(false)
		s.clientBatch = false
		s.mu.Unlock()
		s.afterRound() // no replies to write: they wait for the pause
		time.Sleep(d)
		s.mu.Lock()
		s.clientBatch = true
		s.eng.ChainClock(true)
	}
}

// takeOutput swaps out the reply buffer (srv.mu held), keeping a spare so
// steady-state traffic allocates nothing.
func (c *client) takeOutput() []byte {
	out := c.w.Buf
	c.w.Buf = c.spare[:0]
	c.spare = out
	c.noteReplySize(out)
	return out
}
