package repl

// The link machine's sync: the handshake, the PSYNC answer, a partial
// resync, and a full sync from the payload's header to the stream, with
// the payload's framing. The machine itself is in linkmachine.go.

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/resp"
)

// handshake reads the replies to PING, then to AUTH and the REPLCONFs,
// and sends PSYNC once every one was read (a Redis master refuses PSYNC
// with replies pending).
func (sm *linkMachine) handshake(w world, ev event, o *out) {
	line, ok := sm.replyLine(w, ev, o, "Master did not respond to command during SYNC handshake")
	if !ok {
		return
	}
	if sm.phase == phPing {
		if !pingReplyOK(line) {
			sm.fail(o, "Error reply to PING from master: '%s'", quoteLine(line))
			return
		}
		o.log(logNotice, "Master replied to PING, replication can continue...")
		cfg := sm.attempt
		var burst []byte
		sm.steps = sm.steps[:0]
		if cfg.auth != "" {
			if cfg.user != "" {
				burst = resp.AppendCommand(burst, []byte("AUTH"), []byte(cfg.user), []byte(cfg.auth))
			} else {
				burst = resp.AppendCommand(burst, []byte("AUTH"), []byte(cfg.auth))
			}
			sm.steps = append(sm.steps, "auth")
		}
		burst = resp.AppendCommand(burst, []byte("REPLCONF"), []byte("listening-port"), []byte(fmt.Sprint(cfg.port)))
		sm.steps = append(sm.steps, "listening-port")
		if cfg.announceIP != "" {
			burst = resp.AppendCommand(burst, []byte("REPLCONF"), []byte("ip-address"), []byte(cfg.announceIP))
			sm.steps = append(sm.steps, "ip-address")
		}
		burst = resp.AppendCommand(burst, []byte("REPLCONF"), []byte("capa"), []byte("eof"), []byte("capa"), []byte("psync2"))
		sm.steps = append(sm.steps, "capa")
		sm.phase = phHandshake
		o.add(action{kind: actSend, gen: sm.gen, data: burst})
		o.add(action{kind: actReadLine, gen: sm.gen, d: handshakeTimeout})
		return
	}
	step := sm.steps[0]
	sm.steps = sm.steps[1:]
	if strings.HasPrefix(line, "-") {
		if step == "auth" {
			sm.fail(o, "Unable to AUTH to MASTER: %s", quoteLine(line))
			return
		}
		o.log(logNotice, "(Non critical) Master does not understand REPLCONF %s: %s", step, quoteLine(line))
	}
	if len(sm.steps) > 0 {
		o.add(action{kind: actReadLine, gen: sm.gen, d: handshakeTimeout})
		return
	}
	// PSYNC with what we remember, or ask for everything.
	var psync []byte
	sm.psyncFloor = 0
	if c := sm.cached; c != nil {
		o.log(logNotice, "Trying a partial resynchronization (request %s:%d).", c.replID, c.offset+1)
		if c.noData > 0 && c.noData <= c.offset && !sm.failover {
			// Our last bytes change no data: the master may resume us
			// before them (rewind.go).
			sm.psyncFloor = c.offset + 1 - c.noData
			psync = resp.AppendCommand(nil, []byte("PSYNC"), []byte(c.replID), []byte(fmt.Sprint(c.offset+1)),
				[]byte(rewindArg), []byte(fmt.Sprint(sm.psyncFloor)))
		} else {
			psync = resp.AppendCommand(nil, []byte("PSYNC"), []byte(c.replID), []byte(fmt.Sprint(c.offset+1)))
		}
	} else {
		o.log(logNotice, "Partial resynchronization not possible (no cached master)")
		psync = resp.AppendCommand(nil, []byte("PSYNC"), []byte("?"), []byte("-1"))
	}
	if sm.failover {
		// Our FAILOVER chose this master: PSYNC ... FAILOVER makes it
		// promote itself before it answers.
		psync = psync[:0]
		if c := sm.cached; c != nil {
			psync = resp.AppendCommand(psync, []byte("PSYNC"), []byte(c.replID), []byte(fmt.Sprint(c.offset+1)), []byte("FAILOVER"))
		} else {
			psync = resp.AppendCommand(psync, []byte("PSYNC"), []byte("?"), []byte("-1"), []byte("FAILOVER"))
		}
	}
	sm.psyncFailover = sm.failover
	sm.psyncAsked = sm.cached != nil
	sm.phase = phPsync
	o.add(action{kind: actSend, gen: sm.gen, data: psync})
	o.add(action{kind: actReadLine, gen: sm.gen, d: sm.attempt.timeout})
}

// psyncReply acts on the master's answer to PSYNC (§1.4 of the spec).
func (sm *linkMachine) psyncReply(w world, ev event, o *out) {
	if sm.psyncFailover {
		sm.failoverReply(w, ev, o)
		return
	}
	line, ok := sm.replyLine(w, ev, o, "Master did not reply to PSYNC")
	if !ok {
		return
	}
	if line == "" {
		// A keepalive newline while the master prepares the full sync.
		o.add(action{kind: actReadLine, gen: sm.gen, d: sm.attempt.timeout})
		return
	}
	reply, err := parsePSYNCReply(line, sm.psyncAsked)
	if err != nil {
		sm.fail(o, "%s", err.Error())
		return
	}
	sm.psyncAnswered(w, line, reply, o)
}

// psyncAnswered acts on a parsed PSYNC answer.
func (sm *linkMachine) psyncAnswered(w world, line string, reply psyncReply, o *out) {
	switch reply.action {
	case psyncFull:
		o.log(logNotice, "Full resync from master: %s:%d", reply.replID, reply.offset)
		sm.awaitHeader(w, reply.replID, reply.offset, o)
	case psyncContinue:
		o.log(logNotice, "Successful partial resynchronization with master.")
		sm.continueSync(w, reply.replID, reply.from, o)
	case psyncLater:
		sm.fail(o, "Master is currently unable to PSYNC but should be in the future: %s", quoteLine(line))
	default:
		if strings.HasPrefix(line, "-ERR") {
			o.log(logNotice, "Master does not support PSYNC or is in error state (reply: %s)", quoteLine(line))
		} else {
			o.log(logNotice, "Unexpected reply to PSYNC from master: %s", quoteLine(line))
		}
		o.log(logNotice, "Retrying with SYNC...")
		o.add(action{kind: actSend, gen: sm.gen, data: []byte("SYNC\r\n")})
		sm.awaitHeader(w, "", 0, o)
	}
}

// continueSync resumes on the same history, or learns the master's new
// ID and keeps the old one as our secondary.
// from, when not 0, is where the master resumes us, before our offset
// (REWIND, rewind.go): the bytes we hold from there on changed no data
// and are dropped.
func (sm *linkMachine) continueSync(w world, newID string, from int64, o *out) {
	c := sm.cached
	if c == nil {
		// parsePSYNCReply refuses +CONTINUE when we sent no history.
		sm.fail(o, "Master accepted a partial resynchronization we did not ask for")
		return
	}
	if from != 0 {
		if sm.psyncFloor == 0 {
			sm.fail(o, "Master resumed the partial resynchronization at offset %d, which we did not offer", from)
			return
		}
		if from < sm.psyncFloor || from > c.offset+1 {
			sm.fail(o, "Master resumed the partial resynchronization at offset %d, outside %d..%d", from, sm.psyncFloor, c.offset+1)
			return
		}
		if dropped := c.offset + 1 - from; dropped > 0 {
			o.log(logNotice, "MASTER <-> REPLICA sync: the master resumes at offset %d: dropping our last %d bytes, which changed no data.", from, dropped)
		}
		sm.reploff = from - 1
	}
	id := w.id
	if newID != "" && newID != c.replID {
		o.log(logNotice, "Master replication ID changed to %s", newID)
		id.ID2, id.SecondOffset, id.ID = c.replID, sm.reploff+1, newID
		o.add(action{kind: actDisconnectReplicas})
	} else {
		id.ID = c.replID
	}
	id.Offset = sm.reploff
	o.add(action{kind: actSetID, id: id})
	sm.readOff = sm.reploff
	o.add(action{kind: actBacklogAt, n: sm.reploff})
	sm.phase = phConnected
	sm.downSince = time.Time{}
	sm.cached = nil
	o.log(logNotice, "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
	o.add(action{kind: actStream, gen: sm.gen})
}

// awaitHeader starts a full sync: the payload's header comes next, maybe
// after keepalive newlines. replID is "" for the old SYNC.
func (sm *linkMachine) awaitHeader(w world, replID string, off int64, o *out) {
	sm.phase = phHeader
	sm.lastIO = w.now
	sm.full = fullSyncState{replID: replID, offset: off}
	o.add(action{kind: actReadLine, gen: sm.gen, d: sm.attempt.timeout})
}

// header reads the payload's header and picks where the payload goes: a
// temp file (the old data serves reads until the whole payload is here,
// as Redis's disk load does) or straight into a parser (repl-diskless-load).
func (sm *linkMachine) header(w world, ev event, o *out) {
	switch ev.kind {
	case evLineTooLong:
		sm.fail(o, "Bad protocol from MASTER: %v", errLineTooLong)
		return
	case evReadError:
		sm.fail(o, "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.")
		return
	case evLine:
	default:
		return
	}
	sm.lastIO = w.now
	if ev.text == "" {
		o.add(action{kind: actReadLine, gen: sm.gen, d: sm.attempt.timeout})
		return
	}
	h, err := parsePayloadHeader(ev.text)
	if err != nil {
		sm.fail(o, "%s", err.Error())
		return
	}
	mode := w.cfg.disklessLoad
	socket := mode == config.DisklessLoadSwapDB || (mode == config.DisklessLoadOnEmptyDB && w.empty)
	to := "to disk"
	if socket {
		to = "to parser" // Redis's words for a load straight from the socket
	}
	if h.mark != nil {
		o.log(logNotice, "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF %s", to)
	} else {
		o.log(logNotice, "MASTER <-> REPLICA sync: receiving %d bytes from master %s", h.size, to)
	}
	sm.full.hdr = h
	sm.syncTotal, sm.syncRead = max(h.size, 0), 0
	if socket {
		o.log(logNotice, "MASTER <-> REPLICA sync: Loading DB in memory")
		if mode == config.DisklessLoadSwapDB && sm.full.replID != "" && sm.full.replID == w.id.ID {
			sm.raiseLoadFlag(lfAsync, o)
		} else {
			sm.raiseLoadFlag(lfLoading, o)
		}
		sm.full.disk = false
		sm.loading = true
		sm.phase = phLoading
		sm.full.loadStart = w.now
		o.add(action{kind: actKeepAlive, gen: sm.gen, flag: true})
		o.add(sm.loadAction(h))
		return
	}
	sm.full.disk = true
	sm.full.framer = payloadFramer{hdr: h}
	sm.phase = phTransfer
	o.add(action{kind: actReceiveFile, gen: sm.gen})
	if sm.full.framer.done() { // $0
		sm.store(o)
		return
	}
	o.add(sm.readPayload())
}

// store begins the replica's own work on a received payload: fsync, the
// DEBUG REPLICA-SYNC-DELAY stall, the flush and the load. The master
// counts our silence from the end of its transfer, so newlines keep it
// patient from now until the link is up (Redis sends them while it
// flushes and loads; its fsync at the end is short because it syncs the
// file as it arrives). None of it counts against repl-timeout here
// either (tick).
func (sm *linkMachine) store(o *out) {
	sm.phase = phStore
	o.add(action{kind: actKeepAlive, gen: sm.gen, flag: true})
	o.add(action{kind: actStore, gen: sm.gen})
}

// loadAction is the load of the payload, from the file or the socket.
func (sm *linkMachine) loadAction(h payloadHeader) action {
	a := action{kind: actLoad, gen: sm.gen, flag: !sm.full.disk, n: h.size, text: string(h.mark), d: sm.attempt.timeout}
	if sm.loadPanic {
		sm.loadPanic = false
		a.host = "panic"
	}
	return a
}

func (sm *linkMachine) readPayload() action {
	return action{kind: actReadPayload, gen: sm.gen, n: sm.full.framer.want(), d: sm.attempt.timeout}
}

// transfer covers a full sync from the first payload byte to the stream.
func (sm *linkMachine) transfer(w world, ev event, o *out) {
	f := &sm.full
	switch {
	case sm.phase == phTransfer && ev.kind == evPayload:
		sm.lastIO = w.now
		sm.syncRead += int64(len(ev.data))
		data, done := f.framer.feed(ev.data)
		if len(data) > 0 {
			o.add(action{kind: actWriteFile, gen: sm.gen, data: data})
		}
		if done {
			sm.store(o)
			return
		}
		o.add(sm.readPayload())
	case sm.phase == phTransfer && ev.kind == evReadError:
		text := ev.text
		if text == "EOF" {
			text = "unexpected EOF" // the payload ended early
		}
		sm.fail(o, "I/O error trying to sync with MASTER: %s", text)
	case (sm.phase == phTransfer || sm.phase == phStore) && ev.kind == evFileError:
		if ev.flag {
			sm.fail(o, "Opening the temp file needed for MASTER <-> REPLICA synchronization: %s", ev.text)
		} else {
			sm.fail(o, "%s", ev.text)
		}
	case sm.phase == phStore && ev.kind == evStored:
		sm.stall(w, o)
	case sm.phase == phDelay && ev.kind == evDelayDone:
		sm.afterStall(w, o)
	case sm.phase == phLoading && (ev.kind == evLoaded || ev.kind == evLoadFailed):
		sm.loaded(w, ev, o)
	}
}

// stall applies DEBUG REPLICA-SYNC-DELAY between the stored payload and
// the load (disk), or between the load and the swap (socket), as a slow
// disk or CPU would, so tests can replace the link there.
func (sm *linkMachine) stall(w world, o *out) {
	if sm.syncDelay <= 0 {
		sm.phase = phDelay
		sm.afterStall(w, o)
		return
	}
	o.log(logNotice, "MASTER <-> REPLICA sync: payload received; stalling %v (DEBUG REPLICA-SYNC-DELAY)", sm.syncDelay)
	sm.phase = phDelay
	o.add(action{kind: actDelay, gen: sm.gen, d: sm.syncDelay})
}

// afterStall is the point of no return: the old history goes, then the
// disk load flushes the data and loads, the socket load swaps its
// databases in.
func (sm *linkMachine) afterStall(w world, o *out) {
	f := &sm.full
	o.log(logNotice, "Discarding previously cached master state.")
	sm.cached = nil
	o.add(action{kind: actDropHistory})
	if f.disk {
		o.log(logNotice, "MASTER <-> REPLICA sync: Flushing old data")
		o.add(action{kind: actFlush, flag: true})
		o.log(logNotice, "MASTER <-> REPLICA sync: Loading DB in memory")
		sm.raiseLoadFlag(lfLoading, o)
		sm.loading = true
		sm.phase = phLoading
		sm.full.loadStart = w.now
		o.add(sm.loadAction(f.hdr))
		return
	}
	o.add(action{kind: actSwap})
	sm.dropLoadFlag(o)
	o.log(logNotice, "Done loading RDB, keys loaded: %d, keys expired: %d.", f.res.keys, f.res.expired)
	o.log(logNotice, "MASTER <-> REPLICA sync: Loaded the DB from the socket in %.3f seconds", w.now.Sub(f.loadStart).Seconds())
	sm.finish(w, o)
}

// loaded acts on the end of a load.
func (sm *linkMachine) loaded(w world, ev event, o *out) {
	f := &sm.full
	if f.disk {
		sm.dropLoadFlag(o)
		sm.loading = false
		if ev.kind == evLoadFailed {
			o.log(logWarning, "Failed trying to load the MASTER synchronization DB from disk: %s", ev.text)
			sm.fail(o, "%s", ev.text)
			return
		}
		res := ev.load
		if res.redisVer != "" {
			o.log(logNotice, "Loading RDB produced by version %s", quoteLine(res.redisVer))
		}
		o.log(logNotice, "Done loading RDB, keys loaded: %d, keys expired: %d.", res.keys, res.expired)
		o.log(logNotice, "DB loaded from disk: %.3f seconds", w.now.Sub(f.loadStart).Seconds())
		f.res = res
		sm.finish(w, o)
		return
	}
	if ev.kind == evLoadFailed {
		if ev.flag {
			// Redis's loader says this of a payload cut short (the
			// master went away): tools and Redis's own tests wait for it.
			o.log(logWarning, "Internal error in RDB reading offset %d, function at rdb.go -> Unexpected EOF reading RDB file. Failure loading rdb format from socket, assuming connection error, resuming operation.", ev.at)
		}
		sm.fail(o, "Failed trying to load the MASTER synchronization DB from socket: %s", ev.text)
		return
	}
	res := ev.load
	if f.hdr.mark != nil {
		if res.trailerErr != "" || !bytes.Equal(res.trailer, f.hdr.mark) {
			sm.fail(o, "Replication stream EOF marker is broken")
			return
		}
	} else if res.trailerErr != "" {
		sm.fail(o, "%s", res.trailerErr)
		return
	}
	f.res = res
	sm.stall(w, o)
}

// finish makes the link the master client after a load: the history and
// offset are the master's (from +FULLRESYNC, not from the RDB), a fresh
// backlog starts there. The load's time does not count against
// repl-timeout: the last interaction with the master is now.
func (sm *linkMachine) finish(w world, o *out) {
	f := &sm.full
	db := int64(0)
	if v := f.res.streamDB; v >= 0 && v < int64(w.numDBs) {
		db = v
	}
	o.add(action{kind: actMasterSession, n: db})
	id := w.id
	if f.replID != "" {
		id.ID = f.replID
	}
	id.ClearSecond()
	id.Offset = f.offset
	o.add(action{kind: actSetID, id: id})
	sm.reploff, sm.readOff = f.offset, f.offset
	o.add(action{kind: actNewBacklog})
	sm.phase = phConnected
	sm.downSince = time.Time{}
	sm.lastIO = w.now
	sm.loading = false
	o.add(action{kind: actAfterFullSync})
	o.log(logNotice, "MASTER <-> REPLICA sync: Finished with success")
	// Our ACKs keep the master patient from now on.
	o.add(action{kind: actKeepAlive, gen: sm.gen, flag: false})
	if f.hdr.mark != nil {
		// The master waits for this ACK before it streams (§2.5).
		o.add(action{kind: actAck, gen: sm.gen, n: f.offset})
	}
	o.add(action{kind: actStream, gen: sm.gen})
}

// payloadFramer delimits the RDB payload in the bytes read after its
// header: exactly hdr.size bytes, or everything before the 40-byte mark
// in the EOF form (the mark is not part of the RDB). In the EOF form the
// last 40 bytes read are held back until known not to be the mark, which
// may arrive split across reads.
type payloadFramer struct {
	hdr  payloadHeader
	got  int64  // bytes taken (length form)
	tail []byte // bytes read, from the first not yet returned (EOF form)
	sent int    // the head of tail the last feed returned
}

// framerRead is how much an EOF-form transfer reads at once.
const framerRead = 64 << 10

// want is how many bytes the next read may take: never past the end of
// a length-form payload (the stream follows it at once).
func (f *payloadFramer) want() int64 {
	if f.hdr.mark == nil {
		return min(f.hdr.size-f.got, framerRead)
	}
	return framerRead
}

// feed takes bytes read and returns those that belong to the RDB (valid
// until the next feed) and whether the payload is complete. In the EOF
// form, a read whose end is the mark completes it: the master sends
// nothing past the mark before our first ACK.
func (f *payloadFramer) feed(p []byte) ([]byte, bool) {
	if f.hdr.mark == nil {
		p = p[:min(int64(len(p)), f.hdr.size-f.got)]
		f.got += int64(len(p))
		return p, f.got == f.hdr.size
	}
	mark := f.hdr.mark
	if f.sent > 0 {
		// What the last feed returned was written: keep the held-back
		// bytes only (at most the mark's length), one copy per read.
		f.tail = append(f.tail[:0], f.tail[f.sent:]...)
		f.sent = 0
	}
	f.tail = append(f.tail, p...)
	n := len(f.tail)
	if n >= len(mark) && bytes.Equal(f.tail[n-len(mark):], mark) {
		f.sent = n
		return f.tail[:n-len(mark)], true
	}
	if n <= len(mark) {
		return nil, false
	}
	f.sent = n - len(mark)
	return f.tail[:f.sent], false
}

// done reports whether a length-form payload is complete before any read
// ($0).
func (f *payloadFramer) done() bool { return f.hdr.mark == nil && f.got == f.hdr.size }

// replyLine takes the master's reply line from ev (refreshing the link's
// last I/O time), or fails the link with failure and the read error when
// the read went wrong; other events are not for this phase (ok false).
func (sm *linkMachine) replyLine(w world, ev event, o *out, failure string) (line string, ok bool) {
	switch ev.kind {
	case evReadError, evLineTooLong:
		text := ev.text
		if ev.kind == evLineTooLong {
			text = errLineTooLong.Error()
		}
		if strings.HasSuffix(text, "i/o timeout") {
			// The master went quiet for the whole deadline: Redis's cron
			// says it so when a handshake outlasts repl-timeout.
			sm.fail(o, "Timeout connecting to the MASTER...")
			return "", false
		}
		sm.fail(o, failure+": %s", text)
		return "", false
	case evLine:
		sm.lastIO = w.now
		return ev.text, true
	}
	return "", false
}
