package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pat, s string
		nocase bool
		want   bool
	}{
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h*llo", "heeeello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hbllo", false, true},
		{"h\\*llo", "h*llo", false, true},
		{"h\\*llo", "hello", false, false},
		{"key:*", "key:123", false, true},
		{"key:*", "kez:123", false, false},
		{"HELLO", "hello", true, true},
		{"HELLO", "hello", false, false},
		{"*a*b", "xxaxxb", false, true},
		{"*a*b", "xxaxxbc", false, false},
		{"a*", "", false, false},
		{"", "", false, true},
		{"", "a", false, false},
		{"max*", "maxmemory", false, true},
		{"[abc", "a", false, true},
	}
	for _, c := range cases {
		if got := MatchString(c.pat, c.s, c.nocase); got != c.want {
			t.Errorf("Match(%q, %q, %v) = %v, want %v", c.pat, c.s, c.nocase, got, c.want)
		}
	}
}

// A pattern of many stars against a long non-matching subject must finish
// quickly: the naive recursive matcher is exponential here.
func TestMatchManyStarsIsNotExponential(t *testing.T) {
	pat := strings.Repeat("*a", 30) + "b"
	s := strings.Repeat("a", 5000)
	if MatchString(pat, s, false) {
		t.Fatal("unexpected match")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("h*llo", "hello")
	f.Add("[^a-z]?*", "Xyz")
	f.Fuzz(func(t *testing.T, p, s string) { MatchString(p, s, false) })
}
