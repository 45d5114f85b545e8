package script

import (
	"testing"

	lua "github.com/tandemdb/tandem/internal/lua"
)

// BenchmarkLoop1000VMFloor is the part of BenchmarkLoop1000 that belongs to
// gopher-lua alone: the same loop, its 'n:' .. KEYS[1] concatenation
// included, calling a Go function that does nothing instead of redis.call,
// under the same per-instruction hook as a script (a hook that is never
// signalled). ns/op / 1000 is the floor of one redis.call on this VM,
// whatever the Go side behind it does (Redis's whole iteration,
// redis.call('incr', …) included, costs it about 330 ns of CPU).
func BenchmarkLoop1000VMFloor(b *testing.B) {
	for _, c := range []struct{ name, code string }{
		{"concat+call", "for i = 1, 1000 do f('incr', 'n:' .. KEYS[1]) end return 1"},
		{"call", "local k = 'n:' .. KEYS[1] for i = 1, 1000 do f('incr', k) end return 1"},
		{"empty", "for i = 1, 1000 do end return 1"},
	} {
		b.Run(c.name, func(b *testing.B) {
			L := lua.NewState(stateOptions()) // the scripts' state's (newVM)
			defer L.Close()
			h := &hook{}
			L.SetInterrupt(&h.signal, h.check)
			keys := L.NewTable()
			keys.Append(lua.LString("k"))
			L.SetGlobal("KEYS", keys)
			L.SetGlobal("f", L.NewFunction(func(L *lua.LState) int { return 0 }))
			fn, err := L.LoadString(c.code)
			if err != nil {
				b.Fatal(err)
			}
			// As compile does: no 'arg' table for the chunk's varargs.
			fn.Proto.IsVarArg &^= lua.VarArgNeedsArg
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				L.Push(fn)
				if err := L.PCall(0, 1, nil); err != nil {
					b.Fatal(err)
				}
				L.Pop(1)
			}
		})
	}
}
