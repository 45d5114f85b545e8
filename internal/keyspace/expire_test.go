package keyspace

import (
	"testing"
	"time"
)

// TestExpireModes walks each expiry mode through the decisions it governs:
// what a client's lookup and our master's see of a logically expired key,
// whether the key is deleted (and the Expired hook told), and whether the
// active cycle removes it.
func TestExpireModes(t *testing.T) {
	for _, tc := range []struct {
		mode ExpireMode
		// seen: a client's lookup finds the key; seenByMaster: a command
		// of our master's (FromMaster) does; deleted: a lookup removed it.
		seen, seenByMaster, deleted, sampled bool
	}{
		{mode: ExpireMaster, seen: false, seenByMaster: false, deleted: true, sampled: true},
		{mode: ExpireReplica, seen: false, seenByMaster: true, deleted: false, sampled: false},
		{mode: ExpireLoading, seen: false, seenByMaster: true, deleted: false, sampled: false},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			newKS := func() (*Keyspace, *int) {
				ks := New(1)
				ks.SetNow(func() int64 { return 1000 })
				ks.SetExpireMode(tc.mode)
				expired := 0
				ks.Observer = expiryCounter{&expired}
				db := ks.DBs[0]
				ks.FromMaster = true // the key and its TTL come from our master
				db.SetString([]byte("k"), []byte("v"), false)
				db.SetExpire([]byte("k"), 999)
				ks.FromMaster = false
				return ks, &expired
			}

			ks, expired := newKS()
			db := ks.DBs[0]
			ks.FromMaster = true
			if got := db.Lookup([]byte("k")) != nil; got != tc.seenByMaster {
				t.Errorf("lookup from our master found the key: %v, want %v", got, tc.seenByMaster)
			}
			ks.FromMaster = false
			if got := db.Lookup([]byte("k")) != nil; got != tc.seen {
				t.Errorf("client lookup found the key: %v, want %v", got, tc.seen)
			}
			if got := db.Len() == 0; got != tc.deleted {
				t.Errorf("key deleted by the lookup: %v, want %v", got, tc.deleted)
			}
			if got := *expired == 1 && ks.ExpiredKeys == 1; got != tc.deleted {
				t.Errorf("expiry counted and propagated: %v (hook %d, expired_keys %d), want %v", got, *expired, ks.ExpiredKeys, tc.deleted)
			}
			if got := ks.DeletesExpired(); got != (tc.mode == ExpireMaster) {
				t.Errorf("DeletesExpired = %v", got)
			}

			ks, _ = newKS()
			_, n := ks.DBs[0].ExpireSample(20)
			if got := n == 1 && ks.DBs[0].Len() == 0; got != tc.sampled {
				t.Errorf("active cycle expired the key: %v (expired %d), want %v", got, n, tc.sampled)
			}
		})
	}
}

// TestWritableReplicaExpiry: on a replica, a client's write lookup of a
// key whose time passed deletes it (a read only hides it), and a TTL a
// client set there is expired by the replica's own active cycle, while
// the master's keys wait for its DELs.
func TestWritableReplicaExpiry(t *testing.T) {
	ks := New(1)
	now := int64(1000)
	ks.SetNow(func() int64 { return now })
	ks.SetExpireMode(ExpireReplica)
	db := ks.DBs[0]
	ks.FromMaster = true
	for _, k := range []string{"m1", "m2"} {
		db.SetString([]byte(k), []byte("v"), false)
		db.SetExpire([]byte(k), 999)
	}
	ks.FromMaster = false
	if db.Lookup([]byte("m1")) != nil || db.Len() != 2 {
		t.Fatalf("a read of an expired master key: found or deleted (len %d)", db.Len())
	}
	if db.LookupWrite([]byte("m1")) != nil || db.Len() != 1 {
		t.Fatalf("a write lookup of an expired master key: found, or not deleted (len %d)", db.Len())
	}
	db.SetString([]byte("own"), []byte("v"), false)
	db.SetExpire([]byte("own"), 1500)
	db.SetString([]byte("kept"), []byte("v"), false)
	db.SetExpire([]byte("kept"), 1500)
	db.Persist([]byte("kept"))
	if _, n := db.ExpireSample(20); n != 0 {
		t.Fatalf("the cycle expired %d keys before their time", n)
	}
	now = 2000
	if _, n := db.ExpireSample(20); n != 1 || db.Peek([]byte("own")) != nil {
		t.Fatalf("the cycle expired %d keys; own present: %v", n, db.Peek([]byte("own")) != nil)
	}
	if db.Peek([]byte("m2")) == nil || db.Peek([]byte("kept")) == nil {
		t.Fatal("the cycle deleted a master's key or a key made persistent")
	}
	if len(db.replicaTTL) != 0 {
		t.Errorf("%d keys still tracked", len(db.replicaTTL))
	}
}

// expiryCounter is an Observer counting expired keys.
type expiryCounter struct{ n *int }

func (c expiryCounter) KeyModified(*DB, []byte) {}
func (c expiryCounter) KeyExpired(*DB, string)  { *c.n++ }

// TestNowTruncatesOnce: the wall clock in ms is the base and the elapsed
// time summed, then truncated, as Redis's mstime is; truncating each apart
// put the clock up to a millisecond behind (a PXAT now+10000 read back
// with a PTTL of 10001).
func TestNowTruncatesOnce(t *testing.T) {
	ks := New(1)
	ks.clockBaseNs = 1_000_900_000 // 1000.9 ms
	if got := ks.NowAt(200 * time.Microsecond); got != 1001 {
		t.Errorf("NowAt = %d, want 1001 (1000.9 ms + 0.2 ms)", got)
	}
}
