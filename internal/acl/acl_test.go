package acl

import (
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/command"
)

// testACL is an ACL over a small command table with Redis's own metadata
// (categories, key specs) for each command.
func testACL(t testing.TB) *ACL {
	t.Helper()
	tab := command.NewTable()
	for _, name := range []string{"get", "set", "del", "incr", "lmove", "mset", "publish", "subscribe", "psubscribe", "ssubscribe", "spublish", "select", "ping", "auth", "flushall", "keys", "info"} {
		// The key triple is the spec's own in the server's table.
		m := command.LookupRedisMeta(name)
		tab.Add(&command.Spec{Name: name, Arity: m.Arity, FirstKey: m.FirstKey, LastKey: m.LastKey, Step: m.Step})
	}
	tab.Add(&command.Spec{Name: "auth", Arity: -2, Flags: command.NoAuth})
	tab.Add(&command.Spec{Name: "config", Arity: -2, Subcommands: []string{"get", "set", "help"}})
	tab.Add(&command.Spec{Name: "memory", Arity: -2, Subcommands: []string{"doctor", "stats", "usage"}})
	return New(NewTable(tab.All()))
}

func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

func TestRuleErrors(t *testing.T) {
	a := testACL(t)
	for _, tc := range []struct{ rules, want string }{
		{"+nosuch", "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"},
		{"+@nosuch", "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"},
		{"~* ~x", "Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"},
		{"&* &x", "Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"},
		{"#abc", "Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{"<nope", "Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist"},
		{"+config|get|x", "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"},
		{"+config|nosuch", "Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category name in ACL"},
		{"-select|0", "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"},
		{"+get|", "Error in ACL SETUSER modifier '+get|': Syntax error"},
		{"%X~k", "Error in ACL SETUSER modifier '%X~k': Syntax error"},
		{"%RR~k", "Error in ACL SETUSER modifier '%RR~k': Syntax error"},
		{"%~k", "Error in ACL SETUSER modifier '%~k': Syntax error"},
		{"%", "Error in ACL SETUSER modifier '%': Syntax error"},
		{"+", "Error in ACL SETUSER modifier '+': Unknown command or category name in ACL"},
		{"+@", "Error in ACL SETUSER modifier '+@': Unknown command or category name in ACL"},
		{"((~x))", "Error in ACL SETUSER modifier '((~x))': Syntax error"},
		{"bogus", "Error in ACL SETUSER modifier 'bogus': Syntax error"},
		{"(~x", "Unmatched parenthesis in acl selector starting at '(~x'."},
		{"(~x +nosuch)", "Error in ACL SETUSER modifier '(~x +nosuch)': Unknown command or category name in ACL"},
	} {
		_, _, err := a.SetUser("u", strings.Fields(tc.rules))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %q", tc.rules, err, tc.want)
		}
	}
	if a.User("u") != nil {
		t.Errorf("a failed SETUSER created the user")
	}
	// A failed SETUSER changes nothing of an existing user.
	a.SetUser("v", []string{"on", "+get"})
	before := a.Describe(a.User("v"))
	if _, _, err := a.SetUser("v", []string{"+set", "+nosuch"}); err == nil || a.Describe(a.User("v")) != before {
		t.Errorf("failed SETUSER: %v, %q (was %q)", err, a.Describe(a.User("v")), before)
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		rules []string
		want  string
	}{
		{nil, "off resetchannels -@all"},
		{[]string{"reset"}, "off sanitize-payload resetchannels -@all"},
		{[]string{"on", "nopass", "~*", "&*", "+@all"}, "on nopass ~* &* +@all"},
		{[]string{"~a", "%R~b", "%W~c", "%RW~d", "%R~a", "&ch"}, "off ~a %R~b %W~c ~d resetchannels &ch -@all"},
		{[]string{"+@all", "-memory|doctor"}, "off resetchannels +@all -memory|doctor"},
		{[]string{"+memory|doctor", "+memory"}, "off resetchannels -@all +memory"},
		{[]string{"+@all", "+config|get"}, "off resetchannels +@all"},
		{[]string{"+select|0", "+select|1", "+select|0"}, "off resetchannels -@all +select|0 +select|1"},
		{[]string{"+select|0", "+select"}, "off resetchannels -@all +select"},
		{[]string{">a", ">b", "<a"}, "off #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d resetchannels -@all"},
		{[]string{"(~x +get)", "(&c +@pubsub)"}, "off resetchannels -@all (~x resetchannels -@all +get) (resetchannels &c -@all +@pubsub)"},
		{[]string{"(~x +get)", "clearselectors"}, "off resetchannels -@all"},
	} {
		a := testACL(t)
		u, _, err := a.SetUser("u", tc.rules)
		if err != nil {
			t.Fatalf("%q: %v", tc.rules, err)
		}
		if got := a.Describe(u); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.rules, got, tc.want)
		}
	}
	// Each category alone is described as itself, as Redis guarantees.
	a := testACL(t)
	for _, cat := range Categories {
		if names, _ := a.Table.InCategory(cat); len(names) == 0 {
			continue
		}
		u, _, _ := a.SetUser("c", []string{"reset", "+@all", "-@" + cat})
		if got := a.Info(u).Root.Commands; got != "+@all -@"+cat {
			t.Errorf("-@%s: %q", cat, got)
		}
		u, _, _ = a.SetUser("c", []string{"reset", "-@all", "+@" + cat})
		if got := a.Info(u).Root.Commands; got != "-@all +@"+cat {
			t.Errorf("+@%s: %q", cat, got)
		}
	}
}

func TestCheck(t *testing.T) {
	a := testACL(t)
	a.SetUser("u", []string{"on", "+get", "+set", "+lmove", "+mset", "+publish", "+psubscribe", "+subscribe", "+select|0", "+config|get", "~app:*", "%R~ro:*", "%W~wo:*", "&news", "&n*"})
	a.SetUser("s", []string{"on", "(~x* +get)", "(%R~y* +@read)"})
	for _, tc := range []struct {
		user, call string
		want       Reason
		pos        int
	}{
		{"u", "get app:1", OK, 0},
		{"u", "get other", DeniedKey, 1},
		{"u", "del app:1", DeniedCommand, 0},
		{"u", "get ro:1", OK, 0},
		{"u", "set ro:1 v", DeniedKey, 1},
		{"u", "set wo:1 v", OK, 0},
		{"u", "get wo:1", DeniedKey, 1},
		// LMOVE's source is read and written, its destination written.
		{"u", "lmove app:1 wo:1 left right", OK, 0},
		{"u", "lmove ro:1 wo:1 left right", DeniedKey, 1},
		{"u", "lmove app:1 ro:1 left right", DeniedKey, 2},
		{"u", "mset app:1 1 other 2", DeniedKey, 3},
		{"u", "publish news x", OK, 0},
		{"u", "publish sport x", DeniedChannel, 1},
		{"u", "subscribe news nx sport", DeniedChannel, 3},
		{"u", "psubscribe n*", OK, 0},
		{"u", "psubscribe ne*", DeniedChannel, 1},
		{"u", "select 0", OK, 0},
		{"u", "select 1", DeniedCommand, 0},
		{"u", "config get x", OK, 0},
		{"u", "config set x y", DeniedCommand, 0},
		{"u", "auth a b", OK, 0},
		{"s", "get x1", OK, 0},
		{"s", "get y1", OK, 0},
		{"s", "get z1", DeniedKey, 1},
		{"s", "set x1 v", DeniedCommand, 0},
		{"default", "flushall", OK, 0},
	} {
		u := a.User(tc.user)
		argv := args(tc.call)
		spec := &command.Spec{Name: string(argv[0])}
		c := a.Table.Resolve(spec, argv)
		r, pos := u.Check(c, argv)
		if r != tc.want || pos != tc.pos {
			t.Errorf("%s: %s: %v at %d, want %v at %d", tc.user, tc.call, r, pos, tc.want, tc.pos)
		}
	}
	if !a.User("default").Unrestricted() || a.User("u").Unrestricted() {
		t.Errorf("Unrestricted")
	}
}

func TestPasswords(t *testing.T) {
	a := testACL(t)
	a.SetUser("u", []string{">p1", ">p2"})
	u := a.User("u")
	if u.CheckPassword("p1") {
		t.Errorf("an off user authenticated")
	}
	a.SetUser("u", []string{"on", "<p1"})
	if u.CheckPassword("p1") || !u.CheckPassword("p2") {
		t.Errorf("passwords after <p1")
	}
	a.SetUser("u", []string{"nopass"})
	if !u.CheckPassword("anything") {
		t.Errorf("nopass")
	}
	a.SetUser("u", []string{"resetpass"})
	if u.CheckPassword("") || u.CheckPassword("p2") {
		t.Errorf("resetpass")
	}
	a.SetDefaultPassword("secret")
	if !a.AuthRequired() || !a.Default.CheckPassword("secret") {
		t.Errorf("requirepass")
	}
	a.SetDefaultPassword("")
	if a.AuthRequired() {
		t.Errorf("requirepass \"\"")
	}
}

// TestCheckPasswordComparesWholePasswords: AUTH's check (issue 14,
// finding 10) compares SHA-256 digests of fixed size, so neither a prefix,
// a longer password nor a NUL passes, and no early exit on a length
// difference tells a password's length.
func TestCheckPasswordComparesWholePasswords(t *testing.T) {
	long := strings.Repeat("x", 1<<16)
	a := testACL(t)
	for _, tc := range []struct {
		given, want string
		equal       bool
	}{
		{"secret", "secret", true},
		{long, long, true},
		{"secret", "secreT", false},
		{"secret", "secret1", false}, // a prefix
		{"secret1", "secret", false}, // longer
		{"", "secret", false},        // empty against set
		{"a\x00", "a", false},        // a NUL is part of the password
		{"a", "a\x00", false},
		{long, long[:len(long)-1], false},
	} {
		a.SetUser("u", []string{"reset", "on", ">" + tc.want})
		if got := a.User("u").CheckPassword(tc.given); got != tc.equal {
			t.Errorf("password %.10q, given %.10q: %v, want %v", tc.want, tc.given, got, tc.equal)
		}
	}
	// What is compared is a digest of fixed size, whatever the length.
	for _, p := range []string{"", "a", long} {
		if h := HashPassword(p); len(h) != 64 {
			t.Errorf("HashPassword(%.10q) has %d characters, want 64", p, len(h))
		}
	}
}

func TestLogGroups(t *testing.T) {
	l := Log{Max: 3}
	e := Entry{Reason: DeniedKey, Context: Toplevel, Object: "k", Username: "u", Millis: 1000}
	l.Add(e)
	e.Millis = 2000
	l.Add(e)
	if len(l.Entries) != 1 || l.Entries[0].Count != 2 || l.Entries[0].Millis != 2000 {
		t.Fatalf("similar entries not grouped: %+v", l.Entries[0])
	}
	e.Millis += groupWindow + 1
	l.Add(e)
	if len(l.Entries) != 2 {
		t.Fatalf("entries a minute apart grouped")
	}
	for _, obj := range []string{"a", "b", "c"} {
		l.Add(Entry{Reason: DeniedCommand, Object: obj, Username: "u"})
	}
	if len(l.Entries) != 3 || l.Entries[0].Object != "c" {
		t.Fatalf("log not trimmed to its newest: %d entries", len(l.Entries))
	}
}

func TestLoadFile(t *testing.T) {
	a := testACL(t)
	a.SetUser("old", []string{"on"})
	keep := a.Default
	bad := "user a on +get\nuser b +nosuch\nuser c %X~k +nosuch2\n\nnotuser x\nuser a off\nuser (x\n"
	_, err := a.LoadFile("f.acl", bad)
	want := "f.acl:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
		"f.acl:3: Syntax error. f.acl:3: Error in applying operation '+nosuch2': Unknown command or category name in ACL. " +
		"f.acl:5 should start with user keyword followed by the username. WARNING: Duplicate user 'a' found on line 6. " +
		"WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != want {
		t.Errorf("bad file:\n%v\nwant\n%s", err, want)
	}
	if a.User("old") == nil || a.User("a") != nil {
		t.Errorf("a failed load changed the users: %v", a.Names())
	}
	gone, err := a.LoadFile("f.acl", "user a on nopass +get\r\n")
	if err != nil || len(gone) != 1 || gone[0].Name != "old" {
		t.Fatalf("good file: %v, gone %v", err, gone)
	}
	if a.Default != keep || a.User("default") != keep || a.Describe(keep) != "on nopass ~* &* +@all" {
		t.Errorf("default user not kept in place: %q", a.Describe(a.User("default")))
	}
	if strings.Join(a.Lines(), "\n") != "user a on nopass resetchannels -@all +get\nuser default on nopass ~* &* +@all" {
		t.Errorf("Lines: %q", a.Lines())
	}
}

func TestCheckUserLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		bad  int
		err  string
	}{
		{"user a on >x +nosuch +@nosuch", 0, ""},
		{"user a on %X~k", 1, "Syntax error"},
		{"user a #zz", 0, "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
	} {
		bad, err := CheckUserLine(strings.Fields(tc.line))
		if (err == nil) != (tc.err == "") || (err != nil && (err.Error() != tc.err || bad != tc.bad)) {
			t.Errorf("%q: %d %v", tc.line, bad, err)
		}
	}
}
