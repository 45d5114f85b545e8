package rdb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/tandemdb/tandem/internal/types"
)

// LoadOptions tunes Load. The zero value verifies the checksum and rejects
// duplicate members like Redis 7.0 does by default; set Databases to also
// enforce the database count.
type LoadOptions struct {
	// SkipChecksum disables verification of the trailing CRC-64 (Redis's
	// "rdbchecksum no"). A stored checksum of zero is never verified: it
	// means the writer had checksums disabled.
	SkipChecksum bool
	// Databases, when positive, is the number of databases of the caller:
	// a SELECTDB at or past it fails the load (Redis exits in that case).
	// Zero accepts any index up to math.MaxInt32.
	Databases int
	// SkipDuplicateCheck turns off the check that sets, hashes and sorted
	// sets have no repeated member or field. Redis refuses such values in
	// most encodings ("Duplicate set members detected", ...); keep the
	// check unless the caller detects duplicates itself.
	SkipDuplicateCheck bool
	// MaxStringLen, when positive, fails the load on any string (or
	// decompressed string) longer than this many bytes. Zero means no limit
	// beyond the input itself: lengths are never trusted for allocation
	// ahead of the data, so a forged length fails at end of input.
	MaxStringLen int64
}

// Info describes a completed (or failed) load.
type Info struct {
	Version int   // RDB format version from the header
	Size    int64 // bytes consumed, including the checksum
	// Checksum is the stored CRC-64 (0 when absent or disabled by the
	// writer). ChecksumVerified reports whether it was compared and matched.
	Checksum         uint64
	ChecksumVerified bool
	Keys             int // keys passed to Handler.Entry
	Expires          int // of which with an expiry
	EmptySkipped     int // keys passed to Handler.Skip with SkipEmpty
	StreamsSkipped   int // keys passed to Handler.Skip with SkipStream
}

// Load decodes an RDB stream from r, calling h for everything it finds, and
// returns the first error: a *Error for malformed input, I/O failure or a
// Handler's error.
//
// If r is a *bufio.Reader, Load reads through it and stops right after the
// checksum, so the caller can go on reading what follows the RDB (the AOF
// tail after an RDB preamble, the replication stream after a full sync).
// Otherwise Load wraps r in its own buffer and may read past the end of the
// RDB.
func Load(r io.Reader, h Handler, opts LoadOptions) error {
	_, err := LoadWithInfo(r, h, opts)
	return err
}

// LoadWithInfo is Load that also returns counters and checksum details, for
// the log lines Redis prints after loading.
func LoadWithInfo(r io.Reader, h Handler, opts LoadOptions) (Info, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	d := &decoder{
		r:    reader{br: br},
		h:    h,
		opts: opts,
	}
	if opts.MaxStringLen > 0 {
		d.r.maxStr = uint64(opts.MaxStringLen)
	}
	d.e.reset()
	err := d.run()
	d.r.release()
	d.info.Size = d.r.offset()
	return d.info, err
}

// decoder is the state of one Load.
type decoder struct {
	r       reader
	h       Handler
	opts    LoadOptions
	info    Info
	version int
	db      int
	e       Entry     // reused for every key
	elems   []element // scratch for compact encodings
	sorted  [][]byte  // scratch for duplicate checks
	hashes  []uint64  // scratch for duplicate checks
	// hashLim set: listpack hashes are built as keyspace values
	// (DumpOptions.HashLimits), their pairs packed in packed first.
	hashLim *types.Limits
	// hashInto, when set (with hashLim), is the hash a listpack hash is
	// built into instead of a new one (DumpOptions.HashInto).
	hashInto *types.Hash
	packed   []byte
	longest  int    // the longest element packed, for NewHashPacked
	pending  []byte // a hash field waiting for its value (hashPairsFromListpack)
	// compactMsg, while the elements of a compact encoding (one blob)
	// become a value, is that encoding's integrity message: a repeated
	// member or field there is a failed integrity check of the blob, as
	// Redis reports it, and the error says so and names the duplicate.
	compactMsg string
	// borrow lets a hash, set or sorted set (one blob each) point its
	// strings into the decompressed blob instead of copying them to the
	// arena: DumpDecoder's Entry lives no longer than that blob (until
	// the next Decode), and its caller copies the elements into the new
	// value anyway.
	borrow bool
}

// handlerError wraps an error returned by the Handler.
func (d *decoder) handlerError(err error) error {
	if err == nil {
		return nil
	}
	return d.r.errorf(err, "aborted by handler")
}

func (d *decoder) run() error {
	if err := d.readHeader(); err != nil {
		return err
	}
	// Key-scoped attributes set by opcodes before the next key record.
	expire := NoExpiry
	var lru LRUInfo
	for {
		t, err := d.r.readByte()
		if err != nil {
			return err
		}
		switch t {
		case opExpireTime:
			// Pre-3.0 files: seconds as a 32-bit integer in the writer's
			// native byte order, which was little endian in practice.
			var b [4]byte
			if err := d.r.readFull(b[:]); err != nil {
				return err
			}
			expire = int64(int32(binary.LittleEndian.Uint32(b[:]))) * 1000
		case opExpireTimeMs:
			var b [8]byte
			if err := d.r.readFull(b[:]); err != nil {
				return err
			}
			expire = int64(binary.LittleEndian.Uint64(b[:]))
		case opFreq:
			b, err := d.r.readByte()
			if err != nil {
				return err
			}
			lru.HasFreq, lru.Freq = true, b
		case opIdle:
			n, err := d.r.readLen()
			if err != nil {
				return err
			}
			lru.HasIdle, lru.Idle = true, n
		case opEOF:
			return d.readChecksum()
		case opSelectDB:
			n, err := d.r.readLen()
			if err != nil {
				return err
			}
			if d.opts.Databases > 0 && n >= uint64(d.opts.Databases) {
				return d.r.corrupt("FATAL: Data file was created with a Redis server configured to handle more than %d databases (SELECTDB %d)", d.opts.Databases, n)
			}
			if n > math.MaxInt32 {
				return d.r.corrupt("SELECTDB %d: database index out of range", n)
			}
			d.db = int(n)
		case opResizeDB:
			size, err := d.r.readLen()
			if err != nil {
				return err
			}
			expires, err := d.r.readLen()
			if err != nil {
				return err
			}
			if err := d.handlerError(d.h.ResizeDB(d.db, size, expires)); err != nil {
				return err
			}
		case opAux:
			if err := d.readAux(); err != nil {
				return err
			}
		case opModuleAux:
			if err := d.readModuleAux(); err != nil {
				return err
			}
		case opFunction, opFunction2:
			if err := d.readFunction(t); err != nil {
				return err
			}
		default:
			if !isObjectType(t) {
				return d.r.corrupt("Unknown RDB encoding type %d", t)
			}
			if err := d.readKey(Type(t), expire, lru); err != nil {
				return err
			}
			expire, lru = NoExpiry, LRUInfo{}
		}
	}
}

func (d *decoder) readHeader() error {
	var b [9]byte
	if err := d.r.readFull(b[:]); err != nil {
		return err
	}
	if string(b[:5]) != "REDIS" {
		return d.r.corrupt("Wrong signature trying to load DB from file")
	}
	v := 0
	for _, c := range b[5:] {
		if c < '0' || c > '9' {
			return d.r.corrupt("Can't handle RDB format version %q", b[5:])
		}
		v = v*10 + int(c-'0')
	}
	if v < 1 || v > Version {
		return d.r.corrupt("Can't handle RDB format version %d", v)
	}
	d.version, d.info.Version = v, v
	return nil
}

func (d *decoder) readChecksum() error {
	// Files before version 5 end at the EOF opcode.
	if d.version < 5 {
		return nil
	}
	computed := d.r.checksum()
	stored, err := d.r.readChecksum()
	if err != nil {
		return err
	}
	d.info.Checksum = stored
	if stored == 0 || d.opts.SkipChecksum {
		return nil
	}
	if stored != computed {
		return d.r.errorf(ErrChecksum, "Wrong RDB checksum expected: (%x) but got (%x)", computed, stored)
	}
	d.info.ChecksumVerified = true
	return nil
}

func (d *decoder) readAux() error {
	defer d.r.arena.reset()
	key, err := d.r.readString(true)
	if err != nil {
		return err
	}
	val, err := d.r.readString(true)
	if err != nil {
		return err
	}
	return d.handlerError(d.h.Aux(key, val))
}

func (d *decoder) readFunction(op byte) error {
	defer d.r.arena.reset()
	if op == opFunction2 {
		code, err := d.r.readString(true)
		if err != nil {
			return err
		}
		return d.handlerError(d.h.Function(code))
	}
	// 7.0-rc1/rc2 format: name, engine, optional description, code. Redis
	// converts it to the FUNCTION2 payload, dropping the description.
	name, err := d.r.readString(true)
	if err != nil {
		return err
	}
	engine, err := d.r.readString(true)
	if err != nil {
		return err
	}
	hasDesc, err := d.r.readLen()
	if err != nil {
		return err
	}
	if hasDesc != 0 {
		if err := d.r.skipString(); err != nil {
			return err
		}
	}
	body, err := d.r.readString(true)
	if err != nil {
		return err
	}
	code := make([]byte, 0, len(engine)+len(name)+len(body)+9)
	code = fmt.Appendf(code, "#!%s name=%s\n", engine, name)
	code = append(code, body...)
	return d.handlerError(d.h.Function(code))
}

// Module value opcodes (rdbLoadCheckModuleValue): what a module serialized,
// self-describing enough to be skipped without the module.
const (
	moduleOpEOF    = 0
	moduleOpSInt   = 1
	moduleOpUInt   = 2
	moduleOpFloat  = 3
	moduleOpDouble = 4
	moduleOpString = 5
)

func (d *decoder) readModuleAux() error {
	id, err := d.r.readLen()
	if err != nil {
		return err
	}
	whenOp, err := d.r.readLen()
	if err != nil {
		return err
	}
	when, err := d.r.readLen()
	if err != nil {
		return err
	}
	if whenOp != moduleOpUInt {
		return d.r.corrupt("bad when_opcode")
	}
	if err := d.skipModuleValue(id); err != nil {
		return err
	}
	return d.handlerError(d.h.ModuleAux(id, when))
}

// skipModuleValue skips module opcodes up to and including the EOF one.
func (d *decoder) skipModuleValue(id uint64) error {
	for {
		op, err := d.r.readLen()
		if err != nil {
			return err
		}
		switch op {
		case moduleOpEOF:
			return nil
		case moduleOpSInt, moduleOpUInt:
			_, err = d.r.readLen()
		case moduleOpFloat:
			err = d.r.discard(4)
		case moduleOpDouble:
			err = d.r.discard(8)
		case moduleOpString:
			err = d.r.skipString()
		default:
			name, _ := ModuleName(id)
			return d.r.corrupt("Unknown module opcode %d in data of module %q", op, name)
		}
		if err != nil {
			return err
		}
	}
}

// ModuleName decodes a module type id as Redis does (moduleTypeNameByID):
// nine 6-bit characters of the type name followed by a 10-bit encoding
// version.
func ModuleName(id uint64) (name string, encver int) {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b [9]byte
	v := id >> 10
	for i := 8; i >= 0; i-- {
		b[i] = charset[v&63]
		v >>= 6
	}
	return string(b[:]), int(id & 1023)
}

// readKey reads one key record after its type byte and hands it over.
func (d *decoder) readKey(t Type, expire int64, lru LRUInfo) error {
	e := &d.e
	e.reset()
	defer d.r.arena.reset()
	key, err := d.r.readString(true)
	if err != nil {
		return err
	}
	e.DB, e.Key, e.ExpireAt, e.Type, e.LRU = d.db, key, expire, t, lru
	skip, err := d.readValue(t)
	if err != nil {
		if re, ok := err.(*Error); ok && re.Err != ErrModuleNotSupported {
			re.Msg = fmt.Sprintf("%s (key %q, type %d)", re.Msg, key, t)
		}
		return err
	}
	switch skip {
	case SkipEmpty:
		d.info.EmptySkipped++
	case SkipStream:
		d.info.StreamsSkipped++
	default:
		d.info.Keys++
		if expire != NoExpiry {
			d.info.Expires++
		}
		return d.handlerError(d.h.Entry(e))
	}
	return d.handlerError(d.h.Skip(e, skip))
}
