package keyspace

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The walker's progress survives the table growing many times over,
// shrinking (with the cron's Resize) and being caught mid-rehash at every
// step, with steps of one bucket and more.
func TestSnapshotWalkAcrossGrowAndShrink(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 5))
		ks := New(2)
		ks.SetNow(func() int64 { return 1000 })
		db := ks.DBs[0]
		n := 200 + rng.IntN(3000)
		for i := range n {
			key := []byte(fmt.Sprintf("k%d", i))
			db.SetString(key, []byte(fmt.Sprintf("v%d", i)), false)
			if rng.IntN(4) == 0 {
				db.SetExpire(key, int64(5000+i))
			}
		}
		want := image(ks)
		sink := &recordSink{got: map[string]string{}}
		snap := ks.Snapshot(sink)
		extra := 0
		for step := 0; !snap.Step(1 + rng.IntN(80)); step++ {
			switch r := rng.IntN(10); {
			case r < 3: // grow: new keys, not part of the snapshot
				for range 1 + rng.IntN(400) {
					db.SetString([]byte(fmt.Sprintf("x%d", extra)), []byte("new"), false)
					extra++
				}
			case r < 5: // shrink: drop most keys, then let the cron resize
				for range 1 + rng.IntN(400) {
					if e := db.Random(); e != nil {
						db.Delete([]byte(e.Key()))
					}
				}
				db.Resize(rng.IntN(3) * 1000)
			case r < 6:
				db.Resize(1 + rng.IntN(4)) // a few rehash steps
			case r < 8: // overwrite some old keys
				for range 1 + rng.IntN(10) {
					k := []byte(fmt.Sprintf("k%d", rng.IntN(n)))
					if db.Peek(k) != nil {
						db.SetString(k, []byte("changed"), false)
					}
				}
			default:
				db.Resize(0) // maybe start a shrink, no step
			}
		}
		sink.check(t, seed, want)
	}
}

// A walk of an undisturbed table hands over every key once.
func TestSnapshotWalkLargeTable(t *testing.T) {
	ks := New(1)
	db := ks.DBs[0]
	for i := range 100_000 {
		db.SetString([]byte(fmt.Sprintf("key:%012d", i)), []byte(fmt.Sprintf("v%015d", i)), false)
	}
	want := image(ks)
	for _, step := range []int{1, 7, 64, 1 << 20} {
		sink := &recordSink{got: map[string]string{}}
		snap := ks.Snapshot(sink)
		for !snap.Step(step) {
		}
		if sink.dups != 0 || len(sink.got) != len(want) {
			t.Fatalf("step %d: %d keys, %d twice, want %d", step, len(sink.got), sink.dups, len(want))
		}
		for k, v := range want {
			if sink.got[k] != v {
				t.Fatalf("step %d: key %s = %q, want %q", step, k, sink.got[k], v)
			}
		}
	}
}

// BulkLoader gives the same keyspace as SetString/SetValue and SetExpire,
// repeated keys included, with and without a size hint, into a table that
// already holds keys and while it rehashes.
func TestBulkLoaderMatchesSetters(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		rng := rand.New(rand.NewPCG(seed, 9))
		got, want := New(3), New(3)
		for _, ks := range []*Keyspace{got, want} {
			ks.SetNow(func() int64 { return 1000 })
			for i := range 50 {
				ks.DBs[1].SetString([]byte(fmt.Sprintf("k%d", i)), []byte("before"), false)
				ks.DBs[1].SetExpire([]byte(fmt.Sprintf("k%d", i)), 77)
			}
		}
		if seed%2 == 0 {
			got.DBs[0].Reserve(2000, 100)
			got.DBs[2].Reserve(3, 1)
		}
		var b BulkLoader
		for range 3000 {
			dbi := rng.IntN(3)
			key := []byte(fmt.Sprintf("k%d", rng.IntN(2500)))
			str := []byte(strings.Repeat("v", rng.IntN(200)))
			var val any
			if rng.IntN(10) == 0 {
				val, str = &Bytes{B: []byte("mutable")}, nil
			}
			at, exp := int64(rng.IntN(1e6)), rng.IntN(3) == 0
			b.Add(got.DBs[dbi], key, str, val, at, exp)
			if rng.IntN(50) == 0 || b.Len() > 100 {
				b.Flush()
			}
			w := want.DBs[dbi]
			if val == nil {
				w.SetString(key, str, false)
			} else {
				w.SetValue(key, val, false)
			}
			if exp {
				w.SetExpire(key, at)
			}
		}
		b.Flush()
		g, w := image(got), image(want)
		if len(g) != len(w) {
			t.Fatalf("seed %d: %d keys, want %d", seed, len(g), len(w))
		}
		for k, v := range w {
			if g[k] != v {
				t.Fatalf("seed %d: key %s = %q, want %q", seed, k, g[k], v)
			}
		}
		for i, db := range got.DBs {
			if db.Len() != want.DBs[i].Len() || db.ExpiresLen() != want.DBs[i].ExpiresLen() {
				t.Fatalf("seed %d db %d: len %d/%d expires %d/%d", seed, i, db.Len(), want.DBs[i].Len(), db.ExpiresLen(), want.DBs[i].ExpiresLen())
			}
		}
	}
}
