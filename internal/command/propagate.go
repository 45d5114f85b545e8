package command

import (
	"github.com/tandemdb/tandem/internal/keyspace"
)

// Propagation. The writes a top-level command makes (its own rewritten
// form, DELs of keys found expired, the commands inside EXEC) are collected
// into one unit, in order; afterTopLevel (engine.go) hands the unit to every
// sink in Engine.Sinks (the replication stream, the AOF), wrapped in
// MULTI/EXEC when it holds more than one op, as Redis 7.0 does.

// Propagator receives every write in execution order, already in the
// deterministic form replicas and the AOF must apply (see Ctx.Rewrite). It
// is called with the server lock held and must copy argv if it keeps it.
type Propagator interface {
	Propagate(db int, argv [][]byte)
}

// propOp is one propagated command: its arguments are the byte ranges
// unitArgs[first:first+n] of unitBuf. Keeping the unit in two reused flat
// buffers (instead of copying each argument) makes propagation free of
// allocations in steady state.
type propOp struct {
	db       int
	first, n int
	// skip are the targets the op must not reach (redis.set_repl).
	skip Target
}

// ActiveSink is implemented by sinks that are sometimes off (no replica
// and no backlog, AOF disabled): while every sink is off, writes skip the
// copy into the propagation unit altogether.
type ActiveSink interface{ Active() bool }

func (e *Engine) sinksActive() bool {
	if e.Muted {
		return false
	}
	for _, s := range e.Sinks {
		if a, ok := s.(ActiveSink); !ok || a.Active() {
			return true
		}
	}
	return false
}

func (e *Engine) alsoPropagate(db int, argv [][]byte) {
	e.alsoPropagateSkip(db, argv, e.propSkip)
}

func (e *Engine) alsoPropagateSkip(db int, argv [][]byte, skip Target) {
	if !e.sinksActive() || skip == TargetAll {
		return
	}
	op := propOp{db: db, first: len(e.unitArgs), n: len(argv), skip: skip}
	for _, a := range argv {
		start := len(e.unitBuf)
		e.unitBuf = append(e.unitBuf, a...)
		e.unitArgs = append(e.unitArgs, [2]int{start, len(e.unitBuf)})
	}
	e.unit = append(e.unit, op)
}

// argvOf rebuilds an op's arguments (valid until the next call).
func (e *Engine) argvOf(op propOp) [][]byte {
	e.argvScratch = e.argvScratch[:0]
	for _, r := range e.unitArgs[op.first : op.first+op.n] {
		e.argvScratch = append(e.argvScratch, e.unitBuf[r[0]:r[1]:r[1]])
	}
	return e.argvScratch
}

var (
	argMulti = [][]byte{[]byte("MULTI")}
	argExec  = [][]byte{[]byte("EXEC")}
)

func (e *Engine) flushUnit() {
	if len(e.unit) == 0 {
		e.noWrap = false
		return
	}
	// The unit is emptied before the sinks see it: should one of them
	// panic, the next command must not send these ops again. (The slice
	// keeps its array; nothing adds ops while the sinks run.)
	unit := e.unit
	e.unit = e.unit[:0]
	wrap := len(unit) > 1 && !e.noWrap
	e.noWrap = false
	for i, sink := range e.Sinks {
		tgt := TargetAll
		if i < len(e.SinkTargets) {
			tgt = e.SinkTargets[i]
		}
		if wrap {
			sink.Propagate(unit[0].db, argMulti)
		}
		for _, op := range unit {
			if op.skip&tgt == 0 {
				sink.Propagate(op.db, e.argvOf(op))
			}
		}
		if wrap {
			sink.Propagate(unit[len(unit)-1].db, argExec)
		}
	}
	e.unitArgs = e.unitArgs[:0]
	if cap(e.unitBuf) > 1<<20 {
		e.unitBuf = nil // one huge command must not pin its buffer
	}
	e.unitBuf = e.unitBuf[:0]
}

// PropagateNow sends one op outside any command (active expiry, PING to
// replicas). The server lock must be held.
func (e *Engine) PropagateNow(db int, argv ...[]byte) {
	if e.Muted {
		return
	}
	for _, sink := range e.Sinks {
		sink.Propagate(db, argv)
	}
}

var argDel = []byte("DEL")

// keyExpired propagates the deletion of an expired key as a DEL: inside a
// command it joins that command's unit (Redis sends MULTI, DEL, the
// command, EXEC); outside one it goes out at once.
func (e *Engine) keyExpired(db *keyspace.DB, key string) {
	// The KeyModified that follows is the server's doing, not the running
	// client's (CLIENT TRACKING's NOLOOP must not hide it).
	e.expiring = true
	if n := e.Notifier; n != nil && n.Enabled(EvExpired) {
		n.Notify(EvExpired, "expired", []byte(key), db.ID)
	}
	argv := [][]byte{argDel, []byte(key)}
	if e.depth > 0 {
		// Whatever a script's redis.set_repl says: the deletion happened.
		e.alsoPropagateSkip(db.ID, argv, 0)
		return
	}
	e.PropagateNow(db.ID, argv...)
}
