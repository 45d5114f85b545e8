package command

import "github.com/tandemdb/tandem/internal/keyspace"

// What maxmemory's eviction (internal/evict) needs from the engine.

// KeyEvicted does what follows the eviction of key from db, as Redis's
// performEvictions does after the delete: WATCH and client-side caching
// see the key change (by the server, not by the running client), an
// "evicted" keyspace event, and a DEL to the replicas and the AOF: inside
// a command (CONFIG SET maxmemory, a gate asked under EXEC) it joins that
// command's unit, so it keeps its place among the unit's writes;
// otherwise it goes out at once. The server lock must be held.
func (e *Engine) KeyEvicted(db *keyspace.DB, key string) {
	// The key is copied once into a reused buffer: it aliases the evicted
	// node's buffer, which the next new key may take (keyspace/recycle.go),
	// and a SET under eviction should allocate nothing here.
	e.evictKey = append(e.evictKey[:0], key...)
	k := e.evictKey
	e.expiring = true // the change is the server's (CLIENT TRACKING NOLOOP)
	e.keyModified(db, k)
	if n := e.Notifier; n != nil && n.Enabled(EvEvicted) {
		n.Notify(EvEvicted, "evicted", []byte(key), db.ID)
	}
	e.evictArgv = [2][]byte{argDel, k}
	argv := e.evictArgv[:]
	if e.depth > 0 {
		e.alsoPropagateSkip(db.ID, argv, 0)
		return
	}
	e.PropagateNow(db.ID, argv...)
}

// Depth is how many commands are running, nested: 0 between commands, 1
// while a client's command runs, more inside EXEC or a script. A server
// gate asked at depth 0 is asked for a client's command before it runs.
func (e *Engine) Depth() int { return e.depth }
