package command

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// The commands of bench/streams.sh (and GEOADD of new members, as
// bench/cmds17.sh sends them), in-process: the engine's share of their
// cost, to profile with -cpuprofile.
func BenchmarkStreams(b *testing.B) {
	e := NewEngine(keyspace.New(1))
	s := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
	e.ChainClock(true)
	argv := func(line string) [][]byte {
		f := strings.Fields(line)
		args := make([][]byte, len(f))
		for i, a := range f {
			args[i] = []byte(a)
		}
		return args
	}
	call := func(line string) {
		s.W.Reset()
		e.Call(s, argv(line))
	}
	for i := range 10000 {
		call("XADD s10k * field value-" + strconv.Itoa(i))
	}
	b.Run("XADD", func(b *testing.B) {
		b.ReportAllocs()
		args := argv("XADD s * field value")
		for b.Loop() {
			s.W.Reset()
			e.Call(s, args)
		}
	})
	b.Run("XRANGE10", func(b *testing.B) {
		b.ReportAllocs()
		args := argv("XRANGE s10k - + COUNT 10")
		for b.Loop() {
			s.W.Reset()
			e.Call(s, args)
		}
	})
	b.Run("XREADGROUP+XACK", func(b *testing.B) {
		b.ReportAllocs()
		call("DEL sg")
		for i := range b.N + 10 {
			call("XADD sg * field value-" + strconv.Itoa(i))
		}
		call("XGROUP CREATE sg g 0")
		read := argv("XREADGROUP GROUP g c1 COUNT 1 STREAMS sg >")
		ack := argv("XACK sg g 0-0")
		b.ResetTimer()
		for b.Loop() {
			s.W.Reset()
			e.Call(s, read)
			// The reply's ID: *1 *2 $2 sg *1 *2 $N <id>.
			out := string(s.W.Buf)
			i := strings.Index(out, "-")
			j := strings.LastIndex(out[:i], "\n")
			k := strings.Index(out[i:], "\r")
			ack[3] = []byte(out[j+1 : i+k])
			s.W.Reset()
			e.Call(s, ack)
		}
	})
	b.Run("GEOADDnew", func(b *testing.B) {
		b.ReportAllocs()
		args := argv("GEOADD geo 13.361389 38.115556 member:1")
		i := 0
		for b.Loop() {
			s.W.Reset()
			args[4] = strconv.AppendInt(args[4][:7], int64(i%100000), 10)
			i++
			e.Call(s, args)
		}
	})
	b.Run("ZADDnew", func(b *testing.B) {
		b.ReportAllocs()
		args := argv("ZADD z 3471579339700058 member:1")
		i := 0
		for b.Loop() {
			s.W.Reset()
			args[3] = strconv.AppendInt(args[3][:7], int64(i%100000), 10)
			i++
			e.Call(s, args)
		}
	})
}
