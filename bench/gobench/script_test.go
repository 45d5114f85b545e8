package gobench

import (
	"testing"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/script"
)

// benchEval runs EVALSHA of body (one key) through the engine with the
// scripting engine registered, as a server runs it (without the network).
func benchEval(b *testing.B, body, want string) {
	ks := keyspace.New(16)
	e := command.NewEngine(ks)
	sc := script.New(e, script.Options{})
	sc.Register()
	w := &resp.Writer{Proto: 2}
	s := &command.Session{Proto: 2, Authed: true, W: w}
	e.Call(s, argv("SCRIPT", "LOAD", body))
	sha := string(w.Buf[len(w.Buf)-42 : len(w.Buf)-2])
	args := argv("EVALSHA", sha, "1", "key:000000000042")
	w.Reset()
	e.Call(s, args)
	if want != "" && string(w.Buf) != want {
		b.Fatalf("reply %q, want %q", w.Buf, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		w.Reset()
		e.Call(s, args)
	}
}

// BenchmarkEvalGetSet: EVALSHA of a script doing one GET and one SET.
func BenchmarkEvalGetSet(b *testing.B) {
	benchEval(b, "local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], 'x') return v", "$-1\r\n")
}

// BenchmarkEvalLoop1000: EVALSHA of a script calling INCR 1,000 times.
func BenchmarkEvalLoop1000(b *testing.B) {
	benchEval(b, "for i = 1, 1000 do redis.call('incr', 'n:' .. KEYS[1]) end return 1", ":1\r\n")
}
