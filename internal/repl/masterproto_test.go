package repl

import (
	"bufio"
	"bytes"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testID = "1ba9fe0fa82bab35ddc9ff0662584d7570d257ec"

func TestPSYNCReplyIsValidatedBeforeUse(t *testing.T) {
	cases := []struct {
		line   string
		cached bool
		want   psyncAction
		id     string
		off    int64
		err    bool
	}{
		{line: "+FULLRESYNC " + testID + " 138", want: psyncFull, id: testID, off: 138},
		{line: "+FULLRESYNC " + testID + " 0", cached: true, want: psyncFull, id: testID},
		{line: "+FULLRESYNC " + testID[:39] + " 0", err: true},
		{line: "+FULLRESYNC " + testID[:39] + "g 0", err: true},
		{line: "+FULLRESYNC " + testID + " -1", err: true},
		{line: "+FULLRESYNC " + testID + " 99999999999999999999", err: true},
		{line: "+FULLRESYNC " + testID + " +5", err: true},
		{line: "+FULLRESYNC " + testID, err: true},
		{line: "+FULLRESYNC  " + testID + " 0", err: true},
		{line: "+FULLRESYNCX " + testID + " 0", err: true},
		{line: "+CONTINUE", cached: true, want: psyncContinue},
		{line: "+CONTINUE " + testID, cached: true, want: psyncContinue, id: testID},
		{line: "+CONTINUE", err: true}, // answering PSYNC ? -1
		{line: "+CONTINUE " + testID, err: true},
		{line: "+CONTINUE xyz", cached: true, err: true},
		{line: "+CONTINUEX", cached: true, err: true},
		{line: "-NOMASTERLINK Can't SYNC while not connected with my master", want: psyncLater},
		{line: "-LOADING Redis is loading the dataset in memory", want: psyncLater},
		{line: "-ERR unknown command 'PSYNC'", want: psyncSync},
		{line: "+OK", want: psyncSync},
	}
	for _, c := range cases {
		got, err := parsePSYNCReply(c.line, c.cached)
		if c.err {
			if err == nil {
				t.Errorf("%q (cached %v): accepted as %+v", c.line, c.cached, got)
			}
			continue
		}
		if err != nil || got.action != c.want || got.replID != c.id || got.offset != c.off {
			t.Errorf("%q (cached %v) = %+v, %v; want action %d id %q off %d", c.line, c.cached, got, err, c.want, c.id, c.off)
		}
	}
}

func TestPayloadHeaderIsValidatedBeforeUse(t *testing.T) {
	mark := strings.Repeat("ab", 20)
	cases := []struct {
		line string
		size int64
		mark string
		err  string
	}{
		{line: "$298", size: 298},
		{line: "$0", size: 0},
		{line: "$EOF:" + mark, size: -1, mark: mark},
		{line: "$EOF:" + mark + "extra", size: -1, mark: mark},
		{line: "$-5", err: "invalid RDB payload length"},
		{line: "$99999999999999999999", err: "invalid RDB payload length"},
		{line: "$+5", err: "invalid RDB payload length"},
		{line: "$007", err: "invalid RDB payload length"},
		{line: "$", err: "invalid RDB payload length"},
		{line: "$EOF:short", err: "invalid RDB payload length"},
		{line: "-ERR no", err: "MASTER aborted replication with an error: ERR no"},
		{line: "+FULLRESYNC x 0", err: "the first byte is not '$'"},
	}
	for _, c := range cases {
		h, err := parsePayloadHeader(c.line)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %+v, %v; want error with %q", c.line, h, err, c.err)
			}
			continue
		}
		if err != nil || h.size != c.size || string(h.mark) != c.mark {
			t.Errorf("%q = %+v, %v", c.line, h, err)
		}
	}
}

func TestMasterLinesAreBounded(t *testing.T) {
	long := strings.Repeat("x", maxMasterLine+1) + "\r\n"
	br := bufio.NewReaderSize(strings.NewReader("+PONG\r\n\n"+long+"+OK\r\n"), 16)
	for _, want := range []string{"+PONG", ""} {
		if got, err := readMasterLine(br); err != nil || got != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	if _, err := readMasterLine(br); err != errLineTooLong {
		t.Fatalf("a line of %d bytes: %v, want errLineTooLong", len(long), err)
	}
	if got := quoteLine("a\r\n\x00b"); got != `a\x0d\x0a\x00b` {
		t.Fatalf("quoteLine = %q", got)
	}
}

func TestPayloadCopyStopsAtMarkOrLength(t *testing.T) {
	mark := []byte(strings.Repeat("0123456789", 4))
	body := bytes.Repeat([]byte("rdb"), 50000)
	cases := []struct {
		name string
		in   []byte
		h    payloadHeader
		want []byte
		err  bool
	}{
		{"length", append(append([]byte{}, body...), "*1\r\n"...), payloadHeader{size: int64(len(body))}, body, false},
		{"short", body[:100], payloadHeader{size: 1000}, nil, true},
		{"huge length", body, payloadHeader{size: 1 << 62}, nil, true},
		{"mark", append(append([]byte{}, body...), mark...), payloadHeader{size: -1, mark: mark}, body, false},
		{"no mark", body, payloadHeader{size: -1, mark: mark}, nil, true},
	}
	for _, c := range cases {
		var out bytes.Buffer
		err := copyPayload(&chunkReader{data: c.in, n: 1000}, &out, c.h)
		if c.err != (err != nil) || !c.err && !bytes.Equal(out.Bytes(), c.want) {
			t.Errorf("%s: %d bytes, %v", c.name, out.Len(), err)
		}
	}
}

// TestGETACKFloodIsBounded: a master that sends GETACK after GETACK and
// never reads costs one blocked writer goroutine, not one per GETACK; the
// ACK it finally reads carries the latest offset.
func TestGETACKFloodIsBounded(t *testing.T) {
	ours, master := net.Pipe()
	defer ours.Close()
	defer master.Close()
	l := &link{conn: ours}
	before := runtime.NumGoroutine()
	for i := 1; i <= 10000; i++ {
		l.queueAck(int64(i))
	}
	if extra := runtime.NumGoroutine() - before; extra > 2 {
		t.Fatalf("%d goroutines for 10000 GETACKs", extra)
	}
	br := bufio.NewReader(master)
	var last string
	for {
		master.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		args, err := readRESPArray(br)
		if err != nil {
			break
		}
		last = args[2]
	}
	if last != "10000" {
		t.Fatalf("last ACK for offset %q, want 10000", last)
	}
}

// readRESPArray reads one array of bulk strings.
func readRESPArray(br *bufio.Reader) ([]string, error) {
	line, err := readMasterLine(br)
	if err != nil {
		return nil, err
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(line, "*"))
	var out []string
	for i := 0; i < n; i++ {
		if _, err := readMasterLine(br); err != nil {
			return nil, err
		}
		v, err := readMasterLine(br)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
