package script

import (
	"fmt"
	"strconv"
	"strings"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// The Lua debugger's commands and how it shows values and replies.

var ldbHelp = []string{
	"Redis Lua debugger help:",
	"[h]elp               Show this help.",
	"[s]tep               Run current line and stop again.",
	"[n]ext               Alias for step.",
	"[c]ontinue           Run till next breakpoint.",
	"[l]ist               List source code around current line.",
	"[l]ist [line]        List source code around [line].",
	"                     line = 0 means: current position.",
	"[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
	"                     to show before/after [line].",
	"[w]hole              List all source code. Alias for 'list 1 1000000'.",
	"[p]rint              Show all the local variables.",
	"[p]rint <var>        Show the value of the specified variable.",
	"                     Can also show global vars KEYS and ARGV.",
	"[b]reak              Show all breakpoints.",
	"[b]reak <line>       Add a breakpoint to the specified line.",
	"[b]reak -<line>      Remove breakpoint from the specified line.",
	"[b]reak 0            Remove all breakpoints.",
	"[t]race              Show a backtrace.",
	"[e]val <code>        Execute some Lua code (in a different callframe).",
	"[r]edis <cmd>        Execute a Redis command.",
	"[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
	"                     Specifying zero as <len> means unlimited.",
	"[a]bort              Stop the execution of the script. In sync",
	"                     mode dataset changes will be retained.",
	"",
	"Debugger functions you can call from Lua scripts:",
	"redis.debug()        Produce logs in the debugger console.",
	"redis.breakpoint()   Stop execution like if there was a breakpoint in the",
	"                     next line of code.",
}

// run runs one debugger command; it reports whether the script resumes.
func (d *ldbSession) run(L *lua.LState, argv []string) bool {
	name := strings.ToLower(argv[0])
	switch {
	case name == "h" || name == "help":
		for _, l := range ldbHelp {
			d.log(l)
		}
	case name == "s" || name == "step" || name == "n" || name == "next":
		d.step = true
		return true
	case name == "c" || name == "continue":
		return true
	case name == "t" || name == "trace":
		d.trace(L)
	case name == "m" || name == "maxlen":
		d.maxlenCmd(argv)
	case name == "b" || name == "break":
		d.breakCmd(argv)
	case name == "e" || name == "eval":
		d.eval(L, argv)
	case name == "a" || name == "abort":
		raise(L, errorTable(L, "script aborted for user request"))
	case len(argv) > 1 && (name == "r" || name == "redis"):
		d.redis(L, argv)
	case name == "p" || name == "print":
		if len(argv) == 2 {
			d.print(L, argv[1])
		} else {
			d.printAll(L)
		}
	case name == "l" || name == "list":
		around, ctx := d.currentLine, 5
		if len(argv) > 1 {
			if n := atoi(argv[1]); n > 0 {
				around = n
			}
		}
		if len(argv) > 2 {
			ctx = atoi(argv[2])
		}
		d.list(around, ctx)
	case name == "w" || name == "whole":
		d.list(1, 1000000)
	default:
		d.log("<error> Unknown Redis Lua debugger command or wrong number of arguments.")
	}
	d.send()
	return false
}

// sourceLine is line n of the script (1-based).
func (d *ldbSession) sourceLine(n int) string {
	if n < 1 || n > len(d.src) {
		return "<out of range source code line>"
	}
	return d.src[n-1]
}

func (d *ldbSession) isBreakpoint(line int) bool {
	for _, b := range d.bp {
		if b == line {
			return true
		}
	}
	return false
}

// logSourceLine logs line n with its marks: "->" the current line, "#"
// a breakpoint.
func (d *ldbSession) logSourceLine(n int) {
	cur, bp := n == d.currentLine, d.isBreakpoint(n)
	prefix := "   "
	switch {
	case cur && bp:
		prefix = "->#"
	case cur:
		prefix = "-> "
	case bp:
		prefix = "  #"
	}
	d.log(fmt.Sprintf("%s%-3d %s", prefix, n, d.sourceLine(n)))
}

// list logs the lines within ctx of around (all of them when around is 0).
func (d *ldbSession) list(around, ctx int) {
	for j := 1; j <= len(d.src); j++ {
		if around != 0 && abs(around-j) > ctx {
			continue
		}
		d.logSourceLine(j)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (d *ldbSession) breakCmd(argv []string) {
	if len(argv) == 1 {
		if len(d.bp) == 0 {
			d.log("No breakpoints set. Use 'b <line>' to add one.")
			return
		}
		d.log(fmt.Sprintf("%d breakpoints set:", len(d.bp)))
		for _, b := range d.bp {
			d.logSourceLine(b)
		}
		return
	}
	for _, arg := range argv[1:] {
		line, ok := parseInt([]byte(arg))
		if !ok || line != int64(int(line)) {
			d.log(fmt.Sprintf("Invalid argument:'%s'", arg))
			continue
		}
		n := int(line)
		switch {
		case n == 0:
			d.bp = d.bp[:0]
			d.log("All breakpoints removed.")
		case n > 0:
			switch {
			case len(d.bp) == ldbMaxBreakpoints:
				d.log("Too many breakpoints set.")
			case n <= len(d.src) && !d.isBreakpoint(n):
				d.bp = append(d.bp, n)
				d.list(n, 1)
			default:
				d.log("Wrong line number.")
			}
		default:
			removed := false
			for i, b := range d.bp {
				if b == -n {
					d.bp = append(d.bp[:i], d.bp[i+1:]...)
					removed = true
					break
				}
			}
			if removed {
				d.log("Breakpoint removed.")
			} else {
				d.log("No breakpoint in the specified line.")
			}
		}
	}
}

func (d *ldbSession) maxlenCmd(argv []string) {
	if len(argv) == 2 {
		n := atoi(argv[1])
		d.hintSent = true // the user knows about the command
		if n != 0 && n <= 60 {
			n = 60
		}
		d.maxlen = n
	}
	if d.maxlen > 0 {
		d.log(fmt.Sprintf("<value> replies are truncated at %d bytes.", d.maxlen))
	} else {
		d.log("<value> replies are unlimited.")
	}
}

// eval compiles the arguments as an expression ("return " in front), or
// failing that as a statement, runs it in the globals and logs its value.
func (d *ldbSession) eval(L *lua.LState, argv []string) {
	code := strings.Join(argv[1:], " ")
	v := d.s.vm
	fn, err := L.Load(strings.NewReader("return "+code), "ldb_eval")
	if err != nil {
		fn, err = L.Load(strings.NewReader(code), "ldb_eval")
		if err != nil {
			d.log("<error> " + compileErrorIn("ldb_eval", err, strings.Count(code, "\n")+1))
			return
		}
	}
	fn.Env = v.proxyG
	top := L.GetTop()
	defer L.SetTop(top)
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		d.log("<error> " + luaErrorText(err))
		return
	}
	d.logMax("<retval> " + ldbValue(L.Get(-1), 0))
}

// luaErrorText is the text of an error a pcall returned.
func luaErrorText(err error) string {
	if ae, ok := err.(*lua.ApiError); ok {
		if t, ok := ae.Object.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				return string(s)
			}
		}
		return lua51Wording(luaToString(ae.Object))
	}
	return lua51Wording(err.Error())
}

// redis runs a command through redis.call with logging forced on, so that
// the command and its reply are logged; the result is dropped.
func (d *ldbSession) redis(L *lua.LState, argv []string) {
	top := L.GetTop()
	defer L.SetTop(top)
	L.Push(d.s.vm.folds["call"])
	for _, a := range argv[1:] {
		L.Push(lua.LString(a))
	}
	d.step = true
	L.PCall(len(argv)-1, 1, nil)
	d.step = false
}

// frames calls f for each Lua function on the stack, from the one that
// called the hook outwards; f returns false to stop.
func frames(L *lua.LState, f func(level int, dbg *lua.Debug) bool) {
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return
		}
		if !f(level, dbg) {
			return
		}
	}
}

// print logs the first local named name from the current frame outwards,
// or the KEYS or ARGV global.
func (d *ldbSession) print(L *lua.LState, name string) {
	found := false
	frames(L, func(_ int, dbg *lua.Debug) bool {
		for i := 1; ; i++ {
			n, v := L.GetLocal(dbg, i)
			if n == "" {
				return true
			}
			if n == name {
				d.logMax("<value> " + ldbValue(v, 0))
				found = true
				return false
			}
		}
	})
	if found {
		return
	}
	if name == "KEYS" || name == "ARGV" {
		d.logMax("<value> " + ldbValue(d.s.vm.realG.RawGetString(name), 0))
		return
	}
	d.log("No such variable.")
}

// printAll logs the locals of the current frame.
func (d *ldbSession) printAll(L *lua.LState) {
	vars := 0
	if dbg, ok := L.GetStack(1); ok {
		for i := 1; ; i++ {
			n, v := L.GetLocal(dbg, i)
			if n == "" {
				break
			}
			if strings.Contains(n, "(*temporary)") {
				continue
			}
			d.logMax("<value> " + n + " = " + ldbValue(v, 0))
			vars++
		}
	}
	if vars == 0 {
		d.log("No local variables in the current context.")
	}
}

// trace logs the script's frames, the current one first.
func (d *ldbSession) trace(L *lua.LState) {
	first := true
	frames(L, func(level int, dbg *lua.Debug) bool {
		if _, err := L.GetInfo("Snl", dbg, nil); err != nil || !strings.Contains(dbg.Source, "user_script") {
			return true
		}
		word := "From"
		if first {
			word = "In"
		}
		first = false
		name := dbg.Name
		if name == "" || name == "?" || name == "main chunk" {
			name = "top level"
		}
		d.log(fmt.Sprintf("%s %s:", word, name))
		d.logSourceLine(dbg.CurrentLine)
		return true
	})
	if first {
		d.log("<error> Can't retrieve Lua stack.")
	}
}

// ldbMaxDepth bounds how deep nested tables are shown (LUA_MINSTACK/2).
const ldbMaxDepth = 10

// ldbValue is how the debugger shows a Lua value (Redis's
// ldbCatStackValue): strings quoted with escapes, numbers as C's "%g",
// tables as {v; v} when they are arrays, {[k]=v; …} otherwise.
func ldbValue(v lua.LValue, level int) string {
	if level == ldbMaxDepth {
		return "<max recursion level reached! Nested table?>"
	}
	level++
	switch x := v.(type) {
	case lua.LString:
		return quoteRepr(string(x))
	case lua.LBool:
		if x {
			return "true"
		}
		return "false"
	case lua.LNumber:
		return fmtG(float64(x))
	case *lua.LNilType:
		return "nil"
	case *lua.LTable:
		var arr, full strings.Builder
		isArray, expect := true, 1
		x.ForEach(func(k, val lua.LValue) {
			if n, ok := k.(lua.LNumber); !ok || float64(n) != float64(expect) {
				isArray = false
			}
			if arr.Len() > 0 {
				arr.WriteString("; ")
				full.WriteString("; ")
			}
			arr.WriteString(ldbValue(val, level))
			full.WriteString("[" + ldbValue(k, level) + "]=" + ldbValue(val, level))
			expect++
		})
		if isArray {
			return "{" + arr.String() + "}"
		}
		return "{" + full.String() + "}"
	case *lua.LFunction:
		return fmt.Sprintf("\"function@%p\"", x)
	case *lua.LUserData:
		return fmt.Sprintf("\"userdata@%p\"", x)
	case *lua.LState:
		return fmt.Sprintf("\"thread@%p\"", x)
	}
	return "\"<unknown-lua-type>\""
}

// fmtG is C's "%g".
func fmtG(f float64) string {
	if s, ok := cSpecial(f, false); ok {
		return s
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// quoteRepr is Redis's sdscatrepr: s in double quotes, with \\, \", \n,
// \r, \t, \a, \b escaped and other unprintable bytes as \xHH.
func quoteRepr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if ch >= 0x20 && ch < 0x7f {
				b.WriteByte(ch)
			} else {
				fmt.Fprintf(&b, `\x%02x`, ch)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// logCall logs a command a stepped script calls (its first ten
// arguments).
func (d *ldbSession) logCall(argv [][]byte) {
	var b strings.Builder
	b.WriteString("<redis>")
	for j, a := range argv {
		if j == 10 {
			// Redis counts one fewer than are left; its output is kept.
			fmt.Fprintf(&b, " ... (%d more)", len(argv)-j-1)
			break
		}
		b.WriteByte(' ')
		b.Write(a)
	}
	d.log(b.String())
}

// logReply logs a command's reply (RESP) in human form.
func (d *ldbSession) logReply(reply []byte) {
	if len(reply) > 0 && reply[0] == '-' {
		// Redis logs the error as it turns it into a Lua value.
		d.log("<error> " + strings.TrimRight(string(reply), "\r\n"))
	}
	var b strings.Builder
	b.WriteString("<reply> ")
	humanReply(&b, reply)
	d.logMax(b.String())
}

// humanReply writes the RESP value at the start of r in the debugger's
// human form and returns what follows it (Redis's
// ldbRedisProtocolToHuman).
func humanReply(b *strings.Builder, r []byte) []byte {
	if len(r) == 0 {
		return r
	}
	end := strings.Index(string(r), "\r\n")
	if end < 0 {
		b.Write(r)
		return nil
	}
	line, rest := string(r[1:end]), r[end+2:]
	count := func() int { n, _ := strconv.Atoi(line); return n }
	switch r[0] {
	case ':':
		b.WriteString(line)
	case '$':
		n := count()
		if n < 0 || n+2 > len(rest) {
			b.WriteString("NULL")
			return rest
		}
		b.WriteString(quoteRepr(string(rest[:n])))
		return rest[n+2:]
	case '+', '-':
		b.WriteString(quoteRepr(string(r[:end])))
	case '*':
		n := count()
		if n < 0 {
			b.WriteString("NULL")
			return rest
		}
		b.WriteByte('[')
		for j := 0; j < n; j++ {
			rest = humanReply(b, rest)
			if j != n-1 {
				b.WriteByte(',')
			}
		}
		b.WriteByte(']')
	case '~':
		n := count()
		b.WriteString("~(")
		for j := 0; j < n; j++ {
			rest = humanReply(b, rest)
			if j != n-1 {
				b.WriteByte(',')
			}
		}
		b.WriteByte(')')
	case '%':
		n := count()
		b.WriteByte('{')
		for j := 0; j < n; j++ {
			rest = humanReply(b, rest)
			b.WriteString(" => ")
			rest = humanReply(b, rest)
			if j != n-1 {
				b.WriteByte(',')
			}
		}
		b.WriteByte('}')
	case '_':
		b.WriteString("(null)")
	case '#':
		if line == "t" {
			b.WriteString("#true")
		} else {
			b.WriteString("#false")
		}
	case ',':
		b.WriteString("(double) " + line)
	default:
		// RESP3 types Redis's debugger does not show (big numbers,
		// verbatim strings): their first line as it is.
		b.WriteString(quoteRepr(string(r[:end])))
	}
	return rest
}
