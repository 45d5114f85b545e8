package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// EncodeOptions selects how values are written.
type EncodeOptions struct {
	// Compression LZF-compresses strings longer than 20 bytes when that
	// saves at least 4 bytes, as Redis does with "rdbcompression yes"
	// (its default). It applies to the blobs of compact encodings too.
	Compression bool
	// DisableChecksum writes 8 zero bytes instead of the CRC-64, as Redis
	// does with "rdbchecksum no"; loaders then skip verification.
	DisableChecksum bool
	// Limits are the encoding thresholds (hash-max-listpack-*,
	// set-max-intset-entries, zset-max-listpack-*, list-max-listpack-size),
	// read exactly as package types reads them, so that a value is written
	// in the encoding it has in memory, as Redis writes each object's own
	// encoding: a zero or negative count or size disables the compact
	// encoding it governs. nil means types.DefaultLimits().
	Limits *types.Limits

	// plainThreshold is the element size from which a list element gets a
	// PLAIN node of its own (Redis's packed_threshold, 1 GB, changeable only
	// through DEBUG). Zero means the default; tests lower it.
	plainThreshold int
}

const (
	defaultPlainThreshold = 1 << 30
	// quicklistSafetyLimit caps nodes of count-limited lists (SIZE_SAFETY_LIMIT).
	quicklistSafetyLimit = 8192
)

// limits resolves o.Limits into the copy an Encoder keeps, with the list
// fill clamped as types.NewList clamps it.
func (o EncodeOptions) limits() types.Limits {
	lim := types.DefaultLimits()
	if o.Limits != nil {
		lim = *o.Limits
	}
	lim.ListMaxListpackSize = min(max(lim.ListMaxListpackSize, -5), 1<<15-1)
	return lim
}

// Encoder writes an RDB stream: Header, then any number of Aux, Function,
// SelectDB, ResizeDB and WriteEntry calls, then Finish. Output is buffered;
// it is complete only once Finish returns nil. After any write error the
// Encoder returns that error from every method. It is not safe for
// concurrent use.
type Encoder struct {
	w    io.Writer
	opts EncodeOptions
	lim  types.Limits // opts.Limits resolved
	buf  []byte       // pending output, not yet checksummed
	crc  uint64
	n    int64
	err  error
	db   int // DB of the last SELECTDB written, -1 before the first

	started, finished bool
	// valueOnly leaves keys out of key records (DUMP payloads).
	valueOnly bool

	lzf     *lzfCompressor // allocated on first use
	lzfOut  []byte
	blob    []byte // listpack / intset under construction
	zset    []ZMember
	ints    []int64
	scratch []byte
}

// flushAt is the buffer size that triggers a write; strings larger than
// directWrite bypass the buffer instead of being copied into it.
const (
	flushAt     = 64 << 10
	directWrite = 32 << 10
)

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer, opts EncodeOptions) *Encoder {
	if opts.plainThreshold <= 0 {
		opts.plainThreshold = defaultPlainThreshold
	}
	return &Encoder{w: w, opts: opts, lim: opts.limits(), db: -1, buf: make([]byte, 0, flushAt+directWrite)}
}

// Written returns the number of bytes produced so far, buffered or not.
func (e *Encoder) Written() int64 { return e.n }

// Flush writes buffered output to the underlying writer, for streaming an
// RDB to a socket as it is produced.
func (e *Encoder) Flush() error {
	if e.err != nil {
		return e.err
	}
	if len(e.buf) == 0 {
		return nil
	}
	e.crc = CRC64(e.crc, e.buf)
	_, err := e.w.Write(e.buf)
	e.buf = e.buf[:0]
	if err != nil {
		e.err = fmt.Errorf("rdb: write: %w", err)
	}
	return e.err
}

// raw buffers p. After a write error it drops everything: the error is
// sticky and buffering the rest of a large value would only waste memory.
func (e *Encoder) raw(p ...byte) {
	if e.err != nil {
		return
	}
	e.buf = append(e.buf, p...)
	e.n += int64(len(p))
	if len(e.buf) >= flushAt {
		_ = e.Flush()
	}
}

// bytes writes p, large ones straight to w after what is buffered.
func (e *Encoder) bytes(p []byte) {
	if len(p) < directWrite {
		e.raw(p...)
		return
	}
	if e.err != nil || e.Flush() != nil {
		return
	}
	e.crc = CRC64(e.crc, p)
	e.n += int64(len(p))
	if _, err := e.w.Write(p); err != nil {
		e.err = fmt.Errorf("rdb: write: %w", err)
	}
}

// u64 writes v as 8 little-endian bytes.
func (e *Encoder) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	e.raw(b[:]...)
}

func (e *Encoder) ready() error {
	switch {
	case e.err != nil:
		return e.err
	case !e.started:
		return errors.New("rdb: Header must be written first")
	case e.finished:
		return errors.New("rdb: encoder already finished")
	}
	return nil
}

// Header writes the magic and version, "REDIS0010".
func (e *Encoder) Header() error {
	if e.err != nil {
		return e.err
	}
	if e.started {
		return errors.New("rdb: Header written twice")
	}
	e.started = true
	e.raw(fmt.Appendf(nil, "REDIS%04d", Version)...)
	return e.err
}

// Aux writes an AUX field. Redis writes redis-ver, redis-bits, ctime,
// used-mem, then repl-stream-db, repl-id, repl-offset when it has
// replication state, then aof-base.
func (e *Encoder) Aux(key, value string) error {
	if err := e.ready(); err != nil {
		return err
	}
	e.raw(opAux)
	e.string([]byte(key))
	e.string([]byte(value))
	return e.err
}

// Function writes a function library (FUNCTION2): the full source including
// its "#!lua name=..." shebang.
func (e *Encoder) Function(code []byte) error {
	if err := e.ready(); err != nil {
		return err
	}
	e.raw(opFunction2)
	e.string(code)
	return e.err
}

// SelectDB makes db the database of the following entries.
func (e *Encoder) SelectDB(db int) error {
	if err := e.ready(); err != nil {
		return err
	}
	if db < 0 || db > math.MaxInt32 {
		return fmt.Errorf("rdb: invalid database index %d", db)
	}
	e.raw(opSelectDB)
	e.length(uint64(db))
	e.db = db
	return e.err
}

// ResizeDB writes the size hint for the current database: its number of
// keys and of keys with an expiry. Redis writes it right after SELECTDB.
func (e *Encoder) ResizeDB(size, expires uint64) error {
	if err := e.ready(); err != nil {
		return err
	}
	e.raw(opResizeDB)
	e.length(size)
	e.length(expires)
	return e.err
}

// Finish writes the EOF opcode and the checksum and flushes everything.
func (e *Encoder) Finish() error {
	if err := e.ready(); err != nil {
		return err
	}
	e.raw(opEOF)
	if e.Flush() != nil {
		return e.err
	}
	sum := e.crc
	if e.opts.DisableChecksum {
		sum = 0
	}
	e.buf = binary.LittleEndian.AppendUint64(e.buf, sum)
	e.n += 8
	if _, err := e.w.Write(e.buf); err != nil {
		e.err = fmt.Errorf("rdb: write: %w", err)
		return e.err
	}
	e.buf = e.buf[:0]
	e.finished = true
	return nil
}

// length writes a length prefix in its shortest form.
func (e *Encoder) length(n uint64) {
	switch {
	case n < 1<<6:
		e.raw(byte(n))
	case n < 1<<14:
		e.raw(byte(n>>8)|len14<<6, byte(n))
	case n <= math.MaxUint32:
		e.raw(len32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		var b [9]byte
		b[0] = len64
		binary.BigEndian.PutUint64(b[1:], n)
		e.raw(b[:]...)
	}
}

// string writes a STRING the way rdbSaveRawString chooses: an integer
// encoding for short canonical integers that fit 32 bits, LZF when enabled,
// longer than 20 bytes and at least 4 bytes smaller, else raw.
func (e *Encoder) string(s []byte) {
	if len(s) <= 11 {
		if b, ok := appendIntString(e.buf, s); ok {
			e.n += int64(len(b) - len(e.buf))
			e.buf = b
			if len(e.buf) >= flushAt {
				_ = e.Flush()
			}
			return
		}
	}
	if e.opts.Compression && len(s) > 20 {
		if e.lzf == nil {
			e.lzf = new(lzfCompressor)
		}
		out, ok := e.lzf.compress(e.lzfOut[:0], s, len(s)-4)
		e.lzfOut = out[:0]
		if ok {
			e.raw(lenEnc<<6 | encLZF)
			e.length(uint64(len(out)))
			e.length(uint64(len(s)))
			e.bytes(out)
			return
		}
	}
	e.length(uint64(len(s)))
	e.bytes(s)
}

// appendIntString appends s in an integer encoding if it has one: a
// canonical decimal integer that fits 32 bits.
func appendIntString(b, s []byte) ([]byte, bool) {
	v, ok := resp.ParseInt(s)
	if !ok || v < math.MinInt32 || v > math.MaxInt32 {
		return b, false
	}
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, lenEnc<<6|encInt8, byte(v)), true
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return append(b, lenEnc<<6|encInt16, byte(v), byte(v>>8)), true
	}
	return append(b, lenEnc<<6|encInt32, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)), true
}

// shortString reports whether s is written by appendShortString: it has a
// one-byte length and is not a candidate for LZF.
func (e *Encoder) shortString(s []byte) bool {
	return len(s) < 1<<6 && (len(s) <= 20 || !e.opts.Compression)
}

// appendShortString appends a string that shortString accepts, as string
// would write it.
func appendShortString(b, s []byte) []byte {
	if len(s) <= 11 {
		if b, ok := appendIntString(b, s); ok {
			return b
		}
	}
	return append(append(b, byte(len(s))), s...)
}
