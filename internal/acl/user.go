package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
)

// Key permissions of a key pattern (~ is both, %R~ read, %W~ write).
const (
	PermRead  = 1
	PermWrite = 2
	PermAll   = PermRead | PermWrite
)

// Selector flags.
const (
	selRoot = 1 << iota
	selAllKeys
	selAllCommands
	selAllChannels
)

// User flags, in the order ACL LIST shows them.
const (
	flagOn = 1 << iota
	flagOff
	flagNoPass
	flagSkipSanitize
	flagSanitize
)

var userFlagNames = []struct {
	f    int
	name string
}{{flagOn, "on"}, {flagOff, "off"}, {flagNoPass, "nopass"}, {flagSkipSanitize, "skip-sanitize-payload"}, {flagSanitize, "sanitize-payload"}}

type keyPattern struct {
	pat   string
	perms int
}

// selector is one set of permissions: a command may run when one of a
// user's selectors allows the command, all its keys and its channels.
type selector struct {
	flags     int
	cmds      [maxCommands / 64]uint64
	firstArgs map[int][]string // allowed first arguments of an otherwise denied command
	keys      []keyPattern
	channels  []string
}

func (s *selector) clone() *selector {
	c := *s
	c.keys = append([]keyPattern(nil), s.keys...)
	c.channels = append([]string(nil), s.channels...)
	c.firstArgs = nil
	for id, args := range s.firstArgs {
		if c.firstArgs == nil {
			c.firstArgs = map[int][]string{}
		}
		c.firstArgs[id] = append([]string(nil), args...)
	}
	return &c
}

func (s *selector) bit(id int) bool { return s.cmds[id/64]&(1<<(id%64)) != 0 }

func (s *selector) setBit(id int, on bool) {
	if on {
		s.cmds[id/64] |= 1 << (id % 64)
	} else {
		s.cmds[id/64] &^= 1 << (id % 64)
		s.flags &^= selAllCommands
	}
}

// change allows or denies a command, and with a container all its
// subcommands; its allowed first arguments go.
func (s *selector) change(c *Command, allow bool) {
	s.setBit(c.ID, allow)
	delete(s.firstArgs, c.ID)
	for _, sub := range c.Subs {
		s.setBit(sub.ID, allow)
	}
}

func (s *selector) changeCategory(t *Table, bit uint32, allow bool) {
	if t == nil {
		return
	}
	for _, c := range t.cmds {
		if c.cats&bit != 0 {
			s.change(c, allow)
		}
	}
}

// User is an ACL user. The server keeps a pointer per authenticated
// client: a user changed by ACL SETUSER changes in place.
type User struct {
	Name      string
	flags     int
	passwords []string // SHA-256 hex digests
	sels      []*selector
	desc      string // cached Describe, "" when stale
}

func newUser(name string, pubsubAll bool) *User {
	u := &User{Name: name, flags: flagOff}
	u.sels = []*selector{newSelector(selRoot, pubsubAll)}
	return u
}

func newSelector(flags int, pubsubAll bool) *selector {
	s := &selector{flags: flags}
	if pubsubAll {
		s.flags |= selAllChannels
	}
	return s
}

func (u *User) clone() *User {
	c := &User{Name: u.Name, flags: u.flags, passwords: append([]string(nil), u.passwords...)}
	for _, s := range u.sels {
		c.sels = append(c.sels, s.clone())
	}
	return c
}

// copyFrom makes u the same as v, keeping u's identity (clients hold it).
func (u *User) copyFrom(v *User) {
	name := u.Name
	*u = *v.clone()
	u.Name = name
	u.desc = ""
}

// Enabled reports whether the user may authenticate (on).
func (u *User) Enabled() bool { return u.flags&flagOn != 0 }

// NoPass reports whether any password authenticates the user.
func (u *User) NoPass() bool { return u.flags&flagNoPass != 0 }

// CheckPassword reports whether pass authenticates the enabled user, in a
// time that does not depend on the password: digests of fixed size are
// compared, every one of them.
func (u *User) CheckPassword(pass string) bool {
	if !u.Enabled() {
		return false
	}
	if u.NoPass() {
		return true
	}
	h := HashPassword(pass)
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare([]byte(h), []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

// HashPassword is the SHA-256 hex digest ACL GETUSER shows and #<hash>
// takes.
func HashPassword(pass string) string {
	sum := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(sum[:])
}

// Errors of ACL rules; their texts are Redis's.
var (
	errSyntax        = errors.New("Syntax error")
	errUnknown       = errors.New("Unknown command or category name in ACL")
	errKeysAfterAll  = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errChansAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errNoSuchPass    = errors.New("The password you are trying to remove from the user does not exist")
	errBadHash       = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errSubFirstArg   = errors.New("Allowing first-arg of a subcommand is not supported")
)

// HasSpaces reports whether s has a white-space (C's isspace) or NUL
// byte, which patterns and user names may not hold.
func HasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// apply applies one rule to u (ACL SETUSER's op).
func (a *ACL) apply(u *User, op string) error {
	u.desc = ""
	if op == "" {
		return nil
	}
	switch strings.ToLower(op) {
	case "on":
		u.flags = u.flags&^flagOff | flagOn
		return nil
	case "off":
		u.flags = u.flags&^flagOn | flagOff
		return nil
	case "skip-sanitize-payload":
		u.flags = u.flags&^flagSanitize | flagSkipSanitize
		return nil
	case "sanitize-payload":
		u.flags = u.flags&^flagSkipSanitize | flagSanitize
		return nil
	case "nopass":
		u.flags |= flagNoPass
		u.passwords = nil
		return nil
	case "resetpass":
		u.flags &^= flagNoPass
		u.passwords = nil
		return nil
	case "clearselectors":
		u.sels = u.sels[:1]
		return nil
	case "reset":
		for _, r := range []string{"resetpass", "resetkeys", "resetchannels"} {
			a.apply(u, r)
		}
		if a.PubsubAllChannels {
			a.apply(u, "allchannels")
		}
		for _, r := range []string{"off", "sanitize-payload", "clearselectors", "-@all"} {
			a.apply(u, r)
		}
		return nil
	}
	switch op[0] {
	case '>', '#':
		var h string
		if op[0] == '>' {
			h = HashPassword(op[1:])
		} else {
			if !validHash(op[1:]) {
				return errBadHash
			}
			h = op[1:]
		}
		found := false
		for _, p := range u.passwords {
			found = found || p == h
		}
		if !found {
			u.passwords = append(u.passwords, h)
		}
		u.flags &^= flagNoPass
		return nil
	case '<', '!':
		var h string
		if op[0] == '<' {
			h = HashPassword(op[1:])
		} else {
			if !validHash(op[1:]) {
				return errBadHash
			}
			h = op[1:]
		}
		for i, p := range u.passwords {
			if p == h {
				u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
				return nil
			}
		}
		return errNoSuchPass
	}
	if op[0] == '(' && op[len(op)-1] == ')' {
		s := newSelector(0, a.PubsubAllChannels)
		args, err := splitSelector(op[1 : len(op)-1])
		if err != nil {
			return errSyntax
		}
		for _, r := range args {
			if err := a.applySelector(s, r); err != nil {
				return err
			}
		}
		u.sels = append(u.sels, s)
		return nil
	}
	return a.applySelector(u.sels[0], op)
}

// splitSelector splits a selector's body into rules as Redis does
// (sdssplitargs: quotes are understood).
func splitSelector(body string) ([]string, error) {
	return splitArgs(body)
}

// applySelector applies a rule about commands, keys or channels to s.
func (a *ACL) applySelector(s *selector, op string) error {
	if op == "" {
		return errSyntax // an empty rule inside a selector: ("")
	}
	switch strings.ToLower(op) {
	case "allkeys", "~*":
		s.flags |= selAllKeys
		s.keys = nil
		return nil
	case "resetkeys":
		s.flags &^= selAllKeys
		s.keys = nil
		return nil
	case "allchannels", "&*":
		s.flags |= selAllChannels
		s.channels = nil
		return nil
	case "resetchannels":
		s.flags &^= selAllChannels
		s.channels = nil
		return nil
	case "allcommands", "+@all":
		for i := range s.cmds {
			s.cmds[i] = ^uint64(0)
		}
		s.flags |= selAllCommands
		s.firstArgs = nil
		return nil
	case "nocommands", "-@all":
		s.cmds = [maxCommands / 64]uint64{}
		s.flags &^= selAllCommands
		s.firstArgs = nil
		return nil
	}
	switch {
	case op[0] == '~' || op[0] == '%':
		if s.flags&selAllKeys != 0 {
			return errKeysAfterAll
		}
		perms, off := 0, 1
		if op[0] == '%' {
			for ; off < len(op); off++ {
				ch := op[off]
				if (ch == 'R' || ch == 'r') && perms&PermRead == 0 {
					perms |= PermRead
				} else if (ch == 'W' || ch == 'w') && perms&PermWrite == 0 {
					perms |= PermWrite
				} else if ch == '~' {
					off++
					break
				} else {
					return errSyntax
				}
			}
			// Redis takes "%~k" (no permission at all) and then aborts
			// when it describes the pattern; it is refused here instead.
			if perms == 0 {
				return errSyntax
			}
		} else {
			perms = PermAll
		}
		pat := op[min(off, len(op)):]
		if HasSpaces(pat) {
			return errSyntax
		}
		for i := range s.keys {
			if s.keys[i].pat == pat {
				s.keys[i].perms |= perms
				return nil
			}
		}
		s.keys = append(s.keys, keyPattern{pat, perms})
		s.flags &^= selAllKeys
		return nil
	case op[0] == '&':
		if s.flags&selAllChannels != 0 {
			return errChansAfterAll
		}
		if HasSpaces(op[1:]) {
			return errSyntax
		}
		for _, c := range s.channels {
			if c == op[1:] {
				return nil
			}
		}
		s.channels = append(s.channels, op[1:])
		s.flags &^= selAllChannels
		return nil
	case len(op) > 1 && (op[0] == '+' || op[0] == '-') && op[1] == '@':
		bit := categoryBit(op[2:])
		if bit == 0 {
			return errUnknown
		}
		s.changeCategory(a.Table, bit, op[0] == '+')
		return nil
	case op[0] == '+':
		name := op[1:]
		i := strings.LastIndexByte(name, '|')
		if i < 0 {
			c := a.Table.Lookup(name)
			if c == nil {
				return errUnknown
			}
			s.change(c, true)
			return nil
		}
		c := a.Table.Lookup(name[:i])
		if c == nil {
			return errUnknown
		}
		if c.Parent != nil {
			return errSubFirstArg
		}
		if i == len(name)-1 {
			return errSyntax
		}
		if len(c.Subs) > 0 {
			sub := a.Table.Lookup(name)
			if sub == nil {
				return errUnknown
			}
			s.change(sub, true)
			return nil
		}
		arg := name[i+1:]
		if s.firstArgs == nil {
			s.firstArgs = map[int][]string{}
		}
		for _, x := range s.firstArgs[c.ID] {
			if strings.EqualFold(x, arg) {
				return nil
			}
		}
		s.firstArgs[c.ID] = append(s.firstArgs[c.ID], arg)
		return nil
	case op[0] == '-':
		c := a.Table.Lookup(op[1:])
		if c == nil {
			return errUnknown
		}
		s.change(c, false)
		return nil
	}
	return errSyntax
}
