#include "textflag.h"

// The loops of gatherprobe (main.go). Gathers leave their mask register
// cleared, so each sets it again (KXNORB) before use.

// func chain(t *uint64, n int) uint64
TEXT ·chain(SB), NOSPLIT, $0-24
	MOVQ t+0(FP), BX
	MOVQ n+8(FP), CX
	MOVQ $0xff, AX
	VPBROADCASTQ AX, Z3
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
loop:
	KXNORB K1, K1, K1
	VPGATHERQQ (BX)(Z1*8), K1, Z2
	VPSRLQ $45, Z2, Z1
	VPANDQ Z3, Z1, Z1
	DECQ CX
	JNZ loop
	VMOVQ X2, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

// func scalar(t *uint64, n int) uint64
TEXT ·scalar(SB), NOSPLIT, $0-24
	MOVQ t+0(FP), BX
	MOVQ n+8(FP), CX
	XORQ AX, AX
sloop:
	MOVQ (BX)(AX*8), DX
	SHRQ $45, DX
	ANDQ $0xff, DX
	MOVQ DX, AX
	DECQ CX
	JNZ sloop
	MOVQ AX, ret+16(FP)
	RET

// func chain4(t *uint64, n int) uint64: four independent chains.
TEXT ·chain4(SB), NOSPLIT, $0-24
	MOVQ t+0(FP), BX
	MOVQ n+8(FP), CX
	MOVQ $0xff, AX
	VPBROADCASTQ AX, Z3
	VPXORQ Z1, Z1, Z1
	VPXORQ Z4, Z4, Z4
	VPXORQ Z6, Z6, Z6
	VPXORQ Z8, Z8, Z8
loop4:
	KXNORB K1, K1, K1
	KXNORB K2, K2, K2
	KXNORB K3, K3, K3
	KXNORB K4, K4, K4
	VPGATHERQQ (BX)(Z1*8), K1, Z2
	VPGATHERQQ (BX)(Z4*8), K2, Z5
	VPGATHERQQ (BX)(Z6*8), K3, Z7
	VPGATHERQQ (BX)(Z8*8), K4, Z9
	VPSRLQ $45, Z2, Z1
	VPSRLQ $45, Z5, Z4
	VPSRLQ $45, Z7, Z6
	VPSRLQ $45, Z9, Z8
	VPANDQ Z3, Z1, Z1
	VPANDQ Z3, Z4, Z4
	VPANDQ Z3, Z6, Z6
	VPANDQ Z3, Z8, Z8
	DECQ CX
	JNZ loop4
	VMOVQ X2, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET

// func indep(t *uint64, n int) uint64: eight gathers a step, none depending on another.
TEXT ·indep(SB), NOSPLIT, $0-24
	MOVQ t+0(FP), BX
	MOVQ n+8(FP), CX
	VPXORQ Z1, Z1, Z1
loop8:
	KXNORB K1, K1, K1
	KXNORB K2, K2, K2
	KXNORB K3, K3, K3
	KXNORB K4, K4, K4
	KXNORB K5, K5, K5
	KXNORB K6, K6, K6
	KXNORB K7, K7, K7
	VPGATHERQQ (BX)(Z1*8), K1, Z2
	VPGATHERQQ (BX)(Z1*8), K2, Z5
	VPGATHERQQ (BX)(Z1*8), K3, Z7
	VPGATHERQQ (BX)(Z1*8), K4, Z9
	VPGATHERQQ (BX)(Z1*8), K5, Z10
	VPGATHERQQ (BX)(Z1*8), K6, Z11
	VPGATHERQQ (BX)(Z1*8), K7, Z12
	DECQ CX
	JNZ loop8
	VMOVQ X2, AX
	MOVQ AX, ret+16(FP)
	VZEROUPPER
	RET
