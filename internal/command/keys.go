package command

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/glob"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

func keyCommands() []*Spec {
	k1 := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, 1, 1; return s }
	kAll := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, -1, 1; return s }
	g := "generic"
	return []*Spec{
		kAll(&Spec{Name: "del", Arity: -2, Flags: Write, Handler: delCmd, Group: g, Summary: "Deletes one or more keys.", Since: "1.0.0"}),
		kAll(&Spec{Name: "unlink", Arity: -2, Flags: Write | Fast, Handler: delCmd, Group: g, Summary: "Asynchronously deletes one or more keys.", Since: "4.0.0"}),
		kAll(&Spec{Name: "exists", Arity: -2, Flags: ReadOnly | Fast, Handler: existsCmd, Group: g, Summary: "Determines whether one or more keys exist.", Since: "1.0.0"}),
		kAll(&Spec{Name: "touch", Arity: -2, Flags: ReadOnly | Fast, Handler: touchCmd, Group: g, Summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.", Since: "3.2.1"}),
		k1(&Spec{Name: "type", Arity: 2, Flags: ReadOnly | Fast, Handler: typeCmd, Group: g, Summary: "Determines the type of value stored at a key.", Since: "1.0.0"}),
		k1(&Spec{Name: "expire", Arity: -3, Flags: Write | Fast, Handler: expireCmd(1000, false), Group: g, Summary: "Sets the expiration time of a key in seconds.", Since: "1.0.0"}),
		k1(&Spec{Name: "pexpire", Arity: -3, Flags: Write | Fast, Handler: expireCmd(1, false), Group: g, Summary: "Sets the expiration time of a key in milliseconds.", Since: "2.6.0"}),
		k1(&Spec{Name: "expireat", Arity: -3, Flags: Write | Fast, Handler: expireCmd(1000, true), Group: g, Summary: "Sets the expiration time of a key to a Unix timestamp.", Since: "1.2.0"}),
		k1(&Spec{Name: "pexpireat", Arity: -3, Flags: Write | Fast, Handler: expireCmd(1, true), Group: g, Summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.", Since: "2.6.0"}),
		k1(&Spec{Name: "ttl", Arity: 2, Flags: ReadOnly | Fast, Handler: ttlCmd(1000, false), Group: g, Summary: "Returns the expiration time in seconds of a key.", Since: "1.0.0"}),
		k1(&Spec{Name: "pttl", Arity: 2, Flags: ReadOnly | Fast, Handler: ttlCmd(1, false), Group: g, Summary: "Returns the expiration time in milliseconds of a key.", Since: "2.6.0"}),
		k1(&Spec{Name: "expiretime", Arity: 2, Flags: ReadOnly | Fast, Handler: ttlCmd(1000, true), Group: g, Summary: "Returns the expiration time of a key as a Unix timestamp.", Since: "7.0.0"}),
		k1(&Spec{Name: "pexpiretime", Arity: 2, Flags: ReadOnly | Fast, Handler: ttlCmd(1, true), Group: g, Summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", Since: "7.0.0"}),
		k1(&Spec{Name: "persist", Arity: 2, Flags: Write | Fast, Handler: persistCmd, Group: g, Summary: "Removes the expiration time of a key.", Since: "2.2.0"}),
		{Name: "keys", Arity: 2, Flags: ReadOnly, Handler: keysCmd, Group: g, Summary: "Returns all key names that match a pattern.", Since: "1.0.0"},
		{Name: "scan", Arity: -2, Flags: ReadOnly | TouchesArbitraryKeys, Handler: scanCmd, Group: g, Summary: "Iterates over the key names in the database.", Since: "2.8.0"},
		{Name: "randomkey", Arity: 1, Flags: ReadOnly | TouchesArbitraryKeys, Handler: randomkeyCmd, Group: g, Summary: "Returns a random key name from the database.", Since: "1.0.0"},
		{Name: "rename", Arity: 3, Flags: Write, FirstKey: 1, LastKey: 2, Step: 1, Handler: renameCmd(false), Group: g, Summary: "Renames a key and overwrites the destination.", Since: "1.0.0"},
		{Name: "renamenx", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 2, Step: 1, Handler: renameCmd(true), Group: g, Summary: "Renames a key only when the target key name doesn't exist.", Since: "1.0.0"},
		{Name: "copy", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Handler: copyCmd, Group: g, Summary: "Copies the value of a key to a new key.", Since: "6.2.0"},
		k1(&Spec{Name: "move", Arity: 3, Flags: Write | Fast, Handler: moveCmd, Group: g, Summary: "Moves a key to another database.", Since: "1.0.0"}),
		{Name: "dbsize", Arity: 1, Flags: ReadOnly | Fast, Handler: dbsizeCmd, Group: "server", Summary: "Returns the number of keys in the database.", Since: "1.0.0"},
		{Name: "flushdb", Arity: -1, Flags: Write, Handler: flushCmd(false), Group: "server", Summary: "Remove all keys from the current database.", Since: "1.0.0"},
		{Name: "flushall", Arity: -1, Flags: Write, Handler: flushCmd(true), Group: "server", Summary: "Removes all keys from all databases.", Since: "1.0.0"},
		{Name: "swapdb", Arity: 3, Flags: Write | Fast, Handler: swapdbCmd, Group: "server", Summary: "Swaps two Redis databases.", Since: "4.0.0"},
		{Name: "select", Arity: 2, Flags: Loading | Stale | Fast, Handler: selectCmd, Group: "connection", Summary: "Changes the selected database.", Since: "1.0.0"},
		{Name: "object", Arity: -2, Flags: ReadOnly, KeysFn: objectKeys, Handler: objectCmd, Group: g, Summary: "A container for object introspection commands.", Since: "2.2.3",
			Subcommands: []string{"encoding", "freq", "help", "idletime", "refcount"}},
	}
}

func delCmd(c *Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		if c.DB.Delete(k) {
			c.DB.Modified(k)
			n++
		}
	}
	c.W.Int(n)
}

func existsCmd(c *Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		if lookupNoTouch(c, k) != nil { // counts hits and misses, as in Redis
			n++
		}
	}
	c.W.Int(n)
}

func touchCmd(c *Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		if c.DB.Lookup(k) != nil {
			n++
		}
	}
	c.W.Int(n)
}

// lookupNoTouch is Redis's LOOKUP_NOTOUCH read: it expires the key and
// counts a hit or miss, but leaves the key's access time alone (TYPE, TTL).
func lookupNoTouch(c *Ctx, key []byte) *keyspace.Entry {
	if !c.DB.Exists(key) {
		c.E.KS.Misses++
		return nil
	}
	c.E.KS.Hits++
	return c.DB.Peek(key)
}

func typeCmd(c *Ctx) {
	e := lookupNoTouch(c, c.Args[1])
	if e == nil {
		c.W.Simple("none")
		return
	}
	c.W.Simple(TypeName(e))
}

func expireCmd(unit int64, abs bool) Handler {
	return func(c *Ctx) {
		// The options first, then the time, in Redis's order.
		nx, xx, gt, lt := false, false, false, false
		for _, a := range c.Args[3:] {
			switch strings.ToUpper(string(a)) {
			case "NX":
				nx = true
			case "XX":
				xx = true
			case "GT":
				gt = true
			case "LT":
				lt = true
			default:
				c.Error("ERR Unsupported option " + string(cstr(a)))
				return
			}
		}
		if nx && (xx || gt || lt) {
			c.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
			return
		}
		if gt && lt {
			c.Error("ERR GT and LT options at the same time are not compatible")
			return
		}
		v, ok := resp.ParseInt(c.Args[2])
		if !ok {
			c.Error(ErrNotInt)
			return
		}
		if v > math.MaxInt64/unit || v < math.MinInt64/unit {
			c.Error("ERR invalid expire time in '" + c.Spec.Name + "' command")
			return
		}
		when := v * unit
		if !abs {
			if (when > 0 && c.Now() > math.MaxInt64-when) || (when < 0 && c.Now() < math.MinInt64-when) {
				c.Error("ERR invalid expire time in '" + c.Spec.Name + "' command")
				return
			}
			when += c.Now()
		}
		key := c.Args[1]
		if c.DB.LookupWrite(key) == nil {
			c.W.Int(0)
			return
		}
		cur := c.DB.ExpireAt(key)
		switch {
		case nx && cur >= 0, xx && cur < 0:
			c.W.Int(0)
			return
		case gt && (cur < 0 || when <= cur):
			c.W.Int(0)
			return
		case lt && cur >= 0 && when >= cur:
			c.W.Int(0)
			return
		}
		// A time already past deletes the key, except on a replica (it
		// waits for its master's DEL) and for commands from our master.
		if when <= c.Now() && c.E.KS.DeletesExpired() && c.S.Flags&FlagMaster == 0 {
			c.DB.Delete(key)
			c.Rewrite(argDel, key)
			c.DB.Modified(key)
			c.W.Int(1)
			return
		}
		c.DB.SetExpire(key, when)
		if c.Spec.Name != "pexpireat" {
			argv := [][]byte{argPExpAt, key, fmtInt(when)}
			c.Rewrite(append(argv, c.Args[3:]...)...)
		}
		c.DB.Modified(key)
		c.W.Int(1)
	}
}

func ttlCmd(unit int64, abs bool) Handler {
	return func(c *Ctx) {
		key := c.Args[1]
		if lookupNoTouch(c, key) == nil {
			c.W.Int(-2)
			return
		}
		when := c.DB.ExpireAt(key)
		if when < 0 {
			c.W.Int(-1)
			return
		}
		if abs {
			c.W.Int(when / unit)
			return
		}
		ttl := when - c.Now()
		if ttl < 0 {
			ttl = 0
		}
		if unit == 1000 {
			c.W.Int((ttl + 500) / 1000)
			return
		}
		c.W.Int(ttl)
	}
}

func persistCmd(c *Ctx) {
	key := c.Args[1]
	if c.DB.LookupWrite(key) == nil || !c.DB.Persist(key) {
		c.W.Int(0)
		return
	}
	c.DB.Modified(key)
	c.W.Int(1)
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

func renameCmd(nx bool) Handler {
	return func(c *Ctx) {
		src, dst := c.Args[1], c.Args[2]
		if c.DB.LookupWrite(src) == nil {
			c.Error(ErrNoSuchKey)
			return
		}
		if string(src) == string(dst) {
			if nx {
				c.W.Int(0)
			} else {
				c.W.OK()
			}
			return
		}
		if nx && c.DB.Exists(dst) {
			c.W.Int(0)
			return
		}
		c.DB.Rename(src, dst, true)
		c.DB.Modified(src)
		c.DB.Modified(dst)
		if nx {
			c.W.Int(1)
		} else {
			c.W.OK()
		}
	}
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

func copyCmd(c *Ctx) {
	src, dst := c.Args[1], c.Args[2]
	dstDB := c.DB
	replace := false
	for i := 3; i < len(c.Args); i++ {
		switch strings.ToUpper(string(c.Args[i])) {
		case "REPLACE":
			replace = true
		case "DB":
			if i+1 >= len(c.Args) {
				c.Error(ErrSyntax)
				return
			}
			n, ok := parseDBIndex(c, c.Args[i+1])
			if !ok {
				return
			}
			dstDB = c.E.KS.DBs[n]
			i++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if dstDB == c.DB && string(src) == string(dst) {
		c.Error("ERR source and destination objects are the same")
		return
	}
	e := c.DB.Lookup(src)
	if e == nil {
		c.W.Int(0)
		return
	}
	if dstDB.Exists(dst) {
		if !replace {
			c.W.Int(0)
			return
		}
		dstDB.Delete(dst)
	}
	if e.Val() == nil {
		dstDB.SetString(dst, []byte(e.Str()), false)
	} else {
		dstDB.SetValue(dst, CloneValue(e.Val()), false)
	}
	if when := c.DB.ExpireAt(src); when >= 0 {
		dstDB.SetExpire(dst, when)
	}
	dstDB.Modified(dst)
	c.W.Int(1)
}

func moveCmd(c *Ctx) {
	n, ok := parseDBIndex(c, c.Args[2])
	if !ok {
		return
	}
	if n == c.DB.ID {
		c.Error("ERR source and destination objects are the same")
		return
	}
	other := c.E.KS.DBs[n]
	if !c.DB.MoveTo(c.Args[1], other) {
		c.W.Int(0)
		return
	}
	c.DB.Modified(c.Args[1])
	other.Modified(c.Args[1])
	c.W.Int(1)
}

func dbsizeCmd(c *Ctx) { c.W.Int(int64(c.DB.Len())) }

func flushCmd(all bool) Handler {
	return func(c *Ctx) {
		if len(c.Args) > 2 {
			c.Error(ErrSyntax)
			return
		}
		if len(c.Args) == 2 {
			switch strings.ToUpper(string(c.Args[1])) {
			case "ASYNC", "SYNC":
			default:
				c.Error(ErrSyntax)
				return
			}
		}
		if all {
			c.E.TouchAllWatched(-1)
			for _, db := range c.E.KS.DBs {
				c.E.KS.Dirty += int64(db.Len())
				db.Flush()
			}
		} else {
			c.E.TouchAllWatched(c.DB.ID)
			c.E.KS.Dirty += int64(c.DB.Len())
			c.DB.Flush()
		}
		c.ForcePropagate()
		if c.E.FlushHook != nil {
			c.E.FlushHook(all)
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
		// A watched key changes if it exists on either side of the swap.
		c.E.TouchAllWatched(int(a))
		c.E.TouchAllWatched(int(b))
		c.E.KS.DBs[a].Swap(c.E.KS.DBs[b])
		c.E.TouchAllWatched(int(a))
		c.E.TouchAllWatched(int(b))
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

func objectCmd(c *Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	if sub == "help" && len(c.Args) == 2 {
		lines := []string{
			// Named as typed, as Redis's addReplyHelp does (rename-command).
			strings.ToUpper(string(cstr(c.Args[0]))) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"ENCODING <key>",
			"    Return the kind of internal representation used in order to store the value",
			"    associated with a <key>.",
			"FREQ <key>",
			"    Return the access frequency index of the <key>. The returned integer is",
			"    proportional to the logarithm of the recent access frequency of the key.",
			"IDLETIME <key>",
			"    Return the idle time of the <key>, that is the approximated number of",
			"    seconds elapsed since the last access to the key.",
			"REFCOUNT <key>",
			"    Return the number of references of the value associated with the specified",
			"    <key>.",
			"HELP",
			"    Prints this help.",
		}
		c.W.Array(len(lines))
		for _, l := range lines {
			c.W.Simple(l)
		}
		return
	}
	if len(c.Args) != 3 {
		c.Error(ErrSubcommand(c.Spec, c.Args))
		return
	}
	switch sub {
	case "encoding", "refcount", "idletime", "freq":
	default:
		c.Error(ErrSubcommand(c.Spec, c.Args)) // OBJECT HELP x: help's arity
		return
	}
	e := lookupNoTouch(c, c.Args[2])
	if e == nil {
		c.W.Null()
		return
	}
	switch sub {
	case "encoding":
		c.W.BulkString(EncodingName(e))
	case "refcount":
		if e.Val() == nil {
			if n, ok := resp.ParseInt([]byte(e.Str())); ok && n >= 0 && n < 10000 {
				c.W.Int(math.MaxInt32) // shared integers, as Redis reports them
				return
			}
		}
		c.W.Int(1)
	case "idletime":
		c.W.Int(int64(c.E.KS.Clock() - e.LRU()))
	case "freq":
		// Keys keep an LRU clock, not LFU counters (no eviction policy is
		// built yet), so OBJECT FREQ answers as Redis does under an LRU
		// policy, and IDLETIME always works. With LFU policies, Redis swaps
		// the two: IDLETIME errors and FREQ reads the counter.
		c.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	}
}

// objectKeys finds OBJECT's key (its subcommands take it third); COMMAND
// INFO shows no legacy key triple for OBJECT, as Redis 7.0 does.
func objectKeys(args [][]byte) []int {
	if len(args) >= 3 {
		return []int{2}
	}
	return nil
}
