package rdb

import (
	"errors"
	"math"
	"strconv"
)

// Integers stored as strings are recognised with resp.ParseInt (Redis's
// string2ll): only the canonical decimal form may be stored as an integer,
// because the integer is printed back in that form and anything else ("007",
// "-0", "+1") would not round-trip.

// appendScore appends the text Redis 7.0 stores for a sorted-set score
// inside a listpack (util.c:d2string): "inf"/"-inf", "0"/"-0", plain
// integers when the value is integral and below 2^52 in magnitude, otherwise
// printf's "%.17g". The 17 digits always round-trip; Go's 'g' format with
// precision 17 produces the same text as C's (same exponent threshold, same
// two-digit minimum exponent, trailing zeros removed), checked against files
// written by Redis 7.0.15 ("0.10000000000000001", "1e+20").
func appendScore(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	case f > -(1<<52-1) && f < 1<<52 && f == math.Trunc(f):
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

var errBadScore = errors.New("invalid score")

// parseScore parses a score stored as text (listpack/ziplist elements, the
// ASCII doubles of type 3). Redis uses strtod, which also yields ±inf for
// out-of-range values; ParseFloat returns those with ErrRange, accepted here.
func parseScore(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, errBadScore
		}
	}
	return f, nil
}
