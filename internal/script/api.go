package script

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/logger"
	lua "github.com/tandemdb/tandem/internal/lua"
)

// Propagation targets of redis.set_repl (Redis's PROPAGATE_AOF and
// PROPAGATE_REPL).
const (
	replAOF  = 1
	replRepl = 2
	replAll  = replAOF | replRepl
)

// openRedis builds the redis table.
func (s *Scripting) openRedis(L *lua.LState) *lua.LTable {
	t := L.CreateTable(0, 0)
	fns := map[string]lua.LGFunction{
		"call":               func(L *lua.LState) int { return s.redisCall(L, true, true) },
		"pcall":              func(L *lua.LState) int { return s.redisCall(L, false, true) },
		"log":                s.redisLog,
		"setresp":            s.redisSetresp,
		"sha1hex":            redisSha1hex,
		"error_reply":        redisErrorReply,
		"status_reply":       redisStatusReply,
		"set_repl":           s.redisSetRepl,
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		// The debugger's (ldb.go): outside a debugging session,
		// breakpoint answers false and debug does nothing.
		"breakpoint":    s.redisBreakpoint,
		"debug":         s.redisDebug,
		"acl_check_cmd": s.redisACLCheck,
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range map[string]int{
		"LOG_DEBUG": int(logger.Debug), "LOG_VERBOSE": int(logger.Verbose), "LOG_NOTICE": int(logger.Notice), "LOG_WARNING": int(logger.Warning),
		"REPL_NONE": 0, "REPL_AOF": replAOF, "REPL_SLAVE": replRepl, "REPL_REPLICA": replRepl, "REPL_ALL": replAll,
		"REDIS_VERSION_NUM": 0x07000f,
	} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString("7.0.15"))
	return t
}

// raise raises an error table (redis.call's errors) from a Go function.
func raise(L *lua.LState, t *lua.LTable) {
	L.Error(t, 0)
}

// luaArgs turns the Lua stack into a command's arguments in r.argv:
// strings as they are, numbers as "%.17g" (in r.argBuf). It returns Redis's
// error text when an argument is neither.
//
// A string argument is not copied: its slice views the Lua string's bytes
// (capacity = length, so that an append copies). That is safe because a
// command never changes its arguments' bytes nor keeps them after it
// returns (they usually view the client's read buffer, which is reused).
func (r *runCtx) luaArgs(L *lua.LState) (string, bool) {
	n := L.GetTop()
	if n == 0 {
		return "Please specify at least one argument for this redis lib call", false
	}
	// A number's slice views argBuf where it was appended; should a later
	// append move argBuf, the slice keeps the old array, which nothing
	// writes any more.
	r.argBuf = r.argBuf[:0]
	r.argv = r.argv[:0]
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			if len(v) == 0 {
				// Empty, not nil, as the protocol's reader gives it (a
				// zero-length slice allocates nothing).
				r.argv = append(r.argv, []byte{})
				continue
			}
			r.argv = append(r.argv, unsafe.Slice(unsafe.StringData(string(v)), len(v)))
		case lua.LNumber:
			start := len(r.argBuf)
			r.argBuf = append(r.argBuf, fmtNumber17(float64(v))...)
			r.argv = append(r.argv, r.argBuf[start:len(r.argBuf):len(r.argBuf)])
		default:
			return "Lua redis lib command arguments must be strings or integers", false
		}
	}
	return "", true
}

// redisCall is redis.call (raise) and redis.pcall: Redis's scriptCall
// checks, then the command through the engine, then its reply as Lua
// values. An error raises (call) or is returned (pcall) as {err=…}.
// Without want (a call whose results the script drops, see
// foldRedisCalls) it returns nothing and builds no value for the reply,
// but raises an error all the same.
func (s *Scripting) redisCall(L *lua.LState, raiseErr, want bool) int {
	if s.loading != nil {
		// A library's code, loading (maybe while a busy script let our
		// master in): a folded call in one of its functions answers as
		// reading the field of the library API would have.
		name := "pcall"
		if raiseErr {
			name = "call"
		}
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", name)
	}
	r := s.run
	if r == nil {
		raise(L, errorTable(L, "redis.call/pcall can only be called inside a script invocation"))
		return 0
	}
	if msg, ok := r.luaArgs(L); !ok {
		if s.ldbStepping() {
			s.ldb.log("<error> " + msg)
		}
		t := errorTable(L, msg)
		if raiseErr {
			raise(L, t)
		}
		return pushIf(L, t, want)
	}
	// The arguments stay on the stack: gopher-lua returns the values
	// pushed last, and clearing them costs a loop per call.
	if s.ldbStepping() {
		s.ldb.logCall(r.argv)
	}
	if msg, spec := s.checkCall(r, r.argv); msg != "" {
		if s.ldbStepping() {
			s.ldb.log("<error> " + msg)
		}
		s.eng.RejectForScript(spec, rejectText(msg))
		t := errorTable(L, msg)
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
		if raiseErr {
			raise(L, t)
		}
		return pushIf(L, t, want)
	} else {
		r.w.Reset()
		r.w.Proto = r.sess.Proto
		s.eng.RunForScript(&r.sess, spec, r.argv)
	}
	b := r.w.Buf
	if cap(b) > 1<<20 {
		r.w.Buf = nil // one huge reply must not pin its buffer
	}
	if s.ldbStepping() {
		s.ldb.logReply(b)
	}
	failed := len(b) > 0 && b[0] == '-'
	if !want && !(raiseErr && failed) {
		return 0
	}
	var v lua.LValue
	if len(b) > 0 && b[0] == ':' {
		// An integer reply (INCR, EXISTS, HSET…), the most common from a
		// script's calls: straight to a number.
		v = luaInteger(replyInt(b[1:]))
	} else {
		p := replyParser{L: L, b: b}
		v = p.parse(false)
	}
	if raiseErr && failed {
		raise(L, v.(*lua.LTable))
	}
	L.Push(v)
	return 1
}

// pushIf returns v to Lua when the caller wants it.
func pushIf(L *lua.LState, v lua.LValue, want bool) int {
	if !want {
		return 0
	}
	L.Push(v)
	return 1
}

// rejectText is the error reply a refusal counts as: the message's own
// code when it carries one ("-READONLY …"), ERR otherwise.
func rejectText(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "-"); ok {
		return rest
	}
	return "ERR " + msg
}

// checkCall makes Redis's scriptCall checks on a command a script calls,
// and returns the refusal (with a leading '-' when it carries its own
// code) and the command's spec.
//
// What does not change while a script runs is worked out once: the spec
// and noscript verdict of the last few command names called (a loop calls
// the same command over and over; a get-set script alternates two), and
// whether we are a stale replica (the server lock is
// held for the whole script, except while it lets other clients in, after
// which it is asked again). The server's refusals of writes are asked for
// until the script's first write only, as in Redis.
func (s *Scripting) checkCall(r *runCtx, argv [][]byte) (string, *command.Spec) {
	cc := s.calls.find(argv[0])
	if cc == nil {
		spec := s.eng.Table.Lookup(argv[0])
		if spec == nil {
			return "Unknown Redis command called from script", nil
		}
		cc = s.calls.add(argv[0])
		cc.noScript = len(spec.Subcommands) == 0 && noScript(spec, "")
		cc.subsDenied = noScriptContainers[spec.Name]
		cc.spec = spec
	}
	spec := cc.spec
	if (spec.Arity > 0 && len(argv) != spec.Arity) || len(argv) < -spec.Arity {
		return "Wrong number of args calling Redis command from script", spec
	}
	if len(spec.Subcommands) > 0 {
		sub := ""
		if len(argv) >= 2 {
			sub = strings.ToLower(string(argv[1]))
			if a, known := command.SubcommandArity(spec.Name, sub); known {
				if (a > 0 && len(argv) != a) || len(argv) < -a {
					return "Wrong number of args calling Redis command from script", spec
				}
			} else if !contains(spec.Subcommands, sub) {
				return "Unknown Redis command called from script", spec
			}
		}
		if noScript(spec, sub) && !s.allowDenied {
			return "This Redis command is not allowed from script", spec
		}
	} else if (cc.noScript || (cc.subsDenied && len(argv) >= 2 && noScriptNames[spec.Name+"|"+strings.ToLower(string(argv[1]))])) && !s.allowDenied {
		// (A container Tandem has no subcommand table for, such as
		// CLUSTER, is refused by the subcommand's name.)
		return "This Redis command is not allowed from script", spec
	}
	if spec.Flags&command.Stale == 0 && s.staleNow(r) {
		return "Can not execute the command on a stale replica", spec
	}
	// ACL permissions of the user running the script (Redis's
	// scriptVerifyACL), after the stale check and before the write checks.
	if !s.permFreeNow(r) {
		if msg := s.eng.CheckPerm(&r.sess, spec, argv); msg != "" {
			return msg, spec
		}
	}
	if r.readOnly && spec.Flags&(command.Write|command.MayReplicate) != 0 {
		return "Write commands are not allowed from read-only scripts.", spec
	}
	if spec.Flags&command.Write == 0 {
		return "", spec
	}
	// A script that has written cannot be stopped half way: the server's
	// refusals of writes (READONLY, MISCONF, NOREPLICAS) apply until its
	// first write only.
	if !r.wrote {
		// An allow-oom script may write whatever maxmemory says (OOM).
		if gate := s.eng.Host.Gate(&r.sess, spec, argv); gate != "" && !strings.HasPrefix(gate, "MASTERDOWN") && (r.flags&flagAllowOOM == 0 || !strings.HasPrefix(gate, "OOM")) {
			return "-" + gate, spec
		}
		r.wrote = true
	}
	return "", spec
}

// callInfo is what checkCall found for a command name a script called
// (the table does not change once the server runs).
type callInfo struct {
	name     []byte // as the script spelled it
	spec     *command.Spec
	noScript bool // for a command without subcommands
	// subsDenied: some of the command's subcommands are noscript
	// (noScriptContainers).
	subsDenied bool
}

// recentCalls holds the callInfo of the last names scripts called: a
// comparison of a few bytes each, cheaper than the table's lower-casing
// lookup and the noscript verdict.
type recentCalls struct {
	e    [4]callInfo
	next int // the entry add takes next
}

// find returns the entry of name, or nil.
func (rc *recentCalls) find(name []byte) *callInfo {
	for i := range rc.e {
		if c := &rc.e[i]; c.spec != nil && string(c.name) == string(name) {
			return c
		}
	}
	return nil
}

// add takes the oldest entry for name; the caller fills it in.
func (rc *recentCalls) add(name []byte) *callInfo {
	c := &rc.e[rc.next]
	rc.next = (rc.next + 1) % len(rc.e)
	c.spec, c.name = nil, append(c.name[:0], name...)
	return c
}

// staleNow reports whether we are a replica that serves no stale data
// with its master link down (MASTERDOWN for a command without the stale
// flag), asked once per script and again after it let other clients in.
func (s *Scripting) staleNow(r *runCtx) bool {
	if !r.staleKnown {
		r.stale = s.stale(&r.sess)
		r.staleKnown = true
	}
	return r.stale
}

// permFreeNow reports whether the script's user may run anything, so that
// no call needs the ACL's check: asked once per script and again after it
// let other clients in (one of them may have changed the ACL then). With
// DEBUG SET-DISABLE-DENY-SCRIPTS a script may change the ACL itself (ACL
// SETUSER), and every call is checked.
func (s *Scripting) permFreeNow(r *runCtx) bool {
	if s.allowDenied {
		return false
	}
	if !r.permKnown {
		r.permFree = s.eng.PermFree(&r.sess)
		r.permKnown = true
	}
	return r.permFree
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// noScriptNames are the commands (and container|subcommand) that Redis
// 7.0 marks noscript: a script may not call them. Tandem's table flags
// some of them; this list is Redis's whole set, subcommands included.
var noScriptNames = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`auth hello quit reset wait blmove blpop brpop brpoplpush
		psubscribe punsubscribe ssubscribe subscribe sunsubscribe unsubscribe
		eval evalsha evalsha_ro eval_ro fcall fcall_ro bgrewriteaof bgsave debug failover monitor
		psync replconf replicaof role save shutdown slaveof sync bzpopmax bzpopmin
		discard exec multi unwatch watch
		client|caching client|getname client|getredir client|id client|info client|kill client|list
		client|no-evict client|pause client|reply client|setname client|tracking client|trackinginfo
		client|unblock client|unpause client|setinfo client|no-touch
		config|get config|resetstat config|rewrite config|set
		function|delete function|dump function|flush function|kill function|list function|load
		function|restore function|stats
		script|debug script|exists script|flush script|kill script|load
		acl|cat acl|deluser acl|dryrun acl|genpass acl|getuser acl|list acl|load acl|log acl|save
		acl|setuser acl|users acl|whoami
		latency|doctor latency|graph latency|histogram latency|history latency|latest latency|reset
		module|list module|load module|loadex module|unload cluster|reset`) {
		noScriptNames[n] = true
		if name, _, ok := strings.Cut(n, "|"); ok {
			noScriptContainers[name] = true
		}
	}
}

// noScriptContainers are the commands some of whose subcommands are in
// noScriptNames.
var noScriptContainers = map[string]bool{}

func noScript(spec *command.Spec, sub string) bool {
	if noScriptNames[spec.Name] {
		return true
	}
	if sub != "" {
		if _, known := command.SubcommandArity(spec.Name, sub); known {
			return noScriptNames[spec.Name+"|"+sub]
		}
	}
	return spec.Flags&command.NoScript != 0 && len(spec.Subcommands) == 0
}

func redisSha1hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		raise(L, errorTable(L, "wrong number of arguments"))
	}
	var b []byte
	switch v := L.Get(1).(type) {
	case lua.LString:
		b = []byte(v)
	case lua.LNumber:
		b = []byte(fmtNumber14(float64(v)))
	}
	sum := sha1.Sum(b)
	L.Push(lua.LString(hex.EncodeToString(sum[:])))
	return 1
}

func redisErrorReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	msg := string(s)
	if !strings.HasPrefix(msg, "-") {
		msg = "-" + msg
	}
	L.Push(errorTable(L, msg))
	return 1
}

func redisStatusReply(L *lua.LState) int {
	s, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, "wrong number or type of arguments"))
		return 1
	}
	t := L.CreateTable(0, 1)
	t.RawSetString("ok", s)
	L.Push(t)
	return 1
}

func (s *Scripting) redisLog(L *lua.LState) int {
	n := L.GetTop()
	if n < 2 {
		raise(L, errorTable(L, "redis.log() requires two arguments or more."))
	}
	lv, ok := L.Get(1).(lua.LNumber)
	if !ok {
		if str, isStr := L.Get(1).(lua.LString); isStr {
			if f, err := parseLuaNumber(string(str)); err == nil {
				lv, ok = lua.LNumber(f), true
			}
		}
	}
	if !ok {
		raise(L, errorTable(L, "First argument must be a number (log level)."))
	}
	level := int(lv)
	if level < int(logger.Debug) || level > int(logger.Warning) {
		raise(L, errorTable(L, "Invalid debug level."))
	}
	if !s.log.Enabled(logger.Level(level)) {
		return 0
	}
	var b strings.Builder
	for i := 2; i <= n; i++ {
		var part string
		switch v := L.Get(i).(type) {
		case lua.LString:
			part = string(v)
		case lua.LNumber:
			part = fmtNumber14(float64(v))
		default:
			continue
		}
		if i != 2 {
			b.WriteByte(' ')
		}
		b.WriteString(part)
	}
	s.log.Logf(logger.Level(level), "%s", b.String())
	return 0
}

func (s *Scripting) redisSetresp(L *lua.LState) int {
	r := s.run
	if r == nil {
		raise(L, errorTable(L, "redis.setresp can only be called inside a script invocation"))
	}
	if L.GetTop() != 1 {
		raise(L, errorTable(L, "redis.setresp() requires one argument."))
	}
	v := luaNumberArg(L, 1)
	if v != 2 && v != 3 {
		raise(L, errorTable(L, "RESP version must be 2 or 3."))
	}
	r.sess.Proto = int(v)
	return 0
}

func (s *Scripting) redisSetRepl(L *lua.LState) int {
	r := s.run
	if r == nil {
		raise(L, errorTable(L, "redis.set_repl can only be called inside a script invocation"))
	}
	if L.GetTop() != 1 {
		raise(L, errorTable(L, "redis.set_repl() requires two arguments."))
	}
	flags := int(luaNumberArg(L, 1))
	if flags&^replAll != 0 {
		raise(L, errorTable(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."))
	}
	r.repl = flags
	s.eng.SetScriptTargets(targetsOf(flags))
	return 0
}

// targetsOf maps redis.set_repl's flags to the engine's targets.
func targetsOf(flags int) command.Target {
	var t command.Target
	if flags&replAOF != 0 {
		t |= command.TargetAOF
	}
	if flags&replRepl != 0 {
		t |= command.TargetReplicas
	}
	return t
}

// permAsker is the ACL's check without its log (the server's ACL
// checker has it): whether a session's user may run a call.
type permAsker interface {
	Allowed(s *command.Session, spec *command.Spec, args [][]byte) bool
}

// redisACLCheck is redis.acl_check_cmd: whether the user running the
// script may run the command with these arguments (its keys and channels
// included), without an ACL LOG entry, as Redis checks it.
func (s *Scripting) redisACLCheck(L *lua.LState) int {
	r := s.run
	if r == nil {
		raise(L, errorTable(L, "redis.acl_check_cmd can only be called inside a script invocation"))
	}
	if msg, ok := r.luaArgs(L); !ok {
		raise(L, errorTable(L, msg))
	}
	spec := s.eng.Table.Lookup(r.argv[0])
	if spec == nil {
		raise(L, errorTable(L, "Invalid command passed to redis.acl_check_cmd()"))
	}
	if spec.Variant != nil {
		spec = spec.Variant(r.argv)
	}
	allowed := true
	if a, ok := s.eng.Perm.(permAsker); ok {
		allowed = a.Allowed(&r.sess, spec, r.argv)
	}
	L.Push(lua.LBool(allowed))
	return 1
}

// luaNumberArg is lua_tonumber of argument i: a number, a numeric string,
// or 0.
func luaNumberArg(L *lua.LState, i int) float64 {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := parseLuaNumber(string(v)); err == nil {
			return f
		}
	}
	return 0
}

// luaCheckInt is luaL_checkint: a number (or numeric string), truncated;
// anything else is an argument error.
func luaCheckInt(L *lua.LState, i int, fname string) int {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return int(int32(truncInt(float64(v))))
	case lua.LString:
		if f, err := parseLuaNumber(string(v)); err == nil {
			return int(int32(truncInt(f)))
		}
	}
	got := "no value"
	if i <= L.GetTop() {
		got = L.Get(i).Type().String()
	}
	argError(L, i, fname, "number expected, got "+got)
	return 0
}

func truncInt(f float64) int64 {
	if f != f || math.IsInf(f, 0) {
		return math.MinInt64
	}
	return int64(f)
}

// mathRandom is Redis's math.random, on its own generator.
func (s *Scripting) mathRandom(L *lua.LState) int {
	r := float64(s.rnd.next()%randMax) / float64(randMax)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(r))
	case 1:
		u := luaCheckInt(L, 1, "random")
		if u < 1 {
			argError(L, 1, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
	case 2:
		l := luaCheckInt(L, 1, "random")
		u := luaCheckInt(L, 2, "random")
		if l > u {
			argError(L, 2, "random", "interval is empty")
		}
		L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (s *Scripting) mathRandomseed(L *lua.LState) int {
	s.rnd.seed(int32(luaCheckInt(L, 1, "randomseed")))
	return 0
}

// stringRep is string.rep refusing, before allocating, a result larger
// than the memory cap.
func (s *Scripting) stringRep(L *lua.LState, orig lua.LValue) int {
	str := L.CheckString(1)
	n := L.CheckInt(2)
	if lim := s.opts.MemoryLimit; lim > 0 && n > 0 && int64(len(str))*int64(n) > lim {
		L.RaiseError("%s", errMemLimit.Error())
	}
	L.Push(orig)
	L.Push(lua.LString(str))
	L.Push(lua.LNumber(n))
	L.Call(2, 1)
	return 1
}

// tableConcat is table.concat refusing a result larger than the memory
// cap before building it.
func (s *Scripting) tableConcat(L *lua.LState, orig lua.LValue) int {
	top := L.GetTop()
	if t, ok := L.Get(1).(*lua.LTable); ok && s.opts.MemoryLimit > 0 {
		var total int64
		sep := int64(len(L.OptString(2, "")))
		for i := 1; i <= t.Len(); i++ {
			if str, ok := t.RawGetInt(i).(lua.LString); ok {
				total += int64(len(str)) + sep
			}
			if total > s.opts.MemoryLimit {
				L.RaiseError("%s", errMemLimit.Error())
			}
		}
	}
	L.Insert(orig, 1)
	L.Call(top, 1)
	return 1
}

// parseLuaNumber is Lua 5.1's string to number: a decimal or hex
// number, with spaces around it.
func parseLuaNumber(s string) (float64, error) {
	t := strings.TrimSpace(s)
	lower := strings.ToLower(t)
	if u, ok := strings.CutPrefix(lower, "0x"); ok {
		n, err := strconv.ParseUint(u, 16, 64)
		return float64(n), err
	}
	// ParseFloat also takes "inf", "nan", underscores and hex floats;
	// Lua does not.
	if strings.ContainsAny(lower, "_xp") || strings.Contains(lower, "inf") || strings.Contains(lower, "nan") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(t, 64)
}
