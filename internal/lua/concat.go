package lua

// Lua 5.1 interns every string, so a loop that builds the same short string
// again and again ('n:' .. KEYS[1]) allocates nothing after the first time.
// Go strings are not interned: each CONCAT allocates the bytes of its
// result, and that garbage, and the write barriers it brings, was the
// largest cost of such a loop on this VM. concatCache gives back the value
// a CONCAT of two strings built last time at the same place when its
// operands are equal again. Strings are values in Lua (nothing can tell two
// equal strings apart), so the cache cannot be observed.
//
// It is bounded: concatSlots entries of strings up to concatMaxLen bytes,
// and PCall empties it when the outermost call returns (the end of a
// script), so it pins nothing big and nothing for long.

const (
	// concatSlots is the number of entries, a power of two: CONCAT picks
	// one by its program counter, so the few CONCATs of a loop each keep
	// their own.
	concatSlots = 8
	// concatMaxLen bounds the length of the strings cached.
	concatMaxLen = 64
)

// concatEntry is one CONCAT's last result: v is lhs .. rhs.
type concatEntry struct {
	lhs, rhs string
	v        LValue
}

// concatCache is the cache; used says whether any entry may be set, so
// that clearing an unused one (most scripts never concatenate) costs a
// test.
type concatCache struct {
	entries [concatSlots]concatEntry
	used    bool
}

// concatCached is the value the CONCAT at pc built last time, when its
// operands were lhs and rhs; nil when they were not.
func (ls *LState) concatCached(lhs, rhs string, pc int) LValue {
	e := &ls.concat.entries[pc&(concatSlots-1)]
	// Comparing strings is cheap here: lengths first, then the bytes,
	// which are usually the very same (a constant, a local, KEYS[1]).
	if e.v != nil && len(lhs) == len(e.lhs) && len(rhs) == len(e.rhs) && lhs == e.lhs && rhs == e.rhs {
		return e.v
	}
	return nil
}

// concat2 is CONCAT of two strings, the instruction at pc: the cached
// value when the operands are those of the slot's last CONCAT, else a new
// string (remembered when it is short).
func (ls *LState) concat2(lhs, rhs string, pc int) LValue {
	if v := ls.concatCached(lhs, rhs, pc); v != nil {
		return v
	}
	v := ls.alloc.LString2I(lhs + rhs)
	if len(lhs)+len(rhs) <= concatMaxLen {
		ls.concat.entries[pc&(concatSlots-1)] = concatEntry{lhs: lhs, rhs: rhs, v: v}
		ls.concat.used = true
	}
	return v
}

// clearConcat empties the cache so that it keeps no string alive.
func (ls *LState) clearConcat() {
	if ls.concat.used {
		ls.concat = concatCache{}
	}
}
