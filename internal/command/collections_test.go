package command

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// recorder is a propagation sink that keeps every op as one line.
type recorder struct{ ops []string }

func (r *recorder) Propagate(db int, argv [][]byte) {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = string(a)
	}
	r.ops = append(r.ops, strings.Join(parts, " "))
}

func newTestEngine() (*Engine, *recorder) {
	e := NewEngine(keyspace.New(16))
	rec := &recorder{}
	e.Sinks = append(e.Sinks, rec)
	return e, rec
}

func newTestSession(id int64) *Session {
	return &Session{ID: id, Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
}

// run executes a space-separated command line and returns its reply.
func run(e *Engine, s *Session, line string) string {
	s.W.Reset()
	var args [][]byte
	for _, f := range strings.Fields(line) {
		args = append(args, []byte(f))
	}
	e.Call(s, args)
	return string(s.W.Buf)
}

// TestListsHashesSetsZSetsPropagateDeterministicForms checks what each
// write sends to replicas and the AOF (replication spec §2.8).
func TestListsHashesSetsZSetsPropagateDeterministicForms(t *testing.T) {
	cases := []struct {
		setup, cmd string
		want       []string
	}{
		{"RPUSH l a b c", "BLPOP l 0", []string{"LPOP l"}},
		{"RPUSH l a b c", "BRPOP nol l 0", []string{"RPOP l"}},
		{"RPUSH l a b c", "BLMPOP 0 1 l LEFT COUNT 5", []string{"LPOP l 3"}},
		{"RPUSH l a b c", "LMPOP 2 nol l RIGHT COUNT 2", []string{"RPOP l 2"}},
		{"RPUSH l a b c", "BLMOVE l d LEFT right 0", []string{"LMOVE l d LEFT right"}},
		{"RPUSH l a b c", "BRPOPLPUSH l d 0", []string{"RPOPLPUSH l d"}},
		{"RPUSH l a b c", "LTRIM l 0 -1", nil},
		{"RPUSH l a b c", "LTRIM l 1 -1", []string{"LTRIM l 1 -1"}},
		{"RPUSH l a", "LREM l 0 z", nil},
		{"", "LPUSHX l a", nil},
		{"HSET h f 1", "HINCRBYFLOAT h f 0.5", []string{"HSET h f 1.5"}},
		{"HSET h f 1", "HDEL h nope", nil},
		{"SADD s a", "SADD s a", nil},
		{"SADD s a", "SPOP s", []string{"SREM s a"}},
		{"SADD s a b", "SPOP s 5", []string{"DEL s"}},
		{"SADD s 1 2 3", "SPOP s 2", []string{"MULTI", "SREM s ?", "SREM s ?", "EXEC"}},
		{"SADD s a", "SMOVE s s a", nil},
		{"", "SINTERSTORE d a b", nil},
		{"ZADD z 1 a 2 b", "BZPOPMIN z 0", []string{"ZPOPMIN z"}},
		{"ZADD z 1 a 2 b", "BZPOPMAX z 0", []string{"ZPOPMAX z"}},
		{"ZADD z 1 a 2 b", "ZMPOP 1 z MAX COUNT 9", []string{"ZPOPMAX z 2"}},
		{"ZADD z 1 a 2 b", "BZMPOP 0 1 z MIN", []string{"ZPOPMIN z 1"}},
		{"ZADD z 1 a", "ZADD z 1 a", nil},
		{"ZADD z 1 a", "ZADD z XX 1 b", nil},
		{"ZADD z 1 a", "ZREMRANGEBYSCORE z 5 6", nil},
		{"ZADD z 1 a", "ZINCRBY z 1 a", []string{"ZINCRBY z 1 a"}},
	}
	for _, tc := range cases {
		e, rec := newTestEngine()
		s := newTestSession(1)
		for _, l := range strings.Split(tc.setup, ";") {
			if strings.TrimSpace(l) != "" {
				run(e, s, l)
			}
		}
		rec.ops = nil
		reply := run(e, s, tc.cmd)
		got := rec.ops
		for i, op := range got {
			if strings.HasPrefix(op, "SREM s ") && strings.Contains(tc.cmd, "SPOP s 2") {
				got[i] = "SREM s ?"
			}
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s (after %s): propagated %q, want %q (reply %q)", tc.cmd, tc.setup, got, tc.want, reply)
		}
	}
}

// TestBlockingListPopServesTheKeyThatBecameReady: a client blocked on
// several keys is served from the key that became ready first, and its pop
// is propagated right after the push that woke it.
func TestBlockingListPopServesTheKeyThatBecameReady(t *testing.T) {
	e, rec := newTestEngine()
	waiter, pusher := newTestSession(1), newTestSession(2)
	if r := run(e, waiter, "BLPOP l1 l2 0"); r != "" || !waiter.Blocked() {
		t.Fatalf("BLPOP did not block: %q", r)
	}
	waiter.W.Reset()
	run(e, pusher, "MULTI")
	run(e, pusher, "RPUSH l2 x")
	run(e, pusher, "RPUSH l1 y")
	run(e, pusher, "EXEC")
	if got, want := string(waiter.W.Buf), "*2\r\n$2\r\nl2\r\n$1\r\nx\r\n"; got != want {
		t.Fatalf("waiter got %q, want %q", got, want)
	}
	if waiter.Blocked() {
		t.Fatal("waiter still blocked")
	}
	want := "MULTI|RPUSH l2 x|RPUSH l1 y|EXEC|LPOP l2"
	if got := strings.Join(rec.ops, "|"); got != want {
		t.Fatalf("propagated %q, want %q", got, want)
	}
}

// TestBlockingPopIgnoresReadyKeyOfAnotherType: as in Redis 7.0, a key that
// comes back as another type does not wake a list waiter with an error.
func TestBlockingPopIgnoresReadyKeyOfAnotherType(t *testing.T) {
	e, _ := newTestEngine()
	waiter, other := newTestSession(1), newTestSession(2)
	run(e, waiter, "BZPOPMIN k 0")
	waiter.W.Reset()
	run(e, other, "SET k x")
	if !waiter.Blocked() || len(waiter.W.Buf) != 0 {
		t.Fatalf("waiter woken by a string: %q", waiter.W.Buf)
	}
	run(e, other, "DEL k")
	run(e, other, "ZADD k 3 m")
	if got, want := string(waiter.W.Buf), "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n3\r\n"; got != want {
		t.Fatalf("waiter got %q, want %q", got, want)
	}
}

// TestBlockingTimeoutParsesLikeRedis covers getTimeout's rules.
func TestBlockingTimeoutParsesLikeRedis(t *testing.T) {
	cases := []struct {
		arg  string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"1", time.Second, ""},
		{"0.5", 500 * time.Millisecond, ""},
		{"0.0001", time.Millisecond, ""}, // rounded up
		{"1.0001", 1001 * time.Millisecond, ""},
		{"-0.0001", 0, ""}, // rounds up to 0: forever
		{"1e-300", time.Millisecond, ""},
		{"-1e-300", 0, ""},
		{"9.223371e15", 0, ""}, // Redis's deadline overflows: never
		{"0x10", 16 * time.Second, ""},
		{"-1", 0, "ERR timeout is negative"},
		{"inf", 0, "ERR timeout is negative"},
		{"1e400", 0, "ERR timeout is negative"},
		{"9.3e15", 0, "ERR timeout is negative"},
		{"x", 0, "ERR timeout is not a float or out of range"},
		{" 1", 0, "ERR timeout is not a float or out of range"},
		{"", 0, "ERR timeout is not a float or out of range"},
	}
	e, _ := newTestEngine()
	for _, tc := range cases {
		s := newTestSession(1)
		c := &Ctx{W: s.W, S: s, E: e}
		e.now = time.Now().UnixMilli()
		d, ok := getTimeout(c, []byte(tc.arg))
		if tc.err != "" {
			if ok || !strings.Contains(string(s.W.Buf), tc.err) {
				t.Errorf("timeout %q: got ok=%v reply %q, want %q", tc.arg, ok, s.W.Buf, tc.err)
			}
			continue
		}
		if !ok || d != tc.want {
			t.Errorf("timeout %q: got %v ok=%v (%q), want %v", tc.arg, d, ok, s.W.Buf, tc.want)
		}
	}
}

// TestZSetsLexWalkOverMixedScores checks the listpack lex walk against
// what Redis 7.0 answers for members whose scores are not in lex order.
func TestZSetsLexWalkOverMixedScores(t *testing.T) {
	z := types.NewZSet()
	for i, m := range []string{"b", "a", "d", "c", "e", "f"} {
		z.Add([]byte(m), []float64{1, 2, 3, 0, 5, 4}[i], 0, nil)
	}
	items := zsetItems(z) // c b a d f e
	cases := []struct {
		min, max string
		reverse  bool
		offset   int64
		limit    int64
		want     string
	}{
		{"-", "+", false, 0, -1, "c b a d f e"},
		{"[b", "[d", false, 0, -1, "c b a d"},
		{"(a", "+", false, 0, -1, "c b a d f e"},
		{"+", "-", false, 0, -1, ""},
		{"[b", "[b", false, 0, -1, ""},
		{"-", "+", true, 0, -1, "e f d a b c"},
		{"[b", "[d", true, 0, -1, "d"},
		{"[a", "[z", false, 1, 2, "b a"},
		{"[a", "[z", true, 1, 2, "f d"},
		{"-", "+", false, 6, 1, ""},
		{"-", "+", false, -1, 1, ""},
	}
	for _, tc := range cases {
		r, err := types.ParseLexRange([]byte(tc.min), []byte(tc.max))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, i := range lexSelect(items, r, tc.reverse, tc.offset, tc.limit) {
			got = append(got, items[i].m)
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%s %s rev=%v limit %d %d: got %q, want %q", tc.min, tc.max, tc.reverse, tc.offset, tc.limit, g, tc.want)
		}
	}
}

// TestListsHashesSetsZSetsKeySpecs checks the key positions COMMAND and
// cluster-style routing read from the table.
func TestListsHashesSetsZSetsKeySpecs(t *testing.T) {
	tab := NewTable()
	registerAll(tab)
	cases := []struct {
		line string
		want []int
	}{
		{"LPUSH k a b", []int{1}},
		{"LMOVE a b LEFT RIGHT", []int{1, 2}},
		{"BLPOP a b c 0", []int{1, 2, 3}},
		{"BZPOPMAX a b 1.5", []int{1, 2}},
		{"LMPOP 2 a b LEFT", []int{2, 3}},
		{"BLMPOP 0 2 a b LEFT COUNT 3", []int{3, 4}},
		{"ZMPOP 1 a MIN", []int{2}},
		{"BZMPOP 0 1 a MAX", []int{3}},
		{"SINTERCARD 2 a b LIMIT 1", []int{2, 3}},
		{"ZUNIONSTORE d 2 a b WEIGHTS 1 2", []int{1, 3, 4}},
		{"ZINTER 2 a b", []int{2, 3}},
		{"ZDIFF 9 a b", nil},
		{"SMOVE a b m", []int{1, 2}},
		{"SUNIONSTORE d a b", []int{1, 2, 3}},
		{"ZRANGESTORE d s 0 -1", []int{1, 2}},
		{"HSET h f v", []int{1}},
	}
	for _, tc := range cases {
		var args [][]byte
		for _, f := range strings.Fields(tc.line) {
			args = append(args, []byte(f))
		}
		spec := tab.Lookup(args[0])
		if spec == nil {
			t.Fatalf("%s not registered", args[0])
		}
		got := spec.Keys(args)
		if len(got) != len(tc.want) {
			t.Errorf("%s: keys %v, want %v", tc.line, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: keys %v, want %v", tc.line, got, tc.want)
				break
			}
		}
	}
}

// TestListsHashesSetsZSetsTypeAndCopy: TYPE names, OBJECT ENCODING names
// and COPY's deep copies.
func TestListsHashesSetsZSetsTypeAndCopy(t *testing.T) {
	e, _ := newTestEngine()
	s := newTestSession(1)
	for _, l := range []string{"RPUSH l a", "HSET h f v", "SADD s 1", "SADD t x", "ZADD z 1 m"} {
		run(e, s, l)
	}
	for _, tc := range []struct{ key, typ, enc string }{
		{"l", "list", "quicklist"}, {"h", "hash", "listpack"}, {"s", "set", "intset"}, {"t", "set", "hashtable"}, {"z", "zset", "listpack"},
	} {
		if got := run(e, s, "TYPE "+tc.key); got != "+"+tc.typ+"\r\n" {
			t.Errorf("TYPE %s = %q", tc.key, got)
		}
		if got := run(e, s, "OBJECT ENCODING "+tc.key); !strings.Contains(got, tc.enc) {
			t.Errorf("OBJECT ENCODING %s = %q", tc.key, got)
		}
		run(e, s, "COPY "+tc.key+" "+tc.key+"2")
	}
	run(e, s, "RPUSH l2 b")
	run(e, s, "HSET h2 g w")
	run(e, s, "SADD s2 2")
	run(e, s, "ZADD z2 2 n")
	for _, tc := range []struct{ cmd, want string }{
		{"LLEN l", ":1\r\n"}, {"HLEN h", ":1\r\n"}, {"SCARD s", ":1\r\n"}, {"ZCARD z", ":1\r\n"},
		{"LLEN l2", ":2\r\n"}, {"HLEN h2", ":2\r\n"}, {"SCARD s2", ":2\r\n"}, {"ZCARD z2", ":2\r\n"},
	} {
		if got := run(e, s, tc.cmd); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}
