package rdb

// Streams are parsed only far enough to skip them: the keys after a stream
// must still load, and a full sync from a master that holds a stream must
// not fail. Layout (rdb.c, stream part of rdbLoadObject):
//
//	nodes:LEN { master_id:STRING(16 bytes) listpack:STRING }
//	length:LEN last_id.ms:LEN last_id.seq:LEN
//	[v2+] first_id.ms first_id.seq max_deleted.ms max_deleted.seq entries_added (all LEN)
//	groups:LEN {
//	    name:STRING last_id.ms:LEN last_id.seq:LEN [v2+] entries_read:LEN
//	    pel:LEN { id:16 raw bytes  delivery_time:8 bytes  delivery_count:LEN }
//	    consumers:LEN { name:STRING seen_time:8 bytes [v3] active_time:8 bytes
//	                    pel:LEN { id:16 raw bytes } }
//	}
const streamIDSize = 16

func (d *decoder) skipStream(t Type) error {
	nodes, err := d.r.readLen()
	if err != nil {
		return err
	}
	for ; nodes > 0; nodes-- {
		id, err := d.r.readString(false)
		if err != nil {
			return err
		}
		if len(id) != streamIDSize {
			return d.r.corrupt("Stream node key entry is not the size of a stream ID")
		}
		lp, err := d.r.readString(false)
		if err != nil {
			return err
		}
		// The listpack is checked structurally, not as stream entries: it
		// is discarded anyway, but a broken one means a broken file.
		n, err := lpIterate(lp, nil)
		if err != nil {
			return d.r.corrupt("Stream listpack integrity check failed.")
		}
		if n == 0 {
			return d.r.corrupt("Empty listpack inside stream")
		}
	}
	meta := 3 // length, last_id
	if t >= TypeStreamListpacks2 {
		meta += 5
	}
	if err := d.skipLens(meta); err != nil {
		return err
	}
	groups, err := d.r.readLen()
	if err != nil {
		return err
	}
	for ; groups > 0; groups-- {
		if err := d.r.skipString(); err != nil {
			return err
		}
		meta := 2 // last_id
		if t >= TypeStreamListpacks2 {
			meta++
		}
		if err := d.skipLens(meta); err != nil {
			return err
		}
		pel, err := d.r.readLen()
		if err != nil {
			return err
		}
		for ; pel > 0; pel-- {
			if err := d.r.discard(streamIDSize + 8); err != nil {
				return err
			}
			if _, err := d.r.readLen(); err != nil {
				return err
			}
		}
		consumers, err := d.r.readLen()
		if err != nil {
			return err
		}
		times := uint64(8)
		if t >= TypeStreamListpacks3 {
			times = 16
		}
		for ; consumers > 0; consumers-- {
			if err := d.r.skipString(); err != nil {
				return err
			}
			if err := d.r.discard(times); err != nil {
				return err
			}
			pel, err := d.r.readLen()
			if err != nil {
				return err
			}
			// Checked before multiplying so the product cannot wrap.
			if pel > 1<<40 {
				return d.r.corrupt("Stream consumer PEL too large")
			}
			if err := d.r.discard(pel * streamIDSize); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *decoder) skipLens(n int) error {
	for range n {
		if _, err := d.r.readLen(); err != nil {
			return err
		}
	}
	return nil
}
