package command

import "testing"

// LCS with Redis 7.0.15's replies (checked against the real server by
// test/e2e_diff_cmds17_test.go).
func TestFamilyLCS(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "lcs", steps: []string{
			`MSET a ohmytext b mynewtext => +OK`,
			`LCS a b => "mytext"`,
			`LCS a b LEN => :6`,
			`LCS a b IDX => ["matches" [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] "len" :6]`,
			`LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN => ["matches" [[[:4 :7] [:5 :8] :4]] "len" :6]`,
			`LCS a nokey => ""`,
			`LCS a b LEN IDX => -ERR If you want both the length and indexes, please just use IDX.`,
			`LCS a b MINMATCHLEN x => -ERR value is not an integer or out of range`,
			`LCS a b FOO => -ERR syntax error`,
			`RPUSH l x => :1`,
			`LCS a l => -ERR The specified keys must contain string values`,
		}},
		{name: "lcs resp3", proto: 3, steps: []string{
			`MSET a ab b ab => +OK`,
			`LCS a b IDX WITHMATCHLEN => %{"matches" [[[:0 :1] [:0 :1] :2]] "len" :2}`,
		}},
	})
}
