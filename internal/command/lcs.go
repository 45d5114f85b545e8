package command

import (
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
)

// LCS: the longest common subsequence of two strings, by the classic
// dynamic programming table, walked back as Redis walks it so that the
// subsequence and the IDX ranges are the ones Redis picks among equals.

func lcsCommands() []*Spec {
	return []*Spec{
		{Name: "lcs", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 2, Step: 1, Handler: lcsCmd, Group: "string", Summary: "Finds the longest common substring.", Since: "7.0.0"},
	}
}

func lcsCmd(c *Ctx) {
	ea, eb := c.DB.Lookup(c.Args[1]), c.DB.Lookup(c.Args[2])
	if (ea != nil && !ea.IsString()) || (eb != nil && !eb.IsString()) {
		c.Error("ERR The specified keys must contain string values")
		return
	}
	var a, b string
	if ea != nil {
		a = ea.Str()
	}
	if eb != nil {
		b = eb.Str()
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch opt := strings.ToUpper(string(c.Args[j])); {
		case opt == "IDX":
			getIdx = true
		case opt == "LEN":
			getLen = true
		case opt == "WITHMATCHLEN":
			withLen = true
		case opt == "MINMATCHLEN" && more > 0:
			v, ok := resp.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			minLen = max(v, 0)
			j++
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if getLen && getIdx {
		c.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	if int64(len(a)) >= 1<<32-2 || int64(len(b)) >= 1<<32-2 {
		c.Error("ERR String too long for LCS")
		return
	}
	// The table is transient memory Redis bounds by proto-max-bulk-len, so
	// one command cannot make the server allocate without limit.
	alen, blen := len(a), len(b)
	cells := uint64(alen+1) * uint64(blen+1)
	if cells*4 > uint64(c.E.MaxStringSize) {
		c.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	w := blen + 1
	tab := make([]uint32, cells)
	for i := 1; i <= alen; i++ {
		row, prev := tab[i*w:(i+1)*w], tab[(i-1)*w:i*w]
		ai := a[i-1]
		for j := 1; j <= blen; j++ {
			switch {
			case ai == b[j-1]:
				row[j] = prev[j-1] + 1
			case prev[j] > row[j-1]:
				row[j] = prev[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	total := tab[alen*w+blen]
	at := func(i, j int) uint32 { return tab[i*w+j] }

	if getLen {
		c.W.Int(int64(total))
		return
	}
	result := make([]byte, total)
	idx := int(total)
	// The ranges are collected first: the reply needs their count before
	// them (Redis defers the array's length).
	type match struct{ a0, a1, b0, b1 int }
	var matches []match
	unset := alen // arange_start == alen: no range open
	as, ae, bs, be := unset, 0, 0, 0
	for i, j := alen, blen; i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if as == unset {
				as, ae, bs, be = i-1, i-1, j-1, j-1
			} else if as == i && bs == j {
				as--
				bs--
			} else {
				emit = true
			}
			if as == 0 || bs == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			if as != unset {
				emit = true
			}
		}
		if emit {
			if n := int64(ae - as + 1); minLen == 0 || n >= minLen {
				matches = append(matches, match{as, ae, bs, be})
			}
			as = unset
		}
	}
	if !getIdx {
		c.W.Bulk(result)
		return
	}
	c.W.Map(2)
	c.W.BulkString("matches")
	c.W.Array(len(matches))
	for _, m := range matches {
		if withLen {
			c.W.Array(3)
		} else {
			c.W.Array(2)
		}
		c.W.Array(2)
		c.W.Int(int64(m.a0))
		c.W.Int(int64(m.a1))
		c.W.Array(2)
		c.W.Int(int64(m.b0))
		c.W.Int(int64(m.b1))
		if withLen {
			c.W.Int(int64(m.a1 - m.a0 + 1))
		}
	}
	c.W.BulkString("len")
	c.W.Int(int64(total))
}
