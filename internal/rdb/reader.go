package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// Length-prefix forms (rdb.c:rdbLoadLen): the top two bits of the first
// byte select 6-bit, 14-bit, or (0x80 / 0x81) 32- and 64-bit big-endian
// lengths; 0b11 marks a specially encoded string instead of a length.
const (
	len6     = 0
	len14    = 1
	len32    = 0x80
	len64    = 0x81
	lenEnc   = 3
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

const (
	// readChunk bounds how much is allocated ahead of the data actually
	// received, so a forged length of 2^60 fails at end of input instead of
	// at the allocator.
	readChunk = 1 << 20
	// arenaBlock is the size of the blocks small strings are carved from.
	arenaBlock = 64 << 10
)

// arena hands out small byte slices from shared blocks, so decoding a
// collection costs a few allocations instead of one per element. Slices stay
// valid until reset, after which the current block is reused.
type arena struct{ buf []byte }

func (a *arena) alloc(n int) []byte {
	if n > arenaBlock/4 {
		return make([]byte, n)
	}
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, arenaBlock)
	}
	l := len(a.buf)
	a.buf = a.buf[:l+n]
	return a.buf[l : l+n : l+n]
}

func (a *arena) reset() { a.buf = a.buf[:0] }

// reader reads the RDB stream, counting the offset and folding every byte
// into the running CRC-64.
//
// It reads out of br's buffer in place: win is what br holds (Peek), pos
// how much of it has been consumed, and only when the window runs out are
// the consumed bytes checksummed in one go and discarded from br. Per-key
// reads are then a few bytes copied from memory, without a call into br or
// into the CRC each. Bytes are discarded from br only as far as they were
// consumed, so the caller's br stops right after the RDB (see release).
type reader struct {
	br   *bufio.Reader
	win  []byte // bytes buffered in br, from offset base
	pos  int    // bytes of win consumed
	sum  int    // bytes of win folded into crc (<= pos)
	base int64  // stream offset of win[0]
	crc  uint64 // CRC-64 of the stream up to win[sum]
	// noSum skips the running CRC: a DUMP payload's footer was checked
	// whole before decoding (VerifyDump), so summing it again as it is
	// read doubled RESTORE's checksum work.
	noSum  bool
	maxStr uint64
	arena  arena
	blob   []byte // scratch for strings that are parsed, not kept
	lzfIn  []byte // scratch for compressed input
	num    [20]byte
}

// offset is the number of bytes consumed.
func (r *reader) offset() int64 { return r.base + int64(r.pos) }

// release checksums and discards from br what has been consumed, leaving
// the window empty.
func (r *reader) release() {
	r.sumTo(r.win[r.sum:r.pos])
	_, _ = r.br.Discard(r.pos)
	r.base += int64(r.pos)
	r.win, r.pos, r.sum = nil, 0, 0
}

// sumTo folds p into the running CRC (unless noSum).
func (r *reader) sumTo(p []byte) {
	if !r.noSum {
		r.crc = CRC64(r.crc, p)
	}
}

// fill releases the window and takes in what br buffers next, reading
// from the source when br holds nothing.
func (r *reader) fill() error {
	r.release()
	if _, err := r.br.Peek(1); err != nil {
		return r.ioError(err)
	}
	r.win, _ = r.br.Peek(r.br.Buffered())
	return nil
}

// checksum returns the CRC-64 of everything consumed so far.
func (r *reader) checksum() uint64 {
	r.sumTo(r.win[r.sum:r.pos])
	r.sum = r.pos
	return r.crc
}

func (r *reader) errorf(cause error, format string, args ...any) *Error {
	return &Error{Offset: r.offset(), Msg: fmt.Sprintf(format, args...), Err: cause}
}

// corrupt reports a structural problem in Redis's words.
func (r *reader) corrupt(format string, args ...any) *Error {
	return r.errorf(ErrCorrupt, format, args...)
}

func (r *reader) ioError(err error) *Error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return r.errorf(io.ErrUnexpectedEOF, "Unexpected EOF reading RDB file")
	}
	return r.errorf(err, "read error")
}

func (r *reader) readByte() (byte, error) {
	if r.pos < len(r.win) {
		b := r.win[r.pos]
		r.pos++
		return b, nil
	}
	return r.readByteSlow()
}

func (r *reader) readByteSlow() (byte, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	r.pos = 1
	return r.win[0], nil
}

// readFull fills p; the bytes count in the CRC.
func (r *reader) readFull(p []byte) error {
	n := copy(p, r.win[r.pos:])
	r.pos += n
	if n == len(p) {
		return nil
	}
	return r.readFullSlow(p[n:])
}

func (r *reader) readFullSlow(p []byte) error {
	if len(p) >= r.br.Size() {
		// Large: straight from br into p, without the window.
		r.release()
		n, err := io.ReadFull(r.br, p)
		r.sumTo(p[:n])
		r.base += int64(n)
		if err != nil {
			return r.ioError(err)
		}
		return nil
	}
	for len(p) > 0 {
		if err := r.fill(); err != nil {
			return err
		}
		r.pos = copy(p, r.win)
		p = p[r.pos:]
	}
	return nil
}

// readChecksum reads the trailing checksum, which does not cover itself.
func (r *reader) readChecksum() (uint64, error) {
	crc := r.checksum()
	var b [8]byte
	err := r.readFull(b[:])
	// Undo whatever of the checksum a refill folded into the CRC.
	r.crc, r.sum = crc, r.pos
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// readN reads n bytes. Small reads land in dst when it is big enough;
// large ones grow a buffer chunk by chunk as data actually arrives.
func (r *reader) readN(n uint64, dst []byte) ([]byte, error) {
	if n > math.MaxInt || (r.maxStr > 0 && n > r.maxStr) {
		return nil, r.corrupt("string of %d bytes is too long", n)
	}
	if n <= readChunk {
		if uint64(cap(dst)) < n {
			dst = make([]byte, n)
		}
		dst = dst[:n]
		return dst, r.readFull(dst)
	}
	buf := dst[:0]
	for remaining := int(n); remaining > 0; {
		k := min(remaining, max(len(buf), readChunk))
		buf = slices.Grow(buf, k)
		l := len(buf)
		buf = buf[:l+k]
		if err := r.readFull(buf[l:]); err != nil {
			return nil, err
		}
		remaining -= k
	}
	return buf, nil
}

// discard skips n bytes (still checksummed).
func (r *reader) discard(n uint64) error {
	for {
		k := int(min(n, uint64(len(r.win)-r.pos)))
		r.pos += k
		n -= uint64(k)
		if n == 0 {
			return nil
		}
		if err := r.fill(); err != nil {
			return err
		}
	}
}

// readLenOrEnc reads a length prefix; enc reports the 0b11 form, in which
// case n is the special string encoding.
func (r *reader) readLenOrEnc() (n uint64, enc bool, err error) {
	b, err := r.readByte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case len6:
		return uint64(b & 0x3F), false, nil
	case len14:
		b2, err := r.readByte()
		return uint64(b&0x3F)<<8 | uint64(b2), false, err
	case lenEnc:
		return uint64(b & 0x3F), true, nil
	}
	var buf [8]byte
	switch b {
	case len32:
		err = r.readFull(buf[:4])
		return uint64(binary.BigEndian.Uint32(buf[:4])), false, err
	case len64:
		err = r.readFull(buf[:])
		return binary.BigEndian.Uint64(buf[:]), false, err
	}
	return 0, false, r.corrupt("Unknown length encoding %d in rdbLoadLen()", b)
}

// readLen reads a length or other unsigned number stored as one.
func (r *reader) readLen() (uint64, error) {
	n, enc, err := r.readLenOrEnc()
	if err == nil && enc {
		err = r.corrupt("Unexpected string encoding %d where a length was expected", n)
	}
	return n, err
}

// readCount reads a length that counts items and must fit an int.
func (r *reader) readCount() (int, error) {
	n, err := r.readLen()
	if err == nil && n > math.MaxInt32 {
		return 0, r.corrupt("count %d is too large", n)
	}
	return int(n), err
}

// readString reads a STRING. With keep the result is carved from the arena
// (valid until the arena is reset); without, it lives in a scratch buffer
// that the next string read without keep overwrites.
func (r *reader) readString(keep bool) ([]byte, error) {
	n, enc, err := r.readLenOrEnc()
	if err != nil {
		return nil, err
	}
	if !enc {
		var dst []byte
		if keep {
			if n <= readChunk {
				dst = r.arena.alloc(int(n))
			}
		} else {
			dst = r.blob
		}
		s, err := r.readN(n, dst)
		if !keep && err == nil {
			r.blob = s[:0]
		}
		return s, err
	}
	var v int64
	switch n {
	case encInt8:
		b, err := r.readByte()
		if err != nil {
			return nil, err
		}
		v = int64(int8(b))
	case encInt16:
		var b [2]byte
		if err := r.readFull(b[:]); err != nil {
			return nil, err
		}
		v = int64(int16(binary.LittleEndian.Uint16(b[:])))
	case encInt32:
		var b [4]byte
		if err := r.readFull(b[:]); err != nil {
			return nil, err
		}
		v = int64(int32(binary.LittleEndian.Uint32(b[:])))
	case encLZF:
		return r.readLZF(keep)
	default:
		return nil, r.corrupt("Unknown RDB string encoding type %d", n)
	}
	s := strconv.AppendInt(r.num[:0], v, 10)
	if keep {
		return append(r.arena.alloc(len(s))[:0], s...), nil
	}
	r.blob = append(r.blob[:0], s...)
	return r.blob, nil
}

func (r *reader) readLZF(keep bool) ([]byte, error) {
	clen, err := r.readLen()
	if err != nil {
		return nil, err
	}
	ulen, err := r.readLen()
	if err != nil {
		return nil, err
	}
	var in []byte
	if avail := uint64(len(r.win) - r.pos); clen <= avail && (r.maxStr == 0 || clen <= r.maxStr) {
		// Already buffered (a whole DUMP payload is): decompressed from
		// the window itself, valid until the next read, instead of
		// copied out first.
		in = r.win[r.pos : r.pos+int(clen)]
		r.pos += int(clen)
	} else {
		if in, err = r.readN(clen, r.lzfIn); err != nil {
			return nil, err
		}
		r.lzfIn = in[:0]
	}
	// Only now, with the compressed bytes really read, is ulen checked
	// against what they can expand to and allocated.
	if ulen/lzfMaxRatio > clen || ulen > math.MaxInt || (r.maxStr > 0 && ulen > r.maxStr) {
		return nil, r.corrupt("Invalid LZF compressed string")
	}
	var out []byte
	if keep {
		out = r.arena.alloc(int(ulen))
	} else {
		out = slices.Grow(r.blob[:0], int(ulen))[:ulen]
		r.blob = out[:0]
	}
	// An uncompressed length of 0 is accepted whatever follows: that is
	// what lzf_decompress returning 0 == len amounts to in Redis.
	if ulen > 0 {
		if err := lzfDecompress(in, out); err != nil {
			return nil, r.corrupt("Invalid LZF compressed string")
		}
	}
	return out, nil
}

// skipString skips a STRING without keeping or checking its content.
func (r *reader) skipString() error {
	n, enc, err := r.readLenOrEnc()
	if err != nil {
		return err
	}
	if !enc {
		return r.discard(n)
	}
	switch n {
	case encInt8:
		return r.discard(1)
	case encInt16:
		return r.discard(2)
	case encInt32:
		return r.discard(4)
	case encLZF:
		clen, err := r.readLen()
		if err != nil {
			return err
		}
		if _, err := r.readLen(); err != nil {
			return err
		}
		return r.discard(clen)
	}
	return r.corrupt("Unknown RDB string encoding type %d", n)
}
