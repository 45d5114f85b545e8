package server

import (
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/glob"
)

// COMMAND and its subcommands, answered from the command table.

// writeAllCommandInfo answers COMMAND and COMMAND INFO without names:
// every command's entry.
func (s *Server) writeAllCommandInfo(c *command.Ctx) {
	all := s.eng.Table.All()
	c.W.Array(len(all))
	for _, sp := range all {
		writeCommandInfo(c, sp)
	}
}

// commandCmd answers COMMAND and its subcommands from the table, in the
// shapes redis-cli and client libraries parse.
func (s *Server) commandCmd(c *command.Ctx) {
	if len(c.Args) == 1 {
		s.writeAllCommandInfo(c)
		return
	}
	sub := strings.ToLower(string(c.Args[1]))
	switch {
	case sub == "count" && len(c.Args) == 2:
		c.W.Int(int64(s.eng.Table.Len()))
	case sub == "info":
		if len(c.Args) == 2 {
			s.writeAllCommandInfo(c)
			return
		}
		c.W.Array(len(c.Args) - 2)
		for _, a := range c.Args[2:] {
			if sp := s.eng.Table.Lookup(a); sp != nil {
				writeCommandInfo(c, sp)
			} else {
				c.W.Null()
			}
		}
	case sub == "docs":
		var specs []*command.Spec
		if len(c.Args) == 2 {
			specs = s.eng.Table.All()
		} else {
			for _, a := range c.Args[2:] {
				if sp := s.eng.Table.Lookup(a); sp != nil {
					specs = append(specs, sp)
				}
			}
		}
		c.W.Map(len(specs))
		for _, sp := range specs {
			c.W.BulkString(sp.Name)
			n := 1
			if sp.Since != "" {
				n++
			}
			if sp.Group != "" {
				n++
			}
			c.W.Map(n)
			c.W.BulkString("summary")
			c.W.BulkString(sp.Summary)
			if sp.Since != "" {
				c.W.BulkString("since")
				c.W.BulkString(sp.Since)
			}
			if sp.Group != "" {
				c.W.BulkString("group")
				c.W.BulkString(sp.Group)
			}
		}
	case sub == "list":
		s.commandList(c)
	case (sub == "getkeys" || sub == "getkeysandflags") && len(c.Args) >= 4: // both have arity -4
		s.getKeys(c, sub == "getkeysandflags")
	case sub == "help" && len(c.Args) == 2:
		writeHelp(c, []string{
			"(no subcommand)", "    Return details about all Redis commands.",
			"COUNT", "    Return the total number of commands in this Redis server.",
			"LIST", "    Return a list of all commands in this Redis server.",
			"INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
			"    If no command names are given, documentation details for all", "    commands are returned.",
			"DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
			"    If no command names are given, documentation details for all", "    commands are returned.",
			"GETKEYS <full-command>", "    Return the keys from a full Redis command.",
			"GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
		})
	default:
		c.Error(subcommandError(c))
	}
}

// getKeys answers COMMAND GETKEYS and GETKEYSANDFLAGS in Redis 7.0's
// order of checks: a command without keys, then its arity, then the keys
// its arguments give (from its key specs, or its own finder where Redis
// uses one; none: an empty array for a command whose keys are optional,
// such as EVAL with numkeys 0, an error otherwise).
func (s *Server) getKeys(c *command.Ctx, withFlags bool) {
	args := c.Args[2:]
	sp := s.eng.Table.Lookup(args[0])
	if sp != nil && len(sp.Subcommands) > 0 && len(args) >= 2 {
		// A container's keys are its subcommand's (OBJECT ENCODING k).
		sp = findSubcommand(sp, string(args[1]))
	}
	switch {
	case sp == nil:
		c.Error("ERR Invalid command specified")
		return
	case !sp.HasKeys():
		c.Error("ERR The command has no key arguments")
		return
	case (sp.Arity > 0 && len(args) != sp.Arity) || len(args) < -sp.Arity:
		c.Error("ERR Invalid number of arguments specified for command")
		return
	}
	keys, ok := sp.KeysWithFlags(args)
	if !ok {
		if sp.Flags&command.NoMandatoryKeys != 0 {
			c.W.Array(0)
			return
		}
		c.Error("ERR Invalid arguments specified for command")
		return
	}
	c.W.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.W.Bulk(args[k.Pos])
			continue
		}
		c.W.Array(2)
		c.W.Bulk(args[k.Pos])
		c.W.Set(len(k.Flags))
		for _, f := range k.Flags {
			c.W.Simple(f)
		}
	}
}

// writeCommandInfo writes one COMMAND INFO entry: name, arity, flags,
// first key, last key, step, ACL categories, tips, key specs, subcommands.
func writeCommandInfo(c *command.Ctx, sp *command.Spec) {
	c.W.Array(10)
	c.W.BulkString(sp.Name)
	c.W.Int(int64(sp.Arity))
	flags := sp.Flags.Names()
	if sp.Meta != nil {
		flags = sp.Meta.Flags // Redis's, descriptive ones included
	}
	c.W.Set(len(flags))
	for _, f := range flags {
		c.W.Simple(f)
	}
	c.W.Int(int64(sp.FirstKey))
	c.W.Int(int64(sp.LastKey))
	c.W.Int(int64(sp.Step))
	cats := sp.Categories
	if cats == nil {
		cats = []string{sp.Group}
	}
	c.W.Set(len(cats))
	for _, cat := range cats {
		c.W.Simple("@" + cat)
	}
	c.W.Set(len(sp.Tips))
	for _, tip := range sp.Tips {
		c.W.BulkString(tip)
	}
	c.W.Set(len(sp.KeySpecs))
	for i := range sp.KeySpecs {
		writeKeySpec(c, &sp.KeySpecs[i])
	}
	subs := subcommandSpecs(sp)
	if len(subs) == 0 {
		c.W.Set(0) // Redis answers "none" as an empty set, a list as an array
		return
	}
	c.W.Array(len(subs))
	for _, sub := range subs {
		writeCommandInfo(c, sub)
	}
}

// writeKeySpec writes a key spec as Redis's COMMAND INFO map.
func writeKeySpec(c *command.Ctx, ks *command.KeySpec) {
	n := 3
	if ks.Notes != "" {
		n++
		c.W.Map(n)
		c.W.BulkString("notes")
		c.W.BulkString(ks.Notes)
	} else {
		c.W.Map(n)
	}
	c.W.BulkString("flags")
	c.W.Set(len(ks.Flags))
	for _, f := range ks.Flags {
		c.W.Simple(f)
	}
	c.W.BulkString("begin_search")
	c.W.Map(2)
	c.W.BulkString("type")
	switch {
	case ks.BeginUnknown:
		c.W.BulkString("unknown")
		c.W.BulkString("spec")
		c.W.Map(0)
	case ks.Keyword != "":
		c.W.BulkString("keyword")
		c.W.BulkString("spec")
		c.W.Map(2)
		c.W.BulkString("keyword")
		c.W.BulkString(ks.Keyword)
		c.W.BulkString("startfrom")
		c.W.Int(int64(ks.StartFrom))
	default:
		c.W.BulkString("index")
		c.W.BulkString("spec")
		c.W.Map(1)
		c.W.BulkString("index")
		c.W.Int(int64(ks.BeginIndex))
	}
	c.W.BulkString("find_keys")
	c.W.Map(2)
	c.W.BulkString("type")
	if ks.FindUnknown {
		c.W.BulkString("unknown")
		c.W.BulkString("spec")
		c.W.Map(0)
		return
	}
	if ks.KeyNum {
		c.W.BulkString("keynum")
		c.W.BulkString("spec")
		c.W.Map(3)
		c.W.BulkString("keynumidx")
		c.W.Int(int64(ks.KeyNumIdx))
		c.W.BulkString("firstkey")
		c.W.Int(int64(ks.FirstKey))
		c.W.BulkString("keystep")
		c.W.Int(int64(ks.KeyStep))
		return
	}
	c.W.BulkString("range")
	c.W.BulkString("spec")
	c.W.Map(3)
	c.W.BulkString("lastkey")
	c.W.Int(int64(ks.LastKey))
	c.W.BulkString("keystep")
	c.W.Int(int64(ks.KeyStep))
	c.W.BulkString("limit")
	c.W.Int(int64(ks.Limit))
}

// commandList answers COMMAND LIST [FILTERBY MODULE|ACLCAT|PATTERN arg]:
// commands and, as in Redis, their subcommands ("config|get"). As in
// Redis, the options are read in order, each FILTERBY with exactly
// two values after it (so at most one, and only as the last option), and
// anything else is a syntax error.
func (s *Server) commandList(c *command.Ctx) {
	match := func(*command.Spec) bool { return true }
	for i := 2; i < len(c.Args); i += 3 {
		if !strings.EqualFold(string(c.Args[i]), "filterby") || len(c.Args)-1-i != 2 {
			c.Error(command.ErrSyntax)
			return
		}
		arg := string(c.Args[i+2])
		switch strings.ToLower(string(c.Args[i+1])) {
		case "module":
			// No modules: no command comes from one.
			match = func(*command.Spec) bool { return false }
		case "pattern":
			match = func(sp *command.Spec) bool { return glob.MatchString(arg, sp.Name, true) }
		case "aclcat":
			// Redis's categories of each command (an unknown category
			// matches nothing, as in Redis).
			cat := strings.ToLower(arg)
			match = func(sp *command.Spec) bool {
				for _, c := range sp.Categories {
					if c == cat {
						return true
					}
				}
				return false
			}
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	var names []string
	for _, sp := range s.eng.Table.All() {
		if match(sp) {
			names = append(names, sp.Name)
		}
		for _, sub := range subcommandSpecs(sp) {
			if match(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	c.W.Array(len(names))
	for _, n := range names {
		c.W.BulkString(n)
	}
}

// subcommandSpecs are a container's subcommands as COMMAND shows them: its
// own subcommand specs, or specs made from Redis's description of each.
func subcommandSpecs(sp *command.Spec) []*command.Spec {
	if sp.SubSpecs != nil {
		return sp.SubSpecs
	}
	var out []*command.Spec
	for _, sub := range sp.Subcommands {
		name := sp.Name + "|" + sub
		if m := command.LookupRedisMeta(name); m != nil {
			out = append(out, &command.Spec{Name: name, Arity: m.Arity, FirstKey: m.FirstKey, LastKey: m.LastKey,
				Step: m.Step, Categories: m.Categories, Tips: m.Tips, KeySpecs: m.KeySpecs, Meta: m})
		} else {
			out = append(out, &command.Spec{Name: name, Arity: -2, Categories: []string{sp.Group}})
		}
	}
	return out
}

// findSubcommand is a container's subcommand named sub (any case), or nil.
func findSubcommand(sp *command.Spec, sub string) *command.Spec {
	name := sp.Name + "|" + strings.ToLower(sub)
	for _, s := range subcommandSpecs(sp) {
		if s.Name == name {
			return s
		}
	}
	return nil
}
