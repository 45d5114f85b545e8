package command

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

func stringCommands() []*Spec {
	rw := Write | DenyOOM
	return []*Spec{
		{Name: "get", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: getCmd, Group: "string", Summary: "Returns the string value of a key.", Since: "1.0.0"},
		{Name: "set", Arity: -3, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Handler: setCmd, Group: "string", Summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", Since: "1.0.0"},
		{Name: "setnx", Arity: 3, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: setnxCmd, Group: "string", Summary: "Set the string value of a key only when the key doesn't exist.", Since: "1.0.0"},
		{Name: "setex", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Handler: setexCmd(1000), Group: "string", Summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", Since: "2.0.0"},
		{Name: "psetex", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Handler: setexCmd(1), Group: "string", Summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", Since: "2.6.0"},
		{Name: "getset", Arity: 3, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: getsetCmd, Group: "string", Summary: "Returns the previous string value of a key after setting it to a new value.", Since: "1.0.0"},
		{Name: "getdel", Arity: 2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: getdelCmd, Group: "string", Summary: "Returns the string value of a key after deleting the key.", Since: "6.2.0"},
		{Name: "getex", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: getexCmd, Group: "string", Summary: "Returns the string value of a key after setting its expiration time.", Since: "6.2.0"},
		{Name: "mget", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, Step: 1, Handler: mgetCmd, Group: "string", Summary: "Atomically returns the string values of one or more keys.", Since: "1.0.0"},
		{Name: "mset", Arity: -3, Flags: rw, FirstKey: 1, LastKey: -1, Step: 2, Handler: msetCmd, Group: "string", Summary: "Atomically creates or modifies the string values of one or more keys.", Since: "1.0.1"},
		{Name: "msetnx", Arity: -3, Flags: rw, FirstKey: 1, LastKey: -1, Step: 2, Handler: msetnxCmd, Group: "string", Summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.", Since: "1.0.1"},
		{Name: "append", Arity: 3, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: appendCmd, Group: "string", Summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", Since: "2.0.0"},
		{Name: "strlen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: strlenCmd, Group: "string", Summary: "Returns the length of a string value.", Since: "2.2.0"},
		{Name: "getrange", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: getrangeCmd, Group: "string", Summary: "Returns a substring of the string stored at a key.", Since: "2.4.0"},
		{Name: "substr", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: getrangeCmd, Group: "string", Summary: "Returns a substring from a string value.", Since: "1.0.0"},
		{Name: "setrange", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Handler: setrangeCmd, Group: "string", Summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.", Since: "2.2.0"},
		{Name: "incr", Arity: 2, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: incrCmd(1, false), Group: "string", Summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		{Name: "decr", Arity: 2, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: incrCmd(-1, false), Group: "string", Summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		{Name: "incrby", Arity: 3, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: incrCmd(1, true), Group: "string", Summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		{Name: "decrby", Arity: 3, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: incrCmd(-1, true), Group: "string", Summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.", Since: "1.0.0"},
		{Name: "incrbyfloat", Arity: 3, Flags: rw | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: incrbyfloatCmd, Group: "string", Summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.", Since: "2.6.0"},
	}
}

// lookupStringWrite is lookupString for commands about to modify the key
// (Redis's lookupKeyWrite: no hit/miss counting; a running snapshot
// captures the value first).
func lookupStringWrite(c *Ctx, key []byte) (e *keyspace.Entry, ok bool) {
	e = c.DB.LookupWrite(key)
	if e != nil && !e.IsString() {
		c.Error(ErrWrongType)
		return nil, false
	}
	return e, true
}

// lookupString finds a string for reading. It returns ok=false after
// writing WRONGTYPE when the key holds another type.
func lookupString(c *Ctx, key []byte) (e *keyspace.Entry, ok bool) {
	e = c.DB.Lookup(key)
	if e != nil && !e.IsString() {
		c.Error(ErrWrongType)
		return nil, false
	}
	return e, true
}

func getCmd(c *Ctx) {
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
		return
	}
	c.W.BulkString(e.Str())
}

// expireArg parses an EX/PX/EXAT/PXAT value into an absolute unix-ms time.
// unit is 1000 for seconds, 1 for ms; abs says whether it is already a
// timestamp. ok=false means "invalid expire time".
func expireArg(now int64, arg []byte, unit int64, abs bool) (int64, bool) {
	v, ok := resp.ParseInt(arg)
	if !ok {
		return 0, false
	}
	if v <= 0 || v > math.MaxInt64/unit {
		return 0, false
	}
	v *= unit
	if !abs {
		if v > math.MaxInt64-now {
			return 0, false
		}
		v += now
	}
	return v, true
}

// expireOption parses the value of an EX, PX, EXAT or PXAT option (opt in
// upper case) into an absolute unix-ms time, answering Redis's errors
// ("invalid expire time in '<cmd>' command" names the running command).
func expireOption(c *Ctx, opt string, arg []byte) (int64, bool) {
	unit := int64(1000)
	if opt[0] == 'P' {
		unit = 1
	}
	when, ok := expireArg(c.Now(), arg, unit, strings.HasSuffix(opt, "AT"))
	if !ok {
		if _, isInt := resp.ParseInt(arg); !isInt {
			c.Error(ErrNotInt)
		} else {
			c.Error("ERR invalid expire time in '" + c.Spec.Name + "' command")
		}
	}
	return when, ok
}

var (
	argSet     = []byte("SET")
	argPXAT    = []byte("PXAT")
	argKeepTTL = []byte("KEEPTTL")
	argPExpAt  = []byte("PEXPIREAT")
	argPersist = []byte("PERSIST")
)

func fmtInt(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

func setCmd(c *Ctx) {
	const (
		fNX = 1 << iota
		fXX
		fGet
		fKeepTTL
		fExpire
	)
	flags := 0
	var when int64
	var expOpt string
	var expArg []byte
	for i := 3; i < len(c.Args); i++ {
		a := strings.ToUpper(string(c.Args[i]))
		hasNext := i+1 < len(c.Args)
		switch {
		case a == "NX" && flags&fXX == 0:
			flags |= fNX
		case a == "XX" && flags&fNX == 0:
			flags |= fXX
		case a == "GET":
			flags |= fGet
		case a == "KEEPTTL" && flags&fExpire == 0:
			flags |= fKeepTTL
		case (a == "EX" || a == "PX" || a == "EXAT" || a == "PXAT") && flags&fKeepTTL == 0 && (flags&fExpire == 0 || a == expOpt) && hasNext:
			expOpt = a // Redis accepts the same option repeated; the last wins
			expArg = c.Args[i+1]
			flags |= fExpire
			i++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	// The expire value is checked once every option is known to be
	// well-formed, as Redis does: a syntax error wins over a bad value.
	if expArg != nil {
		var ok bool
		if when, ok = expireOption(c, expOpt, expArg); !ok {
			return
		}
	}
	key := c.Args[1]
	var old *keyspace.Entry
	if flags&fGet != 0 {
		var ok bool
		if old, ok = lookupString(c, key); !ok {
			return
		}
		if old != nil {
			c.W.BulkString(old.Str()) // written before the value changes
		} else {
			c.W.Null()
		}
	}
	exists := c.DB.LookupWrite(key) != nil // touches the key, as lookupKeyWrite does
	if (flags&fNX != 0 && exists) || (flags&fXX != 0 && !exists) {
		if flags&fGet == 0 {
			c.W.Null()
		}
		return
	}
	c.DB.SetString(key, c.Args[2], flags&fKeepTTL != 0)
	if flags&fExpire != 0 {
		c.DB.SetExpire(key, when)
		c.Rewrite(argSet, key, c.Args[2], argPXAT, fmtInt(when))
	} else if flags&fGet != 0 {
		argv := [][]byte{c.Args[0], key, c.Args[2]}
		for _, a := range c.Args[3:] {
			if !strings.EqualFold(string(a), "GET") {
				argv = append(argv, a)
			}
		}
		c.Rewrite(argv...)
	}
	c.DB.Modified(key)
	c.Notify(EvString, "set", key)
	if flags&fExpire != 0 {
		c.Notify(EvGeneric, "expire", key)
	}
	if flags&fGet == 0 {
		c.W.OK()
	}
}

func setnxCmd(c *Ctx) {
	if c.DB.LookupWrite(c.Args[1]) != nil {
		c.W.Int(0)
		return
	}
	c.DB.SetString(c.Args[1], c.Args[2], false)
	c.DB.Modified(c.Args[1])
	c.Notify(EvString, "set", c.Args[1])
	c.W.Int(1)
}

func setexCmd(unit int64) Handler {
	return func(c *Ctx) {
		when, ok := expireArg(c.Now(), c.Args[2], unit, false)
		if !ok {
			if _, isInt := resp.ParseInt(c.Args[2]); !isInt {
				c.Error(ErrNotInt)
			} else {
				c.Error("ERR invalid expire time in '" + c.Spec.Name + "' command")
			}
			return
		}
		c.DB.SetString(c.Args[1], c.Args[3], false)
		c.DB.SetExpire(c.Args[1], when)
		c.Rewrite(argSet, c.Args[1], c.Args[3], argPXAT, fmtInt(when))
		c.DB.Modified(c.Args[1])
		c.Notify(EvString, "set", c.Args[1])
		c.Notify(EvGeneric, "expire", c.Args[1])
		c.W.OK()
	}
}

func getsetCmd(c *Ctx) {
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
	} else {
		c.W.BulkString(e.Str())
	}
	c.DB.SetString(c.Args[1], c.Args[2], false)
	c.Rewrite(argSet, c.Args[1], c.Args[2])
	c.DB.Modified(c.Args[1])
	c.Notify(EvString, "set", c.Args[1])
}

func getdelCmd(c *Ctx) {
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
		return
	}
	c.W.BulkString(e.Str())
	c.DB.Delete(c.Args[1])
	c.Rewrite(argDel, c.Args[1])
	c.DB.Modified(c.Args[1])
	c.Notify(EvGeneric, "del", c.Args[1])
}

func getexCmd(c *Ctx) {
	var when int64
	var expOpt string
	var expArg []byte
	mode := "" // "", "expire", "persist"
	for i := 2; i < len(c.Args); i++ {
		a := strings.ToUpper(string(c.Args[i]))
		switch {
		case (a == "EX" || a == "PX" || a == "EXAT" || a == "PXAT") && (mode == "" || a == expOpt) && i+1 < len(c.Args):
			expOpt = a // the same option may repeat; the last wins
			expArg = c.Args[i+1]
			mode = "expire"
			i++
		case a == "PERSIST" && (mode == "" || mode == "persist"):
			mode = "persist"
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		c.W.Null()
		return
	}
	// Redis checks the expire value last: after the syntax, the key's
	// existence and its type.
	if expArg != nil {
		var ok bool
		if when, ok = expireOption(c, expOpt, expArg); !ok {
			return
		}
	}
	c.W.BulkString(e.Str())
	key := c.Args[1]
	switch mode {
	case "expire":
		if when <= c.Now() && c.E.KS.DeletesExpired() {
			c.DB.Delete(key)
			c.Rewrite(argDel, key)
			c.DB.Modified(key)
			c.Notify(EvGeneric, "del", key)
		} else {
			c.DB.SetExpire(key, when)
			c.Rewrite(argPExpAt, key, fmtInt(when))
			c.DB.Modified(key)
			c.Notify(EvGeneric, "expire", key)
		}
	case "persist":
		if c.DB.Persist(key) {
			c.Rewrite(argPersist, key)
			c.DB.Modified(key)
			c.Notify(EvGeneric, "persist", key)
		}
	}
}

func mgetCmd(c *Ctx) {
	c.W.Array(len(c.Args) - 1)
	for _, k := range c.Args[1:] {
		e := c.DB.Lookup(k)
		if e == nil || !e.IsString() {
			c.W.Null()
			continue
		}
		c.W.BulkString(e.Str())
	}
}

func msetCmd(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.Error(ErrArity(c.Spec.Name))
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		c.DB.SetString(c.Args[i], c.Args[i+1], false)
		c.DB.Modified(c.Args[i])
		c.Notify(EvString, "set", c.Args[i])
	}
	c.W.OK()
}

func msetnxCmd(c *Ctx) {
	if len(c.Args)%2 == 0 {
		c.Error(ErrArity(c.Spec.Name))
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		if c.DB.LookupWrite(c.Args[i]) != nil {
			c.W.Int(0)
			return
		}
	}
	for i := 1; i < len(c.Args); i += 2 {
		c.DB.SetString(c.Args[i], c.Args[i+1], false)
		c.DB.Modified(c.Args[i])
		c.Notify(EvString, "set", c.Args[i])
	}
	c.W.Int(1)
}

// mutableString returns key's value as a growable buffer, converting a
// plain string (or creating an empty one) in place. ok=false after WRONGTYPE.
func mutableString(c *Ctx, key []byte) (b *keyspace.Bytes, ok bool) {
	e := c.DB.LookupWrite(key)
	if e == nil {
		b = &keyspace.Bytes{}
		c.DB.SetValue(key, b, false)
		return b, true
	}
	switch v := e.Val().(type) {
	case *keyspace.Bytes:
		v.Verbatim = false
		return v, true
	case nil:
		b = &keyspace.Bytes{B: []byte(e.Str())}
		c.DB.SetValue(key, b, true)
		return b, true
	}
	c.Error(ErrWrongType)
	return nil, false
}

func appendCmd(c *Ctx) {
	e, ok := lookupStringWrite(c, c.Args[1])
	if !ok {
		return
	}
	cur := 0
	if e != nil {
		cur = len(e.Str())
	}
	if int64(cur+len(c.Args[2])) > c.E.MaxStringSize {
		c.Error(errStringLimit)
		return
	}
	if e == nil {
		c.DB.SetString(c.Args[1], c.Args[2], false)
		c.DB.Modified(c.Args[1])
		c.Notify(EvString, "append", c.Args[1])
		c.W.Int(int64(len(c.Args[2])))
		return
	}
	b, _ := mutableString(c, c.Args[1])
	b.B = append(b.B, c.Args[2]...)
	c.DB.Modified(c.Args[1])
	c.Notify(EvString, "append", c.Args[1])
	c.W.Int(int64(len(b.B)))
}

func strlenCmd(c *Ctx) {
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(len(e.Str())))
}

// normRange converts Redis start/end indexes (negative from the end) into a
// half-open [from, to) range over n elements; empty when from >= to.
func normRange(start, end, n int64) (int64, int64) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0 // Redis 7.0 clamps to the first element, not to empty
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		return 0, 0
	}
	return start, end + 1
}

func getrangeCmd(c *Ctx) {
	start, ok1 := resp.ParseInt(c.Args[2])
	end, ok2 := resp.ParseInt(c.Args[3])
	if !ok1 || !ok2 {
		c.Error(ErrNotInt)
		return
	}
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		c.W.BulkString("")
		return
	}
	s := e.Str()
	if start < 0 && end < 0 && start > end {
		c.W.BulkString("")
		return
	}
	from, to := normRange(start, end, int64(len(s)))
	c.W.BulkString(s[from:to])
}

func setrangeCmd(c *Ctx) {
	off, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if off < 0 {
		c.Error("ERR offset is out of range")
		return
	}
	val := c.Args[3]
	e, ok := lookupStringWrite(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil && len(val) == 0 {
		c.W.Int(0)
		return
	}
	// off > max-len, not off+len > max: the sum wraps for offsets near
	// 2^63 and would pass the check.
	if len(val) == 0 { // an existing key: its length, whatever the offset
		c.W.Int(int64(len(e.Str())))
		return
	}
	if off > c.E.MaxStringSize-int64(len(val)) {
		c.Error(errStringLimit)
		return
	}
	b, _ := mutableString(c, c.Args[1])
	if need := int(off) + len(val); need > len(b.B) {
		b.B = append(b.B, make([]byte, need-len(b.B))...)
	}
	copy(b.B[off:], val)
	c.DB.Modified(c.Args[1])
	c.Notify(EvString, "setrange", c.Args[1])
	c.W.Int(int64(len(b.B)))
}

func incrCmd(sign int64, hasArg bool) Handler {
	return func(c *Ctx) {
		delta := sign
		if hasArg {
			v, ok := resp.ParseInt(c.Args[2])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if sign < 0 {
				if v == math.MinInt64 {
					c.Error("ERR decrement would overflow")
					return
				}
				v = -v
			}
			delta = v
		}
		e, ok := lookupStringWrite(c, c.Args[1])
		if !ok {
			return
		}
		var cur int64
		if e != nil {
			if cur, ok = resp.ParseInt([]byte(e.Str())); !ok {
				c.Error(ErrNotInt)
				return
			}
		}
		if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
			c.Error(ErrOverflow)
			return
		}
		cur += delta
		// The digits stay on the stack (no allocation per INCR, a loop of
		// them in a script makes thousands): ReplaceString copies them, and
		// a new key gets its own copy (SetString may keep its argument).
		var tmp [24]byte
		var digits []byte
		if delta == 1 && e != nil && cur > 0 {
			// INCR of a number at least 0 (cur is the sum already): its
			// digits plus one, cheaper than formatting the sum (a
			// script's loop of INCR).
			digits = plusOne(tmp[:0], e.Str())
		} else {
			digits = strconv.AppendInt(tmp[:0], cur, 10)
		}
		if e != nil {
			c.DB.ReplaceString(e, digits)
		} else {
			c.DB.SetString(c.Args[1], bytes.Clone(digits), true)
		}
		c.DB.Modified(c.Args[1])
		c.Notify(EvString, "incrby", c.Args[1])
		c.W.IntDigits(digits)
	}
}

// plusOne appends to dst the decimal digits d (a positive number as
// resp.ParseInt accepts it: no sign, no leading zero) plus one.
func plusOne(dst []byte, d string) []byte {
	b := append(dst, d...)
	digits := b[len(dst):]
	for i := len(digits) - 1; i >= 0; i-- {
		if digits[i] != '9' {
			digits[i]++
			return b
		}
		digits[i] = '0'
	}
	// All nines: a one, then as many zeros plus one.
	digits[0] = '1'
	return append(b, '0')
}

// incrbyfloatCmd checks in Redis's order (type, current value, increment)
// and computes with x87 long-double precision, so the digits match Redis's
// ("10.5" + "0.1" is "10.6", not "10.59999999999999964").
func incrbyfloatCmd(c *Ctx) {
	e, ok := lookupStringWrite(c, c.Args[1])
	if !ok {
		return
	}
	var cur, dst []byte
	var prev *keyspace.Bytes
	if e != nil {
		if b, ok := e.Val().(*keyspace.Bytes); ok && b.Verbatim {
			prev = b
		}
	}
	switch {
	case prev != nil:
		// The result of an earlier INCRBYFLOAT: the new one is written
		// over its bytes (IncrByFloat reads the current value whole before
		// it writes), in place unless it grew past them.
		cur, dst = prev.B, prev.B[:0]
	case e != nil:
		cur = []byte(e.Str())
	}
	out, err := types.IncrByFloat(dst, cur, c.Args[2])
	if err != nil {
		if err == types.ErrNaNOrInf {
			c.Error("ERR increment would produce NaN or Infinity")
		} else {
			c.Error(ErrNotFloat)
		}
		return
	}
	// Kept verbatim: Redis stores the result as a string object, never
	// int-encoded (OBJECT ENCODING embstr). Replicas and the AOF get a SET
	// and encode it as usual, as Redis's do.
	if prev != nil {
		prev.B = out
	} else {
		c.DB.SetValue(c.Args[1], &keyspace.Bytes{B: out, Verbatim: true}, true)
	}
	c.Rewrite(argSet, c.Args[1], out, argKeepTTL)
	c.DB.Modified(c.Args[1])
	c.Notify(EvString, "incrbyfloat", c.Args[1])
	c.W.Bulk(out)
}
