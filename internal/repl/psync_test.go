package repl

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecidePSYNC(t *testing.T) {
	id := Identity{ID: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ID2: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", SecondOffset: 101, Offset: 200}
	bl := BacklogRange{Active: true, First: 50, Len: 151} // holds 50..200
	cases := []struct {
		name   string
		id     Identity
		bl     BacklogRange
		replID string
		off    int64
		want   error
	}{
		{"question mark", id, bl, "?", -1, ErrFullResyncRequested},
		{"current id caught up", id, bl, id.ID, 201, nil},
		{"current id mid backlog", id, bl, id.ID, 120, nil},
		{"current id first byte", id, bl, id.ID, 50, nil},
		{"current id upper case", id, bl, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 120, nil},
		{"before backlog", id, bl, id.ID, 49, ErrOffsetNotInBacklog},
		{"past the end", id, bl, id.ID, 202, ErrOffsetNotInBacklog},
		{"second id within", id, bl, id.ID2, 101, nil},
		{"second id too far", id, bl, id.ID2, 102, ErrSecondIDOffset},
		{"unknown id", id, bl, "cccccccccccccccccccccccccccccccccccccccc", 120, ErrReplIDMismatch},
		{"cleared second id never matches", Identity{ID: id.ID, ID2: ZeroID, SecondOffset: -1}, bl, ZeroID, 60, ErrReplIDMismatch},
		{"no backlog", id, BacklogRange{}, id.ID, 120, ErrNoBacklog},
		{"empty backlog caught up", id, BacklogRange{Active: true, First: 201, Len: 0}, id.ID, 201, nil},
		{"empty backlog behind", id, BacklogRange{Active: true, First: 201, Len: 0}, id.ID, 200, ErrOffsetNotInBacklog},
	}
	for _, c := range cases {
		if got := DecidePSYNC(c.id, c.bl, c.replID, c.off); !errors.Is(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestIdentityShift(t *testing.T) {
	id := NewIdentity()
	id.Offset = 500
	old := id.ID
	id.Shift()
	if id.ID2 != old || id.SecondOffset != 501 || id.ID == old || len(id.ID) != IDLen {
		t.Fatalf("after shift: %+v", id)
	}
}

func TestBacklogTrimAndCursors(t *testing.T) {
	b := NewBacklog(0, minBlock)
	var all []byte
	for i := 0; i < 100; i++ {
		chunk := bytes.Repeat([]byte{byte('a' + i%26)}, 1000)
		all = append(all, chunk...)
		b.Feed(chunk)
	}
	r := b.Range()
	if b.End() != 100000 || r.First+r.Len-1 != 100000 {
		t.Fatalf("end %d range %+v", b.End(), r)
	}
	if r.Len < minBlock || r.Len > 3*minBlock {
		t.Fatalf("histlen %d not trimmed near size", r.Len)
	}
	if got := b.Copy(r.First); !bytes.Equal(got, all[r.First-1:]) {
		t.Fatal("backlog content differs from stream")
	}
	// A cursor pins what it has not sent.
	c := b.NewCursor(r.First)
	for i := 0; i < 100; i++ {
		b.Feed(bytes.Repeat([]byte{'z'}, 1000))
	}
	if b.Range().First != r.First {
		t.Fatal("pinned block was freed")
	}
	if c.Pending() != 200000-r.First+1 {
		t.Fatalf("pending %d", c.Pending())
	}
	got := c.Next(nil, 1<<20)
	if len(got) != int(200000-r.First+1) || !bytes.Equal(got[:10], all[r.First-1:r.First+9]) {
		t.Fatalf("cursor read %d bytes", len(got))
	}
	c.Close()
	if b.Range().Len > 3*minBlock {
		t.Fatal("closing the cursor did not free old blocks")
	}
}
