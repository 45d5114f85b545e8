package command

import (
	"github.com/tandemdb/tandem/internal/resp"
	"math"
	"strings"

	"github.com/tandemdb/tandem/internal/glob"
	"github.com/tandemdb/tandem/internal/types"
)

func hashCommands() []*Spec {
	k1 := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, 1, 1; return s }
	g := "hash"
	return []*Spec{
		k1(&Spec{Name: "hset", Arity: -4, Flags: Write | DenyOOM | Fast, Handler: hsetCmd, Group: g, Summary: "Set the string value of a hash field", Since: "2.0.0"}),
		k1(&Spec{Name: "hmset", Arity: -4, Flags: Write | DenyOOM | Fast, Handler: hsetCmd, Group: g, Summary: "Set multiple hash fields to multiple values", Since: "2.0.0"}),
		k1(&Spec{Name: "hsetnx", Arity: 4, Flags: Write | DenyOOM | Fast, Handler: hsetnxCmd, Group: g, Summary: "Set the value of a hash field, only if the field does not exist", Since: "2.0.0"}),
		k1(&Spec{Name: "hget", Arity: 3, Flags: ReadOnly | Fast, Handler: hgetCmd, Group: g, Summary: "Get the value of a hash field", Since: "2.0.0"}),
		k1(&Spec{Name: "hmget", Arity: -3, Flags: ReadOnly | Fast, Handler: hmgetCmd, Group: g, Summary: "Get the values of all the given hash fields", Since: "2.0.0"}),
		k1(&Spec{Name: "hdel", Arity: -3, Flags: Write | Fast, Handler: hdelCmd, Group: g, Summary: "Delete one or more hash fields", Since: "2.0.0"}),
		k1(&Spec{Name: "hlen", Arity: 2, Flags: ReadOnly | Fast, Handler: hlenCmd, Group: g, Summary: "Get the number of fields in a hash", Since: "2.0.0"}),
		k1(&Spec{Name: "hstrlen", Arity: 3, Flags: ReadOnly | Fast, Handler: hstrlenCmd, Group: g, Summary: "Get the length of the value of a hash field", Since: "3.2.0"}),
		k1(&Spec{Name: "hexists", Arity: 3, Flags: ReadOnly | Fast, Handler: hexistsCmd, Group: g, Summary: "Determine if a hash field exists", Since: "2.0.0"}),
		k1(&Spec{Name: "hkeys", Arity: 2, Flags: ReadOnly, Handler: hgetallCmd(true, false), Group: g, Summary: "Get all the fields in a hash", Since: "2.0.0"}),
		k1(&Spec{Name: "hvals", Arity: 2, Flags: ReadOnly, Handler: hgetallCmd(false, true), Group: g, Summary: "Get all the values in a hash", Since: "2.0.0"}),
		k1(&Spec{Name: "hgetall", Arity: 2, Flags: ReadOnly, Handler: hgetallCmd(true, true), Group: g, Summary: "Get all the fields and values in a hash", Since: "2.0.0"}),
		k1(&Spec{Name: "hincrby", Arity: 4, Flags: Write | DenyOOM | Fast, Handler: hincrbyCmd, Group: g, Summary: "Increment the integer value of a hash field by the given number", Since: "2.0.0"}),
		k1(&Spec{Name: "hincrbyfloat", Arity: 4, Flags: Write | DenyOOM | Fast, Handler: hincrbyfloatCmd, Group: g, Summary: "Increment the float value of a hash field by the given amount", Since: "2.6.0"}),
		k1(&Spec{Name: "hrandfield", Arity: -2, Flags: ReadOnly, Handler: hrandfieldCmd, Group: g, Summary: "Get one or multiple random fields from a hash", Since: "6.2.0"}),
		k1(&Spec{Name: "hscan", Arity: -3, Flags: ReadOnly, Handler: hscanCmd, Group: g, Summary: "Incrementally iterate hash fields and associated values", Since: "2.8.0"}),
	}
}

func hsetCmd(c *Ctx) {
	if len(c.Args)%2 == 1 {
		c.Error(ErrArity(c.Spec.Name))
		return
	}
	key := c.Args[1]
	h, ok := getHash(c, key, true)
	if !ok {
		return
	}
	if h == nil {
		// An evicted hash's memory when there is one (keyspace
		// recycle.go): the Set below follows at once.
		h = c.DB.NewHash()
		c.DB.SetValue(key, h, false)
	}
	created := 0
	for i := 2; i < len(c.Args); i += 2 {
		if h.Set(c.Args[i], c.Args[i+1], &c.E.Limits) {
			created++
		}
	}
	c.DB.Modified(key)
	c.Notify(EvHash, "hset", key)
	if c.Spec.Name == "hmset" {
		c.W.OK()
		return
	}
	c.W.Int(int64(created))
}

func hsetnxCmd(c *Ctx) {
	key := c.Args[1]
	h, ok := getHash(c, key, true)
	if !ok {
		return
	}
	if h != nil && h.Exists(c.Args[2]) {
		c.W.Int(0)
		return
	}
	if h == nil {
		// An evicted hash's memory when there is one (keyspace
		// recycle.go): the Set below follows at once.
		h = c.DB.NewHash()
		c.DB.SetValue(key, h, false)
	}
	h.Set(c.Args[2], c.Args[3], &c.E.Limits)
	c.DB.Modified(key)
	c.Notify(EvHash, "hset", key)
	c.W.Int(1)
}

func hgetCmd(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(c.Args[2]); found {
			c.W.Bulk(v)
			return
		}
	}
	c.W.Null()
}

func hmgetCmd(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, f := range c.Args[2:] {
		if h != nil {
			if v, found := h.Get(f); found {
				c.W.Bulk(v)
				continue
			}
		}
		c.W.Null()
	}
}

func hdelCmd(c *Ctx) {
	key := c.Args[1]
	h, ok := getHash(c, key, true)
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	removeMembers(c, key, h, h.Del, EvHash, "hdel")
}

func hlenCmd(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(h.Len()))
}

func hstrlenCmd(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(h.StrLen(c.Args[2])))
}

func hexistsCmd(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil || !h.Exists(c.Args[2]) {
		c.W.Int(0)
		return
	}
	c.W.Int(1)
}

// hgetallCmd is HKEYS, HVALS and HGETALL (a map in RESP3).
func hgetallCmd(fields, values bool) Handler {
	return func(c *Ctx) {
		h, ok := getHash(c, c.Args[1], false)
		if !ok {
			return
		}
		n := 0
		if h != nil {
			n = h.Len()
		}
		if fields && values {
			c.W.Map(n)
		} else {
			c.W.Array(n)
		}
		if h == nil {
			return
		}
		h.Each(func(f, v []byte) bool {
			if fields {
				c.W.Bulk(f)
			}
			if values {
				c.W.Bulk(v)
			}
			return true
		})
	}
}

func hincrbyCmd(c *Ctx) {
	incr, ok := getLong(c, c.Args[3])
	if !ok {
		return
	}
	key, field := c.Args[1], c.Args[2]
	h, ok := getHash(c, key, true)
	if !ok {
		return
	}
	var cur int64
	if h != nil {
		if v, found := h.Get(field); found {
			if cur, ok = resp.ParseInt(v); !ok {
				c.Error("ERR hash value is not an integer")
				return
			}
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.Error(ErrOverflow)
		return
	}
	cur += incr
	if h == nil {
		// An evicted hash's memory when there is one (keyspace
		// recycle.go): the Set below follows at once.
		h = c.DB.NewHash()
		c.DB.SetValue(key, h, false)
	}
	h.Set(field, fmtInt(cur), &c.E.Limits)
	c.DB.Modified(key)
	c.Notify(EvHash, "hincrby", key)
	c.W.Int(cur)
}

// hincrbyfloatCmd computes in x87 long double like Redis and propagates
// the result as HSET key field result, so replicas need not redo the
// arithmetic.
func hincrbyfloatCmd(c *Ctx) {
	incr, ok := types.ParseLongDouble(c.Args[3])
	if !ok {
		c.Error(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.Error("ERR value is NaN or Infinity")
		return
	}
	key, field := c.Args[1], c.Args[2]
	h, ok := getHash(c, key, true)
	if !ok {
		return
	}
	var cur types.LongDouble
	if h != nil {
		if v, found := h.Get(field); found {
			if cur, ok = types.ParseLongDouble(v); !ok {
				c.Error("ERR hash value is not a float")
				return
			}
		}
	}
	sum, ok := cur.Add(incr)
	if !ok || sum.IsInf() {
		c.Error("ERR increment would produce NaN or Infinity")
		return
	}
	res := sum.AppendHuman(nil)
	if h == nil {
		// An evicted hash's memory when there is one (keyspace
		// recycle.go): the Set below follows at once.
		h = c.DB.NewHash()
		c.DB.SetValue(key, h, false)
	}
	h.Set(field, res, &c.E.Limits)
	c.DB.Modified(key)
	c.Notify(EvHash, "hincrbyfloat", key)
	c.W.Bulk(res)
	c.Rewrite(argHSet, key, field, res)
}

func hrandfieldCmd(c *Ctx) {
	if len(c.Args) >= 3 {
		count, ok := getRangeLong(c, c.Args[2], -math.MaxInt64, math.MaxInt64, "")
		if !ok {
			return
		}
		withValues := false
		if len(c.Args) > 4 || (len(c.Args) == 4 && !strings.EqualFold(string(c.Args[3]), "withvalues")) {
			c.Error(ErrSyntax)
			return
		} else if len(c.Args) == 4 {
			withValues = true
			if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
				c.Error("ERR value is out of range")
				return
			}
		}
		h, ok := getHash(c, c.Args[1], false)
		if !ok {
			return
		}
		if h == nil || count == 0 {
			c.W.Array(0)
			return
		}
		pairs := func(w *resp.Writer, count int) {
			h.RandFields(count, func(f, v []byte) {
				if withValues && w.Proto == 3 {
					w.Array(2)
				}
				w.Bulk(f)
				if withValues {
					w.Bulk(v)
				}
			})
		}
		if count > 0 {
			c.W.Array(scoredLen(c, min(int(count), h.Len()), withValues))
			pairs(c.W, int(count))
			return
		}
		// -count picks with repeats: possibly a huge reply (stream.go).
		n := int(-count)
		if streams(c, n) {
			// The stream samples h after this command: h must not be
			// reused if its key is evicted (types/hashreuse.go).
			h = h.HoldForStream()
		}
		randPicks(c, n, scoredLen(c, n, withValues), func(w *resp.Writer, k int) bool {
			if h.Len() == 0 {
				return false
			}
			pairs(w, -k)
			return true
		})
		return
	}
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil {
		c.W.Null()
		return
	}
	f, _, _ := h.RandField()
	c.W.Bulk(f)
}

func hscanCmd(c *Ctx) {
	cursor, ok := ParseCursor(c, c.Args[2])
	if !ok {
		return
	}
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil {
		writeScan(c, 0, nil)
		return
	}
	pattern, count, _, ok := ParseScanOptions(c, c.Args[3:], false)
	if !ok {
		return
	}
	var out [][]byte
	next := h.Scan(cursor, count, func(f, v []byte) {
		if pattern != nil && !glob.Match(pattern, f, false) {
			return
		}
		out = append(out, append([]byte(nil), f...), append([]byte(nil), v...))
	})
	writeScan(c, next, out)
}
