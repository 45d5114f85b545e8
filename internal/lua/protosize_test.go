package lua

import (
	"strings"
	"testing"
)

// TestProtoSlicesFit: a compiled function keeps one string-constant entry
// per constant and one 4-byte line per instruction, with no spare room
// (a cached script keeps its prototype for good), and error positions and
// global reads still work from them.
func TestProtoSlicesFit(t *testing.T) {
	L := NewState()
	defer L.Close()
	fn, err := L.LoadString("local v = 'a'\nlocal function f() return g .. v end\nreturn f() .. nosuch.x")
	if err != nil {
		t.Fatal(err)
	}
	var check func(fp *FunctionProto)
	check = func(fp *FunctionProto) {
		if len(fp.stringConstants) != len(fp.Constants) || cap(fp.stringConstants) != len(fp.stringConstants) {
			t.Errorf("%s: %d string constants (room for %d) for %d constants", fp.SourceName, len(fp.stringConstants), cap(fp.stringConstants), len(fp.Constants))
		}
		if len(fp.DbgSourcePositions) != len(fp.Code) || cap(fp.DbgSourcePositions) != len(fp.Code) {
			t.Errorf("%s: %d lines (room for %d) for %d instructions", fp.SourceName, len(fp.DbgSourcePositions), cap(fp.DbgSourcePositions), len(fp.Code))
		}
		for _, sub := range fp.FunctionPrototypes {
			check(sub)
		}
	}
	check(fn.Proto)
	L.SetGlobal("g", LString("b"))
	L.Push(fn)
	err = L.PCall(0, 1, nil)
	if err == nil || !strings.Contains(err.Error(), ":3:") {
		t.Errorf("error %v, want one at line 3", err)
	}
}
