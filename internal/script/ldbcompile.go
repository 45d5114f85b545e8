package script

import (
	"strconv"
	"strings"

	lua "github.com/tandemdb/tandem/internal/lua"
	"github.com/tandemdb/tandem/internal/lua/ast"
	"github.com/tandemdb/tandem/internal/lua/parse"
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
	chunk = instrumentBlock(chunk, 0)
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

// instrumentBlock returns stmts with a hook call before each statement
// that starts a new line, the blocks nested in them instrumented too.
// Lua 5.1's line hook fires when execution reaches a new line, or jumps
// back: a statement on the line of the one before it, or of the if or do
// that holds its block (line), gets no call of its own. Loops are laid
// out by instrumentStmt.
func instrumentBlock(stmts []ast.Stmt, line int) []ast.Stmt {
	out := make([]ast.Stmt, 0, 2*len(stmts))
	prev := line
	for _, st := range stmts {
		switch v := st.(type) {
		case *ast.DoBlockStmt:
			// "do" and "repeat" emit no code of their own: their first
			// statement is the next line to run.
			v.Stmts = instrumentBlock(v.Stmts, prev)
			out = append(out, st)
			if len(v.Stmts) > 0 {
				prev = v.Stmts[len(v.Stmts)-1].Line()
			}
			continue
		case *ast.RepeatStmt:
			instrumentStmt(st)
			out = append(out, st)
			prev = v.Condition.Line()
			continue
		}
		instrumentStmt(st)
		l := hookLine(st)
		if l != prev {
			out = append(out, hookCall(l))
		}
		out = append(out, st)
		prev = l
	}
	return out
}

// loopBody instruments the body of a for or repeat loop whose jump back is
// at loopLine (the for's line, the until's): each pass starts with a jump
// back, so the body's first line always fires, and loopLine fires after
// the body when it is another line. An empty body fires loopLine at each
// pass.
func loopBody(stmts []ast.Stmt, loopLine int) []ast.Stmt {
	if len(stmts) == 0 {
		return []ast.Stmt{hookCall(loopLine)}
	}
	body := instrumentBlock(stmts, 0)
	last := stmts[len(stmts)-1]
	if !endsBlock(last) && hookLine(last) != loopLine {
		body = append(body, hookCall(loopLine))
	}
	return body
}

// endsBlock: nothing may follow st in its block (return, break).
func endsBlock(st ast.Stmt) bool {
	switch st.(type) {
	case *ast.ReturnStmt, *ast.BreakStmt:
		return true
	}
	return false
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
	case *ast.WhileStmt:
		// The condition, at the while's line, runs before each pass: the
		// jump back to it always fires.
		instrumentExpr(v.Condition)
		body := instrumentBlock(v.Stmts, v.Line())
		if len(v.Stmts) == 0 || !endsBlock(v.Stmts[len(v.Stmts)-1]) {
			body = append(body, hookCall(v.Line()))
		}
		v.Stmts = body
	case *ast.RepeatStmt:
		instrumentExpr(v.Condition)
		v.Stmts = loopBody(v.Stmts, v.Condition.Line())
	case *ast.IfStmt:
		instrumentExpr(v.Condition)
		v.Then = instrumentBlock(v.Then, v.Line())
		v.Else = instrumentBlock(v.Else, v.Line())
	case *ast.NumberForStmt:
		instrumentExprs([]ast.Expr{v.Init, v.Limit, v.Step})
		v.Stmts = loopBody(v.Stmts, v.Line())
	case *ast.GenericForStmt:
		instrumentExprs(v.Exprs)
		v.Stmts = loopBody(v.Stmts, v.Line())
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
		v.Stmts = instrumentBlock(v.Stmts, 0)
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
