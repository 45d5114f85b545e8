package server

import (
	"strconv"

	"github.com/tandemdb/tandem/internal/command"
)

// keyspaceNotifier publishes keyspace events (command.Notifier) as Redis
// does: "<event>" on __keyspace@<db>__:<key> and "<key>" on
// __keyevent@<db>__:<event>, to plain and pattern subscribers, with the
// server lock held by the command that fired it.
type keyspaceNotifier Server

func (n *keyspaceNotifier) Enabled(class command.Event) bool {
	set := &n.set
	return set.NotifyClasses&class != 0 && (set.NotifyKeyspace || set.NotifyKeyevent)
}

func (n *keyspaceNotifier) Notify(class command.Event, event string, key []byte, db int) {
	s := (*Server)(n)
	if len(s.ps.channels) == 0 && len(s.ps.patterns) == 0 {
		return
	}
	var buf [64]byte
	if s.set.NotifyKeyspace {
		ch := append(buf[:0], "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.Publish(ch, []byte(event))
	}
	if s.set.NotifyKeyevent {
		ch := append(buf[:0], "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.Publish(ch, key)
	}
}
