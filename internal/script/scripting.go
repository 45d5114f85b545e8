package script

import (
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/logger"
	lua "github.com/tandemdb/tandem/internal/lua"
	"github.com/tandemdb/tandem/internal/resp"
)

// Yielder lets other clients run while a script is busy (past
// busy-reply-threshold): Yield is called with the server lock held from
// the script's goroutine, and returns with it held again, having served
// what other clients sent meanwhile (they get BUSY, except the commands
// allowed while busy, such as SCRIPT KILL). The server implements it.
type Yielder interface {
	Yield()
}

// Options configure scripting.
type Options struct {
	Log *logger.Logger
	// MemoryLimit caps how much one script may grow the heap, in bytes
	// (DefaultMemoryLimit when 0, no cap when < 0).
	MemoryLimit int64
	// BusyThreshold returns busy-reply-threshold (lua-time-limit) in
	// milliseconds, read at the start of each script; nil or 0: never busy.
	BusyThreshold func() int64
	// RDBCompression returns rdbcompression, for FUNCTION DUMP (nil: yes).
	RDBCompression func() bool
}

// DefaultMemoryLimit is the default cap on one script's heap growth.
const DefaultMemoryLimit = 512 << 20

// Scripting is the scripting engine of one server: its Lua state, the
// script cache, and the script running now. Everything is used with the
// server lock held, except the watchdog's atomics.
type Scripting struct {
	eng  *command.Engine
	log  *logger.Logger
	opts Options

	vm    *vm
	cache map[string]*script
	// last is the script cached last found, by the SHA1 as it was asked
	// (lastSHA); Flush forgets it.
	last    *script
	lastSHA []byte
	// cacheMem is the memory the cached scripts' bodies and names take
	// (used_memory_scripts_eval).
	cacheMem int64
	// protoMem estimates the heap the cached scripts' compiled functions
	// keep in the Lua state (part of used_memory_vm_eval).
	protoMem int64
	rnd      lrand48

	// run is the script running now (nil between scripts); runSeq numbers
	// the runs for the watchdog.
	run    *runCtx
	runSeq uint64
	cur    runCtx // reused by every run
	hook   hook
	wd     watchdog
	yield  Yielder

	calls recentCalls // checkCall's cache
	// ldb is the Lua debugger's session under way, if any (ldb.go);
	// forked marks the scripting engine of a forked session (ldbfork.go).
	ldb    *ldbSession
	forked bool
	// allowDenied is DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call the
	// commands Redis marks noscript (a test hook, as in Redis).
	allowDenied bool

	// fn is the functions' engine: their own Lua state and the libraries
	// (functions.go); loading is the library being loaded, while its code
	// runs to register its functions.
	fn      *fnEngine
	loading *loadCtx

	// Statistics.
	scriptsRun int64
}

// script is a cached script: its body, compiled function and flags.
type script struct {
	sha   string
	body  string
	fn    *lua.LFunction
	flags scriptFlags
	// argsStayPut: the script only reads KEYS and ARGV (argtables.go).
	argsStayPut bool
}

// runCtx is the state of the script running now.
type runCtx struct {
	c *command.Ctx // the EVAL's (or FCALL's) context
	// sha names the script in errors and logs: an EVAL script's SHA1, a
	// function's name.
	sha string
	// eval: an EVAL script, not a function (SCRIPT KILL vs FUNCTION KILL).
	eval     bool
	flags    scriptFlags
	readOnly bool
	// wrote: a write command ran (SCRIPT KILL then answers UNKILLABLE).
	wrote bool
	// stale caches whether the server refuses non-stale commands
	// (MASTERDOWN) while staleKnown is set (see staleNow).
	stale, staleKnown bool
	// permFree caches whether the script's user may run anything (no ACL
	// check per call) while permKnown is set (see permFreeNow).
	permFree, permKnown bool
	// repl is where the script's writes propagate (redis.set_repl).
	repl     int
	timedOut bool
	killed   bool
	start    time.Time
	// sess is the script's own client: its database (SELECT inside the
	// script does not change the caller's), its protocol (redis.setresp)
	// and its reply buffer, parsed after each command.
	sess command.Session
	w    resp.Writer
	// argv are the arguments of the command being called; argBuf holds
	// those made from numbers (see luaArgs).
	argBuf []byte
	argv   [][]byte
}

// New builds the scripting engine of eng's server.
func New(eng *command.Engine, opts Options) *Scripting {
	if opts.Log == nil {
		opts.Log = logger.Discard()
	}
	if opts.MemoryLimit == 0 {
		opts.MemoryLimit = DefaultMemoryLimit
	}
	s := &Scripting{eng: eng, log: opts.Log, opts: opts, cache: map[string]*script{}, rnd: newRand()}
	s.hook.s = s
	s.wd.hook = &s.hook
	s.vm = newVM(s)
	s.fn = newFnEngine(s)
	return s
}

// SetYielder hands over what lets other clients in while a script is
// busy (the server), once, before the server starts.
func (s *Scripting) SetYielder(y Yielder) { s.yield = y }

// Register adds EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FCALL,
// FCALL_RO and FUNCTION to the engine's table, replacing the stubs that
// answered "not supported".
func (s *Scripting) Register() {
	s.eng.Table.Add(s.specs()...)
	s.eng.Table.Add(s.functionSpecs()...)
}

// Running reports whether a script is running (server lock held).
func (s *Scripting) Running() bool { return s.run != nil }

// Busy reports whether the running script went past
// busy-reply-threshold: other clients get BUSY (server lock held).
func (s *Scripting) Busy() bool { return s.run != nil && s.run.timedOut }

// Debug implements server.DebugProvider: DEBUG SET-DISABLE-DENY-SCRIPTS
// 0|1 lets scripts call the commands Redis refuses them (noscript), as
// Redis's tests do to watch a busy script from inside it.
func (s *Scripting) Debug(c *command.Ctx, sub string) bool {
	if sub != "set-disable-deny-scripts" || len(c.Args) != 3 {
		return false
	}
	s.allowDenied = atoiNonZero(c.Args[2])
	c.W.OK()
	return true
}

// atoiNonZero reports whether C's atoi reads a non-zero number in b:
// spaces, a sign, then digits up to the first other byte.
func atoiNonZero(b []byte) bool {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		i++
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if b[i] != '0' {
			return true
		}
	}
	return false
}
