// Package app assembles a Tandem instance from a parsed configuration:
// logger, server, and (as they land) persistence and replication. The
// tandem binary and the embedding API both start instances through it, so
// they share one code path.
package app

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tandemdb/tandem/internal/aof"
	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/dump"
	"github.com/tandemdb/tandem/internal/evict"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/repl"
	"github.com/tandemdb/tandem/internal/script"
	"github.com/tandemdb/tandem/internal/server"
)

// Instance is a running server with its configuration. Everything that
// differs from one server to another lives here or in the parts it holds,
// never in package variables: several instances may run in one process
// (the embedding API), each with its own settings, files and hooks.
type Instance struct {
	Server  *server.Server
	Persist *persist.Manager
	Repl    *repl.Manager
	AOF     *aof.Manager
	Dump    *dump.Manager
	Evict   *evict.Manager
	Config  *config.Config
	Log     *logger.Logger

	quiet    bool
	tls      *tlsParts // the TLS configuration's users (tls.go)
	pidfile  string    // written by Start, removed when the instance stops
	stopOnce sync.Once
	stopErr  error
}

// Options adjust how an instance starts.
type Options struct {
	// EphemeralPort listens on a free port of the first bind address
	// instead of cfg.Port (embedding and tests).
	EphemeralPort bool
	// Quiet skips the start-up banner.
	Quiet bool
	// Crash ends the process after a crash report (DEBUG SEGFAULT, PANIC,
	// ASSERT); nil in an embedded server, where they answer an error.
	Crash server.CrashFunc
	// SetTitle shows a process title (the program's main, which owns the
	// process; nil in an embedded server). Title is the program's name as
	// it was run, proc-title-template's {title}.
	SetTitle func(string)
	Title    string
}

// Settings derives the server's typed settings from the configuration.
func Settings(c *config.Config) server.Settings {
	s := server.DefaultSettings()
	s.Bind = slices.Clone(c.Bind)
	s.Port = c.Port
	s.UnixSocket = c.UnixSocket
	s.UnixSocketPerm = c.UnixSocketPerm
	s.Databases = c.Databases
	s.RequirePass = c.RequirePass
	s.MaxClients = int(c.MaxClients)
	s.Timeout = c.Timeout
	s.TCPKeepAlive = c.TCPKeepalive
	s.ProtectedMode = c.ProtectedMode
	s.Dir = c.Dir
	s.Logfile = c.LogFile
	s.Loglevel = c.LogLevel.String()
	s.Pidfile = c.PidFile
	s.Daemonize = c.Daemonize
	s.Hz = c.HZ
	s.ProtoMaxBulkLen = c.ProtoMaxBulkLen
	s.ClientQueryBufferLimit = c.ClientQueryBufferLimit
	for i, l := range c.ClientOutputBufferLimit {
		s.OutputLimits[i] = server.OutputLimit{Hard: int64(l.Hard), Soft: int64(l.Soft), SoftSecs: int(l.SoftSeconds)}
	}
	s.SlowlogSlowerThan = c.SlowlogLogSlowerThan
	s.WatchdogPeriod = c.WatchdogPeriod
	s.OOMScoreAdj, s.OOMScoreAdjValues = c.OOMScoreAdj, c.OOMScoreAdjValues()
	s.SlowlogMaxLen = int(c.SlowlogMaxLen)
	s.MaxmemoryPolicy = c.MaxMemoryPolicy.String()
	s.EnableDebug = c.EnableDebugCommand.String()
	s.EnableModule = c.EnableModuleCommand.String()
	s.IdlePurge = c.JemallocBgThread
	s.TrackingTableMaxKeys = int(c.TrackingTableMaxKeys)
	s.LatencyMonitorThreshold = c.LatencyMonitorThreshold
	s.LatencyTracking = c.LatencyTracking
	s.LatencyPercentiles = slices.Clone(c.LatencyPercentiles())
	s.ShutdownTimeout = c.ShutdownTimeout
	s.ACLLogMaxLen = int(c.ACLLogMaxLen)
	if v := c.Get("acl-pubsub-default"); len(v) == 1 {
		s.ACLPubsubAll = v[0][1] == "allchannels"
	}
	s.NotifyKeyspace, s.NotifyKeyevent, s.NotifyClasses = notifyClasses(c.NotifyKeyspaceEvents)
	s.MaxmemoryClients, s.MaxmemoryForClients = clientMemorySettings(c)
	return s
}

// notifyClasses splits notify-keyspace-events into its two channels and
// the engine's event classes.
func notifyClasses(f config.KeyspaceEvents) (keyspace, keyevent bool, classes command.Event) {
	for _, m := range []struct {
		c config.KeyspaceEvents
		e command.Event
	}{
		{config.EventsGeneric, command.EvGeneric}, {config.EventsString, command.EvString},
		{config.EventsList, command.EvList}, {config.EventsSet, command.EvSet},
		{config.EventsHash, command.EvHash}, {config.EventsZSet, command.EvZSet},
		{config.EventsExpired, command.EvExpired}, {config.EventsEvicted, command.EvEvicted},
		{config.EventsStream, command.EvStream}, {config.EventsKeyMiss, command.EvKeyMiss},
		{config.EventsNew, command.EvNew},
	} {
		if f&m.c != 0 {
			classes |= m.e
		}
	}
	return f&config.EventsKeyspace != 0, f&config.EventsKeyevent != 0, classes
}

// configStore adapts *config.Config to what CONFIG GET/SET/REWRITE need.
// What a change sets in motion is the config's subscribers' business
// (wireConfig).
type configStore struct {
	cfg *config.Config
}

func (cs *configStore) Get(patterns ...string) [][2]string { return cs.cfg.Get(patterns...) }

func (cs *configStore) Set(pairs [][2]string, loading, local bool) error {
	opts := []config.SetOption{config.OnlySupported()}
	if loading {
		opts = append(opts, config.WhileLoading())
	}
	if local {
		opts = append(opts, config.FromLocalClient())
	}
	return cs.cfg.Set(pairs, opts...)
}

func (cs *configStore) RewriteAll() error { return cs.cfg.RewriteAll() }

func (cs *configStore) Rewrite() error {
	if cs.cfg.Path() == "" {
		return fmt.Errorf("ERR The server is running without a config file")
	}
	return cs.cfg.Rewrite()
}

// Start builds and starts an instance. The pid file (cfg.PidFile, when
// set) is written once the listeners are open, as redis-server does. When
// Start fails, everything it took is given back before it returns:
// listeners, goroutines, open files, the pid file.
func Start(cfg *config.Config, opts Options) (_ *Instance, err error) {
	if err := cfg.CheckSupported("Redis " + server.Version); err != nil {
		return nil, err
	}
	level, _ := logger.ParseLevel(cfg.LogLevel.String())
	var srv *server.Server
	role := func() byte {
		if srv != nil && srv.IsReplica() {
			return 'S'
		}
		return 'M'
	}
	log := logger.New(cfg.LogFile, level, role)
	set := Settings(cfg)
	if opts.EphemeralPort {
		set.Port = -1
	}
	srv = server.New(server.Options{Settings: set, Logger: log, ConfigFile: cfg.Path()})
	srv.Engine().Limits = persist.Limits(cfg)
	setLazyfree(srv.Engine().KS, cfg)
	srv.SetConfig(&configStore{cfg: cfg})
	pm := persist.NewManager(srv, cfg, log)
	rm := repl.New(srv, cfg, log, pm)
	am := aof.New(aof.Options{Server: srv, Config: cfg, Log: log, Persist: pm})
	// busy-reply-threshold is read under the server lock, where CONFIG
	// SET changes it.
	sc := script.New(srv.Engine(), script.Options{Log: log, BusyThreshold: func() int64 { return cfg.BusyReplyThreshold },
		RDBCompression: func() bool { return cfg.RDBCompression }})
	dm := dump.New(srv, cfg, log)
	em := evict.New(evict.Options{Engine: srv.Engine(), Config: cfg, IsReplica: srv.IsReplica,
		Backlog: func() int64 { return rm.ReplStats().BufferMem }, AOFBuffer: am.BufferBytes, Paused: srv.WritesPaused,
		Clients: srv.ClientMemory})
	wire(srv, pm, rm, am, sc, dm, em)
	wireConfig(cfg, log, srv, rm, am, em)
	inst := &Instance{Server: srv, Persist: pm, Repl: rm, AOF: am, Dump: dm, Evict: em, Config: cfg, Log: log, quiet: opts.Quiet}
	defer func() {
		if err != nil {
			// A configuration banner is printed whole by the caller (as
			// redis-server prints it); anything else is logged here.
			var banner *config.FileError
			if !errors.As(err, &banner) {
				log.Warningf("%v", err)
			}
			inst.release()
		}
	}()
	// TLS before the listeners open: a bad certificate stops start-up.
	if inst.tls, err = wireTLS(cfg, log, srv, rm, dm); err != nil {
		return nil, err
	}
	// Every command is registered now: the ACL knows them by their real
	// names, and rename-command applies to them all.
	if err := srv.SetupACL(server.ACLOptions{Users: cfg.Users, File: cfg.ACLFile}); err != nil {
		return nil, err
	}
	cfg.ACLUsers = srv.ACLUserLines
	if err := cfg.ApplyRenames("Redis "+server.Version, srv.Engine().Table.Rename); err != nil {
		return nil, err
	}
	if !opts.Quiet {
		log.Childf(logger.Warning, "oO0OoO0OoO0Oo Tandem is starting oO0OoO0OoO0Oo")
		log.Childf(logger.Warning, "Tandem version=%s (redis_version=%s), bits=64, pid=%d, just started", server.TandemVersion, server.Version, os.Getpid())
		if cfg.Path() == "" {
			log.Childf(logger.Warning, "Warning: no config file specified, using the default config. In order to specify a config file use tandem /path/to/redis.conf")
		} else {
			log.Childf(logger.Warning, "Configuration loaded")
		}
	}
	srv.SetCrashFunc(opts.Crash)
	// The heap before any data is loaded is the fixed part of what
	// maxmemory counts (used_memory_startup): measured (a collection)
	// before the listeners open, so that no client waits for it.
	em.SetStartup(evict.StartupHeap())
	srv.Lock()
	em.Apply(cfg)
	srv.Unlock()
	srv.SetStarting(true)
	if err := srv.Start(); err != nil {
		return nil, err
	}
	// maxmemory's background eviction runs on the event loop between
	// rounds, as Redis's timer does (without a loop, in the cron).
	if t := srv.AddLoopTask(func(time.Time) bool { return em.Step() }); t != nil {
		srv.Lock()
		em.SetWaker(t.Wake)
		srv.Unlock()
	}
	if cfg.PidFile != "" {
		if err := server.WritePidfile(cfg.PidFile); err != nil {
			log.Warningf("Failed to write PID file: %v", err)
		} else {
			inst.pidfile = cfg.PidFile
		}
	}
	if !opts.Quiet {
		port := set.Port
		if a := srv.Addr(); a != nil {
			port = portOf(a.String())
		}
		log.Raw(banner(port))
		log.Warningf("Server initialized")
	}
	// With appendonly yes the AOF is the dataset and dump.rdb is ignored,
	// as in Redis; the manifest is read either way (sequence numbers).
	res, err := am.LoadAtStartup()
	if err == nil && !cfg.AppendOnly {
		res, err = pm.LoadAtStartup()
	}
	if err != nil {
		return nil, err
	}
	rm.RestoreFromRDB(res)
	rm.Start()
	if opts.SetTitle != nil && cfg.SetProcTitle {
		// As Redis: the template's title at start, and again when the
		// template or what it shows changes (a rejected change runs this
		// again with the old values).
		opts.SetTitle(cfg.ProcTitle(opts.Title))
		cfg.Subscribe(func(c *config.Config) error {
			opts.SetTitle(c.ProcTitle(opts.Title))
			return nil
		}, "proc-title-template", "port", "tls-port", "bind", "unixsocket")
	}
	srv.SetStarting(false)
	if !opts.Quiet {
		log.Noticef("Ready to accept connections")
	}
	return inst, nil
}

// wire connects the parts of an instance, once, before the server starts:
// the only place where they meet. Each part implements the small
// interfaces of the package that calls it (server.Gate, persist.AOFInfo,
// repl.FullSyncObserver, …); the order of every list below is behaviour,
// and the comment beside it says why.
func wire(srv *server.Server, pm *persist.Manager, rm *repl.Manager, am *aof.Manager, sc *script.Scripting, dm *dump.Manager, em *evict.Manager) {
	eng := srv.Engine()
	// A write goes out to the replication stream first, then into the
	// AOF's buffer: both see every command in the same order, and the
	// round's end (server.endRound) sends the stream to the replicas
	// before the AOF's barrier holds the replies for its write and fsync.
	eng.Sinks = append(eng.Sinks, rm, am)
	// What each sink is, for a script's redis.set_repl.
	eng.SinkTargets = append(eng.SinkTargets, command.TargetReplicas, command.TargetAOF)
	// EVAL, EVALSHA, their _RO forms and SCRIPT replace the stubs; a busy
	// script lets other clients in through the server.
	sc.Register()
	sc.SetYielder(srv)
	// The function libraries are part of the dataset: in every RDB, and
	// replaced by every load that replaces the data.
	pm.SetFunctions(sc)
	// WAIT's target: the replication offset after a client's writes.
	eng.Offsets = rm
	// FLUSHALL kills a stale BGSAVE and saves the empty dataset.
	eng.Flushes = pm

	// Every RDB (dump.rdb, a full sync's, an AOF base) carries the
	// replication AUX fields; a BGSAVE can serve full syncs; INFO
	// persistence ends with the AOF's fields.
	pm.SetReplication(rm)
	pm.SetAOF(am)
	// A replica's AOF rewrites itself after a full sync (the dataset
	// changed without one propagated command).
	rm.OnFullSync(am)

	srv.SetInfoSection("persistence", pm.Info)
	srv.SetInfoSection("replication", rm.Info)
	srv.Wire(server.Parts{
		// Every tick, after the server's own work: save points first, then
		// replication (pings, timeouts, ACKs), then the AOF (pending
		// writes and the everysec fsync, rewrites) last, so that its
		// write takes whatever was propagated earlier in the tick. MIGRATE's
		// idle cached connections are closed last (it propagates nothing).
		// maxmemory's background eviction, when no loop task does it,
		// last.
		Cron: []server.CronJob{pm, rm, am, dm, em},
		// After the server's own refusals (shutting down, LOADING), the
		// first that refuses wins, in the order they always ran: the RDB's
		// MISCONF (a failed BGSAVE), then replication's (READONLY,
		// NOREPLICAS, MASTERDOWN, …), then the AOF's MISCONF (a failed
		// write). A client's error text depends on it when several apply.
		// BUSY (a script past busy-reply-threshold) comes last, as in
		// Redis's processCommand. maxmemory comes first, as in Redis: it
		// evicts before anything else may refuse (and a refused command
		// still finds memory freed, as in Redis).
		Gates: []server.Gate{em, pm, rm, am, sc},
		// After a round of commands: replication sends the round's stream
		// to the replicas, then the AOF's barrier writes (and under
		// appendfsync always fsyncs) before any reply leaves.
		Round:    []server.RoundObserver{rm},
		Barriers: []server.ReplyBarrier{am},
		// A shutdown flushes and fsyncs the AOF (killing a rewrite) before
		// the RDB is saved, so that a failed save refusing the shutdown
		// still leaves the AOF complete.
		Shutdown: []server.ShutdownPreparer{am, pm},
		// DEBUG subcommands have distinct names; replication's are asked
		// first, as they were.
		Debug:      []server.DebugProvider{rm, pm, dm, am, sc},
		Disconnect: []server.DisconnectObserver{rm},
		Scripts:    sc,
		Repl:       rm,
		LastSave:   pm,
		Migrate:    dm,
		// A shutdown waits for the replicas to acknowledge our offset.
		Replicas: rm,
		Memory:   em,
	})
}

// wireConfig subscribes the parts to CONFIG SET, the one way a change
// reaches them. Every part reads its settings from cfg under the server's
// lock (persist's save points, repl's timeouts, the AOF's rewrite
// thresholds are read where they are used, so a change holds from the next
// use); a part subscribes only where it keeps something derived from a
// value. The order is the order of the reactions: the server's typed
// settings first (every directive: a copy is cheap and none can be
// missed), then the log level, replication's backlog, and the AOF last,
// whose turning on may fail and veto the whole change, after which every
// subscriber runs again on the old values.
func wireConfig(cfg *config.Config, log *logger.Logger, srv *server.Server, rm *repl.Manager, am *aof.Manager, em *evict.Manager) {
	cfg.Subscribe(func(c *config.Config) error {
		srv.ApplySettings(Settings(c))
		srv.Engine().Limits = persist.Limits(c)
		setLazyfree(srv.Engine().KS, c)
		return nil
	})
	// The new port is bound before the old one closes; one that cannot be
	// bound vetoes the change.
	cfg.Subscribe(func(c *config.Config) error { return srv.SetPort(c.Port) }, "port")
	// bind re-binds every TCP and TLS listener; failure restores the old.
	cfg.Subscribe(func(c *config.Config) error { return srv.SetBind(c.Bind) }, "bind")
	cfg.Subscribe(func(c *config.Config) error {
		if lvl, ok := logger.ParseLevel(c.LogLevel.String()); ok {
			log.SetLevel(lvl)
		}
		return nil
	}, "loglevel")
	cfg.Subscribe(rm.ConfigChanged, "repl-backlog-size")
	cfg.Subscribe(am.ConfigChanged, "appendonly", "appendfsync")
	// A lower maxmemory evicts at once; the policy decides what the
	// keys' access fields track (LRU or LFU).
	cfg.Subscribe(em.Apply, "maxmemory", "maxmemory-policy", "lfu-log-factor", "lfu-decay-time")
}

func portOf(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	var p int
	fmt.Sscan(addr[i+1:], &p)
	return p
}

// banner is the start-up box operators grep for Port: and PID:.
func banner(port int) string {
	return fmt.Sprintf(`
   ______                __
  /_  __/__ _ ___  ___/ /__ __ _     Tandem %s (Redis %s compatible)
   / / / _ '/ _ \/ _  / -_)  ' \    Running in standalone mode
  /_/  \_,_/_//_/\_,_/\__/_/_/_/    Port: %d
                                     PID: %d

`, server.TandemVersion, server.Version, port, os.Getpid())
}

// Shutdown stops the instance as SHUTDOWN FORCE does, and is what the
// binary does once a signal's or a client's shutdown has stopped the
// server, and what the embedding API's Close does:
//
//  1. unless a SHUTDOWN or a signal already did it (the server is
//     stopping), the server's shutdown runs (internal/server/shutdown.go):
//     a master waits up to shutdown-timeout for its replicas to
//     acknowledge its offset, with writes paused; then the preparers run
//     (see wire): a running AOF rewrite and BGSAVE are killed, the AOF
//     buffer is written and fsynced, and the RDB is saved when save
//     points are configured. FORCE: a failed save is logged and
//     returned, and the instance stops anyway (Close cannot be refused).
//     A SHUTDOWN ABORT from a client during the wait only ends the wait;
//  2. replication links and replica senders are closed;
//  3. the server closes its listeners and clients and waits for its own
//     goroutines;
//  4. the AOF file is closed and the persistence goroutines are waited
//     for; the pid file is removed.
//
// Shutdown may be called more than once; later calls wait for the first
// and return its result.
func (inst *Instance) Shutdown() error {
	inst.stopOnce.Do(func() { inst.stopErr = inst.shutdown() })
	return inst.stopErr
}

func (inst *Instance) shutdown() error {
	flags := server.ShutdownForce
	if inst.quiet {
		flags |= server.ShutdownQuiet
	}
	err := <-inst.Server.RequestShutdown(flags)
	if !inst.Server.Stopping() {
		// Aborted while it waited for replicas: stop without waiting.
		err = <-inst.Server.RequestShutdown(flags | server.ShutdownNow)
	}
	if err != nil {
		inst.Log.Warningf("Errors trying to shut down the server. Check the logs for more information.")
	}
	inst.release()
	return err
}

// release gives back what the instance holds, in dependency order: links
// to other servers first, then the listeners and clients, then the files
// and the goroutines that write them. Start's error paths use it too, at
// whatever point start-up stopped (each step copes with parts that never
// started).
func (inst *Instance) release() {
	inst.Repl.Close()
	inst.Server.Close()
	inst.Dump.Close() // MIGRATE's cached connections: no command runs now
	inst.Evict.Release()
	inst.AOF.Close()
	inst.Persist.Close()
	if inst.pidfile != "" {
		os.Remove(inst.pidfile)
	}
}
