package command

//go:generate sh -c "go run ./metagen -addr 127.0.0.1:7399 > redismeta_gen.go"

// RedisMeta is what Redis 7.0's COMMAND INFO says of one command or
// subcommand: its arity, flags (as COMMAND INFO spells them), legacy key
// positions, ACL categories (without '@'), tips and key specs. The table
// (redismeta_gen.go) is generated from a real redis-server by metagen; a
// spec added to a Table gets its entry (Spec.Meta), so what COMMAND shows
// and what ACL categories mean is Redis's, command by command.
type RedisMeta struct {
	Arity                   int
	Flags                   []string
	FirstKey, LastKey, Step int
	Categories              []string
	Tips                    []string
	KeySpecs                []KeySpec
}

// LookupRedisMeta returns Redis 7.0's description of a command ("get") or
// subcommand ("config|get"), or nil for one Redis does not have.
func LookupRedisMeta(name string) *RedisMeta { return redisCommandMeta[name] }

// applyRedisMeta gives the spec (and its subcommands' specs) Redis's
// description: the behaviour flags Tandem models that Redis sets (a
// container's own flags, which Redis leaves empty, stay), and the
// categories, tips and key specs the spec does not set itself.
func (s *Spec) applyRedisMeta() {
	m := redisCommandMeta[s.Name]
	s.Meta = m
	if m != nil {
		s.Flags |= flagsNamed(m.Flags)
		if s.Categories == nil {
			s.Categories = m.Categories
		}
		if s.Tips == nil {
			s.Tips = m.Tips
		}
		if s.KeySpecs == nil {
			s.KeySpecs = m.KeySpecs
		}
	}
	for _, sub := range s.SubSpecs {
		sub.applyRedisMeta()
	}
}

// flagsNamed is the set of Tandem flags named (COMMAND INFO spelling);
// names Tandem does not model are left out.
func flagsNamed(names []string) Flag {
	var f Flag
	for _, n := range names {
		for _, fn := range flagNames {
			if fn.name == n {
				f |= fn.f
			}
		}
	}
	return f
}

// HasFlag reports whether Redis gives the command flag f ("no_async_loading").
func (m *RedisMeta) HasFlag(f string) bool {
	for _, x := range m.Flags {
		if x == f {
			return true
		}
	}
	return false
}
