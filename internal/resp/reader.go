// Package resp implements the Redis serialization protocol: a resumable
// request parser over a reused buffer (multibulk and inline forms, with
// Redis's limits and error texts) and an allocation-free reply writer for
// RESP2 and RESP3.
package resp

import (
	"bytes"
	"errors"
	"fmt"
)

// Limits taken from Redis: the size of an inline line or of a `*`/`$` header
// line before the request is refused, and the largest bulk an unauthenticated
// client may send.
const (
	MaxInlineSize       = 64 * 1024
	unauthMaxMultibulk  = 10
	unauthMaxBulkLength = 16384
	minReadSpace        = 16 * 1024
	// maxBulkPrealloc is the most a bulk header alone can make the buffer
	// grow to (see Space).
	maxBulkPrealloc = 1 << 20
	// resizeThreshold: a buffer up to this size is never trimmed while in
	// use (Redis's PROTO_RESIZE_THRESHOLD).
	resizeThreshold = 32 * 1024
)

// ErrIncomplete means the buffer does not hold a whole request yet.
var ErrIncomplete = errors.New("incomplete request")

// ProtocolError is a malformed request. Its text is what Redis replies
// (without the "-ERR " prefix); the connection must be closed after it.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// Reader parses requests from a byte buffer that the caller fills.
//
// The slices in Args point into the reader's buffer: they are valid only
// until the next call to Space (which may move or grow the buffer). A
// partially received request keeps its parse state, so a large bulk is not
// re-scanned on every read.
type Reader struct {
	buf  []byte
	r, w int // buf[r:w] holds unparsed bytes; r is the start of the current request

	// state of a partially parsed multibulk request, offsets relative to r
	pos     int // next byte to parse
	argc    int // arguments announced by '*', -1 before the header
	spans   [][2]int
	bulkLen int  // pending bulk length, -1 when none
	peak    int  // most bytes held unconsumed since the last Trim
	filled  bool // the last read filled the buffer to its end (see Space)

	// Args holds the arguments of the request returned by Next.
	Args [][]byte
	// Inline reports whether the last request used the inline form.
	Inline bool
	// RawLen is the number of bytes the last request occupied on the wire.
	RawLen int
	rawAt  int // where the last request started in buf

	// MaxBulk is proto-max-bulk-len; Unauth applies the stricter limits
	// Redis uses before a client has authenticated; NoBulkLimit lifts
	// MaxBulk (a master's link is trusted with any size).
	MaxBulk     int64
	Unauth      bool
	NoBulkLimit bool
}

// NewReader returns a reader with the given proto-max-bulk-len.
func NewReader(maxBulk int64) *Reader {
	return &Reader{buf: make([]byte, minReadSpace), argc: -1, bulkLen: -1, MaxBulk: maxBulk}
}

// Raw returns the bytes of the last request exactly as received (valid
// until the next Space): a replica forwards them to its own replicas.
func (rd *Reader) Raw() []byte { return rd.buf[rd.rawAt : rd.rawAt+rd.RawLen] }

// Buffered is the number of bytes received but not consumed yet.
func (rd *Reader) Buffered() int { return rd.w - rd.r }

// Cap is the current size of the buffer (for query-buffer accounting).
func (rd *Reader) Cap() int { return cap(rd.buf) }

// Pending returns the bytes received but not consumed yet (valid until the
// next Space), for logging what a client sent.
func (rd *Reader) Pending() []byte { return rd.buf[rd.r:rd.w] }

// Space returns a free region at the end of the buffer for the next read,
// compacting or growing the buffer as needed. It invalidates Args.
func (rd *Reader) Space() []byte {
	if rd.r == rd.w {
		rd.r, rd.w = 0, 0
		if rd.buf == nil {
			// Given back by an idle Trim: the client is reading again.
			rd.buf = make([]byte, minReadSpace)
		}
	}
	// A read that filled the buffer to its end probably left more in the
	// socket: the next one is offered a whole minReadSpace, compacting or
	// growing for it, so that a pipeline of big requests (RESTORE, SET of
	// kilobytes) is taken in a read or two and answered in one write, as
	// Redis's greedy query buffer does. Otherwise any quarter of it will do.
	want := minReadSpace / 4
	if rd.filled {
		want = minReadSpace
	}
	if len(rd.buf)-rd.w >= want {
		return rd.buf[rd.w:]
	}
	if rd.r > 0 {
		n := copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.r, rd.w = 0, n
		if len(rd.buf)-rd.w >= want {
			return rd.buf[rd.w:]
		}
	}
	// Grow by doubling. A pending bulk's announced length is a promise,
	// not bytes: it may set the size at once only up to maxBulkPrealloc;
	// beyond that the buffer doubles as the bytes arrive, so a header
	// `$536870912` followed by silence costs a megabyte, not 512. Doubling
	// stops at the bulk's exact need, so an argument that does arrive
	// costs at most twice its size, copied O(log n) times.
	size := 2 * len(rd.buf)
	if rd.bulkLen > 0 {
		need := rd.pos + rd.bulkLen + 2 + minReadSpace/4
		size = max(size, min(need, maxBulkPrealloc))
		if need > len(rd.buf) && need < size {
			size = need
		}
	}
	nb := make([]byte, size)
	copy(nb, rd.buf[:rd.w])
	rd.buf = nb
	return rd.buf[rd.w:]
}

// BigArg describes a request waiting for the rest of a big argument (32 KB
// or more, Redis's PROTO_MBULK_BIG_ARG): parsed is how many of the bytes
// buffered belong to its part already parsed (headers and earlier
// arguments), awaited how much more room the buffer will take for what its
// headers announce (the rest of the request and a read's slack, the size
// Space grows it to). Both are 0 otherwise. Redis sizes its query buffer for a big
// argument as soon as it reads the header and shows the parsed part as
// arguments: client memory accounting counts and shows the same, without
// allocating ahead (see Space).
func (rd *Reader) BigArg() (parsed, awaited int) {
	if rd.bulkLen < bigArg {
		return 0, 0
	}
	// The buffer Space grows to for it: the request plus a read's slack.
	return rd.pos, max(0, rd.pos+rd.bulkLen+2+minReadSpace/4-(rd.w-rd.r))
}

// bigArg is the size from which an argument counts as big (BigArg).
const bigArg = 32 * 1024

// Unread puts the request Next just returned back in front of the
// buffered bytes (before any Space), so the next Next returns it again: a
// replica's link holds its master's command this way while CLIENT PAUSE
// applies to it.
func (rd *Reader) Unread() {
	rd.r = rd.rawAt
	rd.RawLen = 0
}

// Advance records that n bytes were read into the region returned by Space.
func (rd *Reader) Advance(n int) {
	rd.w += n
	rd.filled = rd.w == len(rd.buf)
	if rd.w-rd.r > rd.peak {
		rd.peak = rd.w - rd.r
	}
}

// Trim gives back the buffer's unused room, with the rules of Redis's
// client cron (clientsCronResizeQueryBuffer), and reports whether it did.
// Nothing happens unless more than 4 KB are free. An idle client's buffer
// shrinks to what it holds (never below the initial size unless empty); a busy one's is
// cut only when over 32 KB and more than twice the most it held since the
// last Trim, down to that peak (and never below a pending bulk). An idle
// buffer that holds nothing is given back whole, as Redis frees an idle
// client's query buffer (qbuf and qbuf-free 0): the next Space allocates
// a new one. Each call starts a new peak. Like Space, it invalidates Args.
func (rd *Reader) Trim(idle bool) bool {
	// A request with many arguments left the argument tables that large:
	// given back (Redis frees a command's argv after it runs). Args is
	// reset by the next Next anyway; spans only while no request is being
	// parsed.
	dropped := false
	if cap(rd.Args) > maxKeptArgs {
		rd.Args, dropped = nil, true
	}
	if cap(rd.spans) > maxKeptArgs && rd.argc < 0 {
		rd.spans, dropped = nil, true
	}
	return rd.trimBuf(idle) || dropped
}

// ArgTablesCap is the memory the argument tables hold (for client memory
// accounting).
func (rd *Reader) ArgTablesCap() int { return cap(rd.Args)*24 + cap(rd.spans)*16 }

// maxKeptArgs is the most argument slots Trim leaves allocated.
const maxKeptArgs = 1024

func (rd *Reader) trimBuf(idle bool) bool {
	used := rd.w - rd.r
	peak := max(rd.peak, used)
	if rd.bulkLen > 0 {
		peak = max(peak, rd.pos+rd.bulkLen+2)
	}
	rd.peak = used
	if len(rd.buf)-used <= 4*1024 {
		return false
	}
	var size int
	switch {
	case idle && used == 0:
		rd.buf, rd.r, rd.w = nil, 0, 0
		return true
	case idle:
		size = used
	case len(rd.buf) > resizeThreshold && len(rd.buf)/2 > peak:
		size = peak
	default:
		return false
	}
	size = max(size+minReadSpace/4, minReadSpace)
	if size >= len(rd.buf) {
		return false
	}
	nb := make([]byte, size)
	copy(nb, rd.buf[rd.r:rd.w])
	rd.buf, rd.r, rd.w = nb, 0, used
	return true
}

// Feed appends data to the buffer (convenience for tests and fuzzing).
func (rd *Reader) Feed(data []byte) {
	for len(data) > 0 {
		sp := rd.Space()
		n := copy(sp, data)
		rd.Advance(n)
		data = data[n:]
	}
}

// Next parses the next request. It returns ErrIncomplete when more input is
// needed, a *ProtocolError for malformed input, or nil with Args set. A
// request with no arguments (an empty inline line, or `*0`) yields nil with
// len(Args) == 0: the caller ignores it (Redis's keepalive newline).
func (rd *Reader) Next() error {
	if rd.r == rd.w {
		return ErrIncomplete
	}
	if rd.argc < 0 && rd.buf[rd.r] != '*' {
		return rd.inline()
	}
	return rd.multibulk()
}

func (rd *Reader) inline() error {
	data := rd.buf[rd.r:rd.w]
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		if len(data) > MaxInlineSize {
			return &ProtocolError{"too big inline request"}
		}
		return ErrIncomplete
	}
	line := data[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	rd.Args = rd.Args[:0]
	rd.Inline = true
	rd.RawLen = nl + 1
	rd.rawAt = rd.r
	if bytes.ContainsAny(line, "\"'") {
		args, err := SplitArgs(string(line))
		if err != nil {
			return &ProtocolError{"unbalanced quotes in request"}
		}
		for _, a := range args {
			rd.Args = append(rd.Args, []byte(a))
		}
	} else {
		// Fast path without allocation: split on white space in place.
		i := 0
		for i < len(line) {
			for i < len(line) && isSpace(line[i]) {
				i++
			}
			j := i
			for j < len(line) && !isSpace(line[j]) {
				j++
			}
			if j > i {
				rd.Args = append(rd.Args, line[i:j:j])
			}
			i = j
		}
	}
	rd.r += nl + 1
	return nil
}

// line finds a CR-terminated header line starting at rd.r+rd.pos and
// returns its contents (after the type byte) and the offset just past CRLF.
func (rd *Reader) line(tooBig string) ([]byte, int, error) {
	start := rd.r + rd.pos
	cr := bytes.IndexByte(rd.buf[start:rd.w], '\r')
	if cr < 0 {
		if rd.w-start > MaxInlineSize {
			return nil, 0, &ProtocolError{tooBig}
		}
		return nil, 0, ErrIncomplete
	}
	if start+cr+1 >= rd.w { // need the byte after CR as well
		return nil, 0, ErrIncomplete
	}
	return rd.buf[start+1 : start+cr], rd.pos + cr + 2, nil
}

func (rd *Reader) multibulk() error {
	if rd.argc < 0 {
		num, next, err := rd.line("too big mbulk count string")
		if err != nil {
			return err
		}
		n, ok := ParseInt(num)
		if !ok || n > 1<<31-1 {
			return &ProtocolError{"invalid multibulk length"}
		}
		if rd.Unauth && n > unauthMaxMultibulk {
			return &ProtocolError{"unauthenticated multibulk length"}
		}
		rd.pos = next
		if n <= 0 {
			rd.finish()
			return nil
		}
		rd.argc = int(n)
		rd.spans = rd.spans[:0]
	}
	for len(rd.spans) < rd.argc {
		if rd.bulkLen < 0 {
			if rd.r+rd.pos >= rd.w {
				return ErrIncomplete
			}
			if c := rd.buf[rd.r+rd.pos]; c != '$' {
				return &ProtocolError{fmt.Sprintf("expected '$', got '%c'", c)}
			}
			num, next, err := rd.line("too big bulk count string")
			if err != nil {
				return err
			}
			n, ok := ParseInt(num)
			if !ok || n < 0 || (!rd.NoBulkLimit && n > rd.MaxBulk) {
				return &ProtocolError{"invalid bulk length"}
			}
			if rd.Unauth && n > unauthMaxBulkLength {
				return &ProtocolError{"unauthenticated bulk length"}
			}
			rd.pos = next
			rd.bulkLen = int(n)
		}
		if rd.w-(rd.r+rd.pos) < rd.bulkLen+2 {
			return ErrIncomplete
		}
		rd.spans = append(rd.spans, [2]int{rd.pos, rd.pos + rd.bulkLen})
		rd.pos += rd.bulkLen + 2
		rd.bulkLen = -1
	}
	rd.Args = rd.Args[:0]
	for _, s := range rd.spans {
		rd.Args = append(rd.Args, rd.buf[rd.r+s[0]:rd.r+s[1]:rd.r+s[1]])
	}
	rd.finish()
	return nil
}

func (rd *Reader) finish() {
	if rd.argc <= 0 {
		rd.Args = rd.Args[:0]
	}
	rd.Inline = false
	rd.RawLen = rd.pos
	rd.rawAt = rd.r
	rd.r += rd.pos
	rd.pos = 0
	rd.argc = -1
	rd.bulkLen = -1
}

// ParseInt parses b with Redis's string2ll rules: an optional '-', no '+', no
// spaces, no leading zeros ("0" itself aside, "-0" refused), at most 20 bytes,
// within int64. It is Tandem's one Redis-exact integer parser: besides the
// protocol's own `*`/`$` lengths it decides whether INCR, HINCRBY, an index
// or a count argument is valid, whether a set member is an integer (intset),
// which strings RDB stores as integers (only the canonical form round-trips),
// and what CONFIG SET accepts for an integer directive. It lives here because
// resp imports nothing of ours, so every package can use it without a cycle.
// Parsers that stay lenient elsewhere say why (Redis itself uses atoi,
// strtol or memtoull there).
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' || len(b)-i > 19 {
		return 0, false
	}
	// At most 19 digits: the value fits a uint64 before the range check.
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
