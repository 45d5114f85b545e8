package repl

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/server"
)

// Manager is an instance's replication state, master and replica sides.
// Unless a comment says otherwise its fields are guarded by the server lock.
type Manager struct {
	srv *server.Server
	eng *command.Engine
	ks  *keyspace.Keyspace
	cfg *config.Config
	log *logger.Logger
	pm  *persist.Manager

	id      Identity
	backlog *Backlog // nil until the first replica (or when we are a replica, our copy)
	selDB   int      // db the stream is in (slaveseldb); -1 forces a SELECT

	// master side
	replicas        map[*command.Session]*replica
	pre             map[*command.Session]*replica // REPLCONF seen, no SYNC yet
	noReplicasSince time.Time
	fullRunning     bool
	syncShare       *snapShare // the running full sync's snapshot
	bgShare         *snapShare // the running BGSAVE's, when replicas can share it
	// streams are the online replicas' writers, for flushStreams without
	// the lock; flushDue says a client round fed bytes they have not sent.
	streams      atomic.Pointer[[]*outStream]
	flushDue     atomic.Bool
	lastPing     time.Time
	lastCron     time.Time
	lastAckDue   time.Time // a replica's last ACK between ticks (replicaAckEvery)
	waiters      []*waiter
	goodReplicas int
	goodUntil    time.Time // when the first counted replica stops counting (refreshGoodReplicas)
	fo           failover  // a running FAILOVER (failover.go)

	// replica side
	inLink  bool         // applying the master's stream: flush after the chunk
	machine *linkMachine // the replica side's state
	link    *link        // the current link's I/O, nil when master
	// linkDone is closed when the latest link's goroutine has returned:
	// the next link waits for it (one link syncs at a time).
	linkDone chan struct{}

	// set at a full sync's snapshot instant
	fullOffset int64
	fullReplID string

	// afterFullSync are told (lock held) once a full sync's RDB is
	// loaded and before the stream is applied (wired by internal/app).
	afterFullSync []FullSyncObserver

	stats struct {
		full, partialOK, partialErr int64
		netIn                       int64
		// netOut is added to by the senders without the server lock.
		netOut atomic.Int64
	}
	// streamTimeout is repl-timeout (nanoseconds) for the stream senders'
	// blocking writes, which run without the server lock: Cron refreshes
	// it each second, so a CONFIG SET reaches streams already running.
	streamTimeout atomic.Int64
	enc           []byte
	// noDataTail is how many bytes at the end of our stream (up to
	// id.Offset) are commands that change no data: PINGs, REPLCONFs and
	// PUBLISHes (rewind.go). 0 whenever unsure.
	noDataTail int64
	// linkTLS is tls-replication's source (tls.go; nil: plain TCP).
	linkTLS LinkTLS
}

// New builds replication for a server and registers its commands;
// internal/app wires it into the server, the engine and persistence. pm
// is used for full syncs (the one snapshot mechanism) and restart state.
func New(srv *server.Server, cfg *config.Config, log *logger.Logger, pm *persist.Manager) *Manager {
	m := &Manager{
		srv: srv, eng: srv.Engine(), ks: srv.Keyspace(), cfg: cfg, log: log, pm: pm,
		id:              NewIdentity(),
		selDB:           -1,
		replicas:        map[*command.Session]*replica{},
		pre:             map[*command.Session]*replica{},
		noReplicasSince: time.Now(),
		machine:         newLinkMachine(NewID),
		// PINGs go out every repl-ping-replica-period from start-up, as
		// Redis's cron counts them, not as soon as a first replica
		// attaches: a replica that attached to an idle master finds its
		// offset unmoved.
		lastPing: time.Now(),
	}
	m.registerCommands()
	return m
}

// FullSyncObserver learns (lock held) that a full sync's RDB is loaded,
// before the master's stream is applied: the AOF rewrites itself there,
// since the dataset changed without one propagated command.
type FullSyncObserver interface {
	AfterFullSync()
}

// OnFullSync wires the parts told after each full sync (before start-up).
func (m *Manager) OnFullSync(o ...FullSyncObserver) {
	m.afterFullSync = append(m.afterFullSync, o...)
}

// ReplStats implements server.Replication: the counters of INFO stats.
// ResetStats implements server.Replication (lock held): CONFIG RESETSTAT
// zeroes the sync counters and the replication traffic, as Redis's does.
func (m *Manager) ResetStats() {
	m.stats.full, m.stats.partialOK, m.stats.partialErr = 0, 0, 0
	m.stats.netIn = 0
	m.stats.netOut.Store(0)
}

func (m *Manager) ReplStats() server.ReplStats {
	return server.ReplStats{FullSyncs: m.stats.full, PartialSyncsOK: m.stats.partialOK, PartialSyncsError: m.stats.partialErr,
		NetInput: m.stats.netIn, NetOutput: m.stats.netOut.Load(), BufferMem: m.backlog.Mem(),
		BacklogSize: m.cfg.ReplBacklogSize}
}

// ReplOffset is the replication offset after propagation (the engine
// reads it for WAIT's target).
func (m *Manager) ReplOffset() int64 { return m.id.Offset }

// Debug implements server.DebugProvider: DEBUG REPLICA-SYNC-DELAY, DEBUG
// REPLICA-LOAD-PANIC and DEBUG CHANGE-REPL-ID.
func (m *Manager) Debug(c *command.Ctx, sub string) bool {
	if sub == "change-repl-id" && len(c.Args) == 2 {
		// A new history: no replica can continue the old one by PSYNC
		// (Redis's tests use it to force full syncs).
		m.log.Warningf("Changing replication IDs after receiving DEBUG change-repl-id")
		m.id.ID, m.id.ID2, m.id.SecondOffset = NewID(), ZeroID, -1
		c.W.OK()
		return true
	}
	if sub == "replica-sync-delay" && len(c.Args) == 3 {
		m.debugSyncDelay(c)
		return true
	}
	if sub == "replicate" && len(c.Args) >= 3 {
		// The command goes to the replicas (and the backlog) only, in the
		// stream's current database, unexecuted here (Redis's tests use it
		// to make a replica fail a command).
		m.Propagate(-1, c.Args[2:])
		c.W.OK()
		return true
	}
	if sub == "replica-load-panic" && len(c.Args) == 2 {
		// The next load of a master's RDB panics on its loading thread.
		m.stepLocked(event{kind: evDebugLoadPanic})
		c.W.OK()
		return true
	}
	return false
}

// IsReplica reports whether we follow a master (lock held).
func (m *Manager) IsReplica() bool { return m.link != nil }

// Active reports whether writes go into the backlog (a master with one).
func (m *Manager) Active() bool { return m.link == nil && m.backlog != nil }

// Propagate implements command.Propagator: a master writes every command
// into the backlog, prefixed by SELECT when the database changes. A
// replica ignores it: it forwards its master's bytes instead, so the whole
// chain shares one byte stream.
func (m *Manager) Propagate(db int, argv [][]byte) {
	if m.link != nil || m.backlog == nil {
		return
	}
	if len(argv) == 1 && strings.EqualFold(string(argv[0]), "ping") {
		// PING and GETACK never switch database (Redis feeds them with the
		// current slaveseldb).
	} else if db >= 0 && db != m.selDB {
		m.enc = resp.AppendCommand(m.enc[:0], []byte("SELECT"), []byte(strconv.Itoa(db)))
		m.feed(m.enc)
		m.selDB = db
		m.noDataTail = 0 // a SELECT counts as data (rewind.go)
	}
	m.enc = resp.AppendCommand(m.enc[:0], argv...)
	m.feed(m.enc)
	m.trackTail(argv, len(m.enc))
}

// feed appends raw stream bytes and enforces the replicas' output limits.
func (m *Manager) feed(b []byte) {
	m.backlog.Feed(b)
	m.id.Offset = m.backlog.End()
	m.checkOutputLimits()
	if p := m.streams.Load(); p == nil || len(*p) == 0 {
		return
	}
	// A client round (or a chunk of our master's stream) is sent once it
	// is complete; anything else at once.
	if m.inLink || m.srv.InClientBatch() {
		m.flushDue.Store(true)
	} else {
		m.flushStreams()
	}
}

// ConfigChanged follows a CONFIG SET of repl-backlog-size (lock held;
// internal/app subscribes it): the backlog takes its new size at once, as
// Redis resizes it, keeping what still fits.
func (m *Manager) ConfigChanged(c *config.Config) error {
	if m.backlog != nil && m.backlog.size != c.ReplBacklogSize {
		m.backlog.SetSize(c.ReplBacklogSize)
	}
	return nil
}

// createBacklog starts keeping history (first replica, or a replica's own
// copy for its sub-replicas).
func (m *Manager) createBacklog() {
	size := m.cfg.ReplBacklogSize
	if size < minBlock {
		size = minBlock
	}
	m.backlog = NewBacklog(m.id.Offset, size)
}

func (m *Manager) freeBacklog() {
	if m.backlog != nil {
		m.backlog.Close()
		m.backlog = nil
	}
}

// RDBAux implements persist.Replication: the repl-* AUX fields written into every RDB (lock held):
// they let a restarted master or replica continue with PSYNC.
func (m *Manager) RDBAux() []persist.Aux {
	if m.backlog == nil && m.link == nil {
		return nil
	}
	db := m.selDB
	if m.link != nil {
		db = m.link.sess.DB
	}
	if db < 0 {
		db = 0
	}
	return []persist.Aux{
		{Key: "repl-stream-db", Value: strconv.Itoa(db)},
		{Key: "repl-id", Value: m.id.ID},
		{Key: "repl-offset", Value: strconv.FormatInt(m.id.Offset, 10)},
	}
}

// RestoreFromRDB applies the repl-* AUX fields of the RDB loaded at
// start-up: a replica resumes as a cached master (PSYNC replid offset+1),
// a master keeps the old history as its secondary ID.
func (m *Manager) RestoreFromRDB(res persist.LoadResult) {
	replID := res.Aux["repl-id"]
	off, ok1 := res.AuxInt("repl-offset")
	db, ok2 := res.AuxInt("repl-stream-db")
	if len(replID) != IDLen || !ok1 || !ok2 {
		return
	}
	m.srv.Lock()
	defer m.srv.Unlock()
	if m.cfg.IsReplica() {
		m.id.ID = replID
		m.id.Offset = off
		m.noDataTail = 0
		m.stepLocked(event{kind: evRestore, cached: cachedMaster{replID: replID, offset: off, db: int(db)}})
		return
	}
	m.id.ID2 = replID
	m.id.SecondOffset = off + 1
	m.id.ID = NewID()
	m.id.Offset = off
	m.noDataTail = 0
	m.createBacklog()
	// The keys whose time passed while we were down were not loaded; our
	// replicas still hold them and delete only on our word: a DEL each
	// (UNLINK under lazyfree-lazy-expire), in the backlog after the
	// restored offset, as Redis feeds them while it loads. Too many of
	// them push the restored offset out of the backlog, and a replica
	// then full-syncs, as from Redis.
	verb := []byte("DEL")
	if m.cfg.LazyfreeLazyExpire {
		verb = []byte("UNLINK")
	}
	for _, k := range res.ExpiredKeys {
		m.Propagate(k.DB, [][]byte{verb, k.Key})
	}
}

// Start begins replicating when the config says replicaof.
func (m *Manager) Start() {
	if !m.cfg.IsReplica() {
		return
	}
	m.srv.Lock()
	m.setMaster(m.cfg.ReplicaOf.Host, m.cfg.ReplicaOf.Port, "config file")
	m.srv.Unlock()
}

// Close stops the link and every replica sender.
func (m *Manager) Close() {
	m.srv.Lock()
	defer m.srv.Unlock()
	m.stepLocked(event{kind: evShutdown})
	m.link = nil
	for _, r := range m.replicas {
		r.close()
	}
	m.freeBacklog()
}

// debugSyncDelay is DEBUG REPLICA-SYNC-DELAY <milliseconds> (tests): every
// later full sync of this replica stalls that long once its payload is
// received and fsynced (disk load) or loaded (socket load), before it
// touches the dataset (0 turns it off).
func (m *Manager) debugSyncDelay(c *command.Ctx) {
	ms, ok := resp.ParseInt(c.Args[2])
	if !ok || ms < 0 || ms > 3600_000 {
		c.Error("ERR value is out of range, must be between 0 and 3600000")
		return
	}
	m.stepLocked(event{kind: evDebugSyncDelay, d: time.Duration(ms) * time.Millisecond})
	c.W.OK()
}
