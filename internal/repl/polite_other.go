//go:build !linux

package repl

// runPolitely runs fn: lowering one thread's priority is Linux-only here.
func runPolitely(fn func()) { fn() }
