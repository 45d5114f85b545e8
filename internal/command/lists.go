package command

import (
	"math"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/types"
)

func listCommands() []*Spec {
	k1 := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, 1, 1; return s }
	k12 := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, 2, 1; return s }
	kBlock := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, -2, 1; return s }
	g := "list"
	return []*Spec{
		k1(&Spec{Name: "lpush", Arity: -3, Flags: Write | DenyOOM | Fast, Handler: pushCmd(true, false), Group: g, Summary: "Prepend one or multiple elements to a list", Since: "1.0.0"}),
		k1(&Spec{Name: "rpush", Arity: -3, Flags: Write | DenyOOM | Fast, Handler: pushCmd(false, false), Group: g, Summary: "Append one or multiple elements to a list", Since: "1.0.0"}),
		k1(&Spec{Name: "lpushx", Arity: -3, Flags: Write | DenyOOM | Fast, Handler: pushCmd(true, true), Group: g, Summary: "Prepend an element to a list, only if the list exists", Since: "2.2.0"}),
		k1(&Spec{Name: "rpushx", Arity: -3, Flags: Write | DenyOOM | Fast, Handler: pushCmd(false, true), Group: g, Summary: "Append an element to a list, only if the list exists", Since: "2.2.0"}),
		k1(&Spec{Name: "lpop", Arity: -2, Flags: Write | Fast, Handler: popCmd(true), Group: g, Summary: "Remove and get the first elements in a list", Since: "1.0.0"}),
		k1(&Spec{Name: "rpop", Arity: -2, Flags: Write | Fast, Handler: popCmd(false), Group: g, Summary: "Remove and get the last elements in a list", Since: "1.0.0"}),
		k1(&Spec{Name: "llen", Arity: 2, Flags: ReadOnly | Fast, Handler: llenCmd, Group: g, Summary: "Get the length of a list", Since: "1.0.0"}),
		k1(&Spec{Name: "lrange", Arity: 4, Flags: ReadOnly, Handler: lrangeCmd, Group: g, Summary: "Get a range of elements from a list", Since: "1.0.0"}),
		k1(&Spec{Name: "lindex", Arity: 3, Flags: ReadOnly, Handler: lindexCmd, Group: g, Summary: "Get an element from a list by its index", Since: "1.0.0"}),
		k1(&Spec{Name: "lset", Arity: 4, Flags: Write | DenyOOM, Handler: lsetCmd, Group: g, Summary: "Set the value of an element in a list by its index", Since: "1.0.0"}),
		k1(&Spec{Name: "linsert", Arity: 5, Flags: Write | DenyOOM, Handler: linsertCmd, Group: g, Summary: "Insert an element before or after another element in a list", Since: "2.2.0"}),
		k1(&Spec{Name: "lrem", Arity: 4, Flags: Write, Handler: lremCmd, Group: g, Summary: "Remove elements from a list", Since: "1.0.0"}),
		k1(&Spec{Name: "ltrim", Arity: 4, Flags: Write, Handler: ltrimCmd, Group: g, Summary: "Trim a list to the specified range", Since: "1.0.0"}),
		k1(&Spec{Name: "lpos", Arity: -3, Flags: ReadOnly, Handler: lposCmd, Group: g, Summary: "Return the index of matching elements on a list", Since: "6.0.6"}),
		k12(&Spec{Name: "lmove", Arity: 5, Flags: Write | DenyOOM, Handler: lmoveCmd, Group: g, Summary: "Pop an element from a list, push it to another list and return it", Since: "6.2.0"}),
		k12(&Spec{Name: "rpoplpush", Arity: 3, Flags: Write | DenyOOM, Handler: rpoplpushCmd, Group: g, Summary: "Remove the last element in a list, prepend it to another list and return it", Since: "1.2.0"}),
		{Name: "lmpop", Arity: -4, Flags: Write, KeysFn: numkeysFn(1, false), Handler: lmpopCmd(false), Group: g, Summary: "Pop elements from a list", Since: "7.0.0"},
		kBlock(&Spec{Name: "blpop", Arity: -3, Flags: Write | Blocking, Handler: blpopCmd(true), Group: g, Summary: "Remove and get the first element in a list, or block until one is available", Since: "2.0.0"}),
		kBlock(&Spec{Name: "brpop", Arity: -3, Flags: Write | Blocking, Handler: blpopCmd(false), Group: g, Summary: "Remove and get the last element in a list, or block until one is available", Since: "2.0.0"}),
		k12(&Spec{Name: "blmove", Arity: 6, Flags: Write | DenyOOM | Blocking, Handler: blmoveCmd, Group: g, Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Since: "6.2.0"}),
		k12(&Spec{Name: "brpoplpush", Arity: 4, Flags: Write | DenyOOM | Blocking, Handler: brpoplpushCmd, Group: g, Summary: "Pop an element from a list, push it to another list and return it; or block until one is available", Since: "2.2.0"}),
		{Name: "blmpop", Arity: -5, Flags: Write | Blocking, KeysFn: numkeysFn(2, false), Handler: lmpopCmd(true), Group: g, Summary: "Pop elements from a list, or block until one is available", Since: "7.0.0"},
	}
}

func newList(c *Ctx) *types.List { return types.NewList(c.E.Limits.ListMaxListpackSize) }

func listPop(l *types.List, front bool) []byte {
	if front {
		v, _ := l.PopFront()
		return v
	}
	v, _ := l.PopBack()
	return v
}

func pushCmd(front, onlyExisting bool) Handler {
	return func(c *Ctx) {
		key := c.Args[1]
		l, ok := getList(c, key, true)
		if !ok {
			return
		}
		if l == nil {
			if onlyExisting {
				c.W.Int(0)
				return
			}
			// An evicted list's memory when there is one (keyspace
			// recycle.go): the push below follows at once.
			l = c.DB.NewList(c.E.Limits.ListMaxListpackSize)
			c.DB.SetValue(key, l, false)
		}
		for _, v := range c.Args[2:] {
			if front {
				l.PushFront(v)
			} else {
				l.PushBack(v)
			}
		}
		c.DB.Modified(key)
		c.Notify(EvList, pushEvent(front), key)
		c.W.Int(int64(l.Len()))
	}
}

func popCmd(front bool) Handler {
	return func(c *Ctx) {
		if len(c.Args) > 3 {
			c.Error(ErrArity(c.Spec.Name))
			return
		}
		hasCount := len(c.Args) == 3
		var count int64
		if hasCount {
			var ok bool
			if count, ok = getPositiveLong(c, c.Args[2], ""); !ok {
				return
			}
		}
		key := c.Args[1]
		l, ok := getList(c, key, true)
		if !ok {
			return
		}
		if l == nil {
			if hasCount {
				c.W.NullArray()
			} else {
				c.W.Null()
			}
			return
		}
		if !hasCount {
			c.W.Bulk(listPop(l, front))
		} else {
			if count == 0 {
				c.W.Array(0)
				return
			}
			n := int(min(count, int64(l.Len())))
			c.W.Array(n)
			for i := 0; i < n; i++ {
				c.W.Bulk(listPop(l, front))
			}
		}
		removedFrom(c, key, l, EvList, popEvent(front))
	}
}

func llenCmd(c *Ctx) {
	l, ok := getList(c, c.Args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(l.Len()))
}

func lrangeCmd(c *Ctx) {
	start, ok := getLong(c, c.Args[2])
	if !ok {
		return
	}
	end, ok := getLong(c, c.Args[3])
	if !ok {
		return
	}
	l, ok := getList(c, c.Args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.W.Array(0)
		return
	}
	c.W.Array(l.RangeLen(int(start), int(end)))
	l.Range(int(start), int(end), func(v []byte) bool { c.W.Bulk(v); return true })
}

func lindexCmd(c *Ctx) {
	l, ok := getList(c, c.Args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.W.Null()
		return
	}
	i, ok := getLong(c, c.Args[2])
	if !ok {
		return
	}
	v, found := l.Index(int(i))
	if !found {
		c.W.Null()
		return
	}
	c.W.Bulk(v)
}

func lsetCmd(c *Ctx) {
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	i, ok := getLong(c, c.Args[2])
	if !ok {
		return
	}
	if !l.Set(int(i), c.Args[3]) {
		c.Error("ERR index out of range")
		return
	}
	c.DB.Modified(key)
	c.Notify(EvList, "lset", key)
	c.W.OK()
}

func linsertCmd(c *Ctx) {
	var before bool
	switch strings.ToLower(string(c.Args[2])) {
	case "after":
	case "before":
		before = true
	default:
		c.Error(ErrSyntax)
		return
	}
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	n := l.Insert(before, c.Args[3], c.Args[4])
	if n < 0 {
		c.W.Int(-1)
		return
	}
	c.DB.Modified(key)
	c.Notify(EvList, "linsert", key)
	c.W.Int(int64(n))
}

func lremCmd(c *Ctx) {
	count, ok := getLong(c, c.Args[2])
	if !ok {
		return
	}
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	n := l.Remove(int(count), c.Args[3])
	if n > 0 {
		removedFrom(c, key, l, EvList, "lrem")
	}
	c.W.Int(int64(n))
}

func ltrimCmd(c *Ctx) {
	start, ok := getLong(c, c.Args[2])
	if !ok {
		return
	}
	end, ok := getLong(c, c.Args[3])
	if !ok {
		return
	}
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.W.OK()
		return
	}
	before := l.Len()
	l.Trim(int(start), int(end))
	if l.Len() < before {
		removedFrom(c, key, l, EvList, "ltrim")
	} else {
		touch(c, key) // Redis signals the key even when nothing was trimmed
		c.Notify(EvList, "ltrim", key)
	}
	c.W.OK()
}

func lposCmd(c *Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch opt := strings.ToUpper(string(c.Args[j])); {
		case opt == "RANK" && more:
			j++
			var ok bool
			if rank, ok = getLong(c, c.Args[j]); !ok {
				return
			}
			if rank == 0 {
				c.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
		case opt == "COUNT" && more:
			j++
			var ok bool
			if count, ok = getPositiveLong(c, c.Args[j], "COUNT can't be negative"); !ok {
				return
			}
		case opt == "MAXLEN" && more:
			j++
			var ok bool
			if maxlen, ok = getPositiveLong(c, c.Args[j], "MAXLEN can't be negative"); !ok {
				return
			}
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if rank == math.MinInt64 {
		// Redis negates the rank to walk from the tail; LLONG_MIN stays
		// negative, so every match qualifies: the first from the tail.
		rank = -1
	}
	l, ok := getList(c, c.Args[1], false)
	if !ok {
		return
	}
	if l == nil {
		if count != -1 {
			c.W.Array(0)
		} else {
			c.W.Null()
		}
		return
	}
	want := int(count)
	if count == -1 {
		want = 1
	}
	found := l.Pos(c.Args[2], int(rank), want, int(maxlen), nil)
	if count == -1 {
		if len(found) == 0 {
			c.W.Null()
		} else {
			c.W.Int(int64(found[0]))
		}
		return
	}
	c.W.Array(len(found))
	for _, i := range found {
		c.W.Int(int64(i))
	}
}

// listEnd parses LEFT/RIGHT (case-insensitive) into "at the front".
func listEnd(c *Ctx, arg []byte) (front, ok bool) {
	switch strings.ToLower(string(arg)) {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	c.Error(ErrSyntax)
	return false, false
}

func lmoveCmd(c *Ctx) {
	from, ok := listEnd(c, c.Args[3])
	if !ok {
		return
	}
	to, ok := listEnd(c, c.Args[4])
	if !ok {
		return
	}
	lmove(c, from, to)
}

func rpoplpushCmd(c *Ctx) { lmove(c, false, true) }

// lmove pops from the source list (c.Args[1]) and pushes onto the
// destination (c.Args[2]), replying with the element or a null when the
// source is missing.
func lmove(c *Ctx, from, to bool) {
	sl, ok := getList(c, c.Args[1], true)
	if !ok {
		return
	}
	if sl == nil {
		c.W.Null()
		return
	}
	lmoveFrom(c, sl, from, to)
}

// lmoveFrom moves one element from the non-empty list sl (at c.Args[1]).
func lmoveFrom(c *Ctx, sl *types.List, from, to bool) {
	src, dst := c.Args[1], c.Args[2]
	dl, ok := getList(c, dst, true)
	if !ok {
		return
	}
	if dl == nil {
		dl = newList(c)
		c.DB.SetValue(dst, dl, false)
	}
	v, _ := types.ListMove(sl, dl, from, to)
	c.W.Bulk(v)
	// Redis signals the destination (created or pushed) before the source.
	c.DB.Modified(dst)
	c.Notify(EvList, pushEvent(to), dst)
	removedFrom(c, src, sl, EvList, popEvent(from))
}

// blpopCmd is BLPOP/BRPOP: pop from the first non-empty list among the
// keys, or block until one is pushed.
func blpopCmd(front bool) Handler {
	return func(c *Ctx) {
		timeout, ok := getTimeout(c, c.Args[len(c.Args)-1])
		if !ok {
			return
		}
		keys := c.Args[1 : len(c.Args)-1]
		blockingListPop(c, keys, front, -1, timeout)
	}
}

// blockingListPop serves BLPOP/BRPOP (count < 0) and BLMPOP from the first
// non-empty list in keys, or blocks on them. On a re-run for a woken
// client only the key that became ready is looked at, and a key of another
// type there is ignored (the client keeps waiting), as in Redis 7.0.
func blockingListPop(c *Ctx, keys [][]byte, front bool, count int64, timeout time.Duration) {
	ready, rerun := c.readyKey()
	for _, key := range keys {
		if rerun && string(key) != string(ready) {
			continue
		}
		e := c.DB.LookupWrite(key)
		if e == nil {
			continue
		}
		l, isList := e.Val().(*types.List)
		if !isList {
			if rerun {
				continue
			}
			c.Error(ErrWrongType)
			return
		}
		if count >= 0 {
			popRangeWithKey(c, key, l, front, count)
			return
		}
		c.W.Array(2)
		c.W.Bulk(key)
		c.W.Bulk(listPop(l, front))
		removedFrom(c, key, l, EvList, popEvent(front))
		if front {
			c.Rewrite(argLPop, key)
		} else {
			c.Rewrite(argRPop, key)
		}
		return
	}
	if c.InExec {
		c.W.NullArray()
		return
	}
	c.Block(keys, timeout, nil)
}

// popRangeWithKey pops up to count elements of the non-empty list l at key,
// replies [key, [elements]] and propagates LPOP/RPOP key n.
func popRangeWithKey(c *Ctx, key []byte, l *types.List, front bool, count int64) {
	n := int(min(count, int64(l.Len())))
	c.W.Array(2)
	c.W.Bulk(key)
	c.W.Array(n)
	for i := 0; i < n; i++ {
		c.W.Bulk(listPop(l, front))
	}
	removedFrom(c, key, l, EvList, popEvent(front))
	cmd := argRPop
	if front {
		cmd = argLPop
	}
	c.Rewrite(cmd, key, fmtInt(int64(n)))
}

func blmoveCmd(c *Ctx) {
	from, ok := listEnd(c, c.Args[3])
	if !ok {
		return
	}
	to, ok := listEnd(c, c.Args[4])
	if !ok {
		return
	}
	timeout, ok := getTimeout(c, c.Args[5])
	if !ok {
		return
	}
	blmove(c, from, to, timeout, false)
}

func brpoplpushCmd(c *Ctx) {
	timeout, ok := getTimeout(c, c.Args[3])
	if !ok {
		return
	}
	blmove(c, false, true, timeout, true)
}

// blmove is BLMOVE/BRPOPLPUSH: an LMOVE when the source has elements
// (propagated as LMOVE/RPOPLPUSH), else block on the source. Inside MULTI
// it answers a null bulk as Redis does (a timeout answers a null array).
func blmove(c *Ctx, from, to bool, timeout time.Duration, rpoplpush bool) {
	src := c.Args[1]
	_, rerun := c.readyKey()
	e := c.DB.LookupWrite(src)
	var sl *types.List
	if e != nil {
		var isList bool
		if sl, isList = e.Val().(*types.List); !isList {
			if !rerun {
				c.Error(ErrWrongType)
				return
			}
			sl = nil
		}
	}
	if sl == nil {
		if c.InExec {
			c.W.Null()
			return
		}
		c.Block([][]byte{src}, timeout, nil)
		return
	}
	lmoveFrom(c, sl, from, to)
	switch {
	case rpoplpush:
		c.Rewrite(argRPopLPush, c.Args[1], c.Args[2])
	case rerun:
		// Served after blocking, Redis builds the LMOVE from its shared
		// lower-case "left"/"right" objects.
		c.Rewrite(argLMove, c.Args[1], c.Args[2], endName(from), endName(to))
	default:
		c.Rewrite(argLMove, c.Args[1], c.Args[2], c.Args[3], c.Args[4])
	}
}

var (
	argLeft  = []byte("left")
	argRight = []byte("right")
)

func endName(front bool) []byte {
	if front {
		return argLeft
	}
	return argRight
}

// mpopArgs parses the tail shared by LMPOP/BLMPOP and ZMPOP/BZMPOP:
// numkeys at idx, the keys, the direction word, then [COUNT n]. which
// parses the direction word.
func mpopArgs(c *Ctx, idx int, which func(arg []byte) (bool, bool)) (keys [][]byte, dir bool, count int64, ok bool) {
	numkeys, ok := getRangeLong(c, c.Args[idx], 1, math.MaxInt64, "numkeys should be greater than 0")
	if !ok {
		return nil, false, 0, false
	}
	if numkeys >= int64(len(c.Args)-idx-1) {
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	whereIdx := idx + int(numkeys) + 1
	if dir, ok = which(c.Args[whereIdx]); !ok {
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := whereIdx + 1; j < len(c.Args); j++ {
		if count == -1 && strings.EqualFold(string(c.Args[j]), "count") && j+1 < len(c.Args) {
			j++
			if count, ok = getRangeLong(c, c.Args[j], 1, math.MaxInt64, "count should be greater than 0"); !ok {
				return nil, false, 0, false
			}
			continue
		}
		c.Error(ErrSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return c.Args[idx+1 : whereIdx], dir, count, true
}

func leftRight(arg []byte) (bool, bool) {
	switch strings.ToLower(string(arg)) {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	return false, false
}

// lmpopCmd is LMPOP numkeys key... LEFT|RIGHT [COUNT n] and BLMPOP, which
// has a timeout before numkeys.
func lmpopCmd(blocking bool) Handler {
	return func(c *Ctx) {
		idx := 1
		if blocking {
			idx = 2
		}
		keys, front, count, ok := mpopArgs(c, idx, leftRight)
		if !ok {
			return
		}
		if blocking {
			timeout, ok := getTimeout(c, c.Args[1])
			if !ok {
				return
			}
			blockingListPop(c, keys, front, count, timeout)
			return
		}
		for _, key := range keys {
			l, ok := getList(c, key, true)
			if !ok {
				return
			}
			if l != nil {
				popRangeWithKey(c, key, l, front, count)
				return
			}
		}
		c.W.NullArray()
	}
}

// popEvent and pushEvent are the keyspace events of taking an element
// from, or adding one to, the front or the back of a list.
func popEvent(front bool) string {
	if front {
		return "lpop"
	}
	return "rpop"
}

func pushEvent(front bool) string {
	if front {
		return "lpush"
	}
	return "rpush"
}
