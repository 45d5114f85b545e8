//go:build amd64 && !purego

#include "textflag.h"

// func foldCLMUL(x *[2]uint64, p []byte, k *[2]uint64)
TEXT ·foldCLMUL(SB), NOSPLIT, $0-40
	MOVQ  x+0(FP), AX
	MOVQ  p_base+8(FP), SI
	MOVQ  p_len+16(FP), CX
	MOVQ  k+32(FP), DX
	MOVOU (AX), X0
	MOVOU (DX), X2

loop:
	CMPQ      CX, $16
	JB        done
	MOVOU     X0, X1
	PCLMULQDQ $0x00, X2, X0 // lo(x)·k[0]
	PCLMULQDQ $0x11, X2, X1 // hi(x)·k[1]
	PXOR      X1, X0
	MOVOU     (SI), X3
	PXOR      X3, X0
	ADDQ      $16, SI
	SUBQ      $16, CX
	JMP       loop

done:
	MOVOU X0, (AX)
	RET
