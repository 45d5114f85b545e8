package server

import "github.com/tandemdb/tandem/internal/command"

// trackedReaders is the set of default-mode tracking clients that read one
// key since it last changed: the first two ids inline (a key is mostly
// cached by one or two clients: recording a read then allocates nothing
// beyond the table's entry), the next ones in a slice searched linearly
// (a few dozen int64 compares cost less than a map lookup, which was most
// of a tracked read's extra cost once keys had several readers), and any
// beyond trackedSliceMax in a map.
type trackedReaders struct {
	ids  [2]int64
	n    int
	more []int64
	big  map[int64]struct{}
}

const trackedSliceMax = 32

// add records id; false when it was there already.
func (r *trackedReaders) add(id int64) bool {
	for _, x := range r.ids[:r.n] {
		if x == id {
			return false
		}
	}
	if r.n < len(r.ids) {
		r.ids[r.n] = id
		r.n++
		return true
	}
	for _, x := range r.more {
		if x == id {
			return false
		}
	}
	if len(r.more) < trackedSliceMax {
		r.more = append(r.more, id)
		return true
	}
	if _, ok := r.big[id]; ok {
		return false
	}
	if r.big == nil {
		r.big = map[int64]struct{}{}
	}
	r.big[id] = struct{}{}
	return true
}

func (r *trackedReaders) len() int { return r.n + len(r.more) + len(r.big) }

// each calls fn for every id, the inline ones first.
func (r *trackedReaders) each(fn func(id int64)) {
	for _, id := range r.ids[:r.n] {
		fn(id)
	}
	for _, id := range r.more {
		fn(id)
	}
	for id := range r.big {
		fn(id)
	}
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
// random); longer keys go to a map by string.
type trackTable struct {
	short map[shortKey]trackedReaders
	long  map[string]trackedReaders
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

// take removes k, returning its readers and whether it was there.
func (t *trackTable) take(k []byte) (trackedReaders, bool) {
	if s, ok := toShort(k); ok {
		r, found := t.short[s]
		if found {
			delete(t.short, s)
		}
		return r, found
	}
	r, found := t.long[string(k)]
	if found {
		delete(t.long, string(k))
	}
	return r, found
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
