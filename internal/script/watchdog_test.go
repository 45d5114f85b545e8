package script

import (
	"strings"
	"testing"
	"time"
)

// TestHookStopsLoopsInCoroutines: the instruction hook reaches code that
// runs in a coroutine too (Lua 5.1's threads inherit their creator's hook,
// so Redis can kill such a script), and the error it raises goes on past
// the coroutine's end, as it does past pcall.
func TestHookStopsLoopsInCoroutines(t *testing.T) {
	for _, body := range []string{
		"while true do end",
		"coroutine.resume(coroutine.create(function() while true do end end)) while true do end",
		"local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end",
		"coroutine.resume(coroutine.create(function() while true do end end)) return 1",
	} {
		s := &Scripting{cache: map[string]*script{}, rnd: newRand()}
		s.hook.s = s
		s.vm = newVM(s)
		done := make(chan error, 1)
		go func() { done <- s.vm.L.DoString(body) }()
		time.Sleep(20 * time.Millisecond)
		s.abort(errKilled)
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), errKilled.Error()) {
				t.Errorf("%q: error %v, want %q", body, err, errKilled)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%q: the hook did not stop it", body)
		}
	}
}
