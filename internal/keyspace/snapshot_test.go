package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

type recordSink struct {
	got  map[string]string // "db/key" -> value|expiry
	dups int
}

func (r *recordSink) Key(db int, e *Entry, expireAt int64) {
	k := fmt.Sprintf("%d/%s", db, e.Key())
	if _, ok := r.got[k]; ok {
		r.dups++
	}
	r.got[k] = fmt.Sprintf("%s|%d", e.Str(), expireAt)
}

func image(ks *Keyspace) map[string]string {
	out := map[string]string{}
	for _, db := range ks.DBs {
		db.Each(func(e *Entry) bool {
			out[fmt.Sprintf("%d/%s", db.ID, e.Key())] = fmt.Sprintf("%s|%d", e.Str(), db.ExpireAt([]byte(e.Key())))
			return true
		})
	}
	return out
}

// The snapshot equals the dataset at its instant exactly, whatever writes,
// deletes, expiry changes, flushes and swaps happen while it is walked.
func TestSnapshotIsPointInTime(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 0))
		ks := New(4)
		ks.SetNow(func() int64 { return 1000 })
		for i := 0; i < 3000; i++ {
			db := ks.DBs[rng.IntN(4)]
			key := []byte(fmt.Sprintf("k%d", rng.IntN(2000)))
			db.SetString(key, []byte(fmt.Sprintf("v%d", i)), false)
			if rng.IntN(5) == 0 {
				db.SetExpire(key, int64(100000+i))
			}
		}
		want := image(ks)
		sink := &recordSink{got: map[string]string{}}
		snap := ks.Snapshot(sink)
		if ks.Snapshot(sink) != nil {
			t.Fatal("a second snapshot started while one runs")
		}
		for step := 0; !snap.Step(1 + rng.IntN(3)); step++ {
			for j := 0; j < 5; j++ {
				db := ks.DBs[rng.IntN(4)]
				key := []byte(fmt.Sprintf("k%d", rng.IntN(2500)))
				switch r := rng.IntN(100); {
				case r < 40:
					db.SetString(key, []byte(fmt.Sprintf("new%d", step)), rng.IntN(2) == 0)
				case r < 50:
					// INCR's rewrite, in the node's buffer when it fits.
					if e := db.LookupWrite(key); e != nil {
						v := []byte(e.Str())
						if len(v) > 0 {
							v[0] = 'i'
						}
						db.ReplaceString(e, v)
						db.Modified(key)
					}
				case r < 75:
					db.Delete(key)
				case r < 90:
					if db.Peek(key) != nil {
						db.SetExpire(key, int64(500000+step))
					}
				case r < 95:
					db.Persist(key)
				case r < 97:
					db.Flush()
				case r < 99:
					db.Swap(ks.DBs[rng.IntN(4)])
				default:
					other := ks.DBs[rng.IntN(4)]
					if other != db {
						db.MoveTo(key, other)
					}
				}
			}
		}
		if ks.Running() != nil {
			t.Fatal("snapshot still registered after completion")
		}
		sink.check(t, seed, want)
	}
}

func TestSnapshotSkipsKeysCreatedAfterwards(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	db.SetString([]byte("old"), []byte("1"), false)
	sink := &recordSink{got: map[string]string{}}
	snap := ks.Snapshot(sink)
	db.SetString([]byte("new"), []byte("2"), false)
	for !snap.Step(10) {
	}
	if _, ok := sink.got["0/new"]; ok || len(sink.got) != 1 {
		t.Fatalf("got %v", sink.got)
	}
	// The next snapshot includes it.
	sink2 := &recordSink{got: map[string]string{}}
	snap = ks.Snapshot(sink2)
	for !snap.Step(10) {
	}
	if len(sink2.got) != 2 {
		t.Fatalf("second snapshot got %v", sink2.got)
	}
}

// check fails the test unless the sink holds exactly want, each key once.
func (sink *recordSink) check(t *testing.T, seed uint64, want map[string]string) {
	t.Helper()
	if sink.dups != 0 {
		t.Fatalf("seed %d: %d keys serialized twice", seed, sink.dups)
	}
	if len(sink.got) != len(want) {
		t.Fatalf("seed %d: snapshot has %d keys, want %d", seed, len(sink.got), len(want))
	}
	for k, v := range want {
		if sink.got[k] != v {
			t.Fatalf("seed %d: key %s = %q, want %q", seed, k, sink.got[k], v)
		}
	}
}
