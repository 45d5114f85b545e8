// Package lua is Tandem's copy of gopher-lua v1.1.2
// (github.com/yuin/gopher-lua, MIT licence, see LICENSE in this folder),
// a Lua 5.1 virtual machine and compiler in pure Go. It is modified: the
// changes are made for the speed of Redis scripts (the instruction hook,
// string concatenation and its cache in concat.go, calls into Go
// functions, the loop of vmloop.go that runs the common instructions
// inline) and keep Lua 5.1's semantics and gopher-lua's API. state.go and vm.go were generated
// upstream from templates by its go-inline tool; here they are edited by
// hand. Its subpackages ast, parse (parser.go generated upstream by goyacc)
// and pm come from the same release. Upstream's io, os and channel
// libraries are left out: Redis's sandbox loads none of them.
package lua
