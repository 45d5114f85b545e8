package test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The command fuzzer's generator (TestCommandFuzz in e2e_cmdfuzz_test.go):
// it learns the command table from the servers (names, arities and key
// positions from Tandem's COMMAND; argument trees from COMMAND DOCS of a
// real Redis 7.0, since Tandem's docs carry no argument specs) and fills
// each command with hostile values.

// argSpec is one node of a COMMAND DOCS argument tree.
type argSpec struct {
	name, typ, token             string
	optional, multiple, multiTok bool
	kids                         []*argSpec
}

// fuzzCmd is one command (or container|subcommand) the fuzzer draws.
type fuzzCmd struct {
	name  string   // lower case, "config|get" for subcommands
	words []string // what starts the command line: ["CONFIG", "GET"]
	arity int      // COMMAND's arity (counts the name words)
	first int      // first key position (0: no keys)
	last  int
	step  int
	args  []*argSpec // from Redis's COMMAND DOCS; nil when unknown
	docs  bool       // args came from COMMAND DOCS
}

// parseArgSpecs reads a COMMAND DOCS "arguments" array (RESP2 flat maps).
func parseArgSpecs(n *rnode) []*argSpec {
	if n == nil {
		return nil
	}
	var out []*argSpec
	for _, e := range n.kids {
		a := &argSpec{}
		for i := 0; i+1 < len(e.kids); i += 2 {
			k, v := e.kids[i].text, e.kids[i+1]
			switch k {
			case "name":
				a.name = v.text
			case "type":
				a.typ = v.text
			case "token":
				a.token = v.text
			case "flags":
				for _, f := range v.kids {
					switch f.text {
					case "optional":
						a.optional = true
					case "multiple":
						a.multiple = true
					case "multiple_token":
						a.multiTok = true
					}
				}
			case "arguments":
				a.kids = parseArgSpecs(v)
			}
		}
		out = append(out, a)
	}
	return out
}

// flatMap returns the value of key in a RESP2 flat map (or RESP3 map).
func flatMap(n *rnode, key string) *rnode {
	if n == nil {
		return nil
	}
	for i := 0; i+1 < len(n.kids); i += 2 {
		if n.kids[i].text == key {
			return n.kids[i+1]
		}
	}
	return nil
}

// Hostile value pools. Extremes of int64 and int32, 2^32, values one past
// them, float words, empty and malformed numbers.
var (
	hostileInts = []string{
		"9223372036854775807", "-9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"-9223372036854775809", "9223372036854775806", "4294967296", "4294967295", "2147483647",
		"2147483648", "-2147483648", "-2147483649", "18446744073709551615", "4611686018427387904",
		"1.5", "x", "", "nan", "inf", "-inf", "+inf", " 1", "1 ", "0x10", "1e3", "007", "-0", "+1", "1\x00",
	}
	hostileFloats = []string{
		"nan", "NaN", "inf", "-inf", "+inf", "infinity", "-Infinity", "1e308", "-1e308", "1e309", "1e-320",
		"4.9e-324", "0.1", "-0", "-0.0", "1.7976931348623157e308", "9007199254740993", "5e-324", "0x1p3",
		"1.", ".5", "1e", "", "x", " 1", "(1", "(inf", "[a", "9223372036854775807", "-9223372036854775808",
	}
	hostileStrs = []string{
		"", " ", "\x00", "a\r\nb", "\xff\xfe", "*", "?", "[", "\\", "-", "+", "(", "[a", "(a", "nx", "xx",
		"withscores", "limit", "count", "LEN", "9223372036854775807", "-1", "0", "abc", "hello",
	}
	// Relative expiry times: never a small positive value (it could expire
	// between the two servers' executions); zero and negatives delete.
	relSeconds = []string{"0", "-1", "-100", "1000", "100000", "9223372036854775807", "-9223372036854775808",
		"9223372036854775806", "4611686018427387904", "922337203685477580", "9223372036854775", "x", "1.5", "", "2147483648"}
	relMillis = []string{"0", "-1", "-100", "1000000", "100000000", "9223372036854775807", "-9223372036854775808",
		"9223372036854775806", "9223372036854775", "x", "1.5", "", "4294967296"}
	unixTimes = []string{"0", "1", "-1", "1000000000", "4102444800", "4102444800000", "9223372036854775807",
		"-9223372036854775808", "9223372036854775", "253402300800", "x", ""}
	// Blocking timeouts: short, negative or malformed, never 0 (forever).
	blockTimeouts = []string{"0.01", "0.002", "-1", "x", "-0.5", "1e-2", "nan", "inf", "-inf", ""}
	waitTimeouts  = []string{"10", "-5", "x", "1.5", "-9223372036854775808", ""}
	patterns      = []string{"*", "k*", "?", "[", "[a-", "\\", "*[^a]*", "h*", "s?", "*\\", "", "nosort-not"}
	sortPatterns  = []string{"#", "*", "h->f1", "nokey_*", "H->*", "w_*"}
)

// Keys pre-created by seedData, one or more of each type, plus missing
// ones. "canary" is never drawn.
var fuzzKeys = []string{"s", "n", "fl", "big", "l", "L", "h", "H", "S", "I", "z", "Z", "hll", "geo", "ttl",
	"missing", "dst", "new", ""}

type fuzzGen struct {
	r       *rand.Rand
	cmds    []*fuzzCmd
	byName  map[string]*fuzzCmd
	inMulti int // commands queued since MULTI
}

func (g *fuzzGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *fuzzGen) key() string {
	if g.r.IntN(40) == 0 {
		return g.pick([]string{"k\x00", strings.Repeat("K", 300), "{s}", "canar"})
	}
	return g.pick(fuzzKeys)
}

// bigString is the 1 MB value: its commands delete their keys afterwards,
// so the keyspace stays small.
var bigString = strings.Repeat("B", 1<<20)

func (g *fuzzGen) str() string {
	switch g.r.IntN(40) {
	case 0:
		if g.r.IntN(10) == 0 {
			return bigString
		}
		return strings.Repeat("x", 1+g.r.IntN(300))
	case 1, 2, 3, 4, 5:
		return g.pick(hostileStrs)
	case 6, 7:
		return g.integer()
	case 8:
		return g.pick(hostileFloats)
	}
	return g.pick([]string{"a", "b", "c", "m1", "f1", "f2", "1", "2", "3", "-5", "hello", "1.5"})
}

func (g *fuzzGen) integer() string {
	switch g.r.IntN(4) {
	case 0:
		return g.pick(hostileInts)
	case 1:
		return fmt.Sprint(-g.r.IntN(20))
	}
	return fmt.Sprint(g.r.IntN(12))
}

func (g *fuzzGen) float() string {
	switch g.r.IntN(4) {
	case 0:
		return g.pick(hostileFloats)
	case 1:
		return g.integer()
	}
	return g.pick([]string{"0", "1", "2.5", "-3", "1e3", "0.1", "100"})
}

// value fills one argument of the given spec.
func (g *fuzzGen) value(c *fuzzCmd, a *argSpec) string {
	if g.r.IntN(25) == 0 { // wrong kind on purpose
		return g.pick([][]string{hostileInts, hostileFloats, hostileStrs, fuzzKeys}[g.r.IntN(4)])
	}
	name := strings.ToLower(a.name)
	switch {
	case name == "timeout" && c.name == "wait":
		return g.pick(waitTimeouts)
	case name == "timeout":
		return g.pick(blockTimeouts)
	case a.typ == "unix-time" || strings.HasPrefix(name, "unix-time"):
		return g.pick(unixTimes)
	case name == "seconds" || name == "ttl":
		return g.pick(relSeconds)
	case name == "milliseconds":
		return g.pick(relMillis)
	}
	switch a.typ {
	case "key":
		return g.key()
	case "integer":
		return g.integer()
	case "double":
		return g.float()
	case "pattern":
		if strings.HasPrefix(c.name, "sort") {
			return g.pick(sortPatterns)
		}
		return g.pick(patterns)
	}
	// string-typed: some names want numbers or lexical ranges.
	switch {
	case strings.Contains(name, "min") || strings.Contains(name, "max") || name == "start" || name == "stop" ||
		name == "end" || name == "score" || name == "increment":
		if g.r.IntN(3) == 0 {
			return g.pick([]string{"-", "+", "[a", "(a", "(1", "-inf", "+inf", "(inf", "[", "a"})
		}
		return g.float()
	case name == "count" || name == "numkeys" || name == "offset" || name == "index" || name == "rank" || name == "len":
		return g.integer()
	}
	return g.str()
}

// fill appends values for an argument list.
func (g *fuzzGen) fill(c *fuzzCmd, args []*argSpec, out []string) []string {
	for _, a := range args {
		if a.optional && g.r.IntN(2) == 0 {
			continue
		}
		n := 1
		if a.multiple {
			n = 1 + g.r.IntN(3)
			if g.r.IntN(30) == 0 {
				n += 20
			}
		}
		for i := 0; i < n; i++ {
			if a.token != "" && (i == 0 || a.multiTok) {
				out = append(out, a.token)
			}
			switch a.typ {
			case "pure-token":
			case "oneof":
				if len(a.kids) > 0 {
					k := *a.kids[g.r.IntN(len(a.kids))]
					k.optional = false
					out = g.fill(c, []*argSpec{&k}, out)
				}
			case "block":
				out = g.fill(c, a.kids, out)
			default:
				out = append(out, g.value(c, a))
			}
		}
	}
	return out
}

// generic fills a command without docs from its arity and key positions.
func (g *fuzzGen) generic(c *fuzzCmd) []string {
	n := c.arity
	if n < 0 {
		n = -n + g.r.IntN(4)
	}
	out := append([]string(nil), c.words...)
	for i := len(out); i < n; i++ {
		isKey := c.first > 0 && i >= c.first && (c.last < 0 || i <= c.last) && (c.step <= 1 || (i-c.first)%c.step == 0)
		if isKey {
			out = append(out, g.key())
		} else {
			out = append(out, g.pick([][]string{hostileInts, hostileFloats, hostileStrs, {g.integer(), g.str()}}[g.r.IntN(4)]))
		}
	}
	return out
}

// configSetParams are the settings CONFIG SET may change: encoding
// thresholds and harmless knobs (never limits that would let a command
// allocate gigabytes, persistence paths or replication).
var configSetParams = []string{"hash-max-listpack-entries", "hash-max-listpack-value", "set-max-intset-entries",
	"zset-max-listpack-entries", "zset-max-listpack-value", "list-max-listpack-size", "list-compress-depth",
	"hash-max-ziplist-entries", "zset-max-ziplist-value", "slowlog-log-slower-than", "slowlog-max-len",
	"lazyfree-lazy-user-del", "notify-keyspace-events", "latency-monitor-threshold"}

// next draws one command line and its definition.
func (g *fuzzGen) next() (*fuzzCmd, []string) {
	if g.inMulti > 0 {
		g.inMulti++
		if g.inMulti > 6 {
			g.inMulti = 0
			return g.byName["exec"], []string{g.pick([]string{"EXEC", "EXEC", "DISCARD"})}
		}
	}
	c := g.cmds[g.r.IntN(len(g.cmds))]
	var args []string
	switch {
	case c.name == "config|set":
		args = []string{"CONFIG", "SET"}
		for i := 0; i <= g.r.IntN(2); i++ {
			v := g.integer()
			if g.r.IntN(3) == 0 {
				v = g.pick([]string{"yes", "no", "KEA", "", "-1", "0"})
			}
			args = append(args, g.pick(configSetParams), v)
		}
	case c.docs:
		args = g.fill(c, c.args, append([]string(nil), c.words...))
	default:
		args = g.generic(c)
	}
	// Mutations: drop or add an argument now and then.
	switch g.r.IntN(40) {
	case 0:
		if len(args) > len(c.words) {
			args = args[:len(args)-1]
		}
	case 1:
		args = append(args, g.pick([][]string{hostileInts, hostileStrs, fuzzKeys}[g.r.IntN(3)]))
	}
	g.tame(c, args)
	if c.name == "multi" {
		g.inMulti = 1
	}
	if c.name == "exec" || c.name == "discard" || c.name == "reset" {
		g.inMulti = 0
	}
	return c, args
}

// tame rewrites the few argument values that would make a server hang or
// allocate gigabytes (both Redis and Tandem, by design).
func (g *fuzzGen) tame(c *fuzzCmd, args []string) {
	switch c.name {
	case "blpop", "brpop", "bzpopmin", "bzpopmax", "blmove", "brpoplpush":
		// Whatever the mutations did, a blocking timeout is one of ours
		// (short or invalid: 0 or a large value would block for good).
		if len(args) > 2 {
			args[len(args)-1] = g.pick(blockTimeouts)
		}
	case "blmpop", "bzmpop":
		if len(args) > 1 {
			args[1] = g.pick(blockTimeouts)
		}
	case "xread", "xreadgroup":
		// BLOCK's milliseconds: one of ours too (a huge value blocks for
		// good, on Redis as on Tandem).
		for i := 0; i+1 < len(args); i++ {
			if strings.EqualFold(args[i], "block") {
				args[i+1] = g.pick(blockTimeouts)
			}
		}
	case "wait":
		if len(args) > 2 {
			args[2] = g.pick(waitTimeouts)
		}
	case "srandmember", "hrandfield", "zrandmember":
		// A huge negative count asks for that many picks: Redis 7.0 hangs
		// (issue 14 finding 8). Keep negative counts small.
		if len(args) > 2 {
			if v, err := strconv.ParseInt(args[2], 10, 64); err == nil && v < -100000 && v != -1<<63 {
				args[2] = "-5"
			}
		}
	case "setbit", "setrange", "bitfield":
		// Offsets that are valid but allocate hundreds of MB (2^31 bits):
		// keep them, but only one in twenty.
		for i := 2; i < len(args); i++ {
			v, err := strconv.ParseInt(strings.TrimPrefix(args[i], "#"), 10, 64)
			if err == nil && v > 1<<24 && v < 1<<33 && g.r.IntN(20) != 0 {
				args[i] = "1048576"
			}
		}
	}
}
