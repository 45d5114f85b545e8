package script

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// heapAfter is the live heap after fn, less the live heap before it.
func heapAfter(fn func()) int64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.GC()
	runtime.ReadMemStats(&b)
	return int64(b.HeapAlloc) - int64(a.HeapAlloc)
}

// TestVMMemoryEstimate holds INFO's estimates (vmBaseMem for a fresh Lua
// state, protoMem and scriptMem for a cached script) within a factor of two
// of the heap they really take, measured over many states and scripts.
func TestVMMemoryEstimate(t *testing.T) {
	s := &Scripting{cache: map[string]*script{}, rnd: newRand()}
	s.hook.s = s
	const states = 20
	var keep []*vm
	var took time.Duration
	perVM := heapAfter(func() {
		start := time.Now()
		for i := 0; i < states; i++ {
			keep = append(keep, newVM(s))
		}
		took = time.Since(start) / states
	}) / states
	s.vm = keep[0]
	keep = keep[:1]
	const scripts = 500
	perScript := heapAfter(func() {
		for i := 0; i < scripts; i++ {
			body := fmt.Sprintf("local v = redis.call('get', KEYS[1]) if v then redis.call('set', KEYS[1], v .. '%d') end return v", i)
			if sc, msg := s.create([]byte(body)); sc == nil {
				t.Fatal(msg)
			}
		}
	}) / scripts
	runtime.KeepAlive(keep)
	estScript := (s.protoMem + s.cacheMem) / scripts
	t.Logf("Lua state: built in %v, measured %d bytes, estimate %d; cached script: measured %d bytes, estimate %d", took, perVM, vmBaseMem, perScript, estScript)
	if perVM < vmBaseMem/2 || perVM > vmBaseMem*2 {
		t.Errorf("a fresh Lua state takes %d bytes; vmBaseMem (%d) is off by more than 2x", perVM, vmBaseMem)
	}
	if perScript < estScript/2 || perScript > estScript*2 {
		t.Errorf("a cached script takes %d bytes; the estimate (%d) is off by more than 2x", perScript, estScript)
	}
}
