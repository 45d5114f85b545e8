package server

import (
	"time"

	"github.com/tandemdb/tandem/internal/command"
)

// The seams where the parts built on top of the core server (persistence,
// replication, the AOF) plug in. Each is a small interface defined here,
// by the package that calls it; the parts implement them as methods and
// internal/app hands them over once, with Wire, before Start. Where a seam
// holds a list, the server walks it in the order app gave: that order is
// part of the behaviour (which refusal wins, what a shutdown does first),
// so it is written in one place, app.wire, with the reasons.

// CronJob is periodic work, run at every tick of the server's cron with
// srv.mu held, after the server's own work of the tick.
type CronJob interface {
	Cron()
}

// Gate is a reason to refuse a command (MISCONF, READONLY, …), checked
// after the server's own (LOADING) with srv.mu held: a non-empty result is
// the error the client gets, and the first gate that refuses wins.
type Gate interface {
	Gate(sess *command.Session, spec *command.Spec, args [][]byte) string
}

// RoundObserver runs without srv.mu after each round of client commands:
// once per event-loop wake-up (not per client), after each batch on the
// goroutine path. Replication writes the round's stream to the replicas
// here, as Redis does before it sleeps. See endRound.
type RoundObserver interface {
	AfterRound()
}

// ReplyBarrier runs before a round's replies are written to the sockets,
// without srv.mu: it may wait (the AOF's write, and its group fsync under
// appendfsync always) while other clients keep running commands.
type ReplyBarrier interface {
	Barrier()
}

// ShutdownPreparer is a part's work when a shutdown is decided (SHUTDOWN,
// SIGTERM, the embedding API's Close), srv.mu held, once the wait for
// replicas is over. save is SHUTDOWN's choice: 1 SAVE, 0 NOSAVE, -1
// neither (save when save points are configured). An error refuses the
// shutdown and the preparers after it do not run, unless force (SHUTDOWN
// FORCE): the part then logs that the server exits anyway, returns the
// error all the same, and the walk goes on.
type ShutdownPreparer interface {
	PrepareShutdown(save int, force bool) error
}

// DebugProvider answers DEBUG subcommands the server does not know itself
// (srv.mu held); it reports whether it answered.
type DebugProvider interface {
	Debug(c *command.Ctx, sub string) bool
}

// DisconnectObserver learns that a client went away (srv.mu held).
type DisconnectObserver interface {
	Disconnected(sess *command.Session)
}

// Replication is what the server asks of replication (srv.mu held): the
// ROLE and WAIT commands, a replica's keep-alive newline, the link to our
// master as a pseudo-client, and the counters INFO stats shows.
type Replication interface {
	Role(c *command.Ctx)
	Wait(c *command.Ctx)
	// ReplicaNewline runs when a replica's connection sends an empty
	// line: a loading replica's sign of life (Redis refreshes the
	// replica's ACK time on it).
	ReplicaNewline(sess *command.Session)
	// PseudoClients lists connections the server does not run itself
	// (the link to our master), so CLIENT LIST and CLIENT KILL see them.
	PseudoClients() []PseudoClient
	ReplStats() ReplStats
	// ResetStats zeroes the sync counters (CONFIG RESETSTAT).
	ResetStats()
}

// LastSaver reports the time of the last successful save (LASTSAVE), in
// Unix seconds (srv.mu held).
type LastSaver interface {
	LastSave() int64
}

// MigrateCache reports how many connections MIGRATE keeps open for reuse
// (INFO stats' migrate_cached_sockets; srv.mu held).
type MigrateCache interface {
	CachedSockets() int
}

// Parts are the parts wired into a server. Any may be nil or empty.
type Parts struct {
	Cron       []CronJob            // in this order, every tick
	Gates      []Gate               // the first refusal wins
	Round      []RoundObserver      // after each round, before the barriers
	Barriers   []ReplyBarrier       // before a round's replies are written
	Shutdown   []ShutdownPreparer   // in this order; an error stops the walk (not under FORCE)
	Debug      []DebugProvider      // asked in this order
	Disconnect []DisconnectObserver // when a client goes away
	Repl       Replication
	LastSave   LastSaver
	Migrate    MigrateCache
	Scripts    ScriptInfo     // INFO memory's scripting fields
	Replicas   ReplicaWaiter  // what a shutdown waits for (shutdown.go)
	Memory     MemoryReporter // maxmemory's account (INFO memory, MEMORY STATS)
}

// Wire hands the server its parts (before Start; once).
func (s *Server) Wire(p Parts) { s.parts = p }

// endRound is the order of work after a round of client commands, written
// once for the event loop and the goroutine path (srv.mu not held):
//
//  1. the RoundObservers: replication feeds the replicas the round's
//     stream (Redis does it before it sleeps, before the clients' replies);
//  2. when the round has replies to write, the ReplyBarriers: the AOF
//     writes what the round propagated and, under appendfsync always,
//     fsyncs it, since no reply may leave before its write is in the file;
//  3. the caller writes the replies.
func (s *Server) endRound(replies bool) {
	s.afterRound()
	if replies {
		s.replyBarrier()
	}
}

// afterRound runs the RoundObservers (srv.mu not held).
func (s *Server) afterRound() {
	for _, r := range s.parts.Round {
		r.AfterRound()
	}
}

// replyBarrier runs the ReplyBarriers (srv.mu not held).
func (s *Server) replyBarrier() {
	for _, b := range s.parts.Barriers {
		b.Barrier()
	}
}

// pseudoClients lists the pseudo-clients (srv.mu held).
func (s *Server) pseudoClients() []PseudoClient {
	if s.parts.Repl == nil {
		return nil
	}
	return s.parts.Repl.PseudoClients()
}

// engineHost is the server as its engine's command.Host (srv.mu held): a
// conversion of *Server, so the engine's calls cost an interface call and
// no allocation, and the Server's own method set stays free of them.
type engineHost Server

var _ command.Host = (*engineHost)(nil)

func (h *engineHost) AuthRequired() bool { return (*Server)(h).authRequired() }

func (h *engineHost) Protected(sess *command.Session, spec *command.Spec, args [][]byte) string {
	return (*Server)(h).protectedRefusal(sess, spec, args)
}

func (h *engineHost) Gate(sess *command.Session, spec *command.Spec, args [][]byte) string {
	return (*Server)(h).gate(sess, spec, args)
}

func (h *engineHost) Monitor(sess *command.Session, spec *command.Spec, args [][]byte) {
	(*Server)(h).feedMonitors(sess, spec, args)
}

func (h *engineHost) Slow(sess *command.Session, spec *command.Spec, args [][]byte, d time.Duration) {
	(*Server)(h).recordSlow(sess, spec, args, d)
	(*Server)(h).recordLatency(spec.StatsFor(args), d)
}

func (h *engineHost) Warnf(format string, args ...any) { h.log.Warningf(format, args...) }
