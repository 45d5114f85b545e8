package repl

// FAILOVER, the master's side of a coordinated failover (Redis 7.0's
// failoverCommand, updateFailoverStatus and abortFailover): the master
// holds writes, waits until a replica has everything it wrote, then turns
// itself into a replica of that one with `PSYNC <replid> <offset>
// FAILOVER`, which makes the target promote itself and answer +CONTINUE.
// The link machine sends the FAILOVER argument and reports the answer
// (actFailoverDone, actFailoverAbort); the target's side is in psync.go
// (planFailoverPSYNC) and master.go's syncCmd.

import (
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// failoverState is INFO's master_failover_state.
type failoverState uint8

const (
	noFailover         failoverState = iota // no-failover
	failoverWaitSync                        // waiting-for-sync: writes held, waiting for a replica's ACK
	failoverInProgress                      // failover-in-progress: we are the target's replica, PSYNC FAILOVER under way
)

func (s failoverState) String() string {
	switch s {
	case failoverWaitSync:
		return "waiting-for-sync"
	case failoverInProgress:
		return "failover-in-progress"
	}
	return "no-failover"
}

// failoverHold names the failover's write hold (server.HoldWrites).
const failoverHold = "failover"

// failover is the running FAILOVER (lock held).
type failover struct {
	state failoverState
	// host and port are the target: TO's, or the replica chosen once one
	// is caught up ("" until then).
	host  string
	port  int
	end   time.Time // TIMEOUT's deadline (zero: none)
	force bool
}

// failoverArgs is a parsed FAILOVER command.
type failoverArgs struct {
	abort   bool
	host    string // "" without TO
	port    int64
	timeout int64 // milliseconds, 0 without TIMEOUT
	force   bool
}

// parseFailoverArgs applies Redis's parsing of FAILOVER (its order and its
// errors): ABORT alone, or any order of TO host port, FORCE and TIMEOUT
// ms, each at most once. It returns the error to answer, or "".
func parseFailoverArgs(args [][]byte) (failoverArgs, string) {
	var a failoverArgs
	if len(args) == 2 && strings.EqualFold(string(args[1]), "abort") {
		a.abort = true
		return a, ""
	}
	hasHost := false
	for j := 1; j < len(args); j++ {
		w := string(args[j])
		switch {
		case strings.EqualFold(w, "timeout") && j+1 < len(args) && a.timeout == 0:
			ms, ok := resp.ParseInt(args[j+1])
			if !ok {
				return a, command.ErrNotInt
			}
			if ms <= 0 {
				return a, "ERR FAILOVER timeout must be greater than 0"
			}
			a.timeout = ms
			j++
		case strings.EqualFold(w, "to") && j+2 < len(args) && !hasHost:
			port, ok := resp.ParseInt(args[j+2])
			if !ok {
				return a, command.ErrNotInt
			}
			a.host, a.port, hasHost = string(args[j+1]), port, true
			j += 2
		case strings.EqualFold(w, "force") && !a.force:
			a.force = true
		default:
			return a, command.ErrSyntax
		}
	}
	return a, ""
}

// failoverCmd is FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms].
func (m *Manager) failoverCmd(c *command.Ctx) {
	a, msg := parseFailoverArgs(c.Args)
	if msg != "" {
		c.Error(msg)
		return
	}
	f := &m.fo
	if a.abort {
		if f.state == noFailover {
			c.Error("ERR No failover in progress.")
			return
		}
		m.abortFailover("Failover manually aborted")
		c.W.OK()
		return
	}
	switch {
	case f.state != noFailover:
		c.Error("ERR FAILOVER already in progress.")
		return
	case m.link != nil:
		c.Error("ERR FAILOVER is not valid when server is a replica.")
		return
	case len(m.replicas) == 0:
		c.Error("ERR FAILOVER requires connected replicas.")
		return
	case a.force && (a.timeout == 0 || a.host == ""):
		c.Error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	if a.host != "" {
		r := m.findReplica(a.host, a.port)
		if r == nil {
			c.Error("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if r.state != stateOnline {
			c.Error("ERR FAILOVER target replica is not online.")
			return
		}
		f.host, f.port = a.host, int(a.port)
		m.log.Noticef("FAILOVER requested to %s:%d.", a.host, a.port)
	} else {
		m.log.Noticef("FAILOVER requested to any replica.")
	}
	if a.timeout > 0 {
		// A timeout past any real wait (its nanoseconds would overflow)
		// is a century: never an instant abort.
		d := 100 * 365 * 24 * time.Hour
		if a.timeout < int64(d/time.Millisecond) {
			d = time.Duration(a.timeout) * time.Millisecond
		}
		f.end = time.Now().Add(d)
	}
	f.force = a.force
	f.state = failoverWaitSync
	// The hold also keeps expired keys in place meanwhile (a DEL would
	// move the offset the replicas must reach): they read as missing and
	// stay, as during Redis's write pause.
	m.srv.HoldWrites(failoverHold)
	// Ask for ACKs now rather than at the replicas' next second: a
	// replica answers GETACK with the offset before the GETACK's own
	// bytes, which caughtUp counts as complete (see there).
	if m.backlog != nil {
		m.Propagate(m.selDB, [][]byte{[]byte("REPLCONF"), []byte("GETACK"), []byte("*")})
	}
	c.W.OK()
}

// findReplica is the replica announced as host:port (its announced or
// peer IP, and its listening port), or nil.
func (m *Manager) findReplica(host string, port int64) *replica {
	for _, r := range m.sortedReplicas() {
		if !r.closed && strings.EqualFold(r.addrIP(), host) && int64(r.listenPort) == port {
			return r
		}
	}
	return nil
}

// caughtUp reports whether replica r has every byte of our stream that
// carries data (lock held). Redis asks for an ACK equal to the master's
// offset. A replica answers GETACK with its offset before the GETACK's
// own bytes, and PINGs and GETACKs change no data, so an ACK short of our
// offset by keepalives and ACK requests alone counts too: without it
// FAILOVER waits for the replica's next periodic ACK (up to a second).
// Those bytes were sent before we decide, and the target applies them
// before it reads our PSYNC (several round trips later, after a new
// connection's handshake); if it had not, its PSYNC decision answers a
// full resync, which loses nothing.
func (m *Manager) caughtUp(r *replica) bool {
	if r.state != stateOnline || r.closed {
		return false
	}
	if r.ackOff == m.id.Offset {
		return true
	}
	gap := m.id.Offset - r.ackOff
	if r.ackOff > m.id.Offset || gap > maxKeepaliveTail || m.backlog == nil {
		return false
	}
	br := m.backlog.Range()
	if r.ackOff+1 < br.First {
		return false
	}
	return onlyKeepalives(m.backlog.Copy(r.ackOff + 1))
}

// maxKeepaliveTail bounds the stream tail caughtUp parses: a few PINGs
// and GETACKs (37 bytes each, plus a SELECT at most).
const maxKeepaliveTail = 1024

// onlyKeepalives reports whether stream bytes are whole PING and REPLCONF
// GETACK commands (and SELECTs, which change no data either), nothing
// else.
func onlyKeepalives(b []byte) bool {
	rd := resp.NewReader(int64(len(b)) + 1)
	rd.Feed(b)
	for {
		err := rd.Next()
		if err == resp.ErrIncomplete {
			return rd.Buffered() == 0
		}
		if err != nil || rd.Inline {
			return false
		}
		a := rd.Args
		switch {
		case len(a) == 1 && strings.EqualFold(string(a[0]), "ping"):
		case len(a) == 3 && strings.EqualFold(string(a[0]), "replconf") && strings.EqualFold(string(a[1]), "getack"):
		case len(a) == 2 && strings.EqualFold(string(a[0]), "select"):
		default:
			return false
		}
	}
}

// updateFailover moves a waiting failover on (lock held): at its deadline
// it fails over anyway (FORCE) or gives up; once the target (or, without
// TO, any replica) is caught up it starts the switch. Called at every
// cron tick and after every ACK.
func (m *Manager) updateFailover(now time.Time) {
	f := &m.fo
	if f.state != failoverWaitSync {
		return
	}
	if !f.end.IsZero() && !now.Before(f.end) {
		if f.force {
			m.log.Noticef("FAILOVER to %s:%d time out exceeded, failing over.", f.host, f.port)
			m.switchToTarget()
			return
		}
		m.abortFailover("Replica never caught up before timeout")
		return
	}
	var target *replica
	if f.host != "" {
		target = m.findReplica(f.host, int64(f.port))
	} else {
		for _, r := range m.sortedReplicas() {
			if m.caughtUp(r) {
				target = r
				f.host, f.port = r.addrIP(), r.listenPort
				break
			}
		}
	}
	if target != nil && m.caughtUp(target) {
		m.log.Noticef("Failover target %s:%d is synced, failing over.", f.host, f.port)
		m.switchToTarget()
	}
}

// switchToTarget makes us the target's replica (lock held): the link's
// PSYNC carries FAILOVER. Our replicas stay attached, as Redis keeps
// them: the link drops them when the target's new history arrives, and
// they resync partially from us.
func (m *Manager) switchToTarget() {
	f := &m.fo
	f.state = failoverInProgress
	m.stepLocked(event{kind: evReplicaOf, host: f.host, port: f.port, flag: true})
}

// abortFailover ends a failover that did not happen (lock held): a switch
// under way is undone as REPLICAOF NO ONE would (new history, replicas
// dropped so they resync partially), then writes resume.
func (m *Manager) abortFailover(reason string) {
	f := &m.fo
	if f.state == noFailover {
		return
	}
	m.logFailoverAbort(reason)
	if f.state == failoverInProgress {
		m.stepLocked(event{kind: evNoOne})
	}
	m.clearFailover()
}

func (m *Manager) logFailoverAbort(reason string) {
	f := &m.fo
	if f.host != "" {
		m.log.Noticef("FAILOVER to %s:%d aborted: %s", f.host, f.port, reason)
	} else {
		m.log.Noticef("FAILOVER to any replica aborted: %s", reason)
	}
}

// clearFailover forgets the failover and lets writes go (lock held).
func (m *Manager) clearFailover() {
	if m.fo.state == noFailover {
		return
	}
	m.fo = failover{}
	m.srv.ReleaseWrites(failoverHold) // expiry resumes unless a replica or another hold
}

// failoverInfo is INFO's master_failover_state.
func (m *Manager) failoverInfo() string { return m.fo.state.String() }
