package rdb

import (
	"encoding/binary"
	"slices"

	"github.com/tandemdb/tandem/internal/types"
)

// Streams (rdb.c, stream part of rdbLoadObject and rdbSaveObject):
//
//	nodes:LEN { master_id:STRING(16 bytes) listpack:STRING }
//	length:LEN last_id.ms:LEN last_id.seq:LEN
//	[v2+] first_id.ms first_id.seq max_deleted.ms max_deleted.seq entries_added (all LEN)
//	groups:LEN {
//	    name:STRING last_id.ms:LEN last_id.seq:LEN [v2+] entries_read:LEN
//	    pel:LEN { id:16 raw bytes  delivery_time:8 bytes LE  delivery_count:LEN }
//	    consumers:LEN { name:STRING seen_time:8 bytes [v3] active_time:8 bytes
//	                    pel:LEN { id:16 raw bytes } }
//	}
//
// The listpacks are Redis's stream nodes, which types.Stream keeps as they
// are: loading checks each one (always deeply: the stream code trusts its
// nodes) and keeps it, saving writes it back byte for byte. Tandem writes
// type 19 (STREAM_LISTPACKS_2), as Redis 7.0 does; it reads 15 (deriving
// the v2 metadata as Redis does), 19, and 21 (Redis 7.2's, whose consumer
// active time it drops).
const streamIDSize = 16

func decodeStreamID(b []byte) types.StreamID {
	return types.StreamID{Ms: binary.BigEndian.Uint64(b), Seq: binary.BigEndian.Uint64(b[8:])}
}

func appendStreamID(b []byte, id types.StreamID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

func (d *decoder) readStream(t Type) error {
	s := types.NewStream()
	nodes, err := d.r.readLen()
	if err != nil {
		return err
	}
	var prev types.StreamID
	var live uint64
	for i := uint64(0); i < nodes; i++ {
		key, err := d.r.readString(false)
		if err != nil {
			return err
		}
		if len(key) != streamIDSize {
			return d.r.corrupt("Stream node key entry is not the size of a stream ID")
		}
		master := decodeStreamID(key)
		if i > 0 && master.Compare(prev) <= 0 {
			return d.r.corrupt("Listpack re-added with existing key")
		}
		prev = master
		lp, err := d.r.readString(false)
		if err != nil {
			return err
		}
		n, err := types.ValidateStreamNode(lp)
		if err != nil {
			return d.r.corrupt("Stream listpack integrity check failed.")
		}
		live += uint64(n)
		s.AppendNode(master, slices.Clone(lp))
	}
	lens, err := d.readLens(3)
	if err != nil {
		return err
	}
	s.Length, s.LastID = lens[0], types.StreamID{Ms: lens[1], Seq: lens[2]}
	if t >= TypeStreamListpacks2 {
		lens, err := d.readLens(5)
		if err != nil {
			return err
		}
		s.FirstID = types.StreamID{Ms: lens[0], Seq: lens[1]}
		s.MaxDeletedID = types.StreamID{Ms: lens[2], Seq: lens[3]}
		s.EntriesAdded = lens[4]
	} else {
		s.EntriesAdded = s.Length
		if s.Length > 0 {
			s.FirstID = s.EdgeID(true, true)
		}
	}
	// Redis checks only that a non-empty stream has nodes; the live
	// entries must add up, or commands would count wrong.
	if s.Length != live {
		return d.r.corrupt("Stream length inconsistent with rax entries")
	}
	groups, err := d.r.readLen()
	if err != nil {
		return err
	}
	for ; groups > 0; groups-- {
		name, err := d.r.readString(false)
		if err != nil {
			return err
		}
		lens, err := d.readLens(2)
		if err != nil {
			return err
		}
		last := types.StreamID{Ms: lens[0], Seq: lens[1]}
		var read int64
		if t >= TypeStreamListpacks2 {
			n, err := d.r.readLen()
			if err != nil {
				return err
			}
			read = int64(n) // SCG_INVALID_ENTRIES_READ is saved as -1 cast
		} else {
			read = s.EstimateEntriesRead(last)
		}
		g := s.AddGroup(name, last, read)
		if g == nil {
			return d.r.corrupt("Duplicated consumer group name %s", name)
		}
		pel, err := d.r.readLen()
		if err != nil {
			return err
		}
		var raw [streamIDSize + 8]byte
		for ; pel > 0; pel-- {
			if err := d.r.readFull(raw[:]); err != nil {
				return err
			}
			cnt, err := d.r.readLen()
			if err != nil {
				return err
			}
			n := &types.StreamNACK{ID: decodeStreamID(raw[:]), DeliveryTime: int64(binary.LittleEndian.Uint64(raw[16:])), DeliveryCount: cnt}
			if g.PEL.Get(n.ID) != nil {
				return d.r.corrupt("Duplicated global PEL entry loading stream consumer group")
			}
			g.PEL.Insert(n)
		}
		consumers, err := d.r.readLen()
		if err != nil {
			return err
		}
		for ; consumers > 0; consumers-- {
			cname, err := d.r.readString(false)
			if err != nil {
				return err
			}
			c := g.AddConsumer(cname, 0)
			if c == nil {
				return d.r.corrupt("Duplicate stream consumer detected.")
			}
			times := 8
			if t >= TypeStreamListpacks3 {
				times = 16
			}
			if err := d.r.readFull(raw[:times]); err != nil {
				return err
			}
			c.SeenTime = int64(binary.LittleEndian.Uint64(raw[:8]))
			cpel, err := d.r.readLen()
			if err != nil {
				return err
			}
			for ; cpel > 0; cpel-- {
				if err := d.r.readFull(raw[:streamIDSize]); err != nil {
					return err
				}
				n := g.PEL.Get(decodeStreamID(raw[:]))
				if n == nil {
					return d.r.corrupt("Consumer entry not found in group global PEL")
				}
				if n.Consumer != nil {
					// Another consumer (or this one) already owns it.
					return d.r.corrupt("Duplicated consumer PEL entry  loading a stream consumer group")
				}
				n.Consumer = c
				c.PEL.Insert(n)
			}
		}
		// Every pending entry must have an owner: XINFO and the consumer
		// commands follow the link (Redis checks this in deep mode).
		orphan := false
		g.PEL.All(func(n *types.StreamNACK) bool {
			orphan = n.Consumer == nil
			return !orphan
		})
		if orphan {
			return d.r.corrupt("Stream CG PEL entry without consumer")
		}
	}
	d.e.Stream = s
	return nil
}

func (d *decoder) readLens(n int) ([]uint64, error) {
	var out [5]uint64
	for i := range n {
		v, err := d.r.readLen()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out[:n], nil
}

// writeStream writes a stream as type 19, byte for byte what Redis 7.0's
// rdbSaveObject writes for the same stream.
func (e *Encoder) writeStream(key []byte, s *types.Stream) {
	e.typeKey(TypeStreamListpacks2, key)
	e.length(uint64(s.NodeCount()))
	var idb [streamIDSize]byte
	s.EachNode(func(master types.StreamID, lp []byte) bool {
		e.string(appendStreamID(idb[:0], master))
		e.string(lp)
		return e.err == nil
	})
	for _, v := range []uint64{s.Length, s.LastID.Ms, s.LastID.Seq, s.FirstID.Ms, s.FirstID.Seq,
		s.MaxDeletedID.Ms, s.MaxDeletedID.Seq, s.EntriesAdded, uint64(len(s.Groups))} {
		e.length(v)
	}
	var raw [streamIDSize + 8]byte
	for _, g := range s.Groups {
		e.string([]byte(g.Name))
		e.length(g.LastID.Ms)
		e.length(g.LastID.Seq)
		e.length(uint64(g.EntriesRead))
		e.length(uint64(g.PEL.Len()))
		g.PEL.All(func(n *types.StreamNACK) bool {
			b := appendStreamID(raw[:0], n.ID)
			b = binary.LittleEndian.AppendUint64(b, uint64(n.DeliveryTime))
			e.bytes(b)
			e.length(n.DeliveryCount)
			return true
		})
		e.length(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			e.string([]byte(c.Name))
			e.bytes(binary.LittleEndian.AppendUint64(raw[:0], uint64(c.SeenTime)))
			e.length(uint64(c.PEL.Len()))
			c.PEL.All(func(n *types.StreamNACK) bool {
				e.bytes(appendStreamID(raw[:0], n.ID))
				return true
			})
		}
	}
}
