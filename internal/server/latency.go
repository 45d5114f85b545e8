package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/latency"
)

// The latency monitor (LATENCY LATEST/HISTORY/RESET/GRAPH/DOCTOR) and
// per-command latency tracking (LATENCY HISTOGRAM, INFO latencystats), as
// Redis 7.0 has them. The monitor keeps, for each event whose duration
// reached latency-monitor-threshold, the worst latency of each second in a
// ring of 160 and the worst ever. Events Tandem records: "command" and
// "fast-command" (commands by their fast flag) and "expire-cycle" (active
// expiry). Redis's AOF, fork and eviction events are not recorded: the
// AOF writes outside the server lock the monitor lives under, and Tandem
// neither forks nor evicts.
//
// A container command has one histogram (CLIENT, not client|id as Redis
// counts them): Tandem's command table has no spec per subcommand.

const latencyRing = 160

type latencySample struct {
	time    int64 // unix seconds; 0 = empty
	latency int64 // ms
}

type latencySeries struct {
	samples [latencyRing]latencySample
	idx     int
	max     int64
}

// latencyMonitor holds the series by event (srv.mu guards it).
type latencyMonitor struct {
	events map[string]*latencySeries
}

// LatencySample records that event took ms milliseconds (srv.mu held), if
// latency-monitor-threshold is on and reached.
func (s *Server) LatencySample(event string, ms int64) {
	if th := s.set.LatencyMonitorThreshold; th > 0 && ms >= th {
		s.lat.add(event, ms, time.Now().Unix())
	}
}

func (m *latencyMonitor) add(event string, ms, now int64) {
	if m.events == nil {
		m.events = map[string]*latencySeries{}
	}
	ts := m.events[event]
	if ts == nil {
		ts = &latencySeries{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	// One sample per second: the worst of that second.
	prev := &ts.samples[(ts.idx+latencyRing-1)%latencyRing]
	if prev.time == now {
		prev.latency = max(prev.latency, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{time: now, latency: ms}
	ts.idx = (ts.idx + 1) % latencyRing
}

// recordLatency is the per-command part (srv.mu held): the command's
// histogram and the monitor's command events.
func (s *Server) recordLatency(spec *command.Spec, d time.Duration) {
	if s.set.LatencyTracking {
		if spec.Latency == nil {
			spec.Latency = &latency.Histogram{}
		}
		spec.Latency.Record(d.Nanoseconds())
	}
	if s.set.LatencyMonitorThreshold > 0 {
		event := "command"
		if spec.Flags&command.Fast != 0 {
			event = "fast-command"
		}
		s.LatencySample(event, d.Microseconds()/1000)
	}
}

func (s *Server) latencyCmd(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	m := &s.lat
	switch {
	case sub == "latest" && len(c.Args) == 2:
		names := m.sortedEvents()
		c.W.Array(len(names))
		for _, name := range names {
			ts := m.events[name]
			last := ts.samples[(ts.idx+latencyRing-1)%latencyRing]
			c.W.Array(4)
			c.W.BulkString(name)
			c.W.Int(last.time)
			c.W.Int(last.latency)
			c.W.Int(ts.max)
		}
	case sub == "history" && len(c.Args) == 3:
		ts := m.events[string(c.Args[2])]
		if ts == nil {
			c.W.Array(0)
			return
		}
		samples := ts.ordered()
		c.W.Array(len(samples))
		for _, sm := range samples {
			c.W.Array(2)
			c.W.Int(sm.time)
			c.W.Int(sm.latency)
		}
	case sub == "reset" && len(c.Args) >= 2:
		n := 0
		if len(c.Args) == 2 {
			n = len(m.events)
			m.events = nil
		} else {
			for _, a := range c.Args[2:] {
				if _, ok := m.events[string(a)]; ok {
					delete(m.events, string(a))
					n++
				}
			}
		}
		c.W.Int(int64(n))
	case sub == "graph" && len(c.Args) == 3:
		ts := m.events[string(c.Args[2])]
		if ts == nil {
			c.Error(fmt.Sprintf("ERR No samples available for event '%s'", command.CStr(c.Args[2])))
			return
		}
		c.W.Verbatim(latencyGraph(string(c.Args[2]), ts, time.Now().Unix()))
	case sub == "doctor" && len(c.Args) == 2:
		c.W.Verbatim(m.doctor())
	case sub == "histogram" && len(c.Args) >= 2:
		var specs []*command.Spec
		if len(c.Args) == 2 {
			specs = statSpecs(s.eng.Table)
		} else {
			add := func(sp *command.Spec) {
				if !slices.Contains(specs, sp) {
					specs = append(specs, sp)
				}
			}
			for _, a := range c.Args[2:] {
				// "config|get" names one subcommand; a container, all of
				// its subcommands, as in Redis.
				name, sub, isSub := strings.Cut(string(a), "|")
				sp := s.eng.Table.LookupOriginal([]byte(name))
				switch {
				case sp == nil:
				case isSub:
					sp.EachSubStats(func(st *command.Spec) {
						if strings.EqualFold(st.Name, sp.Name+"|"+sub) {
							add(st)
						}
					})
				default:
					add(sp)
					sp.EachSubStats(add)
				}
			}
		}
		var with []*command.Spec
		for _, sp := range specs {
			if sp.Latency != nil && sp.Latency.Total() > 0 {
				with = append(with, sp)
			}
		}
		c.W.Map(len(with))
		for _, sp := range with {
			c.W.BulkString(sp.Name)
			c.W.Map(2)
			c.W.BulkString("calls")
			c.W.Int(int64(sp.Latency.Total()))
			c.W.BulkString("histogram_usec")
			var pairs [][2]int64
			sp.Latency.Buckets(func(us int64, cum uint64) { pairs = append(pairs, [2]int64{us, int64(cum)}) })
			c.W.Map(len(pairs))
			for _, p := range pairs {
				c.W.Int(p[0])
				c.W.Int(p[1])
			}
		}
	case sub == "help" && len(c.Args) == 2:
		writeHelp(c, []string{
			"DOCTOR", "    Return a human readable latency analysis report.",
			"GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
			"HISTORY <event>", "    Return time-latency samples for the <event> class.",
			"LATEST", "    Return the latest latency samples for all events.",
			"RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
			"    (default: reset all data for all event classes)",
			"HISTOGRAM [COMMAND ...]", "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
			"    If no commands are specified then all histograms are replied.",
		})
	default:
		c.Error(subcommandError(c))
	}
}

func (m *latencyMonitor) sortedEvents() []string {
	names := make([]string, 0, len(m.events))
	for n := range m.events {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ordered returns the series' samples, oldest first.
func (ts *latencySeries) ordered() []latencySample {
	var out []latencySample
	for j := 0; j < latencyRing; j++ {
		if sm := ts.samples[(ts.idx+j)%latencyRing]; sm.time != 0 {
			out = append(out, sm)
		}
	}
	return out
}

// latencyGraph draws a series as columns of '#', one per sample, with
// the age of each sample below it (Tandem's own drawing; the header line
// is Redis's).
func latencyGraph(event string, ts *latencySeries, now int64) string {
	samples := ts.ordered()
	lo, hi := int64(-1), int64(0)
	for _, sm := range samples {
		hi = max(hi, sm.latency)
		if lo < 0 || sm.latency < lo {
			lo = sm.latency
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, max(lo, 0), ts.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	const rows = 8
	for r := rows; r >= 1; r-- {
		for _, sm := range samples {
			if hi > 0 && sm.latency*rows >= int64(r)*hi {
				b.WriteByte('#')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	// Ages, written vertically: "12s", "3m"…
	ages := make([]string, len(samples))
	width := 0
	for i, sm := range samples {
		ages[i] = shortAge(now - sm.time)
		width = max(width, len(ages[i]))
	}
	for row := 0; row < width; row++ {
		for _, a := range ages {
			if row < len(a) {
				b.WriteByte(a[row])
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func shortAge(secs int64) string {
	switch {
	case secs < 60:
		return strconv.FormatInt(secs, 10) + "s"
	case secs < 3600:
		return strconv.FormatInt(secs/60, 10) + "m"
	}
	return strconv.FormatInt(secs/3600, 10) + "h"
}

// doctor is LATENCY DOCTOR's report, in Tandem's words: per event, its
// samples, average, worst and when, and what usually causes it.
func (m *latencyMonitor) doctor() string {
	if len(m.events) == 0 {
		return "No latency spike was observed since this Tandem instance started (or since LATENCY RESET). " +
			"The latency monitor records events at or above latency-monitor-threshold: check that it is set (CONFIG GET latency-monitor-threshold).\n"
	}
	var b strings.Builder
	b.WriteString("Latency spikes observed by the latency monitor:\n\n")
	for i, name := range m.sortedEvents() {
		ts := m.events[name]
		samples := ts.ordered()
		var sum int64
		for _, sm := range samples {
			sum += sm.latency
		}
		avg := int64(0)
		if len(samples) > 0 {
			avg = sum / int64(len(samples))
		}
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, all time high %dms).\n", i+1, name, len(samples), avg, ts.max)
		if hint := latencyHint(name); hint != "" {
			fmt.Fprintf(&b, "   %s\n", hint)
		}
	}
	return b.String()
}

// latencyHint explains an event Tandem records.
func latencyHint(event string) string {
	switch event {
	case "command":
		return "Slow commands: check SLOWLOG GET for which ones, and avoid O(N) commands (KEYS, SMEMBERS, LRANGE 0 -1, SORT) on large values."
	case "fast-command":
		return "Commands flagged fast took long: the machine or its hypervisor may be stalling the process (check steal time and swapping)."
	case "expire-cycle":
		return "Active expiry removed many keys at once: many keys with the same expiry time expire together."
	}
	return ""
}
