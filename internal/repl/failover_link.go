package repl

// The link machine's part in a FAILOVER of our own master side
// (failover.go): the PSYNC it sends carries FAILOVER (handshake, in
// linksync.go), and the answer ends the failover one way or the other.

// failoverReply acts on the answer to `PSYNC <replid> <offset> FAILOVER`.
// +CONTINUE or +FULLRESYNC: the target promoted itself and takes us as
// its replica, the failover is over (a full resync, which Redis accepts
// too, happens when the target was behind: FORCE). Anything else, an
// error, no answer or a broken line, gives the failover up: we are a
// master again, under a new history, as Redis's abortFailover does.
func (sm *linkMachine) failoverReply(w world, ev event, o *out) {
	switch ev.kind {
	case evReadError, evLineTooLong:
		o.log(logWarning, "Master did not reply to PSYNC, will try later")
		sm.failoverRejected(w, "Failover target rejected psync request", o)
		return
	case evLine:
	default:
		return
	}
	sm.lastIO = w.now
	line := ev.text
	if line == "" {
		o.add(action{kind: actReadLine, gen: sm.gen, d: sm.attempt.timeout})
		return
	}
	reply, err := parsePSYNCReply(line, sm.psyncAsked)
	switch {
	case err != nil:
		o.log(logWarning, "%s", err.Error())
	case reply.action == psyncFull || reply.action == psyncContinue:
		sm.failover, sm.psyncFailover = false, false
		o.add(action{kind: actFailoverDone})
		sm.psyncAnswered(w, line, reply, o)
		return
	case reply.action == psyncLater:
		o.log(logNotice, "Master is currently unable to PSYNC but should be in the future: %s", quoteLine(line))
	case len(line) >= 4 && line[:4] == "-ERR":
		o.log(logNotice, "Master does not support PSYNC or is in error state (reply: %s)", quoteLine(line))
	default:
		o.log(logWarning, "Unexpected reply to PSYNC from master: %s", quoteLine(line))
	}
	sm.failoverRejected(w, "Failover target rejected psync request", o)
}

// failoverRejected gives the failover up from the link's own step: the
// failover's end is reported (actFailoverAbort), we become a master as
// REPLICAOF NO ONE makes us, and the link's goroutine returns at once
// (nothing of it is left to wind down).
func (sm *linkMachine) failoverRejected(w world, reason string, o *out) {
	gen := sm.gen
	o.add(action{kind: actFailoverAbort, text: reason})
	sm.noOne(w, "", o)
	delete(sm.retired, gen)
	o.add(action{kind: actExit, gen: gen})
}
