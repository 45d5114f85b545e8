//go:build amd64 && !purego

package ticks

// haveCounter: amd64 has RDTSC.
const haveCounter = true

// read is RDTSC (ticks_amd64.s).
func read() uint64
