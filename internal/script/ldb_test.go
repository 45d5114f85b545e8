package script

import (
	"bufio"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	lua "github.com/tandemdb/tandem/internal/lua"
	"github.com/tandemdb/tandem/internal/resp"
)

func TestLdbParseCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		argv []string
		err  string
	}{
		{"", nil, ""},
		{"*1\r\n$1\r\ns\r\n", []string{"s"}, ""},
		{"*2\r\n$1\r\np\r\n$3\r\nabc\r\n", []string{"p", "abc"}, ""},
		{"junk*1\r\n$4\r\nstep\r\n", []string{"step"}, ""}, // Redis seeks the '*'
		{"*2\r\n$1\r\np\r\n", nil, ""},                     // more to come
		{"*1\r\n$5\r\nst", nil, ""},
		{"*1", nil, ""},
		{"step\r\n", nil, "protocol error"}, // no '*': inline commands are not taken
		{"*0\r\n", nil, "protocol error"},
		{"*1025\r\n", nil, "protocol error"},
		{"*1\r\n$0\r\n\r\n", nil, "protocol error"},
		{"*1\r\n$1025\r\n", nil, "protocol error"},
		{"*1\r\n:1\r\n", nil, "protocol error"},
		{"*1\r\n$1\r\nsXY", nil, "protocol error"},
	} {
		argv, err := parseLdbCommand([]byte(tc.in))
		if err != tc.err || fmt.Sprint(argv) != fmt.Sprint(tc.argv) {
			t.Errorf("%q: got %q %q, want %q %q", tc.in, argv, err, tc.argv, tc.err)
		}
	}
}

func TestLdbValue(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	arr := L.NewTable()
	arr.Append(lua.LNumber(1))
	arr.Append(lua.LString("x\n\"y\"\x01"))
	m := L.NewTable()
	m.RawSetString("ok", lua.LString("OK"))
	nested := L.NewTable()
	inner := nested
	for i := 0; i < 12; i++ {
		next := L.NewTable()
		inner.Append(next)
		inner = next
	}
	for _, tc := range []struct {
		v    lua.LValue
		want string
	}{
		{lua.LNil, "nil"}, {lua.LTrue, "true"}, {lua.LFalse, "false"},
		{lua.LNumber(3.5), "3.5"}, {lua.LNumber(1e6), "1e+06"}, {lua.LNumber(1234567), "1.23457e+06"},
		{lua.LNumber(-0.0001), "-0.0001"}, {lua.LNumber(math.Inf(1)), "inf"},
		{lua.LString("a\tb\\"), `"a\tb\\"`},
		{arr, `{1; "x\n\"y\"\x01"}`},
		{m, `{["ok"]="OK"}`},
		{L.NewTable(), "{}"},
		{nested, "{{{{{{{{{{<max recursion level reached! Nested table?>}}}}}}}}}}"},
	} {
		if got := ldbValue(tc.v, 0); got != tc.want {
			t.Errorf("ldbValue(%v) = %s, want %s", tc.v, got, tc.want)
		}
	}
	if got := ldbValue(L.NewFunction(func(*lua.LState) int { return 0 }), 0); !strings.HasPrefix(got, `"function@0x`) {
		t.Errorf("a function shows as %s", got)
	}
}

func TestLdbHumanReply(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{":12\r\n", "12"},
		{"$3\r\nb\na\r\n", `"b\na"`},
		{"$-1\r\n", "NULL"},
		{"+OK\r\n", `"+OK"`},
		{"-ERR no\r\n", `"-ERR no"`},
		{"*2\r\n:1\r\n$1\r\nx\r\n", `[1,"x"]`},
		{"*-1\r\n", "NULL"},
		{"*0\r\n", "[]"},
		{"~2\r\n:1\r\n:2\r\n", "~(1,2)"},
		{"%1\r\n$1\r\nk\r\n:1\r\n", `{"k" => 1}`},
		{"_\r\n", "(null)"},
		{"#t\r\n", "#true"}, {"#f\r\n", "#false"},
		{",1.5\r\n", "(double) 1.5"},
	} {
		var b strings.Builder
		humanReply(&b, []byte(tc.in))
		if b.String() != tc.want {
			t.Errorf("%q: got %s, want %s", tc.in, b.String(), tc.want)
		}
	}
}

// pipeOwner is a client whose connection is one end of a pipe.
type pipeOwner struct{ conn net.Conn }

func (p pipeOwner) LuaDebugConn() (net.Conn, error) { return p.conn, nil }

func (p pipeOwner) LuaDebugConnDup() (net.Conn, error) { return p.conn, nil }

// ldbDriver is the client's side of a session.
type ldbDriver struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

// send sends a debugger command and returns the lines it answers.
func (d *ldbDriver) send(args ...string) []string {
	d.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	d.conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := d.conn.Write([]byte(b.String())); err != nil {
		d.t.Fatalf("send %q: %v", args, err)
	}
	return d.lines()
}

// lines reads one array of status lines.
func (d *ldbDriver) lines() []string {
	d.t.Helper()
	d.conn.SetDeadline(time.Now().Add(5 * time.Second))
	head, err := d.rd.ReadString('\n')
	if err != nil || head[0] != '*' {
		d.t.Fatalf("read: %q %v", head, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	out := make([]string, n)
	for i := range out {
		l, err := d.rd.ReadString('\n')
		if err != nil || l[0] != '+' {
			d.t.Fatalf("read line: %q %v", l, err)
		}
		out[i] = strings.TrimSuffix(l[1:], "\r\n")
	}
	return out
}

// startSession runs EVAL body under SCRIPT DEBUG SYNC on a bare engine;
// the EVAL's reply arrives on the returned channel once the session ends.
func startSession(t *testing.T, body string, keysAndArgs ...string) (*ldbDriver, <-chan string, *command.Session, *Scripting) {
	t.Helper()
	s, sess := engineScripting(t)
	return startSessionOn(t, s, sess, body, keysAndArgs...)
}

// startSessionOn is startSession on a given engine.
func startSessionOn(t *testing.T, s *Scripting, sess *command.Session, body string, keysAndArgs ...string) (*ldbDriver, <-chan string, *command.Session, *Scripting) {
	t.Helper()
	srv, cli := net.Pipe()
	t.Cleanup(func() { cli.Close(); srv.Close() })
	sess.Owner = pipeOwner{srv}
	if got := call(s.eng, sess, "SCRIPT", "DEBUG", "SYNC"); got != "+OK\r\n" {
		t.Fatalf("SCRIPT DEBUG SYNC = %q", got)
	}
	done := make(chan string, 1)
	go func() {
		done <- call(s.eng, sess, append([]string{"EVAL", body}, keysAndArgs...)...)
	}()
	return &ldbDriver{t: t, conn: cli, rd: bufio.NewReader(cli)}, done, sess, s
}

func expectLines(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

// TestLdbSession drives a whole session: the first stop, stepping into a
// function, the locals, breakpoints, eval, redis, redis.debug and
// redis.breakpoint, and the end (the reply and the connection's close).
// The expected lines are what redis-server 7.0.15 answers to the same.
func TestLdbSession(t *testing.T) {
	body := "local function f(x)\n  return x * 2\nend\nlocal a = {1,'z'}\nredis.call('set', KEYS[1], ARGV[1])\nredis.debug('hi', a)\nlocal c = f(21)\nredis.breakpoint()\nreturn c\n"
	d, done, sess, _ := startSession(t, body, "1", "k", "v")
	expectLines(t, "first stop", d.lines(), "* Stopped at 3, stop reason = step over", "-> 3   end")
	expectLines(t, "step", d.send("s"), "* Stopped at 4, stop reason = step over", "-> 4   local a = {1,'z'}")
	expectLines(t, "step", d.send("next"), "* Stopped at 5, stop reason = step over", "-> 5   redis.call('set', KEYS[1], ARGV[1])")
	all := d.send("p")
	if len(all) == 2 && strings.HasPrefix(all[0], `<value> f = "function@0x`) {
		all = all[1:]
	}
	expectLines(t, "print all", all, `<value> a = {1; "z"}`)
	expectLines(t, "print KEYS", d.send("print", "KEYS"), `<value> {"k"}`)
	expectLines(t, "print missing", d.send("p", "zz"), "No such variable.")
	expectLines(t, "step logs the call", d.send("s"), "<redis> set k v", `<reply> "+OK"`, "* Stopped at 6, stop reason = step over", "-> 6   redis.debug('hi', a)")
	expectLines(t, "break", d.send("b", "7"), "-> 6   redis.debug('hi', a)", "  #7   local c = f(21)", "   8   redis.breakpoint()")
	expectLines(t, "break list", d.send("b"), "1 breakpoints set:", "  #7   local c = f(21)")
	expectLines(t, "continue", d.send("c"), `<debug> line 6: "hi", {1; "z"}`, "* Stopped at 7, stop reason = break point", "->#7   local c = f(21)")
	expectLines(t, "step into", d.send("s"), "* Stopped at 2, stop reason = step over", "-> 2     return x * 2")
	expectLines(t, "trace", d.send("t"), "In f:", "-> 2     return x * 2", "From top level:", "  #7   local c = f(21)")
	expectLines(t, "eval", d.send("e", "20", "+", "1"), "<retval> 21")
	expectLines(t, "eval sees globals only", d.send("e", "x"), "<error> ldb_eval:1: Script attempted to access nonexistent global variable 'x'")
	expectLines(t, "eval error", d.send("eval", "x="), "<error> ldb_eval:1: unexpected symbol near '<eof>'")
	expectLines(t, "redis", d.send("r", "get", "k"), "<redis> get k", `<reply> "v"`)
	expectLines(t, "redis error", d.send("r", "hset", "k", "a", "b"), "<redis> hset k a b",
		"<error> -WRONGTYPE Operation against a key holding the wrong kind of value",
		`<reply> "-WRONGTYPE Operation against a key holding the wrong kind of value"`)
	expectLines(t, "redis refused", d.send("r", "nosuch"), "<redis> nosuch", "<error> Unknown Redis command called from script")
	expectLines(t, "unknown", d.send("zz"), "<error> Unknown Redis Lua debugger command or wrong number of arguments.")
	expectLines(t, "redis alone", d.send("redis"), "<error> Unknown Redis Lua debugger command or wrong number of arguments.")
	expectLines(t, "maxlen", d.send("m", "10"), "<value> replies are truncated at 60 bytes.")
	expectLines(t, "list", d.send("l", "8", "1"), "  #7   local c = f(21)", "   8   redis.breakpoint()", "   9   return c")
	expectLines(t, "clear", d.send("b", "0"), "All breakpoints removed.")
	expectLines(t, "redis.breakpoint", d.send("c"), "* Stopped at 9, stop reason = redis.breakpoint() called", "-> 9   return c")
	expectLines(t, "end", d.send("c"), "<endsession>")
	select {
	case got := <-done:
		if got != ":42\r\n" {
			t.Errorf("EVAL replied %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the EVAL did not end")
	}
	if sess.Flags&command.FlagCloseAfterReply == 0 {
		t.Error("the connection is not closed after the session")
	}
	if sess.Flags&command.FlagLuaDebug != 0 {
		t.Error("the next EVAL would be debugged too")
	}
}

// TestLdbAbortAndErrors: abort ends the script with Redis's error; a
// protocol error in the debugger's input does too; a client that goes
// away lets the script run to its end.
func TestLdbAbortAndErrors(t *testing.T) {
	d, done, _, s := startSession(t, "redis.call('set','a','1')\nreturn 1", "0")
	d.lines()
	expectLines(t, "abort", d.send("a"), "<endsession>")
	if got := <-done; !strings.HasPrefix(got, "-ERR script aborted for user request script: ") {
		t.Errorf("abort: EVAL replied %q", got)
	}
	if got := call(s.eng, &command.Session{Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}}, "GET", "a"); got != "$-1\r\n" {
		t.Errorf("the script, aborted before its first line, wrote: GET a = %q", got)
	}

	d, done, _, _ = startSession(t, "return 1", "0")
	d.lines()
	d.conn.Write([]byte("*1\r\n:1\r\n"))
	expectLines(t, "protocol error", d.lines(), "<endsession>")
	if got := <-done; !strings.HasPrefix(got, "-ERR protocol error") {
		t.Errorf("protocol error: EVAL replied %q", got)
	}

	d, done, _, _ = startSession(t, "local x = 1\nreturn x + 1", "0")
	d.lines()
	d.conn.Close()
	select {
	case got := <-done:
		if got != ":2\r\n" {
			t.Errorf("client gone: EVAL replied %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the script did not run on once its client left")
	}
}

// TestLdbEvalsha: EVALSHA cannot be debugged; a compile error ends the
// session at once.
func TestLdbEvalsha(t *testing.T) {
	s, sess := engineScripting(t)
	call(s.eng, sess, "SCRIPT", "DEBUG", "SYNC")
	if got := call(s.eng, sess, "EVALSHA", strings.Repeat("a", 40), "0"); got != "-ERR Please use EVAL instead of EVALSHA for debugging\r\n" {
		t.Errorf("EVALSHA = %q", got)
	}
	if got := call(s.eng, sess, "EVALSHA", "abc", "0"); !strings.HasPrefix(got, "-NOSCRIPT") {
		t.Errorf("EVALSHA with a short sha = %q", got)
	}
	d, done, _, _ := startSession(t, "return +", "0")
	expectLines(t, "compile error", d.lines(), "<endsession>")
	if got := <-done; !strings.HasPrefix(got, "-ERR Error compiling script") {
		t.Errorf("EVAL replied %q", got)
	}
}

// TestLdbTimeoutStopsALoop: a script that runs on for busy-reply-threshold
// without stopping stops in the debugger ("timeout reached, infinite
// loop?"), where it can be looked at and aborted.
func TestLdbTimeoutStopsALoop(t *testing.T) {
	s, sess := engineScripting(t)
	s.opts.BusyThreshold = func() int64 { return 50 }
	d, done, _, _ := startSessionOn(t, s, sess, "local i = 0\nwhile true do\n  i = i + 1\nend", "0")
	d.lines()
	start := time.Now()
	got := d.send("c")
	if len(got) != 2 || !strings.HasSuffix(got[0], ", stop reason = timeout reached, infinite loop?") {
		t.Fatalf("continue into a loop = %q", got)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Errorf("stopped after %v, before the threshold", time.Since(start))
	}
	p := d.send("p", "i")
	if n, err := strconv.Atoi(strings.TrimPrefix(p[0], "<value> ")); len(p) != 1 || err != nil || n <= 0 {
		t.Errorf("p i = %q", p)
	}
	expectLines(t, "abort", d.send("a"), "<endsession>")
	if got := <-done; !strings.HasPrefix(got, "-ERR script aborted for user request") {
		t.Errorf("EVAL replied %q", got)
	}
}

// TestLdbForkedSessionWorksOnACopy: under SCRIPT DEBUG YES the session
// runs on its own goroutine over a copy of the dataset: the EVAL returns
// at once (the client is to be closed), the session sees the data as it
// was, its writes never reach the dataset, and the EVAL's reply comes
// last on the session's connection.
func TestLdbForkedSessionWorksOnACopy(t *testing.T) {
	s, sess := engineScripting(t)
	call(s.eng, sess, "SET", "k", "before")
	call(s.eng, sess, "RPUSH", "l", "a", "b")
	call(s.eng, sess, "EXPIRE", "l", "1000")
	srv, cli := net.Pipe()
	t.Cleanup(func() { cli.Close(); srv.Close() })
	sess.Owner = pipeOwner{srv}
	if got := call(s.eng, sess, "SCRIPT", "DEBUG", "YES"); got != "+OK\r\n" {
		t.Fatalf("SCRIPT DEBUG YES = %q", got)
	}
	if got := call(s.eng, sess, "EVAL", "redis.call('rpush', 'l', 'c')\nredis.call('set', 'k', 'after')\nreturn redis.call('lrange', 'l', 0, -1)", "0"); got != "" {
		t.Fatalf("the parent's EVAL replied %q", got)
	}
	if sess.Flags&command.FlagCloseAfterReply == 0 {
		t.Fatal("the parent keeps the client")
	}
	d := &ldbDriver{t: t, conn: cli, rd: bufio.NewReader(cli)}
	d.lines()
	// The server goes on meanwhile.
	other := &command.Session{Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}}
	if got := call(s.eng, other, "GET", "k"); got != "$6\r\nbefore\r\n" {
		t.Fatalf("GET k during the session = %q", got)
	}
	d.send("s")
	expectLines(t, "the copy's TTL", d.send("r", "ttl", "l")[1:], "<reply> 1000")
	expectLines(t, "end", d.send("c"), "<endsession>")
	d.conn.SetDeadline(time.Now().Add(5 * time.Second))
	reply, _ := d.rd.ReadString('\n')
	if reply != "*3\r\n" {
		t.Fatalf("the EVAL's reply starts %q", reply)
	}
	for _, k := range [][2]string{{"GET", "k"}, {"LLEN", "l"}} {
		got := call(s.eng, other, k[0], k[1])
		if got != map[string]string{"GET": "$6\r\nbefore\r\n", "LLEN": ":2\r\n"}[k[0]] {
			t.Errorf("%s %s after the session = %q: the forked session's writes leaked", k[0], k[1], got)
		}
	}
}
