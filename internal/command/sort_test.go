package command

import (
	"strings"
	"testing"
)

// SORT and SORT_RO with Redis 7.0.15's replies (checked against the real
// server by test/e2e_diff_cmds17_test.go).
func TestFamilySort(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "numeric alpha limit", steps: []string{
			`RPUSH l 3 1 2 10 => :4`,
			`SORT l => ["1" "2" "3" "10"]`,
			`SORT l DESC LIMIT 1 2 => ["3" "2"]`,
			`SORT l ALPHA => ["1" "10" "2" "3"]`,
			`SORT l BY nosort DESC => ["10" "2" "1" "3"]`,
			`RPUSH bad x => :1`,
			`SORT bad => -ERR One or more scores can't be converted into double`,
			`SORT l LIMIT a 1 => -ERR value is not an integer or out of range`,
			`SORT l FOO => -ERR syntax error`,
			`SORT_RO l STORE d => -ERR syntax error`,
			`SET s x => +OK`,
			`SORT s => -WRONGTYPE Operation against a key holding the wrong kind of value`,
		}},
		{name: "by and get patterns", steps: []string{
			`RPUSH l 1 2 3 => :3`,
			`MSET w_1 30 w_2 20 w_3 10 => +OK`,
			`HSET h_1 f c => :1`,
			`HSET h_2 f a => :1`,
			`SORT l BY w_* GET # GET h_*->f => ["3" nil "2" "a" "1" "c"]`,
			`SORT l BY h_*->f ALPHA => ["3" "2" "1"]`,
			`SORT l BY w_* GET h_*->f STORE d => :3`,
			`LRANGE d 0 -1 => ["" "a" "c"]`,
			`SORT l LIMIT 0 0 STORE d => :0`,
			`EXISTS d => :0`,
		}},
		{name: "sorted set keeps its order with nosort", steps: []string{
			`ZADD z 1 c 2 a 3 b => :3`,
			`SORT z BY nosort => ["c" "a" "b"]`,
			`SORT z BY nosort DESC LIMIT 0 2 => ["b" "a"]`,
			`SORT z ALPHA => ["a" "b" "c"]`,
		}},
		{name: "a sorted set sorted is a skiplist from then on", steps: []string{
			`ZADD z 1 c 2 a => :2`,
			`OBJECT ENCODING z => "listpack"`,
			`SORT_RO z BY nosort => ["c" "a"]`,
			`OBJECT ENCODING z => "skiplist"`,
			`ZADD z 3 b => :1`,
			`ZRANGE z 0 -1 WITHSCORES => ["c" "1" "a" "2" "b" "3"]`,
			`OBJECT ENCODING z => "skiplist"`,
		}},
		{name: "set with nosort and store is sorted alpha", steps: []string{
			`SADD s b c a => :3`,
			`SORT s BY nosort STORE d => :3`,
			`LRANGE d 0 -1 => ["a" "b" "c"]`,
		}},
	})
}

// SORT ... STORE is propagated as it is (Redis 7.0 does not rewrite it),
// also when it only deletes the destination; SORT alone is not.
func TestSortPropagation(t *testing.T) {
	runPropagation(t, []propCase{
		{"RPUSH l 2 1", "SORT l", ""},
		{"RPUSH l 2 1", "SORT l STORE d", "0:SORT l STORE d"},
		{"RPUSH l 2 1; SET d x", "SORT l LIMIT 0 0 STORE d", "0:SORT l LIMIT 0 0 STORE d"},
		{"", "SORT l STORE d", ""},
		{"RPUSH l 2 1", "SORT_RO l", ""},
	})
}

func TestSortKeys(t *testing.T) {
	for _, tc := range []struct {
		args string
		want []int
	}{
		{"SORT k", []int{1}},
		{"SORT k STORE d", []int{1, 3}},
		{"SORT k STORE d STORE e", []int{1, 5}},
		{"SORT k LIMIT 0 1 GET store STORE x", []int{1, 8}},
		{"SORT k BY store", []int{1}},
		{"SORT k STORE", []int{1}},
	} {
		var args [][]byte
		for _, a := range strings.Fields(tc.args) {
			args = append(args, []byte(a))
		}
		got := sortKeys(args)
		if len(got) != len(tc.want) {
			t.Errorf("%s: keys %v, want %v", tc.args, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: keys %v, want %v", tc.args, got, tc.want)
			}
		}
	}
}
