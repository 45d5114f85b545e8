package script

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	lua "github.com/tandemdb/tandem/internal/lua"
)

// The Lua debugger (SCRIPT DEBUG, Redis's LDB). A client that sent SCRIPT
// DEBUG SYNC runs its next EVAL as a debugging session: the script stops
// before its first line, and the client drives it with the debugger's
// commands (step, continue, list, print, break, eval, redis, …). As in
// Redis, the session talks straight on the client's socket, from inside
// the script: the debugger's output goes out as arrays of status strings,
// the client's commands are read from the socket, and the server lock
// stays held, so the server serves nobody else until the session ends
// (SYNC blocks the server in Redis too). At the end the last logs and an
// "<endsession>" mark are sent, then the EVAL's reply, and the connection
// is closed.
//
// SCRIPT DEBUG YES, Redis's default, forks: the session runs in a child
// process on a copy-on-write image of the dataset, the server keeps
// serving, and the script's writes vanish with the child. Tandem cannot
// fork; it copies the dataset instead, and runs the session on a goroutine
// of its own with an engine and a Lua state of its own (ldbfork.go).

const (
	// ldbMaxBreakpoints is how many breakpoints a session may set.
	ldbMaxBreakpoints = 64
	// ldbDefaultMaxLen trims logged replies and values (maxlen command).
	ldbDefaultMaxLen = 256
	// ldbMaxInput is how much unparsed input a session accepts.
	ldbMaxInput = 1 << 20
	// ldbSendTimeout bounds a write of the session's output.
	ldbSendTimeout = 5 * time.Second
	// ldbPoll is how often a session waiting for input looks whether the
	// server is shutting down.
	ldbPoll = 200 * time.Millisecond
	// ldbDefaultTimeLimit stops a running script for the debugger when it
	// ran this long without stopping (busy-reply-threshold when set).
	ldbDefaultTimeLimit = 5 * time.Second
)

// DebugConner is what the server's client offers the Lua debugger:
// LuaDebugConn returns the client's connection for the session's direct,
// blocking I/O, with the replies already due to the client written first
// (server lock held; the caller's goroutine owns the connection until the
// command ends). LuaDebugConnDup does the same and returns a duplicate of
// the socket, for a forked session that outlives the client. A client
// that cannot give them (one with a writer goroutine, a TLS one for the
// duplicate) returns an error.
type DebugConner interface {
	LuaDebugConn() (net.Conn, error)
	LuaDebugConnDup() (net.Conn, error)
}

// ldbSession is the state of the debugging session under way (Scripting.ldb).
type ldbSession struct {
	s    *Scripting
	conn net.Conn
	// src is the script's source, one line per entry.
	src []string
	// logs are the lines to send at the next stop.
	logs []string
	// cbuf is the input read and not parsed yet.
	cbuf []byte
	bp   []int
	// step: stop at the next line (and log the commands the script calls
	// until then); luabp: redis.breakpoint() was called.
	step, luabp bool
	maxlen      int
	hintSent    bool
	currentLine int
	// lastStop is when the script last left the debugger (or started):
	// running longer than timeLimit since then stops it.
	lastStop  time.Time
	timeLimit time.Duration
}

// scriptDebug is SCRIPT DEBUG YES|SYNC|NO for the client.
func (s *Scripting) scriptDebug(c *command.Ctx) {
	if len(c.W.Buf) > 0 {
		c.Error("ERR SCRIPT DEBUG must be called outside a pipeline")
		return
	}
	switch strings.ToLower(string(c.Args[2])) {
	case "no":
		c.S.Flags &^= command.FlagLuaDebug | command.FlagLuaDebugSync
		c.W.OK()
	case "sync":
		c.S.Flags |= command.FlagLuaDebug | command.FlagLuaDebugSync
		c.W.OK()
	case "yes":
		c.S.Flags = c.S.Flags&^command.FlagLuaDebugSync | command.FlagLuaDebug
		c.W.OK()
	default:
		c.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
	}
}

// ldbEval runs the EVAL c as a debugging session (Redis's
// evalGenericCommandWithDebugging). EVALSHA cannot be debugged: the
// debugger needs the source.
func (s *Scripting) ldbEval(c *command.Ctx, evalsha, ro bool) {
	if evalsha {
		s.eng.Host.Monitor(c.S, c.Spec, c.Args)
		if len(c.Args[1]) != 40 {
			c.Error(errNoScript)
		} else {
			c.Error("ERR Please use EVAL instead of EVALSHA for debugging")
		}
		return
	}
	if c.S.Flags&command.FlagLuaDebugSync == 0 {
		s.ldbFork(c) // ldbfork.go
		return
	}
	dc, ok := c.S.Owner.(DebugConner)
	var conn net.Conn
	var err error
	if ok {
		conn, err = dc.LuaDebugConn()
	} else {
		err = errors.New("no connection")
	}
	c.S.Flags &^= command.FlagLuaDebug | command.FlagLuaDebugSync
	if err != nil {
		c.Error("ERR Can't run EVAL in debugging mode on this connection: " + err.Error())
		return
	}
	if !s.forked {
		s.log.Warningf("Redis synchronous debugging eval session started")
	}
	d := &ldbSession{s: s, conn: conn, step: true, maxlen: ldbDefaultMaxLen, timeLimit: ldbDefaultTimeLimit}
	src := strings.TrimRight(string(c.Args[1]), "\r\n")
	d.src = strings.Split(src, "\n")
	if s.opts.BusyThreshold != nil {
		if ms := s.opts.BusyThreshold(); ms > 0 {
			d.timeLimit = time.Duration(ms) * time.Millisecond
		}
	}
	s.ldb = d
	defer func() {
		s.ldb = nil
		d.log("<endsession>")
		d.send()
		conn.SetDeadline(time.Time{})
		if !s.forked {
			s.log.Warningf("Redis synchronous debugging eval session ended")
		}
		// The end of the session is the end of the connection, once the
		// EVAL's reply is written, as in Redis.
		c.S.Flags |= command.FlagCloseAfterReply
	}()
	s.evalCmd(c, false, ro)
}

// ldbRun runs sc instrumented for the session (runScript's debugging
// branch). The busy threshold is off meanwhile: a script stopped in the
// debugger is not busy, and nobody else is served during the session.
func (s *Scripting) ldbRun(c *command.Ctx, sc *script, keys, argv [][]byte, ro bool) {
	d := s.ldb
	wrapper, err := s.ldbCompile([]byte(sc.body))
	if err != nil {
		c.Error("ERR Error compiling script (new function): " + err.Error())
		return
	}
	L := s.vm.L
	L.Push(wrapper)
	L.Push(L.NewFunction(s.ldbHook))
	if err := L.PCall(1, 1, nil); err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	fn := L.Get(-1).(*lua.LFunction)
	L.Pop(1)
	busy := s.opts.BusyThreshold
	s.opts.BusyThreshold = nil
	defer func() { s.opts.BusyThreshold = busy }()
	d.lastStop = time.Now()
	s.runLua(c, runTarget{vm: s.vm, fn: fn, name: sc.sha, flags: sc.flags, eval: true}, keys, argv, ro)
}

// ldbStepping is Redis's ldbIsEnabled: a session is under way and the
// script is being stepped, so the commands it calls and their replies
// are logged.
func (s *Scripting) ldbStepping() bool { return s.ldb != nil && s.ldb.step }

// ldbHook is the hook the instrumented script calls before each
// statement, with the statement's line (Redis's luaLdbLineHook).
func (s *Scripting) ldbHook(L *lua.LState) int {
	d := s.ldb
	if d == nil {
		return 0
	}
	line := L.CheckInt(1)
	d.currentLine = line
	bp := d.isBreakpoint(line) || d.luabp
	timeout := false
	if !d.step && !bp {
		if time.Since(d.lastStop) < d.timeLimit {
			return 0
		}
		timeout = true
	}
	reason := "step over"
	switch {
	case d.luabp:
		reason = "redis.breakpoint() called"
	case bp:
		reason = "break point"
	case timeout:
		reason = "timeout reached, infinite loop?"
	}
	d.step, d.luabp = false, false
	d.log(fmt.Sprintf("* Stopped at %d, stop reason = %s", line, reason))
	d.logSourceLine(line)
	d.send()
	if err := d.repl(L); err != nil && timeout {
		// Nobody will ever stop this loop: kill the script.
		raise(L, errorTable(L, "timeout during Lua debugging with client closing connection"))
	}
	d.lastStop = time.Now()
	return 0
}

// repl reads and runs debugger commands until one resumes the script
// (Redis's ldbRepl). It returns an error when the client is gone; the
// script then runs to its end without stopping.
func (d *ldbSession) repl(L *lua.LState) error {
	for {
		argv, perr := parseLdbCommand(d.cbuf)
		for argv == nil {
			if perr != "" {
				raise(L, errorTable(L, perr))
			}
			if err := d.read(); err != nil {
				d.step = false
				d.bp = nil
				return err
			}
			if len(d.cbuf) > ldbMaxInput {
				d.cbuf = nil
				raise(L, errorTable(L, "max client buffer reached"))
			}
			argv, perr = parseLdbCommand(d.cbuf)
		}
		d.cbuf = d.cbuf[:0]
		if d.run(L, argv) {
			return nil
		}
	}
}

// read appends what the client sent to cbuf, waiting as long as it
// takes, unless the server is shutting down.
func (d *ldbSession) read() error {
	var buf [1024]byte
	for {
		d.conn.SetReadDeadline(time.Now().Add(ldbPoll))
		n, err := d.conn.Read(buf[:])
		if n > 0 {
			d.cbuf = append(d.cbuf, buf[:n]...)
			return nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if st, ok := d.s.yield.(interface{ Stopping() bool }); ok && st.Stopping() {
				return err
			}
			continue
		}
		if err == nil {
			continue
		}
		return err
	}
}

// log queues a line of output.
func (d *ldbSession) log(line string) { d.logs = append(d.logs, line) }

// logMax queues a line trimmed to maxlen, with a hint the first time.
func (d *ldbSession) logMax(line string) {
	trimmed := false
	if d.maxlen > 0 && len(line) > d.maxlen {
		line = line[:d.maxlen] + " ..."
		trimmed = true
	}
	d.log(line)
	if trimmed && !d.hintSent {
		d.hintSent = true
		d.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.")
	}
}

// send writes the queued lines as an array of status strings (newlines
// in them become spaces) and empties the queue. A failed write is left
// for the next read to notice, as in Redis.
func (d *ldbSession) send() {
	b := make([]byte, 0, 64)
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(d.logs)), 10)
	b = append(b, '\r', '\n')
	for _, l := range d.logs {
		b = append(b, '+')
		for i := 0; i < len(l); i++ {
			ch := l[i]
			if ch == '\r' || ch == '\n' {
				ch = ' '
			}
			b = append(b, ch)
		}
		b = append(b, '\r', '\n')
	}
	d.logs = d.logs[:0]
	d.conn.SetWriteDeadline(time.Now().Add(ldbSendTimeout))
	d.conn.Write(b)
}

// parseLdbCommand parses one command array at the start of buf, as
// forgivingly as Redis's ldbReplParseCommand: it returns the arguments,
// or nil and "" when more input is needed, or nil and "protocol error".
func parseLdbCommand(buf []byte) ([]string, string) {
	const protoErr = "protocol error"
	if len(buf) == 0 {
		return nil, ""
	}
	p := strings.IndexByte(string(buf), '*')
	if p < 0 {
		return nil, protoErr
	}
	rest := string(buf[p+1:])
	end := strings.Index(rest, "\r\n")
	if end < 0 {
		return nil, ""
	}
	argc := atoi(rest[:end])
	if argc <= 0 || argc > 1024 {
		return nil, protoErr
	}
	rest = rest[end+2:]
	argv := make([]string, 0, argc)
	for len(argv) < argc {
		if rest == "" {
			return nil, ""
		}
		if rest[0] != '$' {
			return nil, protoErr
		}
		end = strings.Index(rest, "\r\n")
		if end < 0 {
			return nil, ""
		}
		n := atoi(rest[1:end])
		if n <= 0 || n > 1024 {
			return nil, protoErr
		}
		rest = rest[end+2:]
		if len(rest) < n+2 {
			return nil, ""
		}
		argv = append(argv, rest[:n])
		if rest[n] != '\r' || rest[n+1] != '\n' {
			return nil, protoErr
		}
		rest = rest[n+2:]
	}
	return argv, ""
}

// atoi is C's atoi: leading spaces, a sign, digits up to the first other
// byte; 0 when there are none.
func atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			n = 1 << 31
		}
	}
	if neg {
		return -n
	}
	return n
}

// redisBreakpoint is redis.breakpoint(): in a session, stop at the next
// line as at a breakpoint, and answer true; false otherwise.
func (s *Scripting) redisBreakpoint(L *lua.LState) int {
	if s.ldb == nil {
		L.Push(lua.LFalse)
		return 1
	}
	s.ldb.luabp = true
	L.Push(lua.LTrue)
	return 1
}

// redisDebug is redis.debug(…): in a session, log the arguments, shown as
// the debugger shows values, separated by commas.
func (s *Scripting) redisDebug(L *lua.LState) int {
	d := s.ldb
	if d == nil {
		return 0
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<debug> line %d: ", d.currentLine)
	for i := 1; i <= L.GetTop(); i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString(ldbValue(L.Get(i), 0))
	}
	d.log(b.String())
	return 0
}
