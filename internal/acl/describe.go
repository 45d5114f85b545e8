package acl

import (
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
)

func splitArgs(s string) ([]string, error) { return resp.SplitArgs(s) }

// countCategory counts the commands of a category s allows (on) and
// denies (off).
func (s *selector) countCategory(t *Table, bit uint32) (on, off int) {
	for _, c := range t.cmds {
		if c.cats&bit != 0 {
			if s.bit(c.ID) {
				on++
			} else {
				off++
			}
		}
	}
	return
}

// commandRules describes s's commands as rules that rebuild them, the way
// Redis does: +@all or -@all first (whether future commands are allowed),
// then, greedily, the category that best fits what is left, then single
// commands for the differences. Commands are visited in name order, so
// the string is stable (Redis's follows its hash table).
func (a *ACL) commandRules(s *selector) string {
	t := a.Table
	var b strings.Builder
	fake := &selector{}
	additive := !s.bit(futureBit)
	if additive {
		b.WriteString("-@all ")
		a.applySelector(fake, "-@all")
	} else {
		b.WriteString("+@all ")
		a.applySelector(fake, "+@all")
	}
	temp := &selector{cmds: s.cmds}
	applied := make([]bool, len(Categories))
	for {
		best, mindiff, maxsame := -1, int(^uint(0)>>1), 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(t, 1<<j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
				best, mindiff, maxsame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		sign, inv := "-@", "+@"
		if additive {
			sign, inv = "+@", "-@"
		}
		a.applySelector(fake, sign+Categories[best])
		a.applySelector(temp, inv+Categories[best])
		b.WriteString(sign + Categories[best] + " ")
		applied[best] = true
	}
	for _, c := range t.cmds {
		ub, fb := s.bit(c.ID), fake.bit(c.ID)
		if ub != fb {
			if ub {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
			b.WriteString(c.Name + " ")
			fake.change(c, ub)
		}
		if !ub {
			for _, arg := range s.firstArgs[c.ID] {
				b.WriteString("+" + c.Name + "|" + arg + " ")
			}
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

func patternString(k keyPattern) string {
	switch k.perms {
	case PermRead:
		return "%R~" + k.pat
	case PermWrite:
		return "%W~" + k.pat
	}
	return "~" + k.pat
}

// describeSelector is a selector as ACL LIST shows it.
func (a *ACL) describeSelector(s *selector) string {
	var b strings.Builder
	if s.flags&selAllKeys != 0 {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(patternString(k) + " ")
		}
	}
	if s.flags&selAllChannels != 0 {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(a.commandRules(s))
	return b.String()
}

// Describe is the user's rules in the form ACL LIST and ACL files show:
// flags, password hashes, then the root selector and the others in
// parentheses.
func (a *ACL) Describe(u *User) string {
	if u.desc != "" {
		return u.desc
	}
	var b strings.Builder
	for _, f := range userFlagNames {
		if u.flags&f.f != 0 {
			b.WriteString(f.name + " ")
		}
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	for i, s := range u.sels {
		if i == 0 {
			b.WriteString(a.describeSelector(s))
		} else {
			b.WriteString(" (" + a.describeSelector(s) + ")")
		}
	}
	u.desc = b.String()
	return u.desc
}

// SelectorInfo is one selector as ACL GETUSER shows it.
type SelectorInfo struct {
	Commands, Keys, Channels string
}

// UserInfo is ACL GETUSER's reply: flags, password hashes, the root
// selector and the other selectors.
type UserInfo struct {
	Flags     []string
	Passwords []string
	Root      SelectorInfo
	Selectors []SelectorInfo
}

func (a *ACL) selectorInfo(s *selector) SelectorInfo {
	si := SelectorInfo{Commands: a.commandRules(s)}
	if s.flags&selAllKeys != 0 {
		si.Keys = "~*"
	} else {
		var ks []string
		for _, k := range s.keys {
			ks = append(ks, patternString(k))
		}
		si.Keys = strings.Join(ks, " ")
	}
	if s.flags&selAllChannels != 0 {
		si.Channels = "&*"
	} else {
		var cs []string
		for _, c := range s.channels {
			cs = append(cs, "&"+c)
		}
		si.Channels = strings.Join(cs, " ")
	}
	return si
}

// Info describes u for ACL GETUSER.
func (a *ACL) Info(u *User) UserInfo {
	ui := UserInfo{Passwords: append([]string{}, u.passwords...), Flags: []string{}}
	for _, f := range userFlagNames {
		if u.flags&f.f != 0 {
			ui.Flags = append(ui.Flags, f.name)
		}
	}
	ui.Root = a.selectorInfo(u.sels[0])
	for _, s := range u.sels[1:] {
		ui.Selectors = append(ui.Selectors, a.selectorInfo(s))
	}
	return ui
}
