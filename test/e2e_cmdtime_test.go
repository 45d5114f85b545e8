package test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Pipelined commands share clock readings (the end of one is the start of
// the next), but a command that waited for a CLIENT PAUSE before running
// must not be charged the wait: SLOWLOG and INFO commandstats time only
// the command, as Redis does. Both connection modes: the event loop ends
// its batch at a pause, a goroutine client waits inside it.
func TestCommandTimesLeaveOutPauses(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"evloop", "goroutine"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var env []string
			if mode == "goroutine" {
				env = []string{"TANDEM_CONN_MODE=goroutine"}
			}
			// hz 1: the clock's base moves once a second, so the pause
			// mostly falls between two moves (a move alone would restart
			// the chain and hide a missing restart).
			srv := testutil.StartTandemEnv(t, env, "--hz", "1")
			admin := dialRaw(t, srv.Addr())
			for _, cmd := range [][]string{
				{"CONFIG", "SET", "slowlog-log-slower-than", "100000"},
				{"SLOWLOG", "RESET"},
				{"CONFIG", "RESETSTAT"},
			} {
				if got := admin.do(cmd...); got != "+OK\r\n" {
					t.Fatalf("%v = %q", cmd, got)
				}
			}
			if got := admin.do("CLIENT", "PAUSE", "250", "WRITE"); got != "+OK\r\n" {
				t.Fatalf("CLIENT PAUSE = %q", got)
			}
			rc := dialRaw(t, srv.Addr())
			start := time.Now()
			// One write: the GETs run at once, the SET waits for the pause.
			rc.send(append(append(encode("GET", "k"), encode("SET", "k", "v")...), encode("GET", "k")...))
			for i, want := range []string{"$-1\r\n", "+OK\r\n", "$1\r\nv\r\n"} {
				if got := rc.read(); got != want {
					t.Fatalf("reply %d = %q, want %q", i, got, want)
				}
			}
			if waited := time.Since(start); waited < 200*time.Millisecond {
				t.Fatalf("the SET did not wait for the pause (%v)", waited)
			}
			if got := admin.do("SLOWLOG", "LEN"); got != ":0\r\n" {
				t.Errorf("SLOWLOG LEN = %q after a pause of 250 ms, want no command over 100 ms: %q", got, admin.do("SLOWLOG", "GET"))
			}
			stats := infoFields(admin.do("INFO", "commandstats"))
			for _, name := range []string{"set", "get"} {
				v, ok := stats["cmdstat_"+name]
				if !ok {
					t.Fatalf("no cmdstat_%s in %v", name, stats)
				}
				var usec int64 = -1
				for _, f := range strings.Split(v, ",") {
					if n, ok := strings.CutPrefix(f, "usec="); ok {
						usec, _ = strconv.ParseInt(n, 10, 64)
					}
				}
				if usec < 0 || usec > 50000 {
					t.Errorf("cmdstat_%s:%s: usec %d, want the commands' own time (under 50 ms)", name, v, usec)
				}
			}
		})
	}
}
