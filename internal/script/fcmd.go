package script

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/glob"
	"github.com/tandemdb/tandem/internal/rdb"
)

// functionSpecs are FCALL, FCALL_RO and FUNCTION, with Redis 7.0.15's
// flags, key specs, tips and arities.
func (s *Scripting) functionSpecs() []*command.Spec {
	keyFlags := command.NoMandatoryKeys | command.MovableKeys
	ks := func(notes string, flags ...string) []command.KeySpec {
		return []command.KeySpec{{Notes: notes, Flags: flags, BeginIndex: 2, KeyNum: true, KeyNumIdx: 0, FirstKey: 1, KeyStep: 1}}
	}
	mk := func(name string, flags command.Flag, ro bool, keys []command.KeySpec, summary string) *command.Spec {
		sp := &command.Spec{Name: name, Arity: -3, Flags: flags, KeysFn: evalKeys, Group: "scripting", Summary: summary, Since: "7.0.0",
			Categories: []string{"slow", "scripting"}, KeySpecs: keys,
			Handler: func(c *command.Ctx) { s.fcallCmd(c, ro) }}
		sp.Variant = s.fcallVariants(sp)
		return sp
	}
	return []*command.Spec{
		mk("fcall", command.NoScript|command.SkipMonitor|command.MayReplicate|command.Stale|keyFlags, false,
			ks("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", "RW", "access", "update"), "Invoke a function"),
		mk("fcall_ro", command.NoScript|command.SkipMonitor|command.Stale|command.ReadOnly|keyFlags, true,
			ks("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", "RO", "access"), "Invoke a read-only function"),
		functionSpec(s.functionCmd),
	}
}

// functionSpec is FUNCTION: like SCRIPT, a container whose subcommands'
// flags are what the server's refusals look at (a read-only replica
// refuses LOAD, DELETE, FLUSH and RESTORE; maxmemory refuses LOAD and
// RESTORE; KILL and STATS run while a script is busy).
func functionSpec(h command.Handler) *command.Spec {
	sub := func(name string, arity int, flags command.Flag, tips ...string) *command.Spec {
		cats := []string{"slow", "scripting"}
		if flags&command.Write != 0 {
			cats = append([]string{"write"}, cats...)
		}
		return &command.Spec{Name: "function|" + name, Arity: arity, Flags: flags, Group: "scripting",
			Categories: cats, Tips: tips}
	}
	ns := command.NoScript
	all := []string{"request_policy:all_shards", "response_policy:all_succeeded"}
	subs := []*command.Spec{ // in the order Redis's COMMAND INFO lists them
		sub("list", -2, ns, "nondeterministic_output_order"),
		sub("help", 2, command.Loading|command.Stale),
		sub("load", -3, ns|command.Write|command.DenyOOM, all...),
		sub("stats", 2, ns|command.AllowBusy, "nondeterministic_output", "request_policy:all_shards", "response_policy:special"),
		sub("kill", 2, ns|command.AllowBusy, "request_policy:all_shards", "response_policy:one_succeeded"),
		sub("delete", 3, ns|command.Write, all...),
		sub("flush", -2, ns|command.Write, all...),
		sub("restore", -3, ns|command.Write|command.DenyOOM, all...),
		sub("dump", 2, ns),
	}
	bySub := map[string]*command.Spec{}
	for _, sp := range subs {
		bySub[strings.TrimPrefix(sp.Name, "function|")] = sp
	}
	sp := &command.Spec{Name: "function", Arity: -2, Handler: h, Group: "scripting", Categories: []string{"slow"},
		Summary: "A container for function commands", Since: "7.0.0",
		Subcommands: []string{"delete", "dump", "flush", "help", "kill", "list", "load", "restore", "stats"}, SubSpecs: subs}
	sp.Variant = func(args [][]byte) *command.Spec {
		if len(args) >= 2 {
			if v := bySub[strings.ToLower(string(args[1]))]; v != nil {
				return v
			}
		}
		return sp
	}
	return sp
}

// fcallVariants gives FCALL the flags its function declared (Redis's
// fcallGetCommandFlags), as EVAL's variants do for a shebang.
func (s *Scripting) fcallVariants(sp *command.Spec) func(args [][]byte) *command.Spec {
	byFlags := map[command.Flag]*command.Spec{}
	return func(args [][]byte) *command.Spec {
		if len(args) < 2 {
			return sp
		}
		f := s.lookupFunction(args[1])
		if f == nil {
			return sp
		}
		return withScriptFlags(sp, f.flags, byFlags)
	}
}

// fcallCmd is FCALL and FCALL_RO (Redis's fcallCommandGeneric).
func (s *Scripting) fcallCmd(c *command.Ctx, ro bool) {
	// FCALL is shown to MONITOR before the commands its function runs.
	s.eng.Host.Monitor(c.S, c.Spec, c.Args)
	f := s.lookupFunction(c.Args[1])
	if f == nil {
		c.Error("ERR Function not found")
		return
	}
	numkeys, ok := parseInt(c.Args[2])
	if !ok {
		c.Error("ERR Bad number of keys provided")
		return
	}
	if numkeys > int64(len(c.Args)-3) {
		c.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	if numkeys < 0 {
		c.Error("ERR Number of keys can't be negative")
		return
	}
	if f.flags&flagNoWrites == 0 && ro {
		c.Error("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	keys := c.Args[3 : 3+numkeys]
	argv := c.Args[3+numkeys:]
	s.runLua(c, runTarget{vm: s.fn.vm, fn: f.fn, name: f.name, flags: f.flags, argsStayPut: f.argsStayPut}, keys, argv, ro)
}

// functionCmd is FUNCTION; the arity of each subcommand was checked by
// the dispatcher (Redis 7.0's subcommand table).
func (s *Scripting) functionCmd(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	n := len(c.Args)
	switch sub {
	case "help":
		functionHelp := []string{
			"LOAD [REPLACE] <FUNCTION CODE>",
			"    Create a new library with the given library name and code.",
			"DELETE <LIBRARY NAME>",
			"    Delete the given library.",
			"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
			"    Return general information on all the libraries:",
			"    * Library name",
			"    * The engine used to run the Library",
			"    * Library description",
			"    * Functions list",
			"    * Library code (if WITHCODE is given)",
			"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
			"STATS",
			"    Return information about the current function running:",
			"    * Function name",
			"    * Command used to run the function",
			"    * Duration in MS that the function is running",
			"    If no function is running, return nil",
			"    In addition, returns a list of available engines.",
			"KILL",
			"    Kill the current running function.",
			"FLUSH [ASYNC|SYNC]",
			"    Delete all the libraries.",
			"    When called without the optional mode argument, the behavior is determined by the",
			"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
			"    * ASYNC: Asynchronously flush the libraries.",
			"    * SYNC: Synchronously flush the libraries.",
			"DUMP",
			"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
			"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
			"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
			"    control how to handle existing libraries (default APPEND):",
			"    * FLUSH: delete all existing libraries.",
			"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
			"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
			"      libraries with the new libraries (notice that even on this option there is a chance of failure",
			"      in case of functions name collision with another library).",
		}
		c.W.Array(len(functionHelp) + 3)
		c.W.Simple(strings.ToUpper(string(c.Args[0])) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
		for _, l := range functionHelp {
			c.W.Simple(l)
		}
		c.W.Simple("HELP")
		c.W.Simple("    Prints this help.")
	case "load":
		s.functionLoad(c)
	case "delete":
		x := s.fn.ctx
		l := x.libs[string(c.Args[2])]
		if l == nil {
			c.Error("ERR Library not found")
			return
		}
		x.unlink(l)
		s.changed(c)
		c.W.OK()
	case "list":
		s.functionList(c)
	case "stats":
		s.functionStats(c)
	case "kill":
		s.kill(c, false)
	case "flush":
		if n > 3 {
			c.Error(subcommandSyntaxError(c.Args))
			return
		}
		if n == 3 {
			mode := strings.ToLower(string(c.Args[2]))
			if mode != "sync" && mode != "async" {
				c.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
				return
			}
		}
		// SYNC and ASYNC alike: the old libraries are garbage at once.
		s.FlushFunctions()
		s.changed(c)
		c.W.OK()
	case "dump":
		compress := s.opts.RDBCompression == nil || s.opts.RDBCompression()
		c.W.Bulk(rdb.AppendFunctionsDump(nil, s.FunctionCodes(), compress))
	case "restore":
		s.functionRestore(c)
	default:
		c.Error(command.ErrSubcommand(c.Spec, c.Args))
	}
}

// changed counts a change of the libraries as a change of the dataset
// (save points), and propagates the command as it is, as Redis does.
func (s *Scripting) changed(c *command.Ctx) {
	c.E.KS.Dirty++
	c.ForcePropagate()
}

// functionLoad is FUNCTION LOAD [REPLACE] code.
func (s *Scripting) functionLoad(c *command.Ctx) {
	replace := false
	i := 2
	for ; i < len(c.Args)-1; i++ {
		if !strings.EqualFold(string(c.Args[i]), "replace") {
			c.Error("ERR Unknown option given: " + string(c.Args[i]))
			return
		}
		replace = true
	}
	if i >= len(c.Args) {
		c.Error("ERR Function code is missing")
		return
	}
	timeout := loadTimeout
	if c.S.Flags&command.FlagMaster != 0 {
		timeout = 0 // our master's (or the AOF's) load must not fail here
	}
	name, msg := s.createLibrary(c.Args[i], replace, s.fn.ctx, timeout)
	if msg != "" {
		c.Error("ERR " + msg)
		return
	}
	s.changed(c)
	c.W.BulkString(name)
}

// functionList is FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
func (s *Scripting) functionList(c *command.Ctx) {
	withCode := false
	var pattern []byte
	hasPattern := false
	for i := 2; i < len(c.Args); i++ {
		a := c.Args[i]
		if !withCode && strings.EqualFold(string(a), "withcode") {
			withCode = true
			continue
		}
		if !hasPattern && strings.EqualFold(string(a), "libraryname") {
			if i >= len(c.Args)-1 {
				c.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern, hasPattern = c.Args[i], true
			continue
		}
		c.Error("ERR Unknown argument " + string(command.CStr(a)))
		return
	}
	var libs []*library
	for _, l := range s.fn.ctx.sorted() {
		if hasPattern && !glob.Match(pattern, []byte(l.name), true) {
			continue
		}
		libs = append(libs, l)
	}
	w := c.W
	w.Array(len(libs))
	for _, l := range libs {
		if withCode {
			w.Map(4)
		} else {
			w.Map(3)
		}
		w.BulkString("library_name")
		w.BulkString(l.name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.Array(len(l.funcs))
		for _, f := range l.funcs {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.name)
			w.BulkString("description")
			if f.hasDesc {
				w.BulkString(f.desc)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			var names []string
			for _, sf := range shebangFlags {
				if f.flags&sf.f != 0 {
					names = append(names, sf.name)
				}
			}
			w.Set(len(names))
			for _, nm := range names {
				w.Simple(nm)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.code)
		}
	}
}

// functionStats is FUNCTION STATS: the function running (while one is
// busy), and the engine's counts.
func (s *Scripting) functionStats(c *command.Ctx) {
	r := s.run
	if r != nil && r.eval {
		c.Error(errBusy)
		return
	}
	w := c.W
	w.Map(2)
	w.BulkString("running_script")
	if r == nil || r.c == nil {
		w.Null()
	} else {
		w.Map(3)
		w.BulkString("name")
		w.BulkString(r.sha)
		w.BulkString("command")
		w.Array(len(r.c.Args))
		for _, a := range r.c.Args {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int(time.Since(r.start).Milliseconds())
	}
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(len(s.fn.ctx.libs)))
	w.BulkString("functions_count")
	w.Int(int64(s.fn.ctx.nfuncs))
}

// functionRestore is FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
func (s *Scripting) functionRestore(c *command.Ctx) {
	if len(c.Args) > 4 {
		c.Error(subcommandSyntaxError(c.Args))
		return
	}
	policy := "append"
	if len(c.Args) == 4 {
		policy = strings.ToLower(string(c.Args[3]))
		if policy != "append" && policy != "replace" && policy != "flush" {
			c.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	codes, err := rdb.DecodeFunctionsDump(c.Args[2])
	if err != nil {
		c.Error("ERR " + rdb.FunctionsDumpError(err))
		return
	}
	x := newLibCtx()
	for _, code := range codes {
		if _, msg := s.createLibrary(code, false, x, 0); msg != "" {
			c.Error("ERR " + msg)
			return
		}
	}
	if policy == "flush" {
		s.fn.ctx = x
	} else if msg := s.fn.ctx.join(x, policy == "replace"); msg != "" {
		c.Error("ERR " + msg)
		return
	}
	s.changed(c)
	c.W.OK()
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError: the
// subcommand as C prints it (up to a NUL, at most 128 bytes), the
// container upper-cased as the client typed it.
func subcommandSyntaxError(args [][]byte) string {
	cstr := func(b []byte, limit int) string {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		if limit >= 0 && len(b) > limit {
			b = b[:limit]
		}
		return string(b)
	}
	return fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.",
		cstr(args[1], 128), strings.ToUpper(cstr(args[0], -1)))
}
