package script

import (
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// TestRandMatchesRedis: after math.randomseed(10) Redis 7.0.15 answers
// 0.87885112309775, then math.random(100) = 80 and math.random(5,10) = 7
// (checked against redis-server).
func TestRandMatchesRedis(t *testing.T) {
	r := newRand()
	r.seed(10)
	f := float64(r.next()%randMax) / float64(randMax)
	if got := fmtNumber14(f); got != "0.87885112309775" {
		t.Fatalf("first = %s", got)
	}
}

func TestParseShebang(t *testing.T) {
	for _, tc := range []struct {
		body  string
		flags scriptFlags
		n     int
		err   string
	}{
		{"return 1", flagCompat, 0, ""},
		{"#!lua\nreturn 1", 0, 5, ""},
		{"#!lua flags=no-writes,allow-stale\nx", flagNoWrites | flagAllowStale, 33, ""},
		{"#!lua flags=\nx", 0, 12, ""},
		{"#!lua", 0, 0, "Invalid script shebang"},
		{"#!not-lua\nx", 0, 0, "Unexpected engine in script shebang: #!not-lua"},
		{"#!lua badger=data\nx", 0, 0, "Unknown lua shebang option: badger=data"},
		{"#!lua flags=allow-oom,what?\nx", 0, 0, "Unexpected flag in script shebang: what?"},
		{"#!lua flags=a,,b\nx", 0, 0, "Unexpected flag in script shebang: a"},
	} {
		f, n, err := parseShebang([]byte(tc.body))
		if err != tc.err || (err == "" && (f != tc.flags || n != tc.n)) {
			t.Errorf("%q: got (%v, %d, %q), want (%v, %d, %q)", tc.body, f, n, err, tc.flags, tc.n, tc.err)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	for _, tc := range []struct {
		f        float64
		g14, g17 string
	}{
		{1, "1", "1"}, {100.5, "100.5", "100.5"}, {0.1, "0.1", "0.10000000000000001"},
		{1e15, "1e+15", "1000000000000000"}, {9007199254740991, "9.007199254741e+15", "9007199254740991"},
		{-2.5, "-2.5", "-2.5"}, {1.0 / 3, "0.33333333333333", "0.33333333333333331"},
	} {
		if g := fmtNumber14(tc.f); g != tc.g14 {
			t.Errorf("%%.14g of %v = %s, want %s", tc.f, g, tc.g14)
		}
		if g := fmtNumber17(tc.f); g != tc.g17 {
			t.Errorf("%%.17g of %v = %s, want %s", tc.f, g, tc.g17)
		}
	}
}

func TestTobit(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want int32
	}{{1, 1}, {0xffffffff, -1}, {4294967296 + 5, 5}, {1.5, 2}, {2.5, 2}, {-1.5, -2}, {2147483648, -2147483648}} {
		if got := tobit(tc.f); got != tc.want {
			t.Errorf("tobit(%v) = %d, want %d", tc.f, got, tc.want)
		}
	}
}

func TestParseInt(t *testing.T) {
	for s, ok := range map[string]bool{"0": true, "12": true, "-3": true, "01": false, "-0": false, "+1": false, "": false, " 1": false, "99999999999999999999": false} {
		if _, got := parseInt([]byte(s)); got != ok {
			t.Errorf("parseInt(%q) ok = %v", s, got)
		}
	}
}

// engineScripting is a scripting engine over a bare command engine.
func engineScripting(t testing.TB) (*Scripting, *command.Session) {
	t.Helper()
	eng := command.NewEngine(keyspace.New(16))
	s := New(eng, Options{})
	s.Register()
	sess := &command.Session{Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}}
	return s, sess
}

func call(eng *command.Engine, sess *command.Session, args ...string) string {
	sess.W.Reset()
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	eng.Call(sess, b)
	return string(sess.W.Buf)
}

// TestEvalOnBareEngine runs scripts through Engine.Call, as a client
// would, and checks replies in both protocols.
func TestEvalOnBareEngine(t *testing.T) {
	s, sess := engineScripting(t)
	for _, tc := range []struct {
		proto int
		args  []string
		want  string
	}{
		{2, []string{"EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"}, "+OK\r\n"},
		{2, []string{"EVAL", "return redis.call('get', KEYS[1])", "1", "k"}, "$1\r\nv\r\n"},
		{2, []string{"EVAL", "return true", "0"}, ":1\r\n"},
		{3, []string{"EVAL", "return true", "0"}, ":1\r\n"},
		{3, []string{"EVAL", "redis.setresp(3) return true", "0"}, "#t\r\n"},
		{2, []string{"EVAL", "redis.setresp(3) return false", "0"}, ":0\r\n"},
		{3, []string{"EVAL", "return false", "0"}, "_\r\n"},
		{3, []string{"EVAL", "return {map={a=1}}", "0"}, "%1\r\n$1\r\na\r\n:1\r\n"},
		{2, []string{"EVAL", "return {map={a=1}}", "0"}, "*2\r\n$1\r\na\r\n:1\r\n"},
		{3, []string{"EVAL", "return {set={a=true}}", "0"}, "~1\r\n$1\r\na\r\n"},
		{3, []string{"EVAL", "return {double=1.5}", "0"}, ",1.5\r\n"},
		{3, []string{"EVAL", "return {big_number='12345678901234567890'}", "0"}, "(12345678901234567890\r\n"},
		{2, []string{"EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"}, "$2\r\nhi\r\n"},
		{3, []string{"EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"}, "=6\r\ntxt:hi\r\n"},
		{3, []string{"EVAL", "redis.setresp(3) local r = redis.call('hgetall', 'nokey') return type(r.map)", "0"}, "$5\r\ntable\r\n"},
		{2, []string{"EVAL", "return cjson.encode({a={1,2,'x/y'}})", "0"}, "$18\r\n{\"a\":[1,2,\"x\\/y\"]}\r\n"},
		{2, []string{"EVAL", "return cjson.decode('{\"a\":[1,2,null]}').a[2]", "0"}, ":2\r\n"},
		{2, []string{"EVAL", "return bit.band(0xff, 0x0f)", "0"}, ":15\r\n"},
		{2, []string{"SCRIPT", "DEBUG", "NO"}, "+OK\r\n"},
		{2, []string{"SCRIPT", "DEBUG", "MAYBE"}, "-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n"},
	} {
		sess.Proto, sess.W.Proto = tc.proto, tc.proto
		if got := call(s.eng, sess, tc.args...); got != tc.want {
			t.Errorf("resp%d %q = %q, want %q", tc.proto, tc.args, got, tc.want)
		}
	}
}

// propRecorder records what the engine propagates.
type propRecorder struct{ ops []string }

func (p *propRecorder) Propagate(db int, argv [][]byte) {
	var parts []string
	for _, a := range argv {
		parts = append(parts, string(a))
	}
	p.ops = append(p.ops, strings.Join(parts, " "))
}

// TestScriptPropagatesEffects: a script's writes are propagated, wrapped
// in MULTI/EXEC when there are several; the EVAL itself never is; reads
// propagate nothing; REPL_NONE and REPL_AOF steer the writes.
func TestScriptPropagatesEffects(t *testing.T) {
	s, sess := engineScripting(t)
	repl, aof := &propRecorder{}, &propRecorder{}
	s.eng.Sinks = []command.Propagator{repl, aof}
	s.eng.SinkTargets = []command.Target{command.TargetReplicas, command.TargetAOF}
	call(s.eng, sess, "EVAL", "redis.call('set','a','1') redis.call('incr','a')", "0")
	call(s.eng, sess, "EVAL", "return redis.call('get','a')", "0")
	call(s.eng, sess, "EVAL", "redis.call('set','b','2')", "0")
	call(s.eng, sess, "EVAL", "redis.set_repl(redis.REPL_AOF) redis.call('set','c','3') redis.set_repl(redis.REPL_NONE) redis.call('set','d','4')", "0")
	want := "MULTI|set a 1|incr a|EXEC|set b 2"
	// The last script has one op left to propagate (REPL_NONE drops the
	// other), so it goes unwrapped, to the AOF only.
	if got := strings.Join(repl.ops, "|"); got != want {
		t.Errorf("replicas got %s", got)
	}
	if got := strings.Join(aof.ops, "|"); got != want+"|set c 3" {
		t.Errorf("AOF got %s", got)
	}
}
