package script

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	lua "github.com/tandemdb/tandem/internal/lua"
	"github.com/tandemdb/tandem/internal/resp"
)

// RESP → Lua: a command's reply, as redis.call returns it (Redis's
// redisProtocolToLuaType). Integers become numbers, bulk strings strings,
// a null bulk or null array false, arrays tables; a status becomes
// {ok=…} and an error {err=…}; RESP3 adds maps {map={…}}, sets
// {set={member=true}}, null nil, booleans, doubles {double=…}, big
// numbers {big_number=…} and verbatim strings {verbatim_string={format=…,
// string=…}}; attributes are skipped.

// replyParser reads one reply from b, which the engine wrote (so it is
// well formed; a short or garbled buffer yields nil values, never a
// panic).
type replyParser struct {
	L *lua.LState
	b []byte
}

func (p *replyParser) line() []byte {
	i := bytes.Index(p.b, []byte("\r\n"))
	if i < 0 {
		l := p.b
		p.b = nil
		return l
	}
	l := p.b[:i]
	p.b = p.b[i+2:]
	return l
}

func (p *replyParser) bulk(n int) []byte {
	if n < 0 || n > len(p.b) {
		p.b = nil
		return nil
	}
	s := p.b[:n]
	p.b = p.b[n:]
	if len(p.b) >= 2 {
		p.b = p.b[2:]
	}
	return s
}

// replyInt reads the integer of a reply line the engine wrote (an
// optional minus, then digits), without the string conversion that
// strconv would make escape: a script's redis.call parses one per call.
func replyInt(l []byte) int64 {
	neg := len(l) > 0 && l[0] == '-'
	if neg {
		l = l[1:]
	}
	var n int64
	for _, c := range l {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// Small integers are boxed once: a Lua value is an interface, and a
// number put in one is allocated (8 bytes for the collector) unless taken
// from here. Integer replies are mostly small: counts, lengths, 0/1
// answers, -1/-2 TTLs, counters.
const (
	minBoxedInt = -2
	maxBoxedInt = 1023
)

var boxedInts = func() (t [maxBoxedInt - minBoxedInt + 1]lua.LValue) {
	for i := range t {
		t[i] = lua.LNumber(i + minBoxedInt)
	}
	return t
}()

// luaInteger is n as a Lua number.
func luaInteger(n int64) lua.LValue {
	if n >= minBoxedInt && n <= maxBoxedInt {
		return boxedInts[n-minBoxedInt]
	}
	return lua.LNumber(n)
}

// parse converts the next reply; skip parses it without building values.
func (p *replyParser) parse(skip bool) lua.LValue {
	if len(p.b) == 0 {
		return lua.LNil
	}
	kind := p.b[0]
	p.b = p.b[1:]
	l := p.line()
	L := p.L
	switch kind {
	case ':':
		return luaInteger(replyInt(l))
	case '$':
		n := int(replyInt(l))
		if n < 0 {
			return lua.LFalse
		}
		s := p.bulk(n)
		if skip {
			return lua.LNil
		}
		return lua.LString(s)
	case '+':
		if skip {
			return lua.LNil
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(l))
		return t
	case '-':
		if skip {
			return lua.LNil
		}
		t := errorTable(L, "-"+string(l))
		t.RawSetString("ignore_error_stats_update", lua.LTrue)
		return t
	case '*', '~', '%', '|':
		n := int(replyInt(l))
		if kind == '*' && n < 0 {
			return lua.LFalse
		}
		if kind == '|' {
			for i := 0; i < 2*n; i++ {
				p.parse(true)
			}
			return p.parse(skip)
		}
		var t *lua.LTable
		if !skip {
			t = L.CreateTable(max(min(n, 1<<16), 0), 0)
		}
		switch kind {
		case '*':
			for i := 1; i <= n && len(p.b) > 0; i++ {
				v := p.parse(skip)
				if !skip && v != lua.LNil {
					t.RawSetInt(i, v)
				}
			}
			if skip {
				return lua.LNil
			}
			return t
		case '~':
			for i := 0; i < n && len(p.b) > 0; i++ {
				v := p.parse(skip)
				if !skip && v != lua.LNil {
					t.RawSet(v, lua.LTrue)
				}
			}
		case '%':
			for i := 0; i < n && len(p.b) > 0; i++ {
				k := p.parse(skip)
				v := p.parse(skip)
				if !skip && k != lua.LNil {
					t.RawSet(k, v)
				}
			}
		}
		if skip {
			return lua.LNil
		}
		outer := L.CreateTable(0, 1)
		if kind == '~' {
			outer.RawSetString("set", t)
		} else {
			outer.RawSetString("map", t)
		}
		return outer
	case '_':
		return lua.LNil
	case '#':
		return lua.LBool(len(l) > 0 && l[0] == 't')
	case ',':
		if skip {
			return lua.LNil
		}
		d, _ := parseRESPDouble(string(l))
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(d))
		return t
	case '(':
		if skip {
			return lua.LNil
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(l))
		return t
	case '=':
		n, _ := strconv.Atoi(string(l))
		s := p.bulk(n)
		if skip {
			return lua.LNil
		}
		format, str := "", s
		if len(s) >= 4 && s[3] == ':' {
			format, str = string(s[:3]), s[4:]
		}
		inner := L.CreateTable(0, 2)
		inner.RawSetString("string", lua.LString(str))
		inner.RawSetString("format", lua.LString(format))
		t := L.CreateTable(0, 1)
		t.RawSetString("verbatim_string", inner)
		return t
	}
	return lua.LNil
}

func parseRESPDouble(s string) (float64, error) {
	switch s {
	case "inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// errorTable is Redis's luaPushErrorBuff: an error table {err="CODE msg"}.
// A message that starts with '-' carries its code ("-WRONGTYPE …"; with
// no space it is all message, under ERR); any other gets ERR.
func errorTable(L *lua.LState, msg string) *lua.LTable {
	code := "ERR"
	if rest, ok := strings.CutPrefix(msg, "-"); ok {
		if c, m, found := strings.Cut(rest, " "); found {
			code, msg = c, m
		} else {
			msg = rest
		}
	}
	msg = strings.Trim(msg, "\r\n")
	t := L.CreateTable(0, 2)
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// Lua → RESP: a script's result as the client's reply (Redis's
// luaReplyToRedisReply). scriptProto is the protocol the script chose
// (redis.setresp): with 2, true is the integer 1 and false a null.

// maxReplyDepth bounds the nesting of a returned table (a table holding
// itself would recurse for ever): deeper, the reply holds Redis's "reached
// lua stack limit" error.
const maxReplyDepth = 4000

// errReply writes an error reply the script returned (an {err=…} table,
// at any depth): through the command, so that INFO errorstats count it as
// Redis counts it (noStats: an error a redis.call returned, counted when
// that command failed). nil writes it plainly.
type errReply func(msg string, noStats bool)

func writeLua(w *resp.Writer, v lua.LValue, scriptProto, depth int, onErr errReply) {
	if depth > maxReplyDepth {
		if onErr != nil {
			onErr("ERR reached lua stack limit", false)
		} else {
			w.Error("ERR reached lua stack limit")
		}
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		if scriptProto == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
		} else {
			w.Bool(bool(v))
		}
	case lua.LNumber:
		w.Int(luaToInt64(float64(v)))
	case *lua.LTable:
		writeLuaTable(w, v, scriptProto, depth, onErr)
	default:
		w.Null()
	}
}

// luaToInt64 is C's (long long) cast of a double as x86-64 does it:
// NaN and values out of range give the minimum.
func luaToInt64(f float64) int64 {
	if f != f || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

func writeLuaTable(w *resp.Writer, t *lua.LTable, scriptProto, depth int, onErr errReply) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		if onErr != nil {
			onErr(string(e), t.RawGetString("ignore_error_stats_update") == lua.LTrue)
		} else {
			w.Error(string(e))
		}
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Simple(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(d))
		return
	}
	if b, ok := t.RawGetString("big_number").(lua.LString); ok {
		s := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(b))
		if w.Proto == 3 {
			w.Buf = append(w.Buf, '(')
			w.Buf = append(w.Buf, s...)
			w.Buf = append(w.Buf, '\r', '\n')
		} else {
			w.BulkString(s)
		}
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, fok := vt.RawGetString("format").(lua.LString)
		s, sok := vt.RawGetString("string").(lua.LString)
		if fok && sok {
			if w.Proto == 3 {
				body := string(f) + ":" + string(s)
				if len(f) != 3 {
					body = "txt:" + string(s)
				}
				w.Buf = append(w.Buf, '=')
				w.Buf = strconv.AppendInt(w.Buf, int64(len(body)), 10)
				w.Buf = append(w.Buf, '\r', '\n')
				w.Buf = append(w.Buf, body...)
				w.Buf = append(w.Buf, '\r', '\n')
			} else {
				w.BulkString(string(s))
			}
			return
		}
	}
	// Next rather than ForEach: ForEach walks string keys in Go's random
	// map order; Next keeps the table's own order, the same at every run.
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		for k, _ := m.Next(lua.LNil); k != lua.LNil; k, _ = m.Next(k) {
			n++
		}
		w.Map(n)
		for k, v := m.Next(lua.LNil); k != lua.LNil; k, v = m.Next(k) {
			writeLua(w, k, scriptProto, depth+1, onErr)
			writeLua(w, v, scriptProto, depth+1, onErr)
		}
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			n++
		}
		w.Set(n)
		for k, _ := s.Next(lua.LNil); k != lua.LNil; k, _ = s.Next(k) {
			writeLua(w, k, scriptProto, depth+1, onErr)
		}
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		writeLua(w, t.RawGetInt(i), scriptProto, depth+1, onErr)
	}
}

// cSpecial is C printf's spelling of an infinity or a NaN (ok false for
// any other number); signedNaN keeps a NaN's sign ("-nan", as glibc).
func cSpecial(f float64, signedNaN bool) (string, bool) {
	switch {
	case math.IsInf(f, 1):
		return "inf", true
	case math.IsInf(f, -1):
		return "-inf", true
	case f != f:
		if signedNaN && math.Signbit(f) {
			return "-nan", true
		}
		return "nan", true
	}
	return "", false
}

// fmtNumber14 is Lua 5.1's number to string ("%.14g", C's spelling of
// infinities and NaN).
func fmtNumber14(f float64) string {
	if s, ok := cSpecial(f, true); ok {
		return s
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// fmtNumber17 is how redis.call passes a number argument ("%.17g", so no
// precision is lost).
func fmtNumber17(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f != f:
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e17 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}
