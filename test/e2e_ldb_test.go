package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// The Lua debugger (SCRIPT DEBUG SYNC) end to end: a session driven over a
// raw connection on both ways Tandem serves clients, and redis-cli's
// --ldb-sync-mode against Tandem and redis-server side by side.

// ldbModes are the two ways a client is served; a session starts on
// either (a loop client leaves the loop for it).
var ldbModes = []struct {
	name string
	env  []string
}{{"loop", nil}, {"goroutine", []string{"TANDEM_CONN_MODE=goroutine"}}}

// TestLuaDebuggerSyncSessionBlocksServerAndKeepsWrites: the session
// answers the debugger's commands on the client's connection, nobody else
// is served meanwhile (SYNC blocks the server, as in Redis), the script's
// writes stay, and the connection closes after the EVAL's reply.
func TestLuaDebuggerSyncSessionBlocksServerAndKeepsWrites(t *testing.T) {
	t.Parallel()
	for _, m := range ldbModes {
		t.Run(m.name, func(t *testing.T) {
			srv := testutil.StartTandemEnv(t, m.env)
			rc := dialRaw(t, srv.Addr())
			if got := rc.do("SCRIPT", "DEBUG", "SYNC"); got != "+OK\r\n" {
				t.Fatalf("SCRIPT DEBUG SYNC = %q", got)
			}
			if got := rc.do("EVAL", "redis.call('set', KEYS[1], 'v')\nreturn redis.call('get', KEYS[1])", "1", "dbg"); got != "*2\r\n+* Stopped at 1, stop reason = step over\r\n+-> 1   redis.call('set', KEYS[1], 'v')\r\n" {
				t.Fatalf("first stop = %q", got)
			}
			other := dialRaw(t, srv.Addr())
			other.send(encode("GET", "dbg"))
			if got, err := other.tryRead(300 * time.Millisecond); err == nil {
				t.Fatalf("another client was served during the session: %q", got)
			}
			want := "*4\r\n+<redis> set dbg v\r\n+<reply> \"+OK\"\r\n+* Stopped at 2, stop reason = step over\r\n+-> 2   return redis.call('get', KEYS[1])\r\n"
			if got := rc.do("s"); got != want {
				t.Fatalf("step = %q, want %q", got, want)
			}
			if got := rc.do("c"); got != "*1\r\n+<endsession>\r\n" {
				t.Fatalf("continue = %q", got)
			}
			if got := rc.read(); got != "$1\r\nv\r\n" {
				t.Fatalf("EVAL replied %q", got)
			}
			rc.expectClosed(5 * time.Second)
			if got := other.read(); got != "$1\r\nv\r\n" {
				t.Fatalf("after the session, GET dbg = %q (the script's write is kept in SYNC mode)", got)
			}
		})
	}
}

// TestLuaDebuggerClientGoneScriptRunsOn: when the debugging client goes
// away, the script runs to its end without stopping and the server
// serves the others again.
func TestLuaDebuggerClientGoneScriptRunsOn(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	rc := dialRaw(t, srv.Addr())
	rc.do("SCRIPT", "DEBUG", "SYNC")
	rc.do("EVAL", "local n = 0\nfor i = 1, 10 do\n  n = n + i\nend\nredis.call('set', 'sum', n)", "0")
	rc.c.Close()
	other := dialRaw(t, srv.Addr())
	if got := other.do("GET", "sum"); got != "$2\r\n55\r\n" {
		t.Fatalf("GET sum = %q", got)
	}
}

// TestLuaDebuggerProtocolCases are the cases Redis's own suite checks:
// commands with NUL bytes are unknown debugger commands, "redis" with a
// hundred arguments reaches the unknown-command error, and the server
// stays fine; plus the refusals around a session.
func TestLuaDebuggerProtocolCases(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	rc := dialRaw(t, srv.Addr())
	rc.do("SCRIPT", "DEBUG", "SYNC")
	rc.do("EVAL", "return 'hello'", "0")
	for _, cmd := range []string{"hello\x00world", "hello\x00", "\x00hello", "\x00hello\x00"} {
		if got := rc.do(cmd); !strings.Contains(got, "Unknown Redis Lua debugger command") {
			t.Errorf("%q = %q", cmd, got)
		}
	}
	args := append([]string{"redis"}, strings.Split(strings.Repeat("test ", 100), " ")[:100]...)
	got := rc.do(args...)
	if !strings.Contains(got, "<redis> test test test test test test test test test test ... (89 more)") ||
		!strings.Contains(got, "<error> Unknown Redis command called from script") {
		t.Errorf("redis with 100 arguments = %q", got)
	}
	rc.c.Close()
	if got := dialRaw(t, srv.Addr()).do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after the session = %q", got)
	}

	c := dialRaw(t, srv.Addr())
	if got := c.do("SCRIPT", "DEBUG", "MAYBE"); got != "-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n" {
		t.Errorf("SCRIPT DEBUG MAYBE = %q", got)
	}
	c.send(append(encode("PING"), encode("SCRIPT", "DEBUG", "SYNC")...))
	c.read()
	if got := c.read(); got != "-ERR SCRIPT DEBUG must be called outside a pipeline\r\n" {
		t.Errorf("SCRIPT DEBUG in a pipeline = %q", got)
	}
	c.do("SCRIPT", "DEBUG", "SYNC")
	if got := c.do("EVALSHA", strings.Repeat("0", 40), "0"); got != "-ERR Please use EVAL instead of EVALSHA for debugging\r\n" {
		t.Errorf("EVALSHA in debug mode = %q", got)
	}
	if got := c.do("SCRIPT", "DEBUG", "NO"); got != "+OK\r\n" {
		t.Errorf("SCRIPT DEBUG NO = %q", got)
	}
	if got := c.do("EVAL", "return 1", "0"); got != ":1\r\n" {
		t.Errorf("EVAL after SCRIPT DEBUG NO = %q", got)
	}
}

// ldbScript exercises most debugger commands (see the inputs below).
const ldbScript = `local a = {1,2,"x\n"}
local b = redis.call('set', KEYS[1], ARGV[1])
redis.debug('hello', a, 3.5)
local function f(x)
  local y = x * 2
  return y
end
local c = f(21)
redis.breakpoint()
redis.call('nosuchcmd')
return redis.call('get', KEYS[1])
`

// ldbLoopScript is stepped line by line: where Lua 5.1's line hook stops
// in loops (the jump back to a for's, a while's or an until's line), on
// lines holding several statements, in a function on one line.
const ldbLoopScript = `local t = {}
for i = 1, 2 do
  t[i] = i
end
if #t == 2 then t[3] = 3 end
local n = 0 n = n + 1
do
  n = n + 1
end
while n < 4 do n = n + 1 end
for k, v in ipairs({10, 20}) do
  n = n + v
end
for i = 1, 2 do n = n + i end
for i = 1, 2 do
  if i == 2 then
    break
  end
end
local function h(x) if x > 0 then return x end return -x end
n = n + h(-3)
while false do end
repeat
  n = n + 1
until n > 40
return n
`

// functionAddr hides the addresses the debugger prints for functions.
var functionAddr = regexp.MustCompile(`function@0x[0-9a-f]+`)

// TestLuaDebuggerRedisCLIMatchesRedis runs the same redis-cli
// --ldb-sync-mode session against Tandem and redis-server 7.0.15 and
// compares everything redis-cli prints.
func TestLuaDebuggerRedisCLIMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	dir := t.TempDir()
	file, loops := filepath.Join(dir, "debug.lua"), filepath.Join(dir, "loops.lua")
	for name, body := range map[string]string{file: ldbScript, loops: ldbLoopScript} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ mode, file, input string }{
		{"--ldb-sync-mode", file, "s\ns\np\np a\np KEYS\np nope\nb 8\nb\nb x\nb 99\nt\ne 1+1\ne x=\ne (nil)()\nr get foo\nr set\nr\nm 10\nm\nm 0\nl\nl 9 1\nw\nc\ns\ns\nt\np\ns\ns\nh\nzz\nb 0\nb -3\nc\n"},
		{"--ldb-sync-mode", file, "b 10\nc\nr incr n\na\n"},
		{"--ldb-sync-mode", file, "c\nc\n"},
		{"--ldb-sync-mode", loops, strings.Repeat("s\n", 60)},
		// The forked sessions (redis-cli's default): same output, and
		// "dataset changes rolled back".
		{"--ldb", file, "s\ns\np\nr incr forked\nc\nc\n"},
		{"--ldb", file, "b 10\nc\na\n"},
	} {
		file, input := tc.file, tc.input
		args := []string{tc.mode, "--eval", file, "foo", ",", "bar"}
		got, gc := cli(t, tandem.Port, 20*time.Second, []byte(input), args...)
		want, wc := cli(t, ref.Port, 20*time.Second, []byte(input), args...)
		got, want = functionAddr.ReplaceAllString(got, "function@ADDR"), functionAddr.ReplaceAllString(want, "function@ADDR")
		// The EVAL's error names the script by its SHA1 on both.
		if got != want || gc != wc {
			t.Errorf("input %q:\n--- tandem (exit %d)\n%s\n--- redis (exit %d)\n%s", input, gc, got, wc, want)
		}
	}
	for _, p := range []*testutil.Proc{tandem, ref} {
		if got := dialRaw(t, p.Addr()).do("GET", "n"); got != "$1\r\n1\r\n" {
			t.Errorf("port %d: the aborted session's write: GET n = %q (SYNC keeps it)", p.Port, got)
		}
		if got := dialRaw(t, p.Addr()).do("GET", "forked"); got != "$-1\r\n" {
			t.Errorf("port %d: a forked session's write: GET forked = %q (YES rolls it back)", p.Port, got)
		}
	}
}

// TestLuaDebuggerForkedSessionKeepsServing: under SCRIPT DEBUG YES the
// session runs on a copy of the dataset while the server serves the
// others, and what the script writes never reaches the dataset.
func TestLuaDebuggerForkedSessionKeepsServing(t *testing.T) {
	t.Parallel()
	for _, m := range ldbModes {
		t.Run(m.name, func(t *testing.T) {
			srv := testutil.StartTandemEnv(t, m.env)
			other := dialRaw(t, srv.Addr())
			other.do("SET", "k", "before")
			rc := dialRaw(t, srv.Addr())
			if got := rc.do("SCRIPT", "DEBUG", "YES"); got != "+OK\r\n" {
				t.Fatalf("SCRIPT DEBUG YES = %q", got)
			}
			if got := rc.do("EVAL", "redis.call('set', 'k', 'after')\nredis.call('set', 'new', '1')\nreturn redis.call('get', 'k')", "0"); !strings.Contains(got, "* Stopped at 1") {
				t.Fatalf("first stop = %q", got)
			}
			if got := other.do("GET", "k"); got != "$6\r\nbefore\r\n" {
				t.Fatalf("GET k during the session = %q", got)
			}
			rc.do("s")
			rc.do("s")
			if got := other.do("EXISTS", "k", "new"); got != ":1\r\n" {
				t.Fatalf("the session's writes leaked while it runs: EXISTS k new = %q", got)
			}
			if got := rc.do("c"); got != "*1\r\n+<endsession>\r\n" {
				t.Fatalf("continue = %q", got)
			}
			if got := rc.read(); got != "$5\r\nafter\r\n" {
				t.Fatalf("EVAL replied %q (the session sees its own writes)", got)
			}
			rc.expectClosed(5 * time.Second)
			if got := other.do("GET", "k"); got != "$6\r\nbefore\r\n" {
				t.Fatalf("GET k after the session = %q: its writes were not rolled back", got)
			}
		})
	}
}
