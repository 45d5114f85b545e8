package repl

import (
	"bytes"
	"testing"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/logger"
)

// TestSnapShareHoldsTheBacklog: while a shared snapshot runs, its hold
// cursor keeps every stream byte from the instant even when no replica
// does and the backlog is far over its size; end releases it.
func TestSnapShareHoldsTheBacklog(t *testing.T) {
	b := NewBacklog(100, minBlock)
	b.Feed(bytes.Repeat([]byte("a"), 3*minBlock))
	off := b.End()
	s := &snapShare{started: true, offset: off, backlog: b, hold: b.NewCursor(off + 1)}
	r := &replica{share: s, state: stateWaitBgsave}
	r.cursor = b.NewCursor(off + 1)
	s.replicas = append(s.replicas, r)
	// The only replica drops: its cursor goes.
	r.closed = true
	r.cursor.Close()
	for i := 0; i < 10; i++ {
		b.Feed(bytes.Repeat([]byte("b"), minBlock))
	}
	if first := b.Range().First; first > off+1 {
		t.Fatalf("backlog dropped bytes the snapshot needs: first %d, instant %d", first, off)
	}
	// A late comer gets a cursor at the instant and reads everything.
	late := b.NewCursor(off + 1)
	if got := b.Copy(off + 1); len(got) != 10*minBlock || got[0] != 'b' {
		t.Fatalf("held %d bytes from the instant, want %d", len(got), 10*minBlock)
	}
	r2 := &replica{share: s, state: stateWaitBgsave, cursor: late}
	other := &replica{share: &snapShare{}, state: stateWaitBgsave}
	s.replicas = append(s.replicas, r2, other)
	list := s.end()
	if len(list) != 1 || list[0] != r2 {
		t.Fatalf("end returned %d replicas, want only the live one sharing it", len(list))
	}
	if !s.done || s.hold != nil {
		t.Fatal("end left the share open or holding")
	}
	// r2 still pins its bytes; once it moves on, trimming resumes.
	if first := b.Range().First; first > off+1 {
		t.Fatalf("end dropped bytes a sharing replica still needs: first %d", first)
	}
	buf := make([]byte, 0, 1<<20)
	for late.Pending() > 0 {
		buf = late.Next(buf, 1<<20)
	}
	b.Feed([]byte("c"))
	if first := b.Range().First; first <= off+1 {
		t.Fatalf("backlog still holds everything after the snapshot ended (first %d)", first)
	}
}

// TestSnapShareJoinable: who may join a running snapshot.
func TestSnapShareJoinable(t *testing.T) {
	b := NewBacklog(0, minBlock)
	m := &Manager{backlog: b, id: Identity{ID: NewID(), ID2: ZeroID, SecondOffset: -1}}
	started := func(mod func(s *snapShare)) *snapShare {
		s := &snapShare{started: true, backlog: b, replID: m.id.ID}
		if mod != nil {
			mod(s)
		}
		return s
	}
	for _, c := range []struct {
		name string
		s    *snapShare
		want bool
	}{
		{"none", nil, false},
		{"disk full sync before its instant", &snapShare{}, true},
		{"disk full sync after its instant", started(nil), true},
		{"BGSAVE", started(func(s *snapShare) { s.bgsave = true }), true},
		{"socket transfer", &snapShare{diskless: true}, false},
		{"file complete", started(func(s *snapShare) { s.done = true }), false},
		{"another replication ID", started(func(s *snapShare) { s.replID = NewID() }), false},
		{"another backlog", started(func(s *snapShare) { s.backlog = NewBacklog(0, minBlock) }), false},
	} {
		if got := m.joinable(c.s); got != c.want {
			t.Errorf("%s: joinable = %v, want %v", c.name, got, c.want)
		}
	}
	m.backlog = nil
	if m.joinable(started(nil)) {
		t.Error("joinable without a backlog")
	}
}

// TestSnapShareStopsHoldingPastTheOutputLimit: a snapshot whose held
// stream grew past the replica output buffer hard limit (at least the
// backlog size) takes no more replicas and lets the backlog trim.
func TestSnapShareStopsHoldingPastTheOutputLimit(t *testing.T) {
	cfg := config.New()
	cfg.ReplBacklogSize = minBlock
	cfg.ClientOutputBufferLimit[1].Hard = 4 * minBlock
	m := &Manager{cfg: cfg, log: logger.Discard(), backlog: NewBacklog(0, minBlock), id: Identity{ID: NewID(), ID2: ZeroID, SecondOffset: -1}}
	s := &snapShare{bgsave: true, started: true, backlog: m.backlog, replID: m.id.ID, hold: m.backlog.NewCursor(1)}
	m.bgShare = s
	chunk := bytes.Repeat([]byte("x"), minBlock/2)
	for i := 0; i < 7; i++ { // 3.5 blocks: under the limit
		m.feed(chunk)
	}
	if !m.joinable(s) || s.hold == nil || m.backlog.Range().First != 1 {
		t.Fatalf("under the limit: joinable %v, first byte %d", m.joinable(s), m.backlog.Range().First)
	}
	m.feed(chunk)
	if m.joinable(s) || s.hold != nil {
		t.Fatal("over the limit the snapshot still takes replicas / holds the backlog")
	}
	m.feed(chunk)
	if first := m.backlog.Range().First; first == 1 {
		t.Fatal("the backlog did not trim once released")
	}
}
