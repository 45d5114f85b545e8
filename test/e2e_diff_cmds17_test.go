package test

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Differential tests of BITFIELD, the bit operations, LCS, SORT and the
// GEO commands against Redis 7.0, byte for byte in RESP2 and RESP3 (see
// runDiff in e2e_diff_test.go for the case syntax).

func TestBitfieldMatchesRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, bitfieldCases)
}

var bitfieldCases = []diffCase{
	{name: "set_get_basics", cmds: []string{
		"BITFIELD bits SET i8 0 -100", "BITFIELD bits SET i8 0 101", "BITFIELD bits GET i8 0", "GET bits",
		"BITFIELD u SET u8 0 255", "BITFIELD u SET u8 0 100", "BITFIELD u GET u8 0",
		"BITFIELD t SET i8 0 255 SET i8 0 100 GET i8 0", "BITFIELD w SET u8 0 255 INCRBY u8 0 100 GET u8 0",
		"BITFIELD bits", "BITFIELD missing", "BITFIELD missing GET u8 0", "EXISTS missing", "BITFIELD_RO missing GET i64 0",
	}},
	{name: "hash_offsets", cmds: []string{
		"BITFIELD h SET u8 #0 65", "BITFIELD h SET u8 #1 66", "BITFIELD h SET u8 #2 67", "GET h",
		"BITFIELD h GET u4 #3 GET i4 #3 GET u16 #1", "BITFIELD h SET i5 #3 -3", "GET h",
		"BITFIELD h GET u8 #", "BITFIELD h GET u8 #-1", "BITFIELD h GET u8 ##1", "BITFIELD h GET u8 #1152921504606846976",
	}},
	{name: "incrby_and_overflow", cmds: []string{
		"BITFIELD b SET u8 #0 10", "BITFIELD b INCRBY u8 #0 100", "BITFIELD b INCRBY u8 #0 100",
		"BITFIELD b INCRBY u8 #0 100 INCRBY u8 #0 100",
		"BITFIELD b SET u8 #0 100", "BITFIELD b OVERFLOW WRAP INCRBY u8 #0 257", "BITFIELD b GET u8 #0",
		"BITFIELD b OVERFLOW wrap INCRBY u8 #0 255", "BITFIELD b GET u8 #0",
		"BITFIELD b SET u8 #0 100", "BITFIELD b OVERFLOW SAT INCRBY u8 #0 257", "BITFIELD b GET u8 #0",
		"BITFIELD b OVERFLOW sat INCRBY u8 #0 -255", "BITFIELD b GET u8 #0",
		"BITFIELD b SET i8 #0 100", "BITFIELD b OVERFLOW WRAP INCRBY i8 #0 257", "BITFIELD b GET i8 #0",
		"BITFIELD b OVERFLOW WRAP INCRBY i8 #0 255", "BITFIELD b GET i8 #0",
		"BITFIELD b SET u8 #0 100", "BITFIELD b OVERFLOW SAT INCRBY i8 #0 257", "BITFIELD b GET i8 #0",
		"BITFIELD b OVERFLOW SAT INCRBY i8 #0 -255", "BITFIELD b GET i8 #0",
		"BITFIELD b OVERFLOW FAIL INCRBY u8 0 1000 GET u8 0", "BITFIELD b OVERFLOW FAIL SET i8 0 1000 SET i8 0 -128 GET i8 0",
		"BITFIELD b OVERFLOW FAIL INCRBY i8 0 -1 OVERFLOW SAT INCRBY i8 0 -1000 OVERFLOW WRAP INCRBY i8 0 -1",
		"BITFIELD b OVERFLOW FAIL SET u2 100 5", "STRLEN b",
		"BITFIELD n OVERFLOW FAIL SET u2 100 5", "EXISTS n", "STRLEN n",
	}},
	{name: "sixty_four_bits", cmds: []string{
		"BITFIELD k SET i64 0 9223372036854775807", "BITFIELD k INCRBY i64 0 1", "BITFIELD k GET i64 0 GET u63 0 GET u63 1",
		"BITFIELD k OVERFLOW SAT INCRBY i64 0 -1", "BITFIELD k OVERFLOW SAT INCRBY i64 0 -9223372036854775808",
		"BITFIELD k SET i64 0 -9223372036854775808", "BITFIELD k OVERFLOW SAT INCRBY i64 0 -1",
		"BITFIELD k OVERFLOW FAIL INCRBY i64 0 -1", "BITFIELD k OVERFLOW WRAP INCRBY i64 0 -1",
		"BITFIELD k SET u63 1 9223372036854775807", "BITFIELD k OVERFLOW SAT INCRBY u63 1 5", "BITFIELD k OVERFLOW WRAP INCRBY u63 1 5",
		"BITFIELD k SET u63 1 -1", "BITFIELD k OVERFLOW SAT SET u63 1 -1", "BITFIELD k GET u63 1", "BITFIELD k OVERFLOW FAIL SET u63 1 -1",
		"BITFIELD k SET u1 3 1 SET i1 4 -1 GET i1 3 GET u1 4 GET i1 5", "BITFIELD k OVERFLOW SAT SET i1 0 5 SET i1 1 -5 GET i2 0",
		"BITFIELD k SET i13 5 -4000 GET i13 5 GET u13 5 INCRBY u7 9 1000", "GET k",
	}},
	{name: "errors", cmds: []string{
		"BITFIELD k GET", "BITFIELD k GET i8", "BITFIELD k SET i8 0", "BITFIELD k INCRBY u8 0", "BITFIELD k OVERFLOW",
		"BITFIELD k FOO", "BITFIELD k OVERFLOW FOO GET u8 0", "BITFIELD k GET u64 0", "BITFIELD k GET i65 0",
		"BITFIELD k GET i0 0", "BITFIELD k GET x8 0", "BITFIELD k GET u 0", "BITFIELD k GET i-1 0", "BITFIELD k GET \"\" 0",
		"BITFIELD k GET u8 -1", "BITFIELD k GET u8 abc", "BITFIELD k GET u8 4294967296", "BITFIELD k GET u8 4294967295",
		"BITFIELD k SET u8 4294967295 1", "BITFIELD k SET u8 0 abc", "BITFIELD k SET u8 0 1.5",
		"BITFIELD k SET u8 0 99999999999999999999", "BITFIELD k GET u8 0 FOO", "BITFIELD k GET u8 0 SET u8 0",
		"BITFIELD k SET u64 0 1 GET FOO 0", "BITFIELD", "BITFIELD_RO", "bitfield k get U8 0", "bitfield k get u08 0",
		"BITFIELD k GET u8 +1", "BITFIELD k GET u8 01", "EXISTS k",
		"LPUSH l a", "BITFIELD l GET u8 0", "BITFIELD l SET u8 0 1", "BITFIELD l FOO", "BITFIELD_RO l GET u8 0",
		"BITFIELD l SET u8 -1 1", "BITFIELD_RO l SET u8 0 1",
	}},
	{name: "bitfield_ro", cmds: []string{
		"BITFIELD k SET u8 0 200", "BITFIELD_RO k GET u8 0 GET i8 0 GET u4 4", "BITFIELD_RO k", "BITFIELD_RO k SET u8 0 1",
		"BITFIELD_RO k INCRBY u8 0 1", "BITFIELD_RO k OVERFLOW SAT GET u8 0", "BITFIELD_RO k OVERFLOW FAIL SET u8 0 1",
		"BITFIELD_RO k FOO", "BITFIELD_RO k GET u64 0", "GET k",
	}},
	{name: "int_encoded_and_regressions", cmds: []string{
		"SET n 1234", "BITFIELD n GET u8 0 GET u16 8 GET i32 0 GET u8 32", "BITFIELD_RO n GET u8 24",
		"BITFIELD n INCRBY u8 24 1", "GET n", "OBJECT ENCODING n",
		"BITFIELD r GET u1 0", "BITFIELD r SET u1 0 1 GET u1 0", "DEL r",
		"BITFIELD r OVERFLOW SAT SET u6 0 64 INCRBY u6 0 1 GET u6 0",
		"SET e \"\"", "BITFIELD e GET u8 0", "BITFIELD e SET u8 0 0", "GET e",
		"SET s ab EX 100", "BITFIELD s SET u8 0 99", "TTL s", "GET s",
	}},
	{name: "bitops_checklist", cmds: []string{
		"SET s \"\\xaa\\x00\\xff\\x55\"", "BITCOUNT s 0 -1 BIT", "BITCOUNT s 1 30 BIT", "BITCOUNT s -5 -1 BIT",
		"BITCOUNT s 0 0 BYTE", "BITCOUNT s 2 2", "BITCOUNT s -1 -1", "BITCOUNT s 0 -100 BIT", "BITCOUNT s 100 200", "BITCOUNT s -1 -5 FOO", "BITCOUNT s -5 -1 FOO", "SET e \"\"", "BITCOUNT e -8 -18 9223372036854775808", "BITCOUNT missing 0 1 FOO",
		"BITPOS s 1 0 -1 BIT", "BITPOS s 0 0 -1 BIT", "BITPOS s 1 9 23 BIT", "BITPOS s 0 16 23 BIT", "BITPOS s 0 2 2",
		"BITPOS s 1 -1 -1 BIT", "BITPOS s 0 -8 -1 BIT", "BITPOS s 1 1", "BITPOS s 0 3", "BITPOS s 0 2",
		"SET z \"\\x00\\x00\"", "BITPOS z 1", "BITPOS z 0", "BITPOS z 1 0 -1 BIT", "SET o \"\\xff\\xff\"", "BITPOS o 0", "BITPOS o 0 0", "BITPOS o 0 0 -1",
		"BITPOS o 0 0 15 BIT", "BITPOS o 0 1 BIT", "BITPOS o 0 0 -1 FOO",
		"SET i 255", "BITCOUNT i", "BITPOS i 0", "BITOP NOT ni i", "GET ni", "BITOP AND x i s", "GET x",
		"BITOP XOR x s s s", "GET x", "BITOP OR x missing missing", "EXISTS x", "SET x y", "BITOP OR x missing", "EXISTS x",
		"LPUSH l a", "BITOP AND x l", "BITOP AND x s l", "BITOP NOT x l", "BITCOUNT l", "BITPOS l 1",
		"BITOP and x s", "BITOP Or x s", "BITOP xOr x s", "BITOP nOt x s", "GET x",
	}},
}

// TestBitfieldOverflowFuzzMatchesRedis runs random SET and INCRBY fields of
// every width and overflow behaviour (tests/unit/bitfield.tcl's fuzzers)
// on both servers, comparing every reply.
func TestBitfieldOverflowFuzzMatchesRedis(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(17))
	var cmds []string
	for i := 0; i < 400; i++ {
		bits := 1 + rng.Intn(64)
		sign := "i"
		if bits < 64 && rng.Intn(2) == 0 {
			sign = "u"
		}
		typ := fmt.Sprintf("%s%d", sign, bits)
		ow := []string{"WRAP", "SAT", "FAIL"}[rng.Intn(3)]
		off := rng.Intn(40)
		val := rng.Int63() >> uint(rng.Intn(64))
		if rng.Intn(2) == 0 {
			val = -val
		}
		incr := rng.Int63() >> uint(rng.Intn(64))
		if rng.Intn(2) == 0 {
			incr = -incr
		}
		cmds = append(cmds,
			fmt.Sprintf("BITFIELD f OVERFLOW %s SET %s %d %d INCRBY %s %d %d GET %s %d", ow, typ, off, val, typ, off, incr, typ, off),
			fmt.Sprintf("BITFIELD f GET i64 0 GET u63 %d", off))
	}
	cmds = append(cmds, "GET f")
	runTypeDiff(t, []diffCase{{name: "fuzz", cmds: cmds}})
}

func TestLCSMatchesRedis(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(7))
	dna := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ACGT"[rng.Intn(4)]
		}
		return string(b)
	}
	r1, r2 := dna(300), dna(280)
	// Two related strings (a copy with mutations), as the RNA samples of
	// tests/unit/type/string.tcl: long matching runs.
	m := []byte(r1)
	for i := 0; i < 15; i++ {
		m[rng.Intn(len(m))] = "ACGT"[rng.Intn(4)]
	}
	r3 := "ATTAAAGG" + string(m[5:])
	cases := append([]diffCase{}, lcsCases...)
	cases = append(cases, diffCase{name: "random", cmds: []string{
		"MSET a " + r1 + " b " + r2 + " c " + r3,
		"LCS a b", "LCS a b LEN", "LCS a b IDX", "LCS a b IDX WITHMATCHLEN", "LCS a b IDX MINMATCHLEN 3 WITHMATCHLEN",
		"LCS a c", "LCS a c LEN", "LCS a c IDX", "LCS c a IDX WITHMATCHLEN", "LCS a c IDX WITHMATCHLEN MINMATCHLEN 5",
		"LCS a c IDX MINMATCHLEN 1000",
	}})
	runTypeDiff(t, cases)
}

var lcsCases = []diffCase{
	{name: "basics", cmds: []string{
		"MSET a ohmytext b mynewtext", "LCS a b", "LCS a b LEN", "LCS a b IDX", "LCS a b IDX WITHMATCHLEN",
		"LCS a b IDX MINMATCHLEN 4", "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN", "LCS a b idx withmatchlen minmatchlen -5",
		"LCS a missing", "LCS missing a IDX", "LCS missing missing2 LEN", "LCS a a", "LCS a a IDX WITHMATCHLEN",
		"SET n 12345", "SET m 2x4", "LCS n m", "LCS n m IDX", "SET e \"\"", "LCS e a IDX", "LCS a e LEN",
		"MSET x abcabcabc y cbacbacba", "LCS x y", "LCS x y IDX WITHMATCHLEN", "LCS y x IDX WITHMATCHLEN",
	}},
	{name: "errors", cmds: []string{
		"MSET a foo b bar", "LCS a b LEN IDX", "LCS a b IDX LEN", "LCS a b FOO", "LCS a b MINMATCHLEN",
		"LCS a b MINMATCHLEN x", "LCS a b MINMATCHLEN 1.5", "LCS a b LEN LEN", "LCS a", "LCS",
		"LPUSH l x", "LCS a l", "LCS l a", "LCS l missing FOO", "LCS a b LEN FOO", "LCS a b MINMATCHLEN x IDX LEN",
	}},
	{name: "memory_guard", cmds: []string{
		"#CONFIG SET proto-max-bulk-len 1mb", "SETRANGE big 1000 x", "SETRANGE big2 999 y", "LCS big big2 LEN",
		"LCS big big2 IDX", "#CONFIG SET proto-max-bulk-len 512mb",
	}},
}

func TestSortMatchesRedis(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewSource(19))
	// A random dataset as tests/unit/sort.tcl builds it: elements with
	// weights in string keys and hash fields, some of them equal.
	var setup []string
	var elems []string
	for i := 0; i < 150; i++ {
		w := fmt.Sprint(rng.Intn(60))
		if i%3 == 0 {
			w = fmt.Sprintf("%.3f", rng.Float64()*100)
		}
		elems = append(elems, fmt.Sprint(i))
		setup = append(setup, fmt.Sprintf("#SET weight_%d %s", i, w), fmt.Sprintf("#HSET wobj_%d weight %s name n%d", i, w, rng.Intn(40)))
	}
	list := "#RPUSH tosort " + seqArgs(len(elems), func(i int) string { return elems[i] })
	set := "#SADD tosorts " + seqArgs(len(elems), func(i int) string { return elems[i] })
	intset := "#SADD small " + seqArgs(20, func(i int) string { return elems[i] })
	zs := "#ZADD tosortz " + seqArgs(len(elems), func(i int) string { return fmt.Sprintf("%d %s", rng.Intn(30), elems[i]) })
	queries := []string{
		"SORT %s", "SORT %s DESC", "SORT %s BY weight_*", "SORT %s BY weight_* DESC", "SORT %s BY weight_* LIMIT 5 10",
		"SORT %s BY wobj_*->weight", "SORT %s BY wobj_*->weight GET # GET wobj_*->name GET weight_*", "SORT %s ALPHA",
		"SORT %s ALPHA DESC LIMIT 3 7", "SORT %s BY wobj_*->name ALPHA GET # GET wobj_*->name", "SORT %s BY weight_* ALPHA",
		"SORT %s BY weight_* ALPHA DESC", "SORT %s BY wobj_*->name ALPHA STORE dst", "LRANGE dst 0 -1",
		"SORT %s BY weight_* STORE dst", "LRANGE dst 0 -1", "SORT %s LIMIT 0 0", "SORT %s LIMIT -5 3", "SORT %s LIMIT 140 100",
		"SORT %s LIMIT 149 -1", "SORT %s LIMIT 150 1", "SORT %s BY weight_* GET nosuch_* LIMIT 0 3", "SORT %s BY weight_* GET nostar",
		"SORT_RO %s BY wobj_*->weight GET # LIMIT 10 10", "SORT %s BY nosort STORE dst2", "LRANGE dst2 0 -1",
		"SORT %s BY nosort GET weight_* STORE dst2", "LRANGE dst2 0 -1",
	}
	var cmds []string
	cmds = append(cmds, setup...)
	cmds = append(cmds, list, set, zs, intset)
	for _, key := range []string{"tosort", "tosorts", "tosortz", "small"} {
		for _, q := range queries {
			if strings.Contains(q, "%s") {
				q = fmt.Sprintf(q, key)
			}
			// Equal ALPHA weights keep the input order, and a set's or a
			// sorted set's input order is its hash table's (Redis reads a
			// sorted set from its dict to sort it): compared unordered.
			if (key == "tosorts" || key == "tosortz") && (strings.Contains(q, "ALPHA") && strings.Contains(q, " BY ") || q == "LRANGE dst 0 -1") {
				q = "~" + q
			}
			cmds = append(cmds, q)
		}
	}
	// Native order: lists and sorted sets keep it under BY nosort; a
	// hash-table set's own order is Tandem's, so it is compared unordered.
	cmds = append(cmds, "SORT tosort BY nosort", "SORT tosort BY nosort DESC", "SORT tosort BY nosort LIMIT 5 5",
		"SORT tosort BY nosort DESC LIMIT 5 5", "SORT tosortz BY nosort", "SORT tosortz BY nosort DESC LIMIT 10 4",
		"SORT tosortz BY nosort LIMIT 145 10", "SORT tosortz BY nosort GET weight_* DESC LIMIT 0 5", "~SORT tosorts BY nosort",
		"SORT small BY nosort", "SORT small BY nosort DESC LIMIT 2 3", "SORT tosort BY nosort STORE d3", "LRANGE d3 0 -1")
	cases := append([]diffCase{{name: "random", cmds: cmds}}, sortCases...)
	runTypeDiff(t, cases)
}

var sortCases = []diffCase{
	{name: "basics", cmds: []string{
		"RPUSH l 3 1 2 10 -5 1.5 1e2 0x10", "SORT l", "SORT l DESC", "SORT l ALPHA", "SORT l ALPHA DESC", "SORT l LIMIT 1 2",
		"SORT l GET #", "SORT l GET # GET #", "SORT l GET nostar", "sort l desc alpha limit 0 3", "SORT missing", "SORT missing STORE d",
		"EXISTS d", "SORT l STORE d", "LRANGE d 0 -1", "TYPE d", "SET d x EX 100", "SORT l STORE d", "TTL d", "SORT l LIMIT 0 0 STORE d", "EXISTS d",
		"SORT l STORE l", "LRANGE l 0 -1", "SORT l ASC DESC ASC", "SORT l DESC ASC",
	}},
	{name: "sorted_set", cmds: []string{
		"ZADD z 1 a 5 b 2 c 6 d 3 e", "SORT z BY nosort", "SORT z BY nosort DESC", "SORT z BY nosort LIMIT 1 2", "SORT z BY nosort DESC LIMIT 1 2",
		"SORT z ALPHA", "SORT z", "SORT z BY nosort STORE d", "LRANGE d 0 -1",
		"DEL z", "ZADD z -inf a 0 b inf c", "SORT z BY nosort", "ZADD zf 1 1.1 2 5.2 3 -1e3", "SORT zf", "SORT zf DESC",
		"ZADD big " + seqArgs(200, func(i int) string { return fmt.Sprintf("%d m%03d", i, 199-i) }), "SORT big BY nosort LIMIT 180 30",
		"SORT big ALPHA LIMIT 0 5", "SORT big BY nosort DESC LIMIT 0 3",
	}},
	{name: "floats_and_bad_doubles", cmds: []string{
		"RPUSH f 1.1 5.10 3.10 7.44 2.1 5.75 6.12 0.25 1.15", "SORT f", "RPUSH b 1 2 abc", "SORT b", "SORT b ALPHA",
		"RPUSH w a b c", "SET weight_a 1", "SET weight_b x", "SORT w BY weight_*", "SET weight_b nan", "SORT w BY weight_*",
		// Redis checks errno after strtod without clearing it first: once
		// an ERANGE happened, its later SORTs fail until some other parse
		// clears errno (INCRBYFLOAT does). Tandem has no such memory.
		"SET weight_b 1e500", "SORT w BY weight_*", "#INCRBYFLOAT errno_reset 1", "SET weight_b 1e-500", "SORT w BY weight_*",
		"#INCRBYFLOAT errno_reset 1", "SET weight_b \" 2\"", "SORT w BY weight_*",
		"SET weight_b \"2 \"", "SORT w BY weight_*", "SET weight_b \"\"", "SORT w BY weight_*", "SET weight_b \"3\\x00x\"", "SORT w BY weight_*",
		"SET weight_b 0x1p3", "SORT w BY weight_*", "SET weight_b inf", "SORT w BY weight_* DESC", "SET weight_b -infinity", "SORT w BY weight_*",
		"RPUSH sp \" 5\" \"\" \"\\x00a\"", "SORT sp", "RPUSH bad 1 \"1 \"", "SORT bad", "SORT bad STORE d", "EXISTS d", "SORT bad BY nosort",
	}},
	{name: "by_and_get_patterns", cmds: []string{
		"RPUSH l 1 2 3", "MSET w_1 30 w_2 20 w_3 10 o1x a o2x b", "HSET h_1 f 3 g x", "HSET h_2 f 1", "HSET h_3 f 2",
		"SORT l BY w_*", "SORT l BY h_*->f", "SORT l BY h_*->f GET h_*->g GET # GET w_* GET o*x", "SORT l BY h_*-> GET h_*->",
		"SORT l BY h_*->nofield", "SORT l BY w_*->f", "SORT l GET h_*", "SORT l GET w_*->f", "SORT l BY nosuch_* DESC",
		"SORT l BY h_*->f ALPHA", "SORT l BY w_* ALPHA DESC", "SORT l GET ## GET #x", "SORT l BY \"w_*\\x00*\"", "SORT l GET \"w_*\\x00z\"",
		"SORT l GET *->f", "SET 1 one", "SORT l GET *", "SORT l BY h_*->f GET h_*->f STORE d", "LRANGE d 0 -1",
		"SORT l GET nosuch_* STORE d", "LRANGE d 0 -1", "RPUSH t a b", "HSET h_a -> x", "SORT t BY h_*->-> ALPHA GET h_*->->",
		"SORT l BY w_* LIMIT 0 1 BY h_*->f", "SORT l BY h_*->f DESC LIMIT 1 1",
		// An empty weight is present (sorted after the missing ones).
		"SET w_2 \"\"", "HSET h_3 f \"\"", "SORT l BY w_* ALPHA", "SORT l BY w_* ALPHA DESC", "SORT l BY h_*->f ALPHA",
		"SORT l BY w_* ALPHA STORE d", "LRANGE d 0 -1", "DEL w_1", "SORT l BY w_* ALPHA", "SORT l BY w_*",
	}},
	{name: "sets", cmds: []string{
		"SADD s 5 2 9 1", "SORT s", "SORT s DESC", "SORT s BY nosort", "SORT s BY nosort DESC", "SORT s ALPHA LIMIT 1 2",
		"SORT s BY nosort STORE d", "LRANGE d 0 -1", "SADD t b c a d", "SORT t ALPHA", "SORT t BY nosort STORE d", "LRANGE d 0 -1",
		"SORT t BY nosort DESC STORE d", "LRANGE d 0 -1", "SORT t BY nosort ALPHA LIMIT 1 2 STORE d", "LRANGE d 0 -1", "SORT t",
		"~SORT t BY x_* ALPHA", "SORT t BY nosort GET # STORE d", "LRANGE d 0 -1",
	}},
	{name: "errors", cmds: []string{
		"RPUSH l 1 2", "SORT l LIMIT", "SORT l LIMIT 1", "SORT l LIMIT a 1", "SORT l LIMIT 1 b", "SORT l LIMIT 1.5 1",
		"SORT l BY", "SORT l GET", "SORT l STORE", "SORT l FOO", "SORT l ASC FOO", "SORT_RO l STORE d", "SORT_RO l STORE",
		"SET s x", "SORT s", "SORT s FOO", "SORT s LIMIT a b", "HSET h a b", "SORT h", "SORT_RO h BY nosort", "SORT", "SORT_RO",
		"SORT l LIMIT 99999999999999999999 1", "SORT l LIMIT 0 -99999999", "SORT l LIMIT -9223372036854775808 9223372036854775807",
		"SORT l BY w_* LIMIT 0 1 STORE", "SORT l GET # STORE s", "GET s", "TYPE s",
	}},
	{name: "getkeys", cmds: []string{
		"COMMAND GETKEYS SORT k", "COMMAND GETKEYS SORT k STORE d", "COMMAND GETKEYS SORT k STORE d STORE e",
		"COMMAND GETKEYS SORT k LIMIT 0 1 GET store STORE x", "COMMAND GETKEYS SORT k BY store", "COMMAND GETKEYS SORT_RO k",
		"COMMAND GETKEYS SORT k STORE", "COMMAND GETKEYS SORT k LIMIT store d",
	}},
}

func TestGeoMatchesRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, geoCases)
}

const nycSetup = `GEOADD nyc -73.9454966 40.747533 "lic market" -73.9733487 40.7648057 "central park n/q/r" -73.9903085 40.7362513 "union square" -74.0131604 40.7126674 "wtc one" -73.7858139 40.6428986 "jfk" -73.9375699 40.7498929 "q4" -73.9564142 40.7480973 4545`

var geoCases = []diffCase{
	{name: "geoadd", cmds: []string{
		"GEOADD nyc -73.9454966 40.747533 \"lic market\"", "GEOADD nyc -73.9454966 40.747533 \"lic market\"",
		"GEOADD nyc CH 40.747533 -73.9454966 \"lic market\"", "GEOADD nyc CH -73.9454966 40.747533 \"lic market\"",
		"GEOADD nyc NX -73.9454966 40.747533 \"lic market\" -73.9 40.7 new", "GEOADD nyc XX -73.94 40.74 \"lic market\" -73.9 40.7 other",
		"GEOADD nyc CH NX -73.9 40.7 x -73.9 40.7 new", "GEOADD nyc CH XX -73.9 40.7 new -73.9 40.7 other2", "GEOADD nyc nx ch xx 1 1 a",
		"GEOADD nyc XX NX -73.9 40.7 x", "GEOADD nyc GT -73.9 40.7 x", "GEOADD nyc -73.9 40.7", "GEOADD nyc NX CH CH",
		"GEOADD nyc 200 100 a", "GEOADD nyc -181 0 a", "GEOADD nyc 0 85.06 a", "GEOADD nyc 0 -85.05112879 a", "GEOADD nyc 180 85.05112878 edge",
		"GEOADD nyc -180 -85.05112878 edge2", "GEOADD nyc inf 0 a", "GEOADD nyc abc 0 a", "GEOADD nyc 0 abc a", "GEOADD nyc 1 2 a 200 0 b",
		"EXISTS nyc", "ZRANGE nyc 0 -1 WITHSCORES", "GEOADD", "GEOADD nyc 1 2", "SET s x", "GEOADD s 1 2 a", "GEOADD s 200 2 a",
		"GEOADD n 0 0 zero 1e-10 -1e-10 tiny 179.9999999 85.0511287 corner", "ZRANGE n 0 -1 WITHSCORES", "OBJECT ENCODING n",
	}},
	{name: "geopos_geohash_geodist", cmds: []string{
		nycSetup, "GEOPOS nyc \"wtc one\" jfk missing 4545", "GEOHASH nyc \"wtc one\" jfk missing 4545", "GEOPOS missing a b", "GEOHASH missing a",
		"GEOPOS nyc", "GEOHASH nyc", "GEODIST nyc \"wtc one\" jfk", "GEODIST nyc \"wtc one\" jfk km", "GEODIST nyc \"wtc one\" jfk MI",
		"GEODIST nyc \"wtc one\" jfk ft", "GEODIST nyc \"wtc one\" jfk m", "GEODIST nyc \"wtc one\" jfk parsecs", "GEODIST nyc a b km x",
		"GEODIST nyc \"wtc one\" missing", "GEODIST missing a b", "GEODIST missing a b foo", "GEODIST nyc jfk jfk", "GEODIST nyc q4 4545 km",
		"GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", "GEODIST Sicily Palermo Catania", "GEODIST Sicily Palermo Catania km",
		"GEOHASH Sicily Palermo Catania", "GEOPOS Sicily Palermo Catania", "ZADD z -1 neg 0 zero 9007199254740992 huge inf pinf -inf ninf 1e300 big",
		"GEOPOS z neg zero huge pinf ninf big", "GEOHASH z neg zero huge pinf ninf big", "GEODIST z neg huge", "GEODIST z zero big km",
		"SET s x", "GEOPOS s a", "GEOHASH s a", "GEODIST s a b", "GEODIST s a b km", "GEODIST s a b xx",
		"GEOADD e 0 0 a 0 0 b 180 0 c -180 0 d 0 85.05112878 n 0 -85.05112878 s", "GEODIST e a b", "GEODIST e c d", "GEODIST e n s", "GEODIST e a c mi",
		"GEOPOS e a b c d n s", "GEOHASH e a c d n s",
	}},
	{name: "georadius_family", cmds: []string{
		nycSetup,
		"GEORADIUS nyc -73.9798091 40.7598464 3 km ASC", "GEORADIUS nyc -73.9798091 40.7598464 3 km WITHDIST ASC",
		"GEORADIUS nyc -73.9798091 40.7598464 10 km", "GEORADIUS nyc -73.9798091 40.7598464 10 km DESC",
		"GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3", "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 2 DESC",
		"GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3 ANY", "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 3 ANY ASC",
		"GEORADIUS nyc -73.9798091 40.7598464 10 km ANY", "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT", "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 0",
		"GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT -1", "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT x",
		"GEORADIUS nyc -73.9798091 40.7598464 10 km WITHDIST WITHCOORD WITHHASH ASC", "GEORADIUS nyc -73.9798091 40.7598464 10 mi withhash withcoord",
		"GEORADIUS nyc -73.9798091 40.7598464 30000 ft WITHDIST", "GEORADIUS nyc -73.9798091 40.7598464 0 km", "GEORADIUS nyc -73.9798091 40.7598464 -1 km",
		"GEORADIUS nyc -73.9798091 40.7598464 x km", "GEORADIUS nyc -73.9798091 40.7598464 1 parsec", "GEORADIUS nyc 200 40 1 km", "GEORADIUS nyc -73.9 40.7 1 km FOO",
		"GEORADIUS nyc -73.9 40.7 100 km STORE", "GEORADIUS_RO nyc -73.9 40.7 100 km STORE d", "GEORADIUS nyc 0 0 50000 km WITHCOORD",
		"GEORADIUS missing 0 0 1 km", "GEORADIUS missing 0 0 1 km STORE d", "GEORADIUS missing 0 0 -1 km", "SET s x", "GEORADIUS s 0 0 1 km",
		"GEORADIUS nyc 0 0 1 km", "GEORADIUS nyc 0 0 1 km STORE d", "GEORADIUS_RO nyc -73.9798091 40.7598464 10 km WITHDIST",
		"GEORADIUSBYMEMBER nyc \"wtc one\" 7 km", "GEORADIUSBYMEMBER nyc \"wtc one\" 7 km WITHDIST", "GEORADIUSBYMEMBER nyc missing 7 km",
		"GEORADIUSBYMEMBER nyc \"wtc one\" 7 km COUNT 2 DESC WITHCOORD", "GEORADIUSBYMEMBER_RO nyc jfk 20 km WITHDIST ASC",
		"GEORADIUSBYMEMBER missing m 1 km", "GEORADIUSBYMEMBER missing m -1 xx WITHDIST", "GEORADIUSBYMEMBER missing m 1 km FOO",
		"GEORADIUSBYMEMBER missing m 1 km STORE d WITHDIST", "GEORADIUSBYMEMBER nyc missing -1 km", "GEORADIUSBYMEMBER nyc jfk 1 xx",
		"GEORADIUSBYMEMBER_RO nyc jfk 1 km STOREDIST d", "GEORADIUS nyc -73.9 40.7 1 km FROMMEMBER jfk",
	}},
	{name: "geosearch", cmds: []string{
		nycSetup,
		"GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYRADIUS 3 km ASC", "GEOSEARCH nyc FROMMEMBER \"wtc one\" BYBOX 14 14 km",
		"GEOSEARCH nyc FROMMEMBER \"wtc one\" BYBOX 14 14 km DESC WITHDIST WITHHASH WITHCOORD", "GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYBOX 6 6 km ASC COUNT 2",
		"GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYRADIUS 10 km COUNT 1 ANY", "GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYRADIUS 10 mi WITHDIST DESC",
		"GEOSEARCH nyc FROMLONLAT 0 0 FROMMEMBER jfk BYRADIUS 1 km", "GEOSEARCH nyc FROMMEMBER jfk FROMLONLAT 0 0 BYRADIUS 1 km",
		"GEOSEARCH nyc BYRADIUS 1 km", "GEOSEARCH nyc FROMMEMBER jfk", "GEOSEARCH nyc FROMMEMBER jfk BYRADIUS 1 km BYBOX 1 1 km",
		"GEOSEARCH nyc FROMMEMBER jfk BYBOX 1 1 km BYRADIUS 1 km", "GEOSEARCH nyc FROMMEMBER jfk WITHDIST", "geosearch nyc withdist",
		"GEOSEARCH nyc FROMMEMBER missing BYRADIUS 1 km", "GEOSEARCH nyc FROMMEMBER jfk BYBOX -1 1 km", "GEOSEARCH nyc FROMMEMBER jfk BYBOX x 1 km",
		"GEOSEARCH nyc FROMMEMBER jfk BYBOX 1 y km", "GEOSEARCH nyc FROMMEMBER jfk BYBOX 1 1 lightyears", "GEOSEARCH nyc FROMMEMBER jfk BYRADIUS 1 km STORE d",
		"GEOSEARCH nyc FROMMEMBER jfk BYRADIUS 1 km STOREDIST", "GEOSEARCH nyc FROMMEMBER jfk BYRADIUS", "GEOSEARCH nyc FROMLONLAT 0 BYRADIUS 1 km",
		"GEOSEARCH nyc FROMLONLAT 0 100 BYRADIUS 1 km", "GEOSEARCH missing FROMMEMBER x BYRADIUS 1 km", "GEOSEARCH missing FROMLONLAT 0 0 BYRADIUS 1 km",
		"GEOSEARCH missing FROMMEMBER x BYBOX 1 1 km ANY", "GEOSEARCH nyc FROMMEMBER jfk BYRADIUS 100 km ANY",
		"GEOSEARCH nyc FROMLONLAT -73.9798091 40.7598464 BYBOX 0 0 km", "GEOSEARCH nyc FROMMEMBER q4 BYRADIUS 0 m WITHDIST",
		"GEOADD points 179.5 36 point1 -179.5 36 point2", "GEOSEARCH points FROMLONLAT 179 37 BYBOX 400 400 km ASC",
		"GEOSEARCH points FROMLONLAT -179 37 BYBOX 400 400 km ASC WITHDIST", "GEOADD sm -122.407107 37.794300 1 -122.227336 37.794300 2",
		"GEORADIUS sm -122.407107 37.794300 30 mi ASC WITHDIST",
	}},
	{name: "store", cmds: []string{
		nycSetup,
		"GEORADIUS nyc -73.9798091 40.7598464 10 km STORE d", "ZRANGE d 0 -1 WITHSCORES", "GEORADIUS nyc -73.9798091 40.7598464 10 km STOREDIST d",
		"ZRANGE d 0 -1 WITHSCORES", "GEORADIUS nyc -73.9798091 40.7598464 10 km COUNT 2 DESC STOREDIST d", "ZRANGE d 0 -1 WITHSCORES",
		"GEORADIUS nyc -73.9798091 40.7598464 10 km STORE d WITHDIST", "GEOSEARCHSTORE d nyc FROMMEMBER jfk BYRADIUS 30 km WITHDIST",
		"GEORADIUSBYMEMBER nyc jfk 30 mi STOREDIST d STORE e", "ZRANGE e 0 -1 WITHSCORES", "EXISTS d",
		"GEOSEARCHSTORE d nyc FROMMEMBER \"wtc one\" BYBOX 14 14 km", "ZRANGE d 0 -1 WITHSCORES", "GEOSEARCHSTORE d nyc FROMMEMBER \"wtc one\" BYBOX 14 14 km STOREDIST",
		"ZRANGE d 0 -1 WITHSCORES", "GEOSEARCHSTORE d nyc FROMMEMBER \"wtc one\" BYRADIUS 10 mi STOREDIST COUNT 3 DESC", "ZRANGE d 0 -1 WITHSCORES",
		"GEOSEARCHSTORE d nyc FROMLONLAT 0 0 BYRADIUS 1 km", "EXISTS d", "SET d x EX 100", "GEOSEARCHSTORE d nyc FROMMEMBER jfk BYRADIUS 1 km", "TTL d", "TYPE d",
		"GEOSEARCHSTORE d nyc FROMMEMBER jfk BYRADIUS 1 km STORE x", "GEOSEARCHSTORE d missing FROMMEMBER jfk BYRADIUS 1 km", "GEOSEARCHSTORE d nyc",
		"GEOSEARCHSTORE nyc nyc FROMMEMBER jfk BYRADIUS 100 km STOREDIST", "ZRANGE nyc 0 -1 WITHSCORES", "OBJECT ENCODING nyc",
		"COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE d", "COMMAND GETKEYS GEORADIUS k 0 0 1 km STOREDIST d STORE e", "COMMAND GETKEYS GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km",
		"COMMAND GETKEYS GEORADIUSBYMEMBER k m 1 km STORE d",
	}},
	{name: "oblique_and_poles", cmds: []string{
		"GEOADD k1 -0.15307903289794921875 85 n1 0.3515625 85.00019260486917005437 n2", "GEORADIUSBYMEMBER k1 n1 4891.94 m",
		"DEL k1", "GEOADD k1 -4.95211958885192871094 85 n3 11.25 85.0511 n4", "GEORADIUSBYMEMBER k1 n3 156544 m",
		"DEL k1", "GEOADD k1 -45 65.50900022111811438208 n5 90 85.0511 n6", "GEORADIUSBYMEMBER k1 n5 5009431 m",
		"DEL k1", "GEOADD k1 45 65 n1 -135 85.05 n2", "GEORADIUSBYMEMBER k1 n1 5009431 m WITHDIST",
		"GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2 17.250000 35.202000 edge3 12.750000 35.202000 edge4 12.748489955781654 37 edge5 15 38.798135872540925 edge6 17.251510044218346 37 edge7 15 35.201864127459075 edge8 12.692799634687903 38.798135872540925 corner1 12.692799634687903 38.798135872540925 corner2 17.200560937451133 35.201864127459075 corner3 12.799439062548865 35.201864127459075 corner4",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST", "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD",
		"GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 3000 2 km", "GEOSEARCH Sicily FROMLONLAT 15 89 BYRADIUS 20000 km", "GEORADIUS Sicily 0 -85 20000 km COUNT 3",
	}},
}

// geoFuzzCmds builds tests/unit/geo.tcl-like fuzz traffic: random points
// (most around a center, some anywhere on the globe) and random searches
// of every shape, unit, order and option; scores is the command that
// reads a GEOSEARCHSTORE … STOREDIST result back.
func geoFuzzCmds(seed int64, scores string) []string {
	rng := rand.New(rand.NewSource(seed))
	var cmds []string
	for k := 0; k < 6; k++ {
		clon, clat := (rng.Float64()*2-1)*180, (rng.Float64()*2-1)*80
		add := "GEOADD g"
		for i := 0; i < 150; i++ {
			lon := clon + (rng.Float64()*2-1)*3
			lat := clat + (rng.Float64()*2-1)*3
			if lon > 180 || lon < -180 || lat > 85 || lat < -85 || i%10 == 0 {
				lon, lat = (rng.Float64()*2-1)*180, (rng.Float64()*2-1)*85
			}
			add += fmt.Sprintf(" %.7f %.7f m%d", lon, lat, i)
		}
		cmds = append(cmds, "DEL g", add, "ZRANGE g 0 -1 WITHSCORES", "GEOHASH g"+seqArgs(40, func(i int) string { return fmt.Sprintf(" m%d", i) }),
			"GEOPOS g"+seqArgs(40, func(i int) string { return fmt.Sprintf(" m%d", i) }))
		for q := 0; q < 25; q++ {
			center := fmt.Sprintf("FROMLONLAT %.6f %.6f", clon+(rng.Float64()*2-1)*2, clat+(rng.Float64()*2-1)*2)
			if q%3 == 0 {
				center = fmt.Sprintf("FROMMEMBER m%d", rng.Intn(150))
			}
			unit := []string{"m", "km", "mi", "ft"}[rng.Intn(4)]
			scale := map[string]float64{"m": 1000, "km": 1, "mi": 0.62, "ft": 3280}[unit]
			by := fmt.Sprintf("BYRADIUS %.3f %s", rng.Float64()*400*scale, unit)
			if q%2 == 0 {
				by = fmt.Sprintf("BYBOX %.3f %.3f %s", rng.Float64()*600*scale, rng.Float64()*600*scale, unit)
			}
			cmds = append(cmds,
				fmt.Sprintf("GEOSEARCH g %s %s ASC WITHDIST WITHCOORD WITHHASH", center, by),
				fmt.Sprintf("GEOSEARCH g %s %s DESC COUNT %d", center, by, 1+rng.Intn(20)),
				fmt.Sprintf("~GEOSEARCH g %s %s", center, by),
				fmt.Sprintf("GEOSEARCHSTORE d g %s %s STOREDIST", center, by), scores,
				fmt.Sprintf("GEODIST g m%d m%d %s", rng.Intn(150), rng.Intn(150), unit))
		}
	}
	return cmds
}

// TestGeoFuzzMatchesRedis runs geoFuzzCmds on both servers: the geohash
// arithmetic (scores, GEOHASH, GEOPOS), the cells searched, the distances
// as printed and the order of results must be Redis's exactly. (The
// stored distances' last bits are TestGeoStoredDistanceBits's.)
func TestGeoFuzzMatchesRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, []diffCase{{name: "fuzz", cmds: geoFuzzCmds(23, "ZRANGE d 0 -1")}})
}

// TestGeoStoredDistanceBits compares the full bits of the distances
// GEOSEARCHSTORE … STOREDIST stores. Redis gets them from glibc's sin,
// cos and asin, which are correctly rounded except in about 0.1% of
// cases; Tandem rounds correctly always (crmath.go). So all but a few in
// a thousand must be the same double, and none may be off by more than
// two ulps.
func TestGeoStoredDistanceBits(t *testing.T) {
	t.Parallel()
	td, rd := dialRaw(t, startTandem(t).Addr()), dialRaw(t, startRedis(t).Addr())
	var total, differ int
	for _, line := range geoFuzzCmds(29, "ZRANGE d 0 -1 WITHSCORES") {
		line = strings.TrimPrefix(line, "~")
		args := splitCmd(line)
		got, want := td.do(args...), rd.do(args...)
		if !strings.HasPrefix(line, "ZRANGE d") {
			continue
		}
		g, w := strings.Split(got, "\r\n"), strings.Split(want, "\r\n")
		if len(g) != len(w) {
			t.Fatalf("%s: reply shapes differ:\n tandem %q\n redis  %q", line, got, want)
		}
		// *2n, then $len member $len score pairs: scores at 4, 8, ...
		for i := 4; i < len(g); i += 4 {
			total++
			if g[i] == w[i] {
				continue
			}
			differ++
			gf, _ := strconv.ParseFloat(g[i], 64)
			wf, _ := strconv.ParseFloat(w[i], 64)
			if ulps := math.Abs(float64(int64(math.Float64bits(gf)) - int64(math.Float64bits(wf)))); ulps > 2 {
				t.Errorf("%s: distance %s, Redis %s (%v ulps)", line, g[i], w[i], ulps)
			}
		}
	}
	t.Logf("%d stored distances, %d differ from Redis's in the last bits", total, differ)
	if total < 1000 || float64(differ) > 0.01*float64(total) {
		t.Fatalf("%d of %d stored distances differ from Redis's", differ, total)
	}
}

// TestSetbitAndBitfieldCountOnlyChanges: a SETBIT or BITFIELD SET that
// leaves the bits as they were is not a change (the dirty counter, and so
// save points and propagation, do not move), as in Redis 7.0.
func TestSetbitAndBitfieldCountOnlyChanges(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	c := newClient(t, startTandem(t).Addr(), 2)
	dirty := func() string { return infoFields(c.Info(ctx, "persistence").Val())["rdb_changes_since_last_save"] }
	mustDo(t, ctx, c, "SETBIT", "foo", "0", "0")                 // created: a change
	mustDo(t, ctx, c, "BITFIELD", "foo2", "SET", "i5", "0", "0") // created: a change
	before := dirty()
	mustDo(t, ctx, c, "SETBIT", "foo", "0", "0")
	mustDo(t, ctx, c, "BITFIELD", "foo2", "SET", "i5", "0", "0")
	if after := dirty(); after != before || before != "2" {
		t.Errorf("rdb_changes_since_last_save %s then %s, want 2 and 2", before, after)
	}
	mustDo(t, ctx, c, "SETBIT", "foo", "0", "1")
	mustDo(t, ctx, c, "SETBIT", "foo", "100", "0") // grows the string: a change
	if got := dirty(); got != "4" {
		t.Errorf("after two changes: %s, want 4", got)
	}
}

// TestEmptyArgumentsInMulti: an empty argument queued in MULTI is still an
// argument given (GEORADIUS … STOREDIST "" must meet the STORE checks
// inside EXEC as outside it).
func TestEmptyArgumentsInMulti(t *testing.T) {
	runTypeDiff(t, []diffCase{{name: "storedist-empty", cmds: []string{
		`GEORADIUSBYMEMBER z 1 7 M WITHCOORD STOREDIST ""`,
		"MULTI", `GEORADIUSBYMEMBER z 1 7 M WITHCOORD STOREDIST ""`, `SORT nosuch STORE ""`, "EXEC",
	}}})
}
