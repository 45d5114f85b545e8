package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// Consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, and what
// XREADGROUP does to a group. What they change reaches replicas and the
// AOF as Redis 7.0 propagates it: a delivery as XCLAIM … FORCE JUSTID
// LASTID, a NOACK read as XGROUP SETID … ENTRIESREAD, a consumer a NOACK
// read created as XGROUP CREATECONSUMER.

func streamGroupCommands() []*Spec {
	k1 := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, 1, 1; return s }
	g := "stream"
	return []*Spec{
		{Name: "xreadgroup", Arity: -7, Flags: Write | Blocking | MovableKeys, KeysFn: xreadKeys, Handler: xreadCmd, Group: g, Summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", Since: "5.0.0"},
		{Name: "xgroup", Arity: -2, Flags: 0, KeysFn: xinfoKeys, Handler: xgroupCmd, Group: g, Summary: "A container for consumer groups commands", Since: "5.0.0",
			Subcommands: []string{"create", "createconsumer", "delconsumer", "destroy", "help", "setid"}},
		k1(&Spec{Name: "xack", Arity: -4, Flags: Write | Fast, Handler: xackCmd, Group: g, Summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", Since: "5.0.0"}),
		k1(&Spec{Name: "xpending", Arity: -3, Flags: ReadOnly, Handler: xpendingCmd, Group: g, Summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", Since: "5.0.0"}),
		k1(&Spec{Name: "xclaim", Arity: -6, Flags: Write | Fast, Handler: xclaimCmd, Group: g, Summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", Since: "5.0.0"}),
		k1(&Spec{Name: "xautoclaim", Arity: -6, Flags: Write | Fast, Handler: xautoclaimCmd, Group: g, Summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", Since: "6.2.0"}),
	}
}

// groupConsumer finds the consumer (refreshing its seen time) or creates
// it; one a NOACK read creates is propagated as XGROUP CREATECONSUMER.
func groupConsumer(c *Ctx, key []byte, g *types.StreamGroup, group, name []byte, noack bool) *types.StreamConsumer {
	now := c.E.KS.Now()
	if cs := g.Consumer(name); cs != nil {
		cs.SeenTime = now
		return cs
	}
	cs := g.AddConsumer(name, now)
	modifiedNoWake(c, key)
	c.Notify(EvStream, "xgroup-createconsumer", key)
	if noack {
		c.Propagate([]byte("XGROUP"), []byte("CREATECONSUMER"), key, group, name)
	}
	return cs
}

// propagateClaim is streamPropagateXCLAIM: the idempotent form of a
// delivery (or of dropping a pending entry whose message is gone).
func propagateClaim(c *Ctx, key, group []byte, g *types.StreamGroup, id []byte, n *types.StreamNACK) {
	c.Propagate([]byte("XCLAIM"), key, group, []byte(n.Consumer.Name), []byte("0"), id,
		[]byte("TIME"), strconv.AppendInt(nil, n.DeliveryTime, 10),
		[]byte("RETRYCOUNT"), strconv.AppendUint(nil, n.DeliveryCount, 10),
		[]byte("FORCE"), []byte("JUSTID"), []byte("LASTID"), g.LastID.AppendTo(nil))
}

// propagateGroupID is streamPropagateGroupID: XGROUP SETID with the
// group's last ID and read counter.
func propagateGroupID(c *Ctx, key, group []byte, g *types.StreamGroup) {
	c.Propagate([]byte("XGROUP"), []byte("SETID"), key, group, g.LastID.AppendTo(nil),
		[]byte("ENTRIESREAD"), strconv.AppendInt(nil, g.EntriesRead, 10))
}

// serveGroup writes the entries from start on (at most count, 0 = all) as
// new deliveries to consumer cs: the group's last ID and read counter
// advance, each entry becomes pending for cs unless noack, and every
// change is propagated (streamReplyWithRange with a group).
func serveGroup(c *Ctx, w *resp.Writer, key []byte, s *types.Stream, g *types.StreamGroup, group []byte, cs *types.StreamConsumer, start types.StreamID, count int64, noack bool) {
	// Forward from the group's last ID, as the previous read left off:
	// RangeFrom starts where that read stopped. One walk writes the
	// entries, and the array's header goes before them once counted.
	mark := w.Len()
	var idArr [48]byte
	idBuf := idArr[:0]
	propagateLast := false
	now := c.E.KS.Now()
	var gotArr [8]types.StreamID // COUNT 1 reads, the usual, allocate nothing
	got := gotArr[:0]
	s.RangeFrom(start, types.MaxStreamID, func(id types.StreamID, fv [][]byte) bool {
		idBuf = writeStreamEntry(w, id, fv, idBuf)
		got = append(got, id)
		return count <= 0 || int64(len(got)) < count
	})
	w.ArrayAt(mark, len(got))
	// The group is updated after the walk: the stream is not changed
	// while Range runs.
	for _, id := range got {
		if id.Compare(g.LastID) > 0 {
			if g.EntriesRead != -1 && !s.HasTombstones(id, nil) {
				g.EntriesRead++
			} else if s.EntriesAdded != 0 {
				g.EntriesRead = s.EstimateEntriesRead(id)
			}
			g.LastID = id
			if noack {
				propagateLast = true
			}
		}
		if noack {
			continue
		}
		nack := g.PEL.Get(id)
		if nack != nil {
			if nack.Consumer != nil {
				nack.Consumer.PEL.Remove(id)
			}
			nack.Consumer, nack.DeliveryTime, nack.DeliveryCount = cs, now, 1
		} else {
			nack = g.NewNACK(id, cs, now)
			g.PEL.Insert(nack)
		}
		cs.PEL.Insert(nack)
		if c.E.sinksActive() { // no replica, backlog or AOF: nothing to build
			propagateClaim(c, key, group, g, id.AppendTo(nil), nack)
		}
	}
	if propagateLast {
		propagateGroupID(c, key, group, g)
	}
	if len(got) > 0 {
		modifiedNoWake(c, key)
	}
}

// writeConsumerHistory is streamReplyWithRangeFromConsumerPEL: cs's
// pending entries from start on (at most count), each redelivered (its
// time and count updated, not propagated, as in Redis); one whose message
// is gone is [id, nil].
func writeConsumerHistory(c *Ctx, w *resp.Writer, s *types.Stream, cs *types.StreamConsumer, start types.StreamID, count int64) {
	limit := -1
	if count > 0 {
		limit = int(min(count, math.MaxInt32))
	}
	todo := cs.PEL.CountFrom(start, limit)
	now := c.E.KS.Now()
	w.Array(todo)
	var idBuf []byte
	// Redelivering changes the NACKs' times and counts, not the PEL.
	cs.PEL.Ascend(start, func(n *types.StreamNACK) bool {
		if todo == 0 {
			return false
		}
		todo--
		found := false
		s.Range(n.ID, n.ID, false, func(id types.StreamID, fv [][]byte) bool {
			idBuf = writeStreamEntry(w, id, fv, idBuf)
			found = true
			return false
		})
		if found {
			n.DeliveryTime = now
			n.DeliveryCount++
			return true
		}
		w.Array(2)
		w.BulkString(n.ID.String())
		w.NullArray()
		return true
	})
}

func xgroupCmd(c *Ctx) {
	if msg := checkSubcommand(c.Spec, c.Args); msg != "" {
		c.Error(msg)
		return
	}
	sub := strings.ToLower(string(c.Args[1]))
	var s *types.Stream
	var g *types.StreamGroup
	mkstream := false
	entriesRead := int64(-1)
	if len(c.Args) >= 4 {
		for i := 5; i < len(c.Args); {
			opt := string(c.Args[i])
			switch {
			case sub == "create" && strings.EqualFold(opt, "mkstream"):
				mkstream = true
				i++
			case (sub == "create" || sub == "setid") && strings.EqualFold(opt, "entriesread") && i+1 < len(c.Args):
				n, ok := resp.ParseInt(c.Args[i+1])
				if !ok {
					c.Error(ErrNotInt)
					return
				}
				if n < 0 && n != -1 {
					c.Error("ERR value for ENTRIESREAD must be positive or -1")
					return
				}
				entriesRead = n
				i += 2
			default:
				c.Error(subcommandSyntaxError(c))
				return
			}
		}
		var ok bool
		if s, ok = getStream(c, c.Args[2], true); !ok {
			return
		}
		if !mkstream {
			if s == nil {
				c.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
				return
			}
			if g = s.Group(c.Args[3]); g == nil && (sub == "setid" || sub == "createconsumer" || sub == "delconsumer") {
				c.Error("NOGROUP No such consumer group '" + string(cstr(c.Args[3])) + "' for key name '" + string(cstr(c.Args[2])) + "'")
				return
			}
		}
	}
	key := c.Args[2%len(c.Args)]
	switch {
	case sub == "help" && len(c.Args) == 2:
		lines := []string{
			strings.ToUpper(string(cstr(c.Args[0]))) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"CREATE <key> <groupname> <id|$> [option]",
			"    Create a new consumer group. Options are:",
			"    * MKSTREAM",
			"      Create the empty stream if it does not exist.",
			"    * ENTRIESREAD entries_read",
			"      Set the group's entries_read counter (internal use).",
			"CREATECONSUMER <key> <groupname> <consumer>",
			"    Create a new consumer in the specified group.",
			"DELCONSUMER <key> <groupname> <consumer>",
			"    Remove the specified consumer.",
			"DESTROY <key> <groupname>",
			"    Remove the specified group.",
			"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
			"    Set the current group ID and entries_read counter.",
			"HELP",
			"    Prints this help.",
		}
		c.W.Array(len(lines))
		for _, l := range lines {
			c.W.Simple(l)
		}
	case sub == "create" && len(c.Args) >= 5 && len(c.Args) <= 8:
		var id types.StreamID
		if string(c.Args[4]) == "$" {
			if s != nil {
				id = s.LastID
			}
		} else {
			var ok bool
			if id, ok = streamIDArg(c, c.Args[4], 0, true); !ok {
				return
			}
		}
		if s == nil {
			s = types.NewStream()
			c.DB.SetValue(key, s, false)
			c.DB.Modified(key)
		}
		if s.AddGroup(c.Args[3], id, entriesRead) == nil {
			c.Error("BUSYGROUP Consumer Group name already exists")
			return
		}
		modifiedNoWake(c, key)
		c.W.OK()
		c.Notify(EvStream, "xgroup-create", key)
	case sub == "setid" && (len(c.Args) == 5 || len(c.Args) == 7):
		var id types.StreamID
		if string(c.Args[4]) == "$" {
			id = s.LastID
		} else {
			var ok bool
			if id, ok = streamIDArg(c, c.Args[4], 0, false); !ok {
				return
			}
		}
		g.LastID, g.EntriesRead = id, entriesRead
		modifiedNoWake(c, key) // Redis does not signal the key either
		c.W.OK()
		c.Notify(EvStream, "xgroup-setid", key)
	case sub == "destroy" && len(c.Args) == 4:
		if g == nil {
			c.W.Int(0)
			return
		}
		s.DeleteGroup(c.Args[3])
		// Modified also wakes the XREADGROUP clients blocked on the group,
		// which then fail with NOGROUP.
		c.DB.Modified(key)
		c.W.Int(1)
		c.Notify(EvStream, "xgroup-destroy", key)
	case sub == "createconsumer" && len(c.Args) == 5:
		if g.Consumer(c.Args[4]) != nil {
			c.W.Int(0)
			return
		}
		g.AddConsumer(c.Args[4], c.E.KS.Now())
		modifiedNoWake(c, key)
		c.Notify(EvStream, "xgroup-createconsumer", key)
		c.W.Int(1)
	case sub == "delconsumer" && len(c.Args) == 5:
		cs := g.Consumer(c.Args[4])
		if cs == nil {
			c.W.Int(0)
			return
		}
		n := g.DeleteConsumer(cs)
		modifiedNoWake(c, key)
		c.Notify(EvStream, "xgroup-delconsumer", key)
		c.W.Int(int64(n))
	default:
		c.Error(subcommandSyntaxError(c))
	}
}

// lookupGroup finds key's group for XACK, XPENDING, XCLAIM, XAUTOCLAIM:
// nil s or g when the key or the group is missing; ok false after a
// WRONGTYPE.
func lookupGroup(c *Ctx, write bool) (s *types.Stream, g *types.StreamGroup, ok bool) {
	if s, ok = getStream(c, c.Args[1], write); !ok || s == nil {
		return s, nil, ok
	}
	return s, s.Group(c.Args[2]), true
}

func errNoGroup(c *Ctx) string {
	return "NOGROUP No such key '" + string(cstr(c.Args[1])) + "' or consumer group '" + string(cstr(c.Args[2])) + "'"
}

func xackCmd(c *Ctx) {
	_, g, ok := lookupGroup(c, true)
	if !ok {
		return
	}
	if g == nil {
		c.W.Int(0)
		return
	}
	ids := make([]types.StreamID, 0, len(c.Args)-3)
	for _, arg := range c.Args[3:] {
		id, ok := streamIDArg(c, arg, 0, true)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	n := 0
	for _, id := range ids {
		if g.Ack(id) {
			n++
		}
	}
	if n > 0 {
		modifiedNoWake(c, c.Args[1])
	}
	c.W.Int(int64(n))
}

func xpendingCmd(c *Ctx) {
	justInfo := len(c.Args) == 3
	if len(c.Args) != 3 && (len(c.Args) < 6 || len(c.Args) > 9) {
		c.Error(ErrSyntax)
		return
	}
	var start, end types.StreamID
	var count, minIdle int64
	var consumer []byte
	if len(c.Args) >= 6 {
		at := 3
		if strings.EqualFold(string(c.Args[3]), "idle") {
			n, ok := resp.ParseInt(c.Args[4])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			minIdle = n
			if len(c.Args) < 8 {
				c.Error(ErrSyntax)
				return
			}
			at += 2
		}
		n, ok := resp.ParseInt(c.Args[at+2])
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		count = max(n, 0)
		var ex bool
		if start, ex, ok = streamRangeArg(c, c.Args[at], 0); !ok {
			return
		}
		if ex {
			if start, ok = start.Incr(); !ok {
				c.Error("ERR invalid start ID for the interval")
				return
			}
		}
		if end, ex, ok = streamRangeArg(c, c.Args[at+1], 1<<64-1); !ok {
			return
		}
		if ex {
			if end, ok = end.Decr(); !ok {
				c.Error("ERR invalid end ID for the interval")
				return
			}
		}
		if at+3 < len(c.Args) {
			consumer = c.Args[at+3]
		}
	}
	_, g, ok := lookupGroup(c, false)
	if !ok {
		return
	}
	if g == nil {
		c.Error(errNoGroup(c))
		return
	}
	if justInfo {
		c.W.Array(4)
		c.W.Int(int64(g.PEL.Len()))
		if g.PEL.Len() == 0 {
			c.W.Null()
			c.W.Null()
			c.W.NullArray()
			return
		}
		c.W.BulkString(g.PEL.First().ID.String())
		c.W.BulkString(g.PEL.Last().ID.String())
		n := 0
		for _, cs := range g.Consumers {
			if cs.PEL.Len() > 0 {
				n++
			}
		}
		c.W.Array(n)
		for _, cs := range g.Consumers {
			if cs.PEL.Len() > 0 {
				c.W.Array(2)
				c.W.BulkString(cs.Name)
				c.W.BulkString(strconv.Itoa(cs.PEL.Len()))
			}
		}
		return
	}
	pel := &g.PEL
	if consumer != nil {
		cs := g.Consumer(consumer)
		if cs == nil {
			c.W.Array(0)
			return
		}
		pel = &cs.PEL
	}
	now := c.E.KS.Now()
	var out []*types.StreamNACK
	pel.Ascend(start, func(n *types.StreamNACK) bool {
		if count <= 0 || n.ID.Compare(end) > 0 {
			return false
		}
		if minIdle != 0 && now-n.DeliveryTime < minIdle {
			return true
		}
		out = append(out, n)
		count--
		return true
	})
	c.W.Array(len(out))
	for _, n := range out {
		c.W.Array(4)
		c.W.BulkString(n.ID.String())
		c.W.BulkString(n.Consumer.Name)
		c.W.Int(max(now-n.DeliveryTime, 0))
		c.W.Int(int64(n.DeliveryCount))
	}
}

// claimTo gives nack to consumer cs (moving it from its owner's PEL).
func claimTo(g *types.StreamGroup, nack *types.StreamNACK, cs *types.StreamConsumer) {
	if nack.Consumer == cs {
		return
	}
	if nack.Consumer != nil {
		nack.Consumer.PEL.Remove(nack.ID)
	}
	cs.PEL.Insert(nack)
	nack.Consumer = cs
}

// dropPending removes a pending entry whose message is gone, after
// propagating that (an XCLAIM of a missing message drops it there too).
func dropPending(c *Ctx, key, group []byte, g *types.StreamGroup, n *types.StreamNACK) {
	propagateClaim(c, key, group, g, n.ID.AppendTo(nil), n)
	g.Ack(n.ID)
	modifiedNoWake(c, key)
}

func xclaimCmd(c *Ctx) {
	c.NoPropagate()
	s, g, ok := lookupGroup(c, true)
	if !ok {
		return
	}
	if g == nil {
		c.Error(errNoGroup(c))
		return
	}
	minIdle, ok := resp.ParseInt(c.Args[4])
	if !ok {
		c.Error("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	var ids []types.StreamID
	j := 5
	for ; j < len(c.Args); j++ {
		id, _, ok := parseStreamID(c.Args[j], 0, true, false)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	// Redis propagates each claim with the ID as the client wrote it.
	idArgs := c.Args[5 : 5+len(ids)]
	now := c.E.KS.Now()
	var lastID types.StreamID
	deliveryTime, retryCount := int64(-1), int64(-1)
	force, justID := false, false
	for ; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		opt := strings.ToLower(string(c.Args[j]))
		switch {
		case opt == "force":
			force = true
		case opt == "justid":
			justID = true
		case opt == "idle" && more > 0:
			j++
			n, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			deliveryTime = now - n
		case opt == "time" && more > 0:
			j++
			n, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			deliveryTime = n
		case opt == "retrycount" && more > 0:
			j++
			n, ok := resp.ParseInt(c.Args[j])
			if !ok {
				c.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			retryCount = n
		case opt == "lastid" && more > 0:
			j++
			if lastID, ok = streamIDArg(c, c.Args[j], 0, true); !ok {
				return
			}
		default:
			c.Error("ERR Unrecognized XCLAIM option '" + string(cstr(c.Args[j])) + "'")
			return
		}
	}
	key, group := c.Args[1], c.Args[2]
	propagateLast := false
	if lastID.Compare(g.LastID) > 0 {
		g.LastID = lastID
		propagateLast = true
	}
	if deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now {
		deliveryTime = now
	}
	var cs *types.StreamConsumer
	var claimed []types.StreamID
	for k, id := range ids {
		nack := g.PEL.Get(id)
		found := nack != nil
		if !s.Exists(id) {
			if found {
				propagateClaim(c, key, group, g, idArgs[k], nack)
				g.Ack(id)
				modifiedNoWake(c, key)
				propagateLast = false
			}
			continue
		}
		if force && !found {
			nack = &types.StreamNACK{ID: id, DeliveryTime: now, DeliveryCount: 1}
			g.PEL.Insert(nack)
			found = true
		}
		if !found {
			continue
		}
		if nack.Consumer != nil && minIdle != 0 && now-nack.DeliveryTime < minIdle {
			continue
		}
		if cs == nil {
			cs = lookupOrCreateConsumer(c, g, c.Args[3])
		}
		nack.DeliveryTime = deliveryTime
		if retryCount >= 0 {
			nack.DeliveryCount = uint64(retryCount)
		} else if !justID {
			nack.DeliveryCount++
		}
		claimTo(g, nack, cs)
		claimed = append(claimed, id)
		propagateClaim(c, key, group, g, idArgs[k], nack)
		propagateLast = false
		modifiedNoWake(c, key)
	}
	if propagateLast {
		propagateGroupID(c, key, group, g)
		modifiedNoWake(c, key)
	}
	writeClaimed(c.W, s, claimed, justID)
}

// writeClaimed writes the entries (or just the IDs) XCLAIM and XAUTOCLAIM
// claimed; each one's message exists.
func writeClaimed(w *resp.Writer, s *types.Stream, ids []types.StreamID, justID bool) {
	w.Array(len(ids))
	var idBuf []byte
	for _, id := range ids {
		if justID {
			w.BulkString(id.String())
			continue
		}
		s.Range(id, id, false, func(eid types.StreamID, fv [][]byte) bool {
			idBuf = writeStreamEntry(w, eid, fv, idBuf)
			return false
		})
	}
}

// lookupOrCreateConsumer is streamLookupConsumer (refreshing the seen
// time), else streamCreateConsumer.
func lookupOrCreateConsumer(c *Ctx, g *types.StreamGroup, name []byte) *types.StreamConsumer {
	now := c.E.KS.Now()
	if cs := g.Consumer(name); cs != nil {
		cs.SeenTime = now
		return cs
	}
	c.Notify(EvStream, "xgroup-createconsumer", c.Args[1])
	return g.AddConsumer(name, now)
}

func xautoclaimCmd(c *Ctx) {
	c.NoPropagate()
	minIdle, ok := resp.ParseInt(c.Args[4])
	if !ok {
		c.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	start, ex, ok := streamRangeArg(c, c.Args[5], 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Incr(); !ok {
			c.Error("ERR invalid start ID for the interval")
			return
		}
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		opt := strings.ToLower(string(c.Args[j]))
		switch {
		case opt == "count" && more > 0:
			n, ok := resp.ParseInt(c.Args[j+1])
			// LONG_MAX / max(sizeof(streamID), attempts factor 10).
			if !ok || n < 1 || n > (1<<63-1)/16 {
				c.Error("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case opt == "justid":
			justID = true
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	s, g, ok := lookupGroup(c, true)
	if !ok {
		return
	}
	if g == nil {
		c.Error(errNoGroup(c))
		return
	}
	key, group := c.Args[1], c.Args[2]
	attempts := count * 10
	now := c.E.KS.Now()
	var cs *types.StreamConsumer
	var deleted, claimed []types.StreamID
	// next is the entry after the one being looked at, found before that
	// one is dropped or claimed (neither moves the others in the group's
	// PEL): what the reply's cursor is when the scan stops.
	next := g.PEL.Ceil(start)
	for ; attempts > 0 && count > 0 && next != nil; attempts-- {
		nack := next
		id := nack.ID
		if after, ok := id.Incr(); ok {
			next = g.PEL.Ceil(after)
		} else {
			next = nil
		}
		if !s.Exists(id) {
			dropPending(c, key, group, g, nack)
			deleted = append(deleted, id)
			count--
			continue
		}
		if minIdle != 0 && now-nack.DeliveryTime < minIdle {
			continue
		}
		if cs == nil {
			cs = lookupOrCreateConsumer(c, g, c.Args[3])
		}
		nack.DeliveryTime = now
		if !justID {
			nack.DeliveryCount++
		}
		claimTo(g, nack, cs)
		claimed = append(claimed, id)
		count--
		propagateClaim(c, key, group, g, id.AppendTo(nil), nack)
		modifiedNoWake(c, key)
	}
	var cursor types.StreamID
	if next != nil {
		cursor = next.ID
	}
	c.W.Array(3)
	c.W.BulkString(cursor.String())
	writeClaimed(c.W, s, claimed, justID)
	c.W.Array(len(deleted))
	for _, id := range deleted {
		c.W.BulkString(id.String())
	}
}
