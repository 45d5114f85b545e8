package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// loopReplicaPair is a loopReplicaConn on the server side of a loopback
// TCP connection (a non-blocking duplicate, as the loop's), and the peer.
func loopReplicaPair(t *testing.T) (*loopReplicaConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := srv.(*net.TCPConn).File()
	srv.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	fc := &fdConn{fd: -1, closed: true, laddr: peer.RemoteAddr(), raddr: peer.LocalAddr()}
	r := &loopReplicaConn{fd: fd, fc: fc}
	t.Cleanup(func() { syscall.Close(fd) })
	return r, peer
}

// A write bigger than the socket's buffers waits for room (ppoll) until
// the peer reads, and every byte arrives in order.
func TestLoopReplicaConnWaitsForRoom(t *testing.T) {
	r, peer := loopReplicaPair(t)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MiB
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(200 * time.Millisecond) // the writer meets a full buffer first
		peer.SetReadDeadline(time.Now().Add(20 * time.Second))
		b, _ := io.ReadAll(io.LimitReader(peer, int64(len(payload))))
		got <- b
	}()
	r.SetWriteDeadline(time.Now().Add(20 * time.Second))
	if n, err := r.Write(payload); err != nil || n != len(payload) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(payload))
	}
	if b := <-got; !bytes.Equal(b, payload) {
		t.Fatalf("the peer read %d bytes, not the %d written", len(b), len(payload))
	}
}

// With nobody reading, a write ends at its deadline.
func TestLoopReplicaConnWriteDeadline(t *testing.T) {
	r, _ := loopReplicaPair(t)
	r.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
	start := time.Now()
	n, err := r.Write(make([]byte, 64<<20))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write = %d, %v; want the deadline exceeded", n, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the write took %v past a 300 ms deadline", d)
	}
}
