package types

import "math"

// SortWeight converts a SORT weight the way Redis's sortCommand does with
// strtod: the number may have leading white space and must end the string
// or be followed by a NUL byte (Redis looks at the C string); a string with
// no number at all is 0 when it is empty or starts with a NUL. Overflow,
// underflow and NaN are refused ("One or more scores can't be converted
// into double").
func SortWeight(b []byte) (float64, bool) {
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
