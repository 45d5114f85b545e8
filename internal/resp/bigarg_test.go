package resp

import (
	"strings"
	"testing"
)

// A big argument counts for its announced size as soon as its header is
// parsed; the request's parsed part is reported apart.
func TestBigArgReportsAnnouncedSize(t *testing.T) {
	rd := NewReader(1 << 30)
	head := "*2\r\n$3\r\nSET\r\n$100000\r\n"
	rd.Feed([]byte(head + strings.Repeat("v", 1000)))
	if err := rd.Next(); err != ErrIncomplete {
		t.Fatalf("Next: %v, want ErrIncomplete", err)
	}
	parsed, awaited := rd.BigArg()
	if want := 100000 + 2 + minReadSpace/4 - 1000; parsed != len(head) || awaited != want {
		t.Fatalf("BigArg = %d, %d; want %d, %d", parsed, awaited, len(head), want)
	}
	rd.Feed([]byte(strings.Repeat("v", 99000) + "\r\n"))
	if err := rd.Next(); err != nil || len(rd.Args) != 2 {
		t.Fatalf("Next: %v, %d args", err, len(rd.Args))
	}
	if p, a := rd.BigArg(); p != 0 || a != 0 {
		t.Fatalf("after the request: BigArg = %d, %d", p, a)
	}
	// Small arguments are not reported.
	rd.Feed([]byte("*2\r\n$3\r\nGET\r\n$10\r\nab"))
	rd.Next()
	if p, a := rd.BigArg(); p != 0 || a != 0 {
		t.Fatalf("small argument: BigArg = %d, %d", p, a)
	}
}

// Trim gives back the argument tables a request with many arguments left.
func TestTrimGivesBackBigArgumentTables(t *testing.T) {
	rd := NewReader(1 << 30)
	var b strings.Builder
	b.WriteString("*5001\r\n$4\r\nSADD\r\n")
	for i := 0; i < 5000; i++ {
		b.WriteString("$1\r\nx\r\n")
	}
	rd.Feed([]byte(b.String()))
	if err := rd.Next(); err != nil || len(rd.Args) != 5001 {
		t.Fatalf("Next: %v, %d args", err, len(rd.Args))
	}
	before := rd.ArgTablesCap()
	if !rd.Trim(false) {
		t.Fatal("Trim did nothing")
	}
	if after := rd.ArgTablesCap(); after != 0 || before < 5001*24 {
		t.Fatalf("argument tables: %d before, %d after", before, after)
	}
	rd.Feed([]byte("*1\r\n$4\r\nPING\r\n"))
	if err := rd.Next(); err != nil || string(rd.Args[0]) != "PING" {
		t.Fatalf("after Trim: %v %q", err, rd.Args)
	}
}
