package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
)

// dflags are a directive's properties, as Redis 7.0 defines them.
type dflags uint8

const (
	immutable   dflags = 1 << iota // CONFIG SET refuses it
	protected                      // CONFIG SET needs enable-protected-configs
	denyLoading                    // CONFIG SET refuses it while loading
	hidden                         // CONFIG GET matches it by exact name only
	multiArg                       // takes any number of arguments; CONFIG SET splits its value on ' '
	sensitive                      // its value must not reach logs (masterauth, requirepass…)
	// volatile: a CONFIG SET to the value it already has still counts as a
	// change (Redis's VOLATILE_CONFIG: the TLS files, which CONFIG SET
	// reloads from disk, so that rotated certificates load under the same
	// names).
	volatile
)

// rwLine is one line CONFIG REWRITE wants in the file. A forced line is
// appended if no line for the directive can be reused; an unforced one (the
// value is the default) only replaces an existing line.
type rwLine struct {
	text  string
	force bool
}

// directive is one entry of the table: how to parse, show, default and
// rewrite a setting. set receives the arguments after the name and returns
// a reason on refusal; it must replace slices in Config, never change them
// in place, because Set's rollback relies on it.
type directive struct {
	name    string
	alias   string
	flags   dflags
	init    func(c *Config)
	set     func(c *Config, args []string) error
	get     func(c *Config) string
	rewrite func(c *Config) []rwLine // nil lines: keep no line for it
	// afterSet adjusts a value CONFIG SET gave (and only CONFIG SET, as
	// Redis does it in its apply step): repl-backlog-size's minimum.
	afterSet func(c *Config)
}

// slot is where a directive keeps its value: a typed Config field, or, for
// the settings Tandem only stores (field is nil), an entry in c.stored.
type slot[T any] struct {
	name  string
	field func(*Config) *T
}

func (s slot[T]) load(c *Config) T {
	if s.field != nil {
		return *s.field(c)
	}
	return c.stored[s.name].(T)
}

func (s slot[T]) store(c *Config, v T) {
	if s.field != nil {
		*s.field(c) = v
		return
	}
	c.stored[s.name] = v
}

func boolean(name, alias string, fl dflags, def bool, field func(*Config) *bool) *directive {
	s := slot[bool]{name, field}
	return &directive{
		name: name, alias: alias, flags: fl,
		init: func(c *Config) { s.store(c, def) },
		set: func(c *Config, args []string) error {
			switch lower(cString(args[0])) {
			case "yes":
				s.store(c, true)
			case "no":
				s.store(c, false)
			default:
				return reason("argument must be 'yes' or 'no'")
			}
			return nil
		},
		get: func(c *Config) string { return yesNo(s.load(c)) },
		rewrite: func(c *Config) []rwLine {
			v := s.load(c)
			return []rwLine{{name + " " + yesNo(v), v != def}}
		},
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// numKind is how a numeric directive reads and shows its value.
type numKind int

const (
	kInt        numKind = iota // plain integer (string2ll)
	kMem                       // memory value, bounds compared signed
	kUmem                      // memory value, bounds compared unsigned
	kMemPercent                // memory value, or "n%" kept as -n
	kOctal                     // octal, bounds compared unsigned
)

type integer interface {
	~int | ~int64 | ~uint64 | ~uint32
}

// number is any numeric directive. Values travel as int64; an unsigned
// setting above MaxInt64 (maxmemory) round-trips through the conversion.
func number[T integer](name, alias string, fl dflags, k numKind, min, max int64, def T, field func(*Config) *T) *directive {
	s := slot[T]{name, field}
	return &directive{
		name: name, alias: alias, flags: fl,
		init: func(c *Config) { s.store(c, def) },
		set: func(c *Config, args []string) error {
			v, err := k.parse(args[0])
			if err == nil {
				err = k.check(v, min, max)
			}
			if err != nil {
				return err
			}
			s.store(c, T(v))
			return nil
		},
		get: func(c *Config) string { return k.format(int64(s.load(c))) },
		rewrite: func(c *Config) []rwLine {
			v := s.load(c)
			return []rwLine{{name + " " + k.formatRewrite(int64(v)), v != def}}
		},
	}
}

func (k numKind) memory() bool { return k == kMem || k == kUmem || k == kMemPercent }

func (k numKind) parse(s string) (int64, error) {
	if k.memory() {
		if v, ok := parseMemory(cString(s)); ok {
			return int64(v), nil
		}
	}
	switch k {
	case kMemPercent:
		if len(s) > 1 && s[len(s)-1] == '%' {
			if v, ok := resp.ParseInt([]byte(s[:len(s)-1])); ok && v >= 0 {
				return -v, nil
			}
		}
		return 0, reason("argument must be a memory or percent value")
	case kOctal:
		if v, rest, ok := parseCInt(cString(s), 8); ok && rest == "" {
			return v, nil
		}
		return 0, reason("argument couldn't be parsed as an octal number")
	case kInt:
		if v, ok := resp.ParseInt([]byte(s)); ok {
			return v, nil
		}
		return 0, reason("argument couldn't be parsed into an integer")
	}
	return 0, reason("argument must be a memory value")
}

func (k numKind) check(v, min, max int64) error {
	switch {
	case k == kUmem || k == kOctal:
		if uint64(v) > uint64(max) || uint64(v) < uint64(min) {
			if k == kOctal {
				return reason(fmt.Sprintf("argument must be between %o and %o inclusive", uint64(min), uint64(max)))
			}
			return reason(fmt.Sprintf("argument must be between %d and %d inclusive", uint64(min), uint64(max)))
		}
	case k == kMemPercent && v < 0:
		if v < min {
			return reason(fmt.Sprintf("percentage argument must be less or equal to %d", -min))
		}
	case v > max || v < min:
		return reason(fmt.Sprintf("argument must be between %d and %d inclusive", min, max))
	}
	return nil
}

func (k numKind) format(v int64) string {
	switch {
	case k == kMemPercent && v < 0:
		return strconv.FormatInt(-v, 10) + "%"
	case k.memory():
		return strconv.FormatUint(uint64(v), 10)
	case k == kOctal:
		return strconv.FormatInt(v, 8)
	}
	return strconv.FormatInt(v, 10)
}

func (k numKind) formatRewrite(v int64) string {
	if k.memory() && !(k == kMemPercent && v < 0) {
		return formatMemory(uint64(v))
	}
	return k.format(v)
}

// enum is a directive taking one of names, case-insensitively. canon, when
// given, maps each name's index to the index of the name shown for it
// (oom-score-adj shows "relative" as "yes").
func enum[T ~int](name, alias string, fl dflags, names []string, canon []int, def T, field func(*Config) *T) *directive {
	s := slot[T]{name, field}
	return &directive{
		name: name, alias: alias, flags: fl,
		init: func(c *Config) { s.store(c, def) },
		set: func(c *Config, args []string) error {
			v := lower(cString(args[0]))
			for i, n := range names {
				if v == n {
					if canon != nil {
						i = canon[i]
					}
					s.store(c, T(i))
					return nil
				}
			}
			return enumError(names)
		},
		get: func(c *Config) string { return enumName(names, int(s.load(c))) },
		rewrite: func(c *Config) []rwLine {
			v := s.load(c)
			return []rwLine{{name + " " + enumName(names, int(v)), v != def}}
		},
	}
}

func enumError(names []string) error {
	return reason("argument(s) must be one of the following: " + strings.Join(names, ", "))
}

// str is a string directive. With emptyIsNull the empty string means
// "unset" (Redis's NULL): CONFIG REWRITE then writes no line for it, and
// any other value is always written.
func str(name, alias string, fl dflags, def string, emptyIsNull bool, valid func(*Config, string) error, field func(*Config) *string) *directive {
	s := slot[string]{name, field}
	return &directive{
		name: name, alias: alias, flags: fl,
		init: func(c *Config) { s.store(c, def) },
		set: func(c *Config, args []string) error {
			if valid != nil {
				if err := valid(c, args[0]); err != nil {
					return err
				}
			}
			s.store(c, args[0])
			return nil
		},
		get: func(c *Config) string { return s.load(c) },
		rewrite: func(c *Config) []rwLine {
			v := s.load(c)
			if emptyIsNull && v == "" {
				return nil
			}
			return []rwLine{{name + " " + quote(v), emptyIsNull || v != def}}
		},
	}
}

// Stored-only settings: validated like the others, kept in c.stored.

func storedBool(name, alias string, fl dflags, def bool) *directive {
	return boolean(name, alias, fl, def, nil)
}

func storedNum(name, alias string, fl dflags, k numKind, min, max, def int64) *directive {
	return number[int64](name, alias, fl, k, min, max, def, nil)
}

func storedEnum(name string, fl dflags, names []string, def string) *directive {
	for i, n := range names {
		if n == def {
			return enum[int](name, "", fl, names, nil, i, nil)
		}
	}
	panic("config: default " + def + " not among " + name + "'s values")
}

func storedStr(name string, fl dflags, def string, emptyIsNull bool, valid func(*Config, string) error) *directive {
	return str(name, "", fl, def, emptyIsNull, valid, nil)
}
