package test

// Busy scripts: past busy-reply-threshold other clients get BUSY, SCRIPT
// KILL stops a script that has not written (even one that catches errors
// with pcall), a script that wrote is UNKILLABLE, and a script that grows
// the heap without bound is stopped by the memory cap.

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// waitReady waits until the server answers PING (not LOADING).
func waitReady(t *testing.T, rc *rawConn) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, "server ready", func() bool { return rc.do("PING") == "+PONG\r\n" })
}

// tryRead0 sends one command and waits at most d for its reply.
func (rc *rawConn) tryRead0(cmd string, d time.Duration) (string, error) {
	rc.send(encode(cmd))
	return rc.tryRead(d)
}

func waitBusy(t *testing.T, rc *rawConn) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, "script busy", func() bool {
		return strings.HasPrefix(rc.do("PING"), "-BUSY")
	})
}

func TestScriptBusyAnswersBusyAndScriptKillStopsIt(t *testing.T) {
	srv := startTandem(t)
	other := dialRaw(t, srv.Addr())
	waitReady(t, other)
	if r := other.do("CONFIG", "SET", "lua-time-limit", "10"); r != "+OK\r\n" {
		t.Fatal(r)
	}
	for _, body := range []string{
		"while true do end",
		"local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
	} {
		runner := dialRaw(t, srv.Addr())
		runner.send(encode("EVAL", body, "0"))
		waitBusy(t, other)
		if r := other.do("PING"); r != "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n" {
			t.Fatalf("PING while busy = %q", r)
		}
		// A client that connects now is admitted and told BUSY too, as
		// by Redis (not left without an answer until the script ends).
		late := dialRaw(t, srv.Addr())
		if r, err := late.tryRead0("PING", 3*time.Second); err != nil || !strings.HasPrefix(r, "-BUSY") {
			t.Fatalf("PING from a client that connected while busy = %q, %v", r, err)
		}
		if r := other.do("SCRIPT", "KILL"); r != "+OK\r\n" {
			t.Fatalf("SCRIPT KILL = %q", r)
		}
		got := runner.read()
		if !strings.Contains(got, "Script killed by user with SCRIPT KILL...") {
			t.Fatalf("killed script replied %q", got)
		}
		if r := runner.do("PING"); r != "+PONG\r\n" {
			t.Fatalf("script's client after kill: %q", r)
		}
		if r := other.do("PING"); r != "+PONG\r\n" {
			t.Fatalf("after kill: %q", r)
		}
	}
	if r := other.do("SCRIPT", "KILL"); r != "-NOTBUSY No scripts in execution right now.\r\n" {
		t.Fatalf("SCRIPT KILL idle = %q", r)
	}
}

func TestScriptThatWroteIsUnkillable(t *testing.T) {
	srv := startTandem(t)
	other := dialRaw(t, srv.Addr())
	waitReady(t, other)
	other.do("CONFIG", "SET", "lua-time-limit", "10")
	runner := dialRaw(t, srv.Addr())
	// The script ends by itself after a bounded loop.
	runner.send(encode("EVAL", "redis.call('set', KEYS[1], 'y') local t = redis.call('time') local n = 0 while true do n = n + 1 local now = redis.call('time') if (now[1] - t[1]) * 1000000 + (now[2] - t[2]) > 1500000 then break end end return 'done'", "1", "x"))
	waitBusy(t, other)
	if r := other.do("SCRIPT", "KILL"); !strings.HasPrefix(r, "-UNKILLABLE Sorry the script already executed write commands") {
		t.Fatalf("SCRIPT KILL = %q", r)
	}
	if r := other.do("GET", "x"); !strings.HasPrefix(r, "-BUSY") {
		t.Fatalf("GET while busy = %q", r)
	}
	if r, err := runner.tryRead(60 * time.Second); err != nil || r != "$4\r\ndone\r\n" {
		t.Fatalf("script reply = %q, %v", r, err)
	}
	if r := other.do("GET", "x"); r != "$1\r\ny\r\n" {
		t.Fatalf("GET after = %q", r)
	}
}

func TestScriptMemoryCapStopsUnboundedAllocation(t *testing.T) {
	srv := startTandem(t)
	rc := dialRaw(t, srv.Addr())
	waitReady(t, rc)
	// Doubling a string up to the cap takes a second or two, but over
	// 60 s under the race detector on a loaded machine (43 s alone).
	wait := 60 * time.Second
	if testutil.RaceEnabled {
		wait = 5 * time.Minute
	}
	for _, body := range []string{
		"local t = {} local i = 0 while true do i = i + 1 t[i] = string.rep('x', 1000) .. i end",
		"local s = 'x' while true do s = s .. s end",
		"return string.rep('x', 1e12)",
		"local t = {} while true do pcall(function() t[#t+1] = string.rep('y', 4096) .. #t end) end",
	} {
		r, err := func() (string, error) { rc.send(encode("EVAL", body, "0")); return rc.tryRead(wait) }()
		if err != nil || !strings.Contains(r, "Script used more memory than the Lua memory limit allows") {
			t.Fatalf("EVAL %q = %q, %v", body, r, err)
		}
	}
	if r := rc.do("PING"); r != "+PONG\r\n" {
		t.Fatalf("after: %q", r)
	}
}

func TestScriptDeepRecursionAndBadInput(t *testing.T) {
	srv := startTandem(t)
	rc := dialRaw(t, srv.Addr())
	waitReady(t, rc)
	for _, tc := range []struct{ body, want string }{
		{"local function f() return f() + 1 end return f()", "stack overflow"},
		{"local function f() return pcall(f) end return f()", ""},
		{"local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x", "stack overflow"},
		{"return string.rep('x', -5)", ""},
		{"return ('x'):rep(10):len()", ""},
		{"return unpack({}, 1, 1e8)", "too many results to unpack"},
		{"local a = {} for i = 1, 7999 do a[i] = 1 end return redis.call('lpush', 'l', unpack(a))", ":7999"},
		{"return coroutine.wrap(function() coroutine.yield(1) end)()", ""},
		{"return select('#', unpack({1,2,3}))", ""},
	} {
		rc.send(encode("EVAL", tc.body, "0"))
		r, err := rc.tryRead(60 * time.Second)
		if err != nil || !strings.Contains(r, tc.want) {
			t.Fatalf("EVAL %q = %q, %v (want %q)", tc.body, r, err, tc.want)
		}
	}
	big := make([]string, 0, 100003)
	big = append(big, "EVAL", "return #KEYS + #ARGV", "50000")
	for i := 0; i < 100000; i++ {
		big = append(big, "k")
	}
	if r := rc.do(big...); r != ":100000\r\n" {
		t.Fatalf("huge KEYS/ARGV: %q", r)
	}
	if r := rc.do("PING"); r != "+PONG\r\n" {
		t.Fatalf("after: %q", r)
	}
}

// TestBusyScriptDoesNotHoldRepliesOfItsRound: a client whose command ran
// in the same event-loop round as an EVAL that goes busy gets its reply
// while the script runs, not when it ends (the CI flake of
// TestScriptBusyAnswersBusyAndScriptKillStopsIt). Both commands are sent
// back to back so that the loop often reads them in one round.
func TestBusyScriptDoesNotHoldRepliesOfItsRound(t *testing.T) {
	srv := startTandem(t)
	other := dialRaw(t, srv.Addr())
	waitReady(t, other)
	other.do("CONFIG", "SET", "busy-reply-threshold", "10")
	runner := dialRaw(t, srv.Addr())
	// A script that ends by itself after 2 s.
	const slow = "local t = redis.call('time') while true do local n = redis.call('time') if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 2000000 then break end end return 1"
	for i := 0; i < 6; i++ {
		other.send(encode("PING"))
		runner.send(encode("EVAL", slow, "0"))
		start := time.Now()
		r, err := other.tryRead(5 * time.Second)
		if err != nil || (r != "+PONG\r\n" && !strings.HasPrefix(r, "-BUSY")) {
			t.Fatalf("round %d: PING = %q, %v", i, r, err)
		}
		if took := time.Since(start); took > time.Second {
			t.Fatalf("round %d: PING answered after %v, while the script ran (it took 2 s)", i, took)
		}
		if r, err := runner.tryRead(30 * time.Second); err != nil || r != ":1\r\n" {
			t.Fatalf("round %d: EVAL = %q, %v", i, r, err)
		}
	}
}

// TestShutdownWhileAScriptIsBusy: SHUTDOWN without NOSAVE is refused with
// BUSY (a save would store the script's effects half done), SHUTDOWN
// NOSAVE stops the script and the process at once, and SIGTERM waits for
// the script to end before it shuts down, as Redis does. Before, the
// process outlived SHUTDOWN NOSAVE for as long as the script ran, and a
// SHUTDOWN or SIGTERM saved mid-script.
func TestShutdownWhileAScriptIsBusy(t *testing.T) {
	start := func(t *testing.T, body string) (*testutil.Proc, *rawConn, *rawConn) {
		srv := startTandem(t, "--busy-reply-threshold", "50", "--save", "")
		other := dialRaw(t, srv.Addr())
		waitReady(t, other)
		runner := dialRaw(t, srv.Addr())
		runner.send(encode("EVAL", body, "0"))
		waitBusy(t, other)
		return srv, other, runner
	}
	t.Run("plain-refused-nosave-exits", func(t *testing.T) {
		srv, other, runner := start(t, "while true do end")
		if r := other.do("SHUTDOWN"); !strings.HasPrefix(r, "-BUSY") {
			t.Fatalf("SHUTDOWN while busy = %q, want BUSY", r)
		}
		other.send(encode("SHUTDOWN", "NOSAVE"))
		if !srv.WaitExit(10 * time.Second) {
			t.Fatal("the process outlived SHUTDOWN NOSAVE while a script ran")
		}
		runner.expectClosed(5 * time.Second)
	})
	t.Run("sigterm-waits-for-the-script", func(t *testing.T) {
		// A script of about a second: the signal's shutdown comes after it.
		srv, _, runner := start(t, "local t = redis.call('TIME') while true do local u = redis.call('TIME') if (u[1]-t[1])*1000000+(u[2]-t[2]) > 1500000 then break end end return 'done'")
		srv.Cmd.Process.Signal(syscall.SIGTERM)
		if r, err := runner.tryRead(10 * time.Second); err != nil || r != "$4\r\ndone\r\n" {
			t.Fatalf("the script did not finish before the shutdown: %q %v", r, err)
		}
		if !srv.WaitExit(10 * time.Second) {
			t.Fatal("SIGTERM did not shut down once the script ended")
		}
	})
}
