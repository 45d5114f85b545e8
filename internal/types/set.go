package types

import (
	"strconv"

	"github.com/tandemdb/tandem/internal/resp"
)

// Set is Redis's set. While every member is an integer in string2ll form
// (resp.ParseInt) and there are at most set-max-intset-entries of them, it is
// an intset; otherwise a dict ("hashtable"). Like Redis 7.0 (which has no set
// listpack) it never converts back.
//
// The zero value is an empty set.
type Set struct {
	is intset // small encoding; nil when empty
	d  *dict  // big encoding, or nil
}

// NewSet returns an empty set.
func NewSet() *Set { return &Set{} }

// Len returns the number of members (SCARD).
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	if s.d != nil {
		return s.d.len()
	}
	if s.is == nil {
		return 0
	}
	return s.is.len()
}

// Encoding answers OBJECT ENCODING: "intset" or "hashtable".
func (s *Set) Encoding() string {
	if s.d != nil {
		return "hashtable"
	}
	return "intset"
}

// Add inserts m and reports whether it was new (SADD).
func (s *Set) Add(m []byte, lim *Limits) bool {
	if s.d == nil {
		if v, ok := resp.ParseInt(m); ok {
			if s.is == nil {
				s.is = newIntset()
			}
			var added bool
			s.is, added = s.is.add(v)
			if added && s.is.len() > limitsOrDefault(lim).SetMaxIntsetEntries {
				s.convert()
			}
			return added
		}
		s.convert()
	}
	if s.d.find(m) >= 0 {
		return false
	}
	s.d.add(m, nil)
	return true
}

func (s *Set) convert() {
	n := s.Len()
	d := newDict(dictKeys, n+1)
	var buf [20]byte
	for i := 0; i < n; i++ {
		d.add(strconv.AppendInt(buf[:0], s.is.get(i), 10), nil)
	}
	s.d, s.is = d, nil
}

// Remove deletes m and reports whether it was present (SREM).
func (s *Set) Remove(m []byte) bool {
	if s.d != nil {
		if i := s.d.find(m); i >= 0 {
			s.d.delete(i)
			return true
		}
		return false
	}
	v, ok := resp.ParseInt(m)
	if !ok || s.is == nil {
		return false
	}
	var removed bool
	if s.is, removed = s.is.remove(v); removed && s.is.len() == 0 {
		s.is = nil
	}
	return removed
}

// Has reports whether m is a member (SISMEMBER, SMISMEMBER). A nil set is
// empty.
func (s *Set) Has(m []byte) bool {
	if s == nil {
		return false
	}
	if s.d != nil {
		return s.d.find(m) >= 0
	}
	if s.is == nil {
		return false
	}
	v, ok := resp.ParseInt(m)
	return ok && s.is.has(v)
}

// hasInt is Has for a member known to be the integer v.
func (s *Set) hasInt(v int64) bool {
	if s.d != nil {
		var buf [20]byte
		return s.d.find(strconv.AppendInt(buf[:0], v, 10)) >= 0
	}
	return s.is != nil && s.is.has(v)
}

// member returns member i: a view of stored bytes, or the integer formatted
// into buf.
func (s *Set) member(i int, buf *[20]byte) []byte {
	if s.d != nil {
		return sbytes(s.d.key(i))
	}
	return strconv.AppendInt(buf[:0], s.is.get(i), 10)
}

// Each calls fn for every member until fn returns false: ascending numeric
// order for an intset, table order (stable while unmodified) otherwise.
func (s *Set) Each(fn func(m []byte) bool) {
	var buf [20]byte
	for i, n := 0, s.Len(); i < n; i++ {
		if !fn(s.member(i, &buf)) {
			return
		}
	}
}

// Clone returns an independent copy with the same encoding.
func (s *Set) Clone() *Set {
	c := &Set{}
	if s.d != nil {
		c.d = s.d.clone()
	} else if s.is != nil {
		c.is = append(intset(nil), s.is...)
	}
	return c
}

// PopOne removes and returns a uniformly chosen member (SPOP without count).
// The bytes are the caller's to keep (but not to modify).
func (s *Set) PopOne() ([]byte, bool) {
	n := s.Len()
	if n == 0 {
		return nil, false
	}
	i := s.randomIndex()
	if s.d != nil {
		m := sbytes(s.d.key(i)) // the string outlives its removal
		s.d.delete(i)
		return m, true
	}
	m := strconv.AppendInt(nil, s.is.get(i), 10)
	if s.is = s.is.removeAt(i); s.is.len() == 0 {
		s.is = nil
	}
	return m, true
}

func (s *Set) randomIndex() int {
	if s.d != nil {
		return s.d.random()
	}
	return randIntN(s.is.len())
}

// Pop removes min(count, Len) uniformly chosen members, calling fn for each
// (SPOP with count; count must be positive). It returns how many it removed.
// When count >= Len every member is returned and the set is left empty.
func (s *Set) Pop(count int, fn func(m []byte)) int {
	n := s.Len()
	if count >= n {
		s.Each(func(m []byte) bool { fn(m); return true })
		s.is, s.d = nil, nil
		return n
	}
	for i := 0; i < count; i++ {
		m, _ := s.PopOne()
		fn(m)
	}
	return count
}

// RandMember returns a uniformly chosen member (SRANDMEMBER without count).
func (s *Set) RandMember() ([]byte, bool) {
	if s.Len() == 0 {
		return nil, false
	}
	var buf [20]byte
	m := s.member(s.randomIndex(), &buf)
	return append([]byte(nil), m...), true
}

// RandMembers implements SRANDMEMBER's count: count > 0 yields min(count,
// Len) distinct members (every member when count >= Len), count < 0 yields
// -count uniform picks with repeats. The handler bounds a huge negative
// count.
func (s *Set) RandMembers(count int, fn func(m []byte)) {
	var buf [20]byte
	sampleCount(s.Len(), count, func(i int) { fn(s.member(i, &buf)) })
}

// Scan implements SSCAN like Hash.Scan: an intset is returned whole with
// cursor 0; a dict is scanned with a cursor that never misses a member
// present for the whole scan.
func (s *Set) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	if s.d == nil {
		s.Each(func(m []byte) bool { fn(m); return true })
		return 0
	}
	return s.d.scan(cursor, count, func(i int) { fn(sbytes(s.d.key(i))) })
}
