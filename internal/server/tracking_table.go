package server

import "github.com/tandemdb/tandem/internal/command"

// trackedReaders is the set of default-mode tracking clients that read one
// key since it last changed: the first two ids inline (a key is mostly
// cached by one or two clients: recording a read then allocates nothing
// beyond the table's entry), any more in a map.
type trackedReaders struct {
	ids  [2]int64
	n    int
	more map[int64]struct{}
}

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
	if _, ok := r.more[id]; ok {
		return false
	}
	if r.more == nil {
		r.more = map[int64]struct{}{}
	}
	r.more[id] = struct{}{}
	return true
}

func (r *trackedReaders) len() int { return r.n + len(r.more) }

// each calls fn for every id, the inline ones first.
func (r *trackedReaders) each(fn func(id int64)) {
	for _, id := range r.ids[:r.n] {
		fn(id)
	}
	for id := range r.more {
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
