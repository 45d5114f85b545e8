package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
)

// DEBUG subcommands that only the server part knows: what Redis's own
// tests and client libraries' tests rely on (every RESP3 reply type, a
// log line, a frozen cron, the reply-buffer knobs). The rest of DEBUG is
// in cmds_server.go and in the parts (DebugProvider).

// debugNotBuilt are Redis 7.0's DEBUG subcommands Tandem does not have:
// they answer that, not a syntax error.
var debugNotBuilt = map[string]bool{
	"structsize": true, "sdslen": true, "stringmatch-test": true,
	"oom": true, "restart": true, "crash-and-recover": true, "leak": true,
	"client-eviction": true, "mallctl": true, "mallctl-str": true, "drop-cluster-packet-filter": true,
}

// debugServer runs one DEBUG subcommand and reports whether it knew it.
func (s *Server) debugServer(c *command.Ctx, sub string) bool {
	args := c.Args
	switch {
	case (sub == "segfault" || sub == "panic" || sub == "assert") && len(args) == 2:
		s.debugCrash(c, sub)
	case sub == "log" && len(args) == 3:
		s.log.Warningf("DEBUG LOG: %s", args[2])
		c.W.OK()
	case sub == "error" && len(args) == 3:
		// The argument as an error reply, newlines made spaces.
		msg := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(args[2]))
		c.W.Raw([]byte("-" + msg + "\r\n"))
	case sub == "protocol" && len(args) == 3:
		debugProtocol(c, strings.ToLower(string(args[2])))
	case sub == "quicklist-packed-threshold" && len(args) == 3:
		// Redis stores list elements above this size in nodes of their own
		// ("plain" nodes), a representation its list tests exercise.
		// Tandem's list nodes hold big elements like small ones, so lists
		// behave the same at any threshold: the value is checked as Redis
		// checks it and changes nothing.
		n, ok := config.ParseMemory(string(args[2]))
		if !ok || n > 1<<32-1<<20 {
			c.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
			return true
		}
		c.W.OK()
	case sub == "htstats" && len(args) == 3:
		s.debugHTStats(c)
	case sub == "htstats-key" && len(args) == 3:
		s.debugHTStatsKey(c)
	case sub == "listpack" && len(args) == 3:
		s.debugListpack(c)
	case sub == "quicklist" && (len(args) == 3 || len(args) == 4):
		s.debugQuicklist(c)
	case sub == "config-rewrite-force-all" && len(args) == 2:
		if err := s.cfg.RewriteAll(); err != nil {
			c.Error("ERR CONFIG-REWRITE-FORCE-ALL failed: " + err.Error())
			return true
		}
		c.W.OK()
	case sub == "pause-cron" && len(args) == 3:
		s.cronPaused.Store(atoi(args[2]) != 0)
		c.W.OK()
	case sub == "replybuffer" && len(args) == 4:
		switch strings.ToLower(string(args[2])) {
		case "peak-reset-time":
			switch v := strings.ToLower(string(args[3])); v {
			case "never":
				s.replyPeakReset = -1
			case "reset":
				s.replyPeakReset = 0
			default:
				ms, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					c.Error(command.ErrNotInt)
					return true
				}
				// 0 ms means "at every look", kept apart from "default".
				s.replyPeakReset = max(time.Duration(ms)*time.Millisecond, 1)
			}
		case "resizing":
			s.replyResizeOff = atoi(args[3]) == 0
		default:
			c.Error(subcommandSyntaxError(args))
			return true
		}
		c.W.OK()
	default:
		return false
	}
	return true
}

// atoi reads a number as C's atoi does: leading digits, anything else 0.
func atoi(b []byte) int64 {
	s := strings.TrimLeft(string(b), " \t")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	v, _ := strconv.ParseInt(s[:end], 10, 64)
	return v
}

// debugProtocol answers DEBUG PROTOCOL <type>: one reply of each RESP3
// type (in RESP2, what that type becomes there), for client tests.
func debugProtocol(c *command.Ctx, kind string) {
	w := c.W
	resp3 := w.Proto == 3
	switch kind {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		const n = "1234567999999999999999999999999999999"
		if resp3 {
			w.Raw([]byte("(" + n + "\r\n"))
		} else {
			w.BulkString(n)
		}
	case "null":
		w.Null()
	case "array", "set":
		if kind == "set" {
			w.Set(3)
		} else {
			w.Array(3)
		}
		for i := range int64(3) {
			w.Int(i)
		}
	case "map":
		w.Map(3)
		for i := range int64(3) {
			w.Int(i)
			w.Bool(i == 1)
		}
	case "attrib":
		if resp3 {
			// An attribute is not a reply of its own: one follows it.
			w.Raw([]byte("|1\r\n"))
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if !resp3 {
			c.Error("ERR RESP2 is not supported by this command")
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		// A push is not the command's reply: a client that skips pushes
		// still needs one.
		w.BulkString("Some real reply following the push reply")
	case "true", "false":
		w.Bool(kind == "true")
	case "verbatim":
		w.Verbatim("This is a verbatim\nstring")
	default:
		c.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}
