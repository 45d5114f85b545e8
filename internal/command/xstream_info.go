package command

import (
	"encoding/binary"
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// xinfoKeys: every XINFO subcommand but HELP takes its key third.
func xinfoKeys(args [][]byte) []int {
	if len(args) < 3 || strings.EqualFold(string(args[1]), "help") {
		return nil
	}
	return []int{2}
}

func xinfoCmd(c *Ctx) {
	if msg := checkSubcommand(c.Spec, c.Args); msg != "" {
		c.Error(msg)
		return
	}
	sub := strings.ToLower(string(c.Args[1]))
	if sub == "help" {
		lines := []string{
			strings.ToUpper(string(cstr(c.Args[0]))) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"CONSUMERS <key> <groupname>",
			"    Show consumers of <groupname>.",
			"GROUPS <key>",
			"    Show the stream consumer groups.",
			"STREAM <key> [FULL [COUNT <count>]",
			"    Show information about the stream.",
			"HELP",
			"    Prints this help.",
		}
		c.W.Array(len(lines))
		for _, l := range lines {
			c.W.Simple(l)
		}
		return
	}
	key := c.Args[2]
	e := c.DB.Lookup(key)
	if e == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	s, ok := e.Val().(*types.Stream)
	if !ok {
		c.Error(ErrWrongType)
		return
	}
	switch sub {
	case "consumers":
		g := s.Group(c.Args[3])
		if g == nil {
			c.Error("NOGROUP No such consumer group '" + string(cstr(c.Args[3])) + "' for key name '" + string(cstr(key)) + "'")
			return
		}
		now := c.E.KS.Now()
		c.W.Array(len(g.Consumers))
		for _, cs := range g.Consumers {
			c.W.Map(3)
			c.W.BulkString("name")
			c.W.BulkString(cs.Name)
			c.W.BulkString("pending")
			c.W.Int(int64(cs.PEL.Len()))
			c.W.BulkString("idle")
			c.W.Int(max(now-cs.SeenTime, 0))
		}
	case "groups":
		c.W.Array(len(s.Groups))
		for _, g := range s.Groups {
			c.W.Map(6)
			c.W.BulkString("name")
			c.W.BulkString(g.Name)
			c.W.BulkString("consumers")
			c.W.Int(int64(len(g.Consumers)))
			c.W.BulkString("pending")
			c.W.Int(int64(g.PEL.Len()))
			c.W.BulkString("last-delivered-id")
			c.W.BulkString(g.LastID.String())
			writeGroupCounters(c.W, s, g)
		}
	case "stream":
		xinfoStream(c, s)
	default:
		c.Error(subcommandSyntaxError(c))
	}
}

// subcommandSyntaxError is addReplySubcommandSyntaxError's text.
func subcommandSyntaxError(c *Ctx) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + truncate(c.Args[1]) + "'. Try " + strings.ToUpper(string(cstr(c.Args[0]))) + " HELP."
}

// writeGroupCounters writes a group's entries-read and lag (null when
// unknown).
func writeGroupCounters(w *resp.Writer, s *types.Stream, g *types.StreamGroup) {
	w.BulkString("entries-read")
	if g.EntriesRead != -1 {
		w.Int(g.EntriesRead)
	} else {
		w.Null()
	}
	w.BulkString("lag")
	if lag, ok := s.Lag(g); ok {
		w.Int(lag)
	} else {
		w.Null()
	}
}

func xinfoStream(c *Ctx, s *types.Stream) {
	full := false
	count := int64(10)
	opts := c.Args[3:]
	if len(opts) > 0 {
		if (len(opts) != 1 && len(opts) != 3) || !strings.EqualFold(string(opts[0]), "full") {
			c.Error(subcommandSyntaxError(c))
			return
		}
		if len(opts) == 3 {
			if !strings.EqualFold(string(opts[1]), "count") {
				c.Error(subcommandSyntaxError(c))
				return
			}
			n, ok := resp.ParseInt(opts[2])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if n < 0 {
				n = 10
			}
			count = n
		}
		full = true
	}
	w := c.W
	if full {
		w.Map(9)
	} else {
		w.Map(10)
	}
	w.BulkString("length")
	w.Int(int64(s.Length))
	w.BulkString("radix-tree-keys")
	w.Int(int64(s.NodeCount()))
	w.BulkString("radix-tree-nodes")
	w.Int(int64(raxNodes(s)))
	w.BulkString("last-generated-id")
	w.BulkString(s.LastID.String())
	w.BulkString("max-deleted-entry-id")
	w.BulkString(s.MaxDeletedID.String())
	w.BulkString("entries-added")
	w.Int(int64(s.EntriesAdded))
	w.BulkString("recorded-first-entry-id")
	w.BulkString(s.FirstID.String())
	if !full {
		w.BulkString("groups")
		w.Int(int64(len(s.Groups)))
		for _, rev := range []bool{false, true} {
			if rev {
				w.BulkString("last-entry")
			} else {
				w.BulkString("first-entry")
			}
			found := false
			s.Range(types.StreamID{}, types.MaxStreamID, rev, func(id types.StreamID, fv [][]byte) bool {
				writeStreamEntry(w, id, fv, nil)
				found = true
				return false
			})
			if !found {
				w.Null()
			}
		}
		return
	}
	w.BulkString("entries")
	writeStreamRange(w, s, types.StreamID{}, types.MaxStreamID, count, false)
	w.BulkString("groups")
	w.Array(len(s.Groups))
	for _, g := range s.Groups {
		w.Map(7)
		w.BulkString("name")
		w.BulkString(g.Name)
		w.BulkString("last-delivered-id")
		w.BulkString(g.LastID.String())
		writeGroupCounters(w, s, g)
		w.BulkString("pel-count")
		w.Int(int64(g.PEL.Len()))
		w.BulkString("pending")
		todo := g.PEL.Len()
		if count > 0 {
			todo = int(min(count, int64(todo)))
		}
		w.Array(todo)
		g.PEL.All(func(n *types.StreamNACK) bool {
			if todo == 0 {
				return false
			}
			todo--
			w.Array(4)
			w.BulkString(n.ID.String())
			w.BulkString(n.Consumer.Name)
			w.Int(n.DeliveryTime)
			w.Int(int64(n.DeliveryCount))
			return true
		})
		w.BulkString("consumers")
		w.Array(len(g.Consumers))
		for _, cs := range g.Consumers {
			w.Map(4)
			w.BulkString("name")
			w.BulkString(cs.Name)
			w.BulkString("seen-time")
			w.Int(cs.SeenTime)
			w.BulkString("pel-count")
			w.Int(int64(cs.PEL.Len()))
			w.BulkString("pending")
			todo := cs.PEL.Len()
			if count > 0 {
				todo = int(min(count, int64(todo)))
			}
			w.Array(todo)
			cs.PEL.All(func(n *types.StreamNACK) bool {
				if todo == 0 {
					return false
				}
				todo--
				w.Array(3)
				w.BulkString(n.ID.String())
				w.Int(n.DeliveryTime)
				w.Int(int64(n.DeliveryCount))
				return true
			})
		}
	}
}

// raxNodes is the number of nodes Redis's radix tree would have for the
// stream's node keys (XINFO's radix-tree-nodes): 16-byte big-endian master
// IDs. In a rax in canonical form a node sits at the root, at every key,
// at every prefix with two or more children and at each child of one;
// since all keys have the same length, those are found from the common
// prefixes of adjacent keys.
func raxNodes(s *types.Stream) int {
	set := map[string]struct{}{"": {}}
	var prev []byte
	s.EachNode(func(master types.StreamID, _ []byte) bool {
		k := make([]byte, 16)
		binary.BigEndian.PutUint64(k, master.Ms)
		binary.BigEndian.PutUint64(k[8:], master.Seq)
		set[string(k)] = struct{}{}
		if prev != nil {
			l := 0
			for l < 16 && prev[l] == k[l] {
				l++
			}
			set[string(k[:l])] = struct{}{}
			set[string(prev[:l+1])] = struct{}{}
			set[string(k[:l+1])] = struct{}{}
		}
		prev = k
		return true
	})
	return len(set)
}
