package repl

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tcpPair is a connected loopback pair: the master's end (with a small
// send buffer, so it fills quickly) and the replica's.
func tcpPair(t *testing.T) (master, replica net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	replica, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case master = <-acc:
	case <-time.After(5 * time.Second):
		t.Fatal("accept timed out")
	}
	if master == nil {
		t.Fatal("accept failed")
	}
	master.(*net.TCPConn).SetWriteBuffer(4096)
	t.Cleanup(func() { master.Close(); replica.Close() })
	return master, replica
}

// streamPair is an outStream over a fresh backlog, writing to the master's
// end of a tcpPair (wrapped, so without a raw descriptor, when wrap is
// set); rc is the replica's end.
func streamPair(t *testing.T, wrap bool) (o *outStream, b *Backlog, rc net.Conn, netOut *atomic.Int64) {
	mc, rc := tcpPair(t)
	var conn net.Conn = mc
	if wrap {
		conn = struct{ net.Conn }{mc}
	}
	b = NewBacklog(0, 1<<20)
	netOut = new(atomic.Int64)
	timeout := new(atomic.Int64)
	timeout.Store(int64(10 * time.Second))
	return newOutStream(b.NewCursor(1), conn, timeout, netOut), b, rc, netOut
}

// TestOutStreamDeliversEverythingInOrder: the first line, then every fed
// byte exactly once and in order, whether the flushes wrote it or the
// goroutine did after the socket filled up (the reader starts late, so the
// socket is full for a while), with flushes racing from several goroutines
// as they do from client rounds on the goroutine connection path.
func TestOutStreamDeliversEverythingInOrder(t *testing.T) {
	o, b, rc, netOut := streamPair(t, false)
	if o.raw == nil {
		t.Fatal("a TCP connection should be written without blocking by flush")
	}
	first := []byte("+CONTINUE\r\n")
	o.start(first)

	payload := func(w, i int) []byte {
		v := fmt.Sprintf("%0200d", w*10000+i)
		return fmt.Appendf(nil, "*1\r\n$%d\r\n%s\r\n", len(v), v)
	}
	const writers, perWriter = 4, 2000
	total := len(first)
	for w := 0; w < writers; w++ {
		for i := 0; i < perWriter; i++ {
			total += len(payload(w, i))
		}
	}
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // let the socket fill first
		buf := make([]byte, total)
		rc.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, _ := io.ReadFull(rc, buf)
		got <- buf[:n]
	}()

	var want bytes.Buffer
	want.Write(first)
	var feedMu sync.Mutex // Feed runs under the server lock in real use
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				feedMu.Lock()
				p := payload(w, i)
				b.Feed(p)
				want.Write(p)
				feedMu.Unlock()
				o.flush()
			}
		}()
	}
	wg.Wait()
	var res []byte
	select {
	case res = <-got:
	case <-time.After(15 * time.Second):
		t.Fatal("the replica side did not receive the whole stream")
	}
	if !bytes.Equal(res, want.Bytes()) {
		t.Fatalf("received %d bytes, want %d; first difference at %d", len(res), want.Len(), firstDiff(res, want.Bytes()))
	}
	if o.handoffs == 0 {
		t.Fatal("the socket never filled: the goroutine's part was not tested")
	}
	// The writer counts a write once it returns, which may be just after
	// the reader has taken its last bytes.
	for deadline := time.Now().Add(5 * time.Second); netOut.Load() != int64(want.Len()) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if netOut.Load() != int64(want.Len()) {
		t.Fatalf("net out counted %d bytes, wrote %d", netOut.Load(), want.Len())
	}
	o.cursor.Close()
	o.stop()
}

// TestOutStreamBytesFedDuringHandoffAreSent: bytes fed while the goroutine
// holds the turn (their flush finds it taken and returns) go out without
// any later flush: whoever releases the turn looks again.
func TestOutStreamBytesFedDuringHandoffAreSent(t *testing.T) {
	o, b, rc, _ := streamPair(t, false)
	tail := []byte("tail")
	var once sync.Once
	o.beforeRelease = func() {
		once.Do(func() {
			b.Feed(tail)
			o.flush() // finds the turn taken: a no-op
		})
	}
	head := []byte("+CONTINUE\r\n")
	o.start(head) // the goroutine holds the turn for the first line
	want := append(append([]byte{}, head...), tail...)
	rc.SetReadDeadline(time.Now().Add(5 * time.Second))
	res := make([]byte, len(want))
	if n, err := io.ReadFull(rc, res); err != nil {
		t.Fatalf("read %d of %d bytes (%q): %v", n, len(want), res[:n], err)
	}
	if !bytes.Equal(res, want) {
		t.Fatalf("got %q, want %q", res, want)
	}
	o.cursor.Close()
	o.stop()
}

// TestOutStreamGoroutineOnly: without a raw descriptor every flush hands
// the turn to the goroutine, which must still deliver all of it.
func TestOutStreamGoroutineOnly(t *testing.T) {
	o, b, rc, _ := streamPair(t, true)
	if o.raw != nil {
		t.Fatal("a wrapped connection has no raw descriptor")
	}
	o.start(nil)
	var want []byte
	for i := 0; i < 500; i++ {
		p := fmt.Appendf(nil, "line %d\n", i)
		b.Feed(p)
		want = append(want, p...)
		o.flush()
	}
	rc.SetReadDeadline(time.Now().Add(10 * time.Second))
	res := make([]byte, len(want))
	if _, err := io.ReadFull(rc, res); err != nil {
		t.Fatalf("read %v", err)
	}
	if !bytes.Equal(res, want) {
		t.Fatalf("stream differs at %d", firstDiff(res, want))
	}
	o.cursor.Close()
	o.stop()
}

// TestOutStreamStopsWhenTheConnectionCloses: a write error ends the
// goroutine and closes the connection; later flushes are harmless.
func TestOutStreamStopsWhenTheConnectionCloses(t *testing.T) {
	o, b, rc, _ := streamPair(t, false)
	o.timeout.Store(int64(time.Second))
	mc := o.conn
	o.start(nil)
	rc.Close()
	big := bytes.Repeat([]byte("x"), 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.Feed(big)
		o.flush()
		// The goroutine closes the connection after its write fails.
		if _, err := mc.Write([]byte{}); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stream kept writing to a closed peer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	o.cursor.Close()
	o.flush()
	o.stop()
}

// TestOutStreamTimeoutFollowsConfigSet: the write timeout is read at each
// blocking write, so lowering repl-timeout (the manager's Cron stores it)
// reaches a stream already blocked on a replica that stopped reading.
func TestOutStreamTimeoutFollowsConfigSet(t *testing.T) {
	o, b, _, _ := streamPair(t, false)
	o.timeout.Store(int64(time.Hour))
	mc := o.conn
	o.start(nil)
	o.timeout.Store(int64(100 * time.Millisecond))
	big := bytes.Repeat([]byte("x"), 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The replica's end never reads: the socket fills, the
		// goroutine blocks, and its write fails once the new timeout
		// passes (the first write may have started under the hour).
		b.Feed(big)
		o.flush()
		o.timeout.Store(int64(100 * time.Millisecond))
		// The goroutine closes the connection after its write fails. (A
		// read deadline: setting it waits for no write and moves none.)
		if err := mc.SetReadDeadline(time.Time{}); err != nil {
			break
		}
		if time.Now().After(deadline) {
			mc.Close() // frees the blocked goroutine
			t.Fatal("the stream kept waiting with its start-time timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
	o.cursor.Close()
	o.flush()
	o.stop()
}

func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestOutStreamIgnoresAnEarlierWriteDeadline: the RDB transfer before the
// stream leaves a write deadline on the connection; once it has passed,
// flush's raw writes must still go out (the stream clears it), and so
// must those after a blocking write of the goroutine.
func TestOutStreamIgnoresAnEarlierWriteDeadline(t *testing.T) {
	o, b, rc, _ := streamPair(t, false)
	o.conn.SetWriteDeadline(time.Now().Add(-time.Second)) // the transfer's, long passed
	o.start(nil)
	msg := []byte("*1\r\n$4\r\nping\r\n")
	got := make([]byte, 0, 64)
	for round := 0; round < 2; round++ {
		testEventually(t, func() bool { return !o.busy.Load() })
		b.Feed(msg)
		o.flush()
		rc.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(rc, buf); err != nil {
			t.Fatalf("round %d: the stream did not arrive: %v", round, err)
		}
		got = append(got, buf...)
		o.giveTurn() // the next round follows a goroutine write
	}
	if !bytes.Equal(got, append(append([]byte{}, msg...), msg...)) {
		t.Fatalf("got %q", got)
	}
}

func testEventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition never met")
}
