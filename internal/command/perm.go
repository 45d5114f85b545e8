package command

// PermContext is where a command's permissions are checked: a client's
// own call (queued in MULTI or not), EXEC running what was queued, or a
// script's redis.call.
type PermContext int

// Permission check contexts.
const (
	PermCall PermContext = iota
	PermExec
	PermScript
)

// PermChecker is the ACL's view of the dispatch: it decides whether the
// session's user may run a call, logs a refusal and answers its error
// reply text ("" to let it run). caller is the client whose command is
// running (for a script, the one that ran it). The server lock is held.
type PermChecker interface {
	CheckPerm(s, caller *Session, spec *Spec, args [][]byte, ctx PermContext) string
	// ReadsAnyKey reports whether the session's user may run the call and
	// read every key (SORT's BY and GET patterns need it).
	ReadsAnyKey(s *Session, spec *Spec, args [][]byte) bool
}

// ReadsAnyKey reports whether the running command's user may read any key
// at all (Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess): SORT refuses
// its BY and GET patterns otherwise, since they name keys the ACL cannot
// see beforehand.
func (c *Ctx) ReadsAnyKey() bool {
	if c.E.Perm == nil || c.S.Flags&FlagMaster != 0 {
		return true
	}
	return c.E.Perm.ReadsAnyKey(c.S, c.Spec, c.Args)
}

// CheckPerm asks the ACL whether a script's session may call spec: the
// refusal text, or "". The scripting engine calls it in Redis's order
// (after the arity, noscript and stale checks).
func (e *Engine) CheckPerm(s *Session, spec *Spec, args [][]byte) string {
	if e.Perm == nil {
		return ""
	}
	caller := e.top
	if caller == nil {
		caller = s
	}
	return e.Perm.CheckPerm(s, caller, spec, args, PermScript)
}

// unrestrictedAsker is a PermChecker that can tell a user who may run
// everything (every command, key and channel) from the others.
type unrestrictedAsker interface {
	Unrestricted(s *Session) bool
}

// PermFree reports whether the session's user may run every command on
// every key and channel, so that CheckPerm would let any call through: a
// script asks once per run instead of once per redis.call (the answer
// holds while the ACL does not change, which no other client can do while
// a script runs).
func (e *Engine) PermFree(s *Session) bool {
	if e.Perm == nil {
		return true
	}
	a, ok := e.Perm.(unrestrictedAsker)
	return ok && a.Unrestricted(s)
}
