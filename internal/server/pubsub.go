package server

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/glob"
	"github.com/tandemdb/tandem/internal/resp"
)

// pubsub holds channel, pattern and shard channel subscriptions (srv.mu
// guards it). Shard channels are Redis 7.0's sharded Pub/Sub: in a cluster
// a shard channel lives on the shard owning its slot; on a server without
// cluster mode, as here, they are a second namespace of channels, apart
// from the plain ones (SPUBLISH reaches SSUBSCRIBE only, never a pattern).
type pubsub struct {
	channels map[string]map[*client]struct{}
	patterns map[string]map[*client]struct{}
	shard    map[string]map[*client]struct{}
}

// subKind is one of the three kinds of subscription.
type subKind int

const (
	subChannel subKind = iota
	subPattern
	subShard
)

// set returns the session's subscriptions of the kind, and the server's
// subscribers by name (allocating the session's set when create is set).
func (s *Server) subSets(sess *command.Session, kind subKind, create bool) (map[string]struct{}, map[string]map[*client]struct{}) {
	var set *map[string]struct{}
	var subs map[string]map[*client]struct{}
	switch kind {
	case subPattern:
		set, subs = &sess.Patterns, s.ps.patterns
	case subShard:
		set, subs = &sess.ShardChannels, s.ps.shard
	default:
		set, subs = &sess.Channels, s.ps.channels
	}
	if *set == nil && create {
		*set = map[string]struct{}{}
	}
	return *set, subs
}

// replyCount is the count a (un)subscribe reply carries: the plain
// channels and patterns together, or the shard channels alone, as Redis
// 7.0 counts them.
func replyCount(sess *command.Session, kind subKind) int64 {
	if kind == subShard {
		return int64(len(sess.ShardChannels))
	}
	return int64(len(sess.Channels) + len(sess.Patterns))
}

func (s *Server) registerPubSub() {
	s.ps = pubsub{channels: map[string]map[*client]struct{}{}, patterns: map[string]map[*client]struct{}{}, shard: map[string]map[*client]struct{}{}}
	ps := command.PubSub | command.Loading | command.Stale
	s.eng.Table.Add(
		&command.Spec{Name: "subscribe", Arity: -2, Flags: ps | command.NoScript, Handler: s.subscribeCmd(subChannel), Group: "pubsub", Summary: "Listens for messages published to channels.", Since: "2.0.0"},
		&command.Spec{Name: "psubscribe", Arity: -2, Flags: ps | command.NoScript, Handler: s.subscribeCmd(subPattern), Group: "pubsub", Summary: "Listens for messages published to channels that match one or more patterns.", Since: "2.0.0"},
		&command.Spec{Name: "ssubscribe", Arity: -2, Flags: ps | command.NoScript, FirstKey: 1, LastKey: -1, Step: 1, KeysFn: channelsNotKeys, Handler: s.subscribeCmd(subShard), Group: "pubsub", Summary: "Listens for messages published to shard channels.", Since: "7.0.0"},
		&command.Spec{Name: "unsubscribe", Arity: -1, Flags: ps | command.NoScript, Handler: s.unsubscribeCmd(subChannel), Group: "pubsub", Summary: "Stops listening to messages posted to channels.", Since: "2.0.0"},
		&command.Spec{Name: "punsubscribe", Arity: -1, Flags: ps | command.NoScript, Handler: s.unsubscribeCmd(subPattern), Group: "pubsub", Summary: "Stops listening to messages published to channels that match one or more patterns.", Since: "2.0.0"},
		&command.Spec{Name: "sunsubscribe", Arity: -1, Flags: ps | command.NoScript, FirstKey: 1, LastKey: -1, Step: 1, KeysFn: channelsNotKeys, Handler: s.unsubscribeCmd(subShard), Group: "pubsub", Summary: "Stops listening to messages posted to shard channels.", Since: "7.0.0"},
		&command.Spec{Name: "publish", Arity: 3, Flags: ps | command.Fast | command.MayReplicate, Handler: s.publishCmd, Group: "pubsub", Summary: "Posts a message to a channel.", Since: "2.0.0"},
		&command.Spec{Name: "spublish", Arity: 3, Flags: ps | command.Fast | command.MayReplicate, FirstKey: 1, LastKey: 1, Step: 1, KeysFn: channelsNotKeys, Handler: s.spublishCmd, Group: "pubsub", Summary: "Post a message to a shard channel", Since: "7.0.0"},
		&command.Spec{Name: "pubsub", Arity: -2, Flags: ps, Handler: s.pubsubCmd, Group: "pubsub", Summary: "A container for Pub/Sub commands.", Since: "2.8.0",
			Subcommands: []string{"channels", "help", "numpat", "numsub", "shardchannels", "shardnumsub"}},
	)
}

// channelsNotKeys: a shard channel sits where a key would (COMMAND INFO
// shows the positions, which a cluster hashes to a slot), but it is not a
// key: COMMAND GETKEYS finds none, as in Redis 7.0 (its NOT_KEY flag).
func channelsNotKeys([][]byte) []int { return nil }

// prefix is how the kind's command names start: SUBSCRIBE, PSUBSCRIBE,
// SSUBSCRIBE (and UNSUBSCRIBE, …).
func (k subKind) prefix() string {
	switch k {
	case subPattern:
		return "p"
	case subShard:
		return "s"
	}
	return ""
}

func (s *Server) subscribeCmd(kind subKind) command.Handler {
	name := kind.prefix() + "subscribe"
	return func(c *command.Ctx) {
		cl := c.S.Owner.(*client)
		if kind == subShard && c.InExec {
			// A transaction expects one reply per command; Redis 7.0
			// refuses SSUBSCRIBE there (SUBSCRIBE it lets through).
			c.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
			return
		}
		for _, a := range c.Args[1:] {
			ch := string(a)
			set, subs := s.subSets(c.S, kind, true)
			if _, ok := set[ch]; !ok {
				set[ch] = struct{}{}
				m := subs[ch]
				if m == nil {
					m = map[*client]struct{}{}
					subs[ch] = m
				}
				m[cl] = struct{}{}
			}
			m := len(c.W.Buf)
			c.W.Push(3)
			c.W.BulkString(name)
			c.W.Bulk(a)
			c.W.Int(replyCount(c.S, kind))
			c.S.KeepPush(m)
		}
		cl.startAsync()
	}
}

func (s *Server) unsubscribeCmd(kind subKind) command.Handler {
	name := kind.prefix() + "unsubscribe"
	return func(c *command.Ctx) {
		cl := c.S.Owner.(*client)
		set, _ := s.subSets(c.S, kind, false)
		names := make([]string, 0, len(c.Args)-1)
		for _, a := range c.Args[1:] {
			names = append(names, string(a))
		}
		if len(names) == 0 {
			for n := range set {
				names = append(names, n)
			}
			sort.Strings(names)
			if len(names) == 0 {
				m := len(c.W.Buf)
				c.W.Push(3)
				c.W.BulkString(name)
				c.W.Null()
				c.W.Int(replyCount(c.S, kind))
				c.S.KeepPush(m)
				return
			}
		}
		for _, n := range names {
			s.removeSub(cl, n, kind)
			m := len(c.W.Buf)
			c.W.Push(3)
			c.W.BulkString(name)
			c.W.BulkString(n)
			c.W.Int(replyCount(c.S, kind))
			c.S.KeepPush(m)
		}
	}
}

func (s *Server) removeSub(cl *client, name string, kind subKind) {
	set, subs := s.subSets(&cl.sess, kind, false)
	if _, ok := set[name]; !ok {
		return
	}
	delete(set, name)
	if m := subs[name]; m != nil {
		delete(m, cl)
		if len(m) == 0 {
			delete(subs, name)
		}
	}
}

// unsubscribeAll drops every subscription of a closing client (srv.mu held).
func (s *Server) unsubscribeAll(cl *client) {
	for n := range cl.sess.Channels {
		s.removeSub(cl, n, subChannel)
	}
	for n := range cl.sess.Patterns {
		s.removeSub(cl, n, subPattern)
	}
	for n := range cl.sess.ShardChannels {
		s.removeSub(cl, n, subShard)
	}
}

// Publish delivers a message to channel and pattern subscribers (srv.mu
// held) and returns the number of receivers. Replicas call it for PUBLISH
// commands in their master's stream.
func (s *Server) Publish(channel, msg []byte) int {
	n := 0
	var w resp.Writer
	for cl := range s.ps.channels[string(channel)] {
		w.Reset()
		w.Proto = cl.sess.Proto
		w.Push(3)
		w.BulkString("message")
		w.Bulk(channel)
		w.Bulk(msg)
		if cl.Push(w.Buf) {
			n++
		}
	}
	for pat, subs := range s.ps.patterns {
		if !glob.Match([]byte(pat), channel, false) {
			continue
		}
		for cl := range subs {
			w.Reset()
			w.Proto = cl.sess.Proto
			w.Push(4)
			w.BulkString("pmessage")
			w.BulkString(pat)
			w.Bulk(channel)
			w.Bulk(msg)
			if cl.Push(w.Buf) {
				n++
			}
		}
	}
	return n
}

// PublishShard delivers a message to a shard channel's subscribers (srv.mu
// held) and returns their number.
func (s *Server) PublishShard(channel, msg []byte) int {
	n := 0
	var w resp.Writer
	for cl := range s.ps.shard[string(channel)] {
		w.Reset()
		w.Proto = cl.sess.Proto
		w.Push(3)
		w.BulkString("smessage")
		w.Bulk(channel)
		w.Bulk(msg)
		if cl.Push(w.Buf) {
			n++
		}
	}
	return n
}

// spublishCmd: as PUBLISH, it goes to the replicas (not to the AOF) so
// that their subscribers get the message too.
func (s *Server) spublishCmd(c *command.Ctx) {
	n := s.PublishShard(c.Args[1], c.Args[2])
	c.ForcePropagate()
	c.W.Int(int64(n))
}

func (s *Server) publishCmd(c *command.Ctx) {
	n := s.Publish(c.Args[1], c.Args[2])
	c.ForcePropagate()
	c.W.Int(int64(n))
}

func (s *Server) pubsubCmd(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case (sub == "channels" || sub == "shardchannels") && len(c.Args) <= 3:
		var out []string
		chans := s.ps.channels
		if sub == "shardchannels" {
			chans = s.ps.shard
		}
		for ch := range chans {
			if len(c.Args) == 2 || glob.Match(c.Args[2], []byte(ch), false) {
				out = append(out, ch)
			}
		}
		sort.Strings(out)
		c.W.Array(len(out))
		for _, ch := range out {
			c.W.BulkString(ch)
		}
	case sub == "numsub" || sub == "shardnumsub":
		c.W.Array(2 * (len(c.Args) - 2)) // a flat array even in RESP3, as in Redis 7.0
		for _, a := range c.Args[2:] {
			c.W.Bulk(a)
			if sub == "numsub" {
				c.W.Int(int64(len(s.ps.channels[string(a)])))
			} else {
				c.W.Int(int64(len(s.ps.shard[string(a)])))
			}
		}
	case sub == "numpat" && len(c.Args) == 2:
		c.W.Int(int64(len(s.ps.patterns)))
	case sub == "help" && len(c.Args) == 2:
		writeHelp(c, []string{
			"CHANNELS [<pattern>]", "    Return the currently active channels matching a <pattern> (default: '*').",
			"NUMPAT", "    Return number of subscriptions to patterns.",
			"NUMSUB [<channel> ...]", "    Return the number of subscribers for the specified channels, excluding",
			"    pattern subscriptions(default: no channels).",
			"SHARDCHANNELS [<pattern>]", "    Return the currently active shard level channels matching a <pattern> (default: '*').",
			"SHARDNUMSUB [<shardchannel> ...]", "    Return the number of subscribers for the specified shard level channel(s)",
		})
	default:
		c.Error(subcommandError(c))
	}
}

// feedMonitors shows a command to MONITOR clients (srv.mu held), in
// Redis's format: +<unix.micro> [<db> <addr>] "arg" "arg"..., secrets
// redacted (see recordedArgs).
func (s *Server) feedMonitors(sess *command.Session, spec *command.Spec, args [][]byte) {
	if len(s.monitors) == 0 {
		return
	}
	args = recordedArgs(spec, args)
	now := time.Now()
	var b []byte
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	b = append(b, fmt.Sprintf("%06d", now.Nanosecond()/1000)...)
	addr := "unknown"
	if sess.Flags&command.FlagScript != 0 {
		addr = "lua"
	} else if cl, ok := sess.Owner.(*client); ok {
		addr = cl.addr
		if cl.unix {
			addr = "unix:" + s.set.UnixSocket
		}
	}
	b = append(b, fmt.Sprintf(" [%d %s]", sess.DB, addr)...)
	for _, a := range args {
		b = append(b, ' ')
		b = appendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	for _, m := range s.monitors {
		if m.sess.ID != sess.ID {
			m.Push(b)
		}
	}
}

// appendRepr quotes like Redis's sdscatrepr.
func appendRepr(b, s []byte) []byte { return resp.AppendRepr(b, string(s)) }

func (s *Server) monitorCmd(c *command.Ctx) {
	cl := c.S.Owner.(*client)
	if c.S.Flags&command.FlagMonitor == 0 {
		c.S.Flags |= command.FlagMonitor
		s.monitors = append(s.monitors, cl)
		cl.startAsync()
	}
	c.W.OK()
}

func (s *Server) stopMonitor(cl *client) {
	for i, m := range s.monitors {
		if m == cl {
			s.monitors = append(s.monitors[:i], s.monitors[i+1:]...)
			break
		}
	}
	cl.sess.Flags &^= command.FlagMonitor
}

// pause implements CLIENT PAUSE: commands (all, or only writes) from normal
// clients wait until the deadline or CLIENT UNPAUSE.
func (s *Server) pause(d time.Duration, all bool) {
	until := time.Now().Add(d)
	if until.After(s.pausedUntil) {
		s.pausedUntil = until
	}
	s.pauseAll = all || s.pauseAll
	s.refreshExpireMode()
}

func (s *Server) unpause() {
	s.pausedUntil = time.Time{}
	s.pauseAll = false
	s.refreshExpireMode()
}

// startupHoldStep is how often a command held by start-up looks again:
// the window lasts milliseconds unless a load follows.
const startupHoldStep = 2 * time.Millisecond

// pausedFor reports how long a command must wait (srv.mu held): for the
// parts' write holds a step at a time, for CLIENT PAUSE until its deadline.
func (s *Server) pausedFor(sess *command.Session, spec *command.Spec) time.Duration {
	if sess.Flags&(command.FlagMaster|command.FlagReplica) != 0 {
		return 0
	}
	// Start-up outside a load (before the data file is opened, and while
	// the replication state saved with it is restored) holds every
	// client's command, as Redis serves nobody until its event loop runs:
	// a client then never sees -LOADING while INFO says loading:0. During
	// the load itself the gate answers -LOADING, as Redis does.
	if s.starting && !s.loading {
		return startupHoldStep
	}
	writes := mayReplicate(sess, spec)
	if d := s.heldFor(writes); d > 0 {
		return d
	}
	if s.pausedUntil.IsZero() {
		return 0
	}
	d := time.Until(s.pausedUntil)
	if d <= 0 {
		s.unpause()
		return 0
	}
	if s.pauseAll || writes {
		return d
	}
	return 0
}
