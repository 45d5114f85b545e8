package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/types"
)

// The GEO commands: positions are members of a sorted set scored by their
// 52-bit geohash (geohash.go). GEOADD is ZADD with computed scores, and is
// propagated as that ZADD, as in Redis. The searches (GEORADIUS*,
// GEOSEARCH*) scan the cell around the center and its eight neighbours,
// keep what lies within the shape, then sort by distance; the *STORE forms
// are propagated as they are, as Redis 7.0 does.

func geoCommands() []*Spec {
	g := "geo"
	return []*Spec{
		{Name: "geoadd", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Handler: geoaddCmd, Group: g, Summary: "Adds one or more members to a geospatial index. The key is created if it doesn't exist.", Since: "3.2.0"},
		{Name: "geodist", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: geodistCmd, Group: g, Summary: "Returns the distance between two members of a geospatial index.", Since: "3.2.0"},
		{Name: "geohash", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: geohashCmd, Group: g, Summary: "Returns members from a geospatial index as geohash strings.", Since: "3.2.0"},
		{Name: "geopos", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: geoposCmd, Group: g, Summary: "Returns the longitude and latitude of members from a geospatial index.", Since: "3.2.0"},
		{Name: "georadius", Arity: -6, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, KeysFn: georadiusKeys, Handler: geoSearchHandler(geoByCoords), Group: g, Summary: "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.", Since: "3.2.0"},
		{Name: "georadius_ro", Arity: -6, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: geoSearchHandler(geoByCoords | geoNoStore), Group: g, Summary: "Returns members from a geospatial index that are within a distance from a coordinate.", Since: "3.2.10"},
		{Name: "georadiusbymember", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, KeysFn: georadiusKeys, Handler: geoSearchHandler(geoByMember), Group: g, Summary: "Queries a geospatial index for members within a distance from a member, optionally stores the result.", Since: "3.2.0"},
		{Name: "georadiusbymember_ro", Arity: -5, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: geoSearchHandler(geoByMember | geoNoStore), Group: g, Summary: "Returns members from a geospatial index that are within a distance from a member.", Since: "3.2.10"},
		{Name: "geosearch", Arity: -7, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: geoSearchHandler(geoSearch), Group: g, Summary: "Queries a geospatial index for members inside an area of a box or a circle.", Since: "6.2.0"},
		{Name: "geosearchstore", Arity: -8, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Handler: geoSearchHandler(geoSearch | geoSearchStore), Group: g, Summary: "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.", Since: "6.2.0"},
	}
}

// georadiusKeys finds GEORADIUS's keys as Redis 7.0's key specs do: the
// source, then the argument after the first STORE, then the one after the
// first STOREDIST, each searched from the first option on (index 6, or 5
// for GEORADIUSBYMEMBER).
func georadiusKeys(args [][]byte) []int {
	keys := []int{1}
	start := 6
	if len(args) > 0 && strings.EqualFold(string(args[0]), "georadiusbymember") {
		start = 5
	}
	for _, kw := range []string{"store", "storedist"} {
		for i := start; i < len(args)-1; i++ {
			if strings.EqualFold(string(args[i]), kw) {
				keys = append(keys, i+1)
				break
			}
		}
	}
	return keys
}

// cFloat6 is C's printf "%f" (inf and nan spelled as C does).
func cFloat6(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// geoLonLat parses a longitude and a latitude, in range.
func geoLonLat(c *Ctx, args [][]byte) (lon, lat float64, ok bool) {
	if lon, ok = getDouble(c, args[0], ""); !ok {
		return
	}
	if lat, ok = getDouble(c, args[1], ""); !ok {
		return
	}
	if lon < geoLonMin || lon > geoLonMax || lat < geoLatMin || lat > geoLatMax {
		c.Error("ERR invalid longitude,latitude pair " + cFloat6(lon) + "," + cFloat6(lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// geoUnit converts a unit name to meters (or answers the error).
func geoUnit(c *Ctx, arg []byte) (float64, bool) {
	switch strings.ToLower(string(arg)) {
	case "m":
		return 1, true
	case "km":
		return 1000, true
	case "ft":
		return 0.3048, true
	case "mi":
		return 1609.34, true
	}
	c.Error("ERR unsupported unit provided. please use M, KM, FT, MI")
	return 0, false
}

func geoaddCmd(c *Ctx) {
	var nx, xx, ch bool
	idx := 2
	for ; idx < len(c.Args); idx++ {
		switch strings.ToLower(string(c.Args[idx])) {
		case "nx":
			nx = true
			continue
		case "xx":
			xx = true
			continue
		case "ch":
			ch = true
			continue
		}
		break
	}
	if (len(c.Args)-idx)%3 != 0 || (nx && xx) {
		c.Error(ErrSyntax)
		return
	}
	n := (len(c.Args) - idx) / 3
	var small [8]float64 // one or a few points add without allocating
	scores := small[:0]
	if n > len(small) {
		scores = make([]float64, 0, n)
	}
	for i := 0; i < n; i++ {
		lon, lat, ok := geoLonLat(c, c.Args[idx+3*i:])
		if !ok {
			return
		}
		// A geohash is below 2^52: exact in a float64, so this is the
		// score the ZADD below would parse back from its digits.
		scores = append(scores, float64(geoScore(lon, lat)))
	}
	if n == 0 {
		// GEOADD key with no triple: ZADD's syntax error, as in Redis
		// (which hands the rewritten ZADD to zaddCommand).
		c.Error(ErrSyntax)
		return
	}
	if c.E.sinksActive() {
		// What is propagated is the ZADD it stands for, as in Redis.
		// The command's name and the scores' digits share one buffer (at
		// most 16 digits each: a score is below 2^52), sized up front so
		// that the slices taken from it stay valid.
		digits := make([]byte, 0, 4+16*n)
		digits = append(digits, "zadd"...)
		argv := make([][]byte, 0, idx+2*n)
		argv = append(argv, digits[:4:4])
		argv = append(argv, c.Args[1:idx]...)
		for i, f := range scores {
			at := len(digits)
			digits = strconv.AppendUint(digits, uint64(f), 10)
			argv = append(argv, digits[at:len(digits):len(digits)], c.Args[idx+3*i+2])
		}
		c.Rewrite(argv...)
	}
	var flags types.ZAddFlags
	if nx {
		flags |= types.ZAddNX
	}
	if xx {
		flags |= types.ZAddXX
	}
	zaddScored(c, flags, ch, scores, c.Args[idx+2:], 3)
}

func geodistCmd(c *Ctx) {
	toMeter := 1.0
	if len(c.Args) == 5 {
		var ok bool
		if toMeter, ok = geoUnit(c, c.Args[4]); !ok {
			return
		}
	} else if len(c.Args) > 5 {
		c.Error(ErrSyntax)
		return
	}
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.W.Null()
		return
	}
	s1, ok1 := z.Score(c.Args[2])
	s2, ok2 := z.Score(c.Args[3])
	if !ok1 || !ok2 {
		c.W.Null()
		return
	}
	lon1, lat1, _ := geoDecodeScore(s1)
	lon2, lat2, _ := geoDecodeScore(s2)
	var buf [32]byte
	c.W.Bulk(appendDistance(buf[:0], geoDistance(lon1, lat1, lon2, lat2)/toMeter))
}

func geohashCmd(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	eachMemberScore(c, z, func(s float64, found bool) {
		if !found {
			c.W.Null()
			return
		}
		h, _ := geohashString(s)
		c.W.Bulk(h)
	})
}

// eachMemberScore answers GEOHASH's and GEOPOS's array: one element per
// member named from the third argument on, written by fn from the
// member's score (found=false for a missing member or key).
func eachMemberScore(c *Ctx, z *types.ZSet, fn func(score float64, found bool)) {
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		var s float64
		found := false
		if z != nil {
			s, found = z.Score(m)
		}
		fn(s, found)
	}
}

// humanDouble writes a coordinate as Redis's addReplyHumanLongDouble: a
// bulk string in RESP2, a double in RESP3.
func humanDouble(c *Ctx, f float64) {
	var buf [48]byte
	s := appendHumanDouble(buf[:0], f)
	if c.W.Proto == 3 {
		c.W.Buf = append(c.W.Buf, ',')
		c.W.Buf = append(c.W.Buf, s...)
		c.W.Buf = append(c.W.Buf, '\r', '\n')
		return
	}
	c.W.Bulk(s)
}

func geoposCmd(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	eachMemberScore(c, z, func(s float64, found bool) {
		if !found {
			c.W.NullArray()
			return
		}
		lon, lat, _ := geoDecodeScore(s)
		c.W.Array(2)
		humanDouble(c, lon)
		humanDouble(c, lat)
	})
}

// Variants of the search (Redis's georadiusGeneric flags).
const (
	geoByCoords    = 1 << iota // GEORADIUS: center given by coordinates
	geoByMember                // GEORADIUSBYMEMBER: center given by a member
	geoNoStore                 // the _RO forms: no STORE/STOREDIST
	geoSearch                  // GEOSEARCH's FROM*/BY* syntax
	geoSearchStore             // GEOSEARCHSTORE: destination first, STOREDIST flag
)

func geoSearchHandler(flags int) Handler {
	return func(c *Ctx) { geoSearchGeneric(c, flags) }
}

func geoSearchGeneric(c *Ctx, flags int) {
	src := 1
	if flags&geoSearchStore != 0 {
		src = 2
	}
	z, ok := getZSet(c, c.Args[src], false)
	if !ok {
		return
	}
	var store []byte
	storeDist := false
	var shape geoShape
	base := 0
	// centerOf reads a member's position as the center; ok=false after
	// answering the error.
	centerOf := func(member []byte) bool {
		s, found := z.Score(member)
		if found {
			shape.lon, shape.lat, found = geoDecodeScore(s)
		}
		if !found {
			c.Error("ERR could not decode requested zset member")
		}
		return found
	}
	distance := func(args [][]byte) bool {
		r, ok := getDouble(c, args[0], "need numeric radius")
		if !ok {
			return false
		}
		if r < 0 {
			c.Error("ERR radius cannot be negative")
			return false
		}
		shape.radius = r
		shape.conversion, ok = geoUnit(c, args[1])
		return ok
	}
	switch {
	case flags&geoByCoords != 0:
		base = 6
		if shape.lon, shape.lat, ok = geoLonLat(c, c.Args[2:]); !ok {
			return
		}
		if !distance(c.Args[4:]) {
			return
		}
	case flags&geoByMember != 0 && z == nil:
		// No source: the options are still parsed, to know the reply.
		base = 5
	case flags&geoByMember != 0:
		base = 5
		if !centerOf(c.Args[2]) || !distance(c.Args[3:]) {
			return
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			store = c.Args[1]
		}
	}

	var withDist, withHash, withCoord, any bool
	var fromMember, fromLoc, byRadius, byBox bool
	sortDir := 0 // 0 none, 1 asc, 2 desc
	var count int64
	search := flags&geoSearch != 0
	rem := len(c.Args) - base
	for i := 0; i < rem; i++ {
		a := c.Args[base+i:]
		switch arg := strings.ToLower(string(a[0])); {
		case arg == "withdist":
			withDist = true
		case arg == "withhash":
			withHash = true
		case arg == "withcoord":
			withCoord = true
		case arg == "any":
			any = true
		case arg == "asc":
			sortDir = 1
		case arg == "desc":
			sortDir = 2
		case arg == "count" && i+1 < rem:
			n, ok := getLong(c, a[1])
			if !ok {
				return
			}
			if n <= 0 {
				c.Error("ERR COUNT must be > 0")
				return
			}
			count = n
			i++
		case (arg == "store" || arg == "storedist") && i+1 < rem && flags&geoNoStore == 0 && !search:
			store = a[1]
			storeDist = arg == "storedist"
			i++
		case arg == "storedist" && search && flags&geoSearchStore != 0:
			storeDist = true
		case arg == "frommember" && i+1 < rem && search && !fromLoc:
			if z != nil && !centerOf(a[1]) {
				return
			}
			fromMember = true
			i++
		case arg == "fromlonlat" && i+2 < rem && search && !fromMember:
			if shape.lon, shape.lat, ok = geoLonLat(c, a[1:]); !ok {
				return
			}
			fromLoc = true
			i += 2
		case arg == "byradius" && i+2 < rem && search && !byBox:
			if !distance(a[1:]) {
				return
			}
			shape.box = false
			byRadius = true
			i += 2
		case arg == "bybox" && i+3 < rem && search && !byRadius:
			w, ok := getDouble(c, a[1], "need numeric width")
			if !ok {
				return
			}
			h, ok := getDouble(c, a[2], "need numeric height")
			if !ok {
				return
			}
			if h < 0 || w < 0 {
				c.Error("ERR height or width cannot be negative")
				return
			}
			shape.width, shape.height = w, h
			if shape.conversion, ok = geoUnit(c, a[3]); !ok {
				return
			}
			shape.box = true
			byBox = true
			i += 3
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	if store != nil && (withDist || withHash || withCoord) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.Error("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if search && !(fromMember || fromLoc) {
		c.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(cstr(c.Args[0])))
		return
	}
	if search && !(byRadius || byBox) {
		c.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(cstr(c.Args[0])))
		return
	}
	if any && count == 0 {
		c.Error("ERR the ANY argument requires COUNT argument")
		return
	}
	if z == nil {
		if store != nil {
			if c.DB.Delete(store) {
				c.DB.Modified(store)
				c.Notify(EvGeneric, "del", store)
			}
			c.W.Int(0)
		} else {
			c.W.Array(0)
		}
		return
	}
	// COUNT picks the nearest, so it implies ASC (ANY takes the first found).
	if count != 0 && sortDir == 0 && !any {
		sortDir = 1
	}
	limit := 0
	if any {
		limit = int(count)
	}
	res := getGeoResults()
	defer res.release()
	res.collect(z, &shape, limit)
	if res.len() == 0 && store == nil {
		c.W.Array(0)
		return
	}
	n := res.len()
	if count != 0 && int64(n) > count {
		n = int(count)
	}
	if sortDir != 0 {
		res.sort(sortDir == 2)
	}
	if store == nil {
		opts := 0
		for _, b := range []bool{withDist, withCoord, withHash} {
			if b {
				opts++
			}
		}
		c.W.Array(n)
		var buf [32]byte
		for i := range n {
			p := res.at(i)
			if opts > 0 {
				c.W.Array(opts + 1)
			}
			c.W.Bulk(res.member(p))
			if withDist {
				c.W.Bulk(appendDistance(buf[:0], p.dist/shape.conversion))
			}
			if withHash {
				c.W.Int(int64(p.score))
			}
			if withCoord {
				c.W.Array(2)
				humanDouble(c, p.lon)
				humanDouble(c, p.lat)
			}
		}
		return
	}
	if n > 0 {
		out := types.NewZSet()
		for i := range n {
			p := res.at(i)
			score := p.score
			if storeDist {
				// Every bit of a stored distance shows: recomputed exactly.
				score = geoDistanceExact(shape.lon, shape.lat, p.lon, p.lat) / shape.conversion
			}
			out.Add(res.member(p), score, 0, &c.E.Limits)
		}
		c.DB.SetValue(store, out, false)
		c.DB.Modified(store)
		if search {
			c.Notify(EvZSet, "geosearchstore", store)
		} else {
			c.Notify(EvZSet, "georadiusstore", store)
		}
	} else if c.DB.Delete(store) {
		c.DB.Modified(store)
		c.Notify(EvGeneric, "del", store)
	}
	c.W.Int(int64(n))
}
