//go:build !amd64 || purego

package ticks

// haveCounter is false where Tandem reads no counter: Get stays nil.
const haveCounter = false

func read() uint64 { return 0 }
