package command

// KeySpec is one of a command's key specifications as COMMAND INFO shows
// them (Redis 7.0's keySpec): where the search for keys begins, how they
// are found from there, and what the command does with them.
type KeySpec struct {
	Notes string
	// Flags are the key's flags, in Redis's order and spelling ("RW",
	// "access", "update"); COMMAND GETKEYSANDFLAGS answers them per key.
	Flags []string
	// BeginIndex: the search begins at this argument (begin_search index).
	BeginIndex int
	// KeyNum: the keys are counted by an argument (find_keys keynum:
	// KeyNumIdx, FirstKey, KeyStep relative to BeginIndex); otherwise they
	// are a range (find_keys range: LastKey, KeyStep, Limit).
	KeyNum                       bool
	KeyNumIdx, FirstKey, KeyStep int
	LastKey, Limit               int
}

// Flags Redis shows in COMMAND INFO that change no behaviour of Tandem's
// dispatch: they only describe the command to clients. They take high bits,
// apart from the behaviour flags of table.go, which grow from bit 0.
const (
	// NoMandatoryKeys: the command may run with no key at all (EVAL with
	// numkeys 0); COMMAND GETKEYS then answers an empty array.
	NoMandatoryKeys Flag = 1 << (iota + 24)
	// MovableKeys: the key positions depend on the arguments (numkeys).
	MovableKeys
)
