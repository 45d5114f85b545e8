package persist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/server"
	"github.com/tandemdb/tandem/internal/types"
)

func TestKeySaveDelay(t *testing.T) {
	for _, c := range []struct {
		n     int64
		delay int
		want  time.Duration
	}{
		{0, 100, 0},
		{-3, 100, 0},
		{10, 0, 0},
		{10, 1, 10 * time.Microsecond},
		{64, 20, 1280 * time.Microsecond},
		{100, -10, 10 * time.Microsecond}, // 1us every 10 keys
		{5, -10, 0},
	} {
		if got := keySaveDelay(c.n, c.delay); got != c.want {
			t.Errorf("keySaveDelay(%d, %d) = %v, want %v", c.n, c.delay, got, c.want)
		}
	}
}

func TestCowMeter(t *testing.T) {
	now := time.Now()
	if cur, peak, age := cowInfo(nil, now); cur != 0 || peak != 0 || age != 0 {
		t.Fatalf("idle: %d %d %d", cur, peak, age)
	}
	c := &cowMeter{}
	if cur, peak, age := cowInfo(c, now); cur != 0 || peak != 0 || age != 0 {
		t.Fatalf("fresh meter: %d %d %d", cur, peak, age)
	}
	c.set(500)
	c.set(0)
	c.set(200)
	if cur, peak, _ := cowInfo(c, time.Now()); cur != 200 || peak != 500 {
		t.Fatalf("cur %d peak %d, want 200 500", cur, peak)
	}
	// The age counts from the last change, not the last call.
	c.changed.Store(time.Now().Add(-3500 * time.Millisecond).UnixMilli())
	c.set(200)
	if _, _, age := cowInfo(c, time.Now()); age != 3 {
		t.Fatalf("age %d, want 3", age)
	}
	c.set(100)
	if _, _, age := cowInfo(c, time.Now()); age != 0 {
		t.Fatalf("age %d after a change, want 0", age)
	}
}

// newTestManager builds a server (not listening) with RDB persistence in
// a temp directory.
func newTestManager(t *testing.T) (*Manager, *server.Server) {
	t.Helper()
	cfg := config.New()
	cfg.Dir = t.TempDir()
	cfg.Save = nil
	srv := server.New(server.Options{Settings: server.DefaultSettings(), Logger: logger.Discard()})
	return NewManager(srv, cfg, logger.Discard()), srv
}

func setKeys(srv *server.Server, prefix string, n int) {
	srv.Lock()
	defer srv.Unlock()
	db := srv.Keyspace().DBs[0]
	for i := 0; i < n; i++ {
		db.SetString([]byte(fmt.Sprintf("%s:%d", prefix, i)), []byte(fmt.Sprintf("v%d", i)), false)
	}
}

type shared struct {
	f    *os.File
	size int64
	err  error
}

// startShared starts a BGSAVE whose BgsaveInstant records the number
// of keys at the instant (closing instant) and hands over the outcome on
// done.
func startShared(m *Manager, srv *server.Server) (keysAt *int, instant chan struct{}, done chan shared) {
	keys := -1
	instant = make(chan struct{})
	done = make(chan shared, 1)
	m.SetReplication(shareHook(func() func(*os.File, int64, error) {
		keys = srv.Keyspace().DBs[0].Len()
		close(instant)
		return func(f *os.File, size int64, err error) { done <- shared{f, size, err} }
	}))
	srv.Lock()
	m.startBgsave()
	srv.Unlock()
	return &keys, instant, done
}

// shareHook is a Replication that only takes BGSAVEs at their instant.
type shareHook func() func(*os.File, int64, error)

func (h shareHook) RDBAux() []Aux                               { return nil }
func (h shareHook) BgsaveInstant() func(*os.File, int64, error) { return h() }

func waitInstant(t *testing.T, instant chan struct{}) {
	t.Helper()
	select {
	case <-instant:
	case <-time.After(30 * time.Second):
		t.Fatal("the BGSAVE never reached its instant")
	}
}

func waitShared(t *testing.T, done chan shared) shared {
	t.Helper()
	select {
	case s := <-done:
		return s
	case <-time.After(60 * time.Second):
		t.Fatal("the BGSAVE never reported to its sharer")
		return shared{}
	}
}

// TestBgsaveShareGetsTheFinishedFile: the sharer of a BGSAVE gets, lock
// held, an open handle on exactly the file renamed to dump.rdb, holding
// the dataset of the instant (not the writes after it), and the handle
// still reads those bytes after a later save replaced dump.rdb.
func TestBgsaveShareGetsTheFinishedFile(t *testing.T) {
	m, srv := newTestManager(t)
	setKeys(srv, "a", 20000)
	srv.Lock()
	m.cfg.RDBKeySaveDelay = 5 // slow enough for the writes below to race it
	srv.Unlock()
	keysAt, instant, done := startShared(m, srv)
	waitInstant(t, instant)
	setKeys(srv, "b", 300) // after the instant
	s := waitShared(t, done)
	if s.err != nil || s.f == nil {
		t.Fatalf("share: f=%v err=%v", s.f, s.err)
	}
	defer s.f.Close()
	if *keysAt != 20000 {
		t.Fatalf("the hook ran with %d keys, want 20000 (at the instant)", *keysAt)
	}
	got, err := io.ReadAll(io.NewSectionReader(s.f, 0, s.size))
	if err != nil {
		t.Fatal(err)
	}
	disk, err := os.ReadFile(m.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, disk) || int64(len(got)) != s.size {
		t.Fatalf("shared file (%d bytes, size %d) differs from dump.rdb (%d bytes)", len(got), s.size, len(disk))
	}
	srv.Lock()
	if m.bgInProgress || !m.lastBgsaveOK || m.saves != 1 {
		t.Errorf("after the save: inProgress=%v ok=%v saves=%d", m.bgInProgress, m.lastBgsaveOK, m.saves)
	}
	// A later save replaces dump.rdb; the handle keeps the old bytes.
	if err := m.SaveNow(); err != nil {
		t.Fatal(err)
	}
	srv.Unlock()
	again, err := io.ReadAll(io.NewSectionReader(s.f, 0, s.size))
	if err != nil || !bytes.Equal(again, got) {
		t.Fatalf("the shared handle changed after a later save (err %v)", err)
	}
	ks := keyspace.New(16)
	res, err := Load(bytes.NewReader(got), ks, nil, LoadOptions{Limits: types.DefaultLimits(), Checksum: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Keys != 20000 || ks.DBs[0].Len() != 20000 {
		t.Fatalf("shared file holds %d keys, want the 20000 of the instant", res.Keys)
	}
}

// TestBgsaveShareKilledByFlushall: FLUSHALL kills a BGSAVE; its sharer
// gets the error and no file, the killed save renames nothing over
// dump.rdb, and (as Redis's SIGUSR1 kill) it is not a failed save.
func TestBgsaveShareKilledByFlushall(t *testing.T) {
	m, srv := newTestManager(t)
	setKeys(srv, "a", 20000)
	srv.Lock()
	m.cfg.RDBKeySaveDelay = 50 // about a second
	srv.Unlock()
	_, instant, done := startShared(m, srv)
	waitInstant(t, instant)
	srv.Lock()
	if !m.bgInProgress {
		srv.Unlock()
		t.Fatal("the BGSAVE ended too early")
	}
	m.AfterFlush(true)
	srv.Unlock()
	s := waitShared(t, done)
	if s.err == nil || s.f != nil {
		t.Fatalf("killed save: f=%v err=%v, want an error and no file", s.f, s.err)
	}
	if !errors.Is(s.err, errSaveAborted) {
		t.Errorf("err = %v, want %v", s.err, errSaveAborted)
	}
	if _, err := os.Stat(m.Path()); !os.IsNotExist(err) {
		t.Errorf("a killed save wrote dump.rdb (stat: %v)", err)
	}
	ents, _ := os.ReadDir(m.cfg.Dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "temp-") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
	srv.Lock()
	defer srv.Unlock()
	if !m.lastBgsaveOK || m.bgInProgress {
		t.Errorf("after the kill: ok=%v inProgress=%v, want true false", m.lastBgsaveOK, m.bgInProgress)
	}
}

// TestInfoCowDuringBgsave: INFO persistence shows the running save's
// pending bytes and peak, and zeros once it is over.
func TestInfoCowDuringBgsave(t *testing.T) {
	m, srv := newTestManager(t)
	setKeys(srv, "a", 20000)
	info := func() map[string]string {
		srv.Lock()
		defer srv.Unlock()
		var b strings.Builder
		m.Info(&b)
		out := map[string]string{}
		for _, l := range strings.Split(b.String(), "\r\n") {
			if k, v, ok := strings.Cut(l, ":"); ok {
				out[k] = v
			}
		}
		return out
	}
	srv.Lock()
	m.cfg.RDBKeySaveDelay = 50
	m.startBgsave()
	srv.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		inf := info()
		if inf["rdb_bgsave_in_progress"] != "1" {
			t.Fatal("the save ended before current_cow_size was seen")
		}
		if inf["current_cow_size"] != "0" && inf["current_cow_peak"] != "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("current_cow_size stayed 0: %v", inf)
		}
		time.Sleep(time.Millisecond)
	}
	for deadline := time.Now().Add(60 * time.Second); info()["rdb_bgsave_in_progress"] != "0"; {
		if time.Now().After(deadline) {
			t.Fatal("the save never ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	inf := info()
	for _, f := range []string{"current_cow_peak", "current_cow_size", "current_cow_size_age"} {
		if inf[f] != "0" {
			t.Errorf("idle: %s = %s", f, inf[f])
		}
	}
	if inf["rdb_last_cow_size"] == "0" {
		t.Error("rdb_last_cow_size = 0 after a save")
	}
}

// TestBgsaveSnapshotIsTheCommandsInstant: BGSAVE's file holds the dataset
// as it was when the command ran. Writes made right after it, before its
// background work had any chance to run, are not in it: the snapshot is
// taken under the command, as Redis forks before it replies. (It used to be
// taken by the save goroutine, so such writes could land in the file, and a
// full sync could take the snapshot first.)
func TestBgsaveSnapshotIsTheCommandsInstant(t *testing.T) {
	m, srv := newTestManager(t)
	setKeys(srv, "a", 1000)
	srv.Lock()
	m.startBgsave()
	if srv.Keyspace().Running() == nil {
		srv.Unlock()
		t.Fatal("no snapshot running once BGSAVE has returned")
	}
	db := srv.Keyspace().DBs[0]
	db.SetString([]byte("a:0"), []byte("after"), false)
	db.SetString([]byte("late"), []byte("x"), false)
	srv.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		srv.Lock()
		inProgress, ok := m.bgInProgress, m.lastBgsaveOK
		srv.Unlock()
		if !inProgress {
			if !ok {
				t.Fatal("the BGSAVE failed")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the BGSAVE did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	data, err := os.ReadFile(m.Path())
	if err != nil {
		t.Fatal(err)
	}
	ks := keyspace.New(16)
	if _, err := Load(bytes.NewReader(data), ks, nil, LoadOptions{Limits: types.DefaultLimits(), Checksum: true}); err != nil {
		t.Fatal(err)
	}
	if n := ks.DBs[0].Len(); n != 1000 {
		t.Errorf("file holds %d keys, want the 1000 of the instant", n)
	}
	e := ks.DBs[0].Lookup([]byte("a:0"))
	if e == nil {
		t.Fatal("a:0 missing from the file")
	}
	if got := e.Str(); got != "v0" {
		t.Errorf("a:0 = %q in the file, want the value at the instant, v0", got)
	}
}

type discardSink struct{}

func (discardSink) Key(int, *keyspace.Entry, int64) {}
