package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// Client-side caching (CLIENT TRACKING), as Redis 7.0 does it. In the
// default mode the server remembers, per key, the clients that read it and
// tells each of them once when it changes (then forgets); in BCAST mode a
// client names key prefixes and hears of every change under them, sent
// once per batch of commands. Keys are names only, whatever the database,
// as in Redis. Invalidations go as RESP3 pushes (`invalidate`), or to the
// client given with REDIRECT, which on RESP2 receives them as messages of
// the __redis__:invalidate channel.
//
// A tracking client stays where it is served: invalidations arrive while
// other clients run commands, and pushTo hands them to the writer
// goroutine of a client that has one, or leaves them in a loop client's
// buffer for the event loop to write between its rounds
// (movePushTargets). A client on the goroutine path without a writer
// goroutine gets one at its first push.

// trackingState is one client's CLIENT TRACKING settings.
type trackingState struct {
	on, bcast, optin, optout, noloop bool
	// caching: CLIENT CACHING YES (OPTIN) or NO (OPTOUT) applies to the
	// next command (all of a transaction).
	caching bool
	// brokenRedirect: the REDIRECT client went away.
	brokenRedirect bool
	redirect       int64
	prefixes       []string // BCAST prefixes, sorted
}

// tracker is the server's tracking table (srv.mu guards it).
type tracker struct {
	// table maps a key read by default-mode clients to their ids. The
	// readers are held by value: a read of a new key costs the map's
	// entry alone (and the key's string when it is a long one).
	table trackTable
	items int // the number of (key, client) pairs in table
	// prefixes are the BCAST prefixes in use.
	prefixes map[string]*bcastPrefix
	clients  int // clients with tracking on
	// pending are invalidations for the running client of keys its own
	// command changed: sent after the command's reply, as Redis does.
	pending    []pendingInvalidation
	pendingFor *command.Session
}

// pendingInvalidation is a key (or, null, every key) to invalidate.
type pendingInvalidation struct {
	key  []byte
	null bool
}

// bcastPrefix is one BCAST prefix: its clients, and the keys under it
// changed since the last broadcast with the client that changed each
// (for NOLOOP; nil for the server itself).
type bcastPrefix struct {
	clients map[*client]struct{}
	keys    map[string]*command.Session
}

// trackingEngine adapts the server to command.Tracker.
type trackingEngine Server

func (t *trackingEngine) TrackRead(caller *command.Session, spec *command.Spec, args [][]byte) {
	(*Server)(t).trackRead(caller, spec, args)
}
func (t *trackingEngine) KeyChanged(key []byte, by, current *command.Session) {
	(*Server)(t).trackKeyChanged(key, by, current)
}
func (t *trackingEngine) Flushed(by *command.Session) { (*Server)(t).trackFlushed(by) }
func (t *trackingEngine) AfterCommand(s *command.Session, spec *command.Spec) {
	(*Server)(t).trackAfterCommand(s, spec)
}

func (s *Server) trackRead(caller *command.Session, spec *command.Spec, args [][]byte) {
	cl, ok := caller.Owner.(*client)
	if !ok {
		return
	}
	st := &cl.trk
	if !st.on || st.bcast || (st.optin && !st.caching) || (st.optout && st.caching) {
		return
	}
	t := &s.trk
	eachKey(spec, args, func(i int) {
		// One lookup when the client is known to read the key already
		// (a cached key read again); a second only to store a change.
		r := t.table.get(args[i])
		switch t.table.addReader(&r, caller.ID, s.trackerGone) {
		case readerAdded:
			t.table.set(args[i], r)
			t.items++
		case readerReplaced:
			t.table.set(args[i], r)
		}
	})
}

// trackerGone says whether the client id no longer tracks keys in the
// default mode (it left, turned tracking off or went BCAST): its entries
// in the table are skipped when their key changes.
func (s *Server) trackerGone(id int64) bool {
	c := s.clients[id]
	return c == nil || !c.trk.on || c.trk.bcast
}

// trackKeyChanged: BCAST clients learn of the key with the client that
// changed it (by: NOLOOP leaves a client's own changes out, and an expiry
// is nobody's); a default-mode client is told at once, or after its
// command's reply when it is the one running (current), whatever caused
// the change; with NOLOOP, not at all then.
func (s *Server) trackKeyChanged(key []byte, by, current *command.Session) {
	t := &s.trk
	if len(t.prefixes) > 0 {
		for p, bp := range t.prefixes {
			if strings.HasPrefix(string(key), p) {
				bp.keys[string(key)] = by
			}
		}
		if !s.clientBatch {
			s.trackBroadcast() // a change from replication or the cron
		}
	}
	if t.table.len() == 0 { // nobody caches anything: every write passes here
		return
	}
	var buf [8]int64
	ids, ok := t.table.take(key, buf[:0])
	if !ok {
		return
	}
	t.items -= len(ids)
	for _, id := range ids {
		target := s.clients[id]
		if target == nil || !target.trk.on || target.trk.bcast {
			continue
		}
		if target.trk.noloop && current == &target.sess {
			continue
		}
		if current == &target.sess {
			// Its own command is running: after the reply (AfterCommand).
			t.pending = append(t.pending, pendingInvalidation{key: []byte(key)})
			t.pendingFor = current
			continue
		}
		s.sendInvalidation(target, [][]byte{key}, false)
	}
}

func (s *Server) trackFlushed(by *command.Session) {
	t := &s.trk
	// The whole table goes, whoever tracks now: entries of clients that
	// turned tracking off (or left) go with it, as in Redis.
	t.table, t.items = trackTable{}, 0
	if t.clients == 0 {
		return
	}
	for _, cl := range s.clients {
		switch {
		case !cl.trk.on:
		case by == &cl.sess:
			t.pending = append(t.pending, pendingInvalidation{null: true})
			t.pendingFor = by
		default:
			s.sendInvalidation(cl, nil, true)
		}
	}
}

func (s *Server) trackAfterCommand(sess *command.Session, spec *command.Spec) {
	t := &s.trk
	if t.pendingFor == sess && len(t.pending) > 0 {
		if cl, ok := sess.Owner.(*client); ok {
			for _, p := range t.pending {
				s.sendInvalidation(cl, [][]byte{p.key}, p.null)
			}
		}
		t.pending, t.pendingFor = t.pending[:0], nil
	}
	// CACHING YES/NO covers one command, or a whole transaction; CLIENT
	// itself (CLIENT CACHING) does not use it up.
	if cl, ok := sess.Owner.(*client); ok && cl.trk.caching && !sess.InMulti() && spec.Name != "client" {
		cl.trk.caching = false
	}
}

// trackBroadcast sends the BCAST invalidations gathered since the last
// one (srv.mu held): per prefix, the changed keys in order, to each of its
// clients, leaving out for a NOLOOP client the keys it changed itself.
func (s *Server) trackBroadcast() {
	for _, p := range slices.Sorted(mapsKeys(s.trk.prefixes)) {
		bp := s.trk.prefixes[p]
		if len(bp.keys) == 0 {
			continue
		}
		keys := slices.Sorted(mapsKeys(bp.keys))
		clients := make([]*client, 0, len(bp.clients))
		for cl := range bp.clients {
			clients = append(clients, cl)
		}
		slices.SortFunc(clients, func(a, b *client) int { return int(a.sess.ID - b.sess.ID) })
		for _, cl := range clients {
			send := keys
			if cl.trk.noloop {
				send = nil
				for _, k := range keys {
					if bp.keys[k] != &cl.sess {
						send = append(send, k)
					}
				}
				if len(send) == 0 {
					continue
				}
			}
			bs := make([][]byte, len(send))
			for i, k := range send {
				bs[i] = []byte(k)
			}
			s.sendInvalidation(cl, bs, false)
		}
		clear(bp.keys)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// sendInvalidation tells a tracking client that keys changed (null: every
// key, after a flush): as an `invalidate` push in RESP3, or through its
// REDIRECT client, which in RESP2 gets a __redis__:invalidate message if it
// is subscribed to anything (Redis checks no more than that).
func (s *Server) sendInvalidation(cl *client, keys [][]byte, null bool) {
	dest, redirected := cl, false
	if cl.trk.redirect != 0 {
		r := s.clients[cl.trk.redirect]
		if r == nil || r.closing {
			cl.trk.brokenRedirect = true
			if cl.sess.Proto > 2 {
				var w resp.Writer
				w.Proto = cl.sess.Proto
				w.Push(2)
				w.BulkString("tracking-redir-broken")
				w.Int(cl.trk.redirect)
				s.pushTo(cl, w.Buf)
			}
			return
		}
		dest, redirected = r, true
	}
	var w resp.Writer
	w.Proto = dest.sess.Proto
	switch {
	case dest.sess.Proto > 2:
		w.Push(2)
		w.BulkString("invalidate")
	case redirected && dest.sess.Subscriptions() > 0:
		w.Push(3)
		w.BulkString("message")
		w.BulkString("__redis__:invalidate")
	default:
		return
	}
	if null {
		// The null of the tracking client's protocol, whoever gets it.
		if cl.sess.Proto > 2 {
			w.Buf = append(w.Buf, "_\r\n"...)
		} else {
			w.Buf = append(w.Buf, "$-1\r\n"...)
		}
	} else {
		w.Array(len(keys))
		for _, k := range keys {
			w.Bulk(k)
		}
	}
	s.pushTo(dest, w.Buf)
}

// pushTo gives a client output it did not ask for (srv.mu held). A client
// on the goroutine path moves to a writer goroutine at once (whole writes
// are serialized by writeMu); one on the event loop can only be moved by
// the loop's goroutine: the bytes wait in its buffer (in order) and the
// loop, woken, moves it (movePushTargets).
func (s *Server) pushTo(c *client, b []byte) {
	switch c.mode {
	case modeAsync:
		c.Push(b)
	case modeConn:
		c.startAsync()
		c.Push(b)
	case modeLoop:
		c.w.Buf = append(c.w.Buf, b...)
		// Held to its output limit and counted like any reply.
		if c.checkOutputLimit() {
			return
		}
		s.noteClientMem(c)
		s.evictClients()
		if !c.pushQueued {
			c.pushQueued = true
			s.pushTargets = append(s.pushTargets, c)
			s.pushPending.Store(true)
			if s.loop != nil {
				s.loop.wake()
			}
		}
	}
}

// movePushTargets delivers what pushTo left in loop clients' buffers (the
// event loop's goroutine, between rounds, after the round's replies were
// written; srv.mu not held). A client still on the loop stays there: the
// loop writes its pushes as it writes replies, and only a socket that does
// not take them at once sends the client to the goroutine path (as for a
// reply). So a tracking client, which may be told of a change at any
// time, keeps the event loop's cost per command; only subscribers and
// monitors, which get a stream of output, need a writer goroutine. A
// client that left the loop meanwhile gets its writer goroutine now.
func (s *Server) movePushTargets() {
	s.mu.Lock()
	writes := s.pushWrites[:0]
	for _, c := range s.pushTargets {
		c.pushQueued = false
		switch {
		case c.closing:
		case c.mode == modeLoop:
			if len(c.w.Buf) > 0 {
				writes = append(writes, pushWrite{c: c, out: c.takeOutput()})
				// Written by the loop at once (below): no longer pending
				// for maxmemory, which must not evict again for them.
				s.noteClientMem(c)
			}
		case c.mode == modeConn:
			c.startAsync()
			c.kickLocked()
		default:
			c.kickLocked()
		}
	}
	clear(s.pushTargets)
	s.pushTargets = s.pushTargets[:0]
	s.pushPending.Store(false)
	s.mu.Unlock()
	s.loop.writePushes(writes)
	clear(writes)
	s.pushWrites = writes[:0]
}

// pushWrite is a loop client's pushed output, taken from its buffer for
// the loop to write.
type pushWrite struct {
	c   *client
	out []byte
}

// trackingOn answers CLIENT TRACKING ON|OFF … (srv.mu held), with Redis
// 7.0's checks and their order.
func (s *Server) trackingCmd(c *command.Ctx, cl *client) {
	var redirect int64
	var bcast, optin, optout, noloop bool
	var prefixes []string
	for j := 3; j < len(c.Args); j++ {
		more := j < len(c.Args)-1
		switch opt := strings.ToLower(string(c.Args[j])); {
		case opt == "redirect" && more:
			j++
			if redirect != 0 {
				c.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error(command.ErrNotInt)
				return
			}
			target := s.clients[id]
			if target == nil {
				c.Error("ERR The client ID you want redirect to does not exist")
				return
			}
			redirect = id
		case opt == "bcast":
			bcast = true
		case opt == "optin":
			optin = true
		case opt == "optout":
			optout = true
		case opt == "noloop":
			noloop = true
		case opt == "prefix" && more:
			j++
			prefixes = append(prefixes, string(c.Args[j]))
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	st := &cl.trk
	switch strings.ToLower(string(c.Args[2])) {
	case "on":
		switch {
		case !bcast && len(prefixes) > 0:
			c.Error("ERR PREFIX option requires BCAST mode to be enabled")
			return
		case st.on && st.bcast != bcast:
			c.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		case bcast && (optin || optout):
			c.Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		case optin && optout:
			c.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		case (optin && st.optout) || (optout && st.optin):
			c.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if bcast {
			if msg := prefixCollision(st.prefixes, prefixes); msg != "" {
				c.Error(msg)
				return
			}
		}
		s.enableTracking(cl, redirect, bcast, optin, optout, noloop, prefixes)
	case "off":
		s.disableTracking(cl)
	default:
		c.Error(command.ErrSyntax)
		return
	}
	c.W.OK()
}

// prefixCollision checks that no two of a client's BCAST prefixes overlap
// (one a prefix of the other), with Redis's error text. Unlike Redis 7.0,
// an overlap inside the new list always fails the command (Redis replies
// the error and then turns tracking on anyway when it is not the first).
func prefixCollision(existing, prefixes []string) string {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range prefixes {
		for _, e := range existing {
			if overlap(e, p) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.", p, e)
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.", p, q)
			}
		}
	}
	return ""
}

func (s *Server) enableTracking(cl *client, redirect int64, bcast, optin, optout, noloop bool, prefixes []string) {
	st := &cl.trk
	if !st.on {
		s.trk.clients++
	}
	st.on, st.bcast, st.optin, st.optout, st.noloop = true, bcast, optin, optout, noloop
	st.brokenRedirect = false
	st.redirect = redirect
	cl.sess.Tracking = true
	if bcast {
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		if s.trk.prefixes == nil {
			s.trk.prefixes = map[string]*bcastPrefix{}
		}
		for _, p := range prefixes {
			bp := s.trk.prefixes[p]
			if bp == nil {
				bp = &bcastPrefix{clients: map[*client]struct{}{}, keys: map[string]*command.Session{}}
				s.trk.prefixes[p] = bp
			}
			bp.clients[cl] = struct{}{}
			if !slices.Contains(st.prefixes, p) {
				st.prefixes = append(st.prefixes, p)
			}
		}
		slices.Sort(st.prefixes)
	}
}

// disableTracking turns a client's tracking off (CLIENT TRACKING OFF, or
// the client going away). The keys it read stay in the table until they
// change, as in Redis: they are skipped then.
func (s *Server) disableTracking(cl *client) {
	st := &cl.trk
	if !st.on {
		return
	}
	for _, p := range st.prefixes {
		if bp := s.trk.prefixes[p]; bp != nil {
			delete(bp.clients, cl)
			if len(bp.clients) == 0 {
				delete(s.trk.prefixes, p)
			}
		}
	}
	redirect := st.redirect
	*st = trackingState{redirect: redirect}
	cl.sess.Tracking = false
	s.trk.clients--
}

// trackingLimit forgets keys beyond tracking-table-max-keys (cron, srv.mu
// held), telling their clients as if the keys had changed, so that no
// client keeps a value the server no longer watches. 0 means no limit.
func (s *Server) trackingLimit(max int) {
	t := &s.trk
	if max <= 0 || t.table.len() <= max {
		return
	}
	t.table.eachKey(func(k []byte) bool {
		if t.table.len() <= max {
			return false
		}
		s.trackKeyChanged(k, nil, nil)
		return true
	})
}

// trackingFlags are CLIENT LIST's letters for tracking: t, R, B.
func (st *trackingState) listFlags() string {
	f := ""
	if st.on {
		f += "t"
	}
	if st.brokenRedirect {
		f += "R"
	}
	if st.bcast {
		f += "B"
	}
	return f
}

// getRedir is CLIENT GETREDIR's answer: the REDIRECT client, 0 without
// one, -1 when tracking is off.
func (st *trackingState) getRedir() int64 {
	if !st.on {
		return -1
	}
	return st.redirect
}
