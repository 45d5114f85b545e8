package rdb

import (
	"errors"
	"math"
	"strconv"
)

// parseCanonicalInt reports whether b is the canonical decimal form of an
// int64, the rule of Redis's string2ll: an optional '-', no '+', no leading
// zeros (except "0" itself), no spaces, no "-0". Only such strings may be
// stored as integers, because the integer is printed back in this form and
// anything else would not round-trip.
func parseCanonicalInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	i, neg := 0, b[0] == '-'
	if neg {
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

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
