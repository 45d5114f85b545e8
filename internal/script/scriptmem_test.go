package script

import (
	"fmt"
	"testing"
)

// TestCachedScriptMemory measures the live heap a cached script takes,
// loaded with SCRIPT LOAD as bench/scripting.sh does (2,000 distinct
// small scripts), beside what INFO memory says for it
// (used_memory_vm_eval + used_memory_scripts_eval growth, divided). The
// bound is what the compiled form should cost once gopher-lua's
// preallocated slices are gone (about 1,000 bytes here; 1,460 when each
// function kept a 32-slot string-constant list and 8-byte line numbers).
func TestCachedScriptMemory(t *testing.T) {
	s, sess := engineScripting(t)
	const n = 2000
	args := make([][][]byte, n)
	for i := range args {
		body := fmt.Sprintf("local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], '%d') return v", i)
		args[i] = [][]byte{[]byte("SCRIPT"), []byte("LOAD"), []byte(body)}
	}
	info0 := s.ScriptMemory()
	per := heapAfter(func() {
		for _, a := range args {
			sess.W.Reset()
			s.eng.Call(sess, a)
			if sess.W.Buf[0] != '$' {
				t.Fatalf("SCRIPT LOAD: %q", sess.W.Buf)
			}
		}
	}) / n
	info1 := s.ScriptMemory()
	est := (info1.VMEval + info1.ScriptsEval - info0.VMEval - info0.ScriptsEval) / n
	t.Logf("cached script: measured %d bytes of heap, INFO says %d", per, est)
	if per > 1250 {
		t.Errorf("a cached script takes %d bytes of heap, more than 1,250", per)
	}
	if per < est/2 || per > est*2 {
		t.Errorf("a cached script takes %d bytes; INFO's %d is off by more than 2x", per, est)
	}
}
