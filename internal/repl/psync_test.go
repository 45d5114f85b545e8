package repl

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
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
		// The ID is checked before the backlog: a foreign history is a
		// mismatch even when we keep no backlog.
		{"unknown id without backlog", id, BacklogRange{}, "cccccccccccccccccccccccccccccccccccccccc", 120, ErrReplIDMismatch},
		{"second id without backlog", id, BacklogRange{}, id.ID2, 90, ErrNoBacklog},
		{"second id upper case", id, bl, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", 101, nil},
		{"second id before backlog", id, bl, id.ID2, 49, ErrOffsetNotInBacklog},
		{"second id at backlog start", id, bl, id.ID2, 50, nil},
		{"negative offset", id, bl, id.ID, -1, ErrOffsetNotInBacklog},
		{"offset zero", id, bl, id.ID, 0, ErrOffsetNotInBacklog},
		{"empty id", id, bl, "", 120, ErrReplIDMismatch},
		{"id prefix", id, bl, id.ID[:39], 120, ErrReplIDMismatch},
		{"question mark with an offset", id, bl, "?", 120, ErrFullResyncRequested},
		// A freshly restarted master (§3.11): history up to 1000, backlog
		// created empty at 1001, new ID; the replica asks under the old ID.
		{"restart from rdb aux", Identity{ID: "dddddddddddddddddddddddddddddddddddddddd", ID2: id.ID, SecondOffset: 1001, Offset: 1000},
			BacklogRange{Active: true, First: 1001, Len: 0}, id.ID, 1001, nil},
		{"restart from rdb aux, replica behind", Identity{ID: "dddddddddddddddddddddddddddddddddddddddd", ID2: id.ID, SecondOffset: 1001, Offset: 1000},
			BacklogRange{Active: true, First: 1001, Len: 0}, id.ID, 990, ErrOffsetNotInBacklog},
		// A promoted replica (§3.7) after writes under its new ID: siblings
		// that stopped at the promotion point continue, one that had seen
		// more of the old master's stream cannot.
		{"promoted, sibling at the switch", Identity{ID: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", ID2: id.ID, SecondOffset: 501, Offset: 800},
			BacklogRange{Active: true, First: 1, Len: 800}, id.ID, 501, nil},
		{"promoted, sibling ahead of the switch", Identity{ID: "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", ID2: id.ID, SecondOffset: 501, Offset: 800},
			BacklogRange{Active: true, First: 1, Len: 800}, id.ID, 520, ErrSecondIDOffset},
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

func TestBacklogRangeAndCopy(t *testing.T) {
	b := NewBacklog(1000, minBlock)
	if r := b.Range(); !r.Active || r.First != 1001 || r.Len != 0 || b.End() != 1000 {
		t.Fatalf("new backlog at 1000: range %+v end %d", r, b.End())
	}
	// One feed larger than a block, then small ones.
	big := bytes.Repeat([]byte("0123456789"), 5000)
	b.Feed(big)
	b.Feed([]byte("tail"))
	if b.End() != 1000+int64(len(big))+4 {
		t.Fatalf("end %d", b.End())
	}
	r := b.Range()
	if r.First+r.Len-1 != b.End() {
		t.Fatalf("range %+v does not end at %d", r, b.End())
	}
	if got := b.Copy(b.End() - 3); string(got) != "tail" {
		t.Fatalf("copy of the last 4 bytes: %q", got)
	}
	// A cursor reads in pieces no larger than asked.
	c := b.NewCursor(b.End() - 13) // the last 14 bytes
	defer c.Close()
	got := c.Next(nil, 5)
	if string(got) != "01234" {
		t.Fatalf("first piece %q", got)
	}
	got = c.Next(got, 100)
	if string(got) != "56789tail" {
		t.Fatalf("second piece %q", got)
	}
	if c.Pending() != 0 {
		t.Fatalf("pending %d", c.Pending())
	}
	// Shrinking the size trims what no cursor needs.
	b.SetSize(minBlock)
	if r := b.Range(); r.Len > int64(len(big))+4 {
		t.Fatalf("range after SetSize %+v", r)
	}
}

func TestBacklogCursorNextNeverWaits(t *testing.T) {
	b := NewBacklog(0, minBlock)
	c := b.NewCursor(1)
	if got := c.Next(nil, 10); got == nil || len(got) != 0 {
		t.Fatalf("Next with nothing pending = %q (nil %v), want empty and not nil", got, got == nil)
	}
	b.Close()
	if got := c.Next(nil, 10); got != nil {
		t.Fatalf("Next after Close = %q, want nil", got)
	}
}

// TestBacklogReusesTrimmedBlocks: under a steady stream the backlog
// recycles the blocks it trims instead of allocating new ones (the stream
// must not become garbage for the collector).
func TestBacklogReusesTrimmedBlocks(t *testing.T) {
	b := NewBacklog(0, 4*minBlock)
	p := bytes.Repeat([]byte{'x'}, minBlock) // a block per feed
	for i := 0; i < 20; i++ {
		b.Feed(p)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const feeds = 100
	for i := 0; i < feeds; i++ {
		b.Feed(p)
	}
	runtime.ReadMemStats(&after)
	// The block headers (a few dozen bytes) are still allocated.
	if per := (after.TotalAlloc - before.TotalAlloc) / feeds; per > minBlock/16 {
		t.Fatalf("%d bytes allocated per %d-byte block fed once the backlog is full", per, minBlock)
	}
	if r := b.Range(); r.Len > 6*minBlock {
		t.Fatalf("backlog holds %d bytes, want about its size %d", r.Len, 4*minBlock)
	}
}

// TestPlanSync: the master's answer to SYNC and PSYNC, from the order of
// checks of §2.2 to the partial-or-full decision of §2.3 with its logs.
func TestPlanSync(t *testing.T) {
	A, B, C := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	id := Identity{ID: A, ID2: B, SecondOffset: 101, Offset: 200}
	bl := BacklogRange{Active: true, First: 50, Len: 151}
	args := func(s ...string) [][]byte {
		var out [][]byte
		for _, a := range s {
			out = append(out, []byte(a))
		}
		return out
	}
	type want struct {
		ignore, partial, preSync, partialErr bool
		from                                 int64 // a rewound resume's offset
		reply                                string
		logs                                 []string
		warnings                             []string
	}
	asks := "Replica 10.0.0.2:6380 asks for synchronization"
	cases := []struct {
		name      string
		args      [][]byte
		isReplica bool
		linkDown  bool
		bl        BacklogRange
		want      want
	}{
		{"already a replica", args("psync", A, "201"), true, false, bl, want{ignore: true}},
		{"failing over", args("psync", A, "201"), false, false, bl, want{reply: "NOMASTERLINK Can't SYNC while failing over"}},
		{"failing over before link down", args("sync"), false, true, bl, want{reply: "NOMASTERLINK Can't SYNC while failing over"}},
		{"link down", args("psync", A, "201"), false, true, bl, want{reply: "NOMASTERLINK Can't SYNC while not connected with my master"}},
		{"link down sync", args("sync"), false, true, bl, want{reply: "NOMASTERLINK Can't SYNC while not connected with my master"}},
		{"sync", args("sync"), false, false, bl, want{preSync: true, logs: []string{asks}}},
		// Redis 7.0 ignores PSYNC's arguments past the offset.
		{"psync extra arguments", args("psync", A, "201", "x"), false, false, bl, want{partial: true,
			logs: []string{asks, "Partial resynchronization request from 10.0.0.2:6380 accepted. Sending 0 bytes of backlog starting from offset 201."}}},
		{"psync extra arguments past the second offset", args("psync", B, "102", "x", "90"), false, false, bl, want{partialErr: true,
			logs: []string{asks, "Partial resynchronization not accepted: Requested offset for second ID was 102, but I can reply up to 101"}}},
		// REWIND (rewind.go): a replica whose bytes from 90 on change no
		// data is resumed at the second ID's end.
		{"rewind to the second offset", args("psync", B, "150", "REWIND", "90"), false, false, bl, want{partial: true, from: 101,
			logs: []string{asks, "Replica 10.0.0.2:6380 asked for offset 150 of my second ID, valid up to 101, and has no data past 89: resuming it at 101.",
				"Partial resynchronization request from 10.0.0.2:6380 accepted. Sending 100 bytes of backlog starting from offset 101."}}},
		{"rewind floor at the second offset", args("psync", B, "150", "rewind", "101"), false, false, bl, want{partial: true, from: 101,
			logs: []string{asks, "Replica 10.0.0.2:6380 asked for offset 150 of my second ID, valid up to 101, and has no data past 100: resuming it at 101.",
				"Partial resynchronization request from 10.0.0.2:6380 accepted. Sending 100 bytes of backlog starting from offset 101."}}},
		{"rewind floor past the second offset", args("psync", B, "150", "REWIND", "102"), false, false, bl, want{partialErr: true,
			logs: []string{asks, "Partial resynchronization not accepted: Requested offset for second ID was 150, but I can reply up to 101"}}},
		{"rewind with the second offset out of the backlog", args("psync", B, "150", "REWIND", "90"), false, false, BacklogRange{Active: true, First: 120, Len: 81}, want{partialErr: true,
			logs: []string{asks, "Partial resynchronization not accepted: Requested offset for second ID was 150, but I can reply up to 101"}}},
		{"rewind on a mismatch", args("psync", C, "150", "REWIND", "90"), false, false, bl, want{partialErr: true,
			logs: []string{asks, "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '" + C + "', my replication IDs are '" + A + "' and '" + B + "')"}}},
		{"rewind not needed", args("psync", A, "150", "REWIND", "90"), false, false, bl, want{partial: true,
			logs: []string{asks, "Partial resynchronization request from 10.0.0.2:6380 accepted. Sending 51 bytes of backlog starting from offset 150."}}},
		{"rewind bad floor", args("psync", B, "150", "REWIND", "x"), false, false, bl, want{partialErr: true,
			logs: []string{asks, "Partial resynchronization not accepted: Requested offset for second ID was 150, but I can reply up to 101"}}},
		{"bad offset", args("psync", A, "x1"), false, false, bl, want{reply: "ERR value is not an integer or out of range",
			logs: []string{asks, "Replica 10.0.0.2:6380 asks for synchronization but with a wrong offset"}}},
		{"question mark", args("psync", "?", "-1"), false, false, bl, want{logs: []string{asks, "Full resync requested by replica 10.0.0.2:6380"}}},
		{"caught up", args("psync", A, "201"), false, false, bl, want{partial: true,
			logs: []string{asks, "Partial resynchronization request from 10.0.0.2:6380 accepted. Sending 0 bytes of backlog starting from offset 201."}}},
		{"behind", args("psync", A, "101"), false, false, bl, want{partial: true,
			logs: []string{asks, "Partial resynchronization request from 10.0.0.2:6380 accepted. Sending 100 bytes of backlog starting from offset 101."}}},
		{"replid2 up to second offset", args("psync", B, "101"), false, false, bl, want{partial: true,
			logs: []string{asks, "Partial resynchronization request from 10.0.0.2:6380 accepted. Sending 100 bytes of backlog starting from offset 101."}}},
		{"replid2 past second offset", args("psync", B, "102"), false, false, bl, want{partialErr: true,
			logs: []string{asks, "Partial resynchronization not accepted: Requested offset for second ID was 102, but I can reply up to 101"}}},
		{"mismatch", args("psync", C, "150"), false, false, bl, want{partialErr: true,
			logs: []string{asks, "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '" + C + "', my replication IDs are '" + A + "' and '" + B + "')"}}},
		{"before the backlog", args("psync", A, "49"), false, false, bl, want{partialErr: true,
			logs: []string{asks, "Unable to partial resync with replica 10.0.0.2:6380 for lack of backlog (Replica request was: 49)."}}},
		{"ahead of us", args("psync", A, "202"), false, false, bl, want{partialErr: true,
			logs:     []string{asks, "Unable to partial resync with replica 10.0.0.2:6380 for lack of backlog (Replica request was: 202)."},
			warnings: []string{"Warning: replica 10.0.0.2:6380 tried to PSYNC with an offset that is greater than the master replication offset."}}},
		{"no backlog", args("psync", A, "150"), false, false, BacklogRange{}, want{partialErr: true,
			logs: []string{asks, "Unable to partial resync with replica 10.0.0.2:6380 for lack of backlog (Replica request was: 150)."}}},
	}
	for _, c := range cases {
		named := false
		p := planSync(syncRequest{args: c.args, isReplica: c.isReplica, linkDown: c.linkDown, id: id, backlog: c.bl,
			failingOver: strings.HasPrefix(c.name, "failing over"),
			name:        func() string { named = true; return "10.0.0.2:6380" }})
		got := want{ignore: p.ignore, partial: p.partial, preSync: p.preSync, partialErr: p.partialErr, reply: p.reply, logs: p.logs, warnings: p.warnings}
		if p.rewound {
			got.from = p.from
		}
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.name, got, c.want)
		}
		if named != (len(c.want.logs) > 0) {
			t.Errorf("%s: the replica was registered: %v", c.name, named)
		}
		if p.partial && !p.rewound {
			if off, _ := strconv.ParseInt(string(c.args[2]), 10, 64); p.from != off {
				t.Errorf("%s: partial from %d", c.name, p.from)
			}
		}
	}
}

// TestPlanFullStart: a full sync shares a running disk snapshot, waits
// for the next one, is delayed for diskless, or starts now (§2.4).
func TestPlanFullStart(t *testing.T) {
	cases := []struct {
		joinable, running, socket, diskless, capaEOF bool
		delay                                        int
		want                                         fullStart
	}{
		{joinable: true, running: true, want: fullShare},
		{joinable: true, running: false, want: fullShare}, // a user BGSAVE's
		{running: true, socket: true, diskless: true, capaEOF: true, delay: 5, want: fullWaitSocket},
		{running: true, want: fullWaitCantUse},
		{diskless: true, capaEOF: true, delay: 5, want: fullDelay},
		{diskless: true, capaEOF: false, delay: 5, want: fullNow}, // an old replica forces disk
		{diskless: true, capaEOF: true, delay: 0, want: fullNow},
		{want: fullNow},
	}
	for i, c := range cases {
		if got := planFullStart(c.joinable, c.running, c.socket, c.diskless, c.capaEOF, c.delay); got != c.want {
			t.Errorf("case %d %+v: got %d", i, c, got)
		}
	}
}

// TestPlanFailoverPSYNC: a replica promotes itself on PSYNC ... FAILOVER
// only from a sender sharing its history, as Redis's syncCommand decides;
// anything else is an ordinary PSYNC (or not a PSYNC at all).
func TestPlanFailoverPSYNC(t *testing.T) {
	A, B := strings.Repeat("a", 40), strings.Repeat("b", 40)
	args := func(s ...string) [][]byte {
		var out [][]byte
		for _, a := range s {
			out = append(out, []byte(a))
		}
		return out
	}
	cases := []struct {
		name      string
		args      [][]byte
		amReplica bool
		want      failoverPSYNC
	}{
		{"plain psync", args("psync", A, "10"), true, failoverPSYNC{}},
		{"other fourth argument", args("psync", A, "10", "x"), true, failoverPSYNC{}},
		{"sync", args("sync", A, "10", "failover"), true, failoverPSYNC{}},
		{"promote", args("psync", A, "10", "FAILOVER"), true, failoverPSYNC{applies: true, promote: true}},
		{"promote, any case", args("PSYNC", strings.ToUpper(A), "10", "failover"), true, failoverPSYNC{applies: true, promote: true}},
		{"offset is not looked at", args("psync", A, "x", "failover"), true, failoverPSYNC{applies: true, promote: true}},
		{"to a master", args("psync", A, "10", "failover"), false, failoverPSYNC{applies: true, reply: "ERR PSYNC FAILOVER can't be sent to a master."}},
		{"other history", args("psync", B, "10", "failover"), true, failoverPSYNC{applies: true, reply: "ERR PSYNC FAILOVER replid must match my replid."}},
		{"question mark", args("psync", "?", "-1", "failover"), true, failoverPSYNC{applies: true, reply: "ERR PSYNC FAILOVER replid must match my replid."}},
		{"extra arguments", args("psync", A, "10", "failover", "x"), true, failoverPSYNC{applies: true, promote: true}},
	}
	for _, c := range cases {
		if got := planFailoverPSYNC(c.args, c.amReplica, A); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
