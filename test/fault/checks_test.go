package fault

import (
	"strings"
	"testing"
	"time"
)

// The checkers' own tests: the suite's verdicts must be able to fail.

func TestLossViolationsFollowTheTargets(t *testing.T) {
	kill9, sf, shutdown := faultByName("kill9"), faultByName("sentinel-failover"), faultByName("shutdown")
	cellWith := func(lost map[string]int) *cell {
		c := &cell{modes: map[string]*modeResult{}}
		for row, n := range lost {
			c.modes[row] = &modeResult{acked: 100, lost: n}
		}
		return c
	}
	for _, tc := range []struct {
		name   string
		f      *fault
		minrep bool
		lost   map[string]int
		want   []string // substrings, one per violation
	}{
		{"waitall loss under kill9 fails", kill9, false, map[string]int{"async": 50, "wait1": 3, "waitall": 1}, []string{"mode waitall under kill9"}},
		{"async loss under kill9 is only reported", kill9, false, map[string]int{"async": 50, "wait1": 3, "waitall": 0}, nil},
		{"nothing is protected under sentinel-failover", sf, false, map[string]int{"async": 5, "wait1": 5, "waitall": 5}, nil},
		{"every mode is protected under shutdown", shutdown, false, map[string]int{"async": 1, "wait1": 0, "waitall": 2},
			[]string{"mode async under shutdown", "mode waitall under shutdown"}},
		{"min-replicas writes are protected under shutdown", shutdown, true, map[string]int{"async+minrep": 4}, []string{"mode async+minrep under shutdown"}},
		{"an unread count is a violation", kill9, false, map[string]int{"waitall": -1}, []string{"could not be read back"}},
	} {
		got := lossViolations(tc.f, tc.minrep, cellWith(tc.lost))
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d violations %q, want %d", tc.name, len(got), got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: violation %q does not name %q", tc.name, got[i], w)
			}
		}
	}
}

func TestUnavailabilityIsTheLongestGapWithoutAnAck(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms ...int) []ack {
		var out []ack
		for _, m := range ms {
			out = append(out, ack{at: t0.Add(time.Duration(m) * time.Millisecond)})
		}
		return out
	}
	end := t0.Add(10 * time.Second)
	for _, tc := range []struct {
		name string
		acks []ack
		want time.Duration
	}{
		{"no ack at all: the whole window", nil, 10 * time.Second},
		{"gap after the fault", at(3000, 3010, 9990), 6980 * time.Millisecond},
		{"gap from the fault to the first ack", at(6000, 6001, 9999), 6 * time.Second},
		{"gap up to the end", at(1, 2, 2500), 7500 * time.Millisecond},
		{"acks before the fault do not count", append(at(-500, -1), at(5000)...), 5 * time.Second},
		{"steady acks", at(1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000), time.Second},
	} {
		if got := unavailability(tc.acks, t0, end); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestUnavailabilityOfKeptWrites: acknowledged writes that were lost
// (an isolated master's) do not count as availability.
func TestUnavailabilityOfKeptWrites(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ak := func(key string, ms int) ack { return ack{key: key, at: t0.Add(time.Duration(ms) * time.Millisecond)} }
	acks := []ack{ak("a", 500), ak("b", 1000), ak("c", 2000), ak("d", 3000), ak("e", 6000)}
	lost := []ack{acks[2], acks[3]}
	end := t0.Add(7 * time.Second)
	if got := unavailability(acks, t0, end); got != 3*time.Second {
		t.Errorf("every ack: %v, want 3s", got)
	}
	kept := keptAcks(acks, lost)
	if len(kept) != 3 {
		t.Fatalf("kept %d acks, want 3", len(kept))
	}
	if got := unavailability(kept, t0, end); got != 5*time.Second {
		t.Errorf("kept acks: %v, want 5s", got)
	}
}

func TestRegisterModelCatchesALostWrite(t *testing.T) {
	c := &registerClient{id: 0}
	// set(a) acknowledged, then a read that no longer sees it: the lost
	// write of a failover.
	c.hist = []regOpRecord{
		{op: regOp{write: true, val: "a"}, call: 0, ret: 10},
		{op: regOp{}, out: "a", call: 20, ret: 30},
		{op: regOp{}, out: "", call: 40, ret: 50},
	}
	if res, _, _ := checkRegister([]*registerClient{c}, time.Second, "", ""); res != "Illegal" {
		t.Errorf("lost write: %s, want Illegal", res)
	}
	// A write whose outcome is unknown (no return) may take effect late.
	c.hist = []regOpRecord{
		{op: regOp{}, out: "", call: 0, ret: 5},
		{op: regOp{write: true, val: "b"}, call: 10, ret: 1 << 62},
		{op: regOp{}, out: "", call: 20, ret: 30},
		{op: regOp{}, out: "b", call: 40, ret: 50},
	}
	if res, _, _ := checkRegister([]*registerClient{c}, time.Second, "", ""); res != "Ok" {
		t.Errorf("late unknown write: %s, want Ok", res)
	}
}
