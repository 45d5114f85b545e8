package acl

import (
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/glob"
)

// Reason is why a command was refused (and an ACL LOG entry's reason), in
// Redis's order of precedence: of several selectors' refusals, the
// greatest is reported.
type Reason int

// Reasons.
const (
	OK Reason = iota
	DeniedCommand
	DeniedKey
	DeniedAuth // ACL LOG only
	DeniedChannel
)

// Unrestricted reports whether u may run anything: every command, key and
// channel (the default user as it starts). The server skips the check.
func (u *User) Unrestricted() bool {
	const all = selAllCommands | selAllKeys | selAllChannels
	return u.sels[0].flags&all == all
}

// channelArgs lists the channel arguments a command publishes or
// subscribes to, and whether they are patterns (Redis's channel finders:
// only these are checked).
func channelArgs(name string, args [][]byte) (from int, step int, pattern bool) {
	switch name {
	case "publish", "spublish":
		return 1, 0, false
	case "subscribe", "ssubscribe":
		return 1, 1, false
	case "psubscribe":
		return 1, 1, true
	}
	return 0, 0, false
}

// keyCache is the call's keys, found once for all selectors.
type keyCache struct {
	done bool
	keys []command.KeyRef
}

func keyPerms(flags []string) int {
	p := 0
	for _, f := range flags {
		switch f {
		case "access":
			p |= PermRead
		case "insert", "delete", "update":
			p |= PermWrite
		}
	}
	return p
}

func (s *selector) checkKey(key []byte, perms int) bool {
	if s.flags&selAllKeys != 0 {
		return true
	}
	for _, k := range s.keys {
		if k.perms&perms != perms {
			continue
		}
		if glob.Match([]byte(k.pat), key, false) {
			return true
		}
	}
	return false
}

func (s *selector) checkChannel(ch []byte, pattern bool) bool {
	if s.flags&selAllChannels != 0 {
		return true
	}
	for _, c := range s.channels {
		if pattern && c == string(ch) || !pattern && glob.Match([]byte(c), ch, false) {
			return true
		}
	}
	return false
}

// check is one selector's verdict on a call, with the position of the
// refused key or channel.
func (s *selector) check(c *Command, args [][]byte, kc *keyCache) (Reason, int) {
	if s.flags&selAllCommands == 0 && !c.noAuth && !s.bit(c.ID) {
		// A command denied may still be allowed with a given first
		// argument (+select|0).
		allowed := s.firstArgs[c.ID]
		idx := 1
		if c.Parent != nil {
			idx = 2
		}
		ok := false
		if len(args) > idx {
			for _, a := range allowed {
				if strings.EqualFold(a, string(args[idx])) {
					ok = true
					break
				}
			}
		}
		if !ok {
			return DeniedCommand, 0
		}
	}
	if s.flags&selAllKeys == 0 && c.spec.HasKeys() {
		if !kc.done {
			kc.keys, _ = c.spec.KeysWithFlags(args)
			kc.done = true
		}
		for _, k := range kc.keys {
			if k.Pos < len(args) && !s.checkKey(args[k.Pos], keyPerms(k.Flags)) {
				return DeniedKey, k.Pos
			}
		}
	}
	if s.flags&selAllChannels == 0 {
		name := c.Name
		if c.Parent != nil {
			name = c.Parent.Name
		}
		from, step, pattern := channelArgs(name, args)
		if from > 0 {
			for i := from; i < len(args); i++ {
				if !s.checkChannel(args[i], pattern) {
					return DeniedChannel, i
				}
				if step == 0 {
					break
				}
			}
		}
	}
	return OK, 0
}

// Check decides whether u may run the call (args[0] the command's name,
// c the command it resolves to): OK, or the reason it may not and the
// position of the key or channel refused. Of the selectors' refusals the
// one Redis reports is kept: a command refusal only when no selector got
// further, else the greatest reason, then the last position.
func (u *User) Check(c *Command, args [][]byte) (Reason, int) {
	var kc keyCache
	best, pos := DeniedCommand, 0
	for _, s := range u.sels {
		r, p := s.check(c, args, &kc)
		if r == OK {
			return OK, 0
		}
		if r > best || (r == best && p > pos) {
			best, pos = r, p
		}
	}
	return best, pos
}

// ReadsAnyKey reports whether one of u's selectors allows the call and
// reading every key (allkeys, or a "*" pattern with read permission).
func (u *User) ReadsAnyKey(c *Command, args [][]byte) bool {
	var kc keyCache
	for _, s := range u.sels {
		if r, _ := s.check(c, args, &kc); r != OK {
			continue
		}
		if s.flags&selAllKeys != 0 {
			return true
		}
		for _, k := range s.keys {
			if k.perms&PermRead != 0 && k.pat == "*" {
				return true
			}
		}
	}
	return false
}

// CheckChannel reports whether u may use channel (a pattern when pattern
// is set): the test that decides which subscribers are disconnected when
// the user's channels shrink.
func (u *User) CheckChannel(ch string, pattern bool) bool {
	for _, s := range u.sels {
		if s.checkChannel([]byte(ch), pattern) {
			return true
		}
	}
	return false
}
