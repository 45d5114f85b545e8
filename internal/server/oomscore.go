package server

// oom-score-adj: the server sets its own process's OOM score, so that
// under memory pressure the kernel kills replicas before masters (Redis's
// rule and defaults: oom-score-adj-values "0 200 800" for a master, a
// replica and a background child; Tandem has no child). "yes"/"relative"
// adds the value to the score the process started with, "absolute" writes
// it as it is; "no" after one of them puts the starting score back.

// oomScore is what the server did to its score.
type oomScore struct {
	adjusted bool // the score is ours, base is the one found at first
	base     int
}

// applyOOMScore writes the score the settings and the role ask for
// (srv.mu held, or during New). A failure is logged, as Redis logs it.
func (s *Server) applyOOMScore() {
	var val int
	switch {
	case s.set.OOMScoreAdj != 0:
		if !s.oom.adjusted {
			base, err := readOOMScoreAdj()
			if err != nil {
				s.log.Warningf("Unable to read oom_score_adj: %v", err)
				return
			}
			s.oom.base, s.oom.adjusted = base, true
		}
		class := 0
		if s.replica.Load() {
			class = 1
		}
		val = s.set.OOMScoreAdjValues[class]
		if s.set.OOMScoreAdj == 1 {
			val += s.oom.base
		}
		val = min(max(val, -1000), 1000)
	case s.oom.adjusted:
		val, s.oom.adjusted = s.oom.base, false
	default:
		return
	}
	if err := writeOOMScoreAdj(val); err != nil {
		s.log.Warningf("Unable to write oom_score_adj: %v", err)
	}
}
