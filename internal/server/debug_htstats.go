package server

import (
	"fmt"
	"os"
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// DEBUG HTSTATS, HTSTATS-KEY, LISTPACK and QUICKLIST describe Tandem's
// own structures with Redis 7.0's reply shapes: the key table is a
// chained table with incremental rehashing like Redis's dict, so
// HTSTATS's figures mean what Redis's do; a hash's, set's or sorted
// set's big encoding is a chained table too (resized at once, so never
// two tables); the expires table is a Go map, which has no buckets to
// show. LISTPACK and QUICKLIST print to standard output, as Redis does.

// htStatsVector is DICT_STATS_VECTLEN: chains of that length or more are
// counted together, and not listed.
const htStatsVector = 50

// writeHTTable appends one table's stats as Redis's _dictGetStatsHt
// words them (its averages and shares computed in C float, as there).
func writeHTTable(b *strings.Builder, idx, size, used int, hist []int) {
	name := "main hash table"
	if idx == 1 {
		name = "rehashing target"
	}
	fmt.Fprintf(b, "Hash table %d stats (%s):\n", idx, name)
	if used == 0 {
		b.WriteString("No stats available for empty dictionaries\n")
		return
	}
	var clvector [htStatsVector]int
	slots, maxChain, total := 0, 0, 0
	for l, n := range hist {
		clvector[min(l, htStatsVector-1)] += n
		if l > 0 && n > 0 {
			slots += n
			maxChain = l
			total += l * n
		}
	}
	fmt.Fprintf(b, " table size: %d\n number of elements: %d\n different slots: %d\n max chain length: %d\n"+
		" avg chain length (counted): %.02f\n avg chain length (computed): %.02f\n Chain length distribution:\n",
		size, used, slots, maxChain, float32(total)/float32(slots), float32(used)/float32(slots))
	for i := 0; i < htStatsVector-1; i++ {
		if clvector[i] == 0 {
			continue
		}
		fmt.Fprintf(b, "   %d: %d (%.02f%%)\n", i, clvector[i], float32(clvector[i])/float32(size)*100)
	}
}

// debugHTStats answers DEBUG HTSTATS <dbid>.
func (s *Server) debugHTStats(c *command.Ctx) {
	id, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(command.ErrNotInt)
		return
	}
	if id < 0 || id >= int64(len(s.ks.DBs)) {
		c.Error("ERR Out of range database")
		return
	}
	db := s.ks.DBs[id]
	var b strings.Builder
	b.WriteString("[Dictionary HT]\n")
	for i, t := range db.HTStats() {
		writeHTTable(&b, i, t.Size, t.Used, t.Hist)
	}
	b.WriteString("[Expires HT]\n")
	if n := db.ExpiresLen(); n == 0 {
		writeHTTable(&b, 0, 0, 0, nil)
	} else {
		fmt.Fprintf(&b, "Hash table 0 stats (main hash table):\n number of elements: %d\n"+
			" (a Go map in Tandem: no bucket statistics)\n", n)
	}
	c.W.Verbatim(b.String())
}

// debugValue finds DEBUG's key argument without touching it (Redis's
// objectCommandLookupOrReply), answering "no such key" when it is absent.
func (s *Server) debugValue(c *command.Ctx) (any, bool) {
	e := c.DB.Peek(c.Args[2])
	if e == nil {
		c.Error(command.ErrNoSuchKey)
		return nil, false
	}
	return e.Val(), true
}

// debugHTStatsKey answers DEBUG HTSTATS-KEY <key>.
func (s *Server) debugHTStatsKey(c *command.Ctx) {
	v, ok := s.debugValue(c)
	if !ok {
		return
	}
	var t types.HTTable
	switch x := v.(type) {
	case *types.Hash:
		t, ok = x.HTStats()
	case *types.Set:
		t, ok = x.HTStats()
	case *types.ZSet:
		t, ok = x.HTStats()
	default:
		ok = false
	}
	if !ok {
		c.Error("ERR The value stored at the specified key is not represented using an hash table")
		return
	}
	var b strings.Builder
	writeHTTable(&b, 0, t.Size, t.Used, t.Hist)
	c.W.Verbatim(b.String())
}

// debugListpack answers DEBUG LISTPACK <key>.
func (s *Server) debugListpack(c *command.Ctx) {
	v, ok := s.debugValue(c)
	if !ok {
		return
	}
	if !types.ReprListpack(os.Stdout, v) {
		c.Error("ERR Not a listpack encoded object.")
		return
	}
	c.W.Simple("Listpack structure printed on stdout")
}

// debugQuicklist answers DEBUG QUICKLIST <key> [<full>].
func (s *Server) debugQuicklist(c *command.Ctx) {
	v, ok := s.debugValue(c)
	if !ok {
		return
	}
	l, ok := v.(*types.List)
	if !ok {
		c.Error("ERR Not a quicklist encoded object.")
		return
	}
	l.Repr(os.Stdout, len(c.Args) == 4 && atoi(c.Args[3]) != 0)
	c.W.Simple("Quicklist structure printed on stdout")
}
