package command

import "testing"

// The set commands, with Redis 7.0.15's replies (see script_test.go).
// Replies that list several members use integer members: those sets are
// intsets in both servers, which list members in ascending order, while
// hashtable order is Redis's own.
func TestFamilySets(t *testing.T) {
	const wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value"
	runScripts(t, []scriptCase{
		{name: "add rem members", steps: []string{
			`SADD s 3 1 2 1 => :3`,
			`SADD s 2 4 => :1`,
			`SMEMBERS s => ["1" "2" "3" "4"]`,
			`SCARD s => :4`,
			`SCARD nokey => :0`,
			`SISMEMBER s 2 => :1`,
			`SISMEMBER s 9 => :0`,
			`SISMEMBER nokey 9 => :0`,
			`SMISMEMBER s 1 9 4 => [:1 :0 :1]`,
			`SMISMEMBER nokey 1 => [:0]`,
			`SREM s 1 9 => :1`,
			`SREM nokey 1 => :0`,
			`SREM s 2 3 4 => :3`,
			`EXISTS s => :0`,
			`SMEMBERS s => []`,
			`SET str v => +OK`,
			`SADD str a => ` + wrongType,
			`SMEMBERS str => ` + wrongType,
			`SISMEMBER str a => ` + wrongType,
		}},
		{name: "algebra", steps: []string{
			`SADD a 1 2 3 4 => :4`,
			`SADD b 3 4 5 => :3`,
			`SINTER a b => ["3" "4"]`,
			`SINTER a nokey => []`,
			`SUNION a b => ["1" "2" "3" "4" "5"]`,
			`SDIFF a b => ["1" "2"]`,
			`SDIFF nokey a => []`,
			`SDIFF a nokey => ["1" "2" "3" "4"]`,
			`SINTERCARD 2 a b => :2`,
			`SINTERCARD 2 a b LIMIT 1 => :1`,
			`SINTERCARD 0 a => -ERR numkeys should be greater than 0`,
			`SINTERCARD 3 a b => -ERR Number of keys can't be greater than number of args`,
			`SINTERCARD 2 a b LIMIT -1 => -ERR LIMIT can't be negative`,
			`SINTERSTORE d a b => :2`,
			`SMEMBERS d => ["3" "4"]`,
			`SUNIONSTORE d a b => :5`,
			`SDIFFSTORE d b a => :1`,
			`SMEMBERS d => ["5"]`,
			`SINTERSTORE d a nokey => :0`,
			`EXISTS d => :0`,
			`SET str v => +OK`,
			`SINTER a str => ` + wrongType,
			`SUNIONSTORE d a str => ` + wrongType,
			`SINTERSTORE str a b => :2`,
			`TYPE str => +set`,
		}},
		{name: "smove", steps: []string{
			`SADD a 1 2 => :2`,
			`SMOVE a b 1 => :1`,
			`SMOVE a b 9 => :0`,
			`SMOVE nokey b 1 => :0`,
			`SMEMBERS b => ["1"]`,
			`SMOVE a a 2 => :1`,
			`SMOVE a b 2 => :1`,
			`EXISTS a => :0`,
			`SET str v => +OK`,
			`SMOVE b str 1 => ` + wrongType,
		}},
		{name: "pop randmember scan", steps: []string{
			`SPOP nokey => nil`,
			`SPOP nokey 2 => []`,
			`SRANDMEMBER nokey => nil`,
			`SRANDMEMBER nokey 3 => []`,
			`SADD s only => :1`,
			`SRANDMEMBER s => "only"`,
			`SRANDMEMBER s 5 => ["only"]`,
			`SRANDMEMBER s -3 => ["only" "only" "only"]`,
			`SRANDMEMBER s 0 => []`,
			`SSCAN s 0 => ["0" ["only"]]`,
			`SSCAN s 0 MATCH x* => ["0" []]`,
			`SPOP s 0 => []`,
			`SPOP s -1 => -ERR value is out of range, must be positive`,
			`SPOP s => "only"`,
			`EXISTS s => :0`,
			`SADD s 1 2 3 => :3`,
			`SPOP s 5 => ["1" "2" "3"]`,
			`EXISTS s => :0`,
		}},
		{name: "resp3 sets", proto: 3, steps: []string{
			`SADD s 2 1 => :2`,
			`SMEMBERS s => ~["1" "2"]`,
			`SINTER s nokey => ~[]`,
			`SPOP nokey 1 => ~[]`,
			`SRANDMEMBER s 0 => []`,
		}},
	})
}

// SPOP's removals go out as SREMs (or a DEL when it takes everything),
// whatever the randomness chose; writes that change nothing are not
// propagated.
func TestSetsPropagation(t *testing.T) {
	runPropagation(t, []propCase{
		{"", "SADD s a b", "0:SADD s a b"},
		{"SADD s a", "SADD s a", ""},
		{"SADD s a", "SREM s b", ""},
		{"SADD s a", "SPOP s", "0:SREM s a"},
		{"SADD s a b", "SPOP s 2", "0:DEL s"},
		{"SADD s a", "SPOP s 0", ""},
		{"SADD s a", "SMOVE s d a", "0:SMOVE s d a"},
		{"SADD s a", "SINTERSTORE d s s", "0:SINTERSTORE d s s"},
		{"SADD d a", "SINTERSTORE d x y", "0:SINTERSTORE d x y"},
	})
}
