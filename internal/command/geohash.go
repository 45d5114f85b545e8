package command

import (
	"math"
	"strconv"
)

// The geohash arithmetic of the GEO commands, written to give the same
// bits as Redis's geohash.c and geohash_helper.c: a position is a 52-bit
// interleave of 26 bits of latitude (even bits) and 26 of longitude (odd
// bits) over [-85.05112878, 85.05112878] x [-180, 180], stored as the
// member's score. Every floating-point operation is done in Redis's order
// and in float64 (never folded by the Go compiler at higher precision),
// so scores, distances and the boxes searched are Redis's.

const (
	geoStepMax = 26 // 52 bits
	geoLatMin  = -85.05112878
	geoLatMax  = 85.05112878
	geoLonMin  = -180.0
	geoLonMax  = 180.0

	earthRadius = 6372797.560856 // meters, Redis's EARTH_RADIUS_IN_METERS
	mercatorMax = 20037726.37
)

// degToRad is Redis's D_R, M_PI / 180.0 divided in double precision: a
// Go constant expression would be rounded once from the exact quotient
// instead, which can differ in the last bit.
var degToRad = func() float64 {
	pi := math.Pi
	return pi / 180.0
}()

func degRad(a float64) float64 { return a * degToRad }
func radDeg(a float64) float64 { return a / degToRad }

type geoRange struct{ min, max float64 }

type geoHashBits struct {
	bits uint64
	step uint8
}

func (h geoHashBits) zero() bool { return h.bits == 0 && h.step == 0 }

type geoArea struct {
	hash     geoHashBits
	lon, lat geoRange
}

var (
	geoLonRange = geoRange{geoLonMin, geoLonMax}
	geoLatRange = geoRange{geoLatMin, geoLatMax}
)

// interleave64 puts x's bits at the even positions and y's at the odd.
func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

// deinterleave64 is interleave64's inverse: even bits in the low half,
// odd bits in the high half.
func deinterleave64(v uint64) uint64 {
	x, y := v&0x5555555555555555, (v>>1)&0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	y = (y | y>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	y = (y | y>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	y = (y | y>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	y = (y | y>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	y = (y | y>>16) & 0x00000000FFFFFFFF
	return x | y<<32
}

// geohashEncode encodes a position at step bits per coordinate; ok=false
// outside the ranges.
func geohashEncode(lonR, latR geoRange, lon, lat float64, step uint8) (geoHashBits, bool) {
	if step > 32 || step == 0 {
		return geoHashBits{}, false
	}
	if lon > geoLonMax || lon < geoLonMin || lat > geoLatMax || lat < geoLatMin {
		return geoHashBits{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return geoHashBits{}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	return geoHashBits{bits: interleave64(uint32(latOff), uint32(lonOff)), step: step}, true
}

func geohashDecode(lonR, latR geoRange, h geoHashBits) (geoArea, bool) {
	if h.zero() {
		return geoArea{}, false
	}
	sep := deinterleave64(h.bits)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	ilat := uint32(sep)
	ilon := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	var a geoArea
	a.hash = h
	a.lat.min = latR.min + (float64(ilat)*1.0/div)*latScale
	a.lat.max = latR.min + (float64(ilat+1)*1.0/div)*latScale // ilat+1 wraps as C's uint32 does
	a.lon.min = lonR.min + (float64(ilon)*1.0/div)*lonScale
	a.lon.max = lonR.min + (float64(ilon+1)*1.0/div)*lonScale
	return a, true
}

// geoDecodeScore turns a sorted-set score back into the center of its
// cell, clamped to the valid ranges. It is geohashDecode at 26 steps over
// the WGS84 ranges, then the midpoint, written out for the searches'
// inner loop: dividing by 2^26 is multiplying by its exact inverse, and
// the clamps are the comparisons C makes, so the bits are the same
// (TestGeoDecodeScore).
func geoDecodeScore(score float64) (lon, lat float64, ok bool) {
	sep := deinterleave64(scoreBits(score))
	ilat := uint32(sep)
	ilon := uint32(sep >> 32)
	const inv = 1.0 / (1 << geoStepMax)
	latLo := geoLatMin + (float64(ilat)*inv)*geoLatScale
	latHi := geoLatMin + (float64(ilat+1)*inv)*geoLatScale // ilat+1 wraps as C's uint32 does
	lonLo := geoLonMin + (float64(ilon)*inv)*geoLonScale
	lonHi := geoLonMin + (float64(ilon+1)*inv)*geoLonScale
	lon = (lonLo + lonHi) / 2
	if lon > geoLonMax {
		lon = geoLonMax
	}
	if lon < geoLonMin {
		lon = geoLonMin
	}
	lat = (latLo + latHi) / 2
	if lat > geoLatMax {
		lat = geoLatMax
	}
	if lat < geoLatMin {
		lat = geoLatMin
	}
	return lon, lat, true
}

// geoDecodeScoreSlow is geoDecodeScore through the general geohashDecode,
// as Redis's decodeGeohash: the reference the fast one is tested against.
func geoDecodeScoreSlow(score float64) (lon, lat float64, ok bool) {
	a, ok := geohashDecode(geoLonRange, geoLatRange, geoHashBits{bits: scoreBits(score), step: geoStepMax})
	if !ok {
		return 0, 0, false
	}
	lon = (a.lon.min + a.lon.max) / 2
	lon = min(max(lon, geoLonMin), geoLonMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return lon, lat, true
}

// The ranges' widths, computed in float64 at run time as C computes them.
var (
	geoLatScale = geoLatRange.max - geoLatRange.min
	geoLonScale = geoLonRange.max - geoLonRange.min
)

// scoreBits is C's (uint64_t) conversion of a score as x86-64 compilers
// do it: values from 2^63 up have 2^63 subtracted first; negative values
// convert through int64.
func scoreBits(f float64) uint64 {
	if f >= 1<<63 {
		return uint64(int64(f-(1<<63))) ^ (1 << 63)
	}
	return uint64(int64(f))
}

// geoScore is the score GEOADD stores for a position (already checked to
// be in range).
func geoScore(lon, lat float64) uint64 {
	h, _ := geohashEncode(geoLonRange, geoLatRange, lon, lat, geoStepMax)
	return h.bits << (52 - h.step*2)
}

func geohashMoveX(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

func geohashMoveY(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

// Neighbour indexes in the order Redis searches them.
const (
	nbCenter = iota
	nbNorth
	nbSouth
	nbEast
	nbWest
	nbNorthEast
	nbNorthWest
	nbSouthEast
	nbSouthWest
)

func geohashNeighbors(h geoHashBits) [9]geoHashBits {
	var n [9]geoHashBits
	for i := range n {
		n[i] = h
	}
	moves := [9][2]int{nbNorth: {0, 1}, nbSouth: {0, -1}, nbEast: {1, 0}, nbWest: {-1, 0},
		nbNorthEast: {1, 1}, nbNorthWest: {-1, 1}, nbSouthEast: {1, -1}, nbSouthWest: {-1, -1}}
	for i := 1; i < 9; i++ {
		geohashMoveX(&n[i], moves[i][0])
		geohashMoveY(&n[i], moves[i][1])
	}
	return n
}

// geoShape is a search area: a circle (radius) or a box (width, height),
// both in the unit given by conversion (meters per unit).
type geoShape struct {
	box           bool
	lon, lat      float64
	conversion    float64
	radius        float64
	width, height float64
	// bounds: min lon, min lat, max lon, max lat
	bounds [4]float64
	// Set by prepare: the center in radians and the cosine of its
	// latitude; the radius, width and height in meters.
	lonr, latr, cosLat       float64
	radiusM, widthM, heightM float64
}

func geohashEstimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

func (s *geoShape) boundingBox() {
	var height, width float64
	if s.box {
		height = s.conversion * (s.height / 2)
		width = s.conversion * (s.width / 2)
	} else {
		height = s.conversion * s.radius
		width = s.conversion * s.radius
	}
	latDelta := radDeg(height / earthRadius)
	lonDeltaTop := radDeg(width / earthRadius / math.Cos(degRad(s.lat+latDelta)))
	lonDeltaBottom := radDeg(width / earthRadius / math.Cos(degRad(s.lat-latDelta)))
	if s.lat < 0 {
		s.bounds[0] = s.lon - lonDeltaBottom
		s.bounds[2] = s.lon + lonDeltaBottom
	} else {
		s.bounds[0] = s.lon - lonDeltaTop
		s.bounds[2] = s.lon + lonDeltaTop
	}
	s.bounds[1] = s.lat - latDelta
	s.bounds[3] = s.lat + latDelta
}

// searchAreas returns the cells to scan, center first then the eight
// neighbours (zero when useless), as geohashCalculateAreasByShapeWGS84.
func (s *geoShape) searchAreas() [9]geoHashBits {
	s.boundingBox()
	minLon, minLat, maxLon, maxLat := s.bounds[0], s.bounds[1], s.bounds[2], s.bounds[3]
	var radiusMeters float64
	if s.box {
		radiusMeters = math.Sqrt((s.width/2)*(s.width/2) + (s.height/2)*(s.height/2))
	} else {
		radiusMeters = s.radius
	}
	radiusMeters *= s.conversion
	steps := geohashEstimateSteps(radiusMeters, s.lat)
	hash, _ := geohashEncode(geoLonRange, geoLatRange, s.lon, s.lat, steps)
	nb := geohashNeighbors(hash)
	area, _ := geohashDecode(geoLonRange, geoLatRange, hash)
	decrease := false
	{
		north, _ := geohashDecode(geoLonRange, geoLatRange, nb[nbNorth])
		south, _ := geohashDecode(geoLonRange, geoLatRange, nb[nbSouth])
		east, _ := geohashDecode(geoLonRange, geoLatRange, nb[nbEast])
		west, _ := geohashDecode(geoLonRange, geoLatRange, nb[nbWest])
		if north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon {
			decrease = true
		}
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = geohashEncode(geoLonRange, geoLatRange, s.lon, s.lat, steps)
		nb = geohashNeighbors(hash)
		area, _ = geohashDecode(geoLonRange, geoLatRange, hash)
	}
	if steps >= 2 {
		if area.lat.min < minLat {
			nb[nbSouth], nb[nbSouthWest], nb[nbSouthEast] = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.lat.max > maxLat {
			nb[nbNorth], nb[nbNorthEast], nb[nbNorthWest] = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.lon.min < minLon {
			nb[nbWest], nb[nbSouthWest], nb[nbNorthWest] = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.lon.max > maxLon {
			nb[nbEast], nb[nbSouthEast], nb[nbNorthEast] = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
	}
	nb[nbCenter] = hash
	return nb
}

func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadius * math.Abs(degRad(lat2)-degRad(lat1))
}

// geoDistance is the haversine distance in meters, with Go's sin, cos and
// asin: within an ulp or two of Redis's, which is invisible in what the
// searches decide and print (4 decimals), and about 100 times cheaper
// than geoDistanceExact.
//
// It is haversine written out with direct calls (the function values
// cost a call each and keep the compiler from inlining); the operations
// and their order are the same.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := degRad(lon1)
	lon2r := degRad(lon2)
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0.0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r := degRad(lat1)
	lat2r := degRad(lat2)
	u := math.Sin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(math.Cos(lat1r)*math.Cos(lat2r))*v)*v)
	return 2.0 * earthRadius * asinFast(math.Sqrt(a))
}

// distFromCenter is geoDistance(s.lon, s.lat, lon, lat) with the center's
// terms computed once by prepare: the same operations on the same values,
// so the same bits.
func (s *geoShape) distFromCenter(lon, lat float64) float64 {
	lon2r := degRad(lon)
	v := math.Sin((lon2r - s.lonr) / 2)
	if v == 0.0 {
		return geoLatDistance(s.lat, lat)
	}
	lat2r := degRad(lat)
	u := math.Sin((lat2r - s.latr) / 2)
	a := float64(u*u) + float64(float64(float64(s.cosLat*math.Cos(lat2r))*v)*v)
	return 2.0 * earthRadius * asinFast(math.Sqrt(a))
}

// prepare computes the center's terms distFromCenter uses, and the limits
// within compares with.
func (s *geoShape) prepare() {
	s.lonr, s.latr = degRad(s.lon), degRad(s.lat)
	s.cosLat = math.Cos(s.latr)
	s.radiusM = s.radius * s.conversion
	s.widthM, s.heightM = s.width*s.conversion, s.height*s.conversion
}

// asinFast is math.Asin made accurate near 1, where Go's loses digits (it
// computes 1-x*x: asin(0.999999) is off by 5e-12, a tenth of a millimeter
// on an antipodal distance): there asin x = π/2 - 2 asin(sqrt((1-x)/2)),
// whose 1-x is exact.
func asinFast(x float64) float64 {
	if x <= 0.5 {
		return math.Asin(x)
	}
	return pio2a - 2*math.Asin(math.Sqrt((1-x)/2)) + pio2b
}

// geoDistanceExact is geoDistance with correctly rounded sin, cos and asin
// (crmath.go): the bits Redis computes with glibc, for where every bit of
// a distance shows (the scores STOREDIST stores).
func geoDistanceExact(lon1, lat1, lon2, lat2 float64) float64 {
	return haversine(lon1, lat1, lon2, lat2, crSin, crCos, crAsin)
}

// haversine is Redis's geohashGetDistance, operation for operation.
func haversine(lon1, lat1, lon2, lat2 float64, sin, cos, asin func(float64) float64) float64 {
	lon1r := degRad(lon1)
	lon2r := degRad(lon2)
	v := sin((lon2r - lon1r) / 2)
	if v == 0.0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r := degRad(lat1)
	lat2r := degRad(lat2)
	u := sin((lat2r - lat1r) / 2)
	// The conversions forbid fusing into FMAs, which C compilers for
	// x86-64 do not do either.
	a := float64(u*u) + float64(float64(float64(cos(lat1r)*cos(lat2r))*v)*v)
	return 2.0 * earthRadius * asin(math.Sqrt(a))
}

// within reports whether the point of score lies in the shape, with its
// position and its distance from the center in meters.
// prepare must have been called.
func (s *geoShape) within(score float64) (lon, lat, dist float64, ok bool) {
	lon, lat, ok = geoDecodeScore(score)
	if !ok {
		return
	}
	if !s.box {
		dist = s.distFromCenter(lon, lat)
		return lon, lat, dist, dist <= s.radiusM
	}
	if geoLatDistance(lat, s.lat) > s.heightM/2 {
		return lon, lat, 0, false
	}
	if geoDistance(lon, lat, s.lon, lat) > s.widthM/2 {
		return lon, lat, 0, false
	}
	return lon, lat, s.distFromCenter(lon, lat), true
}

// appendDistance formats a distance as Redis's fixedpoint_d2string with 4
// decimals: rounded to nearest (even on ties) at 1e-4, always 4 digits.
func appendDistance(b []byte, d float64) []byte {
	if d == 0 {
		return append(b, "0.0000"...)
	}
	v := int64(math.RoundToEven(d * 10000.0))
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	digits := strconv.AppendUint(nil, uint64(v), 10)
	for len(digits) < 5 {
		digits = append([]byte{'0'}, digits...)
	}
	b = append(b, digits[:len(digits)-4]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-4:]...)
}

// appendHumanDouble formats a coordinate as Redis's ld2string in human
// mode: "%.17Lf" of the exact value, trailing zeros (and a bare '.')
// removed, "-0" as "0".
func appendHumanDouble(b []byte, f float64) []byte {
	s := strconv.AppendFloat(nil, f, 'f', 17, 64)
	i := len(s)
	for i > 0 && s[i-1] == '0' {
		i--
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	s = s[:i]
	if string(s) == "-0" {
		s = []byte("0")
	}
	return append(b, s...)
}

// geohashString is GEOHASH's 11-character standard geohash of a score:
// the position re-encoded over [-90, 90] latitude, base 32, the 11th
// character always '0'.
func geohashString(score float64) ([]byte, bool) {
	lon, lat, ok := geoDecodeScore(score)
	if !ok {
		return nil, false
	}
	h, _ := geohashEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, 26)
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	out := make([]byte, 11)
	for i := 0; i < 11; i++ {
		idx := 0
		if i < 10 {
			idx = int(h.bits>>(52-(uint(i)+1)*5)) & 0x1f
		}
		out[i] = alphabet[idx]
	}
	return out, true
}
