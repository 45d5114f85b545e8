package command

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/glob"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// databaseCommands act on a whole database rather than on named keys:
// listing and iterating its keys (KEYS, SCAN, RANDOMKEY), counting,
// emptying and swapping databases, and choosing the session's database.
func databaseCommands() []*Spec {
	g := "generic"
	return []*Spec{
		{Name: "keys", Arity: 2, Flags: ReadOnly, Handler: keysCmd, Group: g, Summary: "Returns all key names that match a pattern.", Since: "1.0.0"},
		{Name: "scan", Arity: -2, Flags: ReadOnly | TouchesArbitraryKeys, Handler: scanCmd, Group: g, Summary: "Iterates over the key names in the database.", Since: "2.8.0"},
		{Name: "randomkey", Arity: 1, Flags: ReadOnly | TouchesArbitraryKeys, Handler: randomkeyCmd, Group: g, Summary: "Returns a random key name from the database.", Since: "1.0.0"},
		{Name: "dbsize", Arity: 1, Flags: ReadOnly | Fast, Handler: dbsizeCmd, Group: "server", Summary: "Returns the number of keys in the database.", Since: "1.0.0"},
		{Name: "flushdb", Arity: -1, Flags: Write, Handler: flushCmd(false), Group: "server", Summary: "Remove all keys from the current database.", Since: "1.0.0"},
		{Name: "flushall", Arity: -1, Flags: Write, Handler: flushCmd(true), Group: "server", Summary: "Removes all keys from all databases.", Since: "1.0.0"},
		{Name: "swapdb", Arity: 3, Flags: Write | Fast, Handler: swapdbCmd, Group: "server", Summary: "Swaps two Redis databases.", Since: "4.0.0"},
		{Name: "select", Arity: 2, Flags: Loading | Stale | Fast, Handler: selectCmd, Group: "connection", Summary: "Changes the selected database.", Since: "1.0.0"},
	}
}

// liveKey reports whether e has not expired, without deleting it (for
// walks that must not modify the table).
func liveKey(c *Ctx, e *keyspace.Entry) bool {
	when := c.DB.ExpireAt([]byte(e.Key()))
	return when < 0 || when > c.Now() || (!c.E.KS.DeletesExpired() && c.S.Flags&FlagMaster != 0)
}

func keysCmd(c *Ctx) {
	pat := c.Args[1]
	all := len(pat) == 1 && pat[0] == '*'
	var out []string
	c.DB.Each(func(e *keyspace.Entry) bool {
		if (all || glob.Match(pat, []byte(e.Key()), false)) && liveKey(c, e) {
			out = append(out, e.Key())
		}
		return true
	})
	c.W.Array(len(out))
	for _, k := range out {
		c.W.BulkString(k)
	}
}

// ParseScanOptions parses SCAN-family options (MATCH, COUNT and, when
// allowType, TYPE) from args. It writes the error and returns ok=false on
// bad input.
func ParseScanOptions(c *Ctx, args [][]byte, allowType bool) (pattern []byte, count int, typ string, ok bool) {
	count = 10
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.Error(ErrSyntax)
			return nil, 0, "", false
		}
		switch strings.ToUpper(string(args[i])) {
		case "MATCH":
			pattern = args[i+1]
		case "COUNT":
			n, isInt := resp.ParseInt(args[i+1])
			if !isInt {
				c.Error(ErrNotInt)
				return nil, 0, "", false
			}
			if n < 1 {
				c.Error(ErrSyntax)
				return nil, 0, "", false
			}
			if n > 1<<30 {
				n = 1 << 30
			}
			count = int(n)
		case "TYPE":
			if !allowType {
				c.Error(ErrSyntax)
				return nil, 0, "", false
			}
			typ = strings.ToLower(string(args[i+1]))
		default:
			c.Error(ErrSyntax)
			return nil, 0, "", false
		}
	}
	if len(pattern) == 1 && pattern[0] == '*' {
		pattern = nil
	}
	return pattern, count, typ, true
}

// ParseCursor parses a SCAN cursor (an unsigned 64-bit number).
// Like Redis's strtoul it takes one leading sign ("-1" is the largest
// cursor). Redis only checks that strtoul stopped at a NUL, so the
// argument ends at its first NUL byte, and an empty one is cursor 0.
func ParseCursor(c *Ctx, arg []byte) (uint64, bool) {
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	if len(arg) == 0 {
		return 0, true
	}
	s, neg := string(arg), false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s, neg = s[1:], s[0] == '-'
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		c.Error("ERR invalid cursor")
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func scanCmd(c *Ctx) {
	cursor, ok := ParseCursor(c, c.Args[1])
	if !ok {
		return
	}
	pattern, count, typ, ok := ParseScanOptions(c, c.Args[2:], true)
	if !ok {
		return
	}
	var found []string
	// Like Redis, visit buckets until COUNT keys were seen or ten times as
	// many buckets were empty, so a sparse table still answers quickly.
	for maxIter := count * 10; maxIter > 0; maxIter-- {
		cursor = c.DB.Scan(cursor, func(e *keyspace.Entry) { found = append(found, e.Key()) })
		if cursor == 0 || len(found) >= count {
			break
		}
	}
	out := found[:0]
	for _, k := range found {
		if pattern != nil && !glob.Match(pattern, []byte(k), false) {
			continue
		}
		// Removes it when expired; SCAN neither touches keys nor counts
		// hits, as in Redis.
		if !c.DB.Exists([]byte(k)) {
			continue
		}
		if typ != "" && TypeName(c.DB.Peek([]byte(k))) != typ {
			continue
		}
		out = append(out, k)
	}
	c.E.noWrap = true
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(cursor, 10))
	c.W.Array(len(out))
	for _, k := range out {
		c.W.BulkString(k)
	}
}

func randomkeyCmd(c *Ctx) {
	c.E.noWrap = true
	e := c.DB.Random()
	if e == nil {
		c.W.Null()
		return
	}
	c.W.BulkString(e.Key())
}

// parseDBIndex parses a database number, writing Redis's errors: first
// the int32 range (as Redis's getIntFromObjectOrReply does), then the
// number of databases.
func parseDBIndex(c *Ctx, arg []byte) (int, bool) {
	n, ok := parseInt32(c, arg, "")
	if !ok {
		return 0, false
	}
	if n < 0 || n >= int64(len(c.E.KS.DBs)) {
		c.Error("ERR DB index is out of range")
		return 0, false
	}
	return int(n), true
}

// parseInt32 parses an argument Redis reads as a C int: a non-integer gets
// the integer error, an int64 outside int32 the range error, or msg for
// both when it is set.
func parseInt32(c *Ctx, arg []byte, msg string) (int64, bool) {
	n, ok := resp.ParseInt(arg)
	if ok && n == int64(int32(n)) {
		return n, true
	}
	switch {
	case msg != "":
		c.Error(msg)
	case !ok:
		c.Error(ErrNotInt)
	default:
		c.Error("ERR value is out of range, value must between -2147483648 and 2147483647")
	}
	return 0, false
}

func dbsizeCmd(c *Ctx) { c.W.Int(int64(c.DB.Len())) }

func flushCmd(all bool) Handler {
	return func(c *Ctx) {
		if len(c.Args) > 2 {
			c.Error(ErrSyntax)
			return
		}
		// ASYNC, or neither word under lazyfree-lazy-user-flush: in Go
		// emptying a database is O(1) either way (keyspace/lazyfree.go);
		// the mode decides what lazyfreed_objects counts.
		async := c.E.KS.Lazy.UserFlush
		if len(c.Args) == 2 {
			switch strings.ToUpper(string(c.Args[1])) {
			case "ASYNC":
				async = true
			case "SYNC":
				async = false
			default:
				c.Error(ErrSyntax)
				return
			}
		}
		if all {
			c.E.TouchAllWatched(-1)
			for _, db := range c.E.KS.DBs {
				c.E.KS.Dirty += int64(db.Len())
				c.E.KS.Lazy.NoteFlushed(db.Len(), async)
				db.Flush()
			}
			c.E.signalBlockedDB(-1)
		} else {
			c.E.TouchAllWatched(c.DB.ID)
			c.E.KS.Dirty += int64(c.DB.Len())
			c.E.KS.Lazy.NoteFlushed(c.DB.Len(), async)
			c.DB.Flush()
			c.E.signalBlockedDB(c.DB.ID)
		}
		c.E.Flushed()
		c.ForcePropagate()
		if c.E.Flushes != nil {
			c.E.Flushes.AfterFlush(all)
		}
		c.W.OK()
	}
}

func swapdbCmd(c *Ctx) {
	a, ok := parseInt32(c, c.Args[1], "ERR invalid first DB index")
	if !ok {
		return
	}
	b, ok := parseInt32(c, c.Args[2], "ERR invalid second DB index")
	if !ok {
		return
	}
	n := int64(len(c.E.KS.DBs))
	if a < 0 || a >= n || b < 0 || b >= n {
		c.Error("ERR DB index is out of range")
		return
	}
	if a != b {
		// A watched key changes if it exists on either side of the swap
		// (Redis's rules for keys that had expired: TouchWatchedReplaced).
		da, db := c.E.KS.DBs[a], c.E.KS.DBs[b]
		c.E.TouchWatchedReplaced(da, db)
		c.E.TouchWatchedReplaced(db, da)
		da.Swap(db)
		c.E.signalBlockedDB(int(a))
		c.E.signalBlockedDB(int(b))
	}
	c.E.KS.Dirty++
	c.W.OK()
}

func selectCmd(c *Ctx) {
	n, ok := parseDBIndex(c, c.Args[1])
	if !ok {
		return
	}
	c.S.DB = n
	c.W.OK()
}
