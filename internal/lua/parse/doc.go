// Package parse is part of Tandem's modified copy of gopher-lua v1.1.2
// (MIT licence, see ../LICENSE); see package lua.
package parse
