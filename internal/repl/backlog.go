package repl

import (
	"sync"
)

// Backlog is the one buffer that holds the replication stream for PSYNC
// and, at the same time, every replica's unsent bytes: replicas are cursors
// into it, not copies. It is a list of blocks; a block is freed once it is
// both older than the configured backlog size and behind every cursor, so a
// slow replica pins what it still needs (and is cut by its output-buffer
// limit before that grows without bound), as Redis 7.0's shared
// replication buffer does.
//
// Offsets number stream bytes from 1; End is master_repl_offset.
// Feed is called with the server lock held; cursors are read by the
// replicas' writers (outStream) without it. The backlog's own mutex
// protects everything below.
type Backlog struct {
	mu      sync.Mutex
	blocks  []*block
	end     int64 // offset of the last byte written
	size    int64 // repl-backlog-size
	cursors map[*Cursor]struct{}
	closed  bool
	// free holds trimmed blocks for reuse: a write load would otherwise
	// turn the whole stream into garbage, block by block, and the
	// collections it causes are felt by the clients.
	free [][]byte
}

// maxFreeBlocks bounds the recycled blocks kept.
const maxFreeBlocks = 4

type block struct {
	start int64 // offset of data[0]
	data  []byte
}

const minBlock = 16 << 10

// NewBacklog creates an empty backlog whose next byte will be offset+1.
func NewBacklog(offset, size int64) *Backlog {
	return &Backlog{end: offset, size: size, cursors: map[*Cursor]struct{}{}}
}

// End is the offset of the last byte written (master_repl_offset).
func (b *Backlog) End() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.end
}

// Range reports what PSYNC can be served from: the first byte held and how
// many bytes (histlen).
func (b *Backlog) Range() BacklogRange {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rangeLocked()
}

func (b *Backlog) rangeLocked() BacklogRange {
	if len(b.blocks) == 0 {
		return BacklogRange{Active: true, First: b.end + 1, Len: 0}
	}
	first := b.blocks[0].start
	return BacklogRange{Active: true, First: first, Len: b.end - first + 1}
}

// Mem is the memory the blocks hold (INFO's mem_total_replication_buffers,
// Redis 7.0's shared replication buffer: the backlog and what replicas
// still have to send). 0 for a nil backlog.
func (b *Backlog) Mem() int64 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var n int64
	for _, blk := range b.blocks {
		n += int64(cap(blk.data))
	}
	return n
}

// SetSize changes repl-backlog-size (at least 16 KB).
func (b *Backlog) SetSize(size int64) {
	if size < minBlock {
		size = minBlock
	}
	b.mu.Lock()
	b.size = size
	b.free = nil // the block size follows the backlog size
	b.trimLocked()
	b.mu.Unlock()
}

// Feed appends stream bytes. Sending them is the writers' business
// (Manager.feed arranges a flush).
func (b *Backlog) Feed(p []byte) {
	if len(p) == 0 {
		return
	}
	b.mu.Lock()
	for len(p) > 0 {
		var last *block
		if n := len(b.blocks); n > 0 {
			last = b.blocks[n-1]
		}
		if last == nil || len(last.data) == cap(last.data) {
			bs := b.size / 16
			if bs < minBlock {
				bs = minBlock
			}
			if int64(len(p)) > bs {
				bs = int64(len(p))
			}
			if bs > 4<<20 {
				bs = 4 << 20
			}
			last = &block{start: b.end + 1, data: b.newBlock(int(bs))}
			b.blocks = append(b.blocks, last)
		}
		n := copy(last.data[len(last.data):cap(last.data)], p)
		last.data = last.data[:len(last.data)+n]
		b.end += int64(n)
		p = p[n:]
	}
	b.trimLocked()
	b.mu.Unlock()
}

// trimLocked frees whole head blocks beyond the configured size that no
// cursor still needs.
func (b *Backlog) trimLocked() {
	for len(b.blocks) > 1 {
		head := b.blocks[0]
		hist := b.end - head.start + 1
		if hist-int64(len(head.data)) < b.size {
			return
		}
		headEnd := head.start + int64(len(head.data)) // first offset after head
		for c := range b.cursors {
			if c.pos < headEnd {
				return
			}
		}
		b.blocks[0] = nil
		b.blocks = b.blocks[1:]
		if len(b.free) < maxFreeBlocks {
			// Nothing else holds it: cursors and Copy copy out of blocks.
			b.free = append(b.free, head.data[:0])
		}
	}
}

// newBlock returns an empty block of capacity n, recycled when one fits.
func (b *Backlog) newBlock(n int) []byte {
	for i := len(b.free) - 1; i >= 0; i-- {
		if cap(b.free[i]) == n {
			d := b.free[i]
			b.free[i] = b.free[len(b.free)-1]
			b.free[len(b.free)-1] = nil
			b.free = b.free[:len(b.free)-1]
			return d
		}
	}
	return make([]byte, 0, n)
}

// Pending is how many bytes a cursor still has to send (its share of the
// shared buffer, checked against client-output-buffer-limit replica).
func (c *Cursor) Pending() int64 {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	return c.b.end + 1 - c.pos
}

// Cursor is a replica's position in the backlog: the next offset to send.
type Cursor struct {
	b      *Backlog
	pos    int64
	closed bool
}

// NewCursor starts a cursor at offset pos (the first byte to send). The
// caller has checked that pos is within the backlog's range.
func (b *Backlog) NewCursor(pos int64) *Cursor {
	c := &Cursor{b: b, pos: pos}
	b.mu.Lock()
	b.cursors[c] = struct{}{}
	b.mu.Unlock()
	return c
}

// Close releases the cursor (and any blocks only it pinned).
func (c *Cursor) Close() {
	b := c.b
	b.mu.Lock()
	delete(b.cursors, c)
	c.closed = true
	b.trimLocked()
	b.mu.Unlock()
}

// Close ends every cursor for good (the backlog is being freed).
func (b *Backlog) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// Next copies up to limit of the cursor's pending bytes into dst (reusing
// its room) and advances; it never waits. The result is empty, not nil,
// when nothing is pending, and nil once the cursor or the backlog closed.
func (c *Cursor) Next(dst []byte, limit int) []byte {
	b := c.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.closed || b.closed {
		return nil
	}
	if dst == nil {
		dst = make([]byte, 0, min(int64(limit), max(b.end+1-c.pos, 512)))
	}
	dst = dst[:0]
	for _, blk := range b.blocks {
		blkEnd := blk.start + int64(len(blk.data))
		if c.pos >= blkEnd {
			continue
		}
		if c.pos < blk.start {
			// Should not happen: blocks a cursor needs are pinned.
			c.pos = blk.start
		}
		from := c.pos - blk.start
		n := int64(len(blk.data)) - from
		if room := int64(limit - len(dst)); n > room {
			n = room
		}
		dst = append(dst, blk.data[from:from+n]...)
		c.pos += n
		if len(dst) >= limit {
			break
		}
	}
	return dst
}

// Copy returns the stream bytes from offset from to the end (tests).
func (b *Backlog) Copy(from int64) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []byte
	for _, blk := range b.blocks {
		blkEnd := blk.start + int64(len(blk.data))
		if from >= blkEnd {
			continue
		}
		s := int64(0)
		if from > blk.start {
			s = from - blk.start
		}
		out = append(out, blk.data[s:]...)
	}
	return out
}
