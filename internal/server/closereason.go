package server

import "github.com/tandemdb/tandem/internal/logger"

// CloseReason says why a client's connection ended, as nats-server's
// ClosedState does. Each connection ends with exactly one: the first cause
// recorded (a kill, a limit, QUIT, …) wins over what its goroutine then
// observes (the read that fails because the socket was closed), so a
// client closed by CLIENT KILL is reported killed, not "read error".
//
// The reason appears in the log (see logClose) and in the server's close
// counters (closeHistory). It is not in INFO: Redis 7.0 has no per-reason
// fields (client_query_buffer_limit_disconnections and
// client_output_buffer_limit_disconnections came with 7.2), and Tandem's
// INFO shows 7.0's fields only. CLIENT LIST does not show it either: a
// client is listed only while open.
type CloseReason uint8

const (
	closeNone CloseReason = iota // still open
	// CloseQuit: the client sent QUIT.
	CloseQuit
	// ClosePeer: the client closed its end of the connection.
	ClosePeer
	// CloseReadError: reading from the socket failed (reset, …).
	CloseReadError
	// CloseWriteError: writing a reply to the socket failed.
	CloseWriteError
	// CloseProtocolError: the client sent what RESP does not allow.
	CloseProtocolError
	// CloseQueryBufferLimit: its unrun input passed
	// client-query-buffer-limit.
	CloseQueryBufferLimit
	// CloseOutputLimitNormal, CloseOutputLimitReplica and
	// CloseOutputLimitPubSub: its pending output passed the
	// client-output-buffer-limit of its class.
	CloseOutputLimitNormal
	CloseOutputLimitReplica
	CloseOutputLimitPubSub
	// CloseIdleTimeout: idle for longer than `timeout`.
	CloseIdleTimeout
	// CloseKilled: CLIENT KILL.
	CloseKilled
	// CloseShutdown: the server is stopping (SHUTDOWN, Close).
	CloseShutdown
	// CloseRoleChange: the server changed role (a master becoming a
	// replica drops its blocked clients; a new history drops the
	// replicas, which reconnect to learn it).
	CloseRoleChange
	// CloseReplicaTimeout: a replica sent no ACK within repl-timeout.
	CloseReplicaTimeout
	// CloseReplicaProtocol: a replica sent a command replicas may not
	// send.
	CloseReplicaProtocol
	// CloseReplyAborted: a reply sent in slices could not be completed.
	CloseReplyAborted
	// CloseInternalError: the server could not go on serving it (a panic
	// while serving, a socket the event loop could not take or hand over).
	CloseInternalError
	// CloseEvicted: client eviction (maxmemory-clients).
	CloseEvicted

	numCloseReasons
)

func (r CloseReason) String() string {
	switch r {
	case closeNone:
		return "open"
	case CloseQuit:
		return "quit"
	case ClosePeer:
		return "client closed connection"
	case CloseReadError:
		return "read error"
	case CloseWriteError:
		return "write error"
	case CloseProtocolError:
		return "protocol error"
	case CloseQueryBufferLimit:
		return "query buffer limit"
	case CloseOutputLimitNormal:
		return "output buffer limit (normal)"
	case CloseOutputLimitReplica:
		return "output buffer limit (replica)"
	case CloseOutputLimitPubSub:
		return "output buffer limit (pubsub)"
	case CloseIdleTimeout:
		return "idle timeout"
	case CloseKilled:
		return "killed"
	case CloseShutdown:
		return "server shutdown"
	case CloseRoleChange:
		return "role change"
	case CloseReplicaTimeout:
		return "replica timeout"
	case CloseReplicaProtocol:
		return "replica protocol violation"
	case CloseReplyAborted:
		return "reply aborted"
	case CloseInternalError:
		return "internal error"
	case CloseEvicted:
		return "evicted (maxmemory-clients)"
	}
	return "unknown"
}

// loggedOnDecision reports whether the decision to close already logged a
// line naming the cause — Redis's where it has one ("… scheduled to be
// closed ASAP for overcoming of output buffer limits.", "Closing idle
// client", …), which operators grep — so the close itself adds nothing.
func (r CloseReason) loggedOnDecision() bool {
	switch r {
	case CloseProtocolError, CloseQueryBufferLimit, CloseOutputLimitNormal, CloseOutputLimitReplica,
		CloseOutputLimitPubSub, CloseIdleTimeout, CloseReplicaTimeout, CloseReplicaProtocol,
		CloseReplyAborted, CloseInternalError, CloseEvicted:
		return true
	}
	return false
}

// outputLimitReason is the close reason of a client-output-buffer-limit
// class.
func outputLimitReason(class int) CloseReason {
	switch class {
	case ClassReplica:
		return CloseOutputLimitReplica
	case ClassPubSub:
		return CloseOutputLimitPubSub
	}
	return CloseOutputLimitNormal
}

// noteClose records why the connection is ending, unless a reason is
// already recorded (srv.mu held). It does not stop the client: that is
// closeFor. Used where the close comes after the replies (QUIT, a kill of
// oneself) and for failures the connection's own goroutine meets.
func (c *client) noteClose(why CloseReason) {
	if c.closeReason == closeNone {
		c.closeReason = why
	}
}

// closeFor decides to close the client now, for why (srv.mu held): its
// remaining commands do not run, pushes to it are refused, its writer
// goroutine exits. The caller closes the socket, which ends the
// connection's goroutine (or the event loop's hold on it).
func (c *client) closeFor(why CloseReason) {
	c.closing = true
	c.noteClose(why)
}

// recentCloseLen is how many closes closeHistory remembers.
const recentCloseLen = 16

// closedClient is one close remembered by closeHistory.
type closedClient struct {
	id     int64
	addr   string
	reason CloseReason
}

// closeLog counts closes per reason and keeps the last few (srv.mu).
type closeLog struct {
	counts [numCloseReasons]int64
	recent [recentCloseLen]closedClient
	n      int // closes recorded; recent[(n-1)%len] is the newest
}

// logClose records a client's close and logs it (srv.mu held, before the
// client's state is torn down, so its CLIENT LIST line is still whole).
// Reasons whose decision logged Redis's line add nothing; a peer's close
// logs Redis's "Client closed connection" line, the others a line naming
// the reason, all at verbose level, as Redis logs a client's end.
func (s *Server) logClose(c *client) {
	why := c.closeReason
	l := &s.closes
	l.counts[why]++
	l.recent[l.n%recentCloseLen] = closedClient{id: c.sess.ID, addr: c.addr, reason: why}
	l.n++
	if why.loggedOnDecision() || !s.log.Enabled(logger.Verbose) {
		return
	}
	if why == ClosePeer {
		s.log.Verbosef("Client closed connection %s", c.info())
		return
	}
	s.log.Verbosef("Closing client %s: %s", c.info(), why)
}

// closeHistory returns how many connections ended for each reason and the
// last ones to end, newest first (srv.mu held). For tests and debugging:
// no command shows it (see CloseReason).
func (s *Server) closeHistory() (counts [numCloseReasons]int64, recent []closedClient) {
	l := &s.closes
	for i := 1; i <= min(l.n, recentCloseLen); i++ {
		recent = append(recent, l.recent[(l.n-i)%recentCloseLen])
	}
	return l.counts, recent
}
