package command

import (
	"math"
	"strconv"
	"strings"
)

// KeySpec is one of a command's key specifications as COMMAND INFO shows
// them (Redis 7.0's keySpec): where the search for keys begins, how they
// are found from there, and what the command does with them.
type KeySpec struct {
	Notes string
	// Flags are the key's flags, in Redis's order and spelling ("RW",
	// "access", "update"); COMMAND GETKEYSANDFLAGS answers them per key.
	Flags []string
	// begin_search: at argument BeginIndex (type index); or after the
	// first argument equal to Keyword, searched from StartFrom (type
	// keyword: a negative StartFrom searches backwards from the end); or
	// nowhere known (BeginUnknown: the keys are found by other means).
	BeginIndex   int
	Keyword      string
	StartFrom    int
	BeginUnknown bool
	// KeyNum: the keys are counted by an argument (find_keys keynum:
	// KeyNumIdx, FirstKey, KeyStep relative to BeginIndex); otherwise they
	// are a range (find_keys range: LastKey, KeyStep, Limit).
	// FindUnknown: find_keys type unknown.
	KeyNum                       bool
	KeyNumIdx, FirstKey, KeyStep int
	LastKey, Limit               int
	FindUnknown                  bool
}

// Flags Redis shows in COMMAND INFO that change no behaviour of Tandem's
// dispatch: they only describe the command to clients. They take high bits,
// apart from the behaviour flags of table.go, which grow from bit 0.
const (
	// NoMandatoryKeys: the command may run with no key at all (EVAL with
	// numkeys 0); COMMAND GETKEYS then answers an empty array.
	NoMandatoryKeys Flag = 1 << (iota + 24)
	// MovableKeys: the key positions depend on the arguments (numkeys).
	MovableKeys
)

// KeyRef is one key argument of a call: its position and its key-spec
// flags, as COMMAND GETKEYSANDFLAGS shows them.
type KeyRef struct {
	Pos   int
	Flags []string
}

// hasFlag reports whether the key spec has flag f.
func (ks *KeySpec) hasFlag(f string) bool {
	for _, x := range ks.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// HasKeys reports whether the command takes keys at all: one of its key
// specs is not marked not_key (SPUBLISH's channel is), or it finds its
// keys by code.
func (s *Spec) HasKeys() bool {
	if s.Meta == nil {
		return s.FirstKey > 0 || s.KeysFn != nil
	}
	for i := range s.KeySpecs {
		if !s.KeySpecs[i].hasFlag("not_key") {
			return true
		}
	}
	return false
}

// KeysWithFlags finds the keys of a call (args[0] is the command name) the
// way Redis 7.0 answers COMMAND GETKEYS[ANDFLAGS]: from the key specs when
// they are complete and their flags fixed, else from the command's own key
// finder (Keys) with the flags Redis's finders give. ok is false when the
// arguments do not hold the keys the specs promise (a bad numkeys, a range
// past the end).
func (s *Spec) KeysWithFlags(args [][]byte) (keys []KeyRef, ok bool) {
	usable := s.Meta != nil
	for i := range s.KeySpecs {
		if s.KeySpecs[i].hasFlag("variable_flags") {
			usable = false
		}
	}
	if usable {
		keys, complete := keysFromSpecs(s.KeySpecs, args)
		if complete {
			return keys, len(keys) > 0
		}
	}
	pos := s.Keys(args)
	for _, p := range pos {
		keys = append(keys, KeyRef{Pos: p, Flags: s.finderFlags(args, p)})
	}
	return keys, len(keys) > 0
}

// keysFromSpecs applies key specs to a call. complete is false when a spec
// cannot be followed (unknown search, marked incomplete) or the arguments
// do not fit it: the caller then asks the command's own finder.
func keysFromSpecs(specs []KeySpec, args [][]byte) (keys []KeyRef, complete bool) {
	n := len(args)
	for i := range specs {
		ks := &specs[i]
		if ks.hasFlag("not_key") {
			continue
		}
		if ks.BeginUnknown || ks.FindUnknown {
			return nil, false
		}
		first := ks.BeginIndex
		if ks.Keyword != "" {
			first = keywordEnd(args, ks.Keyword, ks.StartFrom)
			if first == 0 {
				continue // the keyword is absent: this spec names no key
			}
		}
		var last, step int
		if ks.KeyNum {
			idx := first + ks.KeyNumIdx
			if idx >= n {
				return nil, false
			}
			num, ok := parseNumKeys(args[idx])
			if !ok {
				return nil, false
			}
			step = ks.KeyStep
			first += ks.FirstKey
			last = first + num - 1
		} else {
			step = ks.KeyStep
			switch {
			case ks.LastKey >= 0:
				last = first + ks.LastKey
			case ks.Limit == 0:
				last = n + ks.LastKey
			default:
				// Keys take 1/Limit of what follows (XREAD STREAMS k… id…).
				last = first + (n-first)/ks.Limit + ks.LastKey
			}
		}
		if first >= n || last >= n || last < first {
			return nil, false
		}
		step = max(step, 1)
		for p := first; p <= last; p += step {
			keys = append(keys, KeyRef{Pos: p, Flags: ks.Flags})
		}
		if ks.hasFlag("incomplete") {
			return nil, false
		}
	}
	return keys, true
}

// keywordEnd is the position just after the first argument equal to kw
// (case-insensitively), searching from `from` forwards, or from n+from
// backwards when from is negative; 0 when there is none. As in Redis, a
// forward search stops before the last argument and a backward one before
// the first (argument 1).
func keywordEnd(args [][]byte, kw string, from int) int {
	n := len(args)
	if from > 0 {
		for i := from; i < n-1; i++ {
			if strings.EqualFold(string(args[i]), kw) {
				return i + 1
			}
		}
		return 0
	}
	for i := n + from; i > 1; i-- {
		if i < n && strings.EqualFold(string(args[i]), kw) {
			return i + 1
		}
	}
	return 0
}

// parseNumKeys reads a numkeys argument: a non-negative integer.
func parseNumKeys(b []byte) (int, bool) {
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v < 0 || v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}

// finderFlags are the flags of a key found by the command's own finder:
// what Redis's finders give for the commands whose specs cannot be
// followed or whose flags vary with the arguments, else the flags of the
// first spec that names that position.
func (s *Spec) finderFlags(args [][]byte, pos int) []string {
	switch s.Name {
	case "set":
		// SET … GET reads the old value.
		for _, a := range args[min(3, len(args)):] {
			if strings.EqualFold(string(a), "get") {
				return []string{"RW", "access", "update"}
			}
		}
		return []string{"OW", "update"}
	case "bitfield":
		if bitfieldReadOnly(args) {
			return []string{"RO", "access"}
		}
		return []string{"RW", "access", "update"}
	case "sort", "sort_ro", "georadius", "georadiusbymember":
		if pos == 1 {
			return []string{"RO", "access"}
		}
		return []string{"OW", "update"}
	case "migrate":
		return []string{"RW", "access", "delete"}
	}
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		if one, ok := keysFromSpecs(s.KeySpecs[i:i+1], args); ok || len(one) > 0 {
			for _, k := range one {
				if k.Pos == pos {
					return ks.Flags
				}
			}
		}
	}
	if len(s.KeySpecs) > 0 {
		return s.KeySpecs[0].Flags
	}
	return nil
}

// bitfieldReadOnly reports whether a BITFIELD call only reads: nothing but
// well-formed GET and OVERFLOW operations (anything else, SET, INCRBY or
// a malformed operation, counts as a write).
func bitfieldReadOnly(args [][]byte) bool {
	for i := 2; i < len(args); {
		left := len(args) - i - 1
		switch op := strings.ToLower(string(args[i])); {
		case op == "get" && left >= 2:
			i += 3
		case op == "overflow" && left >= 1:
			i += 2
		default:
			return false
		}
	}
	return true
}
