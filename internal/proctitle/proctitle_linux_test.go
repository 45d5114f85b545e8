//go:build linux

package proctitle

import (
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	// Fields 3 to 52 of a real line, with the four addresses at 48–51.
	tail := func(arg, env string) string {
		f := strings.Fields("S 1 2 3 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 5 0 100 1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 1 2")
		return strings.Join(f, " ") + " " + arg + " " + env + " 0"
	}
	cases := []struct {
		name, line string
		ok         bool
	}{
		{name: "plain", line: "12 (tandem) " + tail("1000 1020", "1020 1100"), ok: true},
		{name: "comm with spaces and parens", line: "12 (a ) b) " + tail("1000 1020", "1020 1100"), ok: true},
		{name: "hidden addresses", line: "12 (tandem) " + tail("0 0", "0 0")},
		{name: "short line", line: "12 (tandem) S 1 2 3"},
		{name: "no parens", line: "12 tandem S"},
	}
	for _, c := range cases {
		as, ae, es, ee, err := parseStat([]byte(c.line))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v", c.name, err)
			continue
		}
		if c.ok && (as != 1000 || ae != 1020 || es != 1020 || ee != 1100) {
			t.Errorf("%s: %d %d %d %d", c.name, as, ae, es, ee)
		}
	}
}
