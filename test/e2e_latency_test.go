package test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLatencyRepliesMatchRedis: the LATENCY subcommands whose replies do
// not depend on timing, byte for byte with Redis 7.0, in RESP2 and RESP3.
func TestLatencyRepliesMatchRedis(t *testing.T) {
	runTypeDiff(t, []diffCase{
		{name: "latency", cmds: []string{
			"LATENCY RESET", "LATENCY LATEST", "LATENCY HISTORY command", "LATENCY GRAPH command",
			"LATENCY RESET command nosuch", "LATENCY HELP", "LATENCY nosuch", "LATENCY HISTORY", "LATENCY GRAPH",
			"LATENCY LATEST extra", "LATENCY DOCTOR extra", "LATENCY HISTOGRAM nosuchcommand",
			"?LATENCY DOCTOR", "GET k", "?LATENCY HISTOGRAM get", "?LATENCY HISTOGRAM",
		}},
	})
}

// TestLatencyMonitorRecordsSlowCommands: with latency-monitor-threshold
// set, a slow command is an event LATENCY LATEST, HISTORY, GRAPH and
// DOCTOR show, until LATENCY RESET.
func TestLatencyMonitorRecordsSlowCommands(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	c := newClient(t, startTandem(t, "--enable-debug-command", "yes").Addr(), 2)
	mustDo(t, ctx, c, "CONFIG", "SET", "latency-monitor-threshold", "20")
	mustDo(t, ctx, c, "DEBUG", "SLEEP", "0.05")
	mustDo(t, ctx, c, "SET", "quick", "1") // below the threshold: no event
	latest := mustDo(t, ctx, c, "LATENCY", "LATEST").([]any)
	if len(latest) != 1 {
		t.Fatalf("LATENCY LATEST: %v", latest)
	}
	ev := latest[0].([]any)
	if ev[0] != "command" || ev[2].(int64) < 50 || ev[3].(int64) < 50 || time.Now().Unix()-ev[1].(int64) > 5 {
		t.Errorf("event %v", ev)
	}
	if h := mustDo(t, ctx, c, "LATENCY", "HISTORY", "command").([]any); len(h) != 1 {
		t.Errorf("LATENCY HISTORY: %v", h)
	}
	graph := mustDo(t, ctx, c, "LATENCY", "GRAPH", "command").(string)
	if !regexp.MustCompile(`^command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n`).MatchString(graph) || !strings.Contains(graph, "#") {
		t.Errorf("LATENCY GRAPH:\n%s", graph)
	}
	if doc := mustDo(t, ctx, c, "LATENCY", "DOCTOR").(string); !strings.Contains(doc, "command: 1 latency spikes") {
		t.Errorf("LATENCY DOCTOR:\n%s", doc)
	}
	if n := mustDo(t, ctx, c, "LATENCY", "RESET"); n != int64(1) {
		t.Errorf("LATENCY RESET: %v", n)
	}
	if l := mustDo(t, ctx, c, "LATENCY", "LATEST").([]any); len(l) != 0 {
		t.Errorf("after RESET: %v", l)
	}
}

// TestLatencyTrackingInfoAndHistogram: per-command histograms in INFO
// latencystats (with the configured percentiles) and LATENCY HISTOGRAM.
func TestLatencyTrackingInfoAndHistogram(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	c := newClient(t, startTandem(t).Addr(), 3)
	for i := 0; i < 50; i++ {
		c.Set(ctx, "k", "v", 0)
		c.Get(ctx, "k")
	}
	info := c.Info(ctx, "latencystats").Val()
	re := regexp.MustCompile(`(?m)^latency_percentiles_usec_get:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r$`)
	if !re.MatchString(info) {
		t.Errorf("INFO latencystats:\n%s", info)
	}
	mustDo(t, ctx, c, "CONFIG", "SET", "latency-tracking-info-percentiles", "50 99.5")
	if info := c.Info(ctx, "latencystats").Val(); !regexp.MustCompile(`(?m)^latency_percentiles_usec_set:p50=\d+\.\d{3},p99\.5=\d+\.\d{3}\r$`).MatchString(info) {
		t.Errorf("INFO latencystats with 50 99.5:\n%s", info)
	}
	h := mustDo(t, ctx, c, "LATENCY", "HISTOGRAM", "get", "GET", "nosuch").(map[any]any)
	get, ok := h["get"].(map[any]any)
	if len(h) != 1 || !ok || get["calls"] != int64(50) {
		t.Fatalf("LATENCY HISTOGRAM get: %v", h)
	}
	buckets := get["histogram_usec"].(map[any]any)
	var last int64
	for _, v := range buckets {
		last = max(last, v.(int64))
	}
	if len(buckets) == 0 || last != 50 {
		t.Errorf("histogram_usec %v: the last bucket must count every call", buckets)
	}
	mustDo(t, ctx, c, "CONFIG", "SET", "latency-tracking", "no")
	if info := c.Info(ctx, "latencystats").Val(); strings.Contains(info, "latency_percentiles") {
		t.Errorf("latency-tracking no still shows:\n%s", info)
	}
}

// TestLolwut: our own art, then the version; VERSION takes an integer.
func TestLolwut(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	c := newClient(t, startTandem(t).Addr(), 2)
	out := mustDo(t, ctx, c, "LOLWUT").(string)
	if !strings.Contains(out, "Tandem ver. ") || !strings.HasSuffix(out, "(Redis ver. 7.0.15 compatible)\n") {
		t.Errorf("LOLWUT:\n%s", out)
	}
	if err := c.Do(ctx, "LOLWUT", "VERSION", "x").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Errorf("LOLWUT VERSION x: %v", err)
	}
}
