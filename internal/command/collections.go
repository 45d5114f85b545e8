package command

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// Shared plumbing of the list, hash, set and sorted-set commands: typed
// lookups, Redis's argument parsers with their exact error texts, and the
// replies that several files write.

// Collection lookups. Each returns the value (nil when the key is missing)
// and ok=false after answering WRONGTYPE when the key holds another type.
// The write forms use LookupWrite, which must precede any in-place change
// so that a running snapshot keeps the old value.

func lookupEntry(c *Ctx, key []byte, write bool) *keyspace.Entry {
	if write {
		return c.DB.LookupWrite(key)
	}
	return c.DB.Lookup(key)
}

func getList(c *Ctx, key []byte, write bool) (*types.List, bool) {
	e := lookupEntry(c, key, write)
	if e == nil {
		return nil, true
	}
	l, ok := e.Val().(*types.List)
	if !ok {
		c.Error(ErrWrongType)
	}
	return l, ok
}

func getHash(c *Ctx, key []byte, write bool) (*types.Hash, bool) {
	e := lookupEntry(c, key, write)
	if e == nil {
		return nil, true
	}
	h, ok := e.Val().(*types.Hash)
	if !ok {
		c.Error(ErrWrongType)
	}
	return h, ok
}

func getSet(c *Ctx, key []byte, write bool) (*types.Set, bool) {
	e := lookupEntry(c, key, write)
	if e == nil {
		return nil, true
	}
	s, ok := e.Val().(*types.Set)
	if !ok {
		c.Error(ErrWrongType)
	}
	return s, ok
}

func getZSet(c *Ctx, key []byte, write bool) (*types.ZSet, bool) {
	e := lookupEntry(c, key, write)
	if e == nil {
		return nil, true
	}
	z, ok := e.Val().(*types.ZSet)
	if !ok {
		c.Error(ErrWrongType)
	}
	return z, ok
}

// lengther is what every collection type has.
type lengther interface{ Len() int }

// removedFrom finishes a successful removal from the collection at key:
// an emptied collection is deleted (Redis never keeps empty ones), then the
// change is recorded and its keyspace events fired (event, then "del" for
// a deleted key, as Redis orders them).
func removedFrom(c *Ctx, key []byte, v lengther, class Event, event string) {
	gone := v.Len() == 0
	if gone {
		c.DB.Delete(key)
	}
	c.DB.Modified(key)
	c.Notify(class, event, key)
	if gone {
		c.Notify(EvGeneric, "del", key)
	}
}

// removeMembers is HDEL, SREM and ZREM: remove each argument with remove,
// stop once the collection is empty, delete the key then, and answer how
// many were removed.
func removeMembers(c *Ctx, key []byte, v lengther, remove func(m []byte) bool, class Event, event string) {
	n := 0
	for _, m := range c.Args[2:] {
		if remove(m) {
			n++
			if v.Len() == 0 {
				break
			}
		}
	}
	if n > 0 {
		removedFrom(c, key, v, class, event)
	}
	c.W.Int(int64(n))
}

// storeResult is the end of every *STORE command: a non-empty result
// replaces dst (dropping its TTL, as Redis's setKey does) and its size is
// the reply, with the command's keyspace event; an empty one deletes dst
// ("del" when it existed) and answers 0.
func storeResult(c *Ctx, dst []byte, v any, n int, class Event, event string) {
	if n > 0 {
		c.DB.SetValue(dst, v, false)
		c.DB.Modified(dst)
		c.Notify(class, event, dst)
		c.W.Int(int64(n))
		return
	}
	if c.DB.Delete(dst) {
		c.DB.Modified(dst)
		c.Notify(EvGeneric, "del", dst)
	}
	c.W.Int(0)
}

// touch wakes WATCHers and blocked clients of key without counting a
// change: Redis's signalModifiedKey without server.dirty (LTRIM that
// removes nothing).
func touch(c *Ctx, key []byte) { c.E.keyModified(c.DB, key) }

// Argument parsers with Redis's (get*FromObjectOrReply) error texts. Each
// writes the error and returns ok=false on bad input.

// getLong parses an integer (string2ll rules).
func getLong(c *Ctx, arg []byte) (int64, bool) {
	n, ok := resp.ParseInt(arg)
	if !ok {
		c.Error(ErrNotInt)
	}
	return n, ok
}

// getRangeLong parses an integer within [lo, hi]. msg (without "ERR ")
// replaces both errors when set, as Redis's getRangeLongFromObjectOrReply
// does.
func getRangeLong(c *Ctx, arg []byte, lo, hi int64, msg string) (int64, bool) {
	n, ok := resp.ParseInt(arg)
	if !ok {
		if msg != "" {
			c.Error("ERR " + msg)
		} else {
			c.Error(ErrNotInt)
		}
		return 0, false
	}
	if n < lo || n > hi {
		if msg != "" {
			c.Error("ERR " + msg)
		} else {
			c.Error(fmt.Sprintf("ERR value is out of range, value must between %d and %d", lo, hi))
		}
		return 0, false
	}
	return n, true
}

// getPositiveLong parses an integer >= 0; msg defaults to Redis's
// "value is out of range, must be positive" for both errors.
func getPositiveLong(c *Ctx, arg []byte, msg string) (int64, bool) {
	if msg == "" {
		msg = "value is out of range, must be positive"
	}
	return getRangeLong(c, arg, 0, math.MaxInt64, msg)
}

// getDouble parses a double with Redis's getDoubleFromObject rules (no
// NaN, no overflow); msg (without "ERR ") replaces the default error.
func getDouble(c *Ctx, arg []byte, msg string) (float64, bool) {
	f, ok := types.ParseFloat(arg)
	if !ok {
		if msg == "" {
			c.Error(ErrNotFloat)
		} else {
			c.Error("ERR " + msg)
		}
	}
	return f, ok
}

// getTimeout parses a blocking command's timeout in seconds like Redis
// 7.0.15's getTimeoutFromObjectOrReply: a long double, times 1000, rounded
// up to whole milliseconds (so 0.0001 waits 1 ms; only 0 and values in
// (-0.001, 0] wait forever), negative refused. A value too large for a long
// long converts to LLONG_MIN on x86, hence "negative" for huge timeouts and
// infinity. (The product is computed in float64 here, not long double; the
// two can only differ by a millisecond for inputs with many digits.)
func getTimeout(c *Ctx, arg []byte) (time.Duration, bool) {
	ld, ok := types.ParseLongDouble(arg)
	if !ok {
		c.Error("ERR timeout is not a float or out of range")
		return 0, false
	}
	f, _ := strconv.ParseFloat(ld.String(), 64)
	if f == 0 && !ld.IsZero() && arg[0] != '-' {
		f = 1e-18 // too small for the 17 decimals String prints: still > 0
	}
	ms := math.Ceil(f * 1000)
	var tval int64
	if math.IsInf(ms, 0) || math.IsNaN(ms) || ms >= 9223372036854775807.0 || ms < -9223372036854775808.0 {
		tval = math.MinInt64
	} else {
		tval = int64(ms)
	}
	if tval < 0 {
		c.Error("ERR timeout is negative")
		return 0, false
	}
	if tval > 0 && tval > math.MaxInt64-c.Now() {
		// Redis adds the current time and overflows; its timeout table,
		// keyed by unsigned deadlines, then never fires.
		tval = 0
	}
	if tval > math.MaxInt64/int64(time.Millisecond) {
		tval = math.MaxInt64 / int64(time.Millisecond) // ~292 years
	}
	return time.Duration(tval) * time.Millisecond, true
}

// readyKey tells a blocking command's handler whether the engine is
// re-running it for a parked client, and for which key. Redis 7.0 serves a
// woken client from the key that became ready only, and ignores a ready key
// of another type (the client keeps waiting), so handlers follow that on a
// re-run.
func (c *Ctx) readyKey() ([]byte, bool) {
	if c.E.readyKey == nil || c.S.block == nil {
		return nil, false
	}
	return c.E.readyKey, true
}

// writeScored writes one member of a WITHSCORES reply: a [member, score]
// pair in RESP3, two flat elements in RESP2.
func writeScored(c *Ctx, member []byte, score float64, withScores bool) {
	if withScores && c.W.Proto == 3 {
		c.W.Array(2)
	}
	c.W.Bulk(member)
	if withScores {
		c.W.Double(score)
	}
}

// scoredLen is the array length of n members in a WITHSCORES reply.
func scoredLen(c *Ctx, n int, withScores bool) int {
	if withScores && c.W.Proto != 3 {
		return 2 * n
	}
	return n
}

// writeScan writes a SCAN-family reply: the next cursor and the elements.
func writeScan(c *Ctx, cursor uint64, elems [][]byte) {
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(cursor, 10))
	c.W.Array(len(elems))
	for _, e := range elems {
		c.W.Bulk(e)
	}
}

// numkeysFn returns a KeysFn for commands whose keys follow a numkeys
// argument at position idx; dest adds the destination key at position 1
// (ZUNIONSTORE and friends). Invalid numkeys give no keys.
func numkeysFn(idx int, dest bool) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		if idx >= len(args) {
			return nil
		}
		n, ok := resp.ParseInt(args[idx])
		if !ok || n < 1 || n > int64(len(args)-idx-1) {
			return nil
		}
		var out []int
		if dest {
			out = append(out, 1)
		}
		for i := 0; i < int(n); i++ {
			out = append(out, idx+1+i)
		}
		return out
	}
}

// Command names used when rewriting what is propagated.
var (
	argLPop      = []byte("LPOP")
	argRPop      = []byte("RPOP")
	argLMove     = []byte("LMOVE")
	argRPopLPush = []byte("RPOPLPUSH")
	argHSet      = []byte("HSET")
	argSRem      = []byte("SREM")
	argZPopMin   = []byte("ZPOPMIN")
	argZPopMax   = []byte("ZPOPMAX")
)
