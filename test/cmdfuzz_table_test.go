package test

import (
	"slices"
	"strconv"
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
	{"select", "F2", has("value is out of range, value must between", "DB index is out of range")},
	{"move", "F3", has("value is out of range, value must between", "value is not an integer or out of range")},
	{"copy", "F4", has("value is out of range, value must between", "DB index is out of range")},
	{"swapdb", "F5", has("-ERR invalid ", "-ERR ")},
	{"getex", "F6", has(`$"-1"`, "-ERR ")},
	{"getex", "F6", has("_", "-ERR ")}, // RESP3 null
	{"getex", "F7", has("-WRONGTYPE", "-ERR ")},
	{"getex", "F8", has("-ERR syntax error", "-ERR ")},
	{"set", "F9", has("-ERR syntax error", "-ERR ")},
	{"expire", "F10", has("-ERR Unsupported option", "-ERR value is not an integer or out of range")},
	{"pexpire", "F10", has("-ERR Unsupported option", "-ERR value is not an integer or out of range")},
	{"expireat", "F10", has("-ERR Unsupported option", "-ERR value is not an integer or out of range")},
	{"pexpireat", "F10", has("-ERR Unsupported option", "-ERR value is not an integer or out of range")},
	{"bitcount", "F11", has(":0", "-ERR ")},
	{"bitcount", "F12", has("-WRONGTYPE", "-ERR syntax error")},
	{"scan", "F13", has("", "-ERR invalid cursor")},
	{"sscan", "F13", has("", "-ERR invalid cursor")},
	{"hscan", "F13", has("", "-ERR invalid cursor")},
	{"zscan", "F13", has("", "-ERR invalid cursor")},
	{"client|getredir", "F14", has(":-1", "wrong number of arguments")},
	{"client|trackinginfo", "F14", has("flags", "wrong number of arguments")},
	{"*", "F15/F27", func(args []string, redis, tandem string) bool {
		return tandem == "+QUEUED" && (strings.Contains(redis, "|") && strings.Contains(redis, "-ERR wrong number of arguments for '") ||
			strings.Contains(redis, "-ERR unknown subcommand '"))
	}},
	{"exec", "F15/F27", has("-EXECABORT Transaction discarded because of previous errors.", "*")},
	{"slowlog|get", "F16", has("unknown subcommand or wrong number of arguments for", "wrong number of arguments for '")},
	{"pubsub|channels", "F16", has("unknown subcommand or wrong number of arguments for", "wrong number of arguments for '")},
	{"pubsub|shardchannels", "F16", has("unknown subcommand or wrong number of arguments for", "wrong number of arguments for '")},
	{"client|unblock", "F16", has("unknown subcommand or wrong number of arguments for", "wrong number of arguments for '")},
	{"object|help", "F17", has("wrong number of arguments", "unknown subcommand 'HELP'")},
	{"*", "F18/F20/F28", func(args []string, redis, tandem string) bool {
		// A NUL byte in an argument: Redis's C strings stop there.
		return slices.ContainsFunc(args, func(a string) bool { return strings.Contains(a, "\x00") }) &&
			strings.HasPrefix(tandem, "-ERR")
	}},
	{"config|set", "F19", has("-ERR syntax error", "wrong number of arguments for 'config|set'")},
	{"memory|usage", "F21", has("-ERR", "")},
	{"client|list", "F22", func(_ []string, redis, tandem string) bool {
		return !strings.HasPrefix(redis, "-") && strings.Contains(tandem, "Invalid client ID")
	}},
	{"bitpos", "F29", has(":", "-ERR ")},
	{"bitpos", "F29", has("-WRONGTYPE", "-ERR syntax error")},
	{"bitpos", "F29", has("-ERR syntax error", "-ERR value is not an integer or out of range")},
	{"client|getname", "F31", func(_ []string, redis, tandem string) bool {
		return redis[0] == '$' && tandem[0] == '$' // HELLO … SETNAME x <bad option> named only Redis's
	}},
	{"zrangebylex", "F30", has("", "")},
	{"zrevrangebylex", "F30", has("", "")},
	{"zlexcount", "F30", has("", "")},
	{"zremrangebylex", "F30", has("", "")},
	{"zrange", "F30", func(args []string, _, _ string) bool {
		return slices.ContainsFunc(args, func(a string) bool { return strings.EqualFold(a, "BYLEX") })
	}},
	{"zrangestore", "F30", func(args []string, _, _ string) bool {
		return slices.ContainsFunc(args, func(a string) bool { return strings.EqualFold(a, "BYLEX") })
	}},
	{"client|unblock", "F23", has("reason should be TIMEOUT or ERROR", "value is not an integer")},
	{"command|list", "F24", has("-ERR syntax error", "*")},
	{"exec", "F25", has("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec'", "wrong number of arguments for 'exec'")},
	{"object|encoding", "F26", has("embstr", "int")},
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
}{
	{"issue 14 finding 1: SETRANGE offset+len overflows, the connection is closed", func(name string, args []string) bool {
		if name != "setrange" || len(args) < 3 {
			return false
		}
		v, err := strconv.ParseInt(args[2], 10, 64)
		return err == nil && v > 1<<40
	}},
}

// fuzzExcluded are commands the fuzzer never sends: they stop the server,
// change its role, take over or close the connection, block without a
// timeout of ours, or act outside the test's directory.
var fuzzExcluded = map[string]bool{
	"shutdown": true, "monitor": true, "subscribe": true, "psubscribe": true, "ssubscribe": true,
	"unsubscribe": true, "punsubscribe": true, "sunsubscribe": true, "replicaof": true, "slaveof": true,
	"sync": true, "psync": true, "replconf": true, "failover": true, "quit": true, "debug": true,
	"migrate": true, "module": true, "client|kill": true, "client|pause": true, "client|unpause": true,
	"client|reply": true, "client|tracking": true, "client|caching": true, "acl|setuser": true,
	"acl|deluser": true, "acl|load": true, "acl|save": true, "bgsave": true, "bgrewriteaof": true,
	"pfdebug": true, "pfselftest": true, "config|rewrite": true, "config|resetstat": false,
	"cluster": true, "readonly": true, "readwrite": true, "asking": true,
}

// fuzzClass says how a command's replies are compared.
func fuzzClass(name string) normFn {
	switch name {
	case "info", "time", "lastsave", "hello", "dump", "scan", "sscan", "hscan", "zscan", "lolwut",
		"client|list", "client|info", "client|id", "client|help", "config|get", "config|help", "object|help",
		"memory|usage", "memory|stats", "memory|doctor", "memory|malloc-stats", "memory|help",
		"latency|doctor", "latency|latest", "latency|history", "latency|graph", "latency|help",
		"latency|histogram", "slowlog|get", "slowlog|len", "slowlog|help", "command", "command|docs",
		"command|info", "command|count", "command|list", "command|getkeys", "command|getkeysandflags",
		"command|help", "acl|help", "acl|list", "acl|users", "acl|getuser", "acl|cat", "acl|log",
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
