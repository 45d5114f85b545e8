package command

// What the scripting engine (internal/script) needs from the dispatch
// path: a script's redis.call runs its command through run, as a client's
// command does, so that statistics, SLOWLOG, MONITOR and propagation see
// it; the script's own checks (arity, noscript, read-only scripts, stale
// replicas) are made by the caller first, with Redis's script errors.

// Gated is the spec whose flags the server's refusals look at (see
// Spec.Variant): a script's declared flags for EVAL and FCALL.
func (s *Spec) Gated(args [][]byte) *Spec { return s.gated(args) }

// gated is Gated.
func (s *Spec) gated(args [][]byte) *Spec {
	if s.Variant != nil {
		if v := s.Variant(args); v != nil {
			return v
		}
	}
	return s
}

// RunForScript runs spec for a script's session s, nested inside the
// EVAL (or FCALL) that runs the script: the writes it makes join that
// command's propagation unit, its time is the script's (frozen for the
// whole script, as in Redis), and a blocking command answers at once as
// inside EXEC. Its reply is written to s.W. The server lock must be held.
func (e *Engine) RunForScript(s *Session, spec *Spec, args [][]byte) {
	e.run(s, spec, args, true)
	e.feedMonitor(s, spec, args)
}

// RejectForScript counts a command that a script tried to call and that
// was refused before running (wrong arity, noscript, a write from a
// read-only script…), as Redis counts a rejected call: the error in INFO
// errorstats and total_error_replies, and rejected_calls for the command
// when it exists.
func (e *Engine) RejectForScript(spec *Spec, msg string) {
	if spec != nil {
		spec.Rejected++
	}
	e.TotalErrors++
	e.CountError(msg)
}

// ErrorNoStats writes an error reply already counted in INFO errorstats
// and total_error_replies where it arose (the failed command of a script
// whose error the script returns): the command still counts as failed.
func (c *Ctx) ErrorNoStats(msg string) {
	c.failed = true
	c.noErrStats = true
	c.W.Error(msg)
}

// Target is a kind of propagation sink: where redis.set_repl may send a
// script's writes.
type Target uint8

const (
	// TargetAOF is the append-only file.
	TargetAOF Target = 1 << iota
	// TargetReplicas is the replication stream.
	TargetReplicas
	// TargetAll is every sink.
	TargetAll = TargetAOF | TargetReplicas
)

// SetScriptTargets sets where the running script's writes propagate from
// now on (redis.set_repl): TargetAll (the default, restored by the
// scripting engine when the script ends), TargetAOF, TargetReplicas, or 0
// for nowhere. The server lock must be held.
func (e *Engine) SetScriptTargets(t Target) { e.propSkip = TargetAll &^ t }
