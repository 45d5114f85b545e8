//go:build amd64 && !purego

package rdb

import "golang.org/x/sys/cpu"

// useCLMUL: the processor has PCLMULQDQ (every x86-64 since 2010 or so),
// so CRC64 folds long inputs instead of looking each byte up.
var useCLMUL = cpu.X86.HasPCLMULQDQ

// foldCLMUL folds each 16-byte block of p (len(p) a multiple of 16) into
// x: x = lo(x)·k[0] ⊕ hi(x)·k[1] ⊕ block, carry-less (crc64_amd64.s).
//
//go:noescape
func foldCLMUL(x *[2]uint64, p []byte, k *[2]uint64)
