package command

import (
	"cmp"
	"math"
	"math/rand"
	"slices"
	"testing"
)

// The GEO commands with Redis 7.0.15's replies (checked against the real
// server by test/e2e_diff_cmds17_test.go).
func TestFamilyGeo(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "sicily", steps: []string{
			`GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania => :2`,
			`ZSCORE Sicily Palermo => "3479099956230698"`,
			`ZSCORE Sicily Catania => "3479447370796909"`,
			`GEODIST Sicily Palermo Catania => "166274.1516"`,
			`GEODIST Sicily Palermo Catania km => "166.2742"`,
			`GEOHASH Sicily Palermo Catania nope => ["sqc8b49rny0" "sqdtr74hyu0" nil]`,
			`GEOPOS Sicily Palermo nope => [["13.36138933897018433" "38.11555639549629859"] *nil]`,
			`GEORADIUS Sicily 15 37 200 km WITHDIST ASC => [["Catania" "56.4413"] ["Palermo" "190.4424"]]`,
			`GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC COUNT 1 => ["Catania"]`,
			`GEOSEARCHSTORE d Sicily FROMMEMBER Palermo BYRADIUS 200 km => :2`,
			`GEOADD Sicily 200 100 x => -ERR invalid longitude,latitude pair 200.000000,100.000000`,
			`GEOADD Sicily NX XX 1 1 x => -ERR syntax error`,
			`GEOSEARCH Sicily BYRADIUS 1 km ASC WITHDIST => -ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH`,
			`GEORADIUS Sicily 15 37 1 km ANY => -ERR the ANY argument requires COUNT argument`,
			`GEORADIUS Sicily 15 37 1 km STORE x WITHDIST => -ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
		}},
		{name: "resp3 coordinates are doubles", proto: 3, steps: []string{
			`GEOADD g 13.361389 38.115556 p => :1`,
			`GEOPOS g p => [[,13.36138933897018433 ,38.11555639549629859]]`,
		}},
	})
}

// GEOADD is propagated as the ZADD it stands for (with its options), as
// Redis does; the *STORE searches as they are.
func TestGeoPropagation(t *testing.T) {
	runPropagation(t, []propCase{
		{"", "GEOADD g CH 13.361389 38.115556 Palermo", "0:zadd g CH 3479099956230698 Palermo"},
		{"GEOADD g 13.361389 38.115556 Palermo", "GEOADD g 13.361389 38.115556 Palermo", ""},
		{"GEOADD g 13.361389 38.115556 Palermo", "GEORADIUS g 13 38 100 km STORE d", "0:GEORADIUS g 13 38 100 km STORE d"},
		{"GEOADD g 13.361389 38.115556 Palermo", "GEORADIUS g 13 38 100 km", ""},
		{"GEOADD g 13.361389 38.115556 Palermo", "GEOSEARCHSTORE d g FROMMEMBER Palermo BYRADIUS 1 km STOREDIST", "0:GEOSEARCHSTORE d g FROMMEMBER Palermo BYRADIUS 1 km STOREDIST"},
	})
}

func TestGeohashInterleave(t *testing.T) {
	for _, v := range []uint32{0, 1, 0x3ffffff, 0xdeadbeef, 0xffffffff} {
		for _, w := range []uint32{0, 7, 0x2aaaaaa, 0xffffffff} {
			i := interleave64(v, w)
			d := deinterleave64(i)
			if uint32(d) != v || uint32(d>>32) != w {
				t.Errorf("interleave64(%#x, %#x) = %#x, deinterleaves to %#x", v, w, i, d)
			}
		}
	}
}

func TestDistanceFormat(t *testing.T) {
	for _, tc := range []struct {
		d    float64
		want string
	}{
		{0, "0.0000"}, {0.00005, "0.0000"}, {0.00016, "0.0002"}, {0.7750163617392879, "0.7750"},
		{166274.15156960033, "166274.1516"}, {-1.5, "-1.5000"}, {12.5, "12.5000"},
	} {
		if got := string(appendDistance(nil, tc.d)); got != tc.want {
			t.Errorf("appendDistance(%v) = %s, want %s", tc.d, got, tc.want)
		}
	}
}

// The correctly rounded functions agree with Go's to within an ulp and are
// exact where the answer is known.
func TestCRMath(t *testing.T) {
	for _, x := range []float64{1e-300, 1e-8, 0.1, 0.5, 0.7853981633974483, 1, 1.5, 2, 3, 6, -2.5, 100} {
		for _, f := range []struct {
			name    string
			cr, go_ func(float64) float64
		}{{"sin", crSin, math.Sin}, {"cos", crCos, math.Cos}} {
			a, b := f.cr(x), f.go_(x)
			if math.Abs(a-b) > 2*math.Abs(math.Nextafter(b, math.Inf(1))-b) {
				t.Errorf("%s(%v) = %v, math says %v", f.name, x, a, b)
			}
		}
	}
	for _, x := range []float64{0, 1e-9, 0.25, 0.5, 0.5000001, 0.9} {
		a, b := crAsin(x), math.Asin(x)
		if math.Abs(a-b) > 2*math.Abs(math.Nextafter(b, math.Inf(1))-b) {
			t.Errorf("asin(%v) = %v, math says %v", x, a, b)
		}
	}
	// Go's math.Asin loses digits near 1; glibc (and Python) answer this.
	if got := crAsin(0.999999); got != 1.5693821131146521 || math.Abs(asinFast(0.999999)-got) > 5e-16 {
		t.Errorf("asin(0.999999) = %v (fast %v), want 1.5693821131146521", got, asinFast(0.999999))
	}
	if crAsin(1) != math.Pi/2 || crSin(0) != 0 || crCos(0) != 1 {
		t.Errorf("asin(1) = %v, sin(0) = %v, cos(0) = %v", crAsin(1), crSin(0), crCos(0))
	}
}

// The unrolled decode gives the bits of the general one, for geohash
// scores and for any other score a set may hold.
func TestGeoDecodeScore(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	scores := []float64{math.Inf(1), math.Inf(-1), 0, 1, 1<<52 - 1, 1 << 52, 1<<53 + 2, 1 << 62, 1 << 63, 1 << 64, -1, -12345.5, 3479099956230698, math.MaxFloat64}
	for range 200000 {
		scores = append(scores, float64(rng.Int63n(1<<52)), rng.Float64()*(1<<64)-(1<<62))
	}
	for _, s := range scores {
		lon, lat, ok := geoDecodeScore(s)
		lon2, lat2, ok2 := geoDecodeScoreSlow(s)
		if math.Float64bits(lon) != math.Float64bits(lon2) || math.Float64bits(lat) != math.Float64bits(lat2) || ok != ok2 {
			t.Fatalf("score %v: decoded to %v,%v,%v; the general decode says %v,%v,%v", s, lon, lat, ok, lon2, lat2, ok2)
		}
	}
}

// distFromCenter gives geoDistance's bits.
func TestGeoDistFromCenter(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for range 100000 {
		s := geoShape{lon: rng.Float64()*360 - 180, lat: rng.Float64()*170 - 85}
		s.prepare()
		lon, lat := rng.Float64()*360-180, rng.Float64()*170-85
		if rng.Intn(10) == 0 {
			lon = s.lon
		}
		if a, b := s.distFromCenter(lon, lat), geoDistance(s.lon, s.lat, lon, lat); math.Float64bits(a) != math.Float64bits(b) {
			t.Fatalf("(%v,%v) to (%v,%v): %v, geoDistance says %v", s.lon, s.lat, lon, lat, a, b)
		}
	}
}

// mergeSortKeys orders as a stable sort by key does, ties included.
func TestMergeSortKeys(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{0, 1, 2, 15, 16, 17, 31, 33, 100, 257, 1000} {
		for _, distinct := range []int{1, 3, 1 << 30} {
			a := make([]geoOrder, n)
			for i := range a {
				a[i] = geoOrder{key: uint64(rng.Intn(distinct)), idx: uint32(i)}
			}
			want := slices.Clone(a)
			slices.SortStableFunc(want, func(x, y geoOrder) int { return cmp.Compare(x.key, y.key) })
			mergeSortKeys(a, make([]geoOrder, n))
			if !slices.Equal(a, want) {
				t.Fatalf("n=%d distinct=%d: %v, want %v", n, distinct, a, want)
			}
		}
	}
}
