package command

import (
	"math"
	"strconv"
	"time"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// xreadBlockedCount is XREAD_BLOCKED_DEFAULT_COUNT: a blocked XREAD
// without COUNT is served at most this many entries when woken.
const xreadBlockedCount = 1000

// xreadKeys finds XREAD's and XREADGROUP's keys: the first half of what
// follows STREAMS (xreadGetKeys; none when the rest is not an even,
// non-zero count).
func xreadKeys(args [][]byte) []int {
	pos := -1
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case optIs(a, "block"), optIs(a, "count"):
			i++
			continue
		case optIs(a, "group"):
			i += 2
			continue
		case optIs(a, "noack"):
			continue
		case optIs(a, "streams"):
			pos = i
		}
		break
	}
	if pos < 0 {
		return nil
	}
	num := len(args) - pos - 1
	if num == 0 || num%2 != 0 {
		return nil
	}
	out := make([]int, num/2)
	for i := range out {
		out[i] = pos + 1 + i
	}
	return out
}

// optIs reports whether the argument b is the option name lower (given in
// lower case), compared without regard to ASCII case as Redis's strcasecmp
// does; unlike strings.ToLower it allocates nothing, and every XREADGROUP
// parses three or four options.
func optIs(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// xreadArgs is a parsed XREAD or XREADGROUP.
type xreadArgs struct {
	group, consumer []byte // XREADGROUP
	noack           bool
	timeout         int64 // -1: no BLOCK
	count           int64
	streamsArg      int
	keys, idArgs    [][]byte
}

// xreadCmd is XREAD and XREADGROUP ([COUNT n] [BLOCK ms] [GROUP g c]
// [NOACK] STREAMS key… id…). A blocked call parks with "$" replaced by the
// IDs it stood for; when one of its keys changes the engine re-runs it,
// and it serves that key alone, as Redis 7.0's
// serveClientsBlockedOnStreamKey does: XREAD once the stream's last ID
// passes the one it waits after, XREADGROUP once it passes the group's
// last delivered ID (and it fails when the group or the key is gone).
func xreadCmd(c *Ctx) {
	a := xreadArgs{timeout: -1}
	isGroup := c.Spec.Name == "xreadgroup"
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		o := c.Args[i]
		switch {
		case optIs(o, "block") && more > 0:
			if c.InExec && c.S != c.E.top {
				c.Error("ERR " + string(c.Args[0]) + " command is not allowed with BLOCK option from scripts")
				return
			}
			i++
			n, ok := resp.ParseInt(c.Args[i])
			if !ok {
				c.Error("ERR timeout is not an integer or out of range")
				return
			}
			if n < 0 {
				c.Error("ERR timeout is negative")
				return
			}
			a.timeout = n
		case optIs(o, "count") && more > 0:
			i++
			n, ok := resp.ParseInt(c.Args[i])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			a.count = max(n, 0)
		case optIs(o, "streams") && more > 0:
			a.streamsArg = i + 1
			n := len(c.Args) - a.streamsArg
			if n%2 != 0 {
				c.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return
			}
			a.keys = c.Args[a.streamsArg : a.streamsArg+n/2]
			a.idArgs = c.Args[a.streamsArg+n/2:]
			i = len(c.Args)
		case optIs(o, "group") && more >= 2:
			if !isGroup {
				c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			a.group, a.consumer = c.Args[i+1], c.Args[i+2]
			i += 2
		case optIs(o, "noack"):
			if !isGroup {
				c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			a.noack = true
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if a.streamsArg == 0 {
		c.Error(ErrSyntax)
		return
	}
	if isGroup && a.group == nil {
		c.Error("ERR Missing GROUP option for XREADGROUP")
		return
	}
	if isGroup {
		// Reads and writes go to replicas and the AOF as their effects
		// (XCLAIM, XGROUP SETID/CREATECONSUMER), never as XREADGROUP.
		c.NoPropagate()
	}
	ready, rerun := c.readyKey()
	// A read of a few keys (most name one) keeps its per-key state on
	// the stack.
	var idsArr [4]types.StreamID
	var groupsArr [4]*types.StreamGroup
	ids, groups := idsArr[:0], groupsArr[:0]
	if len(a.keys) > len(idsArr) {
		ids, groups = make([]types.StreamID, 0, len(a.keys)), make([]*types.StreamGroup, 0, len(a.keys))
	}
	ids, groups = ids[:len(a.keys)], groups[:len(a.keys)]
	dollar := false
	for i, arg := range a.idArgs {
		// A re-run has concrete IDs and must not answer WRONGTYPE or
		// NOGROUP for a key that changed meanwhile (xreadServeReady).
		var s *types.Stream
		ok := true
		if !rerun {
			if s, ok = getStream(c, a.keys[i], false); !ok {
				return
			}
			if a.group != nil {
				if s != nil {
					groups[i] = s.Group(a.group)
				}
				if groups[i] == nil {
					c.Error("NOGROUP No such key '" + string(cstr(a.keys[i])) + "' or consumer group '" + string(cstr(a.group)) + "' in XREADGROUP with GROUP option")
					return
				}
			}
		}
		switch string(arg) {
		case "$":
			if isGroup {
				c.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			if s != nil {
				ids[i] = s.LastID
			}
			dollar = true
			continue
		case ">":
			if !isGroup {
				c.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			ids[i] = types.MaxStreamID
			continue
		}
		if ids[i], ok = streamIDArg(c, arg, 0, true); !ok {
			return
		}
	}

	if rerun {
		xreadServeReady(c, &a, ids, ready)
		return
	}

	// Which keys are served is decided first: the reply's length leads.
	type serve struct {
		i       int
		s       *types.Stream
		gt      types.StreamID
		history bool
	}
	var servesArr [4]serve
	serves := servesArr[:0]
	for i, key := range a.keys {
		s, _ := getStream(c, key, false)
		if s == nil {
			continue
		}
		sv := serve{i: i, s: s, gt: ids[i]}
		if g := groups[i]; g != nil {
			if sv.gt != types.MaxStreamID {
				sv.history = true
			} else if s.Length > 0 && s.LastValidID().Compare(g.LastID) > 0 {
				sv.gt = g.LastID
			} else {
				continue
			}
		} else if s.Length == 0 || s.LastValidID().Compare(sv.gt) <= 0 {
			continue
		}
		serves = append(serves, sv)
	}
	if len(serves) > 0 {
		if c.W.Proto == 2 {
			c.W.Array(len(serves))
		} else {
			c.W.Map(len(serves))
		}
		for _, sv := range serves {
			key := a.keys[sv.i]
			start, _ := sv.gt.Incr()
			if c.W.Proto == 2 {
				c.W.Array(2)
			}
			c.W.Bulk(key)
			g := groups[sv.i]
			if g == nil {
				writeStreamRange(c.W, sv.s, start, types.MaxStreamID, a.count, false)
				continue
			}
			cons := groupConsumer(c, key, g, a.group, a.consumer, a.noack)
			if sv.history {
				writeConsumerHistory(c, c.W, sv.s, cons, start, a.count)
			} else {
				serveGroup(c, c.W, key, sv.s, g, a.group, cons, start, a.count, a.noack)
			}
		}
		return
	}
	if a.timeout < 0 || c.InExec {
		c.W.NullArray()
		return
	}
	req := &blockRequest{keys: a.keys, timeout: time.Duration(min(a.timeout, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond}
	if dollar || a.count == 0 {
		// The re-runs read the IDs "$" stood for now, and a COUNT that
		// bounds what a woken client is sent.
		argv := make([][]byte, 0, len(c.Args)+2)
		argv = append(argv, c.Args[0])
		if a.count == 0 {
			argv = append(argv, []byte("COUNT"), []byte(strconv.Itoa(xreadBlockedCount)))
		}
		argv = append(argv, c.Args[1:a.streamsArg+len(a.keys)]...)
		for i := range ids {
			if string(a.idArgs[i]) == ">" {
				argv = append(argv, a.idArgs[i])
			} else {
				argv = append(argv, ids[i].AppendTo(nil))
			}
		}
		req.args = argv
	}
	c.block = req
}

// xreadServeReady is a blocked call's re-run for the key that changed
// (the first occurrence of a repeated key counts, as Redis keeps the
// first): served alone when there is something new for it, failed when an
// XREADGROUP's key or group is gone, else the client keeps waiting.
func xreadServeReady(c *Ctx, a *xreadArgs, ids []types.StreamID, ready []byte) {
	for i, key := range a.keys {
		if string(key) != string(ready) {
			continue
		}
		var s *types.Stream
		if e := c.DB.Lookup(key); e != nil {
			s, _ = e.Val().(*types.Stream)
		}
		var g *types.StreamGroup
		gt := ids[i]
		if a.group != nil {
			if s == nil {
				c.Error("UNBLOCKED the stream key no longer exists")
				return
			}
			if g = s.Group(a.group); g == nil {
				c.Error("NOGROUP the consumer group this client was blocked on no longer exists")
				return
			}
			gt = g.LastID
		}
		if s == nil || s.LastID.Compare(gt) <= 0 {
			break
		}
		count := a.count
		if count == 0 {
			count = xreadBlockedCount
		}
		start, _ := gt.Incr()
		if c.W.Proto == 2 {
			c.W.Array(1)
			c.W.Array(2)
		} else {
			c.W.Map(1)
		}
		c.W.Bulk(key)
		if g == nil {
			writeStreamRange(c.W, s, start, types.MaxStreamID, count, false)
		} else {
			cons := groupConsumer(c, key, g, a.group, a.consumer, a.noack)
			serveGroup(c, c.W, key, s, g, a.group, cons, start, count, a.noack)
		}
		return
	}
	c.block = &blockRequest{keys: a.keys}
}
