package evict

import (
	"math"
	"unsafe"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
)

// evictOne evicts the next key under the policy and returns it, or
// reports false when there is none (no keys, or no keys with a TTL for
// volatile-*). The key aliases the evicted node's buffer, which the next
// new key may take (keyspace/recycle.go): it is valid until the next
// write. Choosing and evicting are one step so that the key is looked up
// once, where a check that it is present then the eviction took two.
func (m *Manager) evictOne() (*keyspace.DB, string, bool) {
	switch p := m.cfg.MaxMemoryPolicy; p {
	case config.AllKeysRandom, config.VolatileRandom:
		return m.pickRandom(p == config.AllKeysRandom)
	case config.NoEviction:
		return nil, "", false
	}
	return m.pickPooled()
}

// pickRandom evicts a random key from the next database that has one (in
// turn, so that every database loses keys), as Redis does.
func (m *Manager) pickRandom(allKeys bool) (*keyspace.DB, string, bool) {
	dbs := m.ks.DBs
	for range dbs {
		m.nextDB = (m.nextDB + 1) % len(dbs)
		db := dbs[m.nextDB]
		if allKeys {
			if e := db.RandomEntry(); e != nil {
				if k := e.Key(); db.Evict(k) {
					return db, k, true
				}
			}
		} else if k, ok := db.RandomExpiring(); ok && db.Evict(k) {
			return db, k, true
		}
	}
	return nil, "", false
}

// pickPooled refills the pool from every database and evicts its best
// candidate that still exists (Redis's evictionPoolPopulate and the loop
// around it).
func (m *Manager) pickPooled() (*keyspace.DB, string, bool) {
	allKeys := m.cfg.MaxMemoryPolicy == config.AllKeysLRU || m.cfg.MaxMemoryPolicy == config.AllKeysLFU
	ttl := m.cfg.MaxMemoryPolicy == config.VolatileTTL
	samples := m.cfg.MaxMemorySamples
	for {
		total := 0
		for _, db := range m.ks.DBs {
			if allKeys {
				n := db.Len()
				if n == 0 {
					continue
				}
				total += n
				db.SampleKeys(samples, func(e *keyspace.Entry) {
					m.offer(m.ks.EvictionScore(e), e.Key(), db.ID)
				})
				continue
			}
			n := db.ExpiresLen()
			if n == 0 {
				continue
			}
			total += n
			db.SampleExpires(samples, func(key string, at int64) {
				if ttl {
					// The sooner it expires the better a candidate.
					m.offer(math.MaxUint64-uint64(at), key, db.ID)
					return
				}
				if e := db.Peek([]byte(key)); e != nil {
					m.offer(m.ks.EvictionScore(e), key, db.ID)
				}
			})
		}
		if total == 0 {
			return nil, "", false
		}
		// From the best (highest score, at the end) down; entries whose
		// key went meanwhile are ghosts and are skipped.
		for k := poolSize - 1; k >= 0; k-- {
			pe := &m.pool[k]
			if !pe.used {
				continue
			}
			db := m.ks.DBs[pe.db]
			key := pe.key
			*pe = poolEntry{}
			if allKeys {
				if db.Evict(key) {
					return db, key, true
				}
			} else if db.ExpireAt([]byte(key)) >= 0 && db.Evict(key) {
				return db, key, true
			}
		}
	}
}

// offer puts a candidate into the pool, which is kept sorted by ascending
// score; a candidate worse than all of a full pool is dropped, and a full
// pool drops its worst entry to make room.
func (m *Manager) offer(score uint64, key string, db int) {
	p := &m.pool
	k := 0
	for k < poolSize && p[k].used && p[k].score < score {
		k++
	}
	if k == 0 && p[poolSize-1].used {
		return
	}
	// The same key again (sampled twice): keep one entry. A sampled key
	// aliases its node's buffer (keyspace/node.go), so the same key of the
	// same node is the same pointer and length: comparing those costs
	// nothing, where comparing the bytes read up to 16 buffers all over the
	// heap for each candidate (a tenth of the server's CPU time under an
	// evicting write load). A key whose value was replaced since it entered
	// the pool has a new buffer and may then be held twice, as Redis's pool
	// may hold any key twice: its second entry is skipped as gone once the
	// first is evicted.
	kp := unsafe.StringData(key)
	for i := range p {
		if p[i].used && p[i].db == db && len(p[i].key) == len(key) && unsafe.StringData(p[i].key) == kp {
			return
		}
	}
	if k < poolSize && !p[k].used {
		// An empty slot right there.
	} else if !p[poolSize-1].used {
		copy(p[k+1:], p[k:poolSize-1])
	} else {
		k--
		copy(p[:k], p[1:k+1])
	}
	p[k] = poolEntry{score: score, key: key, db: db, used: true}
}
