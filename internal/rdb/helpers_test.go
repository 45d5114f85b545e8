package rdb

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/types"
)

// limits returns Redis's default encoding limits as changed by set.
func limits(set func(l *types.Limits)) *types.Limits {
	l := types.DefaultLimits()
	set(&l)
	return &l
}

// collector records everything a load reports, copying it out of the
// decoder's reused buffers.
type collector struct {
	aux       [][2]string
	resize    [][3]uint64
	entries   []*Entry
	skipped   []string // "db<n> <key> <kind> <reason>"
	functions []string
	moduleAux []uint64
}

var _ Handler = (*collector)(nil)

func (c *collector) Aux(k, v []byte) error {
	c.aux = append(c.aux, [2]string{string(k), string(v)})
	return nil
}

func (c *collector) ResizeDB(db int, size, expires uint64) error {
	c.resize = append(c.resize, [3]uint64{uint64(db), size, expires})
	return nil
}

func (c *collector) Entry(e *Entry) error {
	c.entries = append(c.entries, cloneEntry(e))
	return nil
}

func (c *collector) Skip(e *Entry, r SkipReason) error {
	c.skipped = append(c.skipped, fmt.Sprintf("db%d %s %s %s", e.DB, e.Key, e.Kind, r))
	return nil
}

func (c *collector) Function(code []byte) error {
	c.functions = append(c.functions, string(code))
	return nil
}

func (c *collector) ModuleAux(id, when uint64) error {
	c.moduleAux = append(c.moduleAux, id, when)
	return nil
}

func (c *collector) rendered() []string {
	out := make([]string, len(c.entries))
	for i, e := range c.entries {
		out[i] = render(e)
	}
	return out
}

func cloneBytes(b []byte) []byte { return append([]byte{}, b...) }

func cloneEntry(e *Entry) *Entry {
	c := *e
	c.Key = cloneBytes(e.Key)
	c.Str = cloneBytes(e.Str)
	c.List, c.Set, c.Hash, c.ZSet = nil, nil, nil, nil
	for _, s := range e.List {
		c.List = append(c.List, cloneBytes(s))
	}
	for _, s := range e.Set {
		c.Set = append(c.Set, cloneBytes(s))
	}
	for _, p := range e.Hash {
		c.Hash = append(c.Hash, Pair{Field: cloneBytes(p.Field), Value: cloneBytes(p.Value)})
	}
	for _, m := range e.ZSet {
		c.ZSet = append(c.ZSet, ZMember{cloneBytes(m.Member), m.Score})
	}
	return &c
}

// render prints an entry in file order in a compact, exact form:
//
//	db0 key kind/type [px=<ms>] value
//
// with strings as is, lists as [a b], sets as {a b}, hashes as {f=v} and
// sorted sets as [m:score].
func render(e *Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "db%d %s %s/%d", e.DB, e.Key, e.Kind, e.Type)
	if e.ExpireAt != NoExpiry {
		fmt.Fprintf(&b, " px=%d", e.ExpireAt)
	}
	if e.LRU.HasIdle {
		fmt.Fprintf(&b, " idle=%d", e.LRU.Idle)
	}
	if e.LRU.HasFreq {
		fmt.Fprintf(&b, " freq=%d", e.LRU.Freq)
	}
	b.WriteByte(' ')
	switch e.Kind {
	case KindString:
		b.Write(e.Str)
	case KindList:
		b.WriteString("[" + string(bytes.Join(e.List, []byte(" "))) + "]")
	case KindSet:
		b.WriteString("{" + string(bytes.Join(e.Set, []byte(" "))) + "}")
	case KindHash:
		parts := make([]string, len(e.Hash))
		for i, p := range e.Hash {
			parts[i] = string(p.Field) + "=" + string(p.Value)
		}
		b.WriteString("{" + strings.Join(parts, " ") + "}")
	case KindZSet:
		parts := make([]string, len(e.ZSet))
		for i, m := range e.ZSet {
			parts[i] = string(m.Member) + ":" + strconv.FormatFloat(m.Score, 'g', -1, 64)
		}
		b.WriteString("[" + strings.Join(parts, " ") + "]")
	case KindStream:
		b.WriteString(renderStream(e.Stream))
	}
	return b.String()
}

// renderStream shows a stream as [id f v …, …] then its metadata and
// groups: len, last, first, maxdel, added, and each group as
// name(last,read){pending id:consumer:time:count …}{consumer:seen:pel-count …}.
func renderStream(s *types.Stream) string {
	var parts []string
	s.Range(types.StreamID{}, types.MaxStreamID, false, func(id types.StreamID, fv [][]byte) bool {
		parts = append(parts, id.String()+" "+string(bytes.Join(fv, []byte(" "))))
		return true
	})
	out := fmt.Sprintf("[%s] len=%d last=%s first=%s maxdel=%s added=%d", strings.Join(parts, ", "), s.Length, s.LastID, s.FirstID, s.MaxDeletedID, s.EntriesAdded)
	for _, g := range s.Groups {
		var pel, cons []string
		g.PEL.All(func(n *types.StreamNACK) bool {
			pel = append(pel, fmt.Sprintf("%s:%s:%d:%d", n.ID, n.Consumer.Name, n.DeliveryTime, n.DeliveryCount))
			return true
		})
		for _, c := range g.Consumers {
			cons = append(cons, fmt.Sprintf("%s:%d:%d", c.Name, c.SeenTime, c.PEL.Len()))
		}
		out += fmt.Sprintf(" %s(%s,%d){%s}{%s}", g.Name, g.LastID, g.EntriesRead, strings.Join(pel, " "), strings.Join(cons, " "))
	}
	return out
}

// seq returns prefix+i for i in [from, to], formatted with format.
func seq(format string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}

func words(s ...[]string) string {
	var all []string
	for _, x := range s {
		all = append(all, x...)
	}
	return strings.Join(all, " ")
}

func ss(s ...string) []string { return s }
