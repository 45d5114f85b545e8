package gobench

import (
	"testing"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

func argv(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// benchCall runs args through Engine.Call, the single dispatch path every
// request takes (lookup, arity and auth checks, handler, propagation
// bookkeeping), with the reply buffer reset each time. want is the reply
// checked once before timing.
func benchCall(b *testing.B, setup [][][]byte, args [][]byte, want string) {
	ks := keyspace.New(16)
	e := command.NewEngine(ks)
	w := &resp.Writer{Proto: 2}
	s := &command.Session{Proto: 2, Authed: true, W: w}
	for _, a := range setup {
		e.Call(s, a)
	}
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

// BenchmarkEngineEXISTS is about the cheapest key command.
func BenchmarkEngineEXISTS(b *testing.B) {
	benchCall(b, nil, argv("EXISTS", "key:000000000042"), ":0\r\n")
}

func BenchmarkEngineSET(b *testing.B) {
	benchCall(b, nil, argv("SET", "key:000000000042", "xxxxxxxxxxxxxxxx"), "+OK\r\n")
}

func BenchmarkEngineGET(b *testing.B) {
	benchCall(b, [][][]byte{argv("SET", "key:000000000042", "xxxxxxxxxxxxxxxx")},
		argv("GET", "key:000000000042"), "$16\r\nxxxxxxxxxxxxxxxx\r\n")
}

func BenchmarkEngineINCR(b *testing.B) {
	benchCall(b, nil, argv("INCR", "counter:000000000042"), ":1\r\n")
}

func BenchmarkEngineMSET10(b *testing.B) {
	a := []string{"MSET"}
	for range 10 {
		a = append(a, "key:000000000042", "xxxxxxxxxxxxxxxx")
	}
	benchCall(b, nil, argv(a...), "+OK\r\n")
}

// BenchmarkEngineSETEX adds a TTL, which touches the expires table too.
func BenchmarkEngineSETEX(b *testing.B) {
	benchCall(b, nil, argv("SET", "key:000000000042", "xxxxxxxxxxxxxxxx", "EX", "100"), "+OK\r\n")
}

// BenchmarkEngineUnknown is the error path of a command Tandem lacks.
func BenchmarkEngineUnknown(b *testing.B) {
	benchCall(b, nil, argv("NOSUCHCMD", "x"), "")
}
