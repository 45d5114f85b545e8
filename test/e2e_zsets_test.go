package test

import (
	"fmt"
	"strings"
	"testing"
)

// TestZSetsMatchRedis compares every sorted-set command with Redis 7.0
// byte for byte in RESP2 and RESP3 (scores are doubles there, WITHSCORES
// replies nested pairs): ZADD's flags, ±inf and NaN handling, ranges by
// rank, score and lex with LIMIT, the set algebra with WEIGHTS and
// AGGREGATE, pops and the listpack → skiplist conversion.
func TestZSetsMatchRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, zsetCases())
}

func zsetCases() []diffCase {
	big := "ZADD big " + seqArgs(300, func(i int) string { return fmt.Sprintf("%d m%03d", i%17, i) })
	lex := "ZADD lex " + seqArgs(26, func(i int) string { return fmt.Sprintf("0 %c", 'a'+i) })
	long := strings.Repeat("m", 65)
	return []diffCase{
		{name: "zadd-flags", cmds: []string{
			"ZADD z 1 a 2 b", "ZADD z 3 a", "ZADD z CH 3 a 4 b 5 c", "ZADD z NX 10 a 6 d", "ZADD z XX 10 a 7 e",
			"ZADD z XX CH 11 a 7 e", "ZADD z GT 5 a 20 b", "ZADD z GT CH 5 a 20 b", "ZADD z LT CH 1 a 30 b",
			"ZADD z XX GT CH 100 a 100 zz", "ZADD z LT 0 newm", "ZRANGE z 0 -1 WITHSCORES",
			"ZADD z NX XX 1 a", "ZADD z NX GT 1 a", "ZADD z LT NX 1 a", "ZADD z GT LT 1 a", "ZADD z INCR 1 a 2 b",
			"ZADD z 1", "ZADD z 1 a 2", "ZADD z CH", "ZADD z NX", "ZADD z x a", "ZADD z 1 a x b", "ZADD z nan a",
			"ZADD z NaN a", "ZADD z \" 1\" a", "ZADD z 1e400 a", "ZADD z 1e-400 a", "ZADD z \"\" a", "ZADD z 0x10 hex",
			"ZADD z inf pinf -inf ninf +inf pinf2 -Infinity ninf2", "ZADD z 1.5e3 f 1E2 g -0 negz .5 h 5. i",
			"ZRANGE z 0 -1 WITHSCORES", "ZADD z XX 1 nope", "ZADD nokey XX 1 a", "EXISTS nokey", "ZADD nokey XX INCR 1 a",
		}},
		{name: "zadd-incr-zincrby", cmds: []string{
			"ZADD z INCR 1 a", "ZADD z INCR 2.5 a", "ZADD z INCR NX 1 a", "ZADD z INCR XX 1 b", "ZADD z INCR GT -1 a",
			"ZADD z INCR LT -1 a", "ZADD z INCR GT 1 a", "ZINCRBY z 1 a", "ZINCRBY z -0.5 b", "ZINCRBY z x a",
			"ZINCRBY z nx a", "ZINCRBY z incr a", "ZINCRBY z 1", "ZADD z inf i", "ZINCRBY z -inf i", "ZADD z INCR -inf i",
			"ZINCRBY z inf i", "ZSCORE z i", "ZINCRBY z 1e308 big", "ZINCRBY z 1e308 big", "ZSCORE z big",
			"ZINCRBY z 0.1 d", "ZINCRBY z 0.2 d", "ZSCORE z d", "ZRANGE z 0 -1 WITHSCORES", "ZINCRBY str 1 a",
		}},
		{name: "wrongtype", cmds: []string{
			"SET s x", "RPUSH l a", "SADD set 1 2",
			"ZADD s 1 a", "ZADD s x a", "ZINCRBY s 1 a", "ZREM s a", "ZCARD s", "ZSCORE s a", "ZMSCORE s a", "ZRANK s a",
			"ZREVRANK s a", "ZRANGE s 0 -1", "ZRANGE s x y", "ZRANGESTORE d s 0 -1", "ZREVRANGE s 0 -1",
			"ZRANGEBYSCORE s 0 1", "ZRANGEBYSCORE s x 1", "ZRANGEBYLEX s - +", "ZCOUNT s 0 1", "ZLEXCOUNT s - +",
			"ZPOPMIN s", "ZPOPMAX s 2", "BZPOPMIN s 0", "BZPOPMAX nol s 0", "ZMPOP 1 s min", "ZMPOP 2 nol l max",
			"BZMPOP 0 1 s min", "ZRANDMEMBER s", "ZRANDMEMBER s 1", "ZRANDMEMBER s 0", "ZREMRANGEBYRANK s 0 1",
			"ZREMRANGEBYSCORE s 0 1", "ZREMRANGEBYLEX s - +", "ZUNION 2 s set", "ZINTER 1 l", "ZDIFF 2 set s",
			"ZUNIONSTORE d 1 s", "ZINTERCARD 1 s", "ZSCAN s 0", "ZUNION 1 set WITHSCORES", "ZINTER 2 set set WITHSCORES",
			"ZADD s 1 a x", "GET s",
		}},
		{name: "read", cmds: []string{
			"ZADD z 1 a 2 b 2 c 3.5 d -1 e",
			"ZCARD z", "ZCARD nol", "ZSCORE z d", "ZSCORE z nope", "ZSCORE nol a", "ZMSCORE z a nope d", "ZMSCORE nol a b",
			"ZRANK z a", "ZRANK z c", "ZRANK z nope", "ZRANK nol a", "ZREVRANK z a", "ZREVRANK z e", "ZREVRANK z nope",
			"ZRANK z a WITHSCORE", "ZMSCORE z",
		}},
		{name: "zrange-rank", cmds: []string{
			"ZADD z 1 a 2 b 3 c 4 d 5 e",
			"ZRANGE z 0 -1", "ZRANGE z 0 -1 WITHSCORES", "ZRANGE z 1 3 withscores", "ZRANGE z -2 -1", "ZRANGE z -100 100",
			"ZRANGE z 3 1", "ZRANGE z 5 10", "ZRANGE z 0 -1 REV", "ZRANGE z 0 1 REV WITHSCORES", "ZREVRANGE z 0 1",
			"ZREVRANGE z 0 -1 WITHSCORES", "ZREVRANGE z 0 1 REV", "ZREVRANGE z 0 1 BYSCORE", "ZRANGE z 0 1 LIMIT 0 1",
			"ZRANGE z 0 1 LIMIT 0 -1", "ZRANGE z 0 1 LIMIT 0", "ZRANGE z x 1", "ZRANGE z 0 y", "ZRANGE z 0 1 FOO",
			"ZRANGE nol 0 -1", "ZRANGE nol 0 -1 WITHSCORES", "ZRANGE nol x 1", "ZRANGE z 0 1 WITHSCORES WITHSCORES",
			"ZRANGE z -9223372036854775808 9223372036854775807", "ZRANGE z 0 -1 BYSCORE BYLEX", "ZRANGE z 0 -1 REV REV",
		}},
		{name: "zrange-score", cmds: []string{
			"ZADD z -inf ninf 1 a 2 b 2 c 3 d 4 e +inf pinf",
			"ZRANGEBYSCORE z -inf +inf", "ZRANGEBYSCORE z -inf +inf WITHSCORES", "ZRANGEBYSCORE z 2 3", "ZRANGEBYSCORE z (2 3",
			"ZRANGEBYSCORE z 2 (3", "ZRANGEBYSCORE z (2 (3", "ZRANGEBYSCORE z ( 3", "ZRANGEBYSCORE z 3 2",
			"ZRANGEBYSCORE z (inf +inf", "ZRANGEBYSCORE z -inf (-inf", "ZRANGEBYSCORE z \" 2\" 3", "ZRANGEBYSCORE z 2 x",
			"ZRANGEBYSCORE z nan 3", "ZRANGEBYSCORE z 1e400 1e500", "ZRANGEBYSCORE z -1e400 0 WITHSCORES",
			"ZRANGEBYSCORE z 0 10 LIMIT 1 2", "ZRANGEBYSCORE z 0 10 LIMIT 1 -1", "ZRANGEBYSCORE z 0 10 LIMIT -1 2",
			"ZRANGEBYSCORE z 0 10 LIMIT 10 2", "ZRANGEBYSCORE z 0 10 LIMIT 0 0", "ZRANGEBYSCORE z 0 10 LIMIT 2 2 WITHSCORES",
			"ZRANGEBYSCORE z 0 10 LIMIT x 2", "ZRANGEBYSCORE z 0 10 LIMIT 1", "ZRANGEBYSCORE z 0 10 REV",
			"ZREVRANGEBYSCORE z 3 2", "ZREVRANGEBYSCORE z +inf -inf WITHSCORES", "ZREVRANGEBYSCORE z (3 (1",
			"ZREVRANGEBYSCORE z 10 0 LIMIT 1 2", "ZREVRANGEBYSCORE z 2 3", "ZRANGE z 2 3 BYSCORE", "ZRANGE z 3 2 BYSCORE REV",
			"ZRANGE z (1 +inf BYSCORE LIMIT 1 3 WITHSCORES", "ZRANGE z +inf (1 BYSCORE REV LIMIT 1 3 WITHSCORES",
			"ZRANGE nol 0 1 BYSCORE", "ZCOUNT z -inf +inf", "ZCOUNT z (2 3", "ZCOUNT z 3 2", "ZCOUNT z x 1", "ZCOUNT nol 0 1",
			"ZCOUNT nol x 1",
		}},
		{name: "zrange-lex", cmds: []string{
			lex,
			"ZRANGEBYLEX lex - +", "ZRANGEBYLEX lex [c [f", "ZRANGEBYLEX lex (c (f", "ZRANGEBYLEX lex [c +",
			"ZRANGEBYLEX lex - (c", "ZRANGEBYLEX lex + -", "ZRANGEBYLEX lex [f [c", "ZRANGEBYLEX lex - + LIMIT 2 3",
			"ZRANGEBYLEX lex - + LIMIT 25 3", "ZRANGEBYLEX lex c f", "ZRANGEBYLEX lex [c f", "ZRANGEBYLEX lex \"\" +",
			"ZRANGEBYLEX lex -a +", "ZRANGEBYLEX lex - + WITHSCORES", "ZREVRANGEBYLEX lex + -", "ZREVRANGEBYLEX lex [f [c",
			"ZREVRANGEBYLEX lex (f - LIMIT 1 2", "ZRANGE lex [b [e BYLEX", "ZRANGE lex [e [b BYLEX REV",
			"ZRANGE lex - + BYLEX WITHSCORES", "ZRANGE lex - + BYLEX LIMIT 0 2", "ZRANGE nol - + BYLEX",
			"ZLEXCOUNT lex - +", "ZLEXCOUNT lex [c (f", "ZLEXCOUNT lex x +", "ZLEXCOUNT nol - +", "ZLEXCOUNT nol x y",
			"ZRANGEBYLEX lex \"[\" +", "ZRANGEBYLEX lex \"(\" +",
		}},
		{name: "zrangestore", cmds: []string{
			"ZADD z 1 a 2 b 3 c 4 d",
			"ZRANGESTORE d z 0 1", "ZRANGE d 0 -1 WITHSCORES", "ZRANGESTORE d z 1 3 BYSCORE REV", "ZRANGESTORE d z 3 1 BYSCORE REV",
			"ZRANGE d 0 -1 WITHSCORES", "ZRANGESTORE d z [b [c BYLEX", "ZRANGE d 0 -1", "ZRANGESTORE d z 5 10", "EXISTS d",
			"ZRANGESTORE d z 0 -1 WITHSCORES", "ZRANGESTORE d nol 0 -1", "SET d x", "ZRANGESTORE d z 0 0", "TYPE d",
			"ZRANGESTORE d nol 0 -1", "EXISTS d", "ZRANGESTORE z z 1 2", "ZRANGE z 0 -1 WITHSCORES", "OBJECT ENCODING z",
			"ZRANGESTORE d z 0 -1 LIMIT 0 1", "ZRANGESTORE d z 0 -1 BYSCORE LIMIT 0 1", "ZRANGE d 0 -1",
		}},
		{name: "zrem-zremrange", cmds: []string{
			"ZADD z 1 a 2 b 3 c 4 d 5 e 6 f",
			"ZREM z a nope", "ZREM z nope", "ZREM nol a", "ZREMRANGEBYRANK z 0 0", "ZREMRANGEBYRANK z -1 -1",
			"ZREMRANGEBYRANK z 5 10", "ZREMRANGEBYRANK z 2 1", "ZRANGE z 0 -1", "ZREMRANGEBYSCORE z (3 4",
			"ZREMRANGEBYSCORE z 10 20", "ZREMRANGEBYSCORE z x 1", "ZREMRANGEBYRANK z x 1", "ZREMRANGEBYLEX z x +",
			"ZRANGE z 0 -1", "ZREMRANGEBYRANK nol 0 -1", "ZREMRANGEBYSCORE nol x 1", "ZREMRANGEBYRANK z 0 -1", "EXISTS z",
			lex, "ZREMRANGEBYLEX lex [b (e", "ZREMRANGEBYLEX lex - [a", "ZRANGE lex 0 4", "ZREMRANGEBYLEX lex - +",
			"EXISTS lex", "ZADD z 1 a", "ZREM z a a", "EXISTS z",
		}},
		{name: "pops", cmds: []string{
			"ZADD z 1 a 2 b 3 c 4 d 5 e",
			"ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 2", "ZPOPMAX z 0", "ZPOPMIN z -1", "ZPOPMIN z x", "ZPOPMIN z 1 2",
			"ZPOPMAX z 10", "EXISTS z", "ZPOPMIN z", "ZPOPMIN z 3", "ZPOPMAX nol 0",
			"ZADD a 1 x 2 y", "ZADD b 3 p 4 q 5 r",
			"ZMPOP 2 a b MIN", "ZMPOP 2 a b max COUNT 5", "ZMPOP 1 a MIN", "ZMPOP 2 a b MIN", "ZMPOP 2 nol b MAX COUNT 2",
			"ZMPOP 1 b MAX", "ZMPOP 1 b left", "ZMPOP 0 b min", "ZMPOP x b min", "ZMPOP 3 a b min", "ZMPOP 1 b min COUNT 0",
			"ZMPOP 1 b min COUNT -2", "ZMPOP 1 b min COUNT 1 COUNT 1", "ZMPOP 1 b min FOO", "ZMPOP 1 b",
			"ZADD a 1 x 2 y", "BZPOPMIN nol a 0", "BZPOPMAX a 1", "BZPOPMIN a 0.01", "BZPOPMAX nol 0.01",
			"ZADD a 1 x 2 y 3 z", "BZMPOP 0 1 a MAX COUNT 2", "BZMPOP 1 2 nol a min", "BZMPOP 0.01 1 a min",
			"BZPOPMIN a -1", "BZPOPMIN a x", "BZMPOP x 1 a min", "BZMPOP 0 1 a up", "BZMPOP 0 0 a min",
		}},
		{name: "blocking-in-multi", cmds: []string{
			"MULTI", "BZPOPMIN nol 0", "BZPOPMAX nol 0", "BZMPOP 0 1 nol MIN", "ZADD nol 1 a", "BZPOPMAX nol 0", "EXEC",
		}},
		{name: "inf-nan-scores", cmds: []string{
			"ZADD z inf a -inf b 0 c -0 d 1e308 e -1e308 f 4.9e-324 g", "ZRANGE z 0 -1 WITHSCORES", "ZSCORE z a",
			"ZSCORE z b", "ZSCORE z d", "ZSCORE z g", "ZINCRBY z 1e308 e", "ZINCRBY z -inf a", "ZADD z INCR +inf b",
			"ZRANGEBYSCORE z -inf -inf WITHSCORES", "ZRANGEBYSCORE z +inf +inf WITHSCORES", "ZCOUNT z -inf +inf",
			"ZSCAN z 0", "ZMSCORE z a b c",
			"ZADD w 1.1 a 0.1 b 1e20 c 123456789012345678 d 3.0 e", "ZRANGE w 0 -1 WITHSCORES", "ZSCAN w 0",
		}},
		{name: "algebra", cmds: []string{
			"ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "SADD s x w v",
			"ZUNION 2 a b", "ZUNION 2 a b WITHSCORES", "ZUNION 2 a b WEIGHTS 2 0.5 WITHSCORES",
			"ZUNION 2 a b AGGREGATE MIN WITHSCORES", "ZUNION 2 a b AGGREGATE max WITHSCORES", "ZUNION 3 a b s WITHSCORES",
			"ZUNION 3 a nol s WITHSCORES", "ZUNION 1 nol", "ZINTER 2 a b WITHSCORES", "ZINTER 2 a b WEIGHTS 1 -1 WITHSCORES",
			"ZINTER 2 a s WITHSCORES", "ZINTER 2 a nol", "ZINTER 2 a a AGGREGATE MAX WITHSCORES", "ZDIFF 2 a b WITHSCORES",
			"ZDIFF 2 b a", "ZDIFF 3 b s a WITHSCORES", "ZDIFF 1 nol", "ZDIFF 2 a a", "ZDIFF 2 s a WITHSCORES",
			"ZINTERCARD 2 a b", "ZINTERCARD 2 a b LIMIT 1", "ZINTERCARD 2 a b LIMIT 0", "ZINTERCARD 1 a LIMIT 2",
			"ZINTERCARD 2 a nol", "ZINTERCARD 2 a b LIMIT -1", "ZINTERCARD 2 a b WEIGHTS 1 1", "ZINTERCARD 0 a",
			"ZINTERCARD 3 a b", "ZINTERCARD x a",
			"ZUNION 0 a", "ZUNION -1 a", "ZUNION x a", "ZUNION 3 a b", "ZUNION 2 a b WEIGHTS 1", "ZUNION 2 a b WEIGHTS 1 x",
			"ZUNION 2 a b WEIGHTS 1 nan", "ZUNION 2 a b AGGREGATE avg", "ZUNION 2 a b AGGREGATE", "ZUNION 2 a b FOO",
			"ZDIFF 2 a b WEIGHTS 1 1", "ZDIFF 2 a b AGGREGATE SUM", "ZUNION 2 a b WITHSCORES WITHSCORES",
			"ZUNIONSTORE d 2 a b WITHSCORES", "ZUNIONSTORE d 0 a", "ZINTERSTORE d 2 a b LIMIT 1",
		}},
		{name: "algebra-store", cmds: []string{
			"ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 30 w", "SADD s x w v",
			"ZUNIONSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES", "OBJECT ENCODING d", "ZINTERSTORE d 2 a b WEIGHTS 2 3",
			"ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE d 2 a nol", "EXISTS d", "ZDIFFSTORE d 2 b a", "ZRANGE d 0 -1 WITHSCORES",
			"ZDIFFSTORE d 2 a a", "EXISTS d", "SET d x", "EXPIRE d 100", "ZUNIONSTORE d 1 s", "TTL d", "TYPE d",
			"ZRANGE d 0 -1 WITHSCORES", "ZINTERSTORE a 2 a b", "ZRANGE a 0 -1 WITHSCORES", "ZUNIONSTORE s 2 s b",
			"TYPE s", "ZRANGE s 0 -1 WITHSCORES", big, "ZUNIONSTORE d 1 big", "OBJECT ENCODING d", "ZINTERSTORE d 2 big b",
			"OBJECT ENCODING d",
		}},
		{name: "algebra-inf-nan", cmds: []string{
			"ZADD p inf x -inf y 1 z", "ZADD q -inf x inf y 2 z",
			"ZUNION 2 p q WITHSCORES", "ZINTER 2 p q WITHSCORES", "ZUNION 2 p q WEIGHTS 0 1 WITHSCORES",
			"ZINTER 2 p q WEIGHTS 1 0 WITHSCORES", "ZINTER 2 p q WEIGHTS 0 0 AGGREGATE MIN WITHSCORES",
			"ZINTER 2 q p WEIGHTS 1 0 AGGREGATE MAX WITHSCORES", "ZUNION 2 p q AGGREGATE MIN WITHSCORES",
			"ZUNION 2 p q WEIGHTS inf -inf WITHSCORES", "ZUNION 2 p q WEIGHTS 1e308 1e308 WITHSCORES",
			"ZUNIONSTORE d 2 p q WEIGHTS 0 0", "ZRANGE d 0 -1 WITHSCORES",
		}},
		{name: "zrandmember", cmds: []string{
			"ZADD z 1 a 2 b 3 c",
			"ZRANDMEMBER nol", "ZRANDMEMBER nol 3", "ZRANDMEMBER nol -3 WITHSCORES", "ZRANDMEMBER z 0", "ZRANDMEMBER z 3",
			"ZRANDMEMBER z 10 WITHSCORES", "ZRANDMEMBER z 3 withscores", "ZRANDMEMBER z x", "ZRANDMEMBER z 1 WITHVALUES",
			"ZRANDMEMBER z 1 WITHSCORES x", "ZRANDMEMBER z -9223372036854775808", "ZRANDMEMBER z 9223372036854775807 WITHSCORES",
			"ZADD one 1.5 m", "ZRANDMEMBER one", "ZRANDMEMBER one -3", "ZRANDMEMBER one -2 WITHSCORES",
		}},
		{name: "zscan", cmds: []string{
			"ZADD z 1 a 2.5 ab 3 ba -1 bb", "ZSCAN z 0", "ZSCAN z 0 MATCH a*", "ZSCAN z 0 MATCH *b COUNT 1",
			"ZSCAN z 3", "ZSCAN z 0 COUNT 0", "ZSCAN z 0 TYPE zset", "ZSCAN z x", "ZSCAN nol 0", "ZSCAN nol x",
		}},
		{name: "lex-over-mixed-scores", cmds: []string{
			// Undefined in Redis, but a listpack answers deterministically.
			"ZADD m 1 b 2 a 3 d 0 c 5 e 4 f",
			"ZRANGEBYLEX m - +", "ZRANGEBYLEX m [b [d", "ZRANGEBYLEX m (a +", "ZREVRANGEBYLEX m + -", "ZREVRANGEBYLEX m [d [b",
			"ZLEXCOUNT m [b [d", "ZLEXCOUNT m - [c", "ZLEXCOUNT m [c +", "ZRANGEBYLEX m [a [z LIMIT 1 2",
			"ZREVRANGEBYLEX m [z [a LIMIT 1 2", "ZRANGEBYLEX m - + LIMIT 4 10", "ZREVRANGEBYLEX m + - LIMIT 2 -1",
			"ZRANGE m [c [e BYLEX", "ZRANGE m [e [c BYLEX REV", "ZRANGEBYLEX m [d [c", "ZRANGEBYLEX m - -",
			"ZRANGEBYLEX m + +", "ZRANGEBYLEX m [b [b", "ZRANGEBYLEX m (b [b", "ZRANGESTORE d m [a [c BYLEX",
			"ZRANGE d 0 -1 WITHSCORES", "ZREMRANGEBYLEX m [b [c", "ZRANGE m 0 -1", "ZREMRANGEBYLEX m - +", "ZRANGE m 0 -1",
		}},
		{name: "negative-zero", cmds: []string{
			"ZADD l -0 x", "ZSCORE l x", "ZADD l INCR -0 y", "ZSCORE l y",
			"CONFIG SET zset-max-listpack-entries 3",
			"ZADD s 1 b 2 c 3 d 4 e", "ZADD s -0 a", "ZSCORE s a", "ZRANGE s 0 0 WITHSCORES", "ZRANGESTORE d s 0 -1",
			"ZSCORE d a", "ZRANGESTORE d2 s -inf +inf BYSCORE", "ZSCORE d2 a", "ZRANGESTORE d3 s 0 1", "ZSCORE d3 a",
			"ZUNIONSTORE u 1 s", "ZSCORE u a", "ZUNIONSTORE u2 1 s WEIGHTS -1", "ZRANGE u2 0 -1 WITHSCORES",
			"ZUNION 1 s WITHSCORES", "ZINTERSTORE i 2 s l", "ZINTER 2 s s WITHSCORES", "ZADD s INCR -0 zz", "ZSCORE s zz",
			"COPY s c", "ZSCORE c a", "ZINCRBY s 0 a", "ZSCORE s a", "ZUNION 2 l l WEIGHTS -1 1 WITHSCORES",
			"CONFIG SET zset-max-listpack-entries 128",
		}},
		{name: "zscan-listpack-scores", cmds: []string{
			"ZADD w 4.6e18 e 4.7e18 f -0 g 1e20 c 123456789012345678 d 0.5 h -4611686018427387904 i", "ZSCAN w 0",
		}},
		{name: "encoding-and-copy", cmds: []string{
			"ZADD z 1 a", "TYPE z", "OBJECT ENCODING z", "ZADD z 2 " + long, "OBJECT ENCODING z", "ZREM z " + long,
			"OBJECT ENCODING z", big, "OBJECT ENCODING big", "ZCARD big", "ZRANGE big 100 105 WITHSCORES",
			"ZRANGEBYSCORE big (3 4 LIMIT 2 5", "ZREVRANGEBYSCORE big 10 (9 LIMIT 1 3 WITHSCORES", "ZRANK big m100",
			"ZREVRANK big m100", "ZCOUNT big 5 (9", "ZREMRANGEBYSCORE big 16 16", "ZREMRANGEBYRANK big 0 9", "ZCARD big",
			"ZPOPMIN big 3", "ZPOPMAX big 2", "ZRANGE big 0 4 WITHSCORES",
			"COPY z z2", "ZADD z2 9 n", "ZRANGE z 0 -1 WITHSCORES", "ZRANGE z2 0 -1 WITHSCORES", "COPY big big2",
			"ZREM big2 m101", "ZCARD big", "ZCARD big2", "OBJECT ENCODING big2", "~SCAN 0 TYPE zset COUNT 1000",
		}},
	}
}
