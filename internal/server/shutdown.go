package server

// A graceful shutdown, as Redis 7.0 does it (server.c prepareForShutdown,
// isReadyToShutdown, finishShutdown, abortShutdown): a master whose
// replicas have not acknowledged its offset pauses writes, asks them for
// an ACK and waits until they all have, or until shutdown-timeout passed;
// then it logs who lagged, saves (as the flags and the save points say)
// and stops. SHUTDOWN, a signal (cmd/tandem) and the embedding API's
// Close all start here. Reads and replication go on while it waits, and
// SHUTDOWN ABORT cancels the wait.

import (
	"errors"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// ShutdownFlags are SHUTDOWN's modifiers, and what shutdown-on-sigterm
// and shutdown-on-sigint make a signal do.
type ShutdownFlags uint8

const (
	// ShutdownSave saves the RDB even without save points (SAVE).
	ShutdownSave ShutdownFlags = 1 << iota
	// ShutdownNoSave does not save, save points or not (NOSAVE).
	ShutdownNoSave
	// ShutdownNow does not wait for lagging replicas (NOW).
	ShutdownNow
	// ShutdownForce stops even when the final save (or an initial AOF
	// rewrite) fails (FORCE).
	ShutdownForce
	// ShutdownQuiet leaves out the "User requested shutdown..." and
	// "ready to exit" lines: the embedding API's Close of a quiet server.
	ShutdownQuiet
)

// ErrShutdownAborted is the outcome RequestShutdown reports when SHUTDOWN
// ABORT cancelled the wait for replicas.
var ErrShutdownAborted = errors.New("shutdown aborted (SHUTDOWN ABORT)")

// errShutdownReply is what clients blocked in SHUTDOWN get when the
// shutdown is aborted or fails.
const errShutdownReply = "ERR Errors trying to SHUTDOWN. Check logs."

// shutdownHold names a shutdown's write hold (HoldWrites).
const shutdownHold = "shutdown"

// shutdownPoll is how often a shutdown waiting for its replicas looks at
// their ACKs (Redis looks at each cron tick, 100 ms at the default hz).
const shutdownPoll = 10 * time.Millisecond

// ReplicaOffset is where one replica stands, as its master knows it.
type ReplicaOffset struct {
	Name   string // ip:port, as the logs name replicas
	Ack    int64  // the offset it last acknowledged (REPLCONF ACK)
	Lag    int64  // seconds since that ACK while online, else 0
	State  string // wait_bgsave, send_bulk, online
	InSync bool   // it has acknowledged every byte we sent that carries data
}

// ReplicaWaiter is what waiting for replicas asks of replication (srv.mu
// held; internal/repl implements it, app wires it as Parts.Replicas).
type ReplicaWaiter interface {
	// ReplicaOffsets reports our replication offset and where each
	// attached replica stands.
	ReplicaOffsets() (offset int64, replicas []ReplicaOffset)
	// RequestAcks sends the replicas REPLCONF GETACK *, after what they
	// have pending, so that they answer now rather than at their next
	// second.
	RequestAcks()
	// FlushReplicas writes what the replicas have pending without waiting
	// (best effort, right before the server stops).
	FlushReplicas()
}

// shutdownState is the shutdown in progress (srv.mu guards it).
type shutdownState struct {
	flags ShutdownFlags
	// deadline is set while the shutdown waits for replicas (Redis's
	// shutdown_mstime): a SHUTDOWN then joins the wait, ABORT cancels it.
	deadline time.Time
	// gen tells a watcher goroutine whether the wait it watches is still
	// the current one (an aborted wait's watcher must not finish the next).
	gen uint64
	// blocked are the clients whose SHUTDOWN waits; they get an error if
	// the shutdown is aborted or fails, and their connection closes when
	// the server stops. A session is still waiting only while it is
	// blocked in SHUTDOWN (waitingInShutdown): one that disconnected or
	// was unblocked by CLIENT UNBLOCK stays here until the wait ends.
	blocked []*command.Session
	// notify receive the outcome once: RequestShutdown's callers.
	notify []chan error
}

// waitingInShutdown reports whether sess is a client blocked in SHUTDOWN.
func waitingInShutdown(sess *command.Session) bool {
	return sess.Blocked() && sess.LastCmd == "shutdown"
}

// shutdownCommand is SHUTDOWN's work once its arguments are parsed
// (srv.mu held): Redis's shutdownCommand after the syntax checks.
func (s *Server) shutdownCommand(c *command.Ctx, flags ShutdownFlags, abort bool) {
	if abort {
		if !s.abortShutdown() {
			c.Error("ERR No shutdown in progress.")
			return
		}
		c.W.OK()
		return
	}
	if s.shut.deadline.IsZero() {
		waiting, err := s.beginShutdown(flags)
		switch {
		case s.stopping.Load():
			// No reply: the connection closes, as Redis's does when it exits.
			c.S.Flags |= command.FlagCloseAfterReply
			if cl, ok := c.S.Owner.(*client); ok {
				cl.noteClose(CloseShutdown)
			}
			return
		case err != nil:
			c.Error(errShutdownReply)
			return
		case !waiting:
			return // cannot happen: finishing either stops or fails
		}
	}
	// A shutdown waits for replicas (this one's, or an earlier one's,
	// whose flags stand): the client waits with it. CLIENT UNBLOCK
	// TIMEOUT leaves it without a reply, as in Redis.
	s.shut.blocked = append(s.shut.blocked, c.S)
	c.Block(nil, 0, func(*resp.Writer) {})
}

// beginShutdown is Redis's prepareForShutdown (srv.mu held): unless NOW
// or shutdown-timeout 0, a master with replicas that have not
// acknowledged its offset pauses writes, asks them for an ACK and waits
// (waiting is true: watchShutdown finishes later). Otherwise the shutdown
// finishes at once: the server is stopping, or err says why not.
func (s *Server) beginShutdown(flags ShutdownFlags) (waiting bool, err error) {
	// A half-loaded dataset must not overwrite the saved one.
	if s.loading || s.starting {
		flags = flags&^ShutdownSave | ShutdownNoSave
	}
	s.shut.flags = flags
	if flags&ShutdownQuiet == 0 {
		s.log.Warningf("User requested shutdown...")
	}
	if flags&ShutdownNow == 0 && s.set.ShutdownTimeout > 0 && !s.replicasInSync() {
		s.shut.deadline = time.Now().Add(shutdownWait(s.set.ShutdownTimeout))
		s.shut.gen++
		// Not during another pause: the GETACK would move the offset a
		// failover waits for (Redis sends it only when nothing is paused).
		if !s.WritesPaused() {
			s.parts.Replicas.RequestAcks()
		}
		s.HoldWrites(shutdownHold)
		s.log.Noticef("Waiting for replicas before shutting down.")
		s.wg.Add(1)
		go s.watchShutdown(s.shut.gen)
		return true, nil
	}
	return false, s.finishShutdown()
}

// shutdownWait is shutdown-timeout as a duration: a timeout whose
// nanoseconds would overflow (the directive takes any int) is a century.
func shutdownWait(secs int) time.Duration {
	const century = 100 * 365 * 24 * time.Hour
	if int64(secs) >= int64(century/time.Second) {
		return century
	}
	return time.Duration(secs) * time.Second
}

// replicasInSync is Redis's isReadyToShutdown (srv.mu held): no replica
// is behind our offset.
func (s *Server) replicasInSync() bool {
	if s.parts.Replicas == nil {
		return true
	}
	_, list := s.parts.Replicas.ReplicaOffsets()
	for _, r := range list {
		if !r.InSync {
			return false
		}
	}
	return true
}

// watchShutdown finishes the wait for replicas number gen once they are
// all in sync or the deadline passed, unless it was aborted meanwhile.
func (s *Server) watchShutdown(gen uint64) {
	defer s.wg.Done()
	t := time.NewTicker(shutdownPoll)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		s.mu.Lock()
		if s.shut.gen != gen || s.shut.deadline.IsZero() || s.stopping.Load() {
			s.mu.Unlock()
			return
		}
		if !time.Now().Before(s.shut.deadline) || s.replicasInSync() {
			s.finishShutdown()
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// finishShutdown is Redis's finishShutdown (srv.mu held): it logs the
// lagging replicas, runs the parts' ShutdownPreparers (a BGSAVE or AOF
// rewrite is stopped, the AOF fsynced, the RDB saved as the flags and the
// save points say) and marks the server stopping, then closes it. When a
// preparer fails and FORCE is not given, the shutdown is cancelled and
// the server goes on; with FORCE it stops anyway, and the first error is
// still returned (the embedding API's Close reports it).
func (s *Server) finishShutdown() error {
	flags := s.shut.flags
	s.logReplicaSync()
	save := -1
	switch {
	case flags&ShutdownNoSave != 0:
		save = 0
	case flags&ShutdownSave != 0:
		save = 1
	}
	force := flags&ShutdownForce != 0
	var first error
	for _, p := range s.parts.Shutdown {
		if err := p.PrepareShutdown(save, force); err != nil && first == nil {
			first = err
			if !force {
				break
			}
		}
	}
	if first != nil && !force {
		s.log.Warningf("Errors trying to shut down the server. Check the logs for more information.")
		s.cancelShutdown(first)
		return first
	}
	if s.parts.Replicas != nil {
		s.parts.Replicas.FlushReplicas()
	}
	s.MarkStopping()
	if flags&ShutdownQuiet == 0 {
		s.log.Warningf("Redis is now ready to exit, bye bye...")
	}
	s.shut.deadline = time.Time{}
	s.shut.blocked = nil // their connections close with the server
	s.notifyShutdown(first)
	// No connection is accepted from here on: a client that saw SHUTDOWN
	// close its connection and dials again is refused, as by a Redis that
	// has exited (Close, on its own goroutine, may not have run yet).
	s.closeListeners()
	go s.Close()
	return first
}

// logReplicaSync logs every lagging replica and how many are in sync, as
// Redis does before it exits (srv.mu held).
func (s *Server) logReplicaSync() {
	if s.parts.Replicas == nil {
		return
	}
	off, list := s.parts.Replicas.ReplicaOffsets()
	if len(list) == 0 {
		return
	}
	inSync := 0
	for _, r := range list {
		if r.InSync {
			inSync++
			continue
		}
		s.log.Warningf("Lagging replica %s reported offset %d behind master, lag=%d, state=%s.", r.Name, off-r.Ack, r.Lag, r.State)
	}
	s.log.Noticef("%d of %d replicas are in sync when shutting down.", inSync, len(list))
}

// cancelShutdown ends a shutdown that will not happen (srv.mu held): the
// clients waiting in SHUTDOWN get an error, RequestShutdown's callers
// learn why, and writes resume.
func (s *Server) cancelShutdown(why error) {
	s.shut.flags = 0
	s.shut.deadline = time.Time{}
	for _, sess := range s.shut.blocked {
		if waitingInShutdown(sess) {
			s.eng.UnblockWith(sess, func(w *resp.Writer) { w.Error(errShutdownReply) })
		}
	}
	s.shut.blocked = nil
	s.notifyShutdown(why)
	s.ReleaseWrites(shutdownHold)
}

// abortShutdown is SHUTDOWN ABORT (srv.mu held): false when no shutdown
// is in progress.
func (s *Server) abortShutdown() bool {
	if s.shut.deadline.IsZero() {
		return false
	}
	s.cancelShutdown(ErrShutdownAborted)
	s.log.Noticef("Shutdown manually aborted.")
	return true
}

func (s *Server) notifyShutdown(err error) {
	for _, ch := range s.shut.notify {
		ch <- err
	}
	s.shut.notify = nil
}

// RequestShutdown starts a shutdown with flags, as a signal does (srv.mu
// not held), and returns a channel that receives its outcome once: nil,
// or with FORCE the error it stopped despite, when the server is stopping
// (Stopping reports true); otherwise why it goes on running, a failed
// save or ErrShutdownAborted. A request made while a shutdown waits for
// its replicas joins that one (whose flags stand), as a signal does in
// Redis; one made once the server is stopping receives nil at once.
//
// The request may finish the shutdown before it returns (no replica to
// wait for): the final save then runs on the caller's goroutine.
func (s *Server) RequestShutdown(flags ShutdownFlags) <-chan error {
	ch := make(chan error, 1)
	s.mu.Lock()
	// While a script is busy only a NOSAVE shutdown may go ahead (a save
	// would store its effects half done): a signal's waits for the
	// script to end, as Redis's does (SHUTDOWN NOSAVE or SCRIPT KILL end
	// it sooner).
	for s.busyRefusesShutdown(flags) {
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.stopping.Load() || s.closing.Load() {
		ch <- nil
		return ch
	}
	s.shut.notify = append(s.shut.notify, ch)
	if s.shut.deadline.IsZero() {
		s.beginShutdown(flags)
	}
	return ch
}

// busyRefusesShutdown reports whether a busy script refuses a shutdown
// with these flags now (srv.mu held): the gates' answer to SHUTDOWN.
func (s *Server) busyRefusesShutdown(flags ShutdownFlags) bool {
	if flags&ShutdownNoSave != 0 || s.stopping.Load() || s.closing.Load() {
		return false
	}
	spec := s.eng.Table.Lookup([]byte("shutdown"))
	if spec == nil {
		return false
	}
	var sess command.Session
	args := [][]byte{[]byte("shutdown")}
	for _, g := range s.parts.Gates {
		if strings.HasPrefix(g.Gate(&sess, spec, args), "BUSY") {
			return true
		}
	}
	return false
}

// shutdownBlockedClients counts the clients blocked in SHUTDOWN (srv.mu
// held), for INFO's blocked_clients.
func (s *Server) shutdownBlockedClients() int {
	n := 0
	for _, sess := range s.shut.blocked {
		if waitingInShutdown(sess) {
			n++
		}
	}
	return n
}

// shutdownInMilliseconds is INFO's shutdown_in_milliseconds: the time
// left before a shutdown stops waiting for its replicas (ok false when
// none waits).
func (s *Server) shutdownInMilliseconds() (ms int64, ok bool) {
	if s.shut.deadline.IsZero() {
		return 0, false
	}
	return time.Until(s.shut.deadline).Milliseconds(), true
}
