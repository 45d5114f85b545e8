package keyspace

// SetLRU sets the entry's access clock (seconds, see Keyspace.Clock), so
// that OBJECT IDLETIME reports the idle time RESTORE … IDLETIME asked for.
func (e *Entry) SetLRU(clock uint32) { e.lru = clock }
