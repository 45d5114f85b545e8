package persist

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/types"
)

type op struct {
	db   int
	key  string
	val  string // "" = delete
	kind int    // 0 string, 1 list push, 2 hash set, 3 set add, 4 zset add
}

func apply(ks *keyspace.Keyspace, o op) {
	db := ks.DBs[o.db]
	k := []byte(o.key)
	if o.val == "" {
		db.Delete(k)
		return
	}
	lim := types.DefaultLimits()
	switch o.kind {
	case 0:
		db.SetString(k, []byte(o.val), false)
	case 1:
		e := db.LookupWrite(k)
		if e == nil || e.IsString() {
			db.SetValue(k, types.NewListFrom(-2, [][]byte{[]byte(o.val)}), false)
			return
		}
		if l, ok := e.Val().(*types.List); ok {
			l.PushBack([]byte(o.val))
		} else {
			db.SetValue(k, types.NewListFrom(-2, [][]byte{[]byte(o.val)}), false)
		}
	case 2:
		e := db.LookupWrite(k)
		if h, ok := valOf(e).(*types.Hash); ok {
			h.Set([]byte(o.val), []byte(o.val+"v"), &lim)
			return
		}
		h := types.NewHash()
		h.Set([]byte(o.val), []byte("v"), &lim)
		db.SetValue(k, h, false)
	case 3:
		e := db.LookupWrite(k)
		if s, ok := valOf(e).(*types.Set); ok {
			s.Add([]byte(o.val), &lim)
			return
		}
		s := types.NewSet()
		s.Add([]byte(o.val), &lim)
		db.SetValue(k, s, false)
	case 4:
		e := db.LookupWrite(k)
		if z, ok := valOf(e).(*types.ZSet); ok {
			z.Add([]byte(o.val), float64(len(o.val)), 0, &lim)
			return
		}
		z := types.NewZSet()
		z.Add([]byte(o.val), 1.5, 0, &lim)
		db.SetValue(k, z, false)
	}
}

func valOf(e *keyspace.Entry) any {
	if e == nil {
		return nil
	}
	return e.Val()
}

// dump renders a keyspace as comparable text through the RDB model.
func dump(t *testing.T, ks *keyspace.Keyspace) map[string]string {
	out := map[string]string{}
	for _, db := range ks.DBs {
		db.Each(func(e *keyspace.Entry) bool {
			var ent rdb.Entry
			if err := toRDB(db.ID, e, db.ExpireAt([]byte(e.Key())), &ent); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("%d/%s", db.ID, e.Key())] = render(&ent)
			return true
		})
	}
	return out
}

func render(e *rdb.Entry) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s exp=%d ", e.Kind, e.ExpireAt)
	switch e.Kind {
	case rdb.KindString:
		b.Write(e.Str)
	case rdb.KindList:
		fmt.Fprintf(&b, "%q", e.List)
	case rdb.KindSet:
		m := map[string]bool{}
		for _, x := range e.Set {
			m[string(x)] = true
		}
		fmt.Fprint(&b, m)
	case rdb.KindHash:
		m := map[string]string{}
		for _, p := range e.Hash {
			m[string(p.Field)] = string(p.Value)
		}
		fmt.Fprint(&b, m)
	case rdb.KindZSet:
		m := map[string]float64{}
		for _, z := range e.ZSet {
			m[string(z.Member)] = z.Score
		}
		fmt.Fprint(&b, m)
	}
	return b.String()
}

// A BGSAVE-style stream taken while writers hammer the keyspace produces a
// file equal to the dataset at the snapshot instant: every write ordered
// before the instant is in, none after.
func TestStreamUnderWritesIsPointInTime(t *testing.T) {
	var mu sync.Mutex
	ks := keyspace.New(3)
	rng := rand.New(rand.NewPCG(1, 2))
	randOp := func(r *rand.Rand, i int) op {
		o := op{db: r.IntN(3), key: fmt.Sprintf("k%d", r.IntN(3000)), kind: r.IntN(5), val: fmt.Sprintf("v%d", i)}
		if r.IntN(8) == 0 {
			o.val = ""
		}
		return o
	}
	var log []op
	for i := 0; i < 20000; i++ {
		o := randOp(rng, i)
		apply(ks, o)
		log = append(log, o)
	}

	var instant int
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, 9))
			for i := 0; i < 4000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				time.Sleep(5 * time.Microsecond)
				mu.Lock()
				o := randOp(r, 100000+i)
				apply(ks, o)
				log = append(log, o)
				mu.Unlock()
			}
		}(uint64(w + 10))
	}
	var buf bytes.Buffer
	res, err := Stream(yieldingLocker{&mu}, ks, &buf, StreamOptions{
		AtInstant:   func() { instant = len(log) },
		StepBuckets: 4, MaxPending: 4096,
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if res.Captured == 0 || len(log)-instant < 100 {
		t.Fatalf("writes did not race the walker (captured %d, writes after instant %d)", res.Captured, len(log)-instant)
	}

	want := keyspace.New(3)
	for _, o := range log[:instant] {
		apply(want, o)
	}
	got := keyspace.New(3)
	if _, err := Load(bytes.NewReader(buf.Bytes()), got, nil, LoadOptions{Limits: types.DefaultLimits(), Checksum: true}); err != nil {
		t.Fatal(err)
	}
	w, g := dump(t, want), dump(t, got)
	if len(w) != len(g) {
		t.Fatalf("file has %d keys, dataset at the instant had %d (writes after instant: %d)", len(g), len(w), len(log)-instant)
	}
	for k, v := range w {
		if g[k] != v {
			t.Fatalf("key %s: file %q, want %q", k, g[k], v)
		}
	}
	t.Logf("keys=%d captured=%d bytes=%d peak pending=%d, writes during stream=%d", res.Keys, res.Captured, res.Bytes, res.PeakPending, len(log)-instant)
}

// yieldingLocker lets the writers in between the streamer's steps, so that
// writes really race the walker (Go's mutex would otherwise let the
// streamer re-acquire at once).
type yieldingLocker struct{ mu *sync.Mutex }

func (l yieldingLocker) Lock() { l.mu.Lock() }
func (l yieldingLocker) Unlock() {
	l.mu.Unlock()
	time.Sleep(20 * time.Microsecond)
}

// abortingWriter aborts the running snapshot on its first write, as a
// replica does when a new full sync discards its data.
type abortingWriter struct {
	mu *sync.Mutex
	ks *keyspace.Keyspace
	n  int
}

func (w *abortingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		w.mu.Lock()
		if s := w.ks.Running(); s != nil {
			s.Abort()
		}
		w.mu.Unlock()
	}
	w.n += len(p)
	return len(p), nil
}

// TestStreamReportsAnAbortedSnapshot: a snapshot stopped from outside must
// not end as a successful (and truncated) image.
func TestStreamReportsAnAbortedSnapshot(t *testing.T) {
	var mu sync.Mutex
	ks := keyspace.New(1)
	for i := 0; i < 5000; i++ {
		ks.DBs[0].SetString([]byte(fmt.Sprintf("k%d", i)), []byte("v"), false)
	}
	w := &abortingWriter{mu: &mu, ks: ks}
	_, err := Stream(&mu, ks, w, StreamOptions{StepBuckets: 4, MaxPending: 1})
	if err != ErrSnapshotAborted {
		t.Fatalf("Stream after Abort = %v, want ErrSnapshotAborted", err)
	}
	if ks.Running() != nil {
		t.Fatal("snapshot still running")
	}
	// A new snapshot streams the whole dataset.
	var buf bytes.Buffer
	res, err := Stream(&mu, ks, &buf, StreamOptions{})
	if err != nil || res.Keys != 5000 {
		t.Fatalf("second Stream = %+v, %v", res, err)
	}
}
