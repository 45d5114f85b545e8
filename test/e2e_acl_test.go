package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// aclDiffCmds are ACL commands whose replies Redis 7.0.15 and Tandem must
// give byte for byte: rules and their errors, the normalised rule strings
// of ACL LIST and GETUSER (chosen so that no two single commands follow
// one category, where Redis's order is its hash table's), DRYRUN's
// verdicts on keys by read and write access, channels and selectors.
var aclDiffCmds = [][]string{
	{"ACL", "SETUSER", "alice", "on", ">p1", "~app:*", "+get", "%R~ro:*", "%W~wo:*", "%RW~rw:*"},
	{"ACL", "LIST"},
	{"ACL", "GETUSER", "alice"},
	{"ACL", "SETUSER", "bob", "reset", "+@all", "-@string", "+incr"},
	{"ACL", "GETUSER", "bob"},
	{"ACL", "SETUSER", "carol", "reset", "+@all", "-memory|doctor"},
	{"ACL", "GETUSER", "carol"},
	{"ACL", "SETUSER", "carol", "-memory"},
	{"ACL", "GETUSER", "carol"},
	{"ACL", "SETUSER", "dan", "on", "nopass", "(~x* +get)", "(%R~y*", "+@read)", "&chan"},
	{"ACL", "LIST"},
	{"ACL", "GETUSER", "dan"},
	{"ACL", "SETUSER", "e", "-@all", "+select|0"},
	{"ACL", "GETUSER", "e"},
	{"ACL", "SETUSER", "e", "+config|get|x"},
	{"ACL", "SETUSER", "e", "-select|0"},
	{"ACL", "SETUSER", "e", "+nosuch"},
	{"ACL", "SETUSER", "e", "+@nosuch"},
	{"ACL", "SETUSER", "e", "~*", "~x"},
	{"ACL", "SETUSER", "e", "allchannels", "&x"},
	{"ACL", "SETUSER", "e", "#abc"},
	{"ACL", "SETUSER", "e", "<nope"},
	{"ACL", "SETUSER", "e", "(~x"},
	{"ACL", "SETUSER", "e", "%X~x"},
	{"ACL", "SETUSER", "e", "+debug|"},
	{"ACL", "SETUSER", "e", "~a b"},
	{"ACL", "SETUSER", "a b"},
	{"ACL", "SETUSER", "g", ">x", ">y", "<x", "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "!5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"},
	{"ACL", "GETUSER", "g"},
	{"ACL", "SETUSER", "l", "reset", "on", "skip-sanitize-payload"},
	{"ACL", "SETUSER", "f", "on", "nopass", "+@all", "~*", "-config|set"},
	{"ACL", "GETUSER", "f"},
	{"ACL", "GETUSER", "l"},
	{"ACL", "DRYRUN", "alice", "get", "app:1"},
	{"ACL", "DRYRUN", "alice", "get", "x"},
	{"ACL", "DRYRUN", "alice", "del", "x"},
	{"ACL", "DRYRUN", "alice", "set", "ro:1", "v"},
	{"ACL", "DRYRUN", "alice", "get", "wo:1"},
	{"ACL", "DRYRUN", "alice", "set", "wo:1", "x"},
	{"ACL", "DRYRUN", "dan", "publish", "chan", "x"},
	{"ACL", "DRYRUN", "dan", "publish", "other", "x"},
	{"ACL", "DRYRUN", "dan", "get", "y1"},
	{"ACL", "DRYRUN", "dan", "set", "y1", "v"},
	{"ACL", "DRYRUN", "dan", "subscribe", "chan", "other"},
	{"ACL", "DRYRUN", "dan", "psubscribe", "ch*"},
	{"ACL", "DRYRUN", "dan", "mset", "x1", "1", "y1", "2"},
	{"ACL", "DRYRUN", "nobody", "get", "x"},
	{"ACL", "DRYRUN", "alice", "nosuch", "x"},
	{"ACL", "DRYRUN", "alice", "get"},
	{"ACL", "DRYRUN", "alice", "config"},
	{"ACL", "DRYRUN", "alice", "config", "nosuch"},
	{"ACL", "DRYRUN", "alice", "config", "get"},
	{"ACL", "DRYRUN", "alice", "config", "get", "x"},
	{"ACL", "DRYRUN", "f", "config", "set", "x", "y"},
	{"ACL", "DRYRUN", "f", "config", "get", "x"},
	{"ACL", "SETUSER", "m", "on", "nopass", "-@all", "+lmove", "%R~src*", "%W~dst*"},
	{"ACL", "DRYRUN", "m", "lmove", "src1", "dst1", "left", "right"},
	{"ACL", "DRYRUN", "m", "lmove", "dst1", "src1", "left", "right"},
	{"ACL", "USERS"},
	{"ACL", "DELUSER", "default"},
	{"ACL", "DELUSER", "m", "nosuch"},
	{"ACL", "CAT", "nosuch"},
	{"ACL", "CAT", "x", "y"},
	{"ACL", "CAT"},
	{"ACL", "GENPASS", "0"},
	{"ACL", "GENPASS", "abc"},
	{"ACL", "LOG", "RESET"},
	{"ACL", "SAVE"},
	{"ACL", "LOAD"},
	{"ACL", "NOSUCH"},
	{"ACL", "HELP"},
	{"ACL", "WHOAMI"},
	{"AUTH", "x"},
}

func TestACLRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	red := dialRaw(t, startRedis(t).Addr())
	tan := dialRaw(t, startTandem(t).Addr())
	for _, cmd := range aclDiffCmds {
		want, got := red.do(cmd...), tan.do(cmd...)
		if got != want {
			t.Errorf("%q:\n got %q\nwant %q", cmd, got, want)
		}
	}
	// ACL CAT <category> lists the same commands (Redis's order is its
	// hash table's).
	for _, cat := range []string{"keyspace", "read", "write", "pubsub", "admin", "dangerous", "scripting", "connection"} {
		want, got := sorted(splitBulks(red.do("ACL", "CAT", cat))), sorted(splitBulks(tan.do("ACL", "CAT", cat)))
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("ACL CAT %s:\n got %q\nwant %q", cat, got, want)
		}
	}
}

// splitBulks lists the bulk strings of a flat array reply.
func splitBulks(reply string) []string {
	lines := strings.Split(reply, "\r\n")
	var out []string
	for i := 1; i+1 < len(lines); i += 2 {
		out = append(out, lines[i+1])
	}
	return out
}

// The permission check refuses what the user may not run, touch or
// publish to, with Redis's NOPERM texts; inside MULTI the refusal dooms
// the transaction; at EXEC the rules are checked again; a script's calls
// run with its caller's permissions. Every refusal is in ACL LOG.
func TestACLPermissionChecks(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{"redis", "tandem"} {
		t.Run(bin, func(t *testing.T) {
			var p *testutil.Proc
			if bin == "redis" {
				p = startRedis(t)
			} else {
				p = startTandem(t)
			}
			adm := dialRaw(t, p.Addr())
			adm.do("ACL", "SETUSER", "app", "on", ">pw", "~app:*", "%R~ro:*", "&news", "+@read", "+@write", "+multi", "+exec", "+publish", "+eval", "+subscribe")
			c := dialRaw(t, p.Addr())
			for _, tc := range [][2]string{
				{"AUTH app nope", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
				{"AUTH nosuch pw", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
				{"HELLO 2 AUTH app nope", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
				{"AUTH app pw", "+OK\r\n"},
				{"ACL WHOAMI", "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n"},
				{"SET app:1 v", "+OK\r\n"},
				{"SET other v", "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
				{"GET ro:1", "$-1\r\n"},
				{"SET ro:1 v", "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
				{"INFO", "-NOPERM this user has no permissions to run the 'info' command\r\n"},
				{"PUBLISH news hi", ":0\r\n"},
				{"PUBLISH sport hi", "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"},
				{"MULTI", "+OK\r\n"},
				{"SET other v", "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
				{"EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"},
				{"EVAL \"return redis.call('get','other')\" 0", "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: e5ef1d6c0d64a6ac6a0ba18ffbf69c9fc5a9c5c2, on @user_script:1.\r\n"},
				{"EVAL \"return redis.call('info')\" 0", "-ERR The user executing the script can't run this command or subcommand script: 48a8a6ec9a6d4d05b3c1b0e6f40f1ea7c8d9b7ae, on @user_script:1.\r\n"},
				{"MULTI", "+OK\r\n"},
				{"SET app:2 v", "+QUEUED\r\n"},
			} {
				if got := c.do(splitCmd(tc[0])...); !aclReplyMatches(got, tc[1]) {
					t.Errorf("%s: %q, want %q", tc[0], got, tc[1])
				}
			}
			// The rules change between queueing and EXEC.
			adm.do("ACL", "SETUSER", "app", "resetkeys", "~other:*")
			if got, want := c.do("EXEC"), "*1\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to touch the specified keys\r\n"; got != want {
				t.Errorf("EXEC after the rules changed: %q, want %q", got, want)
			}
			log := adm.do("ACL", "LOG", "50")
			for _, want := range []string{
				"$6\r\nreason\r\n$3\r\nkey\r\n$7\r\ncontext\r\n$5\r\nmulti\r\n$6\r\nobject\r\n$5\r\napp:2\r\n$8\r\nusername\r\n$3\r\napp\r\n",
				"$6\r\nreason\r\n$3\r\nkey\r\n$7\r\ncontext\r\n$3\r\nlua\r\n$6\r\nobject\r\n$5\r\nother\r\n",
				"$6\r\nreason\r\n$7\r\ncommand\r\n$7\r\ncontext\r\n$3\r\nlua\r\n$6\r\nobject\r\n$4\r\ninfo\r\n",
				"$6\r\nreason\r\n$7\r\nchannel\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$5\r\nsport\r\n",
				"$6\r\nreason\r\n$7\r\ncommand\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$10\r\nacl|whoami\r\n",
				"$5\r\ncount\r\n:1\r\n$6\r\nreason\r\n$4\r\nauth\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$4\r\nAUTH\r\n$8\r\nusername\r\n$3\r\napp\r\n",
				"$6\r\nreason\r\n$4\r\nauth\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$5\r\nHELLO\r\n$8\r\nusername\r\n$3\r\napp\r\n",
				"user=app",
			} {
				if !strings.Contains(log, want) {
					t.Errorf("ACL LOG lacks %q:\n%s", want, log)
				}
			}
			if !strings.HasPrefix(log, "*12\r\n*14\r\n$5\r\ncount\r\n") {
				t.Errorf("ACL LOG shape: %.80q", log)
			}
		})
	}
}

// aclReplyMatches compares replies, ignoring the script's sha (EVAL
// errors name it).
func aclReplyMatches(got, want string) bool {
	re := regexp.MustCompile(`script: [0-9a-f]{40}`)
	return re.ReplaceAllString(got, "script: X") == re.ReplaceAllString(want, "script: X")
}

// Deleting a user closes its connections (the caller's own after the
// reply); taking channels away closes the subscribers that use them.
func TestACLDeletedUserAndRevokedChannels(t *testing.T) {
	t.Parallel()
	p := startTandem(t)
	adm := dialRaw(t, p.Addr())
	adm.do("ACL", "SETUSER", "u1", "on", ">pw", "+@all", "~*", "resetchannels", "&a", "&b*")
	other := dialRaw(t, p.Addr())
	other.do("AUTH", "u1", "pw")
	self := dialRaw(t, p.Addr())
	self.do("AUTH", "u1", "pw")
	sub := dialRaw(t, p.Addr())
	sub.do("AUTH", "u1", "pw")
	sub.do("SUBSCRIBE", "a")
	psub := dialRaw(t, p.Addr())
	psub.do("AUTH", "u1", "pw")
	psub.do("PSUBSCRIBE", "b*")

	// Keeping the patterns keeps the subscribers.
	adm.do("ACL", "SETUSER", "u1", "&c")
	if got := adm.do("CLIENT", "LIST"); strings.Count(got, "user=u1") != 4 {
		t.Fatalf("subscribers closed though their channels stay:\n%s", got)
	}
	adm.do("ACL", "SETUSER", "u1", "resetchannels", "&a")
	psub.expectClosed(5 * time.Second)
	if got := adm.do("CLIENT", "LIST"); strings.Count(got, "user=u1") != 3 {
		t.Fatalf("after revoking b*:\n%s", got)
	}
	if got := self.do("ACL", "DELUSER", "u1"); got != ":1\r\n" {
		t.Fatalf("ACL DELUSER: %q", got)
	}
	self.expectClosed(5 * time.Second)
	other.expectClosed(5 * time.Second)
	sub.expectClosed(5 * time.Second)
	if got := adm.do("CLIENT", "LIST"); strings.Contains(got, "user=u1") {
		t.Fatalf("clients of the deleted user remain:\n%s", got)
	}
}

// requirepass is the default user's password, CONFIG SET included; with
// the default user off, new connections must authenticate.
func TestACLDefaultUser(t *testing.T) {
	t.Parallel()
	p := startTandem(t, "--requirepass", "secret")
	c := dialRaw(t, p.Addr())
	for _, tc := range [][2]string{
		{"PING", "-NOAUTH Authentication required.\r\n"},
		{"AUTH wrong", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH default secret", "+OK\r\n"},
		{"ACL WHOAMI", "$7\r\ndefault\r\n"},
		{"CONFIG SET requirepass other", "+OK\r\n"},
		{"AUTH secret", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"AUTH other", "+OK\r\n"},
		{"ACL SETUSER default off", "+OK\r\n"},
		{"ACL SETUSER admin on nopass +@all ~*", "+OK\r\n"},
	} {
		if got := c.do(splitCmd(tc[0])...); got != tc[1] {
			t.Errorf("%s: %q, want %q", tc[0], got, tc[1])
		}
	}
	n := dialRaw(t, p.Addr())
	for _, tc := range [][2]string{
		{"PING", "-NOAUTH Authentication required.\r\n"},
		{"AUTH other", "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{"HELLO 2 AUTH admin any", "*14\r\n"},
		{"ACL WHOAMI", "$5\r\nadmin\r\n"},
	} {
		if got := n.do(splitCmd(tc[0])...); !strings.HasPrefix(got, tc[1]) {
			t.Errorf("%s: %q, want %q", tc[0], got, tc[1])
		}
	}
	if got := n.do("CLIENT", "INFO"); !strings.Contains(got, " user=admin ") {
		t.Errorf("CLIENT INFO: %q", got)
	}
}

// user lines of redis.conf define the users; CONFIG REWRITE writes them
// back; an ACL file is loaded at start, saved and reloaded atomically; a
// bad line stops start-up (or ACL LOAD) naming it; both together are
// refused, as in Redis.
func TestACLConfigAndFile(t *testing.T) {
	t.Parallel()
	bin := testutil.Binary(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "users.conf")
	os.WriteFile(conf, []byte("user alice on >pw ~a:* +get\nuser default on nopass ~* &* +@all -flushall\n"), 0o644)
	p := startTandemWithConfig(t, conf)
	c := dialRaw(t, p.Addr())
	if got, want := c.do("ACL", "LIST"), "*2\r\n$109\r\nuser alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a:* resetchannels -@all +get\r\n$61\r\nuser default on nopass sanitize-payload ~* &* +@all -flushall\r\n"; got != want {
		t.Errorf("ACL LIST from user lines: %q, want %q", got, want)
	}
	c.do("ACL", "SETUSER", "bob", "on", "nopass", "+ping")
	c.do("ACL", "DELUSER", "alice")
	if got := c.do("CONFIG", "REWRITE"); got != "+OK\r\n" {
		t.Fatalf("CONFIG REWRITE: %q", got)
	}
	b, _ := os.ReadFile(conf)
	if !strings.Contains(string(b), "user bob on nopass resetchannels -@all +ping\n") ||
		!strings.Contains(string(b), "user default on nopass sanitize-payload ~* &* +@all -flushall\n") || strings.Contains(string(b), "alice") {
		t.Errorf("rewritten config:\n%s", b)
	}

	// An ACL file.
	aclf := filepath.Join(dir, "users.acl")
	os.WriteFile(aclf, []byte("user carol on >pw ~c:* +@read\n\nuser default on nopass ~* &* +@all\n"), 0o644)
	p2 := startTandem(t, "--aclfile", aclf)
	c2 := dialRaw(t, p2.Addr())
	if got := c2.do("ACL", "USERS"); got != "*2\r\n$5\r\ncarol\r\n$7\r\ndefault\r\n" {
		t.Errorf("ACL USERS from the file: %q", got)
	}
	carol := dialRaw(t, p2.Addr())
	carol.do("AUTH", "carol", "pw")
	c2.do("ACL", "SETUSER", "dave", "on", "nopass", "+get")
	if got := c2.do("ACL", "SAVE"); got != "+OK\r\n" {
		t.Fatalf("ACL SAVE: %q", got)
	}
	b, _ = os.ReadFile(aclf)
	if !strings.Contains(string(b), "user dave on nopass resetchannels -@all +get\n") {
		t.Errorf("saved ACL file:\n%s", b)
	}
	// A bad file changes nothing, and says where it is wrong.
	os.WriteFile(aclf, []byte("user erin on +get\nuser frank on +nosuch\nuser gina bad\nfoo\n"), 0o644)
	want := "-ERR " + aclf + ":2: Error in applying operation '+nosuch': Unknown command or category name in ACL. " + aclf + ":3: Syntax error. " + aclf + ":4 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n"
	if got := c2.do("ACL", "LOAD"); got != want {
		t.Errorf("ACL LOAD of a bad file: %q, want %q", got, want)
	}
	if got := c2.do("ACL", "USERS"); got != "*3\r\n$5\r\ncarol\r\n$4\r\ndave\r\n$7\r\ndefault\r\n" {
		t.Errorf("users after a failed load: %q", got)
	}
	// A good file replaces the users; carol's connection goes with her.
	os.WriteFile(aclf, []byte("user erin on nopass +get\n"), 0o644)
	if got := c2.do("ACL", "LOAD"); got != "+OK\r\n" {
		t.Fatalf("ACL LOAD: %q", got)
	}
	carol.expectClosed(5 * time.Second)
	if got := c2.do("ACL", "LIST"); got != "*2\r\n$34\r\nuser default on nopass ~* &* +@all\r\n$44\r\nuser erin on nopass resetchannels -@all +get\r\n" {
		t.Errorf("ACL LIST after LOAD: %q", got)
	}

	// Start-up stops on a bad file, naming the line, and on both.
	os.WriteFile(aclf, []byte("user ok on\nuser bad on %X~k\n"), 0o644)
	out, code := runToExit(t, bin, "--port", "0", "--aclfile", aclf)
	if code == 0 || !strings.Contains(out, "Aborting Redis startup because of ACL errors: "+aclf+":2: Syntax error.") {
		t.Errorf("bad ACL file: exit %d, output:\n%s", code, out)
	}
	os.WriteFile(conf, []byte("user alice on >pw\n"), 0o644)
	out, code = runToExit(t, bin, conf, "--port", "0", "--aclfile", aclf)
	if code == 0 || !strings.Contains(out, "please define either an ACL file or declare users directly in your redis.conf, but not both") {
		t.Errorf("users and an ACL file: exit %d, output:\n%s", code, out)
	}
	os.WriteFile(conf, []byte("user alice on >pw +nosuch\n"), 0o644)
	out, code = runToExit(t, bin, conf, "--port", "0")
	if code == 0 || !strings.Contains(out, "Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL") {
		t.Errorf("unknown command in a user line: exit %d, output:\n%s", code, out)
	}
	os.WriteFile(conf, []byte("user alice on >pw\nuser alice off\n"), 0o644)
	out, code = runToExit(t, bin, conf, "--port", "0")
	if code == 0 || !strings.Contains(out, "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files") {
		t.Errorf("duplicate user line: exit %d, output:\n%s", code, out)
	}
}

// CLIENT KILL USER closes the connections of an existing user and refuses
// an unknown one, as Redis.
func TestACLClientKillUser(t *testing.T) {
	t.Parallel()
	p := startTandem(t)
	adm := dialRaw(t, p.Addr())
	adm.do("ACL", "SETUSER", "k", "on", "nopass", "+@all")
	u := dialRaw(t, p.Addr())
	u.do("AUTH", "k", "x")
	if got := adm.do("CLIENT", "KILL", "USER", "nosuch"); got != "-ERR No such user 'nosuch'\r\n" {
		t.Errorf("CLIENT KILL USER nosuch: %q", got)
	}
	if got := adm.do("CLIENT", "KILL", "USER", "k"); got != ":1\r\n" {
		t.Errorf("CLIENT KILL USER k: %q", got)
	}
	u.expectClosed(5 * time.Second)
}
