package command

import (
	"strings"
	"testing"
)

// TestRandomPickRepliesStreamOnlyWhereTheyCan: a huge negative count
// starts a stream on a session that can stream, is refused where it
// cannot, and a stream produces exactly the count announced, in slices of
// about the budget, failing when the value is emptied.
func TestRandomPickRepliesStreamOnlyWhereTheyCan(t *testing.T) {
	cases := []struct {
		setup, cmd string
		canStream  bool
		wantHead   string
		stream     bool
	}{
		{"SADD s a b", "SRANDMEMBER s -9223372036854775807", true, "*9223372036854775807\r\n", true},
		{"SADD s a b", "SRANDMEMBER s -9223372036854775807", false, "-ERR count is too large", false},
		{"SADD s a b", "SRANDMEMBER s -100", true, "*100\r\n", false},
		{"HSET h f v", "HRANDFIELD h -9223372036854775807", true, "*9223372036854775807\r\n", true},
		{"HSET h f v", "HRANDFIELD h -4611686018427387903 WITHVALUES", true, "*9223372036854775806\r\n", true},
		{"HSET h f v", "HRANDFIELD h -9223372036854775807 WITHVALUES", true, "-ERR value is out of range", false},
		{"ZADD z 1 m", "ZRANDMEMBER z -20000 WITHSCORES", true, "*40000\r\n", true},
		{"ZADD z 1 m", "ZRANDMEMBER z -20000 WITHSCORES", false, "*40000\r\n", false},
	}
	for _, c := range cases {
		t.Run(c.cmd, func(t *testing.T) {
			e, _ := newTestEngine()
			s := newTestSession(1)
			run(e, s, c.setup)
			s.CanStream = c.canStream
			got := run(e, s, c.cmd)
			if !strings.HasPrefix(got, c.wantHead) {
				t.Fatalf("reply starts %q, want %q", got[:min(len(got), 60)], c.wantHead)
			}
			if (s.Stream != nil) != c.stream {
				t.Fatalf("stream = %v, want %v", s.Stream != nil, c.stream)
			}
			if s.Stream != nil && len(got) > 4096 {
				t.Fatalf("a streamed reply wrote %d bytes before its first slice", len(got))
			}
		})
	}
}

func TestPickStreamSlicesAndCompletes(t *testing.T) {
	e, _ := newTestEngine()
	s := newTestSession(1)
	run(e, s, "SADD s a")
	s.CanStream = true
	run(e, s, "SRANDMEMBER s -20000")
	st := s.Stream
	if st == nil {
		t.Fatal("no stream")
	}
	total, slices := 0, 0
	for {
		s.W.Reset()
		done, ok := st.Next(s.W, 4096)
		if !ok {
			t.Fatal("stream failed")
		}
		if len(s.W.Buf) > 4096+256*len("$1\r\na\r\n") {
			t.Fatalf("slice of %d bytes for a budget of 4096", len(s.W.Buf))
		}
		total += strings.Count(string(s.W.Buf), "$1\r\na\r\n")
		slices++
		if done {
			break
		}
	}
	if total != 20000 || slices < 10 {
		t.Fatalf("%d elements in %d slices", total, slices)
	}
	// A value emptied in place ends the stream with a failure.
	run(e, s, "SRANDMEMBER s -20000")
	st = s.Stream
	run(e, s, "SREM s a")
	if _, ok := st.Next(s.W, 4096); ok {
		t.Fatal("stream over an emptied set did not fail")
	}
}
