package rdb

import (
	"github.com/tandemdb/tandem/internal/types"

	"errors"
	"fmt"
)

// Version is the RDB format version this package writes (Redis 7.0). The
// decoder accepts versions 1 through Version, like Redis 7.0.
const Version = 10

// NoExpiry is the ExpireAt value of a key without a time to live. It is the
// same sentinel Redis uses internally, so a file that stores an
// EXPIRETIME_MS of exactly -1 also reads back as "no expiry".
const NoExpiry int64 = -1

// Kind is the data type of a value, independent of how it is encoded on disk.
type Kind uint8

// Value kinds. KindStream and KindModule exist so that the decoder can name
// what it skipped or refused; the encoder rejects them.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindHash
	KindZSet
	KindStream
	KindModule
)

var kindNames = [...]string{"string", "list", "set", "hash", "zset", "stream", "module"}

// String returns the name TYPE would reply for the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Type is an RDB object type byte: the on-disk encoding of a value.
type Type uint8

// Object types of Redis 7.0 (rdb.h). 8 was never used. 20 and 21 belong to
// Redis 7.2 (RDB 11); the decoder reads them anyway because they cost
// nothing and appear in files a newer server wrote with an old header.
const (
	TypeString           Type = 0
	TypeList             Type = 1 // linked list, Redis < 3.2
	TypeSet              Type = 2
	TypeZSet             Type = 3 // ASCII scores, Redis < 4.0
	TypeHash             Type = 4
	TypeZSet2            Type = 5 // binary scores
	TypeModule           Type = 6
	TypeModule2          Type = 7
	TypeHashZipmap       Type = 9
	TypeListZiplist      Type = 10
	TypeSetIntset        Type = 11
	TypeZSetZiplist      Type = 12
	TypeHashZiplist      Type = 13
	TypeListQuicklist    Type = 14
	TypeStreamListpacks  Type = 15
	TypeHashListpack     Type = 16
	TypeZSetListpack     Type = 17
	TypeListQuicklist2   Type = 18
	TypeStreamListpacks2 Type = 19
	TypeSetListpack      Type = 20
	TypeStreamListpacks3 Type = 21
)

// isObjectType reports whether t can start a key record.
func isObjectType(t byte) bool {
	return t <= byte(TypeStreamListpacks3) && t != 8
}

// Opcodes: bytes in the place of a type byte that are not key records.
const (
	opFunction     = 0xF6 // library from 7.0-rc1/rc2
	opFunction2    = 0xF5
	opModuleAux    = 0xF7
	opIdle         = 0xF8
	opFreq         = 0xF9
	opAux          = 0xFA
	opResizeDB     = 0xFB
	opExpireTimeMs = 0xFC
	opExpireTime   = 0xFD
	opSelectDB     = 0xFE
	opEOF          = 0xFF
)

// Pair is one hash field and its value (types.Pair, so that a decoded
// hash is handed to types.NewHashFrom as it is).
type Pair = types.Pair

// ZMember is one sorted-set member and its score.
type ZMember struct {
	Member []byte
	Score  float64
}

// Entry is one key with its value, expiry and eviction metadata.
//
// Exactly one value field is meaningful, chosen by Kind. Lists are head to
// tail; sets, hashes and sorted sets are in file order when decoded and in
// any order when encoded (the encoder sorts what needs sorting on a copy).
//
// The zero value has ExpireAt 0, which is an expiry in 1970: set ExpireAt to
// NoExpiry for keys without a TTL.
//
// An Entry handed to a Handler belongs to the decoder and is overwritten
// by the next key; the encoder neither modifies nor retains the Entry it is
// given.
type Entry struct {
	DB       int
	Key      []byte
	ExpireAt int64 // absolute Unix time in milliseconds, or NoExpiry
	Kind     Kind

	Str  []byte    // KindString
	List [][]byte  // KindList, head to tail
	Set  [][]byte  // KindSet
	Hash []Pair    // KindHash
	ZSet []ZMember // KindZSet
	// Stream is a KindStream value. The decoder hands over a new stream
	// for each key (the receiver keeps it); the encoder only reads it.
	Stream *types.Stream
	// Built is a value the decoder built for the keyspace itself, nil
	// otherwise: a listpack hash of a DUMP payload when DumpOptions asks
	// for it (Kind is KindHash, Hash is empty).
	Built any
	Type  Type    // decoder only: the object type the value was stored as
	LRU   LRUInfo // eviction metadata (IDLE / FREQ opcodes)
}

// LRUInfo is the eviction metadata Redis stores before a key when its
// maxmemory-policy is an LRU one (idle time) or an LFU one (access counter).
// Redis writes at most one of the two; either may be absent.
type LRUInfo struct {
	HasIdle bool
	Idle    uint64 // seconds since last access (IDLE opcode)
	HasFreq bool
	Freq    uint8 // LFU logarithmic counter (FREQ opcode)
}

// reset clears e for reuse, keeping the backing arrays of its slices unless
// they grew large, so that one huge key does not pin memory for the rest of
// a load.
func (e *Entry) reset() {
	const keepCap = 1 << 16
	e.DB, e.Key, e.ExpireAt, e.Kind, e.Str, e.Type, e.LRU, e.Stream, e.Built = 0, nil, NoExpiry, 0, nil, 0, LRUInfo{}, nil, nil
	e.List = trimSlice(e.List, keepCap)
	e.Set = trimSlice(e.Set, keepCap)
	e.Hash = trimSlice(e.Hash, keepCap)
	e.ZSet = trimSlice(e.ZSet, keepCap)
}

func trimSlice[T any](s []T, keepCap int) []T {
	if cap(s) > keepCap {
		return nil
	}
	clear(s)
	return s[:0]
}

// SkipReason says why the decoder reported a key through Handler.Skip
// instead of Handler.Entry.
type SkipReason uint8

const (
	// SkipEmpty: the value is an empty collection. Redis 7.0 drops such keys
	// while loading and logs "rdbLoadObject skipping empty key: <name>".
	SkipEmpty SkipReason = iota + 1
	// SkipStream is no longer produced: streams are decoded (Entry.Stream).
	// It was: the value is a stream, which this package parses (so the
	// following keys still load) but does not decode.
	SkipStream
)

// String describes the reason the way a log line would.
func (r SkipReason) String() string {
	switch r {
	case SkipEmpty:
		return "empty key"
	case SkipStream:
		return "stream type not supported"
	}
	return fmt.Sprintf("SkipReason(%d)", uint8(r))
}

// Handler receives what the decoder finds, in file order. Any error it
// returns stops the load; Load returns it wrapped in an *Error (errors.Is and
// errors.As see through the wrapping).
//
// Every slice passed to a Handler method, the *Entry itself and all slices
// reachable from it are owned by the decoder and reused after the method
// returns: copy whatever you keep.
type Handler interface {
	// Aux is an AUX field (redis-ver, ctime, repl-id, ...). Unknown fields
	// must be ignored, by contract of the format.
	Aux(key, value []byte) error
	// ResizeDB is the size hint written before the keys of db.
	ResizeDB(db int, size, expiresSize uint64) error
	// Entry is one key. Expired keys are delivered too: Redis drops them
	// only when a master loads a plain RDB, a decision that is the caller's.
	// Duplicate keys are not detected here (Redis aborts on them).
	Entry(e *Entry) error
	// Skip is a key the decoder parsed but has no value for, see SkipReason.
	// Only DB, Key, ExpireAt, Kind, Type and LRU are set.
	Skip(e *Entry, reason SkipReason) error
	// Function is a function library (FUNCTION2 opcode; the 7.0-rc format
	// is converted to the same "#!<engine> name=<name>\n<code>" payload).
	Function(code []byte) error
	// ModuleAux is called after a MODULE_AUX record has been skipped.
	// Redis without that module refuses the file; return an error to do
	// the same. ModuleName decodes moduleID.
	ModuleAux(moduleID, when uint64) error
}

// NopHandler ignores everything. Embed it to implement only some methods.
type NopHandler struct{}

var _ Handler = NopHandler{}

func (NopHandler) Aux(key, value []byte) error                     { return nil }
func (NopHandler) ResizeDB(db int, size, expiresSize uint64) error { return nil }
func (NopHandler) Entry(e *Entry) error                            { return nil }
func (NopHandler) Skip(e *Entry, reason SkipReason) error          { return nil }
func (NopHandler) Function(code []byte) error                      { return nil }
func (NopHandler) ModuleAux(moduleID, when uint64) error           { return nil }

// Error is a decoding failure. Offset is the number of bytes consumed from
// the input when the problem was detected (for corrupt compact encodings,
// the end of the string that holds them). Msg uses Redis's wording where
// Redis has one. Err, if set, is the cause: an I/O error (io.ErrUnexpectedEOF
// for a truncated file), a sentinel below, or a Handler's error.
type Error struct {
	Offset int64
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("rdb: offset %d: %s", e.Offset, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Sentinel causes carried in Error.Err. Their texts carry no "rdb:" prefix
// because they are always wrapped in an *Error, which adds it.
var (
	// ErrChecksum: the stored CRC-64 does not match the file.
	ErrChecksum = errors.New("RDB CRC error")
	// ErrModuleNotSupported: a key holds a module value (types 6 and 7),
	// which cannot be interpreted without the module.
	ErrModuleNotSupported = errors.New("module type not supported")
	// ErrCorrupt: the file is structurally invalid (bad length, bad
	// encoding, failed integrity check of a compact encoding, ...).
	ErrCorrupt = errors.New("corrupt RDB")
)

// Encoder-side errors.
var (
	// ErrEmptyCollection is returned by WriteEntry for a list, set, hash or
	// sorted set without elements: Redis would skip it on load and
	// redis-check-rdb rejects the file. Nothing is written and the Encoder
	// stays usable, so a caller may log and continue.
	ErrEmptyCollection = errors.New("rdb: empty collection not written")
	// ErrUnsupportedKind is returned by WriteEntry for streams and modules.
	ErrUnsupportedKind = errors.New("rdb: kind cannot be encoded")
)
