package command

import "testing"

// MULTI/EXEC/DISCARD and WATCH, with Redis 7.0.15's replies (see
// script_test.go). Client 2 plays the other connection that touches
// watched keys.
func TestFamilyTransactions(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "exec runs the queue", steps: []string{
			`MULTI => +OK`,
			`SET a 1 => +QUEUED`,
			`INCR a => +QUEUED`,
			`GET a => +QUEUED`,
			`EXEC => [+OK :2 "2"]`,
			`EXEC => -ERR EXEC without MULTI`,
			`DISCARD => -ERR DISCARD without MULTI`,
			`MULTI => +OK`,
			`EXEC => []`,
		}},
		{name: "errors at run time do not stop the others", steps: []string{
			`SET s abc => +OK`,
			`MULTI => +OK`,
			`INCR s => +QUEUED`,
			`SET t 1 => +QUEUED`,
			`LPUSH s x => +QUEUED`,
			`EXEC => [-ERR value is not an integer or out of range +OK -WRONGTYPE Operation against a key holding the wrong kind of value]`,
			`GET t => "1"`,
		}},
		{name: "errors at queue time abort", steps: []string{
			`MULTI => +OK`,
			`SET a 1 => +QUEUED`,
			`NOSUCH x => -ERR unknown command 'NOSUCH', with args beginning with: 'x' `,
			`GET => -ERR wrong number of arguments for 'get' command`,
			`EXEC => -EXECABORT Transaction discarded because of previous errors.`,
			`GET a => nil`,
			`MULTI => +OK`,
			`MULTI => -ERR MULTI calls can not be nested`,
			`SET a 1 => +QUEUED`,
			`EXEC => [+OK]`,
		}},
		{name: "discard", steps: []string{
			`MULTI => +OK`,
			`SET a 1 => +QUEUED`,
			`DISCARD => +OK`,
			`GET a => nil`,
			`WATCH a => +OK`,
			`MULTI => +OK`,
			`DISCARD => +OK`,
			`@2 SET a 2 => +OK`,
			`MULTI => +OK`,
			`GET a => +QUEUED`,
			`EXEC => ["2"]`,
		}},
		{name: "watch", steps: []string{
			`SET k 1 => +OK`,
			`WATCH k nokey => +OK`,
			`@2 SET k 2 => +OK`,
			`MULTI => +OK`,
			`SET k 3 => +QUEUED`,
			`EXEC => *nil`,
			`GET k => "2"`,
			`WATCH k => +OK`,
			`MULTI => +OK`,
			`WATCH k => -ERR WATCH inside MULTI is not allowed`,
			`INCR k => +QUEUED`,
			`EXEC => [:3]`,
			`WATCH nokey => +OK`,
			`@2 SET nokey 1 => +OK`,
			`@2 DEL nokey => :1`,
			`MULTI => +OK`,
			`EXEC => *nil`,
			`WATCH k => +OK`,
			`UNWATCH => +OK`,
			`@2 SET k 9 => +OK`,
			`MULTI => +OK`,
			`GET k => +QUEUED`,
			`EXEC => ["9"]`,
		}},
		{name: "watch survives a write that changes nothing", steps: []string{
			`SET k 1 => +OK`,
			`WATCH k => +OK`,
			`@2 SET k 2 NX => nil`,
			`@2 EXPIRE nokey 10 => :0`,
			`MULTI => +OK`,
			`EXEC => []`,
		}},
		{name: "flush and swapdb touch watched keys that exist", steps: []string{
			`SET k 1 => +OK`,
			`WATCH k => +OK`,
			`@2 FLUSHALL => +OK`,
			`MULTI => +OK`,
			`EXEC => *nil`,
			`WATCH gone => +OK`,
			`@2 FLUSHDB => +OK`,
			`MULTI => +OK`,
			`EXEC => []`,
			`@2 SELECT 1 => +OK`,
			`@2 SET k 1 => +OK`,
			`WATCH k => +OK`,
			`@2 SWAPDB 0 1 => +OK`,
			`MULTI => +OK`,
			`EXEC => *nil`,
		}},
		// A key that expires between WATCH and EXEC fails EXEC even when
		// nothing has deleted it yet; one that had expired before WATCH
		// does not, nor does its deletion (Redis's watchedKey.expired).
		{name: "watched key that expires", steps: []string{
			`SET k 1 PX 50 => +OK`,
			`WATCH k => +OK`,
			`~sleep 100`,
			`MULTI => +OK`,
			`EXEC => *nil`,
		}},
		{name: "watched key already expired", steps: []string{
			`SET k 1 PX 50 => +OK`,
			`~sleep 100`,
			`WATCH k => +OK`,
			`MULTI => +OK`,
			`EXEC => []`,
			`SET g 1 PX 50 => +OK`,
			`~sleep 100`,
			`WATCH g => +OK`,
			`GET g => nil`,
			`MULTI => +OK`,
			`EXEC => []`,
			`SET h 1 PX 50 => +OK`,
			`~sleep 100`,
			`WATCH h => +OK`,
			`@2 SET h 2 => +OK`,
			`MULTI => +OK`,
			`EXEC => *nil`,
			`SET i 1 PX 50 => +OK`,
			`~sleep 100`,
			`WATCH i => +OK`,
			`@2 GET i => nil`,
			`@2 SET i 2 => +OK`,
			`MULTI => +OK`,
			`EXEC => *nil`,
		}},
		{name: "watch in another db", steps: []string{
			`SELECT 3 => +OK`,
			`WATCH k => +OK`,
			`@2 SET k 1 => +OK`,
			`MULTI => +OK`,
			`EXEC => []`,
			`WATCH k => +OK`,
			`@2 SELECT 3 => +OK`,
			`@2 SET k 1 => +OK`,
			`MULTI => +OK`,
			`EXEC => *nil`,
		}},
		{name: "resp3 aborted exec", proto: 3, steps: []string{
			`WATCH k => +OK`,
			`@2 SET k 1 => +OK`,
			`MULTI => +OK`,
			`EXEC => _`,
		}},
	})
}

// A transaction propagates as one unit: MULTI … EXEC around its writes
// when there are several, the write alone when there is one, nothing when
// it only read; its commands keep their deterministic forms and their
// databases.
func TestTransactionsPropagation(t *testing.T) {
	at := func(ms int64) string { return itoa(startMs + ms) }
	runPropagation(t, []propCase{
		{"MULTI;SET a 1", "EXEC", "0:SET a 1"},
		{"MULTI;GET a", "EXEC", ""},
		{"MULTI;SET a 1;INCR a;GET a", "EXEC", "0:MULTI | 0:SET a 1 | 0:INCR a | 0:EXEC"},
		{"MULTI;SET a 1;SELECT 2;SET b 1", "EXEC", "0:MULTI | 0:SET a 1 | 2:SET b 1 | 2:EXEC"},
		{"MULTI;SET a x;INCR a;SET b 1", "EXEC", "0:MULTI | 0:SET a x | 0:SET b 1 | 0:EXEC"},
		{"MULTI;SET a 1 EX 10;INCRBYFLOAT f 1", "EXEC", "0:MULTI | 0:SET a 1 PXAT " + at(10_000) + " | 0:SET f 1 KEEPTTL | 0:EXEC"},
		{"MULTI;SET a 1", "DISCARD", ""},
		{"WATCH a;@2 SET a 1;MULTI;SET a 2", "EXEC", ""},
	})
}
