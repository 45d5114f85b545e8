package types

import (
	"errors"
	"math/big"
)

// INCRBYFLOAT and HINCRBYFLOAT compute in C long double, which on x86-64 is
// the x87 80-bit format (64-bit mantissa), and print with "%.17Lf" minus
// trailing zeros. The extra precision is visible: 10.5 INCRBYFLOAT 0.1 is
// "10.6" only because the sum is rounded to 64 bits, not 53. big.Float with
// 64 bits of precision and round-to-nearest-even reproduces the arithmetic;
// the exponent range (and the subnormals below it) is checked by hand.

// LongDouble is an x87 extended-precision value. The zero value is 0.
type LongDouble struct {
	f *big.Float // nil means zero
}

const (
	ldPrec    = 64
	ldMaxExp  = 16384  // |x| < 2^16384
	ldMinNorm = -16381 // MantExp of the smallest normal, 2^-16382
	ldMinSub  = -16445 // the smallest subnormal is 2^-16445
	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses
	// inputs this long or longer.
	maxLongDoubleChars = 5 * 1024
)

// Errors of IncrByFloat. The handler maps them to Redis's texts: INCRBYFLOAT
// answers "ERR value is not a valid float" to both parse errors, HINCRBYFLOAT
// answers "ERR hash value is not a float" to ErrValueNotFloat.
var (
	ErrValueNotFloat = errors.New("value is not a valid float")
	ErrIncrNotFloat  = errors.New("increment is not a valid float")
	ErrNaNOrInf      = errors.New("increment would produce NaN or Infinity")
)

// ParseLongDouble parses b with Redis's string2ld rules: the whole input is
// one strtold number, no leading space, shorter than 5120 bytes, not NaN,
// neither overflowing nor underflowing to zero. "inf" parses (to infinity).
func ParseLongDouble(b []byte) (LongDouble, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars || isCSpace(b[0]) {
		return LongDouble{}, false
	}
	s := scanNumber(b)
	if s.n != len(b) || s.nan {
		return LongDouble{}, false
	}
	if s.inf {
		return LongDouble{new(big.Float).SetInf(s.neg)}, true
	}
	x := exactValue(b, s)
	if x == nil {
		// The exponent alone is out of range.
		return LongDouble{}, false
	}
	r := roundLD(x)
	if r.IsInf() || (r.Sign() == 0 && s.nonzero) {
		return LongDouble{}, false // ERANGE
	}
	if s.neg {
		r.Neg(r)
	}
	return LongDouble{r}, true
}

// exactValue returns the exact (unrounded) magnitude of a scanned finite
// number, or nil when its exponent is so large or small that the value is
// certainly out of range (no need to build a giant power of ten).
func exactValue(b []byte, s numScan) *big.Float {
	var m big.Int
	frac := 0
	seenDot := false
	base := int64(10)
	if s.hex {
		base = 16
	}
	digits := make([]byte, 0, s.mantEnd-s.mant)
	for _, c := range b[s.mant:s.mantEnd] {
		if c == '.' {
			seenDot = true
			continue
		}
		digits = append(digits, c)
		if seenDot {
			frac++
		}
	}
	m.SetString(string(digits), int(base))
	x := new(big.Float)
	if m.Sign() == 0 {
		return x
	}
	if s.hex {
		x.SetInt(&m) // exact: precision is set from the integer
		e := int64(s.exp) - 4*int64(frac)
		if e > 1<<20 || e < -(1<<20) {
			if e > 0 {
				return new(big.Float).SetInf(false)
			}
			return new(big.Float)
		}
		return x.SetMantExp(x, int(e))
	}
	e := s.exp - frac
	// len(digits) < 5120, so beyond these bounds the result overflows or
	// underflows whatever the digits are.
	if e+len(digits) > 6000 {
		return new(big.Float).SetInf(false)
	}
	if e+len(digits) < -6000 {
		return new(big.Float)
	}
	if e >= 0 {
		var p big.Int
		p.Exp(big.NewInt(10), big.NewInt(int64(e)), nil)
		m.Mul(&m, &p)
		return x.SetInt(&m)
	}
	var p big.Int
	p.Exp(big.NewInt(10), big.NewInt(int64(-e)), nil)
	var q big.Rat
	q.SetFrac(&m, &p)
	// SetRat rounds correctly; give it far more bits than needed so that the
	// only rounding that matters happens in roundLD.
	return x.SetPrec(ldPrec + 64).SetRat(&q)
}

// roundLD rounds x to the x87 format: 64-bit mantissa, overflow to infinity,
// gradual underflow onto multiples of 2^-16445.
func roundLD(x *big.Float) *big.Float {
	if x.IsInf() {
		return new(big.Float).SetInf(x.Signbit())
	}
	r := new(big.Float).SetMode(big.ToNearestEven).SetPrec(ldPrec).Set(x)
	if r.Sign() == 0 {
		return r
	}
	e := r.MantExp(nil)
	if e > ldMaxExp {
		return new(big.Float).SetInf(r.Signbit())
	}
	if e < ldMinNorm {
		// Subnormal: only the bits down to 2^-16445 survive.
		bitsLeft := e - ldMinSub
		if bitsLeft <= 0 {
			// |x| < 2^-16445: rounds to 2^-16445 if above half of it, else 0
			// (a tie rounds to the even 0).
			half := new(big.Float).SetMantExp(big.NewFloat(1), ldMinSub-1)
			a := new(big.Float).Abs(x)
			if bitsLeft == 0 && a.Cmp(half) > 0 {
				return new(big.Float).SetMantExp(big.NewFloat(1), ldMinSub).SetPrec(ldPrec)
			}
			return new(big.Float).SetPrec(ldPrec)
		}
		r = new(big.Float).SetMode(big.ToNearestEven).SetPrec(uint(bitsLeft)).Set(x)
		r.SetPrec(ldPrec)
	}
	return r
}

// IsZero reports whether x is zero.
func (x LongDouble) IsZero() bool { return x.f == nil || x.f.Sign() == 0 }

// IsInf reports whether x is infinite.
func (x LongDouble) IsInf() bool { return x.f != nil && x.f.IsInf() }

// Add returns x+y rounded to long double. ok is false when the sum is NaN
// (infinities of opposite signs); an overflowing sum is infinite.
func (x LongDouble) Add(y LongDouble) (sum LongDouble, ok bool) {
	switch {
	case x.f == nil:
		return y, true
	case y.f == nil:
		return x, true
	case x.f.IsInf() && y.f.IsInf() && x.f.Signbit() != y.f.Signbit():
		return LongDouble{}, false
	}
	s := new(big.Float).SetMode(big.ToNearestEven).SetPrec(ldPrec)
	s.Add(x.f, y.f)
	return LongDouble{roundLD(s)}, true
}

// AppendHuman appends x as Redis's ld2string(LD_STR_HUMAN): "%.17Lf" with
// trailing zeros and a trailing '.' removed, "-0" printed as "0", and
// infinities as "inf"/"-inf".
func (x LongDouble) AppendHuman(dst []byte) []byte {
	if x.f == nil {
		return append(dst, '0')
	}
	if x.f.IsInf() {
		if x.f.Signbit() {
			return append(dst, "-inf"...)
		}
		return append(dst, "inf"...)
	}
	start := len(dst)
	// big.Float prints the exact binary value rounded half-to-even at the
	// 17th decimal, as glibc's printf does.
	dst = x.f.Append(dst, 'f', 17)
	end := len(dst)
	for dst[end-1] == '0' {
		end--
	}
	if dst[end-1] == '.' {
		end--
	}
	dst = dst[:end]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// String returns AppendHuman's text.
func (x LongDouble) String() string { return string(x.AppendHuman(nil)) }

// IncrByFloat is INCRBYFLOAT/HINCRBYFLOAT's arithmetic: cur (nil for a
// missing key or field, read as 0) plus incr, both parsed with
// ParseLongDouble, formatted with AppendHuman and appended to dst. It checks
// cur before incr, as INCRBYFLOAT does; HINCRBYFLOAT validates the increment
// first, so its handler should call ParseLongDouble on it beforehand.
func IncrByFloat(dst, cur, incr []byte) ([]byte, error) {
	var a LongDouble
	if cur != nil {
		var ok bool
		if a, ok = ParseLongDouble(cur); !ok {
			return dst, ErrValueNotFloat
		}
	}
	b, ok := ParseLongDouble(incr)
	if !ok {
		return dst, ErrIncrNotFloat
	}
	sum, ok := a.Add(b)
	if !ok || sum.IsInf() {
		return dst, ErrNaNOrInf
	}
	return sum.AppendHuman(dst), nil
}
