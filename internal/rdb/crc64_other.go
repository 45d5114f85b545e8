//go:build !amd64 || purego

package rdb

// useCLMUL is false where there is no carry-less multiplication to use:
// CRC64 takes the tables.
const useCLMUL = false

func foldCLMUL(x *[2]uint64, p []byte, k *[2]uint64) { panic("rdb: foldCLMUL without PCLMULQDQ") }
