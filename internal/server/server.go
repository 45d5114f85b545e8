package server

import (
	"crypto/rand"
	"encoding/hex"
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
	"time"

	"github.com/tandemdb/tandem/internal/acl"
	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/logger"
)

// Version is the Redis version Tandem reports (clients gate features on it).
const Version = "7.0.15"

// TandemVersion is Tandem's own version.
const TandemVersion = "0.1.0"

// ConfigStore is the configuration as CONFIG GET/SET/REWRITE see it.
type ConfigStore interface {
	Get(patterns ...string) [][2]string
	// Set applies CONFIG SET; loading says a load is under way, when
	// directives that may not change then are refused; local says the
	// client is on loopback or a unix socket (enable-protected-configs
	// local lets it change dir and dbfilename).
	Set(pairs [][2]string, loading, local bool) error
	Rewrite() error
	// RewriteAll is Rewrite with every directive, defaults included.
	RewriteAll() error
}

// Server is one Tandem instance.
type Server struct {
	mu  sync.Mutex // guards everything below that is not atomic
	eng *command.Engine
	ks  *keyspace.Keyspace
	set Settings
	oom oomScore // oom-score-adj applied to this process (oomscore.go)
	cfg ConfigStore
	log *logger.Logger

	// listeners are the TCP listeners, then the Unix socket's; listenMu
	// guards them once the server runs (CONFIG SET port replaces them).
	listenMu  sync.Mutex
	listeners []net.Listener
	clients   map[int64]*client
	monitors  []*client
	nextID    int64
	runID     string
	started   time.Time

	closing atomic.Bool
	// replica is the server's role (SetReplica); atomic because the
	// logger reads it for every line, from any goroutine.
	replica atomic.Bool
	purge   idlePurge // cron's collection after a burst (idlepurge.go)
	// clientsWaiting counts clients waiting for mu to run commands (see
	// Lock).
	clientsWaiting atomic.Int32
	// stopping is set, in the same lock hold as the final save, once a
	// shutdown is decided: from then on nothing runs or propagates, so the
	// saved replication offset is the last one any replica saw.
	stopping atomic.Bool
	done     chan struct{}
	closed   chan struct{} // closed when Close has waited for wg
	wg       sync.WaitGroup

	stats  stats
	closes closeLog      // connections closed, per reason (closereason.go)
	cmem   clientMem     // client memory accounts (clientevict.go)
	lazy   lazyfreeState // collections after big frees (lazyfree.go)
	slow   slowlog
	ps     pubsub
	trk    tracker // CLIENT TRACKING (tracking.go)
	lat    latencyMonitor
	// pushTargets are loop clients given output they did not ask for by
	// another client's command (tracking.go's pushTo), for the event loop
	// to write (movePushTargets); pushWrites is that function's reused
	// list of what to write.
	pushTargets []*client
	pushPending atomic.Bool // pushTargets is not empty
	pushWrites  []pushWrite

	infoSections map[string]InfoSection
	configFile   string
	peakMem      uint64
	// resizeEvery is resizePeriod as the cron last computed it (ns), read
	// by the event loop's query-buffer sweep without the lock.
	resizeEvery atomic.Int64
	// cronPaused (DEBUG PAUSE-CRON 1) stops the cron's work.
	cronPaused atomic.Bool
	// replyPeakReset (DEBUG REPLYBUFFER PEAK-RESET-TIME; 0: the default,
	// <0: never) and replyResizeOff (DEBUG REPLYBUFFER RESIZING 0) are the
	// reply buffers' knobs (buffers.go; srv.mu).
	replyPeakReset  time.Duration
	replyResizeOff  bool
	pausedUntil     time.Time
	pauseAll        bool
	writeHolds      map[string]bool // pauses held by parts (failover_pause.go)
	shut            shutdownState   // a shutdown in progress (shutdown.go)
	activeExpireOff bool

	// parts are the persistence, replication and AOF parts, wired once
	// before Start (wiring.go).
	parts Parts
	// loading is set while a dataset loads (SetLoading): commands without
	// the Loading flag get -LOADING.
	loading bool
	// asyncLoading is set while a replica loads its master's RDB in the
	// background and keeps serving its old data (repl-diskless-load
	// swapdb with the same history): only commands Redis marks
	// no_async_loading get -LOADING.
	asyncLoading bool
	// pausedClients counts clients whose command waits out a pause
	// (waitPause), for INFO's blocked_clients.
	pausedClients int
	// masterHeld: this replica's master link holds a command while CLIENT
	// PAUSE applies to it (MasterCommandPaused); it counts as one of
	// blocked_clients, as Redis's postponed master client does.
	masterHeld bool
	// crashFunc ends the process after a crash report (SetCrashFunc).
	crashFunc CrashFunc
	// wd is the software watchdog's view of the running batch;
	// watchdogPeriod mirrors watchdog-period for its goroutine, and
	// wdPeriod is the value last mirrored (srv.mu).
	wd             watchdog
	watchdogPeriod atomic.Int64
	wdPeriod       int
	// starting holds clients' commands from the moment the listeners open
	// until start-up is complete, and answers -LOADING while a load runs
	// within it (see SetStarting and pausedFor).
	starting bool
	// clientBatch is set (srv.mu held) while a client's commands run and
	// the end of the round (endRound) is sure to follow the release of the
	// lock.
	clientBatch bool
	// loop is the event loop, nil without one (set before it starts).
	loop *eventLoop
	// acl holds the users (acl.go); aclFile is aclfile ("" = none).
	acl     *acl.ACL
	aclFile string
	// running is the client whose batch holds srv.mu now (nil between
	// batches): a busy script's Yield knows whose goroutine it is on.
	running *client
	// tls is the TLS port's state (tls.go).
	tls tlsState
}

// ReplStats are replication's counters that INFO stats shows.
type ReplStats struct {
	FullSyncs         int64 // sync_full: full syncs served to replicas
	PartialSyncsOK    int64 // sync_partial_ok: PSYNCs answered +CONTINUE
	PartialSyncsError int64 // sync_partial_err: PSYNCs that asked for a partial sync and got a full one
	NetInput          int64 // total_net_repl_input_bytes: read from our master
	NetOutput         int64 // total_net_repl_output_bytes: sent to replicas
	BufferMem         int64 // mem_total_replication_buffers: the shared backlog's blocks
	BacklogSize       int64 // repl-backlog-size
}

// PseudoClient is a connection shown by CLIENT LIST and killable by CLIENT
// KILL that is not one of the server's own clients.
type PseudoClient interface {
	ClientID() int64
	RemoteAddr() string
	LocalAddr() string
	ClientType() string // "master"
	InfoLine() string
	Kill()
}

// NextClientID allocates a client id (srv.mu held).
func (s *Server) NextClientID() int64 {
	s.nextID++
	return s.nextID
}

// Detach hands a client's socket to the caller for writing (replication
// sends the RDB and the stream itself) and stops the client's own replies
// from reaching it: modeDetached. The client goroutine keeps reading
// (REPLCONF ACK). srv.mu must be held.
func (s *Server) Detach(sess *command.Session) net.Conn {
	cl, ok := sess.Owner.(*client)
	if !ok {
		return nil
	}
	cl.w.Buf = cl.w.Buf[:0]
	if cl.mode == modeLoop {
		// The loop goes on reading it (the replica's ACKs); the caller
		// writes on a duplicate of the socket (evloop_block_linux.go).
		if conn := s.loop.detachOnLoop(cl); conn != nil {
			cl.mode = modeDetached
			return conn
		}
		// Otherwise it leaves the loop: the caller writes from its own
		// goroutine. If it cannot, it is closing (the loop drops it) and
		// the caller's writes fail.
		if s.loop.convert(cl) != nil {
			return cl.conn
		}
	}
	cl.mode = modeDetached
	return cl.conn
}

// Kill closes a client's connection for why (srv.mu held). Replication
// drops replicas with it.
func (s *Server) Kill(sess *command.Session, why CloseReason) {
	if cl, ok := sess.Owner.(*client); ok {
		cl.closeFor(why)
		cl.conn.Close()
	}
}

// ClientInfo is the CLIENT LIST line of a session (srv.mu held).
func (s *Server) ClientInfo(sess *command.Session) string {
	if cl, ok := sess.Owner.(*client); ok {
		return cl.info()
	}
	return ""
}

// RemoteAddr is a client's peer address (ip:port).
func (s *Server) RemoteAddr(sess *command.Session) string {
	if cl, ok := sess.Owner.(*client); ok {
		return cl.addr
	}
	return ""
}

// DisconnectBlocked answers every client blocked in a blocking command
// with err and closes it (a master turning into a replica does this).
func (s *Server) DisconnectBlocked(err string) {
	for _, cl := range s.clients {
		if cl.sess.Blocked() {
			s.eng.UnblockWithError(&cl.sess, err)
			cl.sess.Flags |= command.FlagCloseAfterReply
			cl.noteClose(CloseRoleChange)
			cl.Wake()
		}
	}
}

type stats struct {
	connections   int64
	rejected      int64
	netIn, netOut atomic.Int64
	opsSamples    [16]int64
	opsIdx        int
	lastOps       int64
	lastSample    time.Time
	expiredStale  int64
	// replyShrinks and replyExpands count reply buffer resizes (srv.mu).
	replyShrinks, replyExpands int64
	// unexpectedErrors counts errors our master's commands got here.
	unexpectedErrors atomic.Int64
}

// Options build a server.
type Options struct {
	Settings Settings
	Config   ConfigStore // may be nil (CONFIG answers from Settings only)
	Logger   *logger.Logger
	// ConfigFile is the absolute path of the config file ("" = none).
	ConfigFile string
}

// New builds a server; Start opens its listeners.
func New(opts Options) *Server {
	set := opts.Settings
	if set.Databases <= 0 {
		set.Databases = 16
	}
	ks := keyspace.New(set.Databases)
	s := &Server{
		ks:      ks,
		eng:     command.NewEngine(ks),
		set:     set,
		cfg:     opts.Config,
		log:     opts.Logger,
		clients: map[int64]*client{},
		runID:   randomHex(20),
		started: time.Now(),
		done:    make(chan struct{}),
		closed:  make(chan struct{}),
	}
	if s.log == nil {
		s.log = logger.Discard()
	}
	s.configFile = opts.ConfigFile
	s.eng.Host = (*engineHost)(s)
	s.eng.Tracker = (*trackingEngine)(s)
	s.eng.Notifier = (*keyspaceNotifier)(s)
	s.eng.MaxStringSize = set.ProtoMaxBulkLen
	s.registerCommands()
	// Containers registered without their subcommands (those not built
	// yet: FUNCTION, SCRIPT, XINFO, …) still know Redis 7.0's, so an
	// unknown one or a wrong count is refused as Redis does, inside MULTI
	// at queue time too.
	for _, sp := range s.eng.Table.All() {
		if len(sp.Subcommands) == 0 {
			sp.Subcommands = command.KnownSubcommands(sp.Name)
		}
	}
	s.slow.init()
	s.applyOOMScore() // oom-score-adj from the configuration file
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Start opens the listeners and starts serving.
func (s *Server) Start() error {
	s.initACL()
	addrs := s.listenAddrs()
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a.addr)
		if err != nil {
			if a.optional {
				continue
			}
			s.closeListeners()
			return fmt.Errorf("Warning: Could not create server TCP listening socket %s: %w", a.addr, err)
		}
		s.listeners = append(s.listeners, ln)
	}
	if len(s.listeners) == 0 && s.set.Port != 0 && len(s.set.Bind) > 0 {
		return errors.New("Failed listening on port " + strconv.Itoa(s.set.Port) + " (tcp), aborting.")
	}
	if s.set.Port < 0 && len(s.listeners) > 0 {
		s.set.Port = s.listeners[0].Addr().(*net.TCPAddr).Port
	}
	if err := s.listenUnix(); err != nil {
		s.closeListeners()
		return err
	}
	if err := s.listenTLS(); err != nil {
		s.closeListeners()
		return err
	}
	if len(s.listeners) == 0 && len(s.tls.lns) == 0 && len(s.set.Bind) == 0 && s.set.Port != 0 {
		// bind "" with no Unix socket, as Redis exits. (Port 0 with no
		// socket at all stays allowed: an embedded server used in process.)
		return errors.New("Configured to not listen anywhere, exiting.")
	}
	loop, err := newEventLoop(s)
	if err != nil {
		s.log.Warningf("Event loop unavailable, serving each connection on a goroutine: %v", err)
	}
	s.loop = loop
	for _, ln := range s.listeners {
		s.serveListener(ln)
	}
	if loop != nil {
		s.wg.Add(1)
		go loop.run()
	}
	s.tls.mu.Lock()
	s.serveTLSListeners(s.tls.lns) // handshakes on goroutines (tls.go)
	s.tls.mu.Unlock()
	s.wg.Add(1)
	go s.cron()
	s.wg.Add(1)
	go s.runWatchdog()
	return nil
}

type listenAddr struct {
	addr     string
	optional bool
}

// listenAddrs maps redis.conf bind entries to listen addresses: "*" is
// every IPv4 address, "::*" every IPv6 one, and a leading "-" makes an
// address optional (start even if it cannot be bound).
func (s *Server) listenAddrs() []listenAddr { return s.listenAddrsFor(s.set.Port) }

// listenAddrsFor is listenAddrs for a given port (the TLS port's too).
func (s *Server) listenAddrsFor(p int) []listenAddr {
	if p == 0 {
		return nil
	}
	port := strconv.Itoa(p)
	if p < 0 { // ephemeral: one free port on the first address
		b := strings.TrimPrefix(s.set.Bind[0], "-")
		if b == "*" {
			b = "127.0.0.1"
		}
		return []listenAddr{{addr: net.JoinHostPort(b, "0")}}
	}
	var out []listenAddr
	for _, b := range s.set.Bind {
		opt := strings.HasPrefix(b, "-")
		b = strings.TrimPrefix(b, "-")
		switch b {
		case "*":
			b = "0.0.0.0"
		case "::*":
			b = "::"
		}
		out = append(out, listenAddr{addr: net.JoinHostPort(b, port), optional: opt})
	}
	return out
}

// SetConfig attaches the configuration CONFIG GET/SET/REWRITE work on.
func (s *Server) SetConfig(cs ConfigStore) { s.cfg = cs }

// ApplySettings installs new settings after a CONFIG SET (srv.mu held, as
// CONFIG SET runs as a command).
func (s *Server) ApplySettings(set Settings) {
	set.Port = s.set.Port
	set.Bind = s.set.Bind
	set.Databases = s.set.Databases
	old := s.set
	s.set = set
	s.applyACLSettings(old)
	s.eng.MaxStringSize = set.ProtoMaxBulkLen
	s.evictClients() // a lower maxmemory-clients applies at once
	s.applyOOMScore()
}

// SettingsSnapshot returns a copy of the settings in force (srv.mu not
// held): what the server's own code reads, for tests that check a CONFIG
// SET reached it.
func (s *Server) SettingsSnapshot() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.set
	set.Bind = append([]string(nil), s.set.Bind...)
	return set
}

// SetLoading marks a dataset load in progress, or over (srv.mu held): a
// start-up load, a replica's full sync, an AOF load. While it is set,
// commands without the Loading flag get -LOADING and INFO says loading:1.
func (s *Server) SetLoading(on bool) { s.loading = on }

// SetAsyncLoading marks a background load of the master's data on or off
// (srv.mu held; INFO's async_loading).
func (s *Server) SetAsyncLoading(on bool) { s.asyncLoading = on }

// IsAsyncLoading reports whether a background load is running (srv.mu held).
func (s *Server) IsAsyncLoading() bool { return s.asyncLoading }

// IsLoading reports whether a dataset load is in progress (srv.mu held).
func (s *Server) IsLoading() bool { return s.loading }

// IsReplica reports whether this server replicates from a master: its
// role, as HELLO, WAIT and the log's role letter show it (any goroutine,
// with or without srv.mu). It is not the keyspace's expiry mode, which a
// load changes too.
func (s *Server) IsReplica() bool { return s.replica.Load() }

// SetReplica sets the server's role (srv.mu held): a replica follows a
// master, whose DELs alone remove expired keys (keyspace.ExpireReplica);
// a master removes them itself (keyspace.ExpireMaster). Not during a load,
// which restores the expiry mode it found when it ends.
func (s *Server) SetReplica(on bool) {
	s.replica.Store(on)
	s.refreshExpireMode() // a master's paused writes keep expired keys too
	s.applyOOMScore()     // a replica's score is oom-score-adj-values' second
}

// Addr is the first TCP listening address (the Unix socket's when there
// is no TCP listener).
func (s *Server) Addr() net.Addr {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	if len(s.listeners) == 0 {
		return s.TLSAddr() // a TLS-only server (port 0)
	}
	if _, tcp := s.listeners[0].Addr().(*net.TCPAddr); !tcp {
		if a := s.TLSAddr(); a != nil {
			return a // port 0, a TLS port and a Unix socket
		}
	}
	return s.listeners[0].Addr() // TCP listeners come first
}

func (s *Server) closeListeners() {
	s.listenMu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.listenMu.Unlock()
	s.closeTLS()
}

// Close stops the server: listeners, clients, background work. Every call
// returns once the server's goroutines have ended (a later call waits for
// the first, e.g. the one SHUTDOWN started).
func (s *Server) Close() error {
	if !s.closing.CompareAndSwap(false, true) {
		<-s.closed
		return nil
	}
	s.closeListeners()
	s.mu.Lock()
	for _, c := range s.clients {
		c.noteClose(CloseShutdown)
		c.conn.Close()
	}
	s.mu.Unlock()
	close(s.done)
	s.wg.Wait()
	close(s.closed)
	return nil
}

// SetStarting marks start-up in progress: until it is cleared, clients'
// commands wait, or get -LOADING while a load runs (commands with the
// Loading flag too wait outside the load). Why: the load
// ends before the replication state saved with the data is restored, and
// a client served in between would see (and could PSYNC against) a
// replication ID and offset that are about to change.
func (s *Server) SetStarting(on bool) {
	s.mu.Lock()
	s.starting = on
	s.mu.Unlock()
}

// InClientBatch reports (srv.mu held) whether the running command belongs
// to a client batch, so that the RoundObservers run once the lock is
// released: work for the round can wait for it instead of being done per
// command.
func (s *Server) InClientBatch() bool { return s.clientBatch }

// MarkStopping records that shutdown is decided (srv.mu held, right after
// the final save): commands, the periodic cycle and propagation stop.
func (s *Server) MarkStopping() { s.stopping.Store(true) }

// Stopping reports whether shutdown is decided.
func (s *Server) Stopping() bool { return s.stopping.Load() }

// Done is closed when the server has stopped (Close or SHUTDOWN).
func (s *Server) Done() <-chan struct{} { return s.done }

// Logger returns the server's logger.
func (s *Server) Logger() *logger.Logger { return s.log }

// Engine returns the command engine (for packages that add commands).
func (s *Server) Engine() *command.Engine { return s.eng }

// Lock and Unlock take the server lock, for background work outside
// command execution (persistence, replication).
//
// Lock gives way to clients waiting for the lock, for at most
// backgroundYield. Why: sync.Mutex lets the goroutine that just unlocked
// take the lock straight back, and a snapshot streamer relocks thousands
// of times a second; clients then waited until the mutex's starvation mode
// (1 ms) kicked in, which measured as a 2-3 ms GET p99 on a master during
// a full sync (against 0.2 ms without one). Background work goes on in
// the gaps between client batches instead, which are most of the time
// (the event loop does its socket I/O outside the lock).
func (s *Server) Lock() {
	if s.clientsWaiting.Load() > 0 {
		start := time.Now()
		for i := 1; s.clientsWaiting.Load() > 0; i++ {
			runtime.Gosched()
			if i%16 == 0 && time.Since(start) > backgroundYield {
				break
			}
		}
	}
	s.mu.Lock()
}

func (s *Server) Unlock() { s.mu.Unlock() }

// backgroundYield bounds how long background work gives way to clients,
// so that a steady stream of clients cannot starve it.
const backgroundYield = 500 * time.Microsecond

// lockForClient takes the server lock to run a client's commands, telling
// background work (Lock) to let it go first.
func (s *Server) lockForClient() {
	s.clientsWaiting.Add(1)
	s.mu.Lock()
	s.clientsWaiting.Add(-1)
}

// Keyspace returns the databases; hold the lock to use it.
func (s *Server) Keyspace() *keyspace.Keyspace { return s.ks }

// RunID is the 40-hex run id.
func (s *Server) RunID() string { return s.runID }

// acceptLoop accepts connections on ln until it closes (Close, or a
// CONFIG SET tls-port that replaced a TLS listener) and serves each on
// its own goroutine.
func (s *Server) acceptLoop(ln net.Listener, serve func(net.Conn)) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary errors (EMFILE…): back off instead of spinning.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warningf("Accepting client connection: %v", err)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			serve(conn)
		}()
	}
}

// recoverPanic turns a panic while serving a client into a logged error
// that closes only the offending connection. A command handler's panic
// never gets here: the engine recovers it, answers an error and goes on
// (command.Engine.invoke); this catches the rest (parsing, replies, sinks).
func (s *Server) recoverPanic(c *client) {
	if r := recover(); r != nil {
		s.recoverPanicValue(c, r)
	}
}

func (s *Server) recoverPanicValue(c *client, r any) {
	s.log.Warningf("Panic while serving client %s: %v\n%s", c.addr, r, debug.Stack())
	c.conn.Close()
}

// WritePidfile writes the process id to path.
func WritePidfile(path string) error {
	return os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}
