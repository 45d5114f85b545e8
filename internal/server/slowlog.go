package server

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// slowlog keeps the commands that took longer than
// slowlog-log-slower-than microseconds, newest first (srv.mu guards it).
type slowlog struct {
	entries []slowEntry
	nextID  int64
}

type slowEntry struct {
	id         int64
	when       int64
	micros     int64
	args       []string
	addr, name string
}

func (l *slowlog) init()  { l.entries = nil }
func (l *slowlog) reset() { l.entries = nil }

// recordSlow is what the engine's Host.Slow does. Secrets are redacted (see
// recordedArgs).
func (s *Server) recordSlow(sess *command.Session, spec *command.Spec, args [][]byte, d time.Duration) {
	th := s.set.SlowlogSlowerThan
	// EXEC is left out, as in Redis 7.0 (its skip_slowlog flag): the
	// commands it ran are logged one by one.
	if th < 0 || d.Microseconds() < th || s.set.SlowlogMaxLen <= 0 || spec.Name == "exec" {
		return
	}
	args = recordedArgs(spec, args)
	e := slowEntry{id: s.slow.nextID, when: time.Now().Unix(), micros: d.Microseconds(), name: sess.Name}
	s.slow.nextID++
	if cl, ok := sess.Owner.(*client); ok {
		e.addr = cl.addr
	} else if sess.Flags&command.FlagScript != 0 {
		// A script's call: Redis's Lua client has no connection, and
		// its address reads as an unknown one.
		e.addr = "?:0"
	}
	// Like Redis: at most 32 arguments, each cut to 128 bytes.
	for i, a := range args {
		if i == 31 && len(args) > 32 {
			e.args = append(e.args, fmt.Sprintf("... (%d more arguments)", len(args)-31))
			break
		}
		if len(a) > 128 {
			e.args = append(e.args, fmt.Sprintf("%s... (%d more bytes)", a[:128], len(a)-128))
		} else {
			e.args = append(e.args, string(a))
		}
	}
	s.slow.entries = append([]slowEntry{e}, s.slow.entries...)
	if len(s.slow.entries) > s.set.SlowlogMaxLen {
		s.slow.entries = s.slow.entries[:s.set.SlowlogMaxLen]
	}
}

func (s *Server) slowlogCmd(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case sub == "get" && len(c.Args) <= 3:
		n := 10
		if len(c.Args) == 3 {
			v, ok := resp.ParseInt(c.Args[2])
			if !ok || v < -1 {
				c.Error("ERR count should be greater than or equal to -1")
				return
			}
			n = int(v)
			if v == -1 {
				n = len(s.slow.entries)
			}
		}
		if n > len(s.slow.entries) {
			n = len(s.slow.entries)
		}
		c.W.Array(n)
		for _, e := range s.slow.entries[:n] {
			c.W.Array(6)
			c.W.Int(e.id)
			c.W.Int(e.when)
			c.W.Int(e.micros)
			c.W.Array(len(e.args))
			for _, a := range e.args {
				c.W.BulkString(a)
			}
			c.W.BulkString(e.addr)
			c.W.BulkString(e.name)
		}
	case sub == "len" && len(c.Args) == 2:
		c.W.Int(int64(len(s.slow.entries)))
	case sub == "reset" && len(c.Args) == 2:
		s.slow.reset()
		c.W.OK()
	case sub == "help" && len(c.Args) == 2:
		writeHelp(c, []string{
			"GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
			"    Entries are made of:", "    id, timestamp, time in microseconds, arguments array, client IP and port,",
			"    client name",
			"LEN", "    Return the length of the slowlog.",
			"RESET", "    Reset the slowlog.",
		})
	default:
		c.Error(subcommandError(c))
	}
}

func (s *Server) memoryCmd(c *command.Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case sub == "usage" && len(c.Args) >= 3:
		// Options are parsed before the key is looked up, as in Redis:
		// SAMPLES <count>, any number of times, count >= 0 (0: all).
		samples := 5
		for j := 3; j < len(c.Args); j++ {
			if !strings.EqualFold(string(c.Args[j]), "samples") || j+1 >= len(c.Args) {
				c.Error(command.ErrSyntax)
				return
			}
			n, ok := resp.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(command.ErrNotInt)
				return
			}
			if n < 0 {
				c.Error(command.ErrSyntax)
				return
			}
			samples = int(min(n, math.MaxInt32))
			j++
		}
		// Looked up in the table as it is, as Redis 7.0 does (dictFind): a
		// key past its time that no lookup has removed yet still counts,
		// and the lookup counts no hit or miss.
		e := c.DB.Peek(c.Args[2])
		if e == nil {
			c.W.Null()
			return
		}
		c.W.Int(e.Usage(samples))
	case sub == "doctor" && len(c.Args) == 2:
		c.W.Verbatim(s.memoryDoctor())
	case sub == "purge" && len(c.Args) == 2:
		// Redis asks its allocator to return dirty pages; ours is the GC:
		// collect, then hand every free page back to the system, as the
		// idle purge does (idlepurge.go).
		s.purgeMemory()
		c.W.OK()
	case sub == "stats" && len(c.Args) == 2:
		s.memoryStatsCmd(c)
	case sub == "malloc-stats" && len(c.Args) == 2:
		c.W.Verbatim("Stats not supported for the current allocator")
	case sub == "help" && len(c.Args) == 2:
		writeHelp(c, []string{
			"DOCTOR", "    Return memory problems reports.",
			"MALLOC-STATS", "    Return internal statistics report from the memory allocator.",
			"PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
			"STATS", "    Return information about the memory usage of the server.",
			"USAGE <key> [SAMPLES <count>]", "    Return memory in bytes used by <key> and its value.",
		})
	default:
		c.Error(subcommandError(c))
	}
}
