package command

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/resp"
)

// The commands of bench/cmds17.sh, in-process (no network): the engine's
// share of their cost, to profile with -cpuprofile.
func BenchmarkCmds17(b *testing.B) {
	e := NewEngine(keyspace.New(1))
	s := &Session{Proto: 2, Authed: true, W: &resp.Writer{Proto: 2}}
	e.ChainClock(true)
	call := func(line string) {
		s.W.Reset()
		f := strings.Fields(line)
		args := make([][]byte, len(f))
		for i, a := range f {
			args[i] = []byte(a)
		}
		e.Call(s, args)
	}
	// The data bench/cmds17.sh preloads: 100 numbers in a list, 100 points
	// within 200 km of (0, 0) and 900 far away.
	rng := rand.New(rand.NewSource(1))
	list := "RPUSH list100"
	for range 100 {
		list += fmt.Sprintf(" %d", rng.Intn(100000))
	}
	call(list)
	geo := "GEOADD g100"
	for i := range 100 {
		geo += fmt.Sprintf(" %.5f %.5f in%d", rng.Float64()*1.2-0.6, rng.Float64()*1.2-0.6, i+1)
	}
	for i := range 900 {
		geo += fmt.Sprintf(" %.5f %.5f out%d", 10+rng.Float64()*20, 10+rng.Float64()*20, i+1)
	}
	call(geo)
	for _, tc := range []struct{ name, line string }{
		{"GEOSEARCH100", "GEOSEARCH g100 FROMLONLAT 0 0 BYRADIUS 200 km ASC"},
		{"SORT100", "SORT list100"},
		{"BITFIELD", "BITFIELD bf INCRBY u8 100 1"},
		{"GEOADD", "GEOADD geo 13.361389 38.115556 member:1"},
	} {
		f := strings.Fields(tc.line)
		args := make([][]byte, len(f))
		for i, a := range f {
			args[i] = []byte(a)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.W.Reset()
				e.Call(s, args)
			}
		})
	}
}
