package test

// repl-diskless-sync-delay as Redis 7.0 counts it (issue 21: after a
// failover, the promoted master's replicas resync, and WAIT on it waits for
// them; Tandem checked the delay once a second, so a delay of 1 took 1 to
// 2 s where Redis takes 0 to 1 s).

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// logStamp matches a log line's time (Redis's format) and its message.
var logStamp = regexp.MustCompile(`^\d+:[A-Z] \d+ \w+ \d+ (\d\d:\d\d:\d\d\.\d\d\d) [*#.-] (.*)$`)

// logTimes returns the times of the log lines whose message contains
// sub, in order.
func logTimes(t *testing.T, log, sub string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, l := range strings.Split(log, "\n") {
		m := logStamp.FindStringSubmatch(l)
		if m == nil || !strings.Contains(m[2], sub) {
			continue
		}
		at, err := time.Parse("15:04:05.000", m[1])
		if err != nil {
			t.Fatalf("log time %q: %v", m[1], err)
		}
		out = append(out, at)
	}
	return out
}

// TestDisklessSyncDelayCountsWholeSeconds: with repl-diskless-sync-delay
// 1, a full sync starts once the clock's second has changed since the
// replica asked (as Redis counts it), within a tick: never a second or
// more after that.
func TestDisklessSyncDelayCountsWholeSeconds(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "1")
	mustDo(t, ctx, m.c, "SET", "k", "v")
	const rounds = 3
	for i := 0; i < rounds; i++ {
		r := startReplTandem(t, fmt.Sprintf("replica%d", i))
		r.replicaOf(t, ctx, m.port())
		waitLinkUp(t, ctx, r)
		r.proc.Stop() // the next replica syncs alone
	}
	log := m.proc.LogText()
	asked := logTimes(t, log, " asks for synchronization")
	starts := logTimes(t, log, "Starting BGSAVE for SYNC")
	if len(asked) != rounds || len(starts) != rounds {
		t.Fatalf("%d requests and %d sync starts in the log, want %d:\n%s", len(asked), len(starts), rounds, tailText(log, 40))
	}
	for i := range asked {
		// The first whole second after the request, plus a tick (100 ms)
		// and some slack for a loaded machine.
		due := asked[i].Truncate(time.Second).Add(time.Second)
		if starts[i].Before(due) {
			t.Errorf("sync %d started at %v, before the second after the request (%v)", i, starts[i].Format("15:04:05.000"), asked[i].Format("15:04:05.000"))
		}
		if late := starts[i].Sub(due); late > 300*time.Millisecond {
			t.Errorf("sync %d started %v after the second following the request (%v → %v)", i, late, asked[i].Format("15:04:05.000"), starts[i].Format("15:04:05.000"))
		}
	}
}
