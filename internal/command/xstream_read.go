package command

import (
	"math"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// xreadBlockedCount is XREAD_BLOCKED_DEFAULT_COUNT: a blocked XREAD
// without COUNT is served at most this many entries when woken.
const xreadBlockedCount = 1000

// xreadKeys finds XREAD's keys: the first half of what follows STREAMS
// (xreadGetKeys; none when the rest is not an even, non-zero count).
func xreadKeys(args [][]byte) []int {
	pos := -1
	for i := 1; i < len(args); i++ {
		switch a := strings.ToLower(string(args[i])); a {
		case "block", "count":
			i++
			continue
		case "group":
			i += 2
			continue
		case "noack":
			continue
		case "streams":
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

// xreadCmd is XREAD [COUNT n] [BLOCK ms] STREAMS key… id…. A blocked
// XREAD parks with "$" replaced by the IDs it stood for; when one of its
// keys changes the engine re-runs it, and it serves that key alone once
// the stream's last ID passes the one it waits after, as Redis 7.0's
// serveClientsBlockedOnStreamKey does.
func xreadCmd(c *Ctx) {
	timeout := int64(-1)
	count := int64(0)
	streamsArg := 0
	nStreams := 0
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		o := strings.ToLower(string(c.Args[i]))
		switch {
		case o == "block" && more > 0:
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
			timeout = n
		case o == "count" && more > 0:
			i++
			n, ok := resp.ParseInt(c.Args[i])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			count = max(n, 0)
		case o == "streams" && more > 0:
			streamsArg = i + 1
			nStreams = len(c.Args) - streamsArg
			if nStreams%2 != 0 {
				c.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return
			}
			nStreams /= 2
			i = len(c.Args)
		case o == "group" && more >= 2:
			c.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
			return
		case o == "noack":
			c.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
			return
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if streamsArg == 0 {
		c.Error(ErrSyntax)
		return
	}
	keys := c.Args[streamsArg : streamsArg+nStreams]
	idArgs := c.Args[streamsArg+nStreams:]
	ids := make([]types.StreamID, nStreams)
	dollar := false
	ready, rerun := c.readyKey()
	for i, arg := range idArgs {
		// A re-run has concrete IDs and must not answer WRONGTYPE for a
		// key that changed type meanwhile: the client keeps waiting.
		var s *types.Stream
		ok := true
		if !rerun {
			if s, ok = getStream(c, keys[i], false); !ok {
				return
			}
		}
		switch string(arg) {
		case "$":
			if s != nil {
				ids[i] = s.LastID
			}
			dollar = true
			continue
		case ">":
			c.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
			return
		}
		if ids[i], ok = streamIDArg(c, arg, 0, true); !ok {
			return
		}
	}

	if rerun {
		xreadServeReady(c, keys, ids, ready, count)
		return
	}

	sw := replyPool.Get().(*resp.Writer)
	defer replyPool.Put(sw)
	sw.Reset()
	sw.Proto = c.W.Proto
	served := 0
	for i, key := range keys {
		s, _ := getStream(c, key, false)
		if s == nil || s.Length == 0 || s.LastValidID().Compare(ids[i]) <= 0 {
			continue
		}
		served++
		start, _ := ids[i].Incr()
		if sw.Proto == 2 {
			sw.Array(2)
		}
		sw.Bulk(key)
		writeStreamRange(sw, s, start, types.MaxStreamID, count, false)
	}
	if served > 0 {
		if c.W.Proto == 2 {
			c.W.Array(served)
		} else {
			c.W.Map(served)
		}
		c.W.Raw(sw.Buf)
		return
	}
	if timeout < 0 || c.InExec {
		c.W.NullArray()
		return
	}
	req := &blockRequest{keys: keys, timeout: time.Duration(min(timeout, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond}
	if dollar || count == 0 {
		// The re-runs read the IDs "$" stood for now, and a COUNT that
		// bounds what a woken client is sent.
		argv := make([][]byte, 0, len(c.Args)+2)
		argv = append(argv, c.Args[0])
		if count == 0 {
			argv = append(argv, []byte("COUNT"), []byte("1000"))
		}
		argv = append(argv, c.Args[1:streamsArg+nStreams]...)
		for i := range ids {
			argv = append(argv, ids[i].AppendTo(nil))
		}
		req.args = argv
	}
	c.block = req
}

// xreadServeReady is a blocked XREAD's re-run for the key that changed:
// served alone when the stream's last ID passed the one waited after (the
// first of a repeated key's IDs counts, as Redis keeps the first), else
// the client keeps waiting.
func xreadServeReady(c *Ctx, keys [][]byte, ids []types.StreamID, ready []byte, count int64) {
	for i, key := range keys {
		if string(key) != string(ready) {
			continue
		}
		e := c.DB.Lookup(key)
		if e == nil {
			break
		}
		s, ok := e.Val().(*types.Stream)
		if !ok || s.LastID.Compare(ids[i]) <= 0 {
			break
		}
		if count == 0 {
			count = xreadBlockedCount
		}
		start, _ := ids[i].Incr()
		if c.W.Proto == 2 {
			c.W.Array(1)
			c.W.Array(2)
		} else {
			c.W.Map(1)
		}
		c.W.Bulk(key)
		writeStreamRange(c.W, s, start, types.MaxStreamID, count, false)
		return
	}
	c.block = &blockRequest{keys: keys}
}
