package types

import "math"

// SortWeight converts a SORT weight the way Redis's sortCommand does with
// strtod: the number may have leading white space and must end the string
// or be followed by a NUL byte (Redis looks at the C string); a string with
// no number at all is 0 when it is empty or starts with a NUL. Overflow,
// underflow and NaN are refused ("One or more scores can't be converted
// into double").
func SortWeight(b []byte) (float64, bool) {
	if f, ok := smallInt(b); ok {
		return f, true
	}
	f, sc := strtod(b)
	end := sc.n // strtod leaves the end pointer at the start when it finds nothing
	if end < len(b) && b[end] != 0 {
		return 0, false
	}
	if sc.n == 0 {
		return 0, true
	}
	if sc.erange || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// smallInt reads a plain decimal integer of at most 15 digits (an optional
// '-' first): the common SORT weight, which strtod would read to the same
// float exactly (it is below 2^53), at a fraction of the cost.
func smallInt(b []byte) (float64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	digits := b
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		if n == 0 {
			return math.Copysign(0, -1), true // strtod keeps the sign of -0
		}
		n = -n
	}
	return float64(n), true
}
