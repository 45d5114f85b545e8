package lua

import "sync/atomic"

// noInterrupt is the hook flag of states without SetInterrupt: never set.
var noInterrupt atomic.Bool

// runLoop is the interpreter's loop (Tandem's version of upstream's
// mainLoop): it runs instructions until the function of baseframe returns,
// asking the hook (L.intrCheck) first whenever flag is set.
//
// Upstream calls a function of jumpTable for every instruction. The loop of
// a Redis script is mostly a few simple instructions (a register move, a
// constant, a global, KEYS[1], the for loop's step), and the call costs
// more than their work: here they run inline in the loop, on their common
// path only (the registry large enough, the global cached, an array
// index, numbers in the for loop). Any other case, and every other opcode,
// goes to jumpTable as before, which does the whole work again from the
// instruction: a fast path either completes an instruction or changes
// nothing.
func runLoop(L *LState, baseframe *callFrame, flag *atomic.Bool) {
	if L.stack.IsEmpty() {
		return
	}

	L.currentFrame = L.stack.Last()
	if L.currentFrame.Fn.IsG {
		callGFunction(L, false)
		return
	}

	// The frame's function and program counter are kept in locals while
	// the inline paths run: cf.Pc is written back before anything else
	// (a handler, a call, the hook) may read it, and all three are read
	// again after it, which may have changed the frame.
	cf := L.currentFrame
	proto := cf.Fn.Proto
	pc := cf.Pc
	for {
		inst := proto.Code[pc]
		pc++
		if flag.Load() {
			cf.Pc = pc
			if err := L.intrCheck(L); err != nil {
				L.RaiseError("%s", err.Error())
				return
			}
		}
		reg := L.reg
		switch int(inst >> 26) {
		case OP_MOVE:
			RA := cf.LocalBase + int(inst>>18)&0xff
			if RA < len(reg.array) {
				reg.array[RA] = reg.array[cf.LocalBase+int(inst&0x1ff)]
				if RA >= reg.top {
					reg.top = RA + 1
				}
				continue
			}
		case OP_LOADK:
			RA := cf.LocalBase + int(inst>>18)&0xff
			if RA < len(reg.array) {
				reg.array[RA] = proto.Constants[int(inst&0x3ffff)]
				if RA >= reg.top {
					reg.top = RA + 1
				}
				continue
			}
		case OP_GETGLOBAL:
			RA := cf.LocalBase + int(inst>>18)&0xff
			Bx := int(inst & 0x3ffff)
			if c := proto.globalCache; RA < len(reg.array) && Bx < len(c) && c[Bx].tb == cf.Fn.Env && c[Bx].tb != nil && c[Bx].ver == c[Bx].tb.strVer {
				reg.array[RA] = c[Bx].val
				if RA >= reg.top {
					reg.top = RA + 1
				}
				continue
			}
		case OP_GETTABLE:
			RA := cf.LocalBase + int(inst>>18)&0xff
			if RA < len(reg.array) {
				C := int(inst>>9) & 0x1ff
				var key LValue
				if C&opBitRk != 0 {
					key = proto.Constants[C&^opBitRk]
				} else {
					key = reg.array[cf.LocalBase+C]
				}
				if v := arrayIndex(reg.array[cf.LocalBase+int(inst&0x1ff)], key); v != nil && v != LNil {
					reg.array[RA] = v
					if RA >= reg.top {
						reg.top = RA + 1
					}
					continue
				}
			}
		case OP_CONCAT:
			// Two strings concatenated here before (concat.go).
			RA := cf.LocalBase + int(inst>>18)&0xff
			RB := cf.LocalBase + int(inst&0x1ff)
			if RC := cf.LocalBase + int(inst>>9)&0x1ff; RC == RB+1 && RA < len(reg.array) {
				if ls, ok := reg.array[RB].(LString); ok {
					if rs, ok := reg.array[RC].(LString); ok {
						if v := L.concatCached(string(ls), string(rs), pc); v != nil {
							reg.array[RA] = v
							if RA >= reg.top {
								reg.top = RA + 1
							}
							continue
						}
					}
				}
			}
		case OP_JMP:
			pc += int(inst&0x3ffff) - opMaxArgSbx
			continue
		case OP_FORLOOP:
			RA := cf.LocalBase + int(inst>>18)&0xff
			if RA+3 < len(reg.array) {
				init, ok1 := reg.array[RA].(LNumber)
				limit, ok2 := reg.array[RA+1].(LNumber)
				step, ok3 := reg.array[RA+2].(LNumber)
				if ok1 && ok2 && ok3 {
					init += step
					v := reg.alloc.LNumber2I(init)
					reg.array[RA] = v
					if RA >= reg.top {
						reg.top = RA + 1
					}
					if (step > 0 && init <= limit) || (step <= 0 && init >= limit) {
						pc += int(inst&0x3ffff) - opMaxArgSbx
						reg.array[RA+3] = v
						if RA+3 >= reg.top {
							reg.top = RA + 4
						}
					} else {
						reg.SetTop(RA + 1)
					}
					continue
				}
			}
		case OP_CALL:
			RA := cf.LocalBase + int(inst>>18)&0xff
			if fn, ok := reg.array[RA].(*LFunction); ok && fn.IsG {
				cf.Pc = pc
				if L.callG(fn, cf, RA, int(inst&0x1ff), int(inst>>9)&0x1ff) {
					return
				}
				cf = L.currentFrame
				proto = cf.Fn.Proto
				pc = cf.Pc
				continue
			}
		}
		cf.Pc = pc
		if jumpTable[int(inst>>26)](L, inst, baseframe) == 1 {
			return
		}
		cf = L.currentFrame
		proto = cf.Fn.Proto
		pc = cf.Pc
	}
}

// callG is OP_CALL of a Go function fn in register RA of the frame cf,
// with the instruction's B and C: OP_CALL's work for that case, less the
// frame's copies and the stack's interface calls. It returns true when
// the loop must return (as callGFunction).
func (L *LState) callG(fn *LFunction, cf *callFrame, RA, B, C int) bool {
	nargs := B - 1
	if B == 0 {
		nargs = L.reg.Top() - (RA + 1)
	}
	var f *callFrame
	if cs, ok := L.stack.(*autoGrowingCallFrameStack); ok {
		f = cs.nextInSegment()
	}
	if f == nil {
		if f = L.stack.Next(); f == nil {
			L.RaiseError("stack overflow")
		}
	}
	f.Fn = fn
	f.Parent = cf
	f.Pc = 0
	f.Base = RA
	f.LocalBase = RA + 1
	f.ReturnBase = RA
	f.NArgs = nargs
	f.NRet = C - 1
	f.TailCall = 0
	if top := RA + 1 + nargs; top != L.reg.top {
		// (The arguments were usually the last registers written.)
		L.reg.SetTop(top)
	}
	L.currentFrame = f
	return callGFunction(L, false)
}
