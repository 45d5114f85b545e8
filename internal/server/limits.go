package server

import (
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// Client limits: client-query-buffer-limit, client-output-buffer-limit per
// class, and the idle timeout. Each closes the client with its CloseReason
// and logs Redis's line.

// overQueryLimit reports (and logs, as Redis does) a client whose input
// not run yet — unparsed bytes plus the arguments queued in MULTI — passed
// client-query-buffer-limit: it is to be closed. The connection's own
// goroutine calls it without srv.mu, after each read.
func (c *client) overQueryLimit() bool {
	if !queryOver(c, c.queryLimit) {
		return false
	}
	s := c.srv
	s.mu.Lock()
	c.logQueryLimit()
	s.mu.Unlock()
	return true
}

// queryOver reports whether the client's unrun input is over lim (0 = no
// limit). The caller owns the reader (or holds srv.mu while the owner is
// parked).
func queryOver(c *client, lim int64) bool {
	return lim > 0 && int64(c.rd.Buffered())+c.sess.MultiBytes() > lim
}

// logQueryLimit logs the closing of a client over client-query-buffer-limit
// with the line operators grep for (srv.mu held).
func (c *client) logQueryLimit() {
	head := c.rd.Pending()
	head = head[:min(len(head), 64)]
	c.srv.log.Warningf("Closing client that reached max query buffer length: %s (qbuf initial bytes: %s)", c.info(), resp.AppendRepr(nil, string(head)))
}

// checkOutputLimit applies client-output-buffer-limit for the client's
// class to its pending output — replies not yet handed to the socket and
// those the socket has not taken — (srv.mu held). It runs after every
// command, push and streamed slice, as Redis checks on every reply, and
// from the cron for clients whose socket is not taking its replies. It
// returns true when the client was closed.
func (c *client) checkOutputLimit() bool {
	if c.mode == modeDetached {
		return false // a replica's output is the replication's
	}
	s := c.srv
	class := c.class()
	lim := &s.set.OutputLimits[class]
	if lim.Hard == 0 && lim.Soft == 0 {
		return false
	}
	size := int64(len(c.w.Buf)) + c.unsent.Load()
	over := false
	if lim.Hard > 0 && size >= lim.Hard {
		over = true
	} else if lim.Soft > 0 && size >= lim.Soft {
		if c.obufSoftSince.IsZero() {
			c.obufSoftSince = time.Now()
		} else if time.Since(c.obufSoftSince) > time.Duration(lim.SoftSecs)*time.Second {
			over = true
		}
	} else {
		c.obufSoftSince = time.Time{}
	}
	if !over {
		return false
	}
	s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.info())
	c.closeFor(outputLimitReason(class)) // a stream, the owner's, ends at its next slice
	c.w.Buf = c.w.Buf[:0]
	c.conn.Close()
	return true
}

func (c *client) class() int {
	switch {
	case c.sess.Flags&command.FlagReplica != 0:
		return ClassReplica
	case c.sess.Subscriptions() > 0:
		return ClassPubSub
	}
	return ClassNormal
}

// outputLimits applies client-output-buffer-limit to clients whose socket
// has not taken their replies, or that went over a soft limit, so that a
// client that stops reading is closed even when it sends nothing more
// (srv.mu held). Replicas are the replication's (their output is not
// here).
func (s *Server) outputLimits() {
	for _, cl := range s.clients {
		if cl.mode == modeDetached || cl.closing || (cl.unsent.Load() == 0 && cl.obufSoftSince.IsZero()) {
			continue
		}
		cl.checkOutputLimit()
	}
}

// clientTimeouts closes idle clients after `timeout` seconds (srv.mu held).
// Replicas, our master, blocked and Pub/Sub clients are exempt, as in Redis.
func (s *Server) clientTimeouts() {
	if s.set.Timeout <= 0 {
		return
	}
	limit := time.Duration(s.set.Timeout) * time.Second
	now := time.Now()
	for _, cl := range s.clients {
		f := cl.sess.Flags
		if f&(command.FlagMaster|command.FlagReplica) != 0 || cl.sess.Blocked() || cl.sess.Subscriptions() > 0 {
			continue
		}
		if now.Sub(cl.lastIO) > limit {
			s.log.Verbosef("Closing idle client")
			cl.closeFor(CloseIdleTimeout)
			cl.conn.Close()
		}
	}
}
