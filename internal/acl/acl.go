package acl

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ACL is the set of users.
type ACL struct {
	Table *Table
	// PubsubAllChannels is acl-pubsub-default allchannels: new users and
	// "reset" start with every channel.
	PubsubAllChannels bool
	users             map[string]*User
	// Default is the user every connection starts as; it is never
	// replaced, only changed (clients hold it).
	Default *User
	Log     Log
}

// New returns an ACL with the default user only: on, nopass, every
// command, key and channel.
func New(t *Table) *ACL {
	a := &ACL{Table: t, users: map[string]*User{}}
	a.Log.Max = 128
	a.Default = a.newDefault()
	a.users["default"] = a.Default
	return a
}

func (a *ACL) newDefault() *User {
	u := newUser("default", a.PubsubAllChannels)
	for _, r := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		a.apply(u, r)
	}
	return u
}

// User finds a user by name (case-sensitive), nil when there is none.
func (a *ACL) User(name string) *User { return a.users[name] }

// Names lists the users' names, sorted.
func (a *ACL) Names() []string {
	out := make([]string, 0, len(a.users))
	for n := range a.users {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SetDefaultPassword applies requirepass to the default user: its
// passwords are replaced by pass, or it becomes nopass when pass is "".
func (a *ACL) SetDefaultPassword(pass string) {
	a.apply(a.Default, "resetpass")
	if pass != "" {
		a.apply(a.Default, ">"+pass)
	} else {
		a.apply(a.Default, "nopass")
	}
}

// AuthRequired reports whether a new connection must authenticate: the
// default user needs a password or is off.
func (a *ACL) AuthRequired() bool {
	return !a.Default.NoPass() || !a.Default.Enabled()
}

// mergeSelectors joins a selector given over several arguments ("(~x"
// "+get)") into one, as Redis does; bad is the index of an unclosed one.
func mergeSelectors(args []string) (out []string, bad int, ok bool) {
	open := -1
	var cur string
	for j, op := range args {
		if open < 0 && len(op) > 0 && op[0] == '(' && op[len(op)-1] != ')' {
			cur, open = op, j
			continue
		}
		if open >= 0 {
			cur += " " + op
			if len(op) > 0 && op[len(op)-1] == ')' {
				out = append(out, cur)
				open = -1
			}
			continue
		}
		out = append(out, op)
	}
	if open >= 0 {
		return nil, open, false
	}
	return out, 0, true
}

// SetUser applies rules to the user named name, creating it if need be
// (ACL SETUSER). Nothing changes when a rule is bad: the error is Redis's
// reply text without its "ERR ". channelsShrank reports that the user
// lost channel permissions: its subscribers must then be checked
// (User.CheckChannel) and those using a channel no longer allowed closed.
func (a *ACL) SetUser(name string, rules []string) (u *User, channelsShrank bool, err error) {
	merged, bad, ok := mergeSelectors(rules)
	if !ok {
		return nil, false, fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", rules[bad])
	}
	old := a.users[name]
	var tmp *User
	if old != nil {
		tmp = old.clone()
	} else {
		tmp = newUser(name, a.PubsubAllChannels)
	}
	for _, r := range merged {
		if err := a.apply(tmp, r); err != nil {
			return nil, false, fmt.Errorf("Error in ACL SETUSER modifier '%s': %s", r, err)
		}
	}
	if old != nil {
		channelsShrank = !channelsSuperset(tmp, old)
		old.copyFrom(tmp)
		return old, channelsShrank, nil
	}
	a.users[name] = tmp
	return tmp, false, nil
}

// channelsSuperset reports whether nu allows every channel pattern old
// allowed (Redis's test before it disconnects subscribers).
func channelsSuperset(nu, old *User) bool {
	for _, s := range nu.sels {
		if s.flags&selAllChannels != 0 {
			return true
		}
	}
	have := map[string]bool{}
	for _, s := range nu.sels {
		for _, c := range s.channels {
			have[c] = true
		}
	}
	for _, s := range old.sels {
		if s.flags&selAllChannels != 0 {
			return false
		}
		for _, c := range s.channels {
			if !have[c] {
				return false
			}
		}
	}
	return true
}

// DelUser removes a user (never "default") and returns it, nil when there
// is no such user: its clients must be closed.
func (a *ACL) DelUser(name string) *User {
	u := a.users[name]
	if u != nil && u != a.Default {
		delete(a.users, name)
		return u
	}
	return nil
}

// LoadUsers applies redis.conf's user lines at start-up ([name, rules...]
// each, in order): each user is made, or, for the default user, reset
// first, as Redis does. The error names the rule and the user.
func (a *ACL) LoadUsers(defs [][]string) error {
	for _, d := range defs {
		name := d[0]
		if HasSpaces(name) {
			return fmt.Errorf("Spaces not allowed in ACL usernames")
		}
		u := a.users[name]
		if u == nil {
			u = newUser(name, a.PubsubAllChannels)
			a.users[name] = u
		} else {
			a.apply(u, "reset")
		}
		merged, _, _ := mergeSelectors(d[1:])
		for _, r := range merged {
			if err := a.apply(u, r); err != nil {
				return fmt.Errorf("Error loading ACL rule '%s' for the user named '%s': %s", r, name, err)
			}
		}
	}
	return nil
}

// Lines is every user as an ACL file (and CONFIG REWRITE) writes it:
// "user <name> <rules>", sorted by name.
func (a *ACL) Lines() []string {
	var out []string
	for _, n := range a.Names() {
		out = append(out, "user "+n+" "+a.Describe(a.users[n]))
	}
	return out
}

// LoadFile parses an ACL file's content and, when every line is good,
// replaces the users with its own (the default user changes in place and
// is made anew when the file does not name it). The users that no longer
// exist, or that were replaced, are returned: their clients must go. On
// any error nothing changes, and the error names the lines, as Redis's.
func (a *ACL) LoadFile(filename, content string) (gone []*User, err error) {
	users := map[string]*User{}
	var errs strings.Builder
	for i, line := range strings.Split(content, "\n") {
		num := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		var args []string
		for _, x := range argv {
			if x != "" {
				args = append(args, x)
			}
		}
		if len(args) == 0 {
			continue
		}
		if args[0] != "user" || len(args) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", filename, num)
			continue
		}
		if HasSpaces(args[1]) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", filename, num, args[1])
			continue
		}
		if users[args[1]] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", args[1], num)
			continue
		}
		u := newUser(args[1], a.PubsubAllChannels)
		users[args[1]] = u
		merged, _, ok := mergeSelectors(args[2:])
		if !ok {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", filename, num)
		}
		syntax := false
		for _, r := range merged {
			r = strings.Trim(r, "\t\r\n")
			if err := a.apply(u, r); err != nil {
				if err == errUnknown {
					fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", filename, num, r, err)
				} else if !syntax {
					fmt.Fprintf(&errs, "%s:%d: %s. ", filename, num, err)
					syntax = true
				}
			}
		}
	}
	if errs.Len() > 0 {
		return nil, fmt.Errorf("%sWARNING: ACL errors detected, no change to the previously active ACL rules was performed", errs.String())
	}
	nd := users["default"]
	if nd == nil {
		nd = a.newDefault()
	}
	a.Default.copyFrom(nd)
	users["default"] = a.Default
	for _, u := range a.users {
		if u != a.Default {
			gone = append(gone, u)
		}
	}
	a.users = users
	return gone, nil
}

// CheckUserLine checks a redis.conf "user" line (argv with "user" first)
// as Redis does while it reads the file, before any command is known:
// selector parentheses and the rules' syntax (an unknown command or
// category is found later, at start-up). bad is the index in argv Redis's
// error names (its own indexing: the rule's position among the rules).
func CheckUserLine(argv []string) (bad int, err error) {
	merged, open, ok := mergeSelectors(argv[2:])
	if !ok {
		return open, errSyntax
	}
	a := &ACL{}
	u := newUser("__check__", false)
	for j, r := range merged {
		if err := a.apply(u, r); err != nil && err != errUnknown {
			return j, err
		}
	}
	return 0, nil
}

// DuplicateUserError is the error of a user declared twice in redis.conf.
var DuplicateUserError = errors.New("Duplicate user found. A user can only be defined once in config files")
