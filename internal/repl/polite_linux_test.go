package repl

import (
	"runtime"
	"syscall"
	"testing"
)

func threadNice(t *testing.T) int {
	t.Helper()
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	return 20 - prio
}

// TestRunPolitelyLowersOnlyItsThread: the function runs niced, and the
// caller's thread (and so Go's pool) keeps its priority.
func TestRunPolitelyLowersOnlyItsThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNice(t)
	inside := before
	runPolitely(func() { inside = threadNice(t) })
	if want := min(before+loadNice, 19); inside != want {
		t.Fatalf("nice inside = %d, want %d (caller's %d)", inside, want, before)
	}
	if after := threadNice(t); after != before {
		t.Fatalf("caller's nice changed from %d to %d", before, after)
	}
	// Threads the pool hands out afterwards are not niced either.
	for i := 0; i < 20; i++ {
		got := make(chan int)
		go func() { got <- threadNice(t) }()
		if n := <-got; n != before {
			t.Fatalf("a pooled thread has nice %d, want %d", n, before)
		}
	}
}
