package repl

import (
	"bytes"
	"testing"
)

// TestBacklogTruncate: a replica resuming before its tail keeps the
// history before it, and new bytes follow at the truncated end.
func TestBacklogTruncate(t *testing.T) {
	b := NewBacklog(100, 16*minBlock) // blocks of minBlock bytes
	defer b.Close()
	data := bytes.Repeat([]byte("0123456789"), 5000)
	for i := 0; i < len(data); i += 1000 { // several blocks
		b.Feed(data[i : i+1000])
	}
	if len(b.blocks) < 3 {
		t.Fatalf("%d blocks", len(b.blocks))
	}
	end := b.End()
	if b.Truncate(end + 1) {
		t.Fatal("truncated past the end")
	}
	cut := int64(100 + 20000)
	if !b.Truncate(cut) || b.End() != cut {
		t.Fatalf("Truncate(%d): end %d", cut, b.End())
	}
	b.Feed([]byte("NEW"))
	got := b.Copy(101)
	want := append(append([]byte{}, data[:20000]...), "NEW"...)
	if r := b.Range(); r.First != 101 || !bytes.Equal(got, want) {
		t.Fatalf("after truncate and feed: first %d, %d bytes, equal %v", r.First, len(got), bytes.Equal(got, want))
	}
	// A cursor past the new end forbids it; one before it does not.
	c := b.NewCursor(b.End() + 1)
	if b.Truncate(cut) {
		t.Fatal("truncated under a cursor")
	}
	c.Close()
	c = b.NewCursor(101)
	defer c.Close()
	if !b.Truncate(cut) {
		t.Fatal("a cursor before the end refused the truncation")
	}
	if b.Truncate(50) {
		t.Fatal("truncated before the backlog's first byte")
	}
}

// TestNoDataCommands: what the tail count takes as changing no data.
func TestNoDataCommands(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want bool
	}{
		{[]string{"PING"}, true},
		{[]string{"REPLCONF", "GETACK", "*"}, true},
		{[]string{"publish", "__sentinel__:hello", "x"}, true},
		{[]string{"SELECT", "0"}, false},
		{[]string{"SET", "k", "v"}, false},
		{[]string{"MULTI"}, false},
		{nil, false},
	} {
		var argv [][]byte
		for _, a := range c.argv {
			argv = append(argv, []byte(a))
		}
		if got := isNoDataCommand(argv); got != c.want {
			t.Errorf("%v: %v, want %v", c.argv, got, c.want)
		}
	}
}
