package test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// A diffCase is a sequence of commands sent on one fresh connection to
// Tandem and to Redis 7.0 (after FLUSHALL); every reply must be the same
// bytes. A command line may start with a marker:
//
//	?  compare only the reply type (first byte): values that legitimately
//	   differ (times, ids, TTLs in milliseconds)
//	~  compare a top-level array as an unordered collection (KEYS, SCAN)
//	#  run without comparing (setup whose reply does not matter)
//
// A line "@sleep <duration>" waits (for expiry).
type diffCase struct {
	name string
	cmds []string
	// skip, when set, is the reason the case is known to diverge: "BUG: …".
	skip string
}

// runDiff runs the cases against both servers in the given protocol.
func runDiff(t *testing.T, tandemAddr, redisAddr string, proto int, cases []diffCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			td, rd := dialRaw(t, tandemAddr), dialRaw(t, redisAddr)
			if proto == 3 {
				td.do("HELLO", "3")
				rd.do("HELLO", "3")
			}
			if g, w := td.do("FLUSHALL"), rd.do("FLUSHALL"); g != w {
				t.Fatalf("FLUSHALL: tandem %q redis %q", g, w)
			}
			var diffs []string
			for _, line := range tc.cmds {
				if d, ok := strings.CutPrefix(line, "@sleep "); ok {
					dur, err := time.ParseDuration(d)
					if err != nil {
						t.Fatal(err)
					}
					time.Sleep(dur)
					continue
				}
				mode := byte(0)
				if line != "" && strings.ContainsRune("?~#", rune(line[0])) {
					mode, line = line[0], line[1:]
				}
				args := splitCmd(line)
				got, want := td.do(args...), rd.do(args...)
				if os.Getenv("TANDEM_DIFF_VERBOSE") != "" {
					t.Logf("%s\n  tandem: %q\n  redis:  %q", line, got, want)
				}
				same := true
				switch mode {
				case '#':
				case '?':
					same = len(got) > 0 && len(want) > 0 && got[0] == want[0]
				case '~':
					same = unordered(got) == unordered(want)
				default:
					same = got == want
				}
				if !same {
					diffs = append(diffs, fmt.Sprintf("%s\n    tandem: %q\n    redis:  %q", line, got, want))
				}
			}
			if len(diffs) > 0 {
				t.Errorf("replies differ from Redis 7.0:\n  %s", strings.Join(diffs, "\n  "))
			}
		})
	}
}

// unordered normalises a flat array reply of simple elements (or a SCAN
// reply's key list) so that element order does not matter.
func unordered(raw string) string {
	lines := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	if len(lines) == 0 || (lines[0][0] != '*' && lines[0][0] != '~') {
		return raw
	}
	head := lines[0]
	var elems []string
	for i := 1; i < len(lines); i++ {
		if lines[i][0] == '$' && i+1 < len(lines) {
			elems = append(elems, lines[i]+"|"+lines[i+1])
			i++
			continue
		}
		if lines[i][0] == '*' { // SCAN: nested key array
			elems = append(elems, "nested:"+lines[i])
			continue
		}
		elems = append(elems, lines[i])
	}
	sort.Strings(elems)
	return head + "\n" + strings.Join(elems, "\n")
}

// TestRepliesMatchRedis is the backbone of the suite: every string and
// keyspace command (and the connection commands around them) with valid
// and invalid arguments, compared byte for byte with Redis 7.0 in RESP2
// and RESP3.
func TestRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	cases := append(append(append([]diffCase{}, stringCases...), keyCases...), connCases...)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			runDiff(t, tandem.Addr(), ref.Addr(), proto, cases)
		})
	}
}

var stringCases = []diffCase{
	{name: "get", cmds: []string{
		"GET missing", "SET k v", "GET k", "GET", "GET k extra", "get k", "SET k \"\"", "GET k",
		"SET bin \"a\\x00b\\r\\nc\"", "GET bin",
	}},
	{name: "set_options", cmds: []string{
		"SET k v EX 100", "TTL k", "SET k v PX 100000", "?PTTL k", "TTL k",
		"SET k v EXAT 4102444800", "EXPIRETIME k", "SET k v PXAT 4102444800123", "PEXPIRETIME k",
		"SET k v2 KEEPTTL", "PEXPIRETIME k", "GET k", "SET k v3", "TTL k",
		"SET k v NX", "SET new v NX", "SET other v XX", "SET k v4 XX", "GET k",
		"SET k v5 GET", "SET missing2 v GET", "SET k v6 NX GET", "SET k v7 XX GET", "GET k",
		"set k v ex 10", "TTL k", "SET k v px 5000 get", "TTL k",
	}},
	{name: "set_errors", cmds: []string{
		"SET k v EX 0", "SET k v EX -1", "SET k v PX 0", "SET k v EXAT 0", "SET k v PXAT -5",
		"SET k v EX abc", "SET k v EX 1.5", "SET k v EX 10 PX 100", "SET k v NX XX",
		"SET k v EX", "SET k v FOO", "SET k v KEEPTTL EX 10", "SET k v EX 10 KEEPTTL",
		"SET k v EX 9999999999999999", "SET k v PX 9223372036854775807", "SET k v EXAT 9223372036854775807",
		"SET k", "SET", "SET k v GET GET", "SET k v EX 10 EX 20", "TTL k", "SET k v PX 10 PX 20000", "TTL k", "SET k v EX 10 PX 20", "SET k v NX NX", "SET k v KEEPTTL KEEPTTL", "EXISTS k",
	}},
	{name: "setnx_setex_psetex", cmds: []string{
		"SETNX k v", "SETNX k w", "GET k", "SETNX k", "SETEX k 100 v", "TTL k", "SETEX k 0 v",
		"SETEX k -5 v", "SETEX k abc v", "SETEX k 10", "PSETEX k 100000 v", "TTL k", "PSETEX k 0 v",
		"PSETEX k abc v", "GET k", "SETEX k 99999999999999999 v",
	}},
	{name: "getset_getdel", cmds: []string{
		"GETSET k v", "GETSET k w", "GET k", "SET e v EX 100", "GETSET e x", "TTL e", "GETSET k",
		"GETDEL k", "GETDEL k", "EXISTS k", "GETDEL", "GETDEL a b",
	}},
	{name: "getex", cmds: []string{
		"GETEX missing", "SET k v", "GETEX k", "GETEX k EX 100", "TTL k", "GETEX k PX 200000", "TTL k",
		"GETEX k EXAT 4102444800", "EXPIRETIME k", "GETEX k PXAT 4102444800000", "PEXPIRETIME k",
		"GETEX k PERSIST", "TTL k", "GETEX k EX 0", "GETEX k EX -1", "GETEX k EX abc", "GETEX k EX 10 PX 10",
		"GETEX k PERSIST EX 10", "GETEX k FOO", "GETEX k EX", "GETEX", "GETEX k EX 10 PERSIST", "GETEX k ex 10", "TTL k",
		"GETEX k EX 10 EX 20", "TTL k", "GETEX k PERSIST PERSIST", "GETEX k EX 9999999999999999", "GETEX k PXAT 1", "EXISTS k",
	}},
	{name: "mget_mset_msetnx", cmds: []string{
		"MSET a 1 b 2 c 3", "MGET a b c missing", "MGET", "MSET a", "MSET a 1 b", "MSET",
		"MSETNX a 9 d 4", "MGET a d", "MSETNX d 4 e 5", "MGET d e", "MSETNX d", "MSETNX",
		"MSET a 1 a 2", "GET a", "MGET a",
	}},
	{name: "append_strlen", cmds: []string{
		"APPEND k hello", "APPEND k \" world\"", "GET k", "STRLEN k", "STRLEN missing", "APPEND k",
		"STRLEN", "SET n 10", "APPEND n 5", "GET n", "OBJECT ENCODING n", "STRLEN n", "APPEND e \"\"", "EXISTS e", "STRLEN e",
	}},
	{name: "getrange_substr", cmds: []string{
		"SET k \"This is a string\"", "GETRANGE k 0 3", "GETRANGE k -3 -1", "GETRANGE k 0 -1",
		"GETRANGE k 10 100", "GETRANGE k 5 2", "GETRANGE k -100 -50", "GETRANGE k -1 -5", "GETRANGE k 100 200",
		"GETRANGE missing 0 -1", "GETRANGE k a 1", "GETRANGE k 0", "SUBSTR k 0 3", "SET n 12345", "GETRANGE n 1 2",
		"GETRANGE k 0 9223372036854775807", "GETRANGE k 3 -100", "GETRANGE k -100 -100", "GETRANGE k -9223372036854775808 2",
	}},
	{name: "setrange", cmds: []string{
		"SET k \"Hello World\"", "SETRANGE k 6 Redis", "GET k", "SETRANGE new 5 x", "GET new",
		"SETRANGE k -1 x", "SETRANGE k 536870912 x", "SETRANGE k 536870911 \"\"", "SETRANGE m 0 \"\"", "EXISTS m",
		"SETRANGE k abc x", "SETRANGE k 0", "SETRANGE k 0 \"\"", "SET n 100", "SETRANGE n 1 9", "GET n",
		"SETRANGE z 536870911 \"\"", "EXISTS z",
	}},
	{name: "incr_decr", cmds: []string{
		"INCR k", "INCR k", "DECR k", "DECR k", "DECR k", "GET k", "INCRBY k 10", "INCRBY k -20", "DECRBY k 5",
		"DECRBY k -5", "INCRBY k abc", "INCRBY k 1.5", "INCRBY k", "SET s abc", "INCR s", "DECR s",
		"SET f 1.5", "INCR f", "SET sp \" 1\"", "INCR sp", "SET max 9223372036854775807", "INCR max",
		"SET min -9223372036854775808", "DECR min", "DECRBY min 1", "INCRBY min -1", "SET z 0", "DECRBY z -9223372036854775808",
		"SET lz 007", "INCR lz", "SET plus +5", "INCR plus", "INCRBY k 9223372036854775808", "INCR", "INCR a b",
		"SET big 99999999999999999999", "INCR big", "OBJECT ENCODING k", "SET e \"\"", "INCR e",
	}},
	{name: "incrbyfloat", cmds: []string{
		"INCRBYFLOAT k 1.5", "INCRBYFLOAT k 0.1", "INCRBYFLOAT k -5", "INCRBYFLOAT k 5.0e3", "INCRBYFLOAT k 2e-1",
		"GET k", "INCRBYFLOAT k abc", "INCRBYFLOAT k nan", "INCRBYFLOAT k inf", "INCRBYFLOAT k -inf",
		"INCRBYFLOAT k \" 1\"", "INCRBYFLOAT k 1e400", "SET s abc", "INCRBYFLOAT s 1", "SET n 10",
		"INCRBYFLOAT n 0.5", "INCRBYFLOAT n 1", "SET x 3.0", "INCRBYFLOAT x 0", "GET x", "INCRBYFLOAT k",
		"SET big 1.7e308", "INCRBYFLOAT big 1.7e308", "INCRBYFLOAT y 10.5000",
		"INCRBYFLOAT w 1.23456789012345678", "SET sp \"1 \"", "INCRBYFLOAT sp 1",
	}},
	{name: "incrbyfloat_hex", cmds: []string{
		"SET y 10.5", "INCRBYFLOAT y 0x10", "INCRBYFLOAT y 0x1p4",
	}},
	{name: "setbit_getbit", cmds: []string{
		"SETBIT k 7 1", "GET k", "GETBIT k 7", "GETBIT k 6", "GETBIT k 100", "GETBIT missing 0",
		"SETBIT k 7 0", "SETBIT k 7 0", "SETBIT k 0 2", "SETBIT k 0 -1", "SETBIT k -1 1", "SETBIT k abc 1",
		"SETBIT k 4294967296 1", "SETBIT k 4000 0", "STRLEN k", "GETBIT k -1", "GETBIT k abc", "SETBIT k 0", "GETBIT k",
		"SETBIT n 10 1", "STRLEN n", "SET s 1", "SETBIT s 6 1", "GET s", "GETBIT k 4294967296",
	}},
	{name: "bitcount", cmds: []string{
		"SET k foobar", "BITCOUNT k", "BITCOUNT k 0 0", "BITCOUNT k 1 1", "BITCOUNT k 1 -2", "BITCOUNT k 5 30 BIT",
		"BITCOUNT k 0 -1 BYTE", "BITCOUNT k 0 -1 bit", "BITCOUNT missing", "BITCOUNT k 0", "BITCOUNT k a b",
		"BITCOUNT k 0 1 FOO", "BITCOUNT k -100 100", "BITCOUNT k -100 -50", "BITCOUNT k -1 -5", "BITCOUNT k -100 -50 BIT", "BITCOUNT k 3 -100", "BITCOUNT k 10 5", "BITCOUNT", "BITCOUNT k 0 1 BIT extra",
	}},
	{name: "bitpos", cmds: []string{
		"SET k \"\\xff\\xf0\\x00\"", "BITPOS k 0", "BITPOS k 1", "BITPOS k 0 2", "BITPOS k 1 2", "BITPOS k 1 -1",
		"BITPOS k 0 0 -1", "BITPOS k 1 2 -1 BYTE", "BITPOS k 1 7 15 BIT", "BITPOS k 0 7 15 bit", "BITPOS missing 0",
		"BITPOS missing 1", "BITPOS k 2", "BITPOS k a", "BITPOS k 1 a", "BITPOS k 1 0 1 FOO", "SET f \"\\xff\\xff\"",
		"BITPOS f 0", "BITPOS f 0 0 -1", "BITPOS f 0 0 -1 BIT", "BITPOS k", "BITPOS k 1 0 1 BIT extra", "BITPOS k 1 10 5", "BITPOS k 1 -100 -50", "BITPOS k 0 -100 -50", "BITPOS k 1 -1 -5", "BITPOS k 1 -100",
	}},
	{name: "bitop", cmds: []string{
		"SET a \"\\xf0\\x0f\"", "SET b \"\\xff\"", "BITOP AND d a b", "GET d", "BITOP OR d a b", "GET d",
		"BITOP XOR d a b", "GET d", "BITOP NOT d a", "GET d", "BITOP NOT d a b", "BITOP FOO d a", "BITOP AND d",
		"BITOP AND d missing", "EXISTS d", "BITOP OR d a missing", "GET d", "bitop and d a", "GET d", "BITOP",
	}},
}

var keyCases = []diffCase{
	{name: "ttl_kept_or_cleared", cmds: []string{
		"SET k 1 EX 100", "INCR k", "TTL k", "INCRBY k 5", "TTL k", "DECR k", "TTL k", "INCRBYFLOAT k 1.5", "TTL k",
		"APPEND k x", "TTL k", "SETRANGE k 0 9", "TTL k", "SETBIT k 1 1", "TTL k", "GETEX k", "TTL k", "SET k v KEEPTTL", "TTL k",
		"GETSET k w", "TTL k", "SET k v EX 100", "MSET k v", "TTL k", "SET k v EX 100", "SET k v", "TTL k",
		"SET k v EX 100", "SETEX k 50 v", "TTL k", "SET k v EX 100", "RENAME k r", "TTL r", "COPY r c", "TTL c",
		"SET k v EX 100", "SET k w NX", "TTL k", "SET k w XX", "TTL k", "SET k v EX 100", "SETNX k z", "TTL k",
		"SET k v EX 100", "MSETNX k z", "TTL k", "PSETEX k 100000 v", "TTL k", "BITOP NOT k k", "TTL k",
	}},
	{name: "case_insensitive_names_and_options", cmds: []string{
		"set k v ex 100 nx", "GeT k", "tTl k", "SeT k v Px 100000 XX GeT", "ExPiRe k 10 gT", "TTL k", "bitcount k 0 -1 bit",
		"getex k persist", "object encoding k", "client setname x", "CLIENT getname", "config get MAXMEMORY",
	}},
	{name: "multi_runtime_errors", cmds: []string{
		"MULTI", "SET k v EX -1", "SET k v", "INCR k", "GETRANGE k a b", "BITOP NOT d k k", "SELECT 99", "GET k", "EXEC",
		"MULTI", "SET k 1", "FLUSHDB", "GET k", "EXEC", "MULTI", "PING", "QUIT",
	}},
	{name: "del_unlink_exists", cmds: []string{
		"MSET a 1 b 2 c 3", "DEL a missing", "EXISTS a b c", "EXISTS b b b missing", "UNLINK b c missing",
		"EXISTS b c", "DEL", "UNLINK", "EXISTS", "DEL a a", "SET x 1", "DEL x x",
	}},
	{name: "type", cmds: []string{"SET a 1", "TYPE a", "TYPE missing", "TYPE", "TYPE a b"}},
	{name: "expire_family", cmds: []string{
		"SET k v", "EXPIRE k 100", "TTL k", "EXPIRE missing 100", "EXPIRE k abc", "EXPIRE k 1.5", "EXPIRE k",
		"PEXPIRE k 200000", "TTL k", "EXPIREAT k 4102444800", "EXPIRETIME k", "PEXPIREAT k 4102444800123",
		"PEXPIRETIME k", "EXPIRETIME k", "PERSIST k", "PERSIST k", "TTL k", "PTTL k", "EXPIRETIME k", "PEXPIRETIME k",
		"TTL missing", "PTTL missing", "EXPIRETIME missing", "PEXPIRETIME missing", "PERSIST missing",
		"EXPIRE k 9223372036854775807", "PEXPIRE k 9223372036854775807", "EXPIREAT k 9223372036854775807",
		"EXPIRE k -9223372036854775808", "EXISTS k", "SET k v", "EXPIRE k 0", "EXISTS k", "SET k v", "EXPIRE k -1",
		"EXISTS k", "SET k v", "PEXPIREAT k 1", "EXISTS k", "SET k v", "EXPIREAT k 100", "EXISTS k", "TTL",
		"EXPIRE k 10 NX extra",
	}},
	{name: "expire_options", cmds: []string{
		"SET k v", "EXPIRE k 100 XX", "TTL k", "EXPIRE k 100 GT", "EXPIRE k 100 LT", "TTL k", "EXPIRE k 100 NX",
		"EXPIRE k 200 NX", "TTL k", "EXPIRE k 200 XX", "TTL k", "EXPIRE k 100 GT", "EXPIRE k 300 GT", "TTL k",
		"EXPIRE k 400 LT", "EXPIRE k 50 LT", "TTL k", "EXPIRE k 10 NX XX", "EXPIRE k 10 GT LT", "EXPIRE k 10 NX GT",
		"EXPIRE k 10 FOO", "EXPIRE k 10 xx", "TTL k", "PEXPIRE k 1000000 gt", "TTL k", "EXPIREAT k 4102444800 LT",
		"PEXPIREAT k 4102444800000 GT", "PEXPIRETIME k", "EXPIRE missing 10 XX", "EXPIRE k 10 XX XX", "EXPIRE k 10 NX NX",
		"PERSIST k", "EXPIRE k 10 LT", "TTL k", "PERSIST k", "EXPIRE k 10 GT", "TTL k", "EXPIRE k -1 GT", "EXISTS k",
	}},
	{name: "keys", cmds: []string{
		"MSET one 1 two 2 three 3 four 4 foo 5 f\\*o 6", "~KEYS *", "~KEYS t*", "~KEYS *o*", "~KEYS ?o?",
		"~KEYS [tf]*", "~KEYS [^t]*", "KEYS nomatch*", "KEYS", "~KEYS f\\*o", "~KEYS \"*\"", "~KEYS f[a-z]o",
		"SET h\\\\x 1", "~KEYS h*",
	}},
	{name: "scan", cmds: []string{
		"SCAN 0", "SCAN -1", "SCAN +0", "SCAN \" 0\"", "SCAN -", "SET k v", "SCAN 0", "SCAN 0 MATCH k", "SCAN 0 MATCH x*", "SCAN 0 COUNT 10", "SCAN 0 TYPE string",
		"SCAN 0 TYPE list", "SCAN 0 TYPE foo", "SCAN abc", "SCAN 0 COUNT 0", "SCAN 0 COUNT -1", "SCAN 0 COUNT abc",
		"SCAN 0 MATCH", "SCAN 0 FOO bar", "SCAN", "scan 0 match k count 100 type string",
		"SCAN 18446744073709551616", "MSET a 1 b 2 c 3", "~SCAN 0 COUNT 100", "~SCAN 0 MATCH [ab] COUNT 1000",
	}},
	{name: "randomkey", cmds: []string{"RANDOMKEY", "SET only v", "RANDOMKEY", "RANDOMKEY x"}},
	{name: "rename", cmds: []string{
		"SET a 1", "RENAME a b", "GET b", "EXISTS a", "RENAME missing x", "RENAME b b", "GET b", "SET c 3",
		"RENAME b c", "GET c", "RENAMENX c d", "RENAMENX c d", "SET e 5", "RENAMENX d e", "RENAMENX missing z",
		"RENAMENX e e", "RENAME a", "RENAMENX a", "SET t v EX 100", "RENAME t u", "TTL u",
	}},
	{name: "copy", cmds: []string{
		"SET a 1", "COPY a b", "GET b", "COPY a b", "COPY a b REPLACE", "COPY missing x", "COPY a a",
		"COPY a a DB 0", "COPY a a DB 1", "SELECT 1", "GET a", "SELECT 0", "COPY a x DB 99", "COPY a x DB abc",
		"COPY a x DB -1", "COPY a x FOO", "COPY a x DB", "COPY a", "SET t v EX 100", "COPY t t2", "TTL t2",
		"COPY a b replace db 0", "copy a z db 2 replace", "SELECT 2", "GET z",
	}},
	{name: "move", cmds: []string{
		"SET a 1", "MOVE a 1", "EXISTS a", "SELECT 1", "GET a", "SET b 2", "SELECT 0", "SET a 9", "MOVE a 1",
		"GET a", "MOVE missing 1", "MOVE a 0", "MOVE a 16", "MOVE a -1", "MOVE a abc", "MOVE a", "SET t v EX 100",
		"MOVE t 3", "SELECT 3", "TTL t",
	}},
	{name: "dbsize_flush", cmds: []string{
		"DBSIZE", "MSET a 1 b 2", "DBSIZE", "SELECT 1", "SET c 3", "DBSIZE", "FLUSHDB", "DBSIZE", "SET c 3",
		"SELECT 0", "DBSIZE", "FLUSHDB ASYNC", "DBSIZE", "SET a 1", "FLUSHDB SYNC", "FLUSHDB async", "FLUSHDB FOO",
		"FLUSHDB SYNC ASYNC", "FLUSHALL FOO", "FLUSHALL SYNC", "SELECT 1", "DBSIZE", "SET x 1", "FLUSHALL ASYNC",
		"DBSIZE", "DBSIZE x", "FLUSHALL sync",
	}},
	{name: "select_swapdb", cmds: []string{
		"SET a 0", "SELECT 1", "SET a 1", "SWAPDB 0 1", "GET a", "SELECT 0", "GET a", "SELECT 16", "SELECT -1",
		"SELECT abc", "SELECT", "SELECT 1 2", "SWAPDB 0 16", "SWAPDB abc 0", "SWAPDB 0 abc", "SWAPDB -1 0",
		"SWAPDB 0 0", "GET a", "SWAPDB 0", "SELECT 15", "SELECT 01", "SELECT \" 1\"",
	}},
	{name: "touch", cmds: []string{"MSET a 1 b 2", "TOUCH a b missing a", "TOUCH", "TOUCH missing"}},
	{name: "object", cmds: []string{
		"SET i 123", "SET s abc", "SET r 0123456789012345678901234567890123456789012345", "SET n -5", "SET big 12345678901234567890",
		"OBJECT ENCODING i", "OBJECT ENCODING s", "OBJECT ENCODING r", "OBJECT ENCODING n", "OBJECT ENCODING big",
		"OBJECT ENCODING missing", "APPEND s x", "OBJECT ENCODING s", "SETRANGE i 0 9", "OBJECT ENCODING i",
		"INCR cnt", "OBJECT ENCODING cnt", "INCRBYFLOAT fl 1.5", "OBJECT ENCODING fl", "SET f 1.5", "OBJECT ENCODING f",
		"SET lz 01", "OBJECT ENCODING lz", "SET i 10", "OBJECT REFCOUNT s", "OBJECT REFCOUNT missing",
		"?OBJECT IDLETIME s", "OBJECT IDLETIME missing", "OBJECT FREQ s", "OBJECT FOO s", "OBJECT ENCODING",
		"OBJECT ENCODING a b", "OBJECT", "SET i 99999", "OBJECT ENCODING i", "SET sp \" 1\"", "OBJECT ENCODING sp",
		"SET m 9223372036854775807", "OBJECT ENCODING m",
		// INCRBYFLOAT keeps its result as a string, "3" included (F26);
		// COPY keeps the encoding, APPEND and INCR change it.
		"INCRBYFLOAT fi 1.5", "INCRBYFLOAT fi 1.5", "GET fi", "OBJECT ENCODING fi", "COPY fi fc", "OBJECT ENCODING fc",
		"INCRBYFLOAT big 0", "OBJECT ENCODING big", "SET h 1e300", "INCRBYFLOAT h 0", "OBJECT ENCODING h",
		"APPEND fi 0", "OBJECT ENCODING fi", "INCR fc", "OBJECT ENCODING fc", "SET fi 30", "INCRBYFLOAT fi 0", "OBJECT ENCODING fi",
		"SETRANGE fi 0 1", "OBJECT ENCODING fi", "INCRBYFLOAT fi 1", "OBJECT ENCODING fi",
	}},
	{name: "object_refcount_shared", cmds: []string{"SET i 123", "OBJECT REFCOUNT i", "SET j 100000", "OBJECT REFCOUNT j"}},
	{name: "unknown_and_arity", cmds: []string{
		"FOOBAR", "FOOBAR a b", "foobar \"x y\"", "NOSUCH aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b c",
		"EXISTS", "GETRANGE k", "STRLEN a b", "TTL", "SETRANGE", "CONFIG", "CLIENT", "OBJECT", "COMMAND FOO",
	}},
}

var connCases = []diffCase{
	// HELP replies whose lines Tandem shares with Redis: the title names
	// the container as typed, and HELP's own entry ends them.
	{name: "help", cmds: []string{
		"CONFIG HELP", "config help", "SLOWLOG HELP", "PUBSUB HELP", "OBJECT HELP", "object Help", "MODULE HELP",
	}},
	{name: "ping_echo", cmds: []string{
		"PING", "PING hello", "PING \"\"", "PING a b", "ping", "ECHO hello", "ECHO \"\"", "ECHO", "ECHO a b",
	}},
	{name: "auth_without_password", cmds: []string{
		"AUTH foo", "AUTH default foo", "AUTH someone foo", "AUTH a b c", "AUTH",
	}},
	{name: "hello_errors", cmds: []string{
		"HELLO 4", "HELLO 1", "HELLO abc", "HELLO 3 FOO", "HELLO 3 AUTH default", "HELLO 3 SETNAME",
		"HELLO 3 SETNAME \"a b\"", "?HELLO 3 AUTH default wrong", "HELLO -1", "HELLO 2 AUTH nouser pass",
		"HELLO 3 AUTH default x SETNAME ok FOO",
	}},
	{name: "multi_exec", cmds: []string{
		"MULTI", "SET a 1", "INCR a", "SET s abc", "INCR s", "GET a", "EXEC", "GET a",
		"EXEC", "DISCARD", "MULTI", "MULTI", "SET b 2", "DISCARD", "GET b",
		"MULTI", "WATCH a", "SET c 1", "EXEC",
		"MULTI", "SET a 2", "FOO", "EXEC", "GET a",
		"MULTI", "GET", "SET x 1", "EXEC", "EXISTS x",
		"MULTI", "EXEC",
		"MULTI", "SET a 5", "SELECT 1", "SET a 6", "EXEC", "GET a", "SELECT 0", "GET a",
	}},
	// A refused EXEC answers EXECABORT and forgets the WATCHed keys even
	// outside MULTI (Redis's rejectCommand calls execCommandAbort for any
	// EXEC): a wrong argument count, or a RESP2 client in subscribed mode.
	{name: "exec_refused", cmds: []string{
		"EXEC x", "MULTI", "SET r 1", "EXEC x", "EXEC", "EXISTS r",
		"SET w 1", "WATCH w", "EXEC x y", "SET w 2", "MULTI", "GET w", "EXEC",
		"WATCH w", "SET w 3", "EXEC x", "MULTI", "GET w", "EXEC",
		"SUBSCRIBE ch", "EXEC", "EXEC x", "MULTI", "UNSUBSCRIBE ch", "EXEC x", "MULTI", "PING", "EXEC",
	}},
	// Containers Tandem does not build still refuse an unknown subcommand
	// or a wrong count, at queue time inside MULTI too (fuzzer, seed
	// 20261206).
	{name: "unbuilt_container_subcommands", cmds: []string{
		"FUNCTION 4611686018427387904", "SCRIPT nosuch", "XINFO nosuch k", "MULTI",
		"FUNCTION 4611686018427387904", "EXEC", "MULTI", "SCRIPT EXISTS", "EXEC",
		"SCRIPT FLUSH", "SCRIPT FLUSH async", "SCRIPT FLUSH SYNC", "SCRIPT FLUSH hll", "SCRIPT FLUSH ASYNC x",
	}},
	// A RESP2 client in subscribed mode is refused other commands, a
	// subcommand named with its container.
	{name: "subscribed_refusals", cmds: []string{
		"SUBSCRIBE ch", "CLIENT GETNAME", "OBJECT ENCODING nokey", "GET k", "CLIENT FOO", "CLIENT", "UNSUBSCRIBE ch", "CLIENT GETNAME",
	}},
	{name: "watch", cmds: []string{
		"WATCH", "WATCH a b", "UNWATCH", "UNWATCH x", "WATCH a", "MULTI", "SET a 1", "EXEC",
		"WATCH a", "SET a 2", "MULTI", "SET a 3", "EXEC", "GET a",
		"WATCH a", "UNWATCH", "SET a 4", "MULTI", "SET a 5", "EXEC", "GET a",
		"WATCH missing", "MULTI", "PING", "EXEC",
		"SET e 1 PX 1", "WATCH a", "DEBUG SLEEP 0.01", "MULTI", "GET e", "EXEC",
	}},
	{name: "watch_expiry", cmds: []string{
		"SET e 1 PX 100", "WATCH e", "DEBUG SLEEP 0.2", "MULTI", "PING", "EXEC", // expired, found lazily at EXEC
		"SET f 1 PX 100", "WATCH f", "@sleep 400ms", "MULTI", "PING", "EXEC", // removed by active expiry
		"SET g 1 PX 100", "WATCH g", "DEBUG SLEEP 0.2", "GET g", "MULTI", "PING", "EXEC", // expired by an access
		"SET h 1 PX 100", "DEBUG SLEEP 0.2", "WATCH h", "MULTI", "PING", "EXEC", // already expired when watched
	}},
	{name: "watch_flush_swap", cmds: []string{
		"SET a 1", "WATCH a", "FLUSHALL", "MULTI", "PING", "EXEC",
		"WATCH nokey", "FLUSHALL", "MULTI", "PING", "EXEC",
		"SET a 1", "WATCH a", "FLUSHDB", "MULTI", "PING", "EXEC",
		"SET a 1", "WATCH a", "SELECT 1", "FLUSHDB", "SELECT 0", "MULTI", "PING", "EXEC",
		"SET a 1", "WATCH a", "SWAPDB 0 1", "MULTI", "PING", "EXEC",
		"WATCH nokey2", "SWAPDB 0 1", "MULTI", "PING", "EXEC",
		"WATCH a", "DEL a", "MULTI", "PING", "EXEC",
		"WATCH a", "EXPIRE a 100", "MULTI", "PING", "EXEC",
		"SET a 1", "WATCH a", "EXPIRE a 100", "MULTI", "PING", "EXEC",
		"WATCH a", "TOUCH a", "GET a", "MULTI", "PING", "EXEC",
	}},
	{name: "client_simple", cmds: []string{
		"CLIENT GETNAME", "CLIENT SETNAME myname", "CLIENT GETNAME", "CLIENT SETNAME \"a b\"", "CLIENT SETNAME \"\"",
		"CLIENT GETNAME", "CLIENT SETNAME", "CLIENT FOO", "CLIENT KILL 1.2.3.4:5", "CLIENT KILL ID abc",
		"CLIENT KILL ID 0", "CLIENT KILL ID 999999", "CLIENT KILL TYPE foo", "CLIENT KILL TYPE normal SKIPME maybe",
		"CLIENT KILL FOO bar", "CLIENT KILL ID", "CLIENT LIST TYPE foo", "CLIENT LIST ID abc", "CLIENT LIST FOO",
		"CLIENT LIST ID 999999", "CLIENT NO-EVICT maybe", "CLIENT NO-EVICT on", "CLIENT NO-EVICT OFF",
		"CLIENT PAUSE abc", "CLIENT PAUSE -1", "CLIENT PAUSE 10 FOO", "CLIENT UNPAUSE", "CLIENT ID x",
		"CLIENT GETNAME x", "CLIENT KILL TYPE master", "CLIENT KILL TYPE replica", "CLIENT KILL TYPE slave",
		"CLIENT KILL TYPE pubsub", "CLIENT KILL USER nobody", "CLIENT KILL ADDR 1.2.3.4:5", "CLIENT KILL LADDR 1.2.3.4:5",
		"CLIENT UNBLOCK 999999", "CLIENT UNBLOCK abc", "CLIENT UNBLOCK 1 FOO",
	}},
	{name: "config_errors", cmds: []string{
		"CONFIG GET maxmemory", "CONFIG GET nosuchparam", "CONFIG SET nosuchparam 1", "CONFIG SET maxmemory abc",
		"CONFIG SET maxmemory", "CONFIG GET", "CONFIG FOO", "CONFIG SET maxmemory-samples 10", "CONFIG GET maxmemory-samples",
		"CONFIG SET maxmemory-samples 5", "CONFIG SET maxmemory 0", "CONFIG SET hz 0", "CONFIG GET hz", "CONFIG SET hz 10", "CONFIG RESETSTAT",
		"CONFIG RESETSTAT x", "CONFIG REWRITE", "~CONFIG GET maxmemory-policy", "CONFIG SET maxmemory-policy foo",
		"CONFIG SET timeout abc", "CONFIG SET timeout 0 timeout 0", "CONFIG GET timeout",
	}},
	{name: "debug_and_misc", cmds: []string{
		"DEBUG SLEEP 0", "DEBUG SLEEP abc", "DEBUG SET-ACTIVE-EXPIRE 1", "DEBUG FOO", "?TIME", "TIME x", "?LASTSAVE",
		"SLOWLOG RESET", "SLOWLOG LEN", "SLOWLOG GET", "SLOWLOG GET abc", "SLOWLOG FOO", "SLOWLOG", "SLOWLOG GET -2",
	}},
	// Fuzzer findings F14, F16, F19-F24, F31 (issue 14): the arguments
	// Redis's own handlers check, and in which order.
	{name: "server_subcommand_args", cmds: []string{
		"CLIENT GETREDIR", "CLIENT TRACKINGINFO", "CLIENT GETREDIR x", "CLIENT TRACKINGINFO x",
		"CLIENT CACHING yes", "CLIENT CACHING", "CLIENT TRACKING", "CLIENT TRACKING off",
		"SLOWLOG GET 1 l", "slowlog gEt 1 2", "PUBSUB CHANNELS h* ttl", "PUBSUB SHARDCHANNELS s? 1",
		"CLIENT UNBLOCK 1 TIMEOUT \"\"", "CLIENT PAUSE 1 WRITE x", "client pause 1 write x", "pubsub nope",
		"PUBSUB \"ch\x00x\" a b", "DEBUG \"x\x00y\" 1",
		"CONFIG SET notify-keyspace-events KEA list-max-listpack-size 8 18446744073709551615", "CONFIG SET a b c",
		"CONFIG SET hash-max-listpack-value \"1\x00\" hash-max-ziplist-entries nan",
		"CONFIG SET slowlog-max-len 5 zset-max-listpack-value \"1\x00\"", "CONFIG GET zset-max-listpack-value",
		"#CONFIG SET slowlog-max-len 128 zset-max-listpack-value 64",
		"SET k v", "MEMORY USAGE k SAMPLES -1", "MEMORY USAGE missing SAMPLES -1", "MEMORY USAGE k SAMPLES 5e-324",
		"MEMORY USAGE k SAMPLES \"\"", "MEMORY USAGE k SAMPLES -", "MEMORY USAGE k SAMPLES", "MEMORY USAGE missing FOO",
		"MEMORY USAGE missing SAMPLES 0 SAMPLES 3", "MEMORY USAGE missing SAMPLES 1 SAMPLES", "MEMORY USAGE",
		"CLIENT LIST ID 0", "CLIENT LIST ID 0 -2147483648 -1", "CLIENT LIST ID 999999 0", "CLIENT LIST ID",
		"CLIENT LIST ID 1.5", "CLIENT LIST ID 0 x",
		"CLIENT UNBLOCK count I", "CLIENT UNBLOCK count TIMEOUT", "CLIENT UNBLOCK 999999 ERROR",
		"COMMAND LIST FILTERBY MODULE m1 hll", "COMMAND LIST FILTERBY PATTERN", "COMMAND LIST FILTERBY ACLCAT",
		"COMMAND LIST FILTERBY MODULE m1", "COMMAND LIST FILTERBY PATTERN getr*", "COMMAND LIST FILTERBY pattern GETRANG?",
		"COMMAND LIST FILTERBY FOO x", "COMMAND LIST FILTERBY ACLCAT nosuch", "COMMAND LIST FILTERBY ACLCAT 1.5", "COMMAND LIST FOO", "COMMAND LIST FILTERBY PATTERN get* FILTERBY MODULE x",
		"HELLO 2 SETNAME ok1 SETNAME", "CLIENT GETNAME", "HELLO 2 SETNAME ok2 BLAH", "CLIENT GETNAME",
		"HELLO 2 SETNAME \"\" BLAH", "CLIENT GETNAME", "HELLO 2 SETNAME ok3 SETNAME \"a b\"", "CLIENT GETNAME",
		"HELLO 2 \"BL\x00AH\"",
	}},
	{name: "command_getkeys", cmds: []string{
		"COMMAND GETKEYS SET a b", "COMMAND GETKEYS MSET a 1 b 2", "COMMAND GETKEYS GET", "COMMAND GETKEYS FOO a",
		"COMMAND GETKEYS PING", "COMMAND GETKEYS DEL a b c", "COMMAND GETKEYS", "COMMAND GETKEYS RENAME a b",
		"COMMAND GETKEYS COPY a b", "COMMAND GETKEYS BITOP AND d a b", "COMMAND INFO nosuch", "COMMAND COUNT x",
		"COMMAND GETKEYS EXISTS a b", "COMMAND GETKEYS SETRANGE k 0 v", "COMMAND GETKEYS MGET a b",
	}},
}
