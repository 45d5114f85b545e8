package script

import (
	"unsafe"

	lua "github.com/tandemdb/tandem/internal/lua"
	"github.com/tandemdb/tandem/internal/server"
)

// vmBaseMem estimates the heap a fresh sandboxed Lua state takes (its
// libraries, the read-only proxies, the registry and call stack):
// gopher-lua has no allocator to count with, as Redis's lua_gc count does,
// so INFO shows this estimate plus the compiled scripts' (protoMem).
// TestVMMemoryEstimate measures a real state against it.
const vmBaseMem = 70 << 10

// cacheEntryMem is a cached script's overhead beyond its body and SHA: the
// script struct, the map entry, the LFunction and its environment slot.
const cacheEntryMem = 160

// ScriptMemory reports INFO memory's scripting fields (server lock held).
func (s *Scripting) ScriptMemory() server.ScriptMemory {
	fvm, fdata := s.functionsMemory()
	return server.ScriptMemory{
		VMEval:        vmBaseMem + s.protoMem,
		ScriptsEval:   s.cacheMem,
		CachedScripts: int64(len(s.cache)),
		Functions:     int64(len(s.fn.ctx.funcs)),
		Libraries:     int64(len(s.fn.ctx.libs)),
		VMFunctions:   fvm,
		FunctionsMem:  fdata,
	}
}

var _ server.ScriptInfo = (*Scripting)(nil)

// trimProto gives fp's slices (and its nested functions') their length as
// capacity: gopher-lua's compiler starts each function with room for 128
// instructions, 128 line numbers and 128 call records (about 6 KB), which a
// cached script would otherwise keep for good.
func trimProto(fp *lua.FunctionProto) {
	fp.Code = append([]uint32(nil), fp.Code...)
	fp.Constants = append([]lua.LValue(nil), fp.Constants...)
	fp.FunctionPrototypes = append([]*lua.FunctionProto(nil), fp.FunctionPrototypes...)
	fp.DbgLocals = append([]*lua.DbgLocalInfo(nil), fp.DbgLocals...)
	fp.DbgCalls = append([]lua.DbgCall(nil), fp.DbgCalls...)
	fp.DbgUpvalues = append([]string(nil), fp.DbgUpvalues...)
	for _, sub := range fp.FunctionPrototypes {
		trimProto(sub)
	}
}

// protoMem estimates the heap a compiled function keeps: its instructions,
// constants, debug records and nested functions. gopher-lua's unexported
// string-constant list (one string header per constant) is counted too.
func protoMem(fp *lua.FunctionProto) int64 {
	n := int64(unsafe.Sizeof(*fp)) + int64(len(fp.Constants))*16
	n += int64(cap(fp.Code))*4 + int64(cap(fp.Constants))*16 + int64(cap(fp.FunctionPrototypes))*8
	n += int64(cap(fp.DbgSourcePositions))*4 + int64(cap(fp.DbgCalls))*int64(unsafe.Sizeof(lua.DbgCall{}))
	n += int64(cap(fp.DbgUpvalues)) * 16
	for _, l := range fp.DbgLocals {
		n += 8 + int64(unsafe.Sizeof(*l)) + int64(len(l.Name))
	}
	for _, c := range fp.Constants {
		if str, ok := c.(lua.LString); ok {
			n += int64(len(str)) + 16
		}
	}
	for _, sub := range fp.FunctionPrototypes {
		n += protoMem(sub)
	}
	return n
}
