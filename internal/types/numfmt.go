package types

import (
	"math"
	"strconv"
)

// Number parsing and formatting with Redis 7.0's exact rules. Redis leans on
// C's strtod/strtold and printf, whose grammars differ from Go's strconv
// (hex floats without an exponent, no underscores, "infinity", underflow to
// zero reported as ERANGE), so the grammar is scanned here and strconv or
// math/big only computes the value. Integers in string2ll form are parsed
// by resp.ParseInt, the one integer parser shared by every package.

// ParseFloat parses a double the way Redis's getDoubleFromObject does (ZADD
// and ZINCRBY scores, INCRBYFLOAT-free double arguments): the whole input must
// be one strtod number; no leading space; "inf", "+inf", "-inf", "infinity"
// in any case and hex floats are accepted; "nan", overflow and underflow to
// zero are rejected. On failure Redis replies "ERR value is not a valid float".
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, sc := strtod(b)
	if sc.n != len(b) || sc.erange || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// AppendScore appends f the way Redis 7.0 replies with a double (ZSCORE,
// WITHSCORES, ZINCRBY, ...): printf "%.17g", with "inf" and "-inf". RESP3
// double replies use the same text after the ',' marker.
func AppendScore(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	// strconv's 'g' with an explicit precision follows C's %g: exponent form
	// when exp < -4 or exp >= precision, trailing zeros removed, and at least
	// two exponent digits.
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// FormatScore returns AppendScore(nil, f).
func FormatScore(f float64) []byte { return AppendScore(nil, f) }

func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// numScan describes the longest prefix strtod would consume.
type numScan struct {
	n       int  // bytes consumed; 0 when no number was found
	neg     bool // leading '-'
	inf     bool
	nan     bool
	hex     bool
	start   int // first byte of the number (after spaces), including sign
	mant    int // first mantissa digit or '.'
	mantEnd int // end of the mantissa (start of the exponent marker, if any)
	exp     int // value of the exponent, saturated at ±1e9
	hasExp  bool
	nonzero bool // the mantissa has a non-zero digit
	erange  bool // set by strtod: overflow, or a non-zero input that became 0
}

// scanNumber scans b like glibc's strtod in the C locale, after skipping
// leading white space.
func scanNumber(b []byte) numScan {
	var s numScan
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	s.start = i
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		s.neg = b[i] == '-'
		i++
	}
	if n := matchFold(b[i:], "infinity"); n == 8 || n >= 3 {
		if n != 8 {
			n = 3
		}
		s.inf, s.n = true, i+n
		return s
	}
	if matchFold(b[i:], "nan") == 3 {
		s.nan, s.n = true, i+3
		// An optional "(n-char-sequence)" is part of the number only when closed.
		if j := i + 3; j < len(b) && b[j] == '(' {
			for j++; j < len(b) && (isAlnum(b[j]) || b[j] == '_'); j++ {
			}
			if j < len(b) && b[j] == ')' {
				s.n = j + 1
			}
		}
		return s
	}
	digit := isDigit
	if i+2 < len(b) && b[i] == '0' && (b[i+1]|0x20) == 'x' && (isHex(b[i+2]) || (b[i+2] == '.' && i+3 < len(b) && isHex(b[i+3]))) {
		s.hex, digit = true, isHex
		i += 2
	}
	s.mant = i
	digits := 0
	for i < len(b) && digit(b[i]) {
		s.nonzero = s.nonzero || b[i] != '0'
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && digit(b[i]) {
			s.nonzero = s.nonzero || b[i] != '0'
			i++
			digits++
		}
	}
	if digits == 0 {
		return numScan{}
	}
	s.mantEnd = i
	marker := byte('e')
	if s.hex {
		marker = 'p'
	}
	if i < len(b) && b[i]|0x20 == marker {
		j := i + 1
		eneg := false
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			eneg = b[j] == '-'
			j++
		}
		if j < len(b) && isDigit(b[j]) {
			e := 0
			for ; j < len(b) && isDigit(b[j]); j++ {
				if e < 1e9 {
					e = e*10 + int(b[j]-'0')
				}
			}
			if eneg {
				e = -e
			}
			s.exp, s.hasExp, i = e, true, j
		}
	}
	s.n = i
	return s
}

// strtod returns the double glibc's strtod computes for the prefix it
// consumes, with ERANGE folded into the scan.
func strtod(b []byte) (float64, numScan) {
	s := scanNumber(b)
	switch {
	case s.n == 0:
		return 0, s
	case s.nan:
		return math.NaN(), s
	case s.inf:
		if s.neg {
			return math.Inf(-1), s
		}
		return math.Inf(1), s
	}
	var text string
	if s.hex {
		// Go requires the binary exponent that C makes optional.
		t := make([]byte, 0, s.n-s.start+3)
		if s.neg {
			t = append(t, '-')
		}
		t = append(t, "0x"...)
		t = append(t, b[s.mant:s.mantEnd]...)
		t = append(t, 'p')
		t = strconv.AppendInt(t, int64(s.exp), 10)
		text = string(t)
	} else {
		text = string(b[s.start:s.n])
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// Only ErrRange is possible on text the scanner accepted: overflow,
		// and f is already ±Inf (HUGE_VAL) like strtod's.
		s.erange = true
	} else if f == 0 && s.nonzero {
		s.erange = true
	}
	return f, s
}

func matchFold(b []byte, word string) int {
	n := 0
	for n < len(b) && n < len(word) && b[n]|0x20 == word[n] {
		n++
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }
