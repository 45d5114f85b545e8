package command

import "testing"

// The list commands, blocking ones included (a second client pushes; a
// timeout is ended as the server's cron would), with Redis 7.0.15's
// replies (see script_test.go).
func TestFamilyLists(t *testing.T) {
	const wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value"
	runScripts(t, []scriptCase{
		{name: "push pop range", steps: []string{
			`RPUSH l a b c => :3`,
			`LPUSH l z y => :5`,
			`LRANGE l 0 -1 => ["y" "z" "a" "b" "c"]`,
			`LRANGE l -2 100 => ["b" "c"]`,
			`LRANGE l 3 1 => []`,
			`LRANGE nokey 0 -1 => []`,
			`LLEN l => :5`,
			`LLEN nokey => :0`,
			`LPOP l => "y"`,
			`RPOP l => "c"`,
			`LPOP l 2 => ["z" "a"]`,
			`RPOP l 0 => []`,
			`LPOP l -1 => -ERR value is out of range, must be positive`,
			`RPOP l 5 => ["b"]`,
			`EXISTS l => :0`,
			`LPOP l => nil`,
			`LPOP l 2 => *nil`,
			`LPUSHX l a => :0`,
			`RPUSHX l a => :0`,
			`RPUSH l a => :1`,
			`RPUSHX l b c => :3`,
			`LPUSHX l z => :4`,
			`SET s v => +OK`,
			`LPUSH s a => ` + wrongType,
			`LRANGE s 0 -1 => ` + wrongType,
		}},
		{name: "index set insert", steps: []string{
			`RPUSH l a b c => :3`,
			`LINDEX l 0 => "a"`,
			`LINDEX l -1 => "c"`,
			`LINDEX l 3 => nil`,
			`LINDEX l x => -ERR value is not an integer or out of range`,
			`LSET l 1 B => +OK`,
			`LSET l 5 x => -ERR index out of range`,
			`LSET nokey 0 x => -ERR no such key`,
			`LINSERT l BEFORE B x => :4`,
			`LINSERT l AFTER c y => :5`,
			`LINSERT l AFTER nope y => :-1`,
			`LINSERT nokey AFTER a y => :0`,
			`LINSERT l MIDDLE a y => -ERR syntax error`,
			`LRANGE l 0 -1 => ["a" "x" "B" "c" "y"]`,
		}},
		{name: "lrem ltrim lpos", steps: []string{
			`RPUSH l a b a c a => :5`,
			`LREM l -2 a => :2`,
			`LRANGE l 0 -1 => ["a" "b" "c"]`,
			`LREM l 0 nope => :0`,
			`RPUSH m 1 2 3 4 5 => :5`,
			`LTRIM m 1 -2 => +OK`,
			`LRANGE m 0 -1 => ["2" "3" "4"]`,
			`LTRIM m 5 10 => +OK`,
			`EXISTS m => :0`,
			`RPUSH p a b c 1 2 3 c c => :8`,
			`LPOS p c => :2`,
			`LPOS p c RANK 2 => :6`,
			`LPOS p c RANK -1 => :7`,
			`LPOS p c COUNT 0 => [:2 :6 :7]`,
			`LPOS p c COUNT 2 RANK -1 => [:7 :6]`,
			`LPOS p c MAXLEN 3 COUNT 0 => [:2]`,
			`LPOS p nope => nil`,
			`LPOS p nope COUNT 1 => []`,
			`LPOS p c RANK 0 => -ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list`,
			`LPOS p c COUNT -1 => -ERR COUNT can't be negative`,
			`LPOS p c MAXLEN -1 => -ERR MAXLEN can't be negative`,
		}},
		{name: "lmove rpoplpush lmpop", steps: []string{
			`RPUSH a 1 2 3 => :3`,
			`LMOVE a b LEFT RIGHT => "1"`,
			`LMOVE a b RIGHT LEFT => "3"`,
			`LRANGE b 0 -1 => ["3" "1"]`,
			`RPOPLPUSH a a => "2"`,
			`LMOVE a b UP LEFT => -ERR syntax error`,
			`LMOVE nokey b LEFT LEFT => nil`,
			`SET s v => +OK`,
			`LMOVE a s LEFT LEFT => ` + wrongType,
			`LRANGE a 0 -1 => ["2"]`,
			`LMPOP 2 nokey b LEFT => ["b" ["3"]]`,
			`LMPOP 1 b RIGHT COUNT 5 => ["b" ["1"]]`,
			`LMPOP 1 b RIGHT => *nil`,
			`LMPOP 0 b LEFT => -ERR numkeys should be greater than 0`,
			`LMPOP 1 b LEFT COUNT 0 => -ERR count should be greater than 0`,
			`LMPOP 2 b LEFT => -ERR syntax error`,
		}},
		{name: "blocking pops served at once", steps: []string{
			`RPUSH l a b => :2`,
			`BLPOP nokey l 0 => ["l" "a"]`,
			`BRPOP l 0 => ["l" "b"]`,
			`RPUSH l c => :1`,
			`BLMOVE l d LEFT LEFT 0 => "c"`,
			`BRPOPLPUSH d l 0 => "c"`,
			`BLMPOP 0 1 l RIGHT COUNT 3 => ["l" ["c"]]`,
			`BLPOP l -1 => -ERR timeout is negative`,
			`BLPOP l x => -ERR timeout is not a float or out of range`,
		}},
		{name: "blocking pop woken by a push", steps: []string{
			`@1 BLPOP q1 q2 0 => (blocked)`,
			`@3 BRPOP q2 0 => (blocked)`,
			`@2 RPUSH q2 x y => :2`,
			`@1 ~reply => ["q2" "x"]`,
			`@3 ~reply => ["q2" "y"]`,
			`@2 LLEN q2 => :0`,
		}},
		{name: "blocking pop woken inside a transaction", steps: []string{
			`@1 BLMOVE src dst RIGHT LEFT 0 => (blocked)`,
			`@2 MULTI => +OK`,
			`@2 RPUSH src a b => +QUEUED`,
			`@2 LRANGE dst 0 -1 => +QUEUED`,
			`@2 EXEC => [:2 []]`,
			`@1 ~reply => "b"`,
			`@2 LRANGE dst 0 -1 => ["b"]`,
			`@2 LRANGE src 0 -1 => ["a"]`,
		}},
		{name: "blocking pop times out", steps: []string{
			`@1 BLPOP q 0.05 => (blocked)`,
			`@1 ~timeout => *nil`,
			`@1 BLMOVE q d LEFT LEFT 0.05 => (blocked)`,
			`@1 ~timeout => *nil`,
			`@1 BLMPOP 0.05 1 q LEFT => (blocked)`,
			`@1 ~timeout => *nil`,
			`@2 RPUSH q x => :1`,
			`@2 LLEN q => :1`,
		}},
		{name: "blocking commands inside MULTI do not block", steps: []string{
			`MULTI => +OK`,
			`BLPOP q 0 => +QUEUED`,
			`BLMOVE q d LEFT LEFT 0 => +QUEUED`,
			`BLMPOP 0 1 q LEFT => +QUEUED`,
			`EXEC => [*nil nil *nil]`,
		}},
	})
}

// Blocking pops propagate as their non-blocking forms, whether served at
// once or later (TestListsHashesSetsZSetsPropagateDeterministicForms in
// collections_test.go covers the immediate ones too).
func TestListsPropagation(t *testing.T) {
	runPropagation(t, []propCase{
		{"", "RPUSH l a b", "0:RPUSH l a b"},
		{"", "LPUSHX l a", ""},
		{"RPUSH l a b", "LPOP l", "0:LPOP l"},
		{"RPUSH l a b", "RPOP l 5", "0:RPOP l 5"},
		{"", "LPOP l", ""},
		{"RPUSH l a b", "LSET l 0 x", "0:LSET l 0 x"},
		{"RPUSH l a b", "LINSERT l BEFORE nope x", ""},
		{"RPUSH l a b", "LREM l 0 a", "0:LREM l 0 a"},
		{"RPUSH l a b", "LMOVE l l LEFT RIGHT", "0:LMOVE l l LEFT RIGHT"},
		{"RPUSH l a b", "RPOPLPUSH l d", "0:RPOPLPUSH l d"},
		{"RPUSH l a b", "LMPOP 1 l LEFT", "0:LPOP l 1"},
		{"RPUSH l a b", "BRPOPLPUSH l d 0", "0:RPOPLPUSH l d"},
	})
	// Served later: the pop follows the push that woke it, as its own op
	// (checked against redis-server 7.0.15's replication stream).
	se := newScriptEngine(2)
	for _, tc := range []struct{ block, push, want string }{
		{"BLPOP q 0", "RPUSH q a", "0:RPUSH q a | 0:LPOP q"},
		{"BRPOP q 0", "RPUSH q a b", "0:RPUSH q a b | 0:RPOP q"},
		{"BLMOVE q d RIGHT LEFT 0", "RPUSH q a", "0:RPUSH q a | 0:LMOVE q d right left"}, // Redis's own lower-case words
		{"BRPOPLPUSH q d 0", "LPUSH q a", "0:LPUSH q a | 0:RPOPLPUSH q d"},
		{"BLMPOP 0 2 x q LEFT COUNT 2", "RPUSH q a b c", "0:RPUSH q a b c | 0:LPOP q 2"},
	} {
		se.call(t, 1, "FLUSHALL")
		se.rec.take()
		if r := se.call(t, 1, tc.block); r != "(blocked)" {
			t.Fatalf("%s: %s", tc.block, r)
		}
		se.call(t, 2, tc.push)
		if got := se.rec.take(); got != tc.want {
			t.Errorf("%s woken by %s propagated %q, want %q", tc.block, tc.push, got, tc.want)
		}
	}
}
