package server

import (
	"errors"
	"os"
	"time"
)

// Buffers that shrink. A client's query buffer grows to its largest
// request and its reply buffers to its largest batch of replies; without
// this they would keep that size for the client's whole life. Each client
// is looked at as often as Redis's client cron visits it (resizePeriod):
// once a second when there are many clients, up to hz times a second when
// there are few:
//
//   - the query buffer gives back its free room when the client has been
//     idle for more than 2 s (all of it when it holds nothing, as Redis
//     frees an idle client's query buffer), or when it is over 32 KB and
//     more than twice the most it held since the last look
//     (resp.Reader.Trim has the rules);
//   - the reply buffers shrink when the most a batch's replies took in the
//     last 5 s is under half their size, to that peak (at least 1 KB),
//     counted in INFO's reply_buffer_shrinks; a batch that outgrows them
//     counts in reply_buffer_expands.
//
// The reply buffers live under srv.mu, so the cron resizes them itself.
// The query buffer belongs to the goroutine that reads into it: the event
// loop trims its clients' buffers in its own sweep, a parked (blocked)
// client's is trimmed by the cron under srv.mu (its background reader
// feeds it under the lock too), and a client on its own goroutine, which
// may sit in a read into that buffer, is asked to trim it: the cron sets
// trimReq and a read deadline in the past, the read returns, and the
// goroutine trims and reads on.

const (
	// queryIdleTrim: a query buffer idle this long is trimmed to its use.
	queryIdleTrim = 2 * time.Second
	// replyMinBytes is the smallest size a reply buffer shrinks to
	// (Redis's PROTO_REPLY_MIN_BYTES).
	replyMinBytes = 1024
	// replyPeakReset is how long a reply buffer's peak is remembered.
	replyPeakReset = 5 * time.Second
	// resizeEvery is how often one client's buffers are looked at when
	// there are many clients.
	resizeEvery = time.Second
	// cronMinClients is how many clients Redis's client cron visits at
	// least per tick (CLIENTS_CRON_MIN_ITERATIONS).
	cronMinClients = 5
)

// resizePeriod is how often one client's buffers are looked at with n
// clients and the cron at hz: Redis's client cron visits n/hz clients per
// tick, but at least cronMinClients, so each client once a second when
// there are many and every tick when there are few. The peak rule's window
// is this period: with few clients a burst's buffer shrinks within a few
// tenths of a second, as in Redis (its unit/querybuf counts on it).
func resizePeriod(n, hz int) time.Duration {
	hz = max(hz, 1)
	tick := time.Second / time.Duration(hz)
	// Ticks between two visits of one client: n / max(n/hz, min).
	ticks := max(1, n/max(n/hz, cronMinClients))
	return min(resizeEvery, time.Duration(ticks)*tick)
}

// noteReplySize records the size of a batch's replies taken for writing
// (srv.mu held).
func (c *client) noteReplySize(out []byte) {
	if len(out) > c.replyPeak {
		c.replyPeak = len(out)
	}
	if cap(out) > c.replySize {
		if c.replySize > 0 {
			c.srv.stats.replyExpands++
		}
		c.replySize = cap(out)
	}
}

// resizeBuffers is the cron's pass over the clients' buffers (srv.mu
// held).
func (s *Server) resizeBuffers(now time.Time) {
	period := resizePeriod(len(s.clients), cronHz(s.set.Hz))
	s.resizeEvery.Store(int64(period))
	for _, cl := range s.clients {
		// A tenth of a tick of slack: ticks are not exact.
		if cl.closing || now.Sub(cl.lastResize) < period-period/10 {
			continue
		}
		cl.lastResize = now
		cl.resizeReply(now)
		// cl.mode changes only under srv.mu.
		switch {
		case cl.mode == modeLoop:
			// The event loop's sweep trims these.
		case cl.blocked || cl.readingBehind:
			cl.trimQuery(now)
		case (cl.qbufCap > minQueryBuffer || cl.qbufCap > 0 && now.Sub(cl.lastIO) > queryIdleTrim) &&
			cl.mode != modeDetached && !cl.trimReq.Load():
			cl.trimReq.Store(true)
			cl.conn.SetReadDeadline(time.Unix(1, 0))
		}
	}
}

// minQueryBuffer is a reader's initial size: only an idle trim of an
// empty buffer goes below it (to nothing).
const minQueryBuffer = 16 * 1024

// resizeReply shrinks an idle client's reply buffers to its recent peak
// (srv.mu held).
func (c *client) resizeReply(now time.Time) {
	if c.srv.replyResizeOff {
		return
	}
	if len(c.w.Buf) == 0 && c.replySize/2 >= replyMinBytes && c.replyPeak < c.replySize/2 {
		size := max(replyMinBytes, c.replyPeak+1)
		c.w.Buf = make([]byte, 0, size)
		// The spare may be the buffer a write is still sending: it is
		// dropped, not reused; the next batch allocates what it needs.
		c.spare = nil
		c.replySize = size
		c.srv.stats.replyShrinks++
	}
	reset := c.srv.replyPeakReset
	if reset == 0 {
		reset = replyPeakReset
	}
	if reset > 0 && now.Sub(c.replyPeakAt) >= reset {
		c.replyPeak = len(c.w.Buf)
		c.replyPeakAt = now
	}
}

// trimQuery trims the query buffer by the idle rule or the peak rule
// (srv.mu held, and the caller owns the reader: its goroutine, the event
// loop, or the cron for a parked client).
func (c *client) trimQuery(now time.Time) {
	if c.rd.Trim(now.Sub(c.lastIO) > queryIdleTrim) {
		c.noteReader()
	}
}

// trimWake handles a read that returned because the cron asked for a trim
// (connection goroutine): it trims and reports true, so the loop reads on.
// Any other error is the connection's end.
func (c *client) trimWake(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) || !c.trimReq.Swap(false) {
		return false
	}
	c.conn.SetReadDeadline(time.Time{})
	s := c.srv
	s.mu.Lock()
	c.trimQuery(time.Now())
	s.mu.Unlock()
	return true
}
