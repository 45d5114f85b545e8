package keyspace

import "math/rand/v2"

// Access tracking for eviction, as Redis keeps it in an object's 24-bit lru
// field, which holds one of two things depending on maxmemory-policy:
//
//   - LRU (every policy but the LFU ones): the access clock in seconds
//     (Keyspace.Clock) of the last access, on 24 bits as Redis's
//     LRU_CLOCK (it wraps after 194 days). OBJECT IDLETIME is the clock
//     minus it, modulo 2^24.
//   - LFU (allkeys-lfu, volatile-lfu): the last decrement time in minutes
//     (16 bits) and a logarithmic access counter (8 bits). A new key starts
//     at lfuInitVal so it is not evicted before it had a chance to be read;
//     each access increments the counter with probability
//     1/((counter-lfuInitVal)*lfu-log-factor+1), and the counter loses one
//     per lfu-decay-time minutes without access.
//
// As in Redis, switching the policy at run time converts nothing: entries
// keep what they had until their next access writes the new kind, which
// is what the error texts of OBJECT FREQ and IDLETIME warn about.
//
// The field is the low 24 bits of node.lru (access, setAccess); the top 8
// hold the key's hash tag (dict.go), which these functions never change.

// lfuInitVal is the counter of a new key (Redis's LFU_INIT_VAL).
const lfuInitVal = 5

// SetLFU selects what entries' access fields hold from now on (LFU when
// on), with lfu-log-factor and lfu-decay-time.
func (ks *Keyspace) SetLFU(on bool, logFactor, decayTime int) {
	ks.lfu, ks.lfuLogFactor, ks.lfuDecayTime = on, logFactor, decayTime
}

// SetSharedIntegers says whether OBJECT REFCOUNT reports small integers as
// shared objects: Redis shares them unless maxmemory is set with an LRU or
// LFU policy (each key then needs its own access field).
func (ks *Keyspace) SetSharedIntegers(on bool) { ks.noSharedInts = !on }

// SharedIntegers reports what SetSharedIntegers set (true by default).
func (ks *Keyspace) SharedIntegers() bool { return !ks.noSharedInts }

// SetLRUPolicy says whether maxmemory-policy is an LRU one (allkeys-lru,
// volatile-lru): snapshots then save each key's idle time, as Redis's RDB
// does (an LFU policy saves the counter instead; the others neither).
func (ks *Keyspace) SetLRUPolicy(on bool) { ks.lruPolicy = on }

// SavedAccess is what an RDB saves of e's access field under the policy
// in force (Redis's rdbSaveKeyValuePair): the idle time in seconds under
// an LRU policy (idle), the decayed counter under an LFU one (freq); -1
// for what is not saved.
func (ks *Keyspace) SavedAccess(e *Entry) (idle, freq int64) {
	switch {
	case ks.lfu:
		return -1, int64(ks.Freq(e))
	case ks.lruPolicy:
		return int64(ks.Idle(e)), -1
	}
	return -1, -1
}

// SetAccess gives e the access field an RDB or RESTORE carried, as
// Redis's objectSetLRUOrLFU: under an LFU policy the counter (freq >= 0),
// under the others the idle time in seconds (idle >= 0); what does not
// apply is ignored.
func (ks *Keyspace) SetAccess(e *Entry, idle, freq int64) {
	switch {
	case ks.lfu && freq >= 0:
		ks.SetFreq(e, uint8(min(freq, 255)))
	case !ks.lfu && idle >= 0:
		// As Redis 7.0's objectSetLRUOrLFU: the access time is the
		// clock's reading minus the idle time, one turn of the
		// wrapping clock added when that is negative, and what the 24
		// bits take of it kept (IDLETIME 100000000 reads back as
		// Redis's figure, not as 100000000).
		abs := int64(ks.clock&accessMask) - idle
		if abs < 0 {
			abs += accessMask
		}
		e.setAccess(uint32(abs))
	}
}

// LFU reports whether entries track access frequency (an LFU policy).
func (ks *Keyspace) LFU() bool { return ks.lfu }

// lfuMinutes is the LFU time: minutes, on 16 bits.
func (ks *Keyspace) lfuMinutes() uint32 { return (ks.clock / 60) & 0xffff }

// newAccess is the access field of a new entry.
func (ks *Keyspace) newAccess() uint32 {
	if ks.lfu {
		return ks.lfuMinutes()<<8 | lfuInitVal
	}
	return ks.clock & accessMask
}

// touch records an access to e.
func (ks *Keyspace) touch(e *node) {
	if !ks.lfu {
		e.setAccess(ks.clock)
		return
	}
	c := ks.lfuDecr(e.access())
	c = ks.lfuLogIncr(c)
	e.setAccess(ks.lfuMinutes()<<8 | c)
}

// lfuDecr is the counter of field v after the decay of the minutes since
// its last decrement (Redis's LFUDecrAndReturn).
func (ks *Keyspace) lfuDecr(v uint32) uint32 {
	ldt := v >> 8
	counter := v & 0xff
	if ks.lfuDecayTime == 0 {
		return counter
	}
	now := ks.lfuMinutes()
	var elapsed uint32
	if now >= ldt {
		elapsed = now - ldt
	} else {
		elapsed = 65535 - ldt + now
	}
	periods := elapsed / uint32(ks.lfuDecayTime)
	if periods > counter {
		return 0
	}
	return counter - periods
}

// lfuLogIncr increments counter c with the logarithmic probability.
func (ks *Keyspace) lfuLogIncr(c uint32) uint32 {
	if c == 255 {
		return 255
	}
	base := float64(c) - lfuInitVal
	if base < 0 {
		base = 0
	}
	p := 1.0 / (base*float64(ks.lfuLogFactor) + 1)
	if rand.Float64() < p {
		c++
	}
	return c
}

// Freq is e's LFU counter after decay (OBJECT FREQ; meaningful under an
// LFU policy).
func (ks *Keyspace) Freq(e *Entry) uint32 { return ks.lfuDecr(e.access()) }

// Idle is e's idle time in seconds (OBJECT IDLETIME; meaningful under an
// LRU policy).
func (ks *Keyspace) Idle(e *Entry) uint32 {
	// Redis's estimateObjectIdleTime, wrap included.
	c, a := ks.clock&accessMask, e.access()
	if c >= a {
		return c - a
	}
	return c + (accessMask - a)
}

// SetLRU sets the entry's access clock (seconds, see Keyspace.Clock; its
// low 24 bits are kept), so that OBJECT IDLETIME reports the idle time
// RESTORE … IDLETIME asked for.
func (e *Entry) SetLRU(clock uint32) { e.setAccess(clock) }

// SetFreq sets the entry's LFU counter (RESTORE … FREQ under an LFU
// policy), as of now.
func (ks *Keyspace) SetFreq(e *Entry, freq uint8) { e.setAccess(ks.lfuMinutes()<<8 | uint32(freq)) }

// EvictionScore is how much e deserves eviction under the policy kind
// (higher first), as Redis's eviction pool ranks keys: the idle time for
// LRU, 255 minus the counter for LFU. Volatile-ttl ranks by expiry time
// and is scored by the caller.
func (ks *Keyspace) EvictionScore(e *Entry) uint64 {
	if ks.lfu {
		return uint64(255 - ks.lfuDecr(e.access()))
	}
	return uint64(ks.Idle(e))
}
