//go:build !linux

package server

// totalSystemMemory is 0 where we do not read it (INFO shows 0, as Redis
// does when it cannot tell).
func totalSystemMemory() uint64 { return 0 }
