package test

// The process title (set-proc-title, proc-title-template): what ps and
// /proc/<pid>/cmdline show, the same on Tandem and on Redis.

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// cmdline is what /proc shows as pid's command line, its zero bytes as
// spaces and trimmed, as ps shows it.
func cmdline(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

func TestProcTitleLikeRedis(t *testing.T) {
	t.Parallel()
	for _, srv := range []struct {
		name  string
		start func(testing.TB, ...string) *testutil.Proc
	}{{"tandem", startTandem}, {"redis", startRedis}} {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			ctx := ctxFor(t, 10*time.Second)
			p := srv.start(t)
			pid, port := p.Cmd.Process.Pid, strconv.Itoa(p.Port)
			argv0 := p.Cmd.Args[0]
			if got, want := cmdline(t, pid), argv0+" 127.0.0.1:"+port; got != want {
				t.Fatalf("title at start %q, want %q", got, want)
			}
			c := newClient(t, p.Addr(), 2)
			// Longer than the arguments were: the title runs on over the
			// environment's memory, as far as it goes (how far depends on
			// the environment: only a prefix is sure).
			long := strings.Repeat("x", 300)
			mustDo(t, ctx, c, "CONFIG", "SET", "proc-title-template", "TEST {title} {listen-addr} {port} {tls-port} "+long)
			got, want := cmdline(t, pid), "TEST "+argv0+" 127.0.0.1:"+port+" "+port+" 0 "
			if rest, ok := strings.CutPrefix(got, want); !ok || rest == "" || !strings.HasPrefix(long, rest) {
				t.Fatalf("title after CONFIG SET %q, want %q and x's", got, want)
			}
			err := c.Do(ctx, "CONFIG", "SET", "proc-title-template", "{invalid-var}").Err()
			if err == nil || !strings.Contains(err.Error(), "template format is invalid") {
				t.Fatalf("a bad template: %v", err)
			}
			mustDo(t, ctx, c, "CONFIG", "SET", "proc-title-template", "{title} {listen-addr} {server-mode}")
			if got, want := cmdline(t, pid), argv0+" 127.0.0.1:"+port; got != want {
				t.Fatalf("title back to the default %q, want %q", got, want)
			}
		})
	}
}

// set-proc-title no leaves the command line as it was run.
func TestProcTitleOff(t *testing.T) {
	t.Parallel()
	p := startTandem(t, "--set-proc-title", "no")
	if got, want := cmdline(t, p.Cmd.Process.Pid), strings.Join(p.Cmd.Args, " "); got != want {
		t.Fatalf("command line %q, want %q", got, want)
	}
}
