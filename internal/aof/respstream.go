package aof

import (
	"strconv"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// appendStreamCommands appends the commands that rebuild stream v at key, as
// Redis 7.0's rewriteStreamObject emits them: one XADD per entry (an empty
// stream is made by XADD key MAXLEN 0 0-1 x y), XSETID with the last ID,
// entries added and max deleted ID, then per group XGROUP CREATE …
// ENTRIESREAD, and per consumer XGROUP CREATECONSUMER (no pending entries)
// or one XCLAIM … JUSTID FORCE per pending entry. Tandem does not build
// XGROUP and XCLAIM yet, so only Redis can replay the group part.
func appendStreamCommands(out []byte, key []byte, v *types.Stream) []byte {
	id := func(x types.StreamID) []byte { return x.AppendTo(nil) }
	num := func(n int64) []byte { return strconv.AppendInt(nil, n, 10) }
	if v.Length > 0 {
		var args [][]byte
		v.Range(types.StreamID{}, types.MaxStreamID, false, func(eid types.StreamID, fv [][]byte) bool {
			args = append(args[:0], []byte("XADD"), key, id(eid))
			args = append(args, fv...)
			out = resp.AppendCommand(out, args...)
			return true
		})
	} else {
		out = resp.AppendCommand(out, []byte("XADD"), key, []byte("MAXLEN"), []byte("0"), []byte("0-1"), []byte("x"), []byte("y"))
	}
	out = resp.AppendCommand(out, []byte("XSETID"), key, id(v.LastID), []byte("ENTRIESADDED"), num(int64(v.EntriesAdded)),
		[]byte("MAXDELETEDID"), id(v.MaxDeletedID))
	for _, g := range v.Groups {
		name := []byte(g.Name)
		out = resp.AppendCommand(out, []byte("XGROUP"), []byte("CREATE"), key, name, id(g.LastID), []byte("ENTRIESREAD"), num(g.EntriesRead))
		for _, c := range g.Consumers {
			if c.PEL.Len() == 0 {
				out = resp.AppendCommand(out, []byte("XGROUP"), []byte("CREATECONSUMER"), key, name, []byte(c.Name))
				continue
			}
			c.PEL.All(func(n *types.StreamNACK) bool {
				out = resp.AppendCommand(out, []byte("XCLAIM"), key, name, []byte(c.Name), []byte("0"), id(n.ID),
					[]byte("TIME"), num(n.DeliveryTime), []byte("RETRYCOUNT"), num(int64(n.DeliveryCount)), []byte("JUSTID"), []byte("FORCE"))
				return true
			})
		}
	}
	return out
}
