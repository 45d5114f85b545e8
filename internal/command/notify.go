package command

// Keyspace notifications (notify-keyspace-events): a command that changes
// a key tells the server what happened, by class and event name, exactly as
// Redis's command fires it (notifyKeyspaceEvent); the server publishes it
// on __keyspace@<db>__:<key> and __keyevent@<db>__:<event> when the class
// is enabled. With notifications off it costs one branch per event.

// Event is a class of keyspace events (a notify-keyspace-events letter).
type Event uint16

const (
	EvGeneric Event = 1 << iota // g: DEL, EXPIRE, RENAME, …
	EvString                    // $
	EvList                      // l
	EvSet                       // s
	EvHash                      // h
	EvZSet                      // z
	EvExpired                   // x
	EvEvicted                   // e
	EvStream                    // t
	EvKeyMiss                   // m
	EvNew                       // n
)

// Notifier publishes keyspace events; Enabled reports whether any class is
// on (checked first, so a server without notifications pays nothing).
type Notifier interface {
	Enabled(class Event) bool
	Notify(class Event, event string, key []byte, db int)
}

// Notify fires a keyspace event for key in the command's database.
func (c *Ctx) Notify(class Event, event string, key []byte) {
	if n := c.E.Notifier; n != nil && n.Enabled(class) {
		n.Notify(class, event, key, c.DB.ID)
	}
}

// NotifyDB fires a keyspace event for key in database db (MOVE, COPY … DB,
// SWAPDB-free cross-database commands).
func (c *Ctx) NotifyDB(class Event, event string, key []byte, db int) {
	if n := c.E.Notifier; n != nil && n.Enabled(class) {
		n.Notify(class, event, key, db)
	}
}
