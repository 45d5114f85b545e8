package test

import (
	"slices"
	"strings"
)

// The command fuzzer's tables (TestCommandFuzz in e2e_cmdfuzz_test.go):
// what it knows to differ from Redis, what it does not send, and how it
// compares each command's replies.

// knownFuzzDiffs are differences already recorded in the findings
// (fuzz-findings.md in the notes, F<n>): the command ("*": any)
// and a test on its arguments and on Redis's and Tandem's replies (as
// rnode.String prints them). Remove an entry when its fix lands; a new
// difference always fails the test. Inside EXEC, an element that differs
// is known when its queued command's difference is.
var knownFuzzDiffs = []struct {
	cmd, finding string
	match        func(args []string, redis, tandem string) bool
}{
	// Issue 15 (README, Scripting): the wording of Lua's own syntax and
	// runtime errors is gopher-lua's, not Lua 5.1's; the error's frame
	// (Redis's text around it) is the same.
	{"eval", "issue 15", luaWording}, {"eval_ro", "issue 15", luaWording},
	{"evalsha", "issue 15", luaWording}, {"evalsha_ro", "issue 15", luaWording},
	{"script|load", "issue 15", luaWording},
	// SORT of a set or sorted set BY a pattern: elements whose weights tie
	// (or are missing) come in the input's order, which for a set is
	// Redis's hash-table order (README, SORT); the same elements, in
	// another order.
	{"sort", "issue 17", sortTies}, {"sort_ro", "issue 17", sortTies},
}

// sortTies matches two flat array replies holding the same elements, for a
// SORT with BY.
func sortTies(args []string, redis, tandem string) bool {
	by, limit := false, false
	for _, a := range args {
		by = by || strings.EqualFold(a, "by")
		limit = limit || strings.EqualFold(a, "limit")
	}
	elems := func(r string) []string {
		i := strings.IndexByte(r, '[')
		if !strings.HasPrefix(r, "*") || i < 0 || !strings.HasSuffix(r, "]") {
			return nil
		}
		e := strings.Fields(r[i+1 : len(r)-1])
		slices.Sort(e)
		return e
	}
	re, te := elems(redis), elems(tandem)
	if by && limit && re != nil && te != nil {
		return len(re) == len(te) // LIMIT cuts the tied run at another place
	}
	return by && re != nil && slices.Equal(re, te)
}

// luaWording matches a Lua syntax or runtime error both servers frame
// alike, whatever Lua's own words inside.
func luaWording(_ []string, redis, tandem string) bool {
	for _, p := range []string{"-ERR Error compiling script (new function): user_script:", "-ERR user_script:"} {
		if strings.Contains(redis, p) && strings.Contains(tandem, p) {
			return true
		}
	}
	return false
}

// has matches when Redis's reply contains r and Tandem's contains t.
func has(r, t string) func([]string, string, string) bool {
	return func(_ []string, redis, tandem string) bool {
		return strings.Contains(redis, r) && strings.Contains(tandem, t)
	}
}

// knownFuzzSkips are commands known to break Tandem, recorded in the
// issue and being fixed elsewhere: the fuzzer does not send them until the
// fix lands (then remove the entry). Each returns true for the argument
// lists to skip.
var knownFuzzSkips = []struct {
	finding string
	skip    func(name string, args []string) bool
}{}

// fuzzExcluded are commands the fuzzer never sends: they stop the server,
// change its role, take over or close the connection, block without a
// timeout of ours, or act outside the test's directory.
var fuzzExcluded = map[string]bool{
	"shutdown": true, "monitor": true, "subscribe": true, "psubscribe": true, "ssubscribe": true,
	"unsubscribe": true, "punsubscribe": true, "sunsubscribe": true, "replicaof": true, "slaveof": true,
	"sync": true, "psync": true, "replconf": true, "failover": true, "quit": true, "debug": true,
	"migrate": true, "client|kill": true, "client|pause": true, "client|unpause": true,
	"client|reply": true, "client|tracking": true, "client|caching": true, "acl|setuser": true,
	"acl|deluser": true, "acl|load": true, "acl|save": true, "bgsave": true, "bgrewriteaof": true,
	"pfdebug": true, "pfselftest": true, "config|rewrite": true, "config|resetstat": false,
	"cluster": true, "readonly": true, "readwrite": true, "asking": true,
	// The next EVAL would be a Lua debugging session, which takes over
	// the connection (and closes it) on both servers.
	"script|debug": true,
}

// fuzzClass says how a command's replies are compared.
func fuzzClass(name string) normFn {
	switch name {
	case "info", "time", "lastsave", "hello", "dump", "scan", "sscan", "hscan", "zscan", "lolwut",
		"client|list", "client|info", "client|id", "client|help", "config|get", "config|help", "object|help",
		"memory|usage", "memory|stats", "memory|doctor", "memory|malloc-stats", "memory|help",
		"latency|doctor", "latency|latest", "latency|history", "latency|graph", "latency|help",
		"latency|histogram", "latency|reset", "slowlog|get", "slowlog|len", "slowlog|help", "command", "command|docs",
		"command|info", "command|count", "command|list", "command|getkeys", "command|getkeysandflags",
		"command|help", "acl|help", "acl|genpass", "acl|list", "acl|users", "acl|getuser", "acl|cat", "acl|log",
		"pubsub|help", "object|idletime", "object|refcount", "role",
		// Containers drawn with random words may hit a subcommand above.
		"client", "config", "memory", "latency", "slowlog", "object", "acl":
		return kindOnly
	case "srandmember", "hrandfield", "zrandmember", "randomkey", "spop":
		return shape
	case "smembers", "sunion", "sinter", "sdiff", "hkeys", "hvals", "keys":
		return sortedFlat
	case "hgetall":
		return sortedPairs
	case "ttl", "pttl", "expiretime", "pexpiretime":
		return positiveTTL
	}
	return exact
}

// kindOnly compares only the reply's type, and an error's text.
func kindOnly(n *rnode) *rnode {
	if n == nil || n.kind == '-' || n.kind == '!' {
		return n
	}
	return &rnode{kind: n.kind}
}
