package keyspace

// ExpireMode says who removes keys whose time has passed. A key with an
// expiry in the past is "logically expired"; what happens to it depends on
// the mode:
//
//   - ExpireMaster: this server decides. A lookup that meets a logically
//     expired key deletes it (counted in expired_keys; the Expired hook
//     propagates a DEL to replicas and the AOF), the active cycle
//     (ExpireSample) samples and deletes them, and a command that sets a
//     time already past (EXPIRE and its kin, GETEX) turns into a DEL.
//   - ExpireReplica: our master decides, as in Redis a replica never
//     deletes an expired key itself and waits for the master's DEL. Reads
//     by clients see the key as missing (so a replica never serves stale
//     data) but it stays in the database (DBSIZE and INFO keyspace count
//     it, DEBUG OBJECT finds it); the commands from our master
//     (Keyspace.FromMaster) see it as present; the active cycle does
//     nothing; a past time is stored as it is, not turned into a DEL.
//   - ExpireLoading: a dataset is being replayed (the AOF at start-up).
//     Nothing is deleted, so the replay applies to the data exactly as it
//     was written: the replay runs as a master link (FromMaster) and sees
//     logically expired keys as present, as Redis's keyIsExpired answers
//     "not expired" while loading. It decides every case as ExpireReplica
//     does (clients, which would see the keys hidden, get -LOADING
//     meanwhile); it is a mode of its own so that a load does not make the
//     server look like a replica. When the load ends the previous mode is
//     restored, and a master deletes what expired meanwhile at the first
//     lookup or active cycle that meets it.
type ExpireMode uint8

// The expiry modes (see ExpireMode).
const (
	ExpireMaster ExpireMode = iota
	ExpireReplica
	ExpireLoading
)

func (m ExpireMode) String() string {
	switch m {
	case ExpireMaster:
		return "master"
	case ExpireReplica:
		return "replica"
	case ExpireLoading:
		return "loading"
	}
	return "unknown"
}

// ExpireMode returns who removes keys whose time has passed.
func (ks *Keyspace) ExpireMode() ExpireMode { return ks.expireMode }

// SetExpireMode changes who removes keys whose time has passed: the
// replication manager when the server becomes or stops being a replica,
// the AOF loader around a load (it restores the previous mode after).
func (ks *Keyspace) SetExpireMode(m ExpireMode) { ks.expireMode = m }

// DeletesExpired reports whether this server removes keys whose time has
// passed itself (ExpireMaster): commands that set a time already past
// then delete the key instead.
func (ks *Keyspace) DeletesExpired() bool { return ks.expireMode == ExpireMaster }

// ExpireSample is one step of the active expiry cycle on db: it looks at up
// to n keys with a TTL (Go's map iteration starts at a random point, which
// is the random sample Redis's cycle needs) and deletes those whose time
// has passed. It returns how many it sampled and how many it expired, so
// the caller can repeat while more than a quarter of a sample was stale,
// as Redis does. Only ExpireMaster expires keys actively: a replica waits
// for its master's DELs, and a load keeps what it replays.
func (db *DB) ExpireSample(n int) (sampled, expired int) {
	if db.ks.expireMode == ExpireReplica {
		return db.expireReplicaKeys(n)
	}
	if len(db.expires) == 0 || db.ks.expireMode != ExpireMaster {
		return 0, 0
	}
	now := db.ks.Now()
	var stale []string
	var ttlSum int64
	for k, when := range db.expires {
		if sampled >= n {
			break
		}
		sampled++
		if when <= now {
			stale = append(stale, k)
		} else {
			ttlSum += when - now
		}
	}
	if live := sampled - len(stale); live > 0 {
		// Running average weighted like Redis's (2% new sample).
		avg := ttlSum / int64(live)
		if db.AvgTTL == 0 {
			db.AvgTTL = avg
		} else {
			db.AvgTTL = (db.AvgTTL/50)*49 + avg/50
		}
	}
	for _, k := range stale {
		e := db.dict.find([]byte(k))
		if e == nil {
			continue
		}
		if db.expireIfNeeded(e) {
			expired++
		}
	}
	return sampled, expired
}
