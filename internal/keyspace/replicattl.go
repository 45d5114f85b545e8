package keyspace

import "strings"

// Keys a writable replica's own clients write. A replica waits for its
// master's DELs before it removes an expired key (ExpireReplica), but on a
// writable replica (replica-read-only no) its clients may write too, as in
// Redis 7.0:
//   - a key whose time has passed is deleted when a client's write looks
//     it up (INCR of an expired key starts again from nothing), while
//     reads keep seeing it as missing without deleting it;
//   - a TTL a client sets there is the replica's own business: nobody
//     else will ever delete that key, so the replica's active expiry cycle
//     deletes it when its time comes (Redis's expireSlaveKeys).

// noteReplicaTTL remembers that a client (not our master) gave key a TTL
// on this replica.
func (db *DB) noteReplicaTTL(key string) {
	if db.replicaTTL == nil {
		db.replicaTTL = map[string]struct{}{}
	}
	// A copy: e's key string would keep its value's buffer alive (node.go).
	db.replicaTTL[strings.Clone(key)] = struct{}{}
}

// expireReplicaKeys is the replica's active expiry: it looks at up to n
// keys its clients gave a TTL and deletes those whose time has passed;
// keys that went away or lost their TTL are forgotten.
func (db *DB) expireReplicaKeys(n int) (sampled, expired int) {
	if len(db.replicaTTL) == 0 {
		return 0, 0
	}
	now := db.ks.Now()
	var stale []string
	for k := range db.replicaTTL {
		if sampled >= n {
			break
		}
		sampled++
		when, ok := db.expires[k]
		if !ok {
			delete(db.replicaTTL, k) // deleted, or made persistent
			continue
		}
		if when <= now {
			stale = append(stale, k)
		}
	}
	for _, k := range stale {
		delete(db.replicaTTL, k)
		if e := db.dict.find([]byte(k)); e != nil {
			db.deleteExpired(e)
			expired++
		}
	}
	return sampled, expired
}
