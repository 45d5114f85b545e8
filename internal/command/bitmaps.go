package command

import (
	"strings"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// bitmapCommands address a string bit by bit (SETBIT, GETBIT, BITCOUNT,
// BITPOS, BITOP). A bitmap is an ordinary string key, so the string helpers
// of strings.go (lookupString, mutableString, the size limit) apply.
func bitmapCommands() []*Spec {
	rw := Write | DenyOOM
	return []*Spec{
		{Name: "setbit", Arity: 4, Flags: rw, FirstKey: 1, LastKey: 1, Step: 1, Handler: setbitCmd, Group: "bitmap", Summary: "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", Since: "2.2.0"},
		{Name: "getbit", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Handler: getbitCmd, Group: "bitmap", Summary: "Returns a bit value by offset.", Since: "2.2.0"},
		{Name: "bitcount", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: bitcountCmd, Group: "bitmap", Summary: "Counts the number of set bits (population counting) in a string.", Since: "2.6.0"},
		{Name: "bitpos", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: bitposCmd, Group: "bitmap", Summary: "Finds the first set (1) or clear (0) bit in a string.", Since: "2.8.7"},
		{Name: "bitop", Arity: -4, Flags: rw, FirstKey: 2, LastKey: -1, Step: 1, Handler: bitopCmd, Group: "bitmap", Summary: "Performs bitwise operations on multiple strings, and stores the result.", Since: "2.6.0"},
	}
}

// bitOffset parses a SETBIT/GETBIT offset: 0 .. 2^32-1 (the 512 MB limit).
func bitOffset(c *Ctx, arg []byte) (int64, bool) {
	v, ok := resp.ParseInt(arg)
	if !ok || v < 0 || v>>3 >= c.E.MaxStringSize {
		c.Error("ERR bit offset is not an integer or out of range")
		return 0, false
	}
	return v, true
}

func setbitCmd(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2])
	if !ok {
		return
	}
	bit := c.Args[3]
	if len(bit) != 1 || (bit[0] != '0' && bit[0] != '1') {
		c.Error("ERR bit is not an integer or out of range")
		return
	}
	e, ok := lookupStringWrite(c, c.Args[1])
	if !ok {
		return
	}
	b, _ := mutableString(c, c.Args[1])
	// As in Redis, the key counts as changed (dirty counter, WATCH,
	// propagation) only when it was created or grown, or the bit flipped.
	changed := e == nil
	byteIdx := int(off >> 3)
	if byteIdx >= len(b.B) {
		b.B = append(b.B, make([]byte, byteIdx+1-len(b.B))...)
		changed = true
	}
	mask := byte(1) << (7 - uint(off&7))
	old := 0
	if b.B[byteIdx]&mask != 0 {
		old = 1
	}
	if old != int(bit[0]-'0') {
		b.B[byteIdx] ^= mask
		changed = true
	}
	if changed {
		c.DB.Modified(c.Args[1])
		c.Notify(EvString, "setbit", c.Args[1])
	}
	c.W.Int(int64(old))
}

func getbitCmd(c *Ctx) {
	off, ok := bitOffset(c, c.Args[2])
	if !ok {
		return
	}
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		c.W.Int(0)
		return
	}
	s := e.Str()
	if int(off>>3) >= len(s) {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s[off>>3] >> (7 - uint(off&7)) & 1))
}

// bitRange parses the optional [start end [BYTE|BIT]] of BITCOUNT/BITPOS.
// It returns the bit range [from, to) over a string of n bytes.
func bitRange(c *Ctx, args [][]byte, n int64, endGiven bool) (from, to int64, ok bool) {
	start, ok1 := resp.ParseInt(args[0])
	end := int64(-1)
	ok2 := true
	if endGiven {
		end, ok2 = resp.ParseInt(args[1])
	}
	if !ok1 || !ok2 {
		c.Error(ErrNotInt)
		return 0, 0, false
	}
	// BITCOUNT's shortcut only, taken before the unit is read (as Redis
	// 7.0 does: BITCOUNT k -1 -5 FOO is 0): Redis 7.0's BITPOS clamps such
	// a range to the first byte instead.
	if c.Spec.Name == "bitcount" && start < 0 && end < 0 && start > end {
		return 0, 0, true
	}
	isBit := false
	if len(args) == 3 {
		switch strings.ToUpper(string(args[2])) {
		case "BIT":
			isBit = true
		case "BYTE":
		default:
			c.Error(ErrSyntax)
			return 0, 0, false
		}
	}
	total := n
	if isBit {
		total = n * 8
	}
	f, t := normRange(start, end, total)
	if !isBit {
		f, t = f*8, t*8
	}
	return f, t, true
}

func bitcountCmd(c *Ctx) {
	// Redis looks the key up first: a missing key counts 0 and a wrong
	// type is WRONGTYPE, whatever the other arguments.
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		c.W.Int(0)
		return
	}
	if len(c.Args) != 2 && len(c.Args) != 4 && len(c.Args) != 5 {
		c.Error(ErrSyntax)
		return
	}
	s := e.Str()
	from, to := int64(0), int64(len(s))*8
	if len(c.Args) > 2 {
		if from, to, ok = bitRange(c, c.Args[2:], int64(len(s)), true); !ok {
			return
		}
	}
	var n int64
	for i := from; i < to; i++ {
		if i&7 == 0 && i+8 <= to {
			n += int64(popcount(s[i>>3]))
			i += 7
			continue
		}
		n += int64(s[i>>3] >> (7 - uint(i&7)) & 1)
	}
	c.W.Int(n)
}

func popcount(b byte) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

func bitposCmd(c *Ctx) {
	bit, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(ErrNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		c.Error("ERR The bit argument must be 1 or 0.")
		return
	}
	e, ok := lookupString(c, c.Args[1])
	if !ok {
		return
	}
	if e == nil {
		if bit == 1 {
			c.W.Int(-1)
		} else {
			c.W.Int(0)
		}
		return
	}
	if len(c.Args) > 6 { // checked after the key, as Redis does
		c.Error(ErrSyntax)
		return
	}
	s := e.Str()
	from, to := int64(0), int64(len(s))*8
	endGiven := len(c.Args) >= 5
	if len(c.Args) > 3 {
		if from, to, ok = bitRange(c, c.Args[3:], int64(len(s)), endGiven); !ok {
			return
		}
	}
	if from >= to {
		c.W.Int(-1) // an empty range holds neither a 0 nor a 1
		return
	}
	for i := from; i < to; i++ {
		if int64(s[i>>3]>>(7-uint(i&7))&1) == bit {
			c.W.Int(i)
			return
		}
	}
	// Looking for a clear bit with no explicit end: the string is padded
	// with zeros on the right, so the first bit past it is clear.
	if bit == 0 && !endGiven {
		c.W.Int(to)
		return
	}
	c.W.Int(-1)
}

func bitopCmd(c *Ctx) {
	op := strings.ToUpper(string(c.Args[1]))
	if op != "AND" && op != "OR" && op != "XOR" && op != "NOT" {
		c.Error(ErrSyntax)
		return
	}
	if op == "NOT" && len(c.Args) != 4 {
		c.Error("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([]string, 0, len(c.Args)-3)
	maxLen := 0
	for _, k := range c.Args[3:] {
		e, ok := lookupString(c, k)
		if !ok {
			return
		}
		s := ""
		if e != nil {
			s = e.Str()
		}
		srcs = append(srcs, s)
		if len(s) > maxLen {
			maxLen = len(s)
		}
	}
	dst := c.Args[2]
	if maxLen == 0 {
		if c.DB.Delete(dst) {
			c.DB.Modified(dst)
			c.Notify(EvGeneric, "del", dst)
		}
		c.W.Int(0)
		return
	}
	out := make([]byte, maxLen)
	for i := range out {
		var v byte
		for j, s := range srcs {
			var b byte
			if i < len(s) {
				b = s[i]
			}
			switch {
			case j == 0:
				v = b
			case op == "AND":
				v &= b
			case op == "OR":
				v |= b
			case op == "XOR":
				v ^= b
			}
		}
		if op == "NOT" {
			v = ^v
		}
		out[i] = v
	}
	c.DB.SetValue(dst, &keyspace.Bytes{B: out}, false) // a raw string, as in Redis
	c.DB.Modified(dst)
	c.Notify(EvString, "set", dst)
	c.W.Int(int64(len(out)))
}
