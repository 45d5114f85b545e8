package lua

import (
	"reflect"
	"unsafe"
)

// iface is an internal representation of the go-interface.
type iface struct {
	itab unsafe.Pointer
	word unsafe.Pointer
}

// preloadLimit bounds the integers boxed once for all (128 upstream;
// Tandem covers the counters of the usual loops, "for i = 1, 1000").
const preloadLimit LNumber = 4096

var _fv float64
var _uv uintptr

var preloads [int(preloadLimit)]LValue

func init() {
	for i := 0; i < int(preloadLimit); i++ {
		preloads[i] = LNumber(i)
	}
}

// allocator is a fast bulk memory allocator for the LValue.
type allocator struct {
	size    int
	fptrs   []float64
	fheader *reflect.SliceHeader

	scratchValue  LValue
	scratchValueP *iface

	// sptrs and shortPtrs are the blocks LString2I takes string headers
	// from, for strings longer than concatMaxLen and the others.
	sptrs, shortPtrs []string
}

func newAllocator(size int) *allocator {
	al := &allocator{
		size:    size,
		fptrs:   make([]float64, 0, size),
		fheader: nil,
	}
	al.fheader = (*reflect.SliceHeader)(unsafe.Pointer(&al.fptrs))
	al.scratchValue = LNumber(0)
	al.scratchValueP = (*iface)(unsafe.Pointer(&al.scratchValue))

	return al
}

// LNumber2I takes a number value and returns an interface LValue representing the same number.
// Converting an LNumber to a LValue naively, by doing:
// `var val LValue = myLNumber`
// will result in an individual heap alloc of 8 bytes for the float value. LNumber2I amortizes the cost and memory
// overhead of these allocs by allocating blocks of floats instead.
// The downside of this is that all of the floats on a given block have to become eligible for gc before the block
// as a whole can be gc-ed.
func (al *allocator) LNumber2I(v LNumber) LValue {
	// first check for shared preloaded numbers
	if v >= 0 && v < preloadLimit && float64(v) == float64(int64(v)) {
		return preloads[int(v)]
	}

	// check if we need a new alloc page
	if cap(al.fptrs) == len(al.fptrs) {
		al.fptrs = make([]float64, 0, al.size)
		al.fheader = (*reflect.SliceHeader)(unsafe.Pointer(&al.fptrs))
	}

	// alloc a new float, and store our value into it
	al.fptrs = append(al.fptrs, float64(v))
	fptr := &al.fptrs[len(al.fptrs)-1]

	// hack our scratch LValue to point to our allocated value
	// this scratch lvalue is copied when this function returns meaning the scratch value can be reused
	// on the next call
	al.scratchValueP.word = unsafe.Pointer(fptr)

	return al.scratchValue
}

// LString2I is LNumber2I for strings (Tandem's addition): the string
// header an LValue holding an LString points to comes from a block of
// them instead of an allocation of its own. As with numbers, a block, and
// the strings it points to, stays alive while any LValue made from it does:
// it is for the short-lived strings of CONCAT. Short strings have blocks
// of their own, so that one of them kept (CONCAT's cache keeps some) keeps
// no long string alive with it.
func (al *allocator) LString2I(s string) LValue {
	var p *string
	if len(s) <= concatMaxLen {
		if cap(al.shortPtrs) == len(al.shortPtrs) {
			al.shortPtrs = make([]string, 0, al.size)
		}
		al.shortPtrs = append(al.shortPtrs, s)
		p = &al.shortPtrs[len(al.shortPtrs)-1]
	} else {
		if cap(al.sptrs) == len(al.sptrs) {
			al.sptrs = make([]string, 0, al.size)
		}
		al.sptrs = append(al.sptrs, s)
		p = &al.sptrs[len(al.sptrs)-1]
	}
	v := LValue(LString(""))
	(*iface)(unsafe.Pointer(&v)).word = unsafe.Pointer(p)
	return v
}
