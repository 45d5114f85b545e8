package command

import (
	"slices"
	"strings"
)

// subcommandArity is Redis 7.0.15's arity of every subcommand of a
// container command (COMMAND INFO's subcommand entries: > 0 exact, < 0 at
// least), so that a subcommand queued in MULTI is checked as Redis checks
// it at queue time. Outside a transaction each handler answers these
// errors itself.
var subcommandArity = map[string]int{
	"acl|cat": -2, "acl|deluser": -3, "acl|dryrun": -4, "acl|genpass": -2, "acl|getuser": 3, "acl|help": 2, "acl|list": 2, "acl|load": 2, "acl|log": -2, "acl|save": 2, "acl|setuser": -3, "acl|users": 2, "acl|whoami": 2,
	"client|caching": 3, "client|getname": 2, "client|getredir": 2, "client|help": 2, "client|id": 2, "client|info": 2, "client|kill": -3, "client|list": -2, "client|no-evict": 3, "client|pause": -3, "client|reply": 3, "client|setname": 3, "client|tracking": -3, "client|trackinginfo": 2, "client|unblock": -3, "client|unpause": 2,
	"cluster|addslots": -3, "cluster|addslotsrange": -4, "cluster|bumpepoch": 2, "cluster|count-failure-reports": 3, "cluster|countkeysinslot": 3, "cluster|delslots": -3, "cluster|delslotsrange": -4, "cluster|failover": -2, "cluster|flushslots": 2, "cluster|forget": 3, "cluster|getkeysinslot": 4, "cluster|help": 2, "cluster|info": 2, "cluster|keyslot": 3, "cluster|links": 2, "cluster|meet": -4, "cluster|myid": 2, "cluster|nodes": 2, "cluster|replicas": 3, "cluster|replicate": 3, "cluster|reset": -2, "cluster|saveconfig": 2, "cluster|set-config-epoch": 3, "cluster|setslot": -4, "cluster|shards": 2, "cluster|slaves": 3, "cluster|slots": 2,
	"command|count": 2, "command|docs": -2, "command|getkeys": -4, "command|getkeysandflags": -4, "command|help": 2, "command|info": -2, "command|list": -2,
	"config|get": -3, "config|help": 2, "config|resetstat": 2, "config|rewrite": 2, "config|set": -4,
	"function|delete": 3, "function|dump": 2, "function|flush": -2, "function|help": 2, "function|kill": 2, "function|list": -2, "function|load": -3, "function|restore": -3, "function|stats": 2,
	"latency|doctor": 2, "latency|graph": 3, "latency|help": 2, "latency|histogram": -2, "latency|history": 3, "latency|latest": 2, "latency|reset": -2,
	"memory|doctor": 2, "memory|help": 2, "memory|malloc-stats": 2, "memory|purge": 2, "memory|stats": 2, "memory|usage": -3,
	"module|help": 2, "module|list": 2, "module|load": -3, "module|loadex": -3, "module|unload": 3,
	"object|encoding": 3, "object|freq": 3, "object|help": 2, "object|idletime": 3, "object|refcount": 3,
	"pubsub|channels": -2, "pubsub|help": 2, "pubsub|numpat": 2, "pubsub|numsub": -2, "pubsub|shardchannels": -2, "pubsub|shardnumsub": -2,
	"script|debug": 3, "script|exists": -3, "script|flush": -2, "script|help": 2, "script|kill": 2, "script|load": 3,
	"slowlog|get": -2, "slowlog|help": 2, "slowlog|len": 2, "slowlog|reset": 2,
	"xgroup|create": -5, "xgroup|createconsumer": 5, "xgroup|delconsumer": 5, "xgroup|destroy": 4, "xgroup|help": 2, "xgroup|setid": -5,
	"xinfo|consumers": 4, "xinfo|groups": 3, "xinfo|help": 2, "xinfo|stream": -3,
}

// checkSubcommand answers the error Redis gives for a container command's
// subcommand (unknown, or the wrong argument count) before it runs or is
// queued, or "" when it may go on.
func checkSubcommand(spec *Spec, args [][]byte) string {
	if len(spec.Subcommands) == 0 || len(args) < 2 {
		return ""
	}
	sub := strings.ToLower(string(args[1]))
	arity, known := subcommandArity[spec.Name+"|"+sub]
	if !known {
		for _, s := range spec.Subcommands {
			if s == sub {
				return "" // a subcommand of Tandem's own: its handler checks
			}
		}
		return ErrSubcommand(spec, args)
	}
	if (arity > 0 && len(args) != arity) || len(args) < -arity {
		return ErrArity(spec.Name + "|" + sub)
	}
	return ""
}

// KnownSubcommands lists Redis 7.0's subcommands of container (sorted),
// for containers Tandem registers without building them (FUNCTION,
// SCRIPT, XINFO, …): MULTI then refuses their unknown subcommands at queue
// time, as Redis does.
func KnownSubcommands(container string) []string {
	var subs []string
	for full := range subcommandArity {
		if c, sub, _ := strings.Cut(full, "|"); c == container {
			subs = append(subs, sub)
		}
	}
	slices.Sort(subs)
	return subs
}

// SubcommandArity is Redis 7.0.15's arity of a container's subcommand
// ("client", "pause"; > 0 exact, < 0 at least), and whether Redis has it.
// A handler uses it to answer a call Redis rejects inside its own handler
// (a variable-arity subcommand with arguments it does not accept) with
// Redis's in-handler message rather than the arity error.
func SubcommandArity(container, sub string) (int, bool) {
	a, ok := subcommandArity[container+"|"+strings.ToLower(sub)]
	return a, ok
}
