package types

import (
	"fmt"
	"io"
	"strconv"
)

// The text DEBUG LISTPACK and DEBUG QUICKLIST print on the server's
// standard output: Tandem's own compact encodings, described the way
// Redis's lpRepr and quicklistRepr describe theirs (a header, then one
// line per node or element), since the bytes differ from Redis's.

// ReprListpack prints the compact ("listpack") encoding of a hash or a
// sorted set; false when the value does not have that encoding.
func ReprListpack(out io.Writer, v any) bool {
	var lp []byte
	var kind string
	var each func(fn func(a, b []byte))
	switch x := v.(type) {
	case *Hash:
		if x.d != nil || x.lp == nil {
			return false
		}
		lp, kind = x.lp, "hash"
		each = func(fn func(a, b []byte)) {
			x.Each(func(f, v []byte) bool { fn(f, v); return true })
		}
	case *ZSet:
		if x.big != nil || x.lp == nil {
			return false
		}
		lp, kind = x.lp, "zset"
		each = func(fn func(a, b []byte)) {
			x.Each(func(m []byte, s float64) bool { fn(m, AppendScore(nil, s)); return true })
		}
	default:
		return false
	}
	fmt.Fprintf(out, "{tandem compact %s encoding (listpack)}\n{total bytes %d}\n{num entries %d}\n", kind, len(lp), getU32(lp))
	i := 0
	each(func(a, b []byte) {
		fmt.Fprintf(out, "{\n\tpair index: %d\n\tfirst: %s\n\tsecond: %s\n}\n", i, strconv.Quote(string(a)), strconv.Quote(string(b)))
		i++
	})
	fmt.Fprintln(out, "{end}")
	return true
}

// Repr prints the list's nodes (Redis's quicklistRepr): the list's
// totals, then per node its entry count and buffer sizes, and with full
// its entries.
func (l *List) Repr(out io.Writer, full bool) {
	nodes := 0
	for nd := l.head; nd != nil; nd = nd.next {
		nodes++
	}
	fmt.Fprintf(out, "{tandem list (quicklist)}\n{count : %d}\n{len : %d}\n{fill : %d}\n", l.n, nodes, l.fill)
	i := 0
	for nd := l.head; nd != nil; nd = nd.next {
		fmt.Fprintf(out, "{node %d}\n{\n\tcount : %d\n\tbytes used : %d\n\tbuffer size : %d\n}\n", i, nd.cnt, nd.hi-nd.lo, len(nd.buf))
		if full {
			for off := int(nd.lo); off < int(nd.hi); {
				var v []byte
				v, off = nd.entryAt(off)
				fmt.Fprintf(out, "\t%s\n", strconv.Quote(string(v)))
			}
		}
		i++
	}
	fmt.Fprintln(out, "{end}")
}
