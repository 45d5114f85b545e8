package fault

// The table: fault × write mode → acknowledged / lost / unavailability /
// full syncs, Redis and Tandem side by side, plus one line per fault and
// server for failovers, the register's linearizability and notes.

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

type cellKey struct {
	fault  string
	minrep bool
	impl   string
}

// cell sums one group's reps.
type cell struct {
	reps, failovers int
	fullSyncs       int64
	modes           map[string]*modeResult
	lin             map[porcupine.CheckResult]int
	linPaths        []string
	notes           []string
	skipped         string
}

type table struct {
	cfg   *suiteConfig
	mu    sync.Mutex
	cells map[cellKey]*cell
	order []cellKey // first-seen order of (fault, minrep), impl ""
}

func (tb *table) cellLocked(f *fault, minrep bool, im string) *cell {
	k := cellKey{f.name, minrep, im}
	c := tb.cells[k]
	if c == nil {
		c = &cell{modes: map[string]*modeResult{}, lin: map[porcupine.CheckResult]int{}}
		tb.cells[k] = c
		row := cellKey{f.name, minrep, ""}
		seen := false
		for _, o := range tb.order {
			seen = seen || o == row
		}
		if !seen {
			tb.order = append(tb.order, row)
		}
	}
	return c
}

func (tb *table) get(f *fault, minrep bool, im string) *cell {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.cellLocked(f, minrep, im)
}

func (tb *table) skip(f *fault, minrep bool, im, why string) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.cellLocked(f, minrep, im).skipped = why
}

func (tb *table) add(f *fault, minrep bool, im string, rr *repResult) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	c := tb.cellLocked(f, minrep, im)
	c.reps++
	if rr.failedOver {
		c.failovers++
	}
	c.fullSyncs += rr.fullSyncs
	c.lin[rr.lin]++
	if rr.linPath != "" {
		c.linPaths = append(c.linPaths, rr.linPath)
	}
	for _, e := range []string{rr.faultErr, rr.settleErr, rr.checkErr} {
		if e != "" {
			c.notes = append(c.notes, fmt.Sprintf("rep %d: %s", c.reps-1, e))
		}
	}
	for row, mr := range rr.modes {
		s := c.modes[row]
		if s == nil {
			s = &modeResult{errs: map[string]int{}}
			c.modes[row] = s
		}
		s.attempts += mr.attempts
		s.acked += mr.acked
		if mr.lost < 0 || s.lost < 0 {
			s.lost = -1
		} else {
			s.lost += mr.lost
		}
		s.unavail = max(s.unavail, mr.unavail)
		s.unavailKept = max(s.unavailKept, mr.unavailKept)
		s.staleAcks = max(s.staleAcks, mr.staleAcks)
		for k, v := range mr.errs {
			s.errs[k] += v
		}
	}
}

var implNames = []string{"redis", "tandem"}

func (tb *table) render() string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	pos := func(k cellKey) int {
		i := slices.Index(tb.cfg.faults, k.fault)
		if k.minrep {
			i += len(tb.cfg.faults)
		}
		return i
	}
	sort.SliceStable(tb.order, func(i, j int) bool { return pos(tb.order[i]) < pos(tb.order[j]) })
	var b strings.Builder
	mode := "short"
	if tb.cfg.long {
		mode = "long"
	}
	fmt.Fprintf(&b, "Fault suite, %s mode: %d fault(s) of each kind per group, %d writer(s) per write mode at ≤%d writes/s each, seed %d, down-after %v, pause %v, partition %v, min-replicas-max-lag %d s.\n\n",
		mode, tb.cfg.reps, tb.cfg.writers, tb.cfg.rate, tb.cfg.seed, tb.cfg.downAfter, tb.cfg.pauseTime, tb.cfg.partitionTime, tb.cfg.maxLag)
	b.WriteString("| fault | write mode | Redis acked | Redis lost | Redis unavail (s) | Redis unavail, kept writes (s) | Redis full syncs | Tandem acked | Tandem lost | Tandem unavail (s) | Tandem unavail, kept writes (s) | Tandem full syncs |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, row := range tb.order {
		fname := row.fault
		ran := false
		for _, im := range implNames {
			if c := tb.cells[cellKey{row.fault, row.minrep, im}]; c != nil && c.reps > 0 {
				ran = true
			}
		}
		if !ran { // skipped for every server: one line says why
			why := ""
			for _, im := range implNames {
				if c := tb.cells[cellKey{row.fault, row.minrep, im}]; c != nil && c.skipped != "" {
					why = c.skipped
				}
			}
			fmt.Fprintf(&b, "| %s | all | skipped: %s | | | | | | | | | |\n", fname, why)
			continue
		}
		for _, m := range modesFor(row.minrep) {
			rm := rowMode(m, row.minrep)
			fmt.Fprintf(&b, "| %s | %s |", fname, rm)
			for _, im := range implNames {
				c := tb.cells[cellKey{row.fault, row.minrep, im}]
				switch {
				case c == nil:
					b.WriteString(" – | – | – | – | – |")
				case c.skipped != "" && c.reps == 0:
					b.WriteString(" skipped | | | | |")
				default:
					mr := c.modes[rm]
					if mr == nil {
						b.WriteString(" – | – | – | – | – |")
						continue
					}
					lost := fmt.Sprint(mr.lost)
					if mr.lost < 0 {
						lost = "?"
					}
					fmt.Fprintf(&b, " %d | %s | %.2f | %.2f | %d |", mr.acked, lost, mr.unavail.Seconds(), mr.unavailKept.Seconds(), c.fullSyncs)
				}
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\nPer group: faults struck, failovers seen, old master's acks after the fault (longest, any mode), the register's linearizability (porcupine), notes.\n\n")
	b.WriteString("| fault | server | faults | failovers | old-master acks (s) | register | notes |\n|---|---|--:|--:|--:|---|---|\n")
	for _, row := range tb.order {
		fname := row.fault
		if row.minrep {
			fname += " (minrep)"
		}
		for _, im := range implNames {
			c := tb.cells[cellKey{row.fault, row.minrep, im}]
			if c == nil {
				continue
			}
			if c.reps == 0 {
				fmt.Fprintf(&b, "| %s | %s | 0 | | | | skipped: %s |\n", fname, im, c.skipped)
				continue
			}
			var stale time.Duration
			for _, mr := range c.modes {
				stale = max(stale, mr.staleAcks)
			}
			var lin []string
			for _, r := range []porcupine.CheckResult{porcupine.Ok, porcupine.Illegal, porcupine.Unknown} {
				if c.lin[r] > 0 {
					lin = append(lin, fmt.Sprintf("%s×%d", strings.ToLower(string(r)), c.lin[r]))
				}
			}
			notes := append([]string{}, c.notes...)
			notes = append(notes, errSummary(c)...)
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %.2f | %s | %s |\n", fname, im, c.reps, c.failovers, stale.Seconds(),
				strings.Join(lin, " "), strings.ReplaceAll(strings.Join(notes, "; "), "|", "/"))
		}
	}
	return b.String()
}

// errSummary lists the errors writers saw, by kind, per mode.
func errSummary(c *cell) []string {
	var rows []string
	for row := range c.modes {
		rows = append(rows, row)
	}
	sort.Strings(rows)
	var out []string
	for _, row := range rows {
		mr := c.modes[row]
		var kinds []string
		for k, v := range mr.errs {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, v))
		}
		if len(kinds) == 0 {
			continue
		}
		sort.Strings(kinds)
		out = append(out, fmt.Sprintf("%s errors: %s", row, strings.Join(kinds, ", ")))
	}
	return out
}
