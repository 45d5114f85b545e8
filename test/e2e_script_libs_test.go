package test

// The struct and cmsgpack libraries scripts get, compared byte for byte
// with Redis 7.0: every format option, byte order and alignment of
// struct.pack/unpack/size, every MessagePack form cmsgpack.pack writes and
// unpack reads, and their errors on bad input.

import "testing"

// hexFn is a Lua helper the cases put in front of their code: the bytes
// of a string in hex.
const hexFn = "local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end "

func luaHex(expr string) string {
	return "EVAL \"" + hexFn + "return hex(" + expr + ")\" 0"
}

func luaStr(body string) string {
	return "EVAL \"" + hexFn + body + "\" 0"
}

func TestScriptStructMatchesRedis(t *testing.T) {
	var pack []string
	for _, e := range []string{
		"struct.pack('>I2', 258)", "struct.pack('<i4', -2)", "struct.pack('b', -1)", "struct.pack('B', 255)",
		"struct.pack('h', -300)", "struct.pack('>H', 65535)", "struct.pack('l', -5)", "struct.pack('L', 2^40)",
		"struct.pack('T', 7)", "struct.pack('i3', 70000)", "struct.pack('>i3', -2)", "struct.pack('i16', -1)",
		"struct.pack('>I16', 5)", "struct.pack('f', 1.5)", "struct.pack('>f', -0.1)", "struct.pack('d', 0.1)",
		"struct.pack('>d', 0.1)", "struct.pack('bxb', 1, 2)", "struct.pack('c3', 'abcdef')", "struct.pack('c0', 'hello')",
		"struct.pack('s', 'hi')", "struct.pack('!4 b i', 1, 2)", "struct.pack('! b d', 1, 2)", "struct.pack('!2 b h b i', 1, 2, 3, 4)",
		"struct.pack(' b  b ', 1, 2)", "struct.pack('i', '42')", "struct.pack('c2', 12)", "struct.pack('b', 300)",
		"struct.pack('B', -1)", "struct.pack('I', 2^32 + 3)", "struct.pack('>l', -2^63)", "struct.pack('i', 3.9)",
		"struct.pack('i', -3.9)", "struct.pack('<I2>I2', 1, 1)", "struct.pack('')",
	} {
		pack = append(pack, luaHex(e))
	}
	runTypeDiff(t, []diffCase{
		{name: "pack", cmds: pack},
		{name: "pack-errors", cmds: []string{
			luaStr("return struct.pack('i', 'x')"),
			luaStr("return struct.pack('i')"),
			luaStr("return struct.pack('b i', 1)"),
			luaStr("return struct.pack('c5', 'ab')"),
			luaStr("return struct.pack('i33', 1)"),
			luaStr("return struct.pack('!3 b', 1)"),
			luaStr("return struct.pack('i99999999999', 1)"),
			luaStr("return struct.pack('?')"),
			luaStr("return struct.pack('z', 1)"),
			luaStr("return struct.pack()"),
			luaStr("return {pcall(struct.pack, 's', {})}"),
		}},
		{name: "unpack", cmds: []string{
			luaStr("return {struct.unpack('>I2', '\\\\1\\\\2')}"),
			luaStr("return {struct.unpack('<i4', struct.pack('<i4', -2))}"),
			luaStr("return {struct.unpack('bB', '\\\\255\\\\255')}"),
			luaStr("return {struct.unpack('hH', '\\\\1\\\\128\\\\1\\\\128')}"),
			luaStr("return {struct.unpack('>i3', '\\\\255\\\\255\\\\254')}"),
			luaStr("return {struct.unpack('i16', string.rep('\\\\255', 16))}"),
			luaStr("return {struct.unpack('>I16', string.rep('\\\\1', 16))}"),
			luaStr("return {struct.unpack('l', struct.pack('l', -2^53))}"),
			luaStr("return {struct.unpack('L', string.rep('\\\\255', 8)) == 2^64}"),
			luaStr("return {struct.unpack('s', 'ab\\\\0cd')}"),
			luaStr("return {struct.unpack('B c0', '\\\\3abcd')}"),
			luaStr("return {struct.unpack('b', 'abc', 2)}"),
			luaStr("return {struct.unpack('b', 'abc', '3')}"),
			luaStr("return {struct.unpack('', 'abc', -5)}"),
			luaStr("local a, b, n = struct.unpack('!4 b i', struct.pack('!4 b i', 1, 2)) return {a, b, n}"),
			luaStr("local f, d, n = struct.unpack('f d', struct.pack('f d', 1.5, 0.1)) return {tostring(f), tostring(d), n}"),
			luaStr("local f = struct.unpack('>f', '\\\\127\\\\128\\\\0\\\\0') return tostring(f)"),
			luaStr("return {struct.unpack('x b', '\\\\0\\\\7')}"),
			luaStr("return {struct.unpack('c2 c1', 'xyz')}"),
			luaStr("return {struct.unpack('s s', 'a\\\\0\\\\0')}"),
		}},
		{name: "unpack-errors", cmds: []string{
			luaStr("return {struct.unpack('s', 'ab')}"),
			luaStr("return {struct.unpack('c0', 'abc')}"),
			luaStr("return {struct.unpack('c c0', 'abc')}"),
			luaStr("return {struct.unpack('i4', 'ab')}"),
			luaStr("return {struct.unpack('b', 'abc', 0)}"),
			luaStr("return {struct.unpack('b', 'abc', -1)}"),
			luaStr("return {struct.unpack('b', 'abc', 5)}"),
			luaStr("return {struct.unpack('B c0', '\\\\9ab')}"),
			luaStr("return {struct.unpack('b')}"),
			luaStr("return {struct.unpack('?', 'a')}"),
			luaStr("return #{struct.unpack(string.rep('b', 9000), string.rep('a', 9000))}"),
			luaStr("return #{struct.unpack(string.rep('b', 7990), string.rep('a', 9000))}"),
		}},
		{name: "size", cmds: []string{
			luaStr("return struct.size('i b d')"),
			luaStr("return struct.size('!8 b d')"),
			luaStr("return struct.size('!2 b i')"),
			luaStr("return struct.size('c5 z')"),
			luaStr("return struct.size('i12 >I3 x')"),
			luaStr("return struct.size('s')"),
			luaStr("return struct.size('c0')"),
			luaStr("return struct.size('?')"),
			luaStr("return struct.size('!6')"),
		}},
	})
}

func TestScriptCmsgpackMatchesRedis(t *testing.T) {
	var pack []string
	for _, e := range []string{
		"cmsgpack.pack(0.1)", "cmsgpack.pack(-1099511627776)", "cmsgpack.pack(1.5)", "cmsgpack.pack(1/0)", "cmsgpack.pack(-1/0)",
		"cmsgpack.pack(0)", "cmsgpack.pack(127)", "cmsgpack.pack(128)", "cmsgpack.pack(255)", "cmsgpack.pack(256)",
		"cmsgpack.pack(65535)", "cmsgpack.pack(65536)", "cmsgpack.pack(2^32 - 1)", "cmsgpack.pack(2^32)", "cmsgpack.pack(2^53)",
		"cmsgpack.pack(2^63)", "cmsgpack.pack(-2^63)", "cmsgpack.pack(-1)", "cmsgpack.pack(-32)", "cmsgpack.pack(-33)",
		"cmsgpack.pack(-128)", "cmsgpack.pack(-129)", "cmsgpack.pack(-32768)", "cmsgpack.pack(-32769)", "cmsgpack.pack(-2^31)",
		"cmsgpack.pack(-2^31 - 1)", "cmsgpack.pack(true, false, nil)", "cmsgpack.pack('')", "cmsgpack.pack(string.rep('x', 31))",
		"cmsgpack.pack(string.rep('x', 32))", "string.sub(cmsgpack.pack(string.rep('x', 300)), 1, 4)",
		"string.sub(cmsgpack.pack(string.rep('x', 70000)), 1, 6)", "cmsgpack.pack({})", "cmsgpack.pack({1, 2, 'three'})",
		"cmsgpack.pack({a = 1})", "cmsgpack.pack({[1] = 1, [3] = 3})", "cmsgpack.pack({[1.5] = 1})", "cmsgpack.pack({[0] = 1})",
		"string.sub(cmsgpack.pack({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}), 1, 4)", "cmsgpack.pack({{{}}})",
		"cmsgpack.pack(redis.call)", "cmsgpack.pack('a', 1, {2})", "cmsgpack.pack({x = {y = {}}})",
	} {
		pack = append(pack, luaHex(e))
	}
	runTypeDiff(t, []diffCase{
		{name: "pack", cmds: pack},
		{name: "redis-tests", cmds: []string{
			// scripting.tcl's circular reference case: nested 16 levels deep.
			luaStr("local a = {x=nil,y=5} local b = {x=a} a['x'] = b local encoded = cmsgpack.pack(a) local re = cmsgpack.unpack(encoded) " +
				"return {hex(encoded), re.x.x.x.x.x.x.x.x.y == re.y, re.y == 5, re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil}"),
			luaStr("local s = string.rep('x', 65530) local e = cmsgpack.pack(string.rep('x', 30), string.rep('x', 250), s, string.rep('x', 100000)) " +
				"local o1, a = cmsgpack.unpack_limit(e, 1, 0) local o2, b = cmsgpack.unpack_limit(e, 1, o1) local o3, c = cmsgpack.unpack_limit(e, 1, o2) " +
				"local o4, d = cmsgpack.unpack_limit(e, 1, o3) return {o1, o2, o3, o4, #a, #b, #c, #d}"),
			luaStr("local big = {} for i = 1, 100000 do big[i] = i end local d = cmsgpack.unpack(cmsgpack.pack(big)) return {#d, d[1], d[100000]}"),
			luaStr("local m = {} for i = 1, 70000 do m[tostring(i)] = i end local e = cmsgpack.pack(m) local d = cmsgpack.unpack(e) return {string.byte(e, 1), d['1'], d['70000']}"),
		}},
		{name: "unpack", cmds: []string{
			luaStr("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3}, true))}"),
			luaStr("local t = cmsgpack.unpack(cmsgpack.pack({1, 2, 'three'})) return t"),
			luaStr("local t = cmsgpack.unpack(cmsgpack.pack({a = 1, b = 'x'})) return {t.a, t.b}"),
			luaStr("return {cmsgpack.unpack('\\\\204\\\\200\\\\208\\\\128\\\\205\\\\1\\\\2\\\\209\\\\255\\\\0\\\\206\\\\0\\\\1\\\\0\\\\0\\\\210\\\\255\\\\255\\\\255\\\\0')}"),
			luaStr("return {cmsgpack.unpack('\\\\211\\\\255\\\\255\\\\255\\\\255\\\\255\\\\255\\\\255\\\\254\\\\207\\\\0\\\\0\\\\0\\\\1\\\\0\\\\0\\\\0\\\\0')}"),
			luaStr("return tostring(cmsgpack.unpack('\\\\207\\\\255\\\\255\\\\255\\\\255\\\\255\\\\255\\\\255\\\\255'))"),
			luaStr("return {tostring(cmsgpack.unpack('\\\\202\\\\63\\\\192\\\\0\\\\0')), tostring(cmsgpack.unpack('\\\\203\\\\63\\\\185\\\\153\\\\153\\\\153\\\\153\\\\153\\\\154'))}"),
			luaStr("return {cmsgpack.unpack('\\\\127\\\\224\\\\255\\\\160\\\\163abc')}"),
			luaStr("return {cmsgpack.unpack('\\\\217\\\\3abc\\\\218\\\\0\\\\2de\\\\219\\\\0\\\\0\\\\0\\\\1f')}"),
			luaStr("return {cmsgpack.unpack('\\\\195\\\\194\\\\192\\\\1')}"),
			luaStr("local t = cmsgpack.unpack('\\\\220\\\\0\\\\2\\\\1\\\\2') return t"),
			luaStr("local t = cmsgpack.unpack('\\\\221\\\\0\\\\0\\\\0\\\\1\\\\5') return t"),
			luaStr("local t = cmsgpack.unpack('\\\\222\\\\0\\\\1\\\\161k\\\\1') return t.k"),
			luaStr("local t = cmsgpack.unpack('\\\\223\\\\0\\\\0\\\\0\\\\1\\\\161k\\\\2') return t.k"),
			luaStr("local t = cmsgpack.unpack('\\\\146\\\\192\\\\1') return {t[1] == nil, t[2]}"),
			luaStr("return {cmsgpack.unpack('')}"),
			luaStr("return {cmsgpack.unpack_one('')}"),
			luaStr("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}"),
			luaStr("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 1)}"),
			luaStr("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}"),
			luaStr("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)}"),
			luaStr("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 2)}"),
			luaStr("return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}"),
		}},
		{name: "errors", cmds: []string{
			luaStr("return cmsgpack.pack()"),
			luaStr("return cmsgpack.unpack('\\\\217')"),
			luaStr("return cmsgpack.unpack('\\\\217\\\\5ab')"),
			luaStr("return cmsgpack.unpack('\\\\193')"),
			luaStr("return cmsgpack.unpack('\\\\196\\\\1a')"),
			luaStr("return cmsgpack.unpack('\\\\147\\\\1\\\\2')"),
			luaStr("return cmsgpack.unpack('\\\\221\\\\255\\\\255\\\\255\\\\255\\\\1')"),
			luaStr("return cmsgpack.unpack('\\\\219\\\\255\\\\255\\\\255\\\\255ab')"),
			luaStr("return cmsgpack.unpack('\\\\129\\\\192\\\\1')"),
			luaStr("return cmsgpack.unpack(cmsgpack.pack({[0/0 ~= 0/0] = 1}))"),
			luaStr("return cmsgpack.unpack_limit('\\\\1', -1)"),
			luaStr("return cmsgpack.unpack_one('\\\\1', -1)"),
			luaStr("return cmsgpack.unpack_one('\\\\1', 5)"),
			luaStr("return cmsgpack.unpack_limit('\\\\1')"),
			luaStr("return cmsgpack.unpack({})"),
			luaStr("return cmsgpack.unpack(5)"),
			luaStr("return #{cmsgpack.unpack(string.rep('\\\\1', 9000))}"),
			luaStr("return #{cmsgpack.unpack(string.rep('\\\\1', 7990))}"),
			// Nesting deeper than Lua's C stack allows: an error, not a crash.
			luaStr("return cmsgpack.unpack(string.rep(string.char(145), 5000) .. string.char(192))"),
			luaStr("return {pcall(cmsgpack.unpack, string.rep(string.char(145), 5000) .. string.char(192))}"),
			luaStr("local t = cmsgpack.unpack(string.rep(string.char(145), 3000) .. string.char(192)) return type(t)"),
		}},
	})
}
