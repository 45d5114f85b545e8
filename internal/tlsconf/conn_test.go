package tlsconf

import (
	"crypto/tls"
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// Close returns at once and the socket closes within closeGrace even when
// the peer never reads (net.Pipe has no buffer: the close_notify alert
// cannot be written), where tls.Conn.Close would wait 5 s.
func TestConnCloseNeverBlocks(t *testing.T) {
	a, _, srv, _ := handshakePipe(t)
	// The client never reads from here on.
	c := NewConn(srv, a)
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("Close took %v", d)
	}
	// The raw side is closed within the grace period: a read on it fails.
	a.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := a.Read(make([]byte, 1))
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("raw read after Close: %v after %v", err, time.Since(start))
	}
}

// Conn.Buffers follows crypto/tls's record buffers: found in this Go
// release (a release that renames them fails here, not silently), small
// before any data, and a full record's size once one was read.
func TestConnBuffersFollowRecords(t *testing.T) {
	if !RecordBufsFound() {
		t.Fatal("crypto/tls's rawInput and hand buffers were not found: client memory counts RecordBufsGuess")
	}
	a, b, srv, cli := handshakePipe(t)
	defer a.Close()
	defer b.Close()
	c := NewConn(srv, a)
	before := c.Buffers()
	go cli.Write(make([]byte, 64<<10))
	p := make([]byte, 64<<10)
	for got := 0; got < len(p); {
		n, err := c.Read(p[got:])
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	if after := c.Buffers(); after < 16<<10 || after <= before {
		t.Fatalf("record buffers %d bytes before and %d after full records, want 16 KB or more after", before, after)
	}
}

// A Write after Close fails at once and sends nothing, as on a closed
// plain socket, though the alert and the socket's close come later.
func TestConnWriteAfterCloseFails(t *testing.T) {
	a, b, srv, cli := handshakePipe(t)
	defer b.Close()
	got := make(chan string, 1)
	go func() {
		data, _ := io.ReadAll(cli)
		got <- string(data)
	}()
	c := NewConn(srv, a)
	// One P: the goroutine Close starts to send the alert cannot run
	// before this one blocks, as on a busy server.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	c.Close()
	if n, err := c.Write([]byte("after close")); err == nil || n != 0 {
		t.Fatalf("Write after Close: %d, %v; want 0 and an error", n, err)
	}
	select {
	case data := <-got:
		if data != "" {
			t.Fatalf("the peer read %q after Close", data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the peer never saw the connection end")
	}
}

// handshakePipe is a TLS server and client over an in-memory pipe (a the
// server's end, b the client's), their handshake done.
func handshakePipe(t *testing.T) (a, b net.Conn, srv, cli *tls.Conn) {
	t.Helper()
	crt, key := writeCert(t, t.TempDir())
	m, err := Load(Settings{CertFile: crt, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	a, b = net.Pipe()
	srv = tls.Server(a, m.Server(AuthNo))
	cli = tls.Client(b, &tls.Config{InsecureSkipVerify: true})
	done := make(chan error, 1)
	go func() { done <- cli.Handshake() }()
	if err := srv.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return a, b, srv, cli
}
