package test

import (
	"fmt"
	"strings"
	"testing"
)

// TestListsMatchRedis compares every list command with Redis 7.0 byte for
// byte in RESP2 and RESP3: replies, error texts, the order in which
// arguments are checked, and the rule that an emptied list disappears.
func TestListsMatchRedis(t *testing.T) {
	t.Parallel()
	runTypeDiff(t, listCases())
}

func listCases() []diffCase {
	big := "RPUSH big " + seqArgs(1500, func(i int) string { return fmt.Sprintf("e%d", i%7) })
	long := strings.Repeat("x", 9000) // larger than a quicklist node
	return []diffCase{
		{name: "push-pop", cmds: []string{
			"LPUSH l a b c", "RPUSH l d e", "LRANGE l 0 -1", "LLEN l",
			"LPUSHX l x", "RPUSHX l y z", "LPUSHX nol x", "RPUSHX nol x", "EXISTS nol", "LRANGE l 0 -1",
			"LPOP l", "RPOP l", "LPOP l 2", "RPOP l 2", "LPOP l 0", "RPOP l 0", "LLEN l",
			"LPOP l 100", "EXISTS l", "LPOP l", "RPOP l", "LPOP l 1", "RPOP l 3", "LPOP l 0",
			"RPUSH l 1", "RPOP l 1", "EXISTS l", "RPUSH l 1 2", "LPOP l 9223372036854775807", "EXISTS l",
			"LPOP l -1", "LPOP l abc", "RPOP l 1.5", "LPOP l 1 2", "RPOP l 1 2 3", "LPOP", "LPUSH l", "RPUSHX l",
			"LPUSH l \"\" \"\"", "LRANGE l 0 -1", "LPOP l 2", "EXISTS l",
		}},
		{name: "wrongtype", cmds: []string{
			"SET s x", "HSET h f v", "RPUSH l a b",
			"LPUSH s a", "RPUSH s a", "LPUSHX s a", "RPUSHX s a", "LPOP s", "RPOP s 2", "LPOP s 0", "LLEN s",
			"LRANGE s 0 -1", "LRANGE s x y", "LINDEX s 0", "LINDEX s x", "LSET s 0 a", "LSET s x a", "LINSERT s before a b",
			"LINSERT s middle a b", "LREM s 0 a", "LREM s x a", "LTRIM s 0 1", "LTRIM s x 1", "LPOS s a", "LPOS s a rank 0",
			"LMOVE s d left left", "LMOVE l s left left", "LMOVE l h right left", "LRANGE l 0 -1",
			"RPOPLPUSH s d", "RPOPLPUSH l s", "RPOPLPUSH nol s", "LMOVE nol s left left",
			"LMPOP 1 s left", "LMPOP 2 nol s left", "LMPOP 2 l s left", "LMPOP 2 s l right",
			"BLPOP s 0", "BRPOP nol s 0", "BLPOP l s 0", "BLMOVE s d left right 0", "BRPOPLPUSH s d 0",
			"BLMPOP 0 1 s left", "BLMPOP 0 2 nol h left COUNT 2", "GET s", "HGET h f",
		}},
		{name: "lrange-indexes", cmds: []string{
			"RPUSH l 0 1 2 3 4 5 6 7 8 9",
			"LRANGE l 0 0", "LRANGE l 0 -1", "LRANGE l -3 -1", "LRANGE l -100 2", "LRANGE l 5 100", "LRANGE l 7 3",
			"LRANGE l -1 -3", "LRANGE l 10 20", "LRANGE l -9223372036854775808 9223372036854775807",
			"LRANGE l 9223372036854775807 -9223372036854775808", "LRANGE l 1 9223372036854775808", "LRANGE l 1 -",
			"LRANGE l \" 1\" 2", "LRANGE l +1 2", "LRANGE l 01 2", "LRANGE l 1.0 2", "LRANGE nol 0 -1", "LRANGE nol x 1",
		}},
		{name: "lindex-lset", cmds: []string{
			"RPUSH l a b c",
			"LINDEX l 0", "LINDEX l -1", "LINDEX l -3", "LINDEX l -4", "LINDEX l 3", "LINDEX l 9223372036854775807",
			"LINDEX l -9223372036854775808", "LINDEX l x", "LINDEX nol x", "LINDEX nol 0",
			"LSET l 0 A", "LSET l -1 C", "LSET l 1 bbbbbbbbbbbbbbbbbbbbbbb", "LRANGE l 0 -1", "LSET l 3 z", "LSET l -4 z",
			"LSET l x z", "LSET nol 0 z", "LSET nol x z", "LSET l 1 \"\"", "LRANGE l 0 -1",
			"LSET l 1 " + long, "LINDEX l 1", "LLEN l",
		}},
		{name: "linsert", cmds: []string{
			"RPUSH l a b c b",
			"LINSERT l BEFORE b x", "LINSERT l after b y", "LINSERT l AfTeR c z", "LINSERT l before nope q",
			"LRANGE l 0 -1", "LINSERT l between a q", "LINSERT nol before a b", "EXISTS nol",
			"LINSERT l before a " + long, "LINDEX l 0", "LLEN l",
		}},
		{name: "lrem", cmds: []string{
			"RPUSH l a b a c a b a",
			"LREM l 2 a", "LRANGE l 0 -1", "LREM l -1 b", "LRANGE l 0 -1", "LREM l 0 a", "LRANGE l 0 -1",
			"LREM l 0 nope", "LREM l x a", "LREM nol 1 a", "LREM l -9223372036854775808 c", "LREM l 0 b", "EXISTS l",
			big, "LREM big 100 e3", "LREM big -100 e4", "LREM big 0 e5", "LLEN big", "LRANGE big 100 130",
		}},
		{name: "ltrim", cmds: []string{
			"RPUSH l 0 1 2 3 4 5 6 7 8 9",
			"LTRIM l 1 -2", "LRANGE l 0 -1", "LTRIM l -3 100", "LRANGE l 0 -1", "LTRIM l 0 -1", "LRANGE l 0 -1",
			"LTRIM l 5 3", "EXISTS l", "LTRIM nol 0 1", "RPUSH l a b", "LTRIM l 2 -1", "EXISTS l",
			"RPUSH l a b", "LTRIM l x 1", "LTRIM l 0 y", "LTRIM l -100 -50", "EXISTS l",
			big, "LTRIM big 200 -300", "LLEN big", "LRANGE big 0 5", "LRANGE big -5 -1",
		}},
		{name: "lpos", cmds: []string{
			"RPUSH l a b c a b c a",
			"LPOS l a", "LPOS l c", "LPOS l z", "LPOS l a RANK 2", "LPOS l a RANK -1", "LPOS l a RANK -3", "LPOS l a RANK 4",
			"LPOS l a COUNT 0", "LPOS l a COUNT 2", "LPOS l a COUNT 2 RANK -1", "LPOS l a RANK 2 COUNT 0",
			"LPOS l z COUNT 0", "LPOS l a MAXLEN 1", "LPOS l a MAXLEN 3 RANK 2", "LPOS l a MAXLEN 4 COUNT 0",
			"LPOS l a MAXLEN 2 RANK -1 COUNT 0", "LPOS l c RANK -9223372036854775808", "LPOS l c RANK 9223372036854775807",
			"LPOS l a RANK 0", "LPOS l a RANK x", "LPOS l a COUNT -1", "LPOS l a COUNT x", "LPOS l a MAXLEN -1",
			"LPOS l a MAXLEN x", "LPOS l a RANK", "LPOS l a FOO 1", "LPOS l a COUNT", "LPOS nol a", "LPOS nol a COUNT 1",
			"LPOS nol a RANK 0", "LPOS nol a COUNT 0 MAXLEN 1",
		}},
		{name: "lmove", cmds: []string{
			"RPUSH src a b c", "LMOVE src dst LEFT RIGHT", "LMOVE src dst right left", "LRANGE src 0 -1", "LRANGE dst 0 -1",
			"LMOVE src dst left left", "EXISTS src", "LMOVE src dst left left", "LMOVE dst dst left right", "LRANGE dst 0 -1",
			"LMOVE dst dst right left", "LRANGE dst 0 -1", "RPOPLPUSH dst src", "RPOPLPUSH dst dst", "LRANGE dst 0 -1",
			"LMOVE dst src up left", "LMOVE dst src left down", "LMOVE nol src up left", "LMOVE dst src LEFT",
			"RPUSH one x", "RPOPLPUSH one one", "LRANGE one 0 -1", "LMOVE one one left left", "LRANGE one 0 -1",
			"RPOPLPUSH one other", "EXISTS one", "LRANGE other 0 -1",
		}},
		{name: "lmpop", cmds: []string{
			"RPUSH a 1 2 3", "RPUSH b 4 5 6 7",
			"LMPOP 2 a b LEFT", "LMPOP 2 a b RIGHT COUNT 2", "LMPOP 1 a left COUNT 10", "EXISTS a", "LMPOP 2 a b left count 3",
			"LMPOP 3 nol a b RIGHT COUNT 100", "EXISTS b", "LMPOP 2 a b LEFT", "LMPOP 1 a middle", "LMPOP 0 a left",
			"LMPOP -1 a left", "LMPOP x a left", "LMPOP 3 a b left", "LMPOP 2 a b", "LMPOP 1 a left COUNT 0",
			"LMPOP 1 a left COUNT -1", "LMPOP 1 a left COUNT x", "LMPOP 1 a left COUNT 1 COUNT 1", "LMPOP 1 a left COUNT",
			"LMPOP 1 a left foo",
		}},
		{name: "blocking-served-at-once", cmds: []string{
			"RPUSH a 1 2 3", "RPUSH b x",
			"BLPOP nol a b 0", "BRPOP b a 1", "BLPOP a 0.5", "EXISTS b", "BRPOP nol a 0",
			"RPUSH a 1 2 3 4", "BLMOVE a d left right 0", "BRPOPLPUSH a d 0", "LRANGE d 0 -1",
			"BLMPOP 0 2 nol a RIGHT", "BLMPOP 1.5 1 a LEFT COUNT 10", "EXISTS a",
			"BLPOP nol 0.01", "BRPOP nol nol2 0.01", "BLMOVE nol d left left 0.01", "BRPOPLPUSH nol d 0.01",
			"BLMPOP 0.01 1 nol left",
		}},
		{name: "blocking-arguments", cmds: []string{
			"RPUSH a 1",
			"BLPOP a -1", "BLPOP a x", "BLPOP a -0.5", "BLPOP a inf", "BLPOP a 1e400", "BLPOP a \" 1\"", "BLPOP a \"\"",
			"BLPOP a 9.3e15", "BLPOP a 0x10", "BLMOVE a d left middle 0", "BLMOVE a d left left -1", "BRPOPLPUSH a d x",
			"BLMPOP x 1 a left", "BLMPOP 0 0 a left", "BLMPOP -1 1 a left", "BLMPOP 0 1 a up", "BLMPOP 0 1 a left COUNT 0",
			"BLMPOP 0 5 a left", "BLPOP a", "BLMPOP 0 1 a", "LRANGE a 0 -1", "BLPOP nol 0.0001", "BRPOP nol 1e-300",
			"BLMOVE nol d left left 0.0009", "RPUSH a 1 2", "BLPOP a 9.223371e15", "BLPOP a 9.2e15",
		}},
		{name: "blocking-in-multi", cmds: []string{
			"MULTI", "BLPOP nol 0", "BRPOP nol 0", "BLMOVE nol d left left 0", "BRPOPLPUSH nol d 0", "BLMPOP 0 1 nol left",
			"RPUSH nol x", "BLPOP nol 0", "EXEC",
		}},
		{name: "big-and-long", cmds: []string{
			big, "LLEN big", "LINDEX big 777", "LINDEX big -777", "LRANGE big 1000 1010", "LSET big 750 middle",
			"LRANGE big 748 752", "LINSERT big AFTER middle " + long, "LINDEX big 751", "LPOS big e6 RANK -3 COUNT 4",
			"LPOS big middle", "LREM big 1 " + long, "LLEN big", "LPOP big 5", "RPOP big 5", "LMPOP 1 big right COUNT 3",
			"RPUSH long " + long + " " + long, "LPUSH long a", "LRANGE long 0 0", "LLEN long", "RPOPLPUSH long long",
			"LINDEX long 0",
		}},
		{name: "type-encoding-copy", cmds: []string{
			"RPUSH l a b c", "TYPE l", "OBJECT ENCODING l", big, "OBJECT ENCODING big",
			"COPY l l2", "RPUSH l2 d", "LRANGE l 0 -1", "LRANGE l2 0 -1", "TYPE l2",
			"~SCAN 0 TYPE list COUNT 1000", "~SCAN 0 TYPE string COUNT 1000", "~KEYS *",
			"EXPIRE l 100", "RPUSH l z", "TTL l", "LPOP l 10", "TTL l", "EXISTS l",
		}},
	}
}
