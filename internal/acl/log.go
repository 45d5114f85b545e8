package acl

// Context is where a refused command ran (an ACL LOG entry's context).
type Context int

// Contexts, as ACL LOG names them.
const (
	Toplevel Context = iota
	Lua
	Multi
)

func (c Context) String() string {
	switch c {
	case Lua:
		return "lua"
	case Multi:
		return "multi"
	}
	return "toplevel"
}

func (r Reason) String() string {
	switch r {
	case DeniedCommand:
		return "command"
	case DeniedKey:
		return "key"
	case DeniedChannel:
		return "channel"
	case DeniedAuth:
		return "auth"
	}
	return "unknown"
}

// Entry is one ACL LOG entry: similar refusals within a minute are
// counted in one entry.
type Entry struct {
	Count      int64
	Reason     Reason
	Context    Context
	Object     string // the command, key or channel refused (AUTH: "AUTH")
	Username   string
	Millis     int64  // when it last happened (Unix ms)
	ClientInfo string // CLIENT LIST line of the client, the last time
}

// Log is the ACL log, newest entry first.
type Log struct {
	Entries []*Entry
	Max     int // acllog-max-len
}

// groupWindow is how close in time (ms) two similar refusals must be to
// share an entry.
const groupWindow = 60000

// Add records a refusal: an entry among the ten newest with the same
// reason, context, object and user, updated within the minute, counts it
// and moves to the front; otherwise a new entry is added, and the oldest
// beyond Max dropped.
func (l *Log) Add(e Entry) {
	e.Count = 1
	for i := 0; i < len(l.Entries) && i < 10; i++ {
		m := l.Entries[i]
		d := m.Millis - e.Millis
		if d < 0 {
			d = -d
		}
		if m.Reason == e.Reason && m.Context == e.Context && d <= groupWindow && m.Object == e.Object && m.Username == e.Username {
			m.Count++
			m.Millis = e.Millis
			m.ClientInfo = e.ClientInfo
			copy(l.Entries[1:i+1], l.Entries[:i])
			l.Entries[0] = m
			return
		}
	}
	l.Entries = append([]*Entry{&e}, l.Entries...)
	l.Trim()
}

// Trim drops the oldest entries beyond Max.
func (l *Log) Trim() {
	if len(l.Entries) > l.Max {
		l.Entries = l.Entries[:l.Max]
	}
}

// Reset empties the log.
func (l *Log) Reset() { l.Entries = nil }
