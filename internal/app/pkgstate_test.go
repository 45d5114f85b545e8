package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// packageVars lists the package-level variables of internal/ that are
// neither sentinel errors (errors.New, fmt.Errorf) nor blank assertions.
// Each is process-wide: every server embedded in one process sees the same
// one, so none may hold a value that differs from one server to another.
// A new entry needs a reason it is safe to share; per-server values go on
// the instance (the engine, keyspace or component that uses them).
var packageVars = map[string]string{
	// Tables and literals, filled at initialization and only read.
	"rdb.dupSeed":          "hash seed chosen once per process (duplicate detection in RESTORE's listpack walk)",
	"server.errWouldBlock": "sentinel error (the TLS loop transport's nothing-to-read)",
	"ticks.calibrated":     "the processor counter's rate, a property of the machine: one calibration serves every server of the process (and Verify's verdict too)",
	"ticks.startOnce":      "guards that one calibration",
	"types.heldMark":       "sentinel (an empty slice marking a hash a streamed reply holds); never written",
	"aof.argMulti":         "literal", "aof.argSelect": "literal", "aof.cmdHMSet": "literal",
	"aof.cmdPExpireAt": "literal", "aof.cmdRPush": "literal", "aof.cmdSAdd": "literal",
	"aof.cmdSet": "literal", "aof.cmdZAdd": "literal",
	"command.degToRad": "constant computed once (Redis's D_R)", "command.geoLatScale": "constant computed once (the latitude range's width)", "command.geoLonScale": "constant computed once (the longitude range's width)",
	"command.geoResultsPool": "recycled scratch buffers of GEO searches: nothing in them outlives a command", "command.sortScratchPool": "recycled scratch buffers of SORT: nothing in them outlives a command",
	"command.geoLonRange": "constant (the longitude range)",
	"command.geoLatRange": "constant (the latitude range)",
	"aof.errShortWrite":   "sentinel error (ENOSPC)",
	"command.argDel":      "literal", "command.argExec": "literal", "command.argHSet": "literal",
	"command.argKeepTTL": "literal", "command.argLMove": "literal", "command.argLPop": "literal",
	"command.argLeft": "literal", "command.argMulti": "literal", "command.argPExpAt": "literal",
	"command.argPXAT": "literal", "command.argPersist": "literal", "command.argRPop": "literal",
	"command.argRPopLPush": "literal", "command.argRight": "literal", "command.argSRem": "literal",
	"command.argSet": "literal", "command.argZPopMax": "literal", "command.argZPopMin": "literal",
	"command.flagNames": "table", "server.debugNotBuilt": "table", "command.redisCommandMeta": "table (generated from Redis 7.0.15's COMMAND INFO)", "command.subcommandArity": "table (Redis 7.0.15 subcommand arities)",
	"acl.Categories": "table (Redis 7.0's ACL categories)", "acl.userFlagNames": "table (user flag names)",
	"server.aclSubcommands": "table (ACL's subcommands)",
	"repl.phaseNames":       "table (link phase names)", "repl.eventNames": "table (link event names)",
	"repl.actionNames":  "table (link action names)",
	"config.allowNames": "table", "config.classGetNames": "table", "config.classLetters": "table",
	"config.classRewriteNames": "table", "config.deprecated": "table", "config.disklessLoadNames": "table",
	"config.evictionNames": "table", "config.fsyncNames": "table", "config.keptDirectives": "table",
	"config.logLevelNames": "table", "config.modeLetters": "table", "config.propagationNames": "table",
	"config.shutdownNames": "table", "config.table": "the directive table (hooks live on each Config)",
	"config.defaultBind": "default, cloned into each Config", "config.defaultSave": "default, cloned into each Config",
	"config.defaultOutputLimits":      "default, copied (array) into each Config",
	"rdb.crcFoldK":                    "table (CRC-64 folding constants)",
	"rdb.useCLMUL":                    "what the CPU can do, set once at init",
	"tlsconf.bufOffsets":              "crypto/tls's field offsets, found once (the same for every server)",
	"tlsconf.bufsFound":               "whether those offsets were found, set once",
	"config.defaultOOMScoreAdjValues": "default, copied (array) into each Config",
	"logger.levelChars":               "table",
	"keyspace.goSizeClasses":          "table (Go's allocator size classes)",
	"rdb.kindNames":                   "table", "rdb.crcTables": "table", "rdb.crcShiftTables": "table",
	"server.defaultSections": "table", "server.notBuiltShapes": "table", "server.redactedArg": "literal",
	"types.listSizeLimits": "table",
	"evict.clockBase":      "a process-wide origin for monotonic durations (only differences are used)",
	"script.ldbHelp":       "table (the Lua debugger's help text)",
	"script.arithOps":      "table (Lua metamethod names → opcodes, for Lua 5.1's error wording)",
	"types.MaxStreamID":    "literal (the largest stream ID, \"+\")",
	"script.noScriptNames": "table (Redis 7.0's noscript commands)", "script.noScriptContainers": "table (derived from noScriptNames)", "script.scriptHelp": "table",
	"script.shebangFlags": "table", "script.closedChan": "literal (a channel closed at init, only received from)",
	"script.probeStale":          "literal (a spec only read by the gates)",
	"script.boxedInts":           "table (Lua numbers -2…1023 boxed once at init, immutable)",
	"config.TLSReloadDirectives": "table (the directives that rebuild TLS)",
	"tlsconf.openSSLOrder":       "table (OpenSSL cipher names)", "tlsconf.tls13Suites": "table (Go's TLS 1.3 suites)",
	"tlsconf.issuedTag": "literal (a session ticket's issue-time tag)",
	"tlsconf.oidPBES2":  "literal (ASN.1 OID)", "tlsconf.oidPBKDF2": "literal (ASN.1 OID)",
	"tlsconf.oidHMACSHA1": "literal (ASN.1 OID)", "tlsconf.oidHMACSHA224": "literal (ASN.1 OID)",
	"tlsconf.oidHMACSHA256": "literal (ASN.1 OID)", "tlsconf.oidHMACSHA384": "literal (ASN.1 OID)",
	"tlsconf.oidHMACSHA512": "literal (ASN.1 OID)", "tlsconf.oidAES128CBC": "literal (ASN.1 OID)",
	"tlsconf.oidAES192CBC": "literal (ASN.1 OID)", "tlsconf.oidAES256CBC": "literal (ASN.1 OID)",
	"tlsconf.oidDESEDE3CBC": "literal (ASN.1 OID)",
	// Process-wide by nature.
	"types.hashSeed":      "random per process, set once: decides only where entries land",
	"server.loopDisabled": "environment read once at init (benchmark switch), never written",
	"server.loopSpin":     "environment read once at init (benchmark knob), never written",
	"server.noPwait2":     "what the kernel supports, learnt once",
	"testutil.buildOnce":  "test helper: the binary is built once per test process",
	"testutil.binPath":    "test helper: the binary is built once per test process",
	"testutil.buildErr":   "test helper: the binary is built once per test process",
}

// TestNoPerServerStateInPackageVariables keeps internal/ free of package
// variables nobody has vetted: command.Limits, MaxStringSize, FlushHook and
// LFUPolicy were package variables, so two embedded servers shared
// encoding thresholds and proto-max-bulk-len, and FLUSHALL on one wrote
// the other's dump file.
func TestNoPerServerStateInPackageVariables(t *testing.T) {
	found := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// internal/lua is gopher-lua's code (a modified copy): its package
		// variables are its opcode tables, library tables and the
		// defaults of lua.Options; what differs per Lua state lives on
		// its LState, and each server's scripting makes its own.
		if d.IsDir() && filepath.ToSlash(path) == "../lua" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if name.Name == "_" || (i < len(vs.Values) && isSentinelError(vs.Values[i])) {
						continue
					}
					key := f.Name.Name + "." + name.Name
					found[key] = true
					if _, ok := packageVars[key]; !ok {
						t.Errorf("%s: package variable %s: per-server values belong on the instance; if it is truly process-wide (a table, a literal), add it with the reason to packageVars", path, key)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for k := range packageVars {
		if !found[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("packageVars lists variables that no longer exist: %v", stale)
	}
}

// isSentinelError reports whether e is errors.New(...) or fmt.Errorf(...).
func isSentinelError(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && (pkg.Name == "errors" && sel.Sel.Name == "New" || pkg.Name == "fmt" && sel.Sel.Name == "Errorf")
}
