package command

import (
	"math"
	"strings"

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
		{Name: "rename", Arity: 3, Flags: Write, FirstKey: 1, LastKey: 2, Step: 1, Handler: renameCmd(false), Group: g, Summary: "Renames a key and overwrites the destination.", Since: "1.0.0"},
		{Name: "renamenx", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 2, Step: 1, Handler: renameCmd(true), Group: g, Summary: "Renames a key only when the target key name doesn't exist.", Since: "1.0.0"},
		{Name: "copy", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Handler: copyCmd, Group: g, Summary: "Copies the value of a key to a new key.", Since: "6.2.0"},
		k1(&Spec{Name: "move", Arity: 3, Flags: Write | Fast, Handler: moveCmd, Group: g, Summary: "Moves a key to another database.", Since: "1.0.0"}),
		{Name: "object", Arity: -2, Flags: ReadOnly, KeysFn: objectKeys, Handler: objectCmd, Group: g, Summary: "A container for object introspection commands.", Since: "2.2.3",
			Subcommands: []string{"encoding", "freq", "help", "idletime", "refcount"}},
	}
}

func delCmd(c *Ctx) {
	var n int64
	// UNLINK, and DEL under lazyfree-lazy-user-del, free lazily: in Go
	// both drop the value in O(1) (keyspace/lazyfree.go); the setting
	// decides what lazyfreed_objects counts.
	lazy := c.Spec.Name == "unlink" || c.E.KS.Lazy.UserDel
	for _, k := range c.Args[1:] {
		var v any
		if e := c.DB.Peek(k); e != nil {
			v = e.Val()
		}
		if c.DB.Delete(k) {
			c.E.KS.Lazy.Note(v, lazy)
			c.DB.Modified(k)
			c.Notify(EvGeneric, "del", k)
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
		c.DB.Miss(key)
		return nil
	}
	c.E.KS.Hits++
	return c.DB.Peek(key)
}

// lookupNoTouchQuiet is lookupNoTouch whose miss fires no keymiss event.
func lookupNoTouchQuiet(c *Ctx, key []byte) *keyspace.Entry {
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
			c.Notify(EvGeneric, "del", key)
			c.W.Int(1)
			return
		}
		c.DB.SetExpire(key, when)
		if c.Spec.Name != "pexpireat" {
			argv := [][]byte{argPExpAt, key, fmtInt(when)}
			c.Rewrite(append(argv, c.Args[3:]...)...)
		}
		c.DB.Modified(key)
		c.Notify(EvGeneric, "expire", key)
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
	c.Notify(EvGeneric, "persist", key)
	c.W.Int(1)
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
		c.Notify(EvGeneric, "rename_from", src)
		c.Notify(EvGeneric, "rename_to", dst)
		if nx {
			c.W.Int(1)
		} else {
			c.W.OK()
		}
	}
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
	c.NotifyDB(EvGeneric, "copy_to", dst, dstDB.ID)
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
	c.Notify(EvGeneric, "move_from", c.Args[1])
	c.NotifyDB(EvGeneric, "move_to", c.Args[1], other.ID)
	c.W.Int(1)
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
	// Counted like TYPE's lookup, but a miss fires no keymiss event (Redis
	// looks the key up with LOOKUP_NONOTIFY here).
	e := lookupNoTouchQuiet(c, c.Args[2])
	if e == nil {
		c.W.Null()
		return
	}
	switch sub {
	case "encoding":
		c.W.BulkString(EncodingName(e))
	case "refcount":
		if e.Val() == nil {
			if n, ok := resp.ParseInt([]byte(e.Str())); ok && n >= 0 && n < 10000 && c.E.KS.SharedIntegers() {
				c.W.Int(math.MaxInt32) // shared integers, as Redis reports them
				return
			}
		}
		c.W.Int(1)
	case "idletime":
		// The access field holds either an LRU clock or LFU counters,
		// after the policy (keyspace/lru.go), as in Redis.
		if c.E.KS.LFU() {
			c.Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
			return
		}
		c.W.Int(int64(c.E.KS.Idle(e)))
	case "freq":
		if !c.E.KS.LFU() {
			c.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
			return
		}
		c.W.Int(int64(c.E.KS.Freq(e)))
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
