package command

import "testing"

// The hash commands, with Redis 7.0.15's replies (see script_test.go).
// Small hashes are listpacks in both servers, so field order is insertion
// order and HGETALL can be compared as is.
func TestFamilyHashes(t *testing.T) {
	const wrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value"
	runScripts(t, []scriptCase{
		{name: "set get del", steps: []string{
			`HSET h a 1 b 2 => :2`,
			`HSET h a 10 c 3 => :1`,
			`HGET h a => "10"`,
			`HGET h nope => nil`,
			`HGET nokey a => nil`,
			`HMGET h a nope c => ["10" nil "3"]`,
			`HMGET nokey a => [nil]`,
			`HGETALL h => ["a" "10" "b" "2" "c" "3"]`,
			`HKEYS h => ["a" "b" "c"]`,
			`HVALS h => ["10" "2" "3"]`,
			`HLEN h => :3`,
			`HEXISTS h b => :1`,
			`HEXISTS h z => :0`,
			`HSTRLEN h a => :2`,
			`HSTRLEN h z => :0`,
			`HDEL h a z => :1`,
			`HDEL h b c => :2`,
			`EXISTS h => :0`,
			`HGETALL h => []`,
			`HSET h a => -ERR wrong number of arguments for 'hset' command`,
			`HMSET h a 1 b => -ERR wrong number of arguments for 'hmset' command`,
			`HMSET h a 1 => +OK`,
			`HSETNX h a 2 => :0`,
			`HSETNX h b 2 => :1`,
			`HGET h b => "2"`,
			`SET s v => +OK`,
			`HSET s a 1 => ` + wrongType,
			`HGET s a => ` + wrongType,
		}},
		{name: "incr", steps: []string{
			`HINCRBY h n 5 => :5`,
			`HINCRBY h n -10 => :-5`,
			`HINCRBY h n x => -ERR value is not an integer or out of range`,
			`HSET h s abc big 9223372036854775807 => :2`,
			`HINCRBY h s 1 => -ERR hash value is not an integer`,
			`HINCRBY h big 1 => -ERR increment or decrement would overflow`,
			`HINCRBYFLOAT h f 1.5 => "1.5"`,
			`HINCRBYFLOAT h f 1e2 => "101.5"`,
			`HINCRBYFLOAT h s 1 => -ERR hash value is not a float`,
			`HINCRBYFLOAT h f x => -ERR value is not a valid float`,
			`HINCRBYFLOAT h f inf => -ERR value is NaN or Infinity`,
			`HGET h f => "101.5"`,
		}},
		{name: "randfield scan", steps: []string{
			`HRANDFIELD nokey => nil`,
			`HRANDFIELD nokey 2 => []`,
			`HSET h only 1 => :1`,
			`HRANDFIELD h => "only"`,
			`HRANDFIELD h 5 => ["only"]`,
			`HRANDFIELD h -3 => ["only" "only" "only"]`,
			`HRANDFIELD h 1 WITHVALUES => ["only" "1"]`,
			`HRANDFIELD h 0 => []`,
			`HRANDFIELD h x => -ERR value is not an integer or out of range`,
			`HSCAN h 0 => ["0" ["only" "1"]]`,
			`HSET h other 2 => :1`,
			`HSCAN h 0 MATCH o* => ["0" ["only" "1" "other" "2"]]`,
			`HSCAN h 0 MATCH ot* => ["0" ["other" "2"]]`,
			`HSCAN nokey 0 => ["0" []]`,
		}},
		{name: "resp3 maps", proto: 3, steps: []string{
			`HSET h a 1 b 2 => :2`,
			`HGETALL h => %{"a" "1" "b" "2"}`,
			`HGETALL nokey => %{}`,
			`HSET g x 1 => :1`,
			`HRANDFIELD g -2 WITHVALUES => [["x" "1"] ["x" "1"]]`,
			`HGET h nope => _`,
		}},
	})
}

// Hash writes propagate as given, except HINCRBYFLOAT (its result, as
// HSET) and writes that change nothing.
func TestHashesPropagation(t *testing.T) {
	runPropagation(t, []propCase{
		{"", "HSET h a 1", "0:HSET h a 1"},
		{"", "HMSET h a 1", "0:HMSET h a 1"},
		{"HSET h a 1", "HSETNX h a 2", ""},
		{"HSET h a 1", "HDEL h a", "0:HDEL h a"},
		{"HSET h a 1", "HDEL h b", ""},
		{"", "HINCRBY h n 2", "0:HINCRBY h n 2"},
		{"", "HINCRBYFLOAT h f 0.5", "0:HSET h f 0.5"},
		{"HSET h f 1", "HINCRBYFLOAT h f x", ""},
	})
}
