package test

import (
	"fmt"
	"testing"
)

// TestSetsMatchRedis compares every set command with Redis 7.0 byte for
// byte in RESP2 and RESP3 (where SMEMBERS, SUNION, SPOP with a count … are
// sets). Intsets reply in ascending order, so most cases compare exact
// bytes; hashtable-encoded replies are compared as unordered collections.
func TestSetsMatchRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, setCases())
}

func setCases() []diffCase {
	ints := "SADD ints " + seqArgs(600, func(i int) string { return fmt.Sprint(i * 3) })
	return []diffCase{
		{name: "add-rem", cmds: []string{
			"SADD s 3 1 2 1", "SADD s 2", "SMEMBERS s", "SCARD s", "SCARD nol", "SISMEMBER s 1", "SISMEMBER s 9",
			"SISMEMBER nol 1", "SMISMEMBER s 1 9 2", "SMISMEMBER nol 1 2", "SREM s 1 9", "SREM s 9", "SREM nol 1",
			"SMEMBERS s", "SREM s 2 3 4", "EXISTS s", "SMEMBERS s", "SADD s", "SREM s", "SMISMEMBER s",
			"SADD s -5 0 -0 007 \" 1\" 9223372036854775807 -9223372036854775808 9223372036854775808", "OBJECT ENCODING s",
			"~SMEMBERS s", "SADD n 10 -3 7", "SMEMBERS n", "OBJECT ENCODING n", "SADD n x", "OBJECT ENCODING n",
			"SREM n x", "OBJECT ENCODING n", "~SMEMBERS n",
		}},
		{name: "wrongtype", cmds: []string{
			"SET str x", "SADD s 1",
			"SADD str a", "SREM str a", "SCARD str", "SISMEMBER str a", "SMISMEMBER str a", "SMEMBERS str", "SPOP str",
			"SPOP str 2", "SPOP str x", "SRANDMEMBER str", "SRANDMEMBER str 2", "SRANDMEMBER str 0", "SMOVE str s a",
			"SMOVE s str 1", "SMOVE nol str 1", "SINTER s str", "SINTER nol str", "SINTERCARD 2 s str", "SINTERSTORE d s str",
			"SUNION s str", "SUNIONSTORE d s str", "SDIFF s str", "SDIFF str s", "SDIFFSTORE d nol str", "SSCAN str 0",
			"EXISTS d", "GET str",
		}},
		{name: "spop-srandmember", cmds: []string{
			"SADD s 5 3 1", "SPOP s 0", "SPOP s -1", "SPOP s x", "SPOP s 1 2", "SPOP nol", "SPOP nol 3",
			"SRANDMEMBER s 3", "SRANDMEMBER s 10", "SRANDMEMBER s 0", "SRANDMEMBER nol", "SRANDMEMBER nol 3",
			"SRANDMEMBER s x", "SRANDMEMBER s 1 2", "SRANDMEMBER s -9223372036854775808",
			"SPOP s 3", "EXISTS s", "SADD s 9 8 7", "SPOP s 100", "EXISTS s",
			"SADD one x", "SRANDMEMBER one", "SRANDMEMBER one -3", "SRANDMEMBER one 1", "SPOP one", "EXISTS one",
			"SADD one 42", "SPOP one 1", "EXISTS one", "SADD strs a b c", "~SPOP strs 3", "EXISTS strs",
			ints, "~SPOP ints 1000", "EXISTS ints",
		}},
		{name: "smove", cmds: []string{
			"SADD a 1 2 3", "SADD b 3 4",
			"SMOVE a b 1", "SMOVE a b 3", "SMOVE a b 9", "SMOVE a a 2", "SMOVE a a 9", "SMOVE nol b 1", "SMEMBERS a",
			"SMEMBERS b", "SMOVE a c 2", "EXISTS a", "SMEMBERS c", "SMOVE b c x", "SADD b x", "SMOVE b c x",
			"OBJECT ENCODING c", "~SMEMBERS c",
		}},
		{name: "algebra", cmds: []string{
			"SADD a 1 2 3 4 5", "SADD b 4 5 6", "SADD c 5 6 7 x", "SADD d 5",
			"SINTER a b", "SINTER a b d", "SINTER a nol", "SINTER nol", "SINTER a", "~SINTER c b",
			"SINTERCARD 2 a b", "SINTERCARD 3 a b d", "SINTERCARD 2 a nol", "SINTERCARD 1 a LIMIT 2", "SINTERCARD 1 a LIMIT 0",
			"SINTERCARD 1 a limit -1", "SINTERCARD 1 a LIMIT x", "SINTERCARD 0 a", "SINTERCARD -1 a", "SINTERCARD x a",
			"SINTERCARD 3 a b", "SINTERCARD 1 a LIMIT", "SINTERCARD 1 a FOO 1", "SINTERCARD 2 a b LIMIT 1 LIMIT 2",
			"SUNION a b", "SUNION a nol", "SUNION nol nol2", "~SUNION a c", "SDIFF a b", "SDIFF a b d", "SDIFF a a",
			"SDIFF nol a", "SDIFF a nol", "~SDIFF c a", "SDIFF b c",
			"SINTERSTORE dst a b", "SMEMBERS dst", "OBJECT ENCODING dst", "SINTERSTORE dst a nol", "EXISTS dst",
			"SUNIONSTORE dst a b", "SMEMBERS dst", "SDIFFSTORE dst a b", "SMEMBERS dst", "SDIFFSTORE dst a a", "EXISTS dst",
			"SET dst x", "EXPIRE dst 100", "SUNIONSTORE dst a", "TTL dst", "TYPE dst", "SUNIONSTORE dst nol", "EXISTS dst",
			"SDIFFSTORE a a b", "SMEMBERS a", "SINTERSTORE b b", "SMEMBERS b", "SUNIONSTORE c c c", "~SMEMBERS c",
			"OBJECT ENCODING c", "SUNIONSTORE nums a b d", "OBJECT ENCODING nums",
		}},
		{name: "sscan", cmds: []string{
			"SADD s 1 2 10 11 20", "SSCAN s 0", "SSCAN s 0 MATCH 1*", "SSCAN s 0 MATCH *0 COUNT 1", "SSCAN s 5",
			"SSCAN s 0 COUNT 0", "SSCAN s 0 TYPE set", "SSCAN s x", "SSCAN nol 0", "SSCAN nol x",
			"SADD t a b", "~SSCAN t 0",
		}},
		{name: "encoding-and-copy", cmds: []string{
			ints, "OBJECT ENCODING ints", "SCARD ints", "SISMEMBER ints 1797", "SISMEMBER ints 1798",
			"SADD i 1 2", "TYPE i", "OBJECT ENCODING i", "COPY i i2", "SADD i2 3", "SMEMBERS i", "SMEMBERS i2",
			"SADD h a", "OBJECT ENCODING h", "COPY h h2", "SADD h2 b", "SMEMBERS h", "~SMEMBERS h2",
			"~SCAN 0 TYPE set COUNT 1000", "SINTERSTORE small ints i", "OBJECT ENCODING small", "SMEMBERS small",
		}},
	}
}
