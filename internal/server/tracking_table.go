package server

import (
	"math"
	"slices"

	"github.com/tandemdb/tandem/internal/command"
)

// trackedReaders is the set of default-mode tracking clients that read one
// key since it last changed, as the table holds it: up to inlineReaders
// ids inline (as 32 bits: client ids count connections from 1, so they
// are below 2^32 unless a server accepted four billion of them), the
// others in the table's overflow store, named by an index. It holds no
// pointer, so the table's memory is never scanned by the garbage
// collector, and a slot of the short-key map is 48 bytes: a tracked
// read's extra cost is mostly the cache misses of its lookup in a table
// as big as the set of cached keys, read at random, and of the overflow
// store when a key has more readers than its slot holds.
type trackedReaders struct {
	ids  [inlineReaders]uint32 // 0: unused
	more uint32                // 1 + the index of the rest in trackTable.more; 0: none
}

const inlineReaders = 5

// moreReaders are a key's readers beyond the inline two: in a slice
// searched linearly (a few dozen int64 compares cost less than a map
// lookup), and beyond trackedSliceMax in a map.
type moreReaders struct {
	ids []int64
	big map[int64]struct{}
}

const trackedSliceMax = 32

// addResult says what addReader did.
type addResult uint8

const (
	readerKnown    addResult = iota // id was there: r is unchanged
	readerAdded                     // one reader more
	readerReplaced                  // id took the inline place of a reader gone
)

// addReader records id in r. When all inline places are taken by other
// clients and there is no overflow yet, a client gone (gone: disconnected,
// or no longer tracking in the default mode) leaves its place to id:
// Redis keeps such ids until the key changes and then skips them, and a
// client that turns tracking off is expected to drop what it cached, so
// nothing is lost by forgetting them earlier; clients that come and go
// would otherwise pile up on the keys they read, each read of such a key
// then searching the overflow store.
func (t *trackTable) addReader(r *trackedReaders, id int64, gone func(id int64) bool) addResult {
	if id > 0 && id <= math.MaxUint32 {
		free := -1
		for i, x := range r.ids {
			if int64(x) == id {
				return readerKnown
			}
			if x == 0 && free < 0 {
				free = i
			}
		}
		if free >= 0 {
			r.ids[free] = uint32(id)
			return readerAdded
		}
		// The inline places are all taken (and stay so until the key
		// changes), so id may be in the overflow store, searched below.
		if r.more == 0 && gone != nil {
			for i, x := range r.ids {
				if gone(int64(x)) {
					r.ids[i] = uint32(id)
					return readerReplaced
				}
			}
		}
	}
	if r.more == 0 {
		r.more = t.newMore()
	}
	m := &t.more[r.more-1]
	if slices.Contains(m.ids, id) {
		return readerKnown
	}
	if len(m.ids) < trackedSliceMax {
		m.ids = append(m.ids, id)
		return readerAdded
	}
	if _, ok := m.big[id]; ok {
		return readerKnown
	}
	if m.big == nil {
		m.big = map[int64]struct{}{}
	}
	m.big[id] = struct{}{}
	return readerAdded
}

// newMore returns 1 + the index of an empty overflow entry.
func (t *trackTable) newMore() uint32 {
	if n := len(t.freeMore); n > 0 {
		i := t.freeMore[n-1]
		t.freeMore = t.freeMore[:n-1]
		return i
	}
	t.more = append(t.more, moreReaders{})
	return uint32(len(t.more))
}

// appendReaders appends r's ids to dst, the inline ones first.
func (t *trackTable) appendReaders(dst []int64, r trackedReaders) []int64 {
	for _, id := range r.ids {
		if id != 0 {
			dst = append(dst, int64(id))
		}
	}
	if r.more != 0 {
		m := &t.more[r.more-1]
		dst = append(dst, m.ids...)
		for id := range m.big {
			dst = append(dst, id)
		}
	}
	return dst
}

// eachKey calls fn with the index of each key argument of a command,
// without building the list Spec.Keys returns (a tracked read is on the
// path of every read command).
func eachKey(spec *command.Spec, args [][]byte, fn func(i int)) {
	if spec.KeysFn != nil || spec.FirstKey <= 0 {
		for _, i := range spec.Keys(args) {
			fn(i)
		}
		return
	}
	last := spec.LastKey
	if last < 0 {
		last += len(args)
	}
	step := max(spec.Step, 1)
	for i := spec.FirstKey; i <= last && i < len(args); i += step {
		fn(i)
	}
}

// trackTable maps each tracked key to its readers. Keys of up to
// shortKeyMax bytes (nearly all) are held inline in the map's slots: a
// lookup then compares the slot itself instead of following the key
// string's pointer, one cache miss fewer on the path of every tracked read
// (the table is as big as the set of keys clients cache, and read at
// random); longer keys go to a map by string. Readers beyond two per key
// are in more, whose free entries freeMore lists.
type trackTable struct {
	short    map[shortKey]trackedReaders
	long     map[string]trackedReaders
	more     []moreReaders
	freeMore []uint32
}

const shortKeyMax = 23

// shortKey is a key's bytes, zero-padded, with its length in the last byte.
type shortKey [shortKeyMax + 1]byte

func toShort(k []byte) (shortKey, bool) {
	var s shortKey
	if len(k) > shortKeyMax {
		return s, false
	}
	copy(s[:], k)
	s[shortKeyMax] = byte(len(k))
	return s, true
}

func (t *trackTable) len() int { return len(t.short) + len(t.long) }

// get returns k's readers (empty when it has none).
func (t *trackTable) get(k []byte) trackedReaders {
	if s, ok := toShort(k); ok {
		return t.short[s]
	}
	return t.long[string(k)]
}

// set stores k's readers.
func (t *trackTable) set(k []byte, r trackedReaders) {
	if s, ok := toShort(k); ok {
		if t.short == nil {
			t.short = map[shortKey]trackedReaders{}
		}
		t.short[s] = r
		return
	}
	if t.long == nil {
		t.long = map[string]trackedReaders{}
	}
	t.long[string(k)] = r
}

// take removes k, appending its readers' ids to dst; false when k was not
// there.
func (t *trackTable) take(k []byte, dst []int64) ([]int64, bool) {
	var r trackedReaders
	var found bool
	if s, ok := toShort(k); ok {
		if r, found = t.short[s]; found {
			delete(t.short, s)
		}
	} else if r, found = t.long[string(k)]; found {
		delete(t.long, string(k))
	}
	if !found {
		return dst, false
	}
	dst = t.appendReaders(dst, r)
	if r.more != 0 {
		m := &t.more[r.more-1]
		clear(m.ids)
		m.ids, m.big = m.ids[:0], nil
		t.freeMore = append(t.freeMore, r.more)
	}
	return dst, true
}

// eachKey calls fn with every key (a copy) until it returns false; fn may
// remove keys.
func (t *trackTable) eachKey(fn func(k []byte) bool) {
	for s := range t.short {
		if !fn(append([]byte(nil), s[:s[shortKeyMax]]...)) {
			return
		}
	}
	for k := range t.long {
		if !fn([]byte(k)) {
			return
		}
	}
}
