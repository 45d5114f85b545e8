// Package script is Tandem's Lua scripting: EVAL, EVALSHA, EVAL_RO,
// EVALSHA_RO and SCRIPT, and the functions (FUNCTION, FCALL, FCALL_RO;
// functions.go and fcmd.go), as Redis 7.0 runs them.
//
// One Lua 5.1 state (internal/lua, Tandem's copy of gopher-lua, a pure-Go
// Lua 5.1) serves every script, as in Redis: a script is compiled once into
// a function kept in the script cache under the SHA1 of its body, and runs
// with the KEYS and ARGV globals of its call. The state is a sandbox: only
// the libraries Redis loads (base without dofile/loadfile/print/getfenv/
// setfenv, string, table, math, coroutine, cjson, bit, struct, cmsgpack), and every table
// reachable from the globals is read-only (writing a global, or a
// library's field, raises "Attempt to modify a
// readonly table"; reading a missing global raises "Script attempted to
// access nonexistent global variable").
//
// A script's redis.call runs its command through the engine's dispatch path
// (command.Engine.RunForScript), nested in the EVAL: statistics, SLOWLOG,
// MONITOR and propagation see each command, and the writes join the EVAL's
// propagation unit, so replicas and the AOF receive the script's effects
// wrapped in MULTI/EXEC, never the EVAL itself (Redis 7.0's replication by
// effects). The reply the command writes is parsed back into Lua values by
// Redis's RESP2/RESP3 → Lua rules (convert.go), and the script's result is
// turned into the client's reply by the Lua → RESP rules.
//
// Long scripts: a watchdog goroutine (watchdog.go) watches the running
// script's time and the heap's growth; the VM looks at one atomic word per
// instruction (lua.LState.SetInterrupt; coroutines too), so a script past
// busy-reply-threshold lets other clients in (they get BUSY), SCRIPT KILL
// can stop it unless it wrote, and a script that grows the heap past the
// memory cap is stopped with an error. Functions run the same way (runLua),
// in a Lua state of their own, and FUNCTION KILL stops them.
//
// The Lua debugger (SCRIPT DEBUG, ldb*.go) runs an EVAL as a session on the
// client's socket: the script, compiled a second time with a hook call
// before each line (gopher-lua has no debug hooks), stops and reads the
// debugger's commands. SYNC holds the server lock for the session; YES
// runs it on a goroutine over a copy of the dataset (Redis forks).
// Lua 5.1's wording of runtime errors, where gopher-lua's differs and the
// mapping is exact, is in luamsgs.go.
package script
