package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	"github.com/tandemdb/tandem/internal/resp"
)

// The number parsers below reproduce the C functions Redis 7.0 uses, quirks
// included, because users' redis.conf files depend on exactly what those
// accept: memtoull for memory values, string2ll for plain integers (that
// one is resp.ParseInt, shared with the rest of the server), and strtoll for
// the special directives (save, client-output-buffer-limit,
// oom-score-adj-values, unixsocketperm, replicaof's port). memtoull and
// strtoll are more lenient than string2ll (a '+', leading spaces or zeros,
// saturation), and redis.conf files rely on that, so they stay here.

// cString is s as Redis's C parsers read a value (memtoull, strtoll,
// strcasecmp): up to its first NUL byte. CONFIG SET "1\x00" on a memory
// directive sets 1, as in Redis; string2ll, which is given the length, and
// so resp.ParseInt, still refuse the NUL.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// parseMemory converts "100", "1k", "1kb", "5MB", "2g"… to bytes. Units are
// case-insensitive: k/m/g are powers of 1000, kb/mb/gb powers of 1024, b is 1.
// Like Redis, digits may be absent ("kb" is 0), an overflowing number
// saturates before the unit multiplies it, and the multiplication wraps.
func parseMemory(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	u := 0
	for u < len(s) && s[u] >= '0' && s[u] <= '9' {
		u++
	}
	var mul uint64
	switch strings.ToLower(s[u:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if u >= 128 {
		return 0, false
	}
	var v uint64
	for i := 0; i < u; i++ {
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			v = math.MaxUint64
			break
		}
		v = v*10 + d
	}
	return v * mul, true
}

// formatMemory is the form CONFIG REWRITE writes memory values in: the
// largest of gb, mb or kb that divides the value, else plain bytes.
func formatMemory(v uint64) string {
	const kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case v != 0 && v%gb == 0:
		return strconv.FormatUint(v/gb, 10) + "gb"
	case v != 0 && v%mb == 0:
		return strconv.FormatUint(v/mb, 10) + "mb"
	case v != 0 && v%kb == 0:
		return strconv.FormatUint(v/kb, 10) + "kb"
	}
	return strconv.FormatUint(v, 10)
}

// parseCInt is C's strtoll: leading white space and a sign are accepted,
// then digits in base; rest is what follows the digits (all of s when there
// are none, as C's endptr), and overflow saturates and reports ok=false.
func parseCInt(s string, base uint64) (v int64, rest string, ok bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	overflow := false
	for ; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if s[i] < '0' || d >= base {
			break
		}
		if u > (math.MaxUint64-d)/base {
			overflow = true
		} else {
			u = u*base + d
		}
	}
	if i == start {
		return 0, s, true
	}
	switch {
	case neg && (overflow || u > 1<<63):
		return math.MinInt64, s[i:], false
	case !neg && (overflow || u > math.MaxInt64):
		return math.MaxInt64, s[i:], false
	case neg:
		return int64(-u), s[i:], true
	}
	return int64(u), s[i:], true
}

// parseCFloat is strtod as latency-tracking-info-percentiles uses it: the
// whole string must be a number, NaN is refused, and so is an underflow to
// zero (C reports it as ERANGE).
func parseCFloat(s string) (float64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	if t == "" || strings.ContainsRune(t, '_') {
		return 0, false
	}
	num := t
	body := strings.TrimLeft(t, "+-")
	hex := len(body) > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')
	if hex && !strings.ContainsAny(body, "pP") {
		num += "p0" // C accepts hex floats without an exponent; Go does not.
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	if f == 0 {
		mant, exp, digits := body, "eE", "123456789"
		if hex {
			mant, exp, digits = body[2:], "pP", "123456789abcdefABCDEF"
		}
		if i := strings.IndexAny(mant, exp); i >= 0 {
			mant = mant[:i]
		}
		if strings.ContainsAny(mant, digits) {
			return 0, false // underflow
		}
	}
	return f, true
}

// formatFloat is Redis's "%f" followed by trimDoubleString.
func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', 6, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// quote is Redis's sdscatrepr: the form CONFIG REWRITE writes strings in and
// redis-server turns command-line values into. resp.SplitArgs reads it back.
func quote(s string) string { return string(resp.AppendRepr(nil, s)) }

// lower folds ASCII only, as Redis's sdstolower does.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// strerror renders an OS error the way C's strerror does ("No such file or
// directory"), which is what Redis puts in its messages.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := errno.Error()
		if msg == "" {
			return msg
		}
		r := []rune(msg)
		r[0] = unicode.ToUpper(r[0])
		return string(r)
	}
	return err.Error()
}

// ParseMemory is parseMemory for other packages (DEBUG arguments).
func ParseMemory(s string) (uint64, bool) { return parseMemory(s) }
