package script

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	lua "github.com/tandemdb/tandem/internal/lua"
)

const errNoScript = "NOSCRIPT No matching script. Please use EVAL."

func (s *Scripting) specs() []*command.Spec {
	keyFlags := command.NoMandatoryKeys | command.MovableKeys
	evalFlags := command.NoScript | command.SkipMonitor | command.MayReplicate | command.Stale | keyFlags
	roFlags := command.NoScript | command.SkipMonitor | command.Stale | command.ReadOnly | keyFlags
	// The key specs Redis 7.0 gives them: numkeys at argument 2, then the
	// keys; the notes appear on EVAL and EVAL_RO only, as in Redis.
	keys := func(notes string, flags ...string) []command.KeySpec {
		return []command.KeySpec{{Notes: notes, Flags: flags, BeginIndex: 2, KeyNum: true, KeyNumIdx: 0, FirstKey: 1, KeyStep: 1}}
	}
	const rwNotes = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
	const roNotes = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
	mk := func(name string, flags command.Flag, sha, ro bool, ks []command.KeySpec, summary, since string) *command.Spec {
		sp := &command.Spec{Name: name, Arity: -3, Flags: flags, KeysFn: evalKeys, Group: "scripting", Summary: summary, Since: since,
			Categories: []string{"slow", "scripting"}, KeySpecs: ks,
			Handler: func(c *command.Ctx) { s.evalCmd(c, sha, ro) }}
		sp.Variant = s.variants(sp, sha)
		return sp
	}
	return []*command.Spec{
		mk("eval", evalFlags, false, false, keys(rwNotes, "RW", "access", "update"), "Execute a Lua script server side", "2.6.0"),
		mk("evalsha", evalFlags, true, false, keys("", "RW", "access", "update"), "Execute a Lua script server side", "2.6.0"),
		mk("eval_ro", roFlags, false, true, keys(roNotes, "RO", "access"), "Execute a read-only Lua script server side", "7.0.0"),
		mk("evalsha_ro", roFlags, true, true, keys("", "RO", "access"), "Execute a read-only Lua script server side", "7.0.0"),
		scriptSpec(s.scriptCmd),
	}
}

// scriptSpec is SCRIPT: the container has no flags of its own, as in
// Redis; each subcommand's (Redis 7.0.15's flags, tips and arity) are
// what the server's refusals look at (stale replica, loading, busy
// script), through Variant, and what COMMAND INFO shows.
func scriptSpec(h command.Handler) *command.Spec {
	sub := func(name string, arity int, flags command.Flag, tips ...string) *command.Spec {
		return &command.Spec{Name: "script|" + name, Arity: arity, Flags: flags, Group: "scripting",
			Categories: []string{"slow", "scripting"}, Tips: tips}
	}
	ns := command.NoScript
	subs := []*command.Spec{ // in the order Redis's COMMAND INFO lists them
		sub("debug", 3, ns),
		sub("load", 3, ns|command.Stale, "request_policy:all_nodes", "response_policy:all_succeeded"),
		sub("exists", -3, ns, "request_policy:all_shards", "response_policy:agg_logical_and"),
		sub("help", 2, command.Loading|command.Stale),
		sub("kill", 2, ns|command.AllowBusy, "request_policy:all_shards", "response_policy:one_succeeded"),
		sub("flush", -2, ns, "request_policy:all_nodes", "response_policy:all_succeeded"),
	}
	bySub := map[string]*command.Spec{}
	for _, sp := range subs {
		bySub[strings.TrimPrefix(sp.Name, "script|")] = sp
	}
	sp := &command.Spec{Name: "script", Arity: -2, Handler: h, Group: "scripting", Categories: []string{"slow"},
		Summary: "A container for Lua scripts management commands", Since: "2.6.0",
		Subcommands: []string{"debug", "exists", "flush", "help", "kill", "load"}, SubSpecs: subs}
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

// evalKeys finds EVAL's keys through numkeys (COMMAND GETKEYS); invalid
// numkeys gives none, as in Redis.
func evalKeys(args [][]byte) []int {
	if len(args) < 3 {
		return nil
	}
	n, ok := parseInt(args[2])
	if !ok || n <= 0 || n > int64(len(args)-3) {
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = 3 + i
	}
	return out
}

// variants returns sp's Variant: a script that declares flags in a
// shebang runs with them instead of the command's own (Redis's
// evalGetCommandFlags), so that the server refuses it as it would a
// command with those flags: a script that may write is refused on a
// read-only replica, a no-writes one is not, an allow-stale one runs
// on a stale replica.
func (s *Scripting) variants(sp *command.Spec, sha bool) func(args [][]byte) *command.Spec {
	byFlags := map[command.Flag]*command.Spec{}
	return func(args [][]byte) *command.Spec {
		if len(args) < 2 {
			return sp
		}
		var flags scriptFlags
		if sha {
			if len(args[1]) != 40 {
				return sp
			}
			sc := s.cached(args[1])
			if sc == nil {
				return sp
			}
			flags = sc.flags
		} else {
			f, _, err := parseShebang(args[1])
			if err != "" {
				return sp
			}
			flags = f
		}
		if flags&flagCompat != 0 {
			return sp
		}
		return withScriptFlags(sp, flags, byFlags)
	}
}

// withScriptFlags is sp as a script with flags runs it (Redis's
// evalGetCommandFlags / fcallGetCommandFlags): writes and OOM refusal
// unless no-writes (or allow-oom), stale reads if allow-stale. The specs
// made are kept in byFlags, one per set of flags.
func withScriptFlags(sp *command.Spec, flags scriptFlags, byFlags map[command.Flag]*command.Spec) *command.Spec {
	cf := sp.Flags &^ (command.Stale | command.DenyOOM | command.Write | command.MayReplicate)
	if flags&(flagAllowOOM|flagNoWrites) == 0 {
		cf |= command.DenyOOM
	}
	if flags&flagNoWrites == 0 {
		cf |= command.Write
	}
	if flags&flagAllowStale != 0 {
		cf |= command.Stale
	}
	if cf == sp.Flags {
		return sp
	}
	v := byFlags[cf]
	if v == nil {
		cp := *sp
		cp.Flags = cf
		cp.Variant = nil
		v = &cp
		byFlags[cf] = v
	}
	return v
}

// parseInt is Redis's string2ll: an optional minus, then digits without
// a leading zero (or "0"), in range.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	d := b
	if d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// evalCmd is EVAL, EVALSHA and their _RO forms (Redis's evalGenericCommand).
func (s *Scripting) evalCmd(c *command.Ctx, evalsha, ro bool) {
	if c.S.Flags&command.FlagLuaDebug != 0 && s.ldb == nil {
		s.ldbEval(c, evalsha, ro) // a debugging session (ldb.go)
		return
	}
	// EVAL is shown to MONITOR before the commands its script runs.
	s.eng.Host.Monitor(c.S, c.Spec, c.Args)
	if evalsha && len(c.Args[1]) != 40 {
		c.Error(errNoScript)
		return
	}
	numkeys, ok := parseInt(c.Args[2])
	if !ok {
		c.Error(command.ErrNotInt)
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
	var sc *script
	if evalsha {
		sc = s.cached(c.Args[1])
		if sc == nil {
			c.Error(errNoScript)
			return
		}
	} else {
		var msg string
		if sc, msg = s.create(c.Args[1]); sc == nil {
			c.Error(msg)
			return
		}
	}
	// What Redis's scriptPrepareForRun refuses that the server's own
	// refusals (with the script's flags, see variants) have not.
	if sc.flags&flagCompat != 0 {
		if s.stale(c.S) {
			c.Error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
			return
		}
	} else if sc.flags&flagNoWrites == 0 && ro {
		c.Error("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	keys := c.Args[3 : 3+numkeys]
	argv := c.Args[3+numkeys:]
	s.runScript(c, sc, keys, argv, ro)
}

// probeStale is a read without the stale flag: the server refuses it
// exactly when it is a replica serving no stale data.
var probeStale = &command.Spec{Name: "eval", Arity: -3}

func (s *Scripting) stale(sess *command.Session) bool {
	return strings.HasPrefix(s.eng.Host.Gate(sess, probeStale, nil), "MASTERDOWN")
}

// cached is the cached script whose SHA1 is sha, in any case, or nil. A
// lower-case SHA1 (what SCRIPT LOAD answers, so what clients send) is
// looked up without a copy. EVALSHA looks its script up twice (the
// server's refusals ask for its flags first), and clients mostly send the
// same one over and over: the last one found is answered by a comparison
// of the SHA1's bytes, without hashing it again.
func (s *Scripting) cached(sha []byte) *script {
	if s.last != nil && string(sha) == string(s.lastSHA) {
		return s.last
	}
	var sc *script
	if !hasUpper(sha) {
		sc = s.cache[string(sha)]
	} else {
		sc = s.cache[strings.ToLower(string(sha))]
	}
	if sc != nil {
		s.last, s.lastSHA = sc, append(s.lastSHA[:0], sha...)
	}
	return sc
}

// hasUpper reports whether b holds an ASCII upper-case letter.
func hasUpper(b []byte) bool {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// create compiles body into the cache (Redis's luaCreateFunction) and
// returns it, or nil and the error reply.
func (s *Scripting) create(body []byte) (*script, string) {
	sum := sha1.Sum(body)
	sha := hex.EncodeToString(sum[:])
	if sc := s.cache[sha]; sc != nil {
		return sc, ""
	}
	flags, shebangLen, err := parseShebang(body)
	if err != "" {
		return nil, "ERR " + err
	}
	fn, cerr := s.vm.L.Load(strings.NewReader(string(body[shebangLen:])), "user_script")
	if cerr != nil {
		return nil, "ERR Error compiling script (new function): " + compileError(cerr, bytes.Count(body, []byte("\n"))+1)
	}
	fn.Env = s.vm.scriptEnv(fn)
	if fn.Env == s.vm.realG {
		foldRedisCalls(fn.Proto, s.vm.folds, s.vm.drops)
	}
	trimProto(fn.Proto)
	// The main chunk is a vararg function, for which gopher-lua builds
	// Lua 5.0's "arg" table at every call; a main chunk has no local of
	// that name (as in Lua 5.1), so nothing could read it.
	fn.Proto.IsVarArg &^= lua.VarArgNeedsArg
	sc := &script{sha: sha, body: string(body), fn: fn, flags: flags, argsStayPut: argsStayPut(fn.Proto)}
	s.cache[sha] = sc
	s.cacheMem += scriptMem(sc)
	s.protoMem += protoMem(fn.Proto)
	return sc, ""
}

// scriptMem is what a cached script is counted for in INFO
// (used_memory_scripts_eval): its body and name, and the cache entry's
// overhead; its compiled form counts in the Lua state (protoMem).
func scriptMem(sc *script) int64 { return int64(len(sc.body)+len(sc.sha)) + cacheEntryMem }

// compileError rewrites gopher-lua's syntax error ("user_script line:1
// (column:5) near 'x':   syntax error") in Lua 5.1's shape
// ("user_script:1: syntax error near 'x'"); the wording of Lua's own
// messages (such as "'=' expected") is not reproduced.
func compileError(err error, lines int) string { return compileErrorIn("user_script", err, lines) }

// compileErrorIn is compileError for a chunk named chunk.
func compileErrorIn(chunk string, err error, lines int) string {
	msg := err.Error()
	if i := strings.Index(msg, "\n"); i >= 0 {
		msg = msg[:i]
	}
	var line int
	near := ""
	if _, e := fmt.Sscanf(msg, chunk+" line:%d", &line); e == nil {
		if i := strings.Index(msg, "near '"); i >= 0 {
			rest := msg[i+len("near '"):]
			if j := strings.Index(rest, "'"); j >= 0 {
				near = rest[:j]
			}
		}
		if near != "" {
			return fmt.Sprintf("%s:%d: unexpected symbol near '%s'", chunk, line, near)
		}
		return fmt.Sprintf("%s:%d: syntax error", chunk, line)
	}
	if strings.HasPrefix(msg, chunk+" at EOF:") {
		return fmt.Sprintf("%s:%d: unexpected symbol near '<eof>'", chunk, lines)
	}
	return strings.TrimSpace(msg)
}

// runScript runs sc for the EVAL c (Redis's scriptPrepareForRun,
// luaCallFunction and scriptResetRun): KEYS and ARGV are globals.
func (s *Scripting) runScript(c *command.Ctx, sc *script, keys, argv [][]byte, ro bool) {
	if s.ldb != nil {
		s.ldbRun(c, sc, keys, argv, ro) // its instrumented form (ldb.go)
		return
	}
	s.runLua(c, runTarget{vm: s.vm, fn: sc.fn, name: sc.sha, flags: sc.flags, eval: true, argsStayPut: sc.argsStayPut}, keys, argv, ro)
}

// runTarget is what runLua runs: an EVAL script (KEYS and ARGV set as
// globals, named by its SHA) or a function (called with the keys and the
// arguments as its two parameters, named by its name).
type runTarget struct {
	vm    *vm
	fn    *lua.LFunction
	name  string
	flags scriptFlags
	eval  bool
	// argsStayPut: the script only reads KEYS and ARGV, or the function
	// its keys and args (argsStayPut, paramsStayPut): their tables may
	// then be reused.
	argsStayPut bool
}

// runLua runs t for the command c, EVAL's or FCALL's.
func (s *Scripting) runLua(c *command.Ctx, t runTarget, keys, argv [][]byte, ro bool) {
	r := &s.cur
	r.c, r.sha, r.flags, r.eval = c, t.name, t.flags, t.eval
	r.readOnly = ro || (t.flags&flagCompat == 0 && t.flags&flagNoWrites != 0)
	r.wrote, r.timedOut, r.killed, r.staleKnown, r.permKnown = false, false, false, false, false
	r.repl = replAll
	r.start = c.Started() // the EVAL's (FCALL's) own clock reading
	// The script's client: the caller's database and user, RESP2 until
	// redis.setresp, and our master's authority when the caller is it.
	r.sess.DB = c.S.DB
	r.sess.Proto = 2
	r.sess.Authed = true
	r.sess.User = c.S.User
	r.sess.Flags = c.S.Flags&command.FlagMaster | command.FlagScript
	r.sess.W = &r.w
	r.sess.Name = ""
	s.run = r
	s.scriptsRun++
	s.runSeq++
	var th int64
	if s.opts.BusyThreshold != nil {
		th = s.opts.BusyThreshold()
	}
	s.wd.threshold.Store(th * int64(time.Millisecond))
	s.wd.memLimit.Store(max(s.opts.MemoryLimit, 0))
	s.wd.begin(s.runSeq, r.start)
	L := t.vm.L
	defer func() {
		s.wd.end()
		s.run = nil
		r.c = nil
		s.hook.signal.Store(false)
		s.hook.abort = nil
		s.hook.err = nil
		s.eng.SetScriptTargets(command.TargetAll)
		L.SetTop(0)
	}()
	L.SetTop(0)
	L.Push(t.fn)
	nargs := 0
	if t.eval {
		t.vm.setArgs(L, keys, argv, t.argsStayPut)
	} else {
		t.vm.argTables(L, keys, argv, t.argsStayPut)
		L.Push(t.vm.args.keys)
		L.Push(t.vm.args.argv)
		nargs = 2
	}
	err := L.PCall(nargs, 1, t.vm.errHandler)
	// The script's commands propagated themselves (its effects); the EVAL
	// never does.
	c.NoPropagate()
	if r.timedOut {
		s.log.Warningf("Slow script finished after %d milliseconds: script %s", time.Since(r.start).Milliseconds(), t.name)
	}
	if err != nil {
		s.replyError(c, r, err)
		return
	}
	writeLua(c.W, L.Get(-1), r.sess.Proto, 0, func(msg string, noStats bool) {
		if noStats {
			c.ErrorNoStats(msg)
		} else {
			c.Error(msg)
		}
	})
}

// luaArray is a Lua array of strings (KEYS, ARGV).
func luaArray(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for i, b := range items {
		t.RawSetInt(i+1, lua.LString(b))
	}
	return t
}

// replyError answers a script's error as Redis's luaCallFunction does:
// the error's message, then where it was raised ("script: <sha>, on
// @user_script:<line>."); errors that a command replied were counted
// already and are not counted again.
func (s *Scripting) replyError(c *command.Ctx, r *runCtx, err error) {
	var obj lua.LValue = lua.LString(err.Error())
	if ae, ok := err.(*lua.ApiError); ok {
		obj = ae.Object
	}
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := "execution failure"
		if str, isStr := obj.(lua.LString); isStr {
			msg = string(str)
		}
		if len(msg) > 100 {
			msg = msg[:100]
		}
		c.Error(fmt.Sprintf("ERR Error running script %s, %s ", r.sha, msg))
		return
	}
	msg := ""
	switch v := t.RawGetString("err").(type) {
	case lua.LString:
		msg = string(v)
	case lua.LNumber:
		msg = fmtNumber14(float64(v))
	}
	if s.hook.err != nil {
		msg = "ERR " + s.hook.err.Error()
	}
	src, srcOK := t.RawGetString("source").(lua.LString)
	var line string
	switch v := t.RawGetString("line").(type) {
	case lua.LNumber:
		line = fmtNumber14(float64(v))
	case lua.LString:
		line = string(v)
	}
	if srcOK && line != "" {
		msg += " script: " + r.sha + ", on " + string(src) + ":" + line + "."
	}
	if t.RawGetString("ignore_error_stats_update") == lua.LTrue {
		c.ErrorNoStats(msg)
		return
	}
	c.Error(msg)
}

// interrupt is the hook's slow path (the script's goroutine, server lock
// held): the watchdog or SCRIPT KILL raised the signal. It returns the
// closed channel once the script must stop.
func (s *Scripting) interrupt() <-chan struct{} {
	h := &s.hook
	if h.abort != nil {
		return h.abort
	}
	h.signal.Store(false)
	if s.loading != nil {
		// A library being loaded (FUNCTION LOAD) past its time limit.
		if s.loading.timeout > 0 && time.Since(s.loading.start) > s.loading.timeout {
			return s.abort(errLoadTimeout)
		}
		return nil
	}
	r := s.run
	if r == nil {
		return nil
	}
	if s.wd.over.Load() {
		s.log.Warningf("Lua script %s stopped: it grew the heap by more than %d bytes", r.sha, s.opts.MemoryLimit)
		return s.abort(errMemLimit)
	}
	if s.wd.busy.Load() && !r.timedOut {
		r.timedOut = true
		killCmd := "SCRIPT KILL"
		if !r.eval {
			killCmd = "FUNCTION KILL"
		}
		s.log.Warningf("Slow script detected: still in execution after %d milliseconds. You can try killing the script using the %s command. Script name is: %s.",
			time.Since(r.start).Milliseconds(), killCmd, r.sha)
	}
	if r.timedOut && s.yield != nil {
		s.yield.Yield()
		// Other clients ran: the replica link may have gone down or up.
		r.staleKnown = false
		r.permKnown = false
		// One of them may have been SHUTDOWN NOSAVE: the script ends so
		// the process can exit (nothing is saved), as Redis exits from
		// inside it.
		if st, ok := s.yield.(interface{ Stopping() bool }); ok && st.Stopping() {
			s.log.Warningf("Lua script %s stopped: the server is shutting down.", r.sha)
			return s.abort(errShutdown)
		}
	}
	if r.killed {
		s.log.Warningf("Lua script killed by user with SCRIPT KILL.")
		return s.abort(errKilled)
	}
	return nil
}

func (s *Scripting) abort(err error) <-chan struct{} {
	h := &s.hook
	h.err = err
	h.abort = closedChan
	h.signal.Store(true)
	return h.abort
}
