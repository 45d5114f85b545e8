// Package acl holds Redis 7.0's access control lists: users with their
// passwords, flags and selectors (which commands, keys and channels each
// selector allows), the rules that change them (ACL SETUSER, user lines
// of redis.conf and of an ACL file), the permission check a command
// passes before it runs, the normalised rule strings ACL LIST and ACL
// GETUSER show, and the ACL log.
//
// Nothing here locks: the server calls it with its own lock held, as it
// runs every command.
package acl

import (
	"sort"
	"strings"

	"github.com/tandemdb/tandem/internal/command"
)

// Categories are Redis 7.0's ACL categories, in Redis's order (ACL CAT,
// and the order in which ACL GETUSER tries them when it describes a
// user's commands).
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// categoryBit is the bit of a category in Command.cats, 0 when unknown.
func categoryBit(name string) uint32 {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// maxCommands bounds the command ids, as Redis's bitmap does; the last
// bit is never a command's: +@all sets it, so that a user built from
// +@all (who may run commands added later) is told from one who was given
// every command one by one.
const maxCommands = 1024

const futureBit = maxCommands - 1

// Command is a command or a container's subcommand ("config|get") as the
// ACL knows it.
type Command struct {
	ID     int
	Name   string // lower case; "container|sub" for a subcommand
	Parent *Command
	Subs   []*Command
	// spec finds the command's keys (a subcommand's own key specs).
	spec   *command.Spec
	cats   uint32
	noAuth bool
}

// Table is the set of commands ACL rules name, built once from the
// command table (by real name: renames do not change ACLs, as in Redis).
type Table struct {
	cmds   []*Command // sorted by name, each container before its subcommands
	byName map[string]*Command
}

// NewTable indexes every command of specs and its subcommands.
func NewTable(specs []*command.Spec) *Table {
	t := &Table{byName: map[string]*Command{}}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	for _, sp := range specs {
		if t.byName[sp.Name] != nil || len(t.cmds) >= futureBit-1 {
			continue
		}
		c := t.add(sp.Name, sp, sp.Categories, nil)
		subs := append([]string(nil), sp.Subcommands...)
		sort.Strings(subs)
		for _, sub := range subs {
			full := sp.Name + "|" + sub
			var ssp *command.Spec
			for _, s := range sp.SubSpecs {
				if s.Name == full {
					ssp = s
				}
			}
			if ssp == nil {
				ssp = &command.Spec{Name: full, Arity: -2}
				if m := command.LookupRedisMeta(full); m != nil {
					ssp = &command.Spec{Name: full, Arity: m.Arity, FirstKey: m.FirstKey, LastKey: m.LastKey,
						Step: m.Step, Categories: m.Categories, KeySpecs: m.KeySpecs, Meta: m}
				}
			}
			cats := ssp.Categories
			if cats == nil {
				cats = sp.Categories
			}
			if len(t.cmds) < futureBit-1 {
				c.Subs = append(c.Subs, t.add(full, ssp, cats, c))
			}
		}
	}
	return t
}

func (t *Table) add(name string, sp *command.Spec, cats []string, parent *Command) *Command {
	c := &Command{ID: len(t.cmds), Name: name, Parent: parent, spec: sp, noAuth: sp.Flags&command.NoAuth != 0}
	if parent != nil {
		c.noAuth = parent.noAuth
	}
	for _, cat := range cats {
		c.cats |= categoryBit(cat)
	}
	t.cmds = append(t.cmds, c)
	t.byName[name] = c
	return c
}

// Lookup finds a command ("get") or subcommand ("config|get") by name,
// case-insensitively.
func (t *Table) Lookup(name string) *Command {
	if t == nil {
		return nil
	}
	return t.byName[strings.ToLower(name)]
}

// Resolve is the command a call runs: the container's subcommand named by
// args[1] when spec has one by that name, else spec's own entry.
func (t *Table) Resolve(spec *command.Spec, args [][]byte) *Command {
	c := t.byName[spec.Name]
	if c == nil || len(c.Subs) == 0 || len(args) < 2 {
		return c
	}
	name := strings.ToLower(string(args[1]))
	for _, s := range c.Subs {
		if s.Name[len(c.Name)+1:] == name {
			return s
		}
	}
	return c
}

// InCategory lists the commands and subcommands of a category (ACL CAT
// cat), or false for an unknown category.
func (t *Table) InCategory(cat string) ([]string, bool) {
	bit := categoryBit(cat)
	if bit == 0 {
		return nil, false
	}
	out := []string{}
	for _, c := range t.cmds {
		if c.cats&bit != 0 {
			out = append(out, c.Name)
		}
	}
	return out, true
}
