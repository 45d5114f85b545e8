package rdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tandemdb/tandem/internal/types"
)

// DUMP payloads (Redis's cluster.c createDumpPayload / verifyDumpPayload):
// one value serialized as an RDB key record without its key, followed by a
// footer, so that DUMP and RESTORE move values between servers:
//
//	payload = type:byte value  rdb_version:uint16 LE  crc64:uint64 LE
//
// The CRC-64 (the RDB one, from 0) covers everything before it, the
// version included. A server refuses a payload whose version is newer
// than its own RDB version (Redis 7.2 writes 11, which 7.0 refuses) or
// whose checksum does not match, before it looks at the value.

// dumpFooterLen is the version and the CRC-64.
const dumpFooterLen = 2 + 8

// ErrDumpFooter: the payload is shorter than its footer, was written with
// a newer RDB version, or its checksum does not match. The text is
// Redis's error for it, without the "ERR " code.
var ErrDumpFooter = errors.New("DUMP payload version or checksum are wrong")

// ErrDumpValue: the payload's footer is right but its value cannot be
// decoded (Redis answers "Bad data format"). Errors from DecodeDump other
// than ErrDumpFooter wrap it, with the decoder's reason.
var ErrDumpValue = errors.New("Bad data format")

// Dumper builds DUMP payloads, reusing its buffers from one call to the
// next. It is not safe for concurrent use.
type Dumper struct {
	enc Encoder
	out appendWriter
}

// appendWriter collects what an Encoder flushes.
type appendWriter []byte

func (w *appendWriter) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}

// keepDumpBuf bounds the buffers a Dumper keeps between calls, so that one
// huge value does not pin its payload's memory.
const keepDumpBuf = 1 << 20

// Dump returns the DUMP payload of ent's value, encoded as WriteEntry
// would encode it with opts (Key, DB, ExpireAt and LRU are ignored: the
// payload holds only the value). The result is valid until the next call.
// Empty collections and kinds WriteEntry refuses are refused the same way.
func (d *Dumper) Dump(ent *Entry, opts EncodeOptions) ([]byte, error) {
	if err := checkEntry(ent); err != nil {
		return nil, err
	}
	if opts.plainThreshold <= 0 {
		opts.plainThreshold = defaultPlainThreshold
	}
	if cap(d.out) > keepDumpBuf {
		d.out = nil
	}
	d.out = d.out[:0]
	old := &d.enc
	buf := old.buf[:0]
	if cap(buf) > keepDumpBuf {
		buf = nil
	}
	d.enc = Encoder{
		w: &d.out, opts: opts, lim: opts.limits(), db: -1, buf: buf,
		started: true, valueOnly: true,
		lzf: old.lzf, lzfOut: old.lzfOut, blob: old.blob, zset: old.zset, ints: old.ints, scratch: old.scratch,
	}
	e := &d.enc
	e.writeValue(ent)
	if err := e.Flush(); err != nil {
		return nil, err
	}
	// The encoder's running CRC covers every byte it produced, which is
	// the whole payload so far: extend it over the version.
	ver := [2]byte{byte(Version), byte(Version >> 8)}
	d.out = append(d.out, ver[:]...)
	d.out = binary.LittleEndian.AppendUint64(d.out, CRC64(e.crc, ver[:]))
	return d.out, nil
}

// AppendDump appends the DUMP payload of ent's value to dst (see
// Dumper.Dump; this allocates a Dumper each time).
func AppendDump(dst []byte, ent *Entry, opts EncodeOptions) ([]byte, error) {
	var d Dumper
	p, err := d.Dump(ent, opts)
	if err != nil {
		return dst, err
	}
	return append(dst, p...), nil
}

// VerifyDump checks a payload's footer as Redis does before decoding
// anything: at least the footer's 10 bytes, an RDB version no newer than
// Version and, unless skipChecksum, a matching CRC-64. It returns the
// payload's RDB version, or ErrDumpFooter.
func VerifyDump(p []byte, skipChecksum bool) (version int, err error) {
	if len(p) < dumpFooterLen {
		return 0, ErrDumpFooter
	}
	footer := p[len(p)-dumpFooterLen:]
	version = int(binary.LittleEndian.Uint16(footer))
	if version > Version {
		return version, ErrDumpFooter
	}
	if skipChecksum {
		return version, nil
	}
	if CRC64(0, p[:len(p)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return version, ErrDumpFooter
	}
	return version, nil
}

// DumpOptions tune DecodeDump.
type DumpOptions struct {
	// SkipChecksum accepts any CRC-64 (Redis's DEBUG
	// SET-SKIP-CHECKSUM-VALIDATION); the version is checked all the same.
	SkipChecksum bool
	// MaxStringLen, when positive, refuses strings longer than this
	// (proto-max-bulk-len); see LoadOptions.
	MaxStringLen int64
	// HashLimits, when set, has a hash stored as a listpack built as the
	// keyspace's value with these limits (Entry.Built) instead of listed
	// in Entry.Hash: one walk of the listpack writes it (RESTORE's usual
	// payload), with the same checks.
	HashLimits *types.Limits
	// HashInto, with HashLimits, is a hash that such a listpack is built
	// into (Hash.ResetPacked) instead of a new one: RESTORE hands over
	// the hash a REPLACE freed. It is overwritten only once the value
	// has passed every check, and is then Entry.Built; a payload that
	// fails, or is not a listpack hash, leaves it as it was.
	HashInto *types.Hash
}

// DecodeDump decodes a DUMP payload into an Entry holding the value (Kind,
// Type and the value field; Key is nil and ExpireAt NoExpiry). The entry
// and its slices are the caller's (see DumpDecoder to reuse buffers).
//
// The value is checked as deeply as Load checks a file's: every element
// of a compact encoding, duplicate members and fields, NaN scores, and an
// empty collection is refused too, so a value that decodes is whole.
// Object types are those of Redis 7.0 (0-7, 9-19): the set listpack and
// third stream format of RDB 11 are refused, as 7.0 refuses them. Bytes
// between the value and the footer are ignored, as Redis ignores them.
//
// Errors: ErrDumpFooter for a bad footer; otherwise an error wrapping
// ErrDumpValue.
func DecodeDump(p []byte, opts DumpOptions) (*Entry, error) {
	var u DumpDecoder
	return u.Decode(p, opts)
}

// DumpDecoder decodes DUMP payloads, reusing its buffers from one call to
// the next. It is not safe for concurrent use.
type DumpDecoder struct {
	d   decoder
	src bytes.Reader
	br  *bufio.Reader
}

// Decode is DecodeDump; the Entry and everything it points to belong to
// the DumpDecoder and are valid until the next call.
func (u *DumpDecoder) Decode(p []byte, opts DumpOptions) (*Entry, error) {
	version, err := VerifyDump(p, opts.SkipChecksum)
	if err != nil {
		return nil, err
	}
	body := p[:len(p)-dumpFooterLen]
	// The reader's window is the payload itself, behind a source with
	// nothing more to give: decoding reads it in place, where a buffered
	// reader over it first copied it whole.
	u.src.Reset(nil)
	if u.br == nil {
		u.br = bufio.NewReaderSize(&u.src, 16)
	} else {
		u.br.Reset(&u.src)
	}
	old := &u.d
	// The decoded strings rarely take much more room than the payload: an
	// arena of that size spares a small RESTORE the 64 KB block a file
	// load starts with (zeroing it was most of the cost). A large one is
	// not kept for the next call.
	arena := old.r.arena
	if cap(arena.buf) > keepDumpBuf || cap(arena.buf) < 2*len(body)+64 {
		arena.buf = make([]byte, 0, min(2*len(body)+64, arenaBlock))
	}
	arena.reset()
	u.d = decoder{
		r:        reader{br: u.br, win: body, arena: arena, blob: old.r.blob[:0], lzfIn: old.r.lzfIn[:0], noSum: true},
		h:        NopHandler{},
		version:  version,
		e:        old.e,
		elems:    old.elems[:0],
		sorted:   old.sorted[:0],
		hashes:   old.hashes[:0],
		borrow:   true,
		packed:   old.packed[:0],
		hashLim:  opts.HashLimits,
		hashInto: opts.HashInto,
	}
	d := &u.d
	if cap(d.r.blob) > keepDumpBuf {
		d.r.blob = nil
	}
	if cap(d.r.lzfIn) > keepDumpBuf {
		d.r.lzfIn = nil
	}
	if cap(d.hashes) > keepDumpBuf/8 {
		d.hashes = nil
	}
	if cap(d.packed) > keepDumpBuf {
		d.packed = nil
	}
	if opts.MaxStringLen > 0 {
		d.r.maxStr = uint64(opts.MaxStringLen)
	}
	d.e.reset()
	t, err := d.r.readByte()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDumpValue, err)
	}
	if !isObjectType(t) || Type(t) >= TypeSetListpack {
		return nil, fmt.Errorf("%w: unknown object type %d", ErrDumpValue, t)
	}
	d.e.Type = Type(t)
	skip, err := d.readValue(Type(t))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDumpValue, err)
	}
	switch skip {
	case SkipEmpty:
		return nil, fmt.Errorf("%w: empty %v", ErrDumpValue, d.e.Kind)
	}
	return &d.e, nil
}
