package script

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// The cjson library (lua-cjson 2.1.0, as Redis bundles it): encode and
// decode, cjson.null, and the settings Redis scripts use. Errors have
// lua-cjson's texts.

type cjsonCfg struct {
	encodeMaxDepth, decodeMaxDepth int
	encodeInvalid, decodeInvalid   bool
	precision                      int
	sparseConvert                  bool
	sparseRatio, sparseSafe        int
	null                           *lua.LUserData
}

func openCjson(L *lua.LState) *lua.LTable {
	cfg := &cjsonCfg{encodeMaxDepth: 1000, decodeMaxDepth: 1000, decodeInvalid: true, precision: 14, sparseRatio: 2, sparseSafe: 10}
	cfg.null = L.NewUserData()
	t := L.CreateTable(0, 0)
	t.RawSetString("null", cfg.null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	t.RawSetString("encode", L.NewFunction(cfg.encode))
	t.RawSetString("decode", L.NewFunction(cfg.decode))
	intSetting := func(p *int, lo, hi int) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				v := luaCheckInt(L, 1, "")
				if v < lo || v > hi {
					argError(L, 1, "?", "expected integer between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
				}
				*p = v
			}
			L.Push(lua.LNumber(*p))
			return 1
		}
	}
	boolSetting := func(p *bool) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 {
				switch v := L.Get(1).(type) {
				case lua.LBool:
					*p = bool(v)
				case lua.LString:
					switch string(v) {
					case "on":
						*p = true
					case "off":
						*p = false
					default:
						argError(L, 1, "?", "invalid option '"+string(v)+"'")
					}
				}
			}
			L.Push(lua.LBool(*p))
			return 1
		}
	}
	t.RawSetString("encode_max_depth", L.NewFunction(intSetting(&cfg.encodeMaxDepth, 1, math.MaxInt32)))
	t.RawSetString("decode_max_depth", L.NewFunction(intSetting(&cfg.decodeMaxDepth, 1, math.MaxInt32)))
	t.RawSetString("encode_number_precision", L.NewFunction(intSetting(&cfg.precision, 1, 14)))
	t.RawSetString("encode_invalid_numbers", L.NewFunction(boolSetting(&cfg.encodeInvalid)))
	t.RawSetString("decode_invalid_numbers", L.NewFunction(boolSetting(&cfg.decodeInvalid)))
	keep := true
	t.RawSetString("encode_keep_buffer", L.NewFunction(boolSetting(&keep)))
	t.RawSetString("encode_sparse_array", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 {
			if b, ok := L.Get(1).(lua.LBool); ok {
				cfg.sparseConvert = bool(b)
			}
		}
		if L.GetTop() >= 2 {
			cfg.sparseRatio = luaCheckInt(L, 2, "")
		}
		if L.GetTop() >= 3 {
			cfg.sparseSafe = luaCheckInt(L, 3, "")
		}
		L.Push(lua.LBool(cfg.sparseConvert))
		L.Push(lua.LNumber(cfg.sparseRatio))
		L.Push(lua.LNumber(cfg.sparseSafe))
		return 3
	}))
	return t
}

// cjsonError raises msg without a position, as luaL_error from a C
// function does.
func cjsonError(L *lua.LState, msg string) {
	L.Error(lua.LString(msg), 0)
}

func (cfg *cjsonCfg) encode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "?", "expected 1 argument")
	}
	var b strings.Builder
	cfg.encodeValue(L, &b, L.Get(1), 0)
	L.Push(lua.LString(b.String()))
	return 1
}

func (cfg *cjsonCfg) encodeValue(L *lua.LState, b *strings.Builder, v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		encodeJSONString(b, string(v))
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || f != f {
			if !cfg.encodeInvalid {
				cjsonError(L, "Cannot serialise number: must not be NaN or Inf")
			}
			switch {
			case f != f:
				b.WriteString("nan")
			case f > 0:
				b.WriteString("inf")
			default:
				b.WriteString("-inf")
			}
			return
		}
		b.WriteString(fmtNumberPrec(f, cfg.precision))
	case lua.LBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case *lua.LNilType:
		b.WriteString("null")
	case *lua.LUserData:
		if v == cfg.null {
			b.WriteString("null")
			return
		}
		cjsonError(L, "Cannot serialise userdata: type not supported")
	case *lua.LTable:
		depth++
		if depth > cfg.encodeMaxDepth {
			cjsonError(L, "Cannot serialise, excessive nesting ("+strconv.Itoa(depth)+")")
		}
		n := cfg.arrayLength(L, v)
		if n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				cfg.encodeValue(L, b, v.RawGetInt(i), depth)
			}
			b.WriteByte(']')
			return
		}
		b.WriteByte('{')
		first := true
		k, val := v.Next(lua.LNil)
		for k != lua.LNil {
			if !first {
				b.WriteByte(',')
			}
			first = false
			switch key := k.(type) {
			case lua.LString:
				encodeJSONString(b, string(key))
			case lua.LNumber:
				b.WriteByte('"')
				b.WriteString(fmtNumberPrec(float64(key), cfg.precision))
				b.WriteByte('"')
			default:
				cjsonError(L, "Cannot serialise "+k.Type().String()+": table key must be a number or string")
			}
			b.WriteByte(':')
			cfg.encodeValue(L, b, val, depth)
			k, val = v.Next(k)
		}
		b.WriteByte('}')
	default:
		cjsonError(L, "Cannot serialise "+v.Type().String()+": type not supported")
	}
}

// arrayLength is lua-cjson's lua_array_length: the table's length when
// all its keys are positive integers (0 when it is an object), or an
// error for an excessively sparse array.
func (cfg *cjsonCfg) arrayLength(L *lua.LState, t *lua.LTable) int {
	maxKey, items := 0, 0
	k, _ := t.Next(lua.LNil)
	for k != lua.LNil {
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			return 0
		}
		if int(n) > maxKey {
			maxKey = int(n)
		}
		items++
		k, _ = t.Next(k)
	}
	if cfg.sparseRatio > 0 && maxKey > items*cfg.sparseRatio && maxKey > cfg.sparseSafe {
		if !cfg.sparseConvert {
			cjsonError(L, "Cannot serialise table: excessively sparse array")
		}
		return 0
	}
	return maxKey
}

func encodeJSONString(b *strings.Builder, s string) {
	const hexd = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\u00`)
				b.WriteByte(hexd[c>>4])
				b.WriteByte(hexd[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// fmtNumberPrec is "%.<prec>g".
func fmtNumberPrec(f float64, prec int) string {
	if f == math.Trunc(f) && math.Abs(f) < math.Pow10(prec) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// JSON decoding.

type jsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonCfg
	s     string
	i     int
	depth int
}

func (cfg *cjsonCfg) decode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "?", "expected 1 argument")
	}
	s := L.CheckString(1)
	d := &jsonDecoder{L: L, cfg: cfg, s: s}
	if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
		cjsonError(L, "JSON parser does not support UTF-16 or UTF-32")
	}
	v := d.value()
	d.ws()
	if d.i < len(d.s) {
		d.fail("the end", d.tokenName())
	}
	L.Push(v)
	return 1
}

func (d *jsonDecoder) ws() {
	for d.i < len(d.s) && (d.s[d.i] == ' ' || d.s[d.i] == '\t' || d.s[d.i] == '\n' || d.s[d.i] == '\r') {
		d.i++
	}
}

func (d *jsonDecoder) fail(expected, found string) {
	cjsonError(d.L, "Expected "+expected+" but found "+found+" at character "+strconv.Itoa(d.i+1))
}

// tokenName names the token at the cursor as lua-cjson's errors do.
func (d *jsonDecoder) tokenName() string {
	if d.i >= len(d.s) {
		return "T_END"
	}
	switch c := d.s[d.i]; c {
	case '{':
		return "T_OBJ_BEGIN"
	case '}':
		return "T_OBJ_END"
	case '[':
		return "T_ARR_BEGIN"
	case ']':
		return "T_ARR_END"
	case ',':
		return "T_COMMA"
	case ':':
		return "T_COLON"
	case '"':
		return "T_STRING"
	}
	rest := d.s[d.i:]
	switch {
	case strings.HasPrefix(rest, "true"), strings.HasPrefix(rest, "false"):
		return "T_BOOLEAN"
	case strings.HasPrefix(rest, "null"):
		return "T_NULL"
	case strings.IndexByte("-0123456789", rest[0]) >= 0:
		return "T_NUMBER"
	}
	return "invalid token"
}

func (d *jsonDecoder) nest() {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth {
		cjsonError(d.L, "Found too many nested data structures ("+strconv.Itoa(d.depth)+") at character "+strconv.Itoa(d.i+1))
	}
}

func (d *jsonDecoder) value() lua.LValue {
	d.ws()
	if d.i >= len(d.s) {
		d.fail("value", "T_END")
	}
	switch c := d.s[d.i]; {
	case c == '{':
		d.nest()
		d.i++
		t := d.L.NewTable()
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			d.depth--
			return t
		}
		for {
			d.ws()
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				d.fail("object key string", d.tokenName())
			}
			k := d.str()
			d.ws()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				d.fail("colon", d.tokenName())
			}
			d.i++
			v := d.value()
			t.RawSetString(k, v)
			d.ws()
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == '}' {
				d.i++
				d.depth--
				return t
			}
			d.fail("comma or object end", d.tokenName())
		}
	case c == '[':
		d.nest()
		d.i++
		t := d.L.NewTable()
		d.ws()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			d.depth--
			return t
		}
		for n := 1; ; n++ {
			t.RawSetInt(n, d.value())
			d.ws()
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == ']' {
				d.i++
				d.depth--
				return t
			}
			d.fail("comma or array end", d.tokenName())
		}
	case c == '"':
		return lua.LString(d.str())
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return lua.LTrue
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return lua.LFalse
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return d.cfg.null
	case c == '-' || (c >= '0' && c <= '9') || c == 'i' || c == 'n' || c == 'I' || c == 'N':
		return d.number()
	}
	d.fail("value", d.tokenName())
	return lua.LNil
}

func (d *jsonDecoder) number() lua.LValue {
	j := d.i
	for j < len(d.s) && strings.IndexByte("+-0123456789.eExXabcdefABCDEFinftyINFTYn", d.s[j]) >= 0 {
		j++
	}
	tok := d.s[d.i:j]
	lower := strings.ToLower(strings.TrimLeft(tok, "+-"))
	special := strings.HasPrefix(lower, "inf") || strings.HasPrefix(lower, "nan") || strings.HasPrefix(lower, "0x")
	if special && !d.cfg.decodeInvalid {
		d.fail("value", "invalid number")
	}
	var f float64
	var err error
	switch {
	case lower == "inf" || lower == "infinity":
		f = math.Inf(1)
		if strings.HasPrefix(tok, "-") {
			f = math.Inf(-1)
		}
	case lower == "nan":
		f = math.NaN()
	default:
		f, err = parseLuaNumber(tok)
	}
	if err != nil {
		d.fail("value", "invalid number")
	}
	d.i = j
	return lua.LNumber(f)
}

func (d *jsonDecoder) str() string {
	d.i++ // the opening quote
	var b []byte
	for {
		if d.i >= len(d.s) {
			d.fail("value", "invalid token")
		}
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b)
		case c == '\\':
			if d.i+1 >= len(d.s) {
				d.fail("value", "invalid token")
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					d.fail("value", "invalid unicode escape code")
				}
				if r >= 0xD800 && r <= 0xDBFF && strings.HasPrefix(d.s[d.i:], `\u`) {
					d.i += 2
					lo, ok := d.hex4()
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						d.fail("value", "invalid unicode escape code")
					}
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				}
				b = appendUTF8(b, r)
			default:
				d.fail("value", "invalid escape code")
			}
		default:
			if c < 0x20 {
				d.fail("value", "invalid token")
			}
			b = append(b, c)
			d.i++
		}
	}
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

func appendUTF8(b []byte, r rune) []byte {
	return append(b, string(r)...)
}
