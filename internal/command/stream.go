package command

import (
	"fmt"

	"github.com/tandemdb/tandem/internal/resp"
)

// Huge replies. SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a negative
// count answer that many picks, with repeats: `SRANDMEMBER s
// -9223372036854775807` asks for 2^63 of them. Redis 7.0 builds such a
// reply whole and hangs. Tandem writes the array header with the full
// count and then produces the elements in slices: the connection asks for
// the next slice (under the server lock) only once it has written the last
// one, so a client that reads slowly holds the server to one slice of
// memory, every other client is served between slices, and the normal
// class of client-output-buffer-limit applies as to any reply. Commands the
// client pipelined after it wait until the stream ends, so replies keep
// their order; a client that goes away or is killed drops its stream.
//
// The stream keeps the value it samples, not the key: a set that is
// modified meanwhile is sampled as it is at each slice, one replaced or
// deleted goes on being sampled as it was (Go keeps it alive); a value
// that was emptied in place cannot complete the promised count, and the
// connection is then closed. A reply that cannot be streamed — inside
// MULTI/EXEC, from a script or the master link — is built whole as in
// Redis up to maxBuiltElems elements, and refused beyond.

// ReplyStream produces the rest of a reply too large to build at once.
type ReplyStream interface {
	// Next appends elements to w until about budget bytes were added or
	// the reply is complete (done). ok is false when the reply cannot be
	// completed: the connection must be closed.
	Next(w *resp.Writer, budget int) (done, ok bool)
}

const (
	// streamMinElems: replies of more elements than this are streamed
	// when the client can take them in slices.
	streamMinElems = 1 << 14
	// maxBuiltElems is the most elements a reply built whole may have.
	maxBuiltElems = 1 << 20
)

// pickStream writes left elements, each chosen by pick (which writes n
// elements and reports false when the value is gone).
type pickStream struct {
	left int
	pick func(w *resp.Writer, n int) bool
}

func (p *pickStream) Next(w *resp.Writer, budget int) (done, ok bool) {
	start := len(w.Buf)
	for p.left > 0 && len(w.Buf)-start < budget {
		n := min(p.left, 256)
		if !p.pick(w, n) {
			return false, false
		}
		p.left -= n
	}
	return p.left == 0, true
}

// streams reports whether randPicks sends a reply of n picks in slices,
// keeping what pick samples past the command.
func streams(c *Ctx, n int) bool {
	return n > streamMinElems && c.S.CanStream && !c.InExec
}

// randPicks answers a negative-count random pick of n elements (header
// elems entries, already out-of-range checked): in slices when n is large
// and the client can stream, whole when it is small, refused when it
// cannot be streamed and is too large to build. pick writes k random
// elements and reports false when the value became empty.
func randPicks(c *Ctx, n, elems int, pick func(w *resp.Writer, k int) bool) {
	if streams(c, n) {
		c.W.Array(elems)
		c.S.Stream = &pickStream{left: n, pick: pick}
		return
	}
	if n > maxBuiltElems {
		c.Error(fmt.Sprintf("ERR count is too large to build the reply here (at most %d elements outside a connection that streams it)", maxBuiltElems))
		return
	}
	c.W.Array(elems)
	pick(c.W, n)
}
