package keyspace

// ExpireSample is one step of the active expiry cycle on db: it looks at up
// to n keys with a TTL (Go's map iteration starts at a random point, which
// is the random sample Redis's cycle needs) and deletes those whose time
// has passed. It returns how many it sampled and how many it expired, so
// the caller can repeat while more than a quarter of a sample was stale,
// as Redis does. Replicas never expire keys themselves.
func (db *DB) ExpireSample(n int) (sampled, expired int) {
	if len(db.expires) == 0 || db.ks.Replica {
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
