package repl

// Resuming before a tail that changes no data (a Tandem extension of
// PSYNC, issue 21: no full sync after a failover for a node that was in
// sync).
//
// Under Sentinel, a FAILOVER is followed by Sentinel's own failover: it
// reads a master that reports itself a replica as down, and promotes the
// replica it finds most up to date, often one still chained behind the old
// master rather than FAILOVER's target. Until Sentinel repoints the
// target, the target is a master and takes Sentinel's hello PUBLISHes
// (and its own PINGs) into its stream; the promoted node never had those
// bytes, so the target's PSYNC asks for an offset past the promoted node's
// replid2 limit and gets a full sync, and so do the target's own replicas
// after it. Redis 7.0 does the same. Yet those bytes changed no data: the
// target's dataset at the promotion point is its dataset now.
//
// So a node counts the bytes at the end of its stream that are only
// PINGs, REPLCONFs and PUBLISHes (noDataTail; a SELECT, a MULTI block or
// anything else ends the count) and, when there are some, offers to
// resume before them: `PSYNC <replid> <offset> REWIND <floor>`, floor
// being the first byte of that tail. A master that can serve offset does
// so as always. One that refuses it only because offset is past its
// replid2 limit (the case above) serves from that limit instead, provided
// it is not below floor, and says where: `+CONTINUE <replid> <from>`. The
// replica drops its bytes from `from` on (nothing to undo: they changed no
// data), takes the master's, and its own replicas resume from it the same
// way. Redis ignores PSYNC's arguments past the offset, so a Tandem
// replica of Redis gets Redis's answer; only a replica that offered REWIND
// is ever answered with an offset.

import (
	"strings"
)

// rewindArg is PSYNC's extra argument naming the floor.
const rewindArg = "REWIND"

// isNoDataCommand reports whether a stream command changes no data:
// PING, REPLCONF (GETACK) and PUBLISH, which a master feeds its replicas
// without any write (keepalives, ACK requests, Sentinel's hellos).
func isNoDataCommand(argv [][]byte) bool {
	if len(argv) == 0 {
		return false
	}
	name := string(argv[0])
	return strings.EqualFold(name, "ping") || strings.EqualFold(name, "replconf") || strings.EqualFold(name, "publish")
}

// trackTail counts a command of n stream bytes into noDataTail (lock
// held).
func (m *Manager) trackTail(argv [][]byte, n int) {
	if isNoDataCommand(argv) {
		m.noDataTail += int64(n)
	} else {
		m.noDataTail = 0
	}
}

// setID takes a new identity from the link machine (lock held). The tail
// count survives only a step that continues our stream at the same
// offset (a promotion, a partial resync); a full sync, or a rewind, starts
// it over.
func (m *Manager) setID(id Identity) {
	continues := id.Offset == m.id.Offset && (id.ID == m.id.ID || id.ID2 == m.id.ID)
	if !continues {
		m.noDataTail = 0
	}
	m.id = id
}

// rewindTo is where a master serves a PSYNC it refused with err, when the
// replica offered to resume from floor (its first byte that changes no
// data; 0 if not offered): the end of our replid2's validity, when the
// only fault of the request is to be past it. It returns 0 otherwise.
func rewindTo(id Identity, bl BacklogRange, replID string, floor int64, err error) int64 {
	if err != ErrSecondIDOffset || floor <= 0 || floor > id.SecondOffset {
		return 0
	}
	if DecidePSYNC(id, bl, replID, id.SecondOffset) != nil {
		return 0
	}
	return id.SecondOffset
}

// Truncate drops the bytes after offset end (a replica resuming before its
// tail, rewind.go). It reports false when it cannot: end is before what
// the backlog holds, or a cursor is past end.
func (b *Backlog) Truncate(end int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if end > b.end {
		return false
	}
	r := b.rangeLocked()
	if end < r.First-1 {
		return false
	}
	for c := range b.cursors {
		if c.pos > end+1 {
			return false
		}
	}
	for len(b.blocks) > 0 {
		last := b.blocks[len(b.blocks)-1]
		if last.start <= end {
			last.data = last.data[:end-last.start+1]
			break
		}
		b.blocks[len(b.blocks)-1] = nil
		b.blocks = b.blocks[:len(b.blocks)-1]
	}
	b.end = end
	return true
}

// tailAt is the no-data tail to cache for a link whose last applied byte
// is off: the world's count, which runs with our offset (0 when the two
// differ, as they may in the middle of a MULTI block).
func tailAt(w world, off int64) int64 {
	if w.id.Offset != off || w.noDataTail > off {
		return 0
	}
	return w.noDataTail
}
