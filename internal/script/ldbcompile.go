package script

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// The Lua debugger's line hook. gopher-lua has no debug hooks, so a script
// run under SCRIPT DEBUG is compiled a second time, from its syntax tree,
// with a call to a hidden function before each statement: `(ldb)(line)`.
// The name "(ldb)" cannot be written in Lua source, so no script can read,
// shadow or replace it. Only a debugging session compiles this form;
// every other run uses the cached, uninstrumented function, so the
// debugger costs nothing when no session is active.
//
// The instrumented chunk is wrapped in a function that receives the hook:
//
//	local (ldb) = ...
//	return function(...) <the script, instrumented> end
//
// so that calling the wrapper once with the hook returns the script as a
// closure whose every nested function reaches the hook as an upvalue.

// ldbHookName is the hidden local holding the hook.
const ldbHookName = "(ldb)"

// ldbCompile compiles body (already known to compile: create accepted it)
// in its instrumented form, and returns the wrapper described above.
func (s *Scripting) ldbCompile(body []byte) (*lua.LFunction, error) {
	_, shebangLen, _ := parseShebang(body)
	chunk, err := parse.Parse(strings.NewReader(string(body[shebangLen:])), "user_script")
	if err != nil {
		return nil, err
	}
	chunk = instrumentBlock(chunk)
	script := &ast.FunctionExpr{ParList: &ast.ParList{HasVargs: true}, Stmts: chunk}
	if len(chunk) > 0 {
		script.SetLine(chunk[0].Line())
		script.SetLastLine(chunk[len(chunk)-1].LastLine() + 1)
	}
	local := &ast.LocalAssignStmt{Names: []string{ldbHookName}, Exprs: []ast.Expr{&ast.Comma3Expr{}}}
	ret := &ast.ReturnStmt{Exprs: []ast.Expr{script}}
	proto, err := lua.Compile([]ast.Stmt{local, ret}, "user_script")
	if err != nil {
		return nil, err
	}
	// The script is a vararg function nested in the wrapper, for which
	// gopher-lua declares Lua 5.0's "arg" local (a main chunk has none):
	// it is not built, and is hidden from print as Lua hides temporaries.
	inner := proto.FunctionPrototypes[0]
	inner.IsVarArg &^= lua.VarArgNeedsArg
	for _, l := range inner.DbgLocals {
		if l.Name == "arg" && l.StartPc == 0 {
			l.Name = "(*temporary)"
		}
	}
	fn := s.vm.L.NewFunctionFromProto(proto)
	fn.Env = s.vm.scriptEnv(fn)
	return fn, nil
}

// instrumentBlock returns stmts with a hook call before each statement,
// the blocks nested in them instrumented too.
func instrumentBlock(stmts []ast.Stmt) []ast.Stmt {
	out := make([]ast.Stmt, 0, 2*len(stmts))
	for _, st := range stmts {
		instrumentStmt(st)
		out = append(out, hookCall(hookLine(st)), st)
	}
	return out
}

// hookLine is the line Lua 5.1's line hook reports for st: the line of
// its first instruction. That is the statement's first line, except when
// it starts by building a closure (`local function f() … end`, `f =
// function() … end`): Lua emits the closure at the function's "end".
func hookLine(st ast.Stmt) int {
	var first ast.Expr
	switch v := st.(type) {
	case *ast.LocalAssignStmt:
		if len(v.Exprs) > 0 {
			first = v.Exprs[0]
		}
	case *ast.AssignStmt:
		for _, l := range v.Lhs {
			if _, ok := l.(*ast.IdentExpr); !ok {
				return st.Line() // t.f = …: t is loaded first
			}
		}
		if len(v.Rhs) > 0 {
			first = v.Rhs[0]
		}
	case *ast.FuncDefStmt:
		if _, ok := v.Name.Func.(*ast.IdentExpr); ok && v.Name.Receiver == nil {
			first = v.Func
		}
	}
	if fe, ok := first.(*ast.FunctionExpr); ok {
		return fe.LastLine()
	}
	return st.Line()
}

// hookCall is the statement `(ldb)(line)`, placed at line.
func hookCall(line int) ast.Stmt {
	fn := &ast.IdentExpr{Value: ldbHookName}
	arg := &ast.NumberExpr{Value: strconv.Itoa(line)}
	call := &ast.FuncCallExpr{Func: fn, Args: []ast.Expr{arg}}
	st := &ast.FuncCallStmt{Expr: call}
	for _, n := range []ast.PositionHolder{fn, arg, call, st} {
		n.SetLine(line)
		n.SetLastLine(line)
	}
	return st
}

func instrumentStmt(st ast.Stmt) {
	switch v := st.(type) {
	case *ast.AssignStmt:
		instrumentExprs(v.Lhs)
		instrumentExprs(v.Rhs)
	case *ast.LocalAssignStmt:
		instrumentExprs(v.Exprs)
	case *ast.FuncCallStmt:
		instrumentExpr(v.Expr)
	case *ast.DoBlockStmt:
		v.Stmts = instrumentBlock(v.Stmts)
	case *ast.WhileStmt:
		instrumentExpr(v.Condition)
		v.Stmts = instrumentBlock(v.Stmts)
	case *ast.RepeatStmt:
		instrumentExpr(v.Condition)
		v.Stmts = instrumentBlock(v.Stmts)
	case *ast.IfStmt:
		instrumentExpr(v.Condition)
		v.Then = instrumentBlock(v.Then)
		v.Else = instrumentBlock(v.Else)
	case *ast.NumberForStmt:
		instrumentExprs([]ast.Expr{v.Init, v.Limit, v.Step})
		v.Stmts = instrumentBlock(v.Stmts)
	case *ast.GenericForStmt:
		instrumentExprs(v.Exprs)
		v.Stmts = instrumentBlock(v.Stmts)
	case *ast.FuncDefStmt:
		instrumentExpr(v.Func)
	case *ast.ReturnStmt:
		instrumentExprs(v.Exprs)
	}
}

func instrumentExprs(es []ast.Expr) {
	for _, e := range es {
		instrumentExpr(e)
	}
}

// instrumentExpr instruments the bodies of the functions defined inside e.
func instrumentExpr(e ast.Expr) {
	switch v := e.(type) {
	case *ast.FunctionExpr:
		v.Stmts = instrumentBlock(v.Stmts)
	case *ast.AttrGetExpr:
		instrumentExprs([]ast.Expr{v.Object, v.Key})
	case *ast.TableExpr:
		for _, f := range v.Fields {
			instrumentExprs([]ast.Expr{f.Key, f.Value})
		}
	case *ast.FuncCallExpr:
		instrumentExprs([]ast.Expr{v.Func, v.Receiver})
		instrumentExprs(v.Args)
	case *ast.LogicalOpExpr:
		instrumentExprs([]ast.Expr{v.Lhs, v.Rhs})
	case *ast.RelationalOpExpr:
		instrumentExprs([]ast.Expr{v.Lhs, v.Rhs})
	case *ast.StringConcatOpExpr:
		instrumentExprs([]ast.Expr{v.Lhs, v.Rhs})
	case *ast.ArithmeticOpExpr:
		instrumentExprs([]ast.Expr{v.Lhs, v.Rhs})
	case *ast.UnaryMinusOpExpr:
		instrumentExpr(v.Expr)
	case *ast.UnaryNotOpExpr:
		instrumentExpr(v.Expr)
	case *ast.UnaryLenOpExpr:
		instrumentExpr(v.Expr)
	}
}
