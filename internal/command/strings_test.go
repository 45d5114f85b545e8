package command

import (
	"strconv"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// The string and bitmap commands, with Redis 7.0.15's replies (see
// script_test.go for the notation and how to check them against Redis).
func TestFamilyStrings(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "set and get", steps: []string{
			`GET k => nil`,
			`SET k v => +OK`,
			`GET k => "v"`,
			`SET k "a b\x00c" => +OK`,
			`GET k => "a b\x00c"`,
			`STRLEN k => :5`,
			`STRLEN nokey => :0`,
			`GET => -ERR wrong number of arguments for 'get' command`,
		}},
		{name: "set options", steps: []string{
			`SET k v NX => +OK`,
			`SET k w NX => nil`,
			`SET k w XX => +OK`,
			`SET other w XX => nil`,
			`SET k x GET => "w"`,
			`SET new x GET => nil`,
			`SET k y NX GET => "x"`,
			`GET k => "x"`,
			`SET k v NX XX => -ERR syntax error`,
			`SET k v EX 10 PX 100 => -ERR syntax error`,
			`SET k v EX 0 => -ERR invalid expire time in 'set' command`,
			`SET k v EX -1 => -ERR invalid expire time in 'set' command`,
			`SET k v EX x => -ERR value is not an integer or out of range`,
			`SET k v EX => -ERR syntax error`,
			`SET k v FOO => -ERR syntax error`,
			`SET k v EX 100 => +OK`,
			`TTL k => :100`,
			`SET k v2 KEEPTTL => +OK`,
			`TTL k => :100`,
			`SET k v3 => +OK`,
			`TTL k => :-1`,
			`SET k v EX 100 KEEPTTL => -ERR syntax error`,
			`SET k v PX 5000 => +OK`,
			`TTL k => :5`,
			`SET k v EXAT 1 => +OK`,
			`EXISTS k => :0`,
		}},
		{name: "set get on another type", steps: []string{
			`RPUSH l a => :1`,
			`SET l v GET => -WRONGTYPE Operation against a key holding the wrong kind of value`,
			`GET l => -WRONGTYPE Operation against a key holding the wrong kind of value`,
			`SET l v => +OK`,
			`GET l => "v"`,
		}},
		{name: "setnx setex psetex getset", steps: []string{
			`SETNX k v => :1`,
			`SETNX k w => :0`,
			`GET k => "v"`,
			`SETEX k 100 w => +OK`,
			`TTL k => :100`,
			`SETEX k 0 w => -ERR invalid expire time in 'setex' command`,
			`SETEX k -5 w => -ERR invalid expire time in 'setex' command`,
			`PSETEX k 10000 x => +OK`,
			`TTL k => :10`,
			`GETSET k y => "x"`,
			`TTL k => :-1`,
			`GETSET nokey y => nil`,
		}},
		{name: "getdel getex", steps: []string{
			`SET k v => +OK`,
			`GETDEL k => "v"`,
			`GETDEL k => nil`,
			`SET k v => +OK`,
			`GETEX k EX 100 => "v"`,
			`TTL k => :100`,
			`GETEX k PX 5000 => "v"`,
			`TTL k => :5`,
			`GETEX k PERSIST => "v"`,
			`TTL k => :-1`,
			`GETEX k => "v"`,
			`GETEX k EX 0 => -ERR invalid expire time in 'getex' command`,
			`GETEX k EX 10 PX 10 => -ERR syntax error`,
			`GETEX k FOO => -ERR syntax error`,
			`GETEX nokey EX 10 => nil`,
			`GETEX k EXAT 1 => "v"`,
			`EXISTS k => :0`,
			`RPUSH l a => :1`,
			`GETDEL l => -WRONGTYPE Operation against a key holding the wrong kind of value`,
		}},
		{name: "mget mset msetnx", steps: []string{
			`MSET a 1 b 2 => +OK`,
			`MGET a b c => ["1" "2" nil]`,
			`MSET a 1 b => -ERR wrong number of arguments for 'mset' command`,
			`MSETNX a 9 c 3 => :0`,
			`MGET a c => ["1" nil]`,
			`MSETNX c 3 d 4 => :1`,
			`MGET c d => ["3" "4"]`,
			`RPUSH l x => :1`,
			`MGET a l => ["1" nil]`,
		}},
		{name: "append strlen getrange setrange", steps: []string{
			`APPEND k Hello => :5`,
			`APPEND k " World" => :11`,
			`GET k => "Hello World"`,
			`GETRANGE k 0 4 => "Hello"`,
			`GETRANGE k -5 -1 => "World"`,
			`GETRANGE k 5 2 => ""`,
			`GETRANGE k 0 100 => "Hello World"`,
			`GETRANGE k -100 2 => "Hel"`,
			`GETRANGE nokey 0 -1 => ""`,
			`SUBSTR k 6 -1 => "World"`,
			`GETRANGE k x 1 => -ERR value is not an integer or out of range`,
			`SETRANGE k 6 Redis => :11`,
			`GET k => "Hello Redis"`,
			`SETRANGE k2 3 ab => :5`,
			`GET k2 => "\x00\x00\x00ab"`,
			`SETRANGE k3 5 "" => :0`,
			`EXISTS k3 => :0`,
			`SETRANGE k -1 x => -ERR offset is out of range`,
			`SETRANGE k 536870912 x => -ERR string exceeds maximum allowed size (proto-max-bulk-len)`,
			`SET n 12 => +OK`,
			`APPEND n 3 => :3`,
			`INCR n => :124`,
		}},
		{name: "incr decr", steps: []string{
			`INCR n => :1`,
			`INCRBY n 10 => :11`,
			`DECR n => :10`,
			`DECRBY n 20 => :-10`,
			`INCRBY n -5 => :-15`,
			`SET n 9223372036854775806 => +OK`,
			`INCR n => :9223372036854775807`,
			`INCR n => -ERR increment or decrement would overflow`,
			`SET n -9223372036854775808 => +OK`,
			`DECR n => -ERR increment or decrement would overflow`,
			`DECRBY n -9223372036854775808 => -ERR decrement would overflow`,
			`SET s abc => +OK`,
			`INCR s => -ERR value is not an integer or out of range`,
			`SET s " 1" => +OK`,
			`INCR s => -ERR value is not an integer or out of range`,
			`SET s 01 => +OK`,
			`INCR s => -ERR value is not an integer or out of range`,
			`INCRBY n x => -ERR value is not an integer or out of range`,
			`SET c 99 => +OK`,
			`INCR c => :100`,
			`GET c => "100"`,
			`SET c -2 => +OK`,
			`INCR c => :-1`,
			`INCR c => :0`,
			`INCR c => :1`,
			`SET c 1999999999 => +OK`,
			`INCR c => :2000000000`,
			`STRLEN c => :10`,
			`SET t 5 EX 100 => +OK`,
			`INCR t => :6`,
			`TTL t => :100`,
			`RPUSH l a => :1`,
			`INCR l => -WRONGTYPE Operation against a key holding the wrong kind of value`,
		}},
		{name: "incrbyfloat", steps: []string{
			`INCRBYFLOAT f 10.5 => "10.5"`,
			`INCRBYFLOAT f 0.1 => "10.6"`,
			`INCRBYFLOAT f -5 => "5.6"`,
			`SET f 5.0e3 => +OK`,
			`INCRBYFLOAT f 2.0e2 => "5200"`,
			`INCRBYFLOAT f 1e5000 => -ERR value is not a valid float`,
			`INCRBYFLOAT f x => -ERR value is not a valid float`,
			`SET f abc => +OK`,
			`INCRBYFLOAT f 1 => -ERR value is not a valid float`,
			`SET f 1 => +OK`,
			`INCRBYFLOAT f inf => -ERR increment would produce NaN or Infinity`,
			`SET g 3 EX 100 => +OK`,
			`INCRBYFLOAT g 1.5 => "4.5"`,
			`TTL g => :100`,
			// Over an earlier result, written in its bytes: shorter,
			// longer, refused (the value stays), then as a string again.
			`INCRBYFLOAT g 0.25 => "4.75"`,
			`INCRBYFLOAT g -0.75 => "4"`,
			`INCRBYFLOAT g 123456789.125 => "123456793.125"`,
			`INCRBYFLOAT g x => -ERR value is not a valid float`,
			`INCRBYFLOAT g inf => -ERR increment would produce NaN or Infinity`,
			`GET g => "123456793.125"`,
			`OBJECT ENCODING g => "embstr"`,
			`TTL g => :100`,
			`APPEND g 1 => :14`,
			`INCRBYFLOAT g 1 => "123456794.12509999999747379"`, // as Redis 7.0.15 answers
		}},
		{name: "bits", steps: []string{
			`SETBIT b 7 1 => :0`,
			`SETBIT b 7 0 => :1`,
			`SETBIT b 7 1 => :0`,
			`GETBIT b 7 => :1`,
			`GETBIT b 100 => :0`,
			`GET b => "\x01"`,
			`SETBIT b 1 2 => -ERR bit is not an integer or out of range`,
			`SETBIT b -1 1 => -ERR bit offset is not an integer or out of range`,
			`SETBIT b 4294967296 1 => -ERR bit offset is not an integer or out of range`,
			`SET s foobar => +OK`,
			`BITCOUNT s => :26`,
			`BITCOUNT s 0 0 => :4`,
			`BITCOUNT s 1 1 => :6`,
			`BITCOUNT s 5 30 BIT => :17`,
			`BITCOUNT s 0 => -ERR syntax error`,
			`BITCOUNT nokey => :0`,
			`SET z "\xff\xf0\x00" => +OK`,
			`BITPOS z 0 => :12`,
			`BITPOS z 1 2 => :-1`,
			`BITPOS z 0 2 -1 BIT => :12`,
			`BITPOS z 1 8 -1 BIT => :8`,
			`SET ones "\xff\xff" => +OK`,
			`BITPOS ones 0 => :16`,
			`BITPOS ones 0 0 -1 => :-1`,
			`BITPOS nokey 0 => :0`,
			`BITPOS nokey 1 => :-1`,
			`BITPOS z 2 => -ERR The bit argument must be 1 or 0.`,
		}},
		{name: "bitop", steps: []string{
			`SET a "\x0f" => +OK`,
			`SET b "\xf0\x01" => +OK`,
			`BITOP AND d a b => :2`,
			`GET d => "\x00\x00"`,
			`BITOP OR d a b => :2`,
			`GET d => "\xff\x01"`,
			`BITOP XOR d a b => :2`,
			`GET d => "\xff\x01"`,
			`BITOP NOT d a => :1`,
			`GET d => "\xf0"`,
			`BITOP NOT d a b => -ERR BITOP NOT must be called with a single source key.`,
			`BITOP FOO d a => -ERR syntax error`,
			`BITOP AND d nokey1 nokey2 => :0`,
			`EXISTS d => :0`,
			`RPUSH l x => :1`,
			`BITOP AND d a l => -WRONGTYPE Operation against a key holding the wrong kind of value`,
		}},
	})
}

// What string commands send to replicas and the AOF: their deterministic
// form, as Redis 7.0 propagates them (relative expiry as absolute PXAT,
// INCRBYFLOAT's result as a SET, nothing when nothing changed).
func TestStringsPropagation(t *testing.T) {
	at := func(ms int64) string { return itoa(startMs + ms) }
	runPropagation(t, []propCase{
		{"", "SET k v", "0:SET k v"},
		{"", "SET k v EX 100", "0:SET k v PXAT " + at(100_000)},
		{"", "SET k v PX 1500 GET", "0:SET k v PXAT " + at(1500)},
		{"", "SET k v EXAT 1800000000", "0:SET k v PXAT 1800000000000"},
		{"", "SET k v PXAT 1800000000123", "0:SET k v PXAT 1800000000123"},
		{"SET k v", "SET k w NX", ""},
		{"", "SET k w XX", ""},
		{"SET k v EX 100", "SET k v2 KEEPTTL", "0:SET k v2 KEEPTTL"},
		{"", "SETEX k 10 v", "0:SET k v PXAT " + at(10_000)},
		{"", "PSETEX k 10 v", "0:SET k v PXAT " + at(10)},
		{"SET k v", "SETNX k w", ""},
		{"", "SETNX k w", "0:SETNX k w"},
		{"SET k v", "GETSET k w", "0:SET k w"},
		{"SET k v", "GETDEL k", "0:DEL k"},
		{"", "GETDEL k", ""},
		{"SET k v", "GETEX k", ""},
		{"SET k v", "GETEX k EX 100", "0:PEXPIREAT k " + at(100_000)},
		{"SET k v", "GETEX k PXAT 1800000000000", "0:PEXPIREAT k 1800000000000"},
		{"SET k v", "GETEX k EXAT 1", "0:DEL k"},
		{"SET k v EX 100", "GETEX k PERSIST", "0:PERSIST k"},
		{"SET k v", "GETEX k PERSIST", ""},
		{"", "INCR n", "0:INCR n"},
		{"", "DECRBY n 5", "0:DECRBY n 5"},
		{"", "INCRBYFLOAT f 1.5", "0:SET f 1.5 KEEPTTL"},
		{"SET f 2 EX 100", "INCRBYFLOAT f 0.25", "0:SET f 2.25 KEEPTTL"},
		{"SET f 2 EX 100;INCRBYFLOAT f 0.25", "INCRBYFLOAT f 1000", "0:SET f 1002.25 KEEPTTL"},
		{"", "INCRBYFLOAT f x", ""},
		{"", "MSET a 1 b 2", "0:MSET a 1 b 2"},
		{"SET a 1", "MSETNX a 1 b 2", ""},
		{"", "APPEND k x", "0:APPEND k x"},
		{"", "SETRANGE k 0 \"\"", ""},
		{"", "SETBIT b 3 1", "0:SETBIT b 3 1"},
		{"", "BITOP AND d x y", ""},
		{"SET d 1", "BITOP AND d x y", "0:BITOP AND d x y"},
		// A key that expired is deleted where a command finds it: its DEL
		// goes out with the command, in one MULTI/EXEC unit when the
		// command writes too.
		{"SET k v PX 10;~sleep 20", "GET k", "0:DEL k"},
		{"SET k v PX 10;~sleep 20", "APPEND k x", "0:MULTI | 0:DEL k | 0:APPEND k x | 0:EXEC"},
		{"SELECT 3;SET k v", "SET k w", "3:SET k w"},
	})
}

// INCRBYFLOAT over an earlier result writes in its bytes, while they have
// room: the same value object, no new one per increment.
func TestIncrbyfloatWritesOverItsResult(t *testing.T) {
	e, _ := newTestEngine()
	s := newTestSession(1)
	run(e, s, "INCRBYFLOAT g 1.5")
	db := e.KS.DBs[0]
	first := db.Peek([]byte("g")).Val().(*keyspace.Bytes)
	for i := 0; i < 100; i++ {
		run(e, s, "INCRBYFLOAT g 0.5")
	}
	if got := run(e, s, "GET g"); got != "$4\r\n51.5\r\n" {
		t.Fatalf("GET g = %q", got)
	}
	if db.Peek([]byte("g")).Val().(*keyspace.Bytes) != first {
		t.Error("INCRBYFLOAT replaced its earlier result's value")
	}
}

func TestPlusOne(t *testing.T) {
	for _, d := range []string{"0", "1", "8", "9", "10", "19", "99", "109", "999", "123456789", "9999999999", "9223372036854775806"} {
		n, ok := resp.ParseInt([]byte(d))
		if !ok {
			t.Fatalf("%q is no number", d)
		}
		want := strconv.FormatInt(n+1, 10)
		if got := string(plusOne([]byte("x"), d)); got != "x"+want {
			t.Errorf("plusOne(%q) = %q, want %q", d, got, "x"+want)
		}
	}
}
