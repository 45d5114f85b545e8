package resp

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func parseAll(t *testing.T, rd *Reader) ([][]string, error) {
	t.Helper()
	var out [][]string
	for {
		err := rd.Next()
		if err == ErrIncomplete {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		var cmd []string
		for _, a := range rd.Args {
			cmd = append(cmd, string(a))
		}
		out = append(out, cmd)
	}
}

func TestReaderRequests(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want [][]string
		err  string
	}{
		{"multibulk", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", [][]string{{"GET", "k"}}, ""},
		{"pipeline", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}, {"PING"}}, ""},
		{"inline", "SET a b\r\n", [][]string{{"SET", "a", "b"}}, ""},
		{"inline LF only", "PING\n", [][]string{{"PING"}}, ""},
		{"inline quoted", "SET \"a b\" 'c d'\r\n", [][]string{{"SET", "a b", "c d"}}, ""},
		{"inline escapes", "ECHO \"\\x41\\n\"\r\n", [][]string{{"ECHO", "A\n"}}, ""},
		{"empty inline line", "\r\n", [][]string{nil}, ""},
		{"star zero", "*0\r\n", [][]string{nil}, ""},
		{"star negative", "*-1\r\n", [][]string{nil}, ""},
		{"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", [][]string{{"ECHO", ""}}, ""},
		{"incomplete", "*2\r\n$3\r\nGET\r\n$1\r\n", nil, ""},
		{"bad multibulk", "*x\r\n", nil, "Protocol error: invalid multibulk length"},
		{"multibulk too large", "*4294967296\r\n", nil, "Protocol error: invalid multibulk length"},
		{"expected dollar", "*1\r\n+PING\r\n", nil, "Protocol error: expected '$', got '+'"},
		{"bad bulk", "*1\r\n$-5\r\n", nil, "Protocol error: invalid bulk length"},
		{"bulk over limit", "*1\r\n$600000000\r\n", nil, "Protocol error: invalid bulk length"},
		{"unbalanced", "SET \"a b\r\n", nil, "Protocol error: unbalanced quotes in request"},
		{"closing quote glued", "SET \"a\"b c\r\n", nil, "Protocol error: unbalanced quotes in request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rd := NewReader(512 << 20)
			rd.Feed([]byte(c.in))
			got, err := parseAll(t, rd)
			if c.err != "" {
				var pe *ProtocolError
				if !errors.As(err, &pe) || err.Error() != c.err {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for i := range got {
				if strings.Join(got[i], "|") != strings.Join(c.want[i], "|") {
					t.Fatalf("cmd %d = %q, want %q", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestReaderTooBigInline(t *testing.T) {
	rd := NewReader(512 << 20)
	rd.Feed(bytes.Repeat([]byte("a"), MaxInlineSize+10))
	if err := rd.Next(); err == nil || err.Error() != "Protocol error: too big inline request" {
		t.Fatalf("err = %v", err)
	}
}

func TestReaderUnauthenticatedLimits(t *testing.T) {
	rd := NewReader(512 << 20)
	rd.Unauth = true
	rd.Feed([]byte("*11\r\n"))
	if err := rd.Next(); err == nil || err.Error() != "Protocol error: unauthenticated multibulk length" {
		t.Fatalf("err = %v", err)
	}
	rd = NewReader(512 << 20)
	rd.Unauth = true
	rd.Feed([]byte("*1\r\n$16385\r\n"))
	if err := rd.Next(); err == nil || err.Error() != "Protocol error: unauthenticated bulk length" {
		t.Fatalf("err = %v", err)
	}
}

// Feeding a request one byte at a time must give the same result as
// feeding it whole: the parser resumes where it stopped.
func TestReaderSplitAtEveryByte(t *testing.T) {
	big := strings.Repeat("x", 100000)
	in := "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$" + itoa(len(big)) + "\r\n" + big + "\r\nPING\r\n*1\r\n$4\r\nQUIT\r\n"
	for _, step := range []int{1, 2, 3, 7, 1000, 65536} {
		rd := NewReader(512 << 20)
		var got [][]string
		for i := 0; i < len(in); i += step {
			end := i + step
			if end > len(in) {
				end = len(in)
			}
			rd.Feed([]byte(in[i:end]))
			cmds, err := parseAll(t, rd)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, cmds...)
		}
		if len(got) != 3 || got[0][2] != big || got[1][0] != "PING" || got[2][0] != "QUIT" {
			t.Fatalf("step %d: got %d commands", step, len(got))
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestParseInt pins string2ll's grammar, which every integer argument,
// intset member, RDB integer string and integer directive goes through.
func TestParseInt(t *testing.T) {
	cases := []struct {
		in string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"-1", -1, true}, {"123", 123, true}, {"-42", -42, true},
		{"9223372036854775807", 9223372036854775807, true},   // 2^63-1
		{"-9223372036854775808", -9223372036854775808, true}, // -2^63
		{"9223372036854775808", 0, false},                    // 2^63
		{"-9223372036854775809", 0, false},                   // -2^63-1
		{"18446744073709551615", 0, false},                   // 2^64-1: 20 digits, fits no int64
		{"18446744073709551616", 0, false},                   // 2^64: would wrap a uint64
		{"99999999999999999999", 0, false},                   // 20 digits
		{"-99999999999999999999", 0, false},                  // 21 bytes
		{"123456789012345678901", 0, false},                  // 21 digits
		{"00000000000000000001", 0, false},                   // 20 bytes, leading zeros
		{"007", 0, false}, {"00", 0, false}, {"-0", 0, false}, {"-01", 0, false},
		{"+1", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1\x00", 0, false},
		{"", 0, false}, {"-", 0, false}, {"--1", 0, false}, {"1a", 0, false},
		{"1e3", 0, false}, {"0x10", 0, false}, {"1.0", 0, false},
	}
	for _, c := range cases {
		v, ok := ParseInt([]byte(c.in))
		if ok != c.ok || v != c.v {
			t.Errorf("ParseInt(%q) = %d,%v want %d,%v", c.in, v, ok, c.v, c.ok)
		}
		if ok && strconv.FormatInt(v, 10) != c.in {
			t.Errorf("ParseInt(%q) accepted a non-canonical form", c.in)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{`a b  c`, []string{"a", "b", "c"}, false},
		{`"a\tb" 'it\'s'`, []string{"a\tb", "it's"}, false},
		{`""`, []string{""}, false},
		{`"\x4a\x4B"`, []string{"JK"}, false},
		{`"abc`, nil, true},
		{`'abc`, nil, true},
		{`"a"b`, nil, true},
		{``, nil, false},
	}
	for _, c := range cases {
		got, err := SplitArgs(c.in)
		if (err != nil) != c.err || strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("SplitArgs(%q) = %q, %v", c.in, got, err)
		}
	}
}

func TestWriterShapes(t *testing.T) {
	w := &Writer{Proto: 2}
	w.Null()
	w.Map(1)
	w.Double(1.5)
	w.Bool(true)
	if got := string(w.Buf); got != "$-1\r\n*2\r\n$3\r\n1.5\r\n:1\r\n" {
		t.Fatalf("RESP2 = %q", got)
	}
	w = &Writer{Proto: 3}
	w.Null()
	w.Map(1)
	w.Double(1.5)
	w.Bool(true)
	w.Verbatim("hi")
	if got := string(w.Buf); got != "_\r\n%1\r\n,1.5\r\n#t\r\n=6\r\ntxt:hi\r\n" {
		t.Fatalf("RESP3 = %q", got)
	}
}

// FuzzReader feeds arbitrary bytes, whole and split at a fuzzed point: the
// reader must never panic, and must parse the same commands either way.
func FuzzReader(f *testing.F) {
	seeds := []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "SET \"a b\" c\r\n", "*1\r\n$-1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", "\r\n\r\n", "*0\r\n", "$5\r\n", "*1\r\n$1",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint16(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		whole := collect(data, len(data))
		parts := collect(data, int(split)%(len(data)+1))
		if whole != parts {
			t.Fatalf("whole %q != split %q", whole, parts)
		}
	})
}

func collect(data []byte, split int) string {
	rd := NewReader(1 << 20)
	var b strings.Builder
	feed := func(p []byte) bool {
		rd.Feed(p)
		for {
			err := rd.Next()
			if err == ErrIncomplete {
				return true
			}
			if err != nil {
				b.WriteString("ERR:" + err.Error())
				return false
			}
			for _, a := range rd.Args {
				b.WriteString(itoa(len(a)) + ":" + string(a) + ",")
			}
			b.WriteString(";")
		}
	}
	if feed(data[:split]) {
		feed(data[split:])
	}
	return b.String()
}

// TestReaderBulkHeaderDoesNotAllocateItsLength: a header announcing a
// 512 MB bulk followed by 100 KB of it costs about a megabyte, not 512.
func TestReaderBulkHeaderDoesNotAllocateItsLength(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rd := NewReader(512 << 20)
	rd.Feed([]byte("*2\r\n$3\r\nGET\r\n$536870912\r\n"))
	// As the server does: parse after every read.
	for i := 0; i < 10; i++ {
		if err := rd.Next(); err != ErrIncomplete {
			t.Fatalf("Next = %v", err)
		}
		rd.Feed(bytes.Repeat([]byte("0123456789"), 1024))
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Fatalf("allocated %d bytes for a bulk of which 100 KB arrived", got)
	}
	if rd.Cap() > maxBulkPrealloc+minReadSpace {
		t.Fatalf("buffer is %d bytes", rd.Cap())
	}
}

// TestReaderBigBulkGrowsAsItArrives: a big bulk fed in pieces parses, and
// the buffer grows with what arrived, ending within twice the bulk's size.
func TestReaderBigBulkGrowsAsItArrives(t *testing.T) {
	const n = 5 << 20
	rd := NewReader(512 << 20)
	rd.Feed([]byte("*2\r\n$4\r\nECHO\r\n$" + strconv.Itoa(n) + "\r\n"))
	chunk := bytes.Repeat([]byte("a"), 64*1024)
	for sent := 0; sent < n; sent += len(chunk) {
		if err := rd.Next(); err != ErrIncomplete {
			t.Fatalf("Next = %v", err)
		}
		rd.Feed(chunk)
		if rd.Cap() > 2*(rd.Buffered()+maxBulkPrealloc) {
			t.Fatalf("after %d bytes the buffer is %d", rd.Buffered(), rd.Cap())
		}
	}
	rd.Feed([]byte("\r\n"))
	if err := rd.Next(); err != nil || len(rd.Args) != 2 || len(rd.Args[1]) != n {
		t.Fatalf("Next = %v, %d args", err, len(rd.Args))
	}
	if rd.Cap() > 2*n {
		t.Fatalf("buffer %d for a bulk of %d", rd.Cap(), n)
	}
}

// TestReaderTrim follows Redis's query-buffer resize rules.
func TestReaderTrim(t *testing.T) {
	big := "*2\r\n$4\r\nECHO\r\n$200000\r\n" + strings.Repeat("a", 200000) + "\r\n"
	cases := []struct {
		name    string
		feed    string
		idle    bool
		trimmed bool
		maxCap  int
	}{
		{"fresh buffer, busy", "", false, false, minReadSpace},
		{"fresh buffer, idle: given back", "", true, true, 0},
		{"idle after a big request: given back", big, true, true, 0},
		{"idle with a partial header keeps the initial size", big[:10], true, false, minReadSpace},
		{"busy right after a big request keeps room", big, false, false, 1 << 30},
		{"idle with half a request keeps it", big[:100000], true, true, 100000 + minReadSpace},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rd := NewReader(512 << 20)
			rd.Feed([]byte(c.feed))
			for rd.Next() == nil {
			}
			pending := string(rd.Pending())
			if got := rd.Trim(c.idle); got != c.trimmed {
				t.Fatalf("Trim = %v, want %v (cap %d)", got, c.trimmed, rd.Cap())
			}
			if rd.Cap() > c.maxCap {
				t.Fatalf("cap %d > %d", rd.Cap(), c.maxCap)
			}
			if string(rd.Pending()) != pending {
				t.Fatalf("pending bytes changed")
			}
		})
	}
	// Busy: the second cron pass after the big request (peak reset to
	// nothing pending) cuts the buffer down.
	rd := NewReader(512 << 20)
	rd.Feed([]byte(big))
	for rd.Next() == nil {
	}
	rd.Trim(false)
	if !rd.Trim(false) || rd.Cap() > minReadSpace {
		t.Fatalf("busy buffer not trimmed on the next pass: cap %d", rd.Cap())
	}
	// A buffer given back is allocated again by the next read.
	rd.Trim(true)
	if rd.Cap() != 0 {
		t.Fatalf("idle empty buffer kept %d bytes", rd.Cap())
	}
	rd.Feed([]byte("*1\r\n$4\r\nPING\r\n"))
	if err := rd.Next(); err != nil || string(rd.Args[0]) != "PING" || rd.Cap() != minReadSpace {
		t.Fatalf("after giving the buffer back: %v, cap %d", err, rd.Cap())
	}
	// The rest of a request still parses after a trim.
	rd.Feed([]byte(big[:1000]))
	rd.Trim(true)
	rd.Feed([]byte(big[1000:]))
	if err := rd.Next(); err != nil || len(rd.Args[1]) != 200000 {
		t.Fatalf("after trim: %v", err)
	}
}

// parseIntInputs mixes what the hot path sees: short counts and lengths,
// typical arguments, the extremes, and rejects.
var parseIntInputs = [][]byte{
	[]byte("3"), []byte("0"), []byte("42"), []byte("16384"), []byte("-1"),
	[]byte("1700000000000"), []byte("9223372036854775807"),
	[]byte("-9223372036854775808"), []byte("007"), []byte("12a"),
}

func BenchmarkParseInt(b *testing.B) {
	var sink int64
	for i := 0; i < b.N; i++ {
		for _, in := range parseIntInputs {
			v, _ := ParseInt(in)
			sink += v
		}
	}
	_ = sink
}

// BenchmarkReaderPipeline parses a pipeline of 100 SET commands, the shape
// redis-benchmark -P sends; it is dominated by header and length parsing.
func BenchmarkReaderPipeline(b *testing.B) {
	var req []byte
	for i := 0; i < 100; i++ {
		req = append(req, "*3\r\n$3\r\nSET\r\n$8\r\nkey:"+fmt.Sprintf("%04d", i)+"\r\n$3\r\nxyz\r\n"...)
	}
	rd := NewReader(512 << 20)
	b.SetBytes(int64(len(req)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rd.Feed(req)
		for rd.Next() == nil {
		}
	}
}

// A read that filled the buffer announces more in the socket: the next
// read is offered a whole minReadSpace, so that a pipeline of 16 requests
// of 1 KB is taken in two reads at most, and the next pipeline in one.
// Small reads keep the buffer at its first size.
func TestReaderOffersAWholeReadAfterAFullOne(t *testing.T) {
	req := []byte("*2\r\n$4\r\nECHO\r\n$1000\r\n" + strings.Repeat("x", 1000) + "\r\n")
	var batch []byte
	for range 16 {
		batch = append(batch, req...)
	}
	rd := NewReader(512 << 20)
	for round := range 3 {
		reads, parsed := 0, 0
		for rest := batch; len(rest) > 0; reads++ {
			sp := rd.Space()
			if reads > 0 && len(sp) < minReadSpace {
				t.Fatalf("round %d read %d offered %d bytes", round, reads, len(sp))
			}
			n := copy(sp, rest)
			rd.Advance(n)
			rest = rest[n:]
			got, err := parseAll(t, rd)
			if err != nil {
				t.Fatal(err)
			}
			parsed += len(got)
		}
		if parsed != 16 || (round > 0 && reads != 1) || reads > 2 {
			t.Fatalf("round %d: %d requests in %d reads", round, parsed, reads)
		}
	}
	small := NewReader(512 << 20)
	for range 100 {
		n := copy(small.Space(), "*1\r\n$4\r\nPING\r\n")
		small.Advance(n)
		if _, err := parseAll(t, small); err != nil {
			t.Fatal(err)
		}
	}
	if small.Cap() != minReadSpace {
		t.Fatalf("small requests grew the buffer to %d", small.Cap())
	}
}
