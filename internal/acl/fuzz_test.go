package acl

import (
	"strings"
	"testing"
)

// FuzzRules: any rules either fail or make a user whose description, read
// back as rules into a fresh user, describes the same user (what ACL SAVE
// then ACL LOAD rely on); nothing panics.
func FuzzRules(f *testing.F) {
	for _, s := range []string{
		"on >pw ~app:* %R~ro:* &ch +get -@all +@read",
		"reset +@all -memory|doctor +select|0 (~x* +get) (%W~y +@write)",
		"nopass allkeys allchannels allcommands -config|set clearselectors",
		"%RW~k %R~k %W~k resetkeys resetchannels &a &b",
		"(~x", "%~k", "+config|get|x", "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
	} {
		f.Add(s)
	}
	a := New(nil)
	f.Fuzz(func(t *testing.T, rules string) {
		if a.Table == nil {
			a = testACL(t)
		}
		delete(a.users, "u")
		delete(a.users, "v")
		u, _, err := a.SetUser("u", strings.Fields(rules))
		if err != nil {
			return
		}
		// Checking any call against the user never panics.
		words := args(rules)
		for _, name := range []string{"get", "mset", "lmove", "publish", "psubscribe", "config", "memory", "select"} {
			call := append([][]byte{[]byte(name)}, words...)
			if c := a.Table.Lookup(name); c != nil {
				u.Check(a.Table.Resolve(c.spec, call), call)
				u.ReadsAnyKey(a.Table.Resolve(c.spec, call), call)
			}
		}
		desc := a.Describe(u)
		// As in Redis, a pattern holding a parenthesis or a quote does
		// not read back once inside a selector's description: only the
		// others must round-trip.
		n := len(u.sels) - 1
		if strings.Count(desc, "(") != n || strings.Count(desc, ")") != n || strings.ContainsAny(desc, "\"'") {
			return
		}
		v, _, err := a.SetUser("v", strings.Fields(desc))
		if err != nil {
			t.Fatalf("description %q of %q does not load: %v", desc, rules, err)
		}
		if got := a.Describe(v); got != desc {
			t.Fatalf("rules %q: described %q, reloaded %q", rules, desc, got)
		}
	})
}
