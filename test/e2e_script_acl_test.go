package test

import (
	"testing"

	"github.com/tandemdb/tandem/internal/testutil"
)

// TestScriptACLChangesBetweenRuns: a script asks whether its user may run
// everything once per run (not per redis.call), so a change of the user's
// rules between two runs applies to the second, both ways, as in Redis.
func TestScriptACLChangesBetweenRuns(t *testing.T) {
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
			adm.do("ACL", "SETUSER", "s", "on", ">pw", "~*", "&*", "+@all")
			c := dialRaw(t, p.Addr())
			if got := c.do("AUTH", "s", "pw"); got != "+OK\r\n" {
				t.Fatalf("AUTH = %q", got)
			}
			// The key as an argument, not a declared key: the EVAL itself
			// passes the key rules, and its calls are checked.
			const script = "redis.call('set', ARGV[1], 'v') return redis.call('get', ARGV[1])"
			run := func(key string) string { return c.do("EVAL", script, "0", key) }
			if got := run("k"); got != "$1\r\nv\r\n" {
				t.Fatalf("unrestricted: %q", got)
			}
			adm.do("ACL", "SETUSER", "s", "-get")
			const noCmd = "-ERR The user executing the script can't run this command or subcommand script: X, on @user_script:1.\r\n"
			if got := run("k"); !aclReplyMatches(got, noCmd) {
				t.Errorf("after -get: %q, want %q", got, noCmd)
			}
			adm.do("ACL", "SETUSER", "s", "+get", "resetkeys", "~a:*")
			if got := run("a:1"); got != "$1\r\nv\r\n" {
				t.Errorf("after ~a:*, key a:1: %q", got)
			}
			const noKey = "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: X, on @user_script:1.\r\n"
			if got := run("k"); !aclReplyMatches(got, noKey) {
				t.Errorf("after ~a:*, key k: %q, want %q", got, noKey)
			}
			adm.do("ACL", "SETUSER", "s", "allkeys")
			if got := run("k"); got != "$1\r\nv\r\n" {
				t.Errorf("unrestricted again: %q", got)
			}
		})
	}
}
