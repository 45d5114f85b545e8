package test

import (
	"fmt"
	"strings"
	"testing"
)

// TestHashesMatchRedis compares every hash command with Redis 7.0 byte for
// byte in RESP2 and RESP3 (HGETALL is a map there), including errors,
// HINCRBYFLOAT's long-double arithmetic and the listpack → hashtable
// conversion thresholds.
func TestHashesMatchRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, hashCases())
}

func hashCases() []diffCase {
	wide := "HSET wide " + seqArgs(600, func(i int) string { return fmt.Sprintf("f%d v%d", i, i) })
	long := strings.Repeat("v", 65)
	return []diffCase{
		{name: "set-get", cmds: []string{
			"HSET h a 1 b 2", "HSET h a 10 c 3", "HGET h a", "HGET h nope", "HGET nol a", "HMGET h a b nope", "HMGET nol a b",
			"HLEN h", "HLEN nol", "HGETALL h", "HKEYS h", "HVALS h", "HGETALL nol", "HKEYS nol", "HVALS nol",
			"HSETNX h a 5", "HSETNX h d 4", "HSETNX nh x y", "HGETALL h", "HGETALL nh",
			"HMSET h e 5 f 6", "HMSET h e", "HSET h e", "HSET h e 1 f", "HMSET h e 1 f", "HSET h", "HSETNX h a",
			"HSET h \"\" \"\"", "HGET h \"\"", "HSTRLEN h a", "HSTRLEN h nope", "HSTRLEN nol a", "HSTRLEN h \"\"",
			"HEXISTS h a", "HEXISTS h nope", "HEXISTS nol a", "HGETALL h",
		}},
		{name: "hdel-removes-key", cmds: []string{
			"HSET h a 1 b 2 c 3", "HDEL h a nope", "HDEL h a", "HDEL nol a", "HDEL h b c d", "EXISTS h", "HGETALL h",
			"HSET h a 1", "HDEL h a a a", "EXISTS h", "HDEL h",
		}},
		{name: "wrongtype", cmds: []string{
			"SET s x", "RPUSH l a",
			"HSET s a 1", "HSETNX s a 1", "HMSET s a 1", "HGET s a", "HMGET s a", "HDEL s a", "HLEN s", "HSTRLEN s a",
			"HEXISTS s a", "HKEYS s", "HVALS s", "HGETALL s", "HINCRBY s a 1", "HINCRBY s a x", "HINCRBYFLOAT s a 1",
			"HINCRBYFLOAT s a x", "HRANDFIELD s", "HRANDFIELD s 1", "HRANDFIELD s 0", "HRANDFIELD l -1 WITHVALUES",
			"HSCAN s 0", "HSCAN s x", "HSCAN l 0 COUNT 0", "GET s",
		}},
		{name: "hincrby", cmds: []string{
			"HINCRBY h a 1", "HINCRBY h a -11", "HINCRBY h a 0", "HGET h a", "HINCRBY h b 9223372036854775807",
			"HINCRBY h b 1", "HINCRBY h c -9223372036854775808", "HINCRBY h c -1", "HINCRBY h a x", "HINCRBY h a 1.5",
			"HINCRBY h a \" 1\"", "HINCRBY h a 9223372036854775808", "HSET h s abc f 1.5 sp \" 1\" z 007 neg -0",
			"HINCRBY h s 1", "HINCRBY h f 1", "HINCRBY h sp 1", "HINCRBY h z 1", "HINCRBY h neg 1", "HINCRBY nh x y",
			"EXISTS nh", "HGETALL h",
		}},
		{name: "hincrbyfloat", cmds: []string{
			"HINCRBYFLOAT h a 10.5", "HINCRBYFLOAT h a 0.1", "HINCRBYFLOAT h a -5", "HINCRBYFLOAT h b 5.0e3",
			"HINCRBYFLOAT h b 2.0e-3", "HINCRBYFLOAT h c 1e20", "HINCRBYFLOAT h d -0", "HINCRBYFLOAT h e 3",
			"HINCRBYFLOAT h e 0x10", "HINCRBYFLOAT h e 1.5e308", "HINCRBYFLOAT h e 1.5e308", "HGET h e",
			"HINCRBYFLOAT h a inf", "HINCRBYFLOAT h a -inf", "HINCRBYFLOAT h a nan", "HINCRBYFLOAT h a x",
			"HINCRBYFLOAT h a \" 1\"", "HINCRBYFLOAT h a \"\"", "HSET h s abc i 100 big 1e4932",
			"HINCRBYFLOAT h s 1", "HINCRBYFLOAT h i 1.25", "HINCRBYFLOAT h big 1", "HINCRBYFLOAT h big 1e4932",
			"HINCRBYFLOAT h x 1e4933", "HINCRBYFLOAT nh a inf", "EXISTS nh", "HMGET h a b c d e s i big x", "HLEN h",
			"HINCRBYFLOAT h f 0.1", "HINCRBYFLOAT h f 0.2", "HINCRBYFLOAT h f -0.3", "HGET h f",
		}},
		{name: "hrandfield", cmds: []string{
			"HSET h a 1 b 2 c 3",
			"HRANDFIELD nol", "HRANDFIELD nol 5", "HRANDFIELD nol -5 WITHVALUES", "HRANDFIELD h 0", "HRANDFIELD h 0 WITHVALUES",
			"HRANDFIELD h 3", "HRANDFIELD h 100 WITHVALUES", "HRANDFIELD h 3 withvalues", "HRANDFIELD h x",
			"HRANDFIELD h 1 WITHSCORES", "HRANDFIELD h 1 WITHVALUES x", "HRANDFIELD h -9223372036854775808",
			"HRANDFIELD h 9223372036854775807 WITHVALUES", "HRANDFIELD h -4611686018427387904 WITHVALUES",
			"HSET one k v", "HRANDFIELD one", "HRANDFIELD one -3", "HRANDFIELD one -2 WITHVALUES", "HRANDFIELD one 1 WITHVALUES",
		}},
		{name: "hscan", cmds: []string{
			"HSET h a 1 b 2 ab 3 ba 4",
			"HSCAN h 0", "HSCAN h 0 MATCH a*", "HSCAN h 0 MATCH *a COUNT 100", "HSCAN h 0 match x*", "HSCAN h 7",
			"HSCAN h 0 COUNT 0", "HSCAN h 0 COUNT -1", "HSCAN h 0 COUNT x", "HSCAN h 0 TYPE hash", "HSCAN h 0 MATCH",
			"HSCAN h x", "HSCAN h -1", "HSCAN h 18446744073709551616", "HSCAN nol 0", "HSCAN nol 0 COUNT x",
			"HSCAN nol x",
		}},
		{name: "encoding-and-copy", cmds: []string{
			"HSET h a 1", "TYPE h", "OBJECT ENCODING h", "HSET h b " + long, "OBJECT ENCODING h", "HDEL h b",
			"OBJECT ENCODING h", "HSET h2 " + long + " 1", "OBJECT ENCODING h2", wide, "OBJECT ENCODING wide", "HLEN wide",
			"HGET wide f599", "HDEL wide f0 f1 f2", "HLEN wide",
			"HSET small a 1", "HINCRBYFLOAT small a 1e60", "OBJECT ENCODING small", "HSET small2 a 1", "HINCRBY small2 a 5",
			"OBJECT ENCODING small2",
			"COPY h hc", "HSET hc z 26", "HMGET h a z", "HMGET hc a z", "HLEN hc", "OBJECT ENCODING hc", "~SCAN 0 TYPE hash COUNT 1000",
			"HSETNX h3 a " + long, "OBJECT ENCODING h3",
		}},
		{name: "listpack-order", cmds: []string{
			"HSET h z 1 y 2 x 3", "HSET h y 20 w 4", "HDEL h z", "HSET h z 5", "HGETALL h", "HKEYS h", "HVALS h",
			"HSCAN h 0", "HINCRBY h x 1", "HGETALL h",
		}},
	}
}
