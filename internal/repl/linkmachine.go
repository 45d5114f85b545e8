package repl

import (
	"fmt"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/resp"
)

// linkMachine is the replica side of replication as a state machine, in
// the manner of etcd's raft package: it takes events (a REPLICAOF, a line
// or payload bytes read from the master, a load's result, a cron tick) and
// returns actions (send these bytes, read a line within 5 s, flush the
// data, load, set the replication ID, log). It does no I/O, starts no
// goroutine and reads no clock: the time and everything it needs from the
// rest of the server come in a world value with each step. The driver
// (replica.go, fullsync.go) performs the actions; testdata/replica holds
// scripts of events and the actions they must produce.
//
// One machine serves an instance for its whole life. Each REPLICAOF
// starts a new link, numbered by gen; the link it replaces may still be
// blocked in a read, a dial or a load, and whatever it reports afterwards
// is answered by winding it down (retired), so an abandoned sync never
// touches the dataset or the replication state.
//
// The machine's fields are guarded by the server lock: INFO, ROLE, cron
// and the command gates read them.
type linkMachine struct {
	newID func() string // a fresh replication ID (random; fixed in tests)

	gen        int64 // the current link; 0 before the first REPLICAOF
	host       string
	port       int
	phase      linkPhase
	cached     *cachedMaster
	restored   *cachedMaster // from a start-up RDB, used by the first REPLICAOF
	reploff    int64         // last applied byte
	readOff    int64         // last byte read
	lastIO     time.Time
	downSince  time.Time // zero until an established link drops
	syncTotal  int64     // payload size (-1 unknown)
	syncRead   int64
	loading    bool // the master's RDB is being loaded: cron does not time the link out
	syncDelay  time.Duration
	loadPanic  bool
	retired    map[int64]*retiredLink
	attempt    linkSettings // the settings of the running attempt
	steps      []string     // handshake replies still to read
	psyncAsked bool         // the PSYNC carried a cached master
	// psyncFloor: the PSYNC offered to resume from this offset (REWIND,
	// rewind.go); 0 when it did not.
	psyncFloor int64
	// failover: our master side is failing over to this link's master
	// (FAILOVER): each PSYNC carries the FAILOVER argument until one is
	// answered. psyncFailover: the PSYNC sent carried it.
	failover      bool
	psyncFailover bool
	full          fullSyncState
}

// fullSyncState is the running full sync of the current link.
type fullSyncState struct {
	replID    string // "" after the old SYNC
	offset    int64
	hdr       payloadHeader
	disk      bool
	framer    payloadFramer
	loadStart time.Time
	res       loadResult
	// flag is what the server says while the payload loads.
	flag loadFlag
}

// loadFlag is what a replica tells its clients while it loads its
// master's RDB, as Redis 7.0 decides it: a disk load, or a socket load
// into an empty dataset or from another history, answers -LOADING
// (INFO loading:1); a socket load with repl-diskless-load swapdb from the
// history we already have serves the old data meanwhile (async_loading:1),
// since it is an older point in time of the same dataset.
type loadFlag int

const (
	lfNone loadFlag = iota
	lfLoading
	lfAsync
)

// raiseLoadFlag starts saying f.
func (sm *linkMachine) raiseLoadFlag(f loadFlag, o *out) {
	sm.full.flag = f
	switch f {
	case lfLoading:
		o.add(action{kind: actLoadingFlag, flag: true})
	case lfAsync:
		o.add(action{kind: actAsyncLoading, flag: true})
	}
}

// dropLoadFlag stops saying what raiseLoadFlag started.
func (sm *linkMachine) dropLoadFlag(o *out) {
	dropFlag(sm.full.flag, o)
	sm.full.flag = lfNone
}

func dropFlag(f loadFlag, o *out) {
	switch f {
	case lfLoading:
		o.add(action{kind: actLoadingFlag, flag: false})
	case lfAsync:
		o.add(action{kind: actAsyncLoading, flag: false})
	}
}

// retiredLink is a link replaced while its goroutine may still run.
type retiredLink struct {
	host    string
	port    int
	phase   linkPhase
	loading bool
	disk    bool
	flag    loadFlag
}

// cachedMaster is what we remember of a master to PSYNC with later.
type cachedMaster struct {
	replID string
	offset int64 // last applied byte
	db     int
	// noData: the last bytes up to offset change no data (rewind.go);
	// PSYNC offers to resume before them.
	noData int64
}

// linkPhase is where the current link is; ROLE and INFO show its role.
type linkPhase uint8

const (
	phNone       linkPhase = iota // a master: no link
	phConnect                     // waiting for the next attempt
	phConnecting                  // dialing
	phPing                        // PING sent
	phHandshake                   // AUTH / REPLCONF sent, replies being read
	phPsync                       // PSYNC sent
	phHeader                      // waiting for $<len> or $EOF:<mark>
	phTransfer                    // payload into the temp file
	phStore                       // payload complete, fsync
	phDelay                       // DEBUG REPLICA-SYNC-DELAY stall
	phLoading                     // loading the payload
	phConnected                   // streaming
)

var phaseNames = [...]string{"none", "connect", "connecting", "ping", "handshake", "psync", "header", "transfer", "store", "delay", "loading", "connected"}

func (p linkPhase) String() string { return phaseNames[p] }

// Link states, as ROLE names them.
const (
	linkConnect    = "connect"
	linkConnecting = "connecting"
	linkHandshake  = "handshake"
	linkSync       = "sync"
	linkConnected  = "connected"
)

// role is the phase as ROLE names it.
func (p linkPhase) role() string {
	switch p {
	case phNone:
		return "none"
	case phConnect:
		return linkConnect
	case phConnecting:
		return linkConnecting
	case phPing, phHandshake, phPsync:
		return linkHandshake
	case phConnected:
		return linkConnected
	}
	return linkSync
}

// syncing reports whether a full sync is under way (master_sync_in_progress).
func (p linkPhase) syncing() bool { return p.role() == linkSync }

// handshakeTimeout bounds each reply of the handshake before PSYNC, as
// Redis's repl-syncio-timeout does.
const handshakeTimeout = 5 * time.Second

// retryPause is the wait before reconnecting after a failed attempt.
const retryPause = time.Second

// replicaAckEvery is how often a connected replica reports its offset.
// Redis's replicas do it once a second; a master then cannot tell a
// replica it lost from one whose link stalled for up to a second, so with
// min-replicas-max-lag N it either keeps taking writes up to N+1 seconds
// after losing its replicas (Redis counts whole seconds) or refuses them
// through short stalls. A tighter cadence lets a Tandem master stop within
// N seconds and still ride out stalls shorter than N minus this.
const replicaAckEvery = 200 * time.Millisecond

func newLinkMachine(newID func() string) *linkMachine {
	return &linkMachine{newID: newID, retired: map[int64]*retiredLink{}}
}

// isReplica reports whether we follow a master.
func (sm *linkMachine) isReplica() bool { return sm.phase != phNone }

// connected reports whether the link is up (master_link_status:up).
func (sm *linkMachine) connected() bool { return sm.phase == phConnected }

// out collects one step's actions.
type out []action

func (o *out) log(level int64, format string, args ...any) {
	*o = append(*o, action{kind: actLog, n: level, text: fmt.Sprintf(format, args...)})
}
func (o *out) add(a action) { *o = append(*o, a) }

// Step applies one event and returns the actions it calls for, in order.
func (sm *linkMachine) Step(w world, ev event) []action {
	var o out
	switch ev.kind {
	case evReplicaOf:
		sm.replicaOf(w, ev, &o)
		return o
	case evNoOne:
		sm.noOne(w, ev.text, &o)
		return o
	case evShutdown:
		if sm.phase != phNone {
			sm.retire(&o)
			sm.phase = phNone
		}
		return o
	case evRestore:
		c := ev.cached
		sm.restored = &c
		return o
	case evDebugSyncDelay:
		sm.syncDelay = ev.d
		return o
	case evDebugLoadPanic:
		sm.loadPanic = true
		return o
	case evTick:
		sm.tick(w, &o)
		return o
	case evAckDue:
		if sm.phase == phConnected {
			o.add(action{kind: actAck, gen: sm.gen, n: sm.reploff})
		}
		return o
	}
	if ev.gen != sm.gen || sm.phase == phNone {
		sm.windDown(w, ev, &o)
		return o
	}
	if ev.kind == evPanic {
		sm.panicked(ev, &o)
		return o
	}
	switch sm.phase {
	case phConnect:
		if ev.kind == evStart || ev.kind == evRetry {
			if ev.kind == evRetry {
				o.log(logNotice, "Reconnecting to MASTER %s:%d", sm.host, sm.port)
			}
			sm.beginAttempt(w, &o)
		}
	case phConnecting:
		switch ev.kind {
		case evDialFailed:
			sm.fail(&o, "Error condition on socket for SYNC: %s", ev.text)
		case evDialed:
			o.log(logNotice, "Non blocking connect for SYNC fired the event.")
			sm.phase = phPing
			sm.lastIO = w.now
			o.add(action{kind: actSend, gen: sm.gen, data: resp.AppendCommand(nil, []byte("PING"))})
			o.add(action{kind: actReadLine, gen: sm.gen, d: handshakeTimeout})
		}
	case phPing, phHandshake:
		sm.handshake(w, ev, &o)
	case phPsync:
		sm.psyncReply(w, ev, &o)
	case phHeader:
		sm.header(w, ev, &o)
	case phTransfer, phStore, phDelay, phLoading:
		sm.transfer(w, ev, &o)
	case phConnected:
		switch ev.kind {
		case evStreamEnd:
			sm.linkLost(w, &o)
		case evStreamError:
			if ev.flag {
				o.log(logWarning, "WARNING: Receiving inline protocol from master, master stream corruption? Closing the master connection and discarding the cached master.")
			} else {
				o.log(logWarning, "Protocol error from MASTER: %s. Closing the master connection and discarding the cached master.", ev.text)
			}
			sm.fail(&o, "%s", ev.text)
		case evGetAck:
			o.add(action{kind: actAck, gen: sm.gen, n: sm.reploff})
		case evWriteError:
			// An ACK's write: the read side notices a dead link.
		}
	}
	if ev.kind == evWriteError && sm.phase == phPsync && sm.psyncFailover {
		o.log(logWarning, "Unable to send PSYNC to master: %s", ev.text)
		sm.failoverRejected(w, "Write error to failover target", &o)
		return o
	}
	if ev.kind == evWriteError && sm.phase != phConnected && sm.phase != phConnect {
		sm.fail(&o, "%s", ev.text)
	}
	return o
}

// streamRead counts n bytes of the command stream read at now (the hot
// path: a method, not a step, and no actions). An empty wake-up does not
// refresh the time repl-timeout counts from.
func (sm *linkMachine) streamRead(now time.Time, n int) {
	if n > 0 {
		sm.lastIO = now
	}
	sm.readOff += int64(n)
}

// payloadRead counts n payload bytes read by a socket load at now (the
// loader reads them; the machine sees only their number).
func (sm *linkMachine) payloadRead(now time.Time, n int) {
	sm.lastIO = now
	sm.syncRead += int64(n)
}

// applied counts n bytes of the stream applied (a command, or a whole
// MULTI ... EXEC).
func (sm *linkMachine) applied(n int64) { sm.reploff += n }

// replicaOf is REPLICAOF host port: the current link (if any) is cached
// and replaced, a master synthesizes a cached master from its own history
// so that it may PSYNC with the new master.
func (sm *linkMachine) replicaOf(w world, ev event, o *out) {
	if sm.phase != phNone && strings.EqualFold(sm.host, ev.host) && sm.port == ev.port {
		o.log(logNotice, "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		return
	}
	var cached *cachedMaster
	if sm.phase != phNone {
		cached = sm.cachedState(w)
		sm.retire(o)
		o.log(logWarning, "Connection with master lost.")
		o.log(logNotice, "Caching the disconnected master state.")
	} else {
		o.add(action{kind: actDisconnectBlocked})
		if sm.restored != nil {
			cached, sm.restored = sm.restored, nil
		} else {
			o.log(logNotice, "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.")
			db := max(w.selDB, 0)
			cached = &cachedMaster{replID: w.id.ID, offset: w.id.Offset, db: db, noData: w.noDataTail}
		}
	}
	sm.gen++
	sm.host, sm.port = ev.host, ev.port
	sm.phase = phConnect
	sm.cached = cached
	sm.failover = ev.flag
	sm.reploff, sm.readOff = 0, 0
	sm.lastIO, sm.downSince = time.Time{}, time.Time{}
	sm.syncTotal, sm.syncRead = -1, 0
	sm.loading = false
	db := 0
	if cached != nil {
		sm.reploff, sm.readOff = cached.offset, cached.offset
		db = cached.db
	}
	o.add(action{kind: actReplicaMode, host: ev.host, port: ev.port})
	o.log(logNotice, "Connecting to MASTER %s:%d", ev.host, ev.port)
	o.add(action{kind: actStartLink, gen: sm.gen, host: ev.host, port: ev.port, n: int64(db)})
	if ev.text != "" { // FAILOVER's switch is not a REPLICAOF
		o.log(logNotice, "REPLICAOF %s:%d enabled (%s)", ev.host, ev.port, ev.text)
	}
}

// cachedState is what a replaced link leaves to PSYNC with.
func (sm *linkMachine) cachedState(w world) *cachedMaster {
	if sm.phase == phConnected {
		return &cachedMaster{replID: w.id.ID, offset: sm.reploff, db: w.streamDB, noData: tailAt(w, sm.reploff)}
	}
	return sm.cached
}

// noOne is REPLICAOF NO ONE: we become a master and keep our history
// reachable through the secondary ID, so former siblings can PSYNC.
func (sm *linkMachine) noOne(w world, who string, o *out) {
	if sm.phase == phNone {
		return
	}
	sm.retire(o)
	sm.phase = phNone
	sm.cached = nil
	sm.failover, sm.psyncFailover = false, false
	o.add(action{kind: actMasterMode})
	o.log(logNotice, "Discarding previously cached master state.")
	id := w.id
	id.ID2, id.SecondOffset, id.ID = id.ID, id.Offset+1, sm.newID()
	o.add(action{kind: actSetID, id: id})
	o.log(logWarning, "Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s", id.ID2, id.SecondOffset, id.ID)
	o.add(action{kind: actDisconnectReplicas})
	o.add(action{kind: actPromote})
	if who != "" { // a failover given up says why itself
		o.log(logNotice, "MASTER MODE enabled (%s)", who)
	}
}

// retire stops the current link: its goroutine's later events wind it
// down (windDown).
func (sm *linkMachine) retire(o *out) {
	sm.retired[sm.gen] = &retiredLink{host: sm.host, port: sm.port, phase: sm.phase, loading: sm.loading, disk: sm.full.disk, flag: sm.full.flag}
	sm.loading = false
	sm.full.flag = lfNone
	o.add(action{kind: actStopLink, gen: sm.gen})
}

// windDown answers an event of a replaced link: its goroutine returns.
// A sync under way is reported abandoned; a disk load interrupted by a
// shutdown leaves no half-loaded data behind.
func (sm *linkMachine) windDown(w world, ev event, o *out) {
	r := sm.retired[ev.gen]
	if r == nil {
		o.add(action{kind: actExit, gen: ev.gen})
		return
	}
	delete(sm.retired, ev.gen)
	abandoned := r.phase.syncing()
	if r.phase == phPsync && ev.kind == evLine {
		// A PSYNC answer that would change the data or the history.
		abandoned = strings.HasPrefix(ev.text, "+FULLRESYNC") || strings.HasPrefix(ev.text, "+CONTINUE")
	}
	dropFlag(r.flag, o)
	if r.loading && r.disk {
		if ev.kind == evLoaded || ev.kind == evLoadFailed {
			// Only a shutdown gets here (REPLICAOF waits for a disk
			// load: it gets -LOADING): what was loaded is no replica's
			// data.
			o.add(action{kind: actFlush, flag: false})
		}
	}
	if abandoned {
		o.log(logNotice, "MASTER <-> REPLICA sync with %s:%d abandoned: the link was replaced before the sync completed", r.host, r.port)
	}
	o.add(action{kind: actExit, gen: ev.gen})
}

// beginAttempt starts a connection attempt with the settings of now.
func (sm *linkMachine) beginAttempt(w world, o *out) {
	sm.phase = phConnecting
	sm.lastIO = w.now
	sm.attempt = w.cfg
	o.log(logNotice, "MASTER <-> REPLICA sync started")
	o.add(action{kind: actDial, gen: sm.gen, host: sm.host, port: sm.port, d: w.cfg.timeout})
}

// fail ends an attempt that did not reach the stream: the reason is
// logged, the socket closed, and the next attempt comes after a pause.
func (sm *linkMachine) fail(o *out, format string, args ...any) {
	if msg := fmt.Sprintf(format, args...); msg != "" {
		o.log(logWarning, "%s", msg)
	}
	sm.endAttempt(o)
	o.add(action{kind: actRetry, gen: sm.gen, d: retryPause})
}

func (sm *linkMachine) endAttempt(o *out) {
	sm.loading = false
	sm.dropLoadFlag(o)
	sm.phase = phConnect
	o.add(action{kind: actClose, gen: sm.gen})
}

// linkLost handles the end of an established link: the master is cached
// and the next attempt starts at once, usually with a partial resync.
func (sm *linkMachine) linkLost(w world, o *out) {
	sm.downSince = w.now
	o.log(logWarning, "Connection with master lost.")
	o.log(logNotice, "Caching the disconnected master state.")
	sm.cached = &cachedMaster{replID: w.id.ID, offset: sm.reploff, db: w.streamDB, noData: tailAt(w, sm.reploff)}
	sm.readOff = sm.reploff
	o.add(action{kind: actMasterLost})
	sm.endAttempt(o)
	o.log(logNotice, "Reconnecting to MASTER %s:%d", sm.host, sm.port)
	sm.beginAttempt(w, o)
}

// panicked handles a panic the driver recovered (a bug, or an input
// nobody foresaw): the dataset and offset may be half-way through a
// command, so the cached master goes and the next attempt is a full
// resync.
func (sm *linkMachine) panicked(ev event, o *out) {
	o.log(logWarning, "Internal error in the replication link with MASTER %s:%d: %s. Closing the master connection and discarding the cached master.\n%s",
		sm.host, sm.port, ev.text, ev.data)
	if sm.phase == phConnected {
		o.add(action{kind: actClearMulti})
	}
	sm.cached = nil
	sm.fail(o, "")
}

// ownWork reports whether the link waits on our own work on a received
// payload (fsync, the DEBUG REPLICA-SYNC-DELAY stall, the load), not on
// the master.
func (sm *linkMachine) ownWork() bool {
	return sm.loading || sm.phase == phStore || sm.phase == phDelay
}

// tick is the once-a-second work: an ACK on an established link, and the
// timeouts of every stage but our own work on a received payload (fsync,
// stall, load): the master waits for us then, and gets our newlines, so
// its silence is expected.
func (sm *linkMachine) tick(w world, o *out) {
	timeout := w.cfg.timeout
	switch {
	case sm.phase == phConnected:
		o.add(action{kind: actAck, gen: sm.gen, n: sm.reploff})
		if w.now.Sub(sm.lastIO) > timeout {
			o.log(logWarning, "MASTER timeout: no data nor PING received...")
			o.add(action{kind: actKill, gen: sm.gen})
		}
	case sm.phase != phNone && sm.phase != phConnect && !sm.ownWork() && w.now.Sub(sm.lastIO) > timeout:
		if sm.phase.syncing() {
			o.log(logWarning, "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.")
		} else {
			o.log(logWarning, "Timeout connecting to the MASTER...")
		}
		o.add(action{kind: actKill, gen: sm.gen})
	}
}
