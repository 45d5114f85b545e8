package server

import (
	"testing"
	"time"
)

// The reply buffer rules (buffers.go): a batch that outgrows the buffer
// counts an expansion; an idle buffer shrinks to its recent peak (at
// least 1 KB) once that peak is under half its size; the peak is
// forgotten after 5 s.
func TestReplyBufferResizeRules(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	for _, tc := range []struct {
		name                string
		size, peak, pending int           // buffer size, recent peak, bytes waiting in it
		peakAge             time.Duration // since the peak was reset
		wantSize, wantPeak  int
		wantShrinks         int64
	}{
		{"busy buffer is not shrunk", 64 << 10, 100, 10, time.Second, 64 << 10, 100, 0},
		{"idle, peak under half: shrinks to the peak", 64 << 10, 10 << 10, 0, time.Second, 10<<10 + 1, 10 << 10, 1},
		{"idle, small peak: not under 1 KB", 64 << 10, 10, 0, time.Second, 1024, 10, 1},
		{"peak at half: kept", 64 << 10, 32 << 10, 0, time.Second, 64 << 10, 32 << 10, 0},
		{"small buffer: kept", 2047, 0, 0, time.Second, 2047, 0, 0},
		{"2 KB buffer, empty peak: shrinks to 1 KB", 2048, 0, 0, time.Second, 1024, 0, 1},
		{"old peak is forgotten", 64 << 10, 60 << 10, 0, 5 * time.Second, 64 << 10, 0, 0},
		{"old peak while busy: the pending bytes", 64 << 10, 60 << 10, 300, 6 * time.Second, 64 << 10, 300, 0},
	} {
		srv := &Server{}
		cl := &client{srv: srv}
		cl.w.Buf = make([]byte, tc.pending, tc.size)
		cl.replySize, cl.replyPeak = tc.size, tc.peak
		cl.replyPeakAt = now.Add(-tc.peakAge)
		cl.spare = make([]byte, 0, tc.size)
		cl.resizeReply(now)
		if got := cap(cl.w.Buf); got != tc.wantSize || cl.replySize != tc.wantSize {
			t.Errorf("%s: buffer %d (replySize %d), want %d", tc.name, got, cl.replySize, tc.wantSize)
		}
		if cl.replyPeak != tc.wantPeak {
			t.Errorf("%s: peak %d, want %d", tc.name, cl.replyPeak, tc.wantPeak)
		}
		if srv.stats.replyShrinks != tc.wantShrinks {
			t.Errorf("%s: %d shrinks, want %d", tc.name, srv.stats.replyShrinks, tc.wantShrinks)
		}
		if tc.wantShrinks > 0 && cl.spare != nil {
			t.Errorf("%s: the spare buffer (maybe still being written) was kept", tc.name)
		}
		if len(cl.w.Buf) != tc.pending {
			t.Errorf("%s: %d pending bytes, want %d", tc.name, len(cl.w.Buf), tc.pending)
		}
	}
}

func TestNoteReplySizeCountsExpansions(t *testing.T) {
	srv := &Server{}
	cl := &client{srv: srv}
	for i, st := range []struct {
		len, cap           int
		wantPeak, wantSize int
		wantExpands        int64
	}{
		{100, 1024, 100, 1024, 0}, // the first buffer is no expansion
		{50, 1024, 100, 1024, 0},
		{3000, 4096, 3000, 4096, 1},
		{10, 4096, 3000, 4096, 1},
		{10, 2048, 3000, 4096, 1}, // a smaller one is no expansion either
		{9000, 16384, 9000, 16384, 2},
	} {
		cl.noteReplySize(make([]byte, st.len, st.cap))
		if cl.replyPeak != st.wantPeak || cl.replySize != st.wantSize || srv.stats.replyExpands != st.wantExpands {
			t.Errorf("batch %d (%d/%d): peak %d size %d expands %d, want %d %d %d", i, st.len, st.cap,
				cl.replyPeak, cl.replySize, srv.stats.replyExpands, st.wantPeak, st.wantSize, st.wantExpands)
		}
	}
}

// TestResizePeriod: each client is looked at as often as Redis's client
// cron visits it: every tick with few clients, once a second with many.
func TestResizePeriod(t *testing.T) {
	for _, c := range []struct {
		clients, hz int
		want        time.Duration
	}{
		{0, 10, 100 * time.Millisecond},
		{1, 10, 100 * time.Millisecond},
		{5, 10, 100 * time.Millisecond},
		{10, 10, 200 * time.Millisecond},
		{49, 10, 900 * time.Millisecond},
		{50, 10, time.Second},
		{10000, 10, time.Second},
		{3, 1, time.Second},
		{3, 100, 10 * time.Millisecond},
		{1000, 100, time.Second},
		{200, 100, 400 * time.Millisecond},
	} {
		if got := resizePeriod(c.clients, c.hz); got != c.want {
			t.Errorf("resizePeriod(%d clients, hz %d) = %v, want %v", c.clients, c.hz, got, c.want)
		}
	}
}
