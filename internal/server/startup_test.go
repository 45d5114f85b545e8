package server

import (
	"errors"
	"net"
	"testing"
	"time"
)

// Start-up holds clients outside a load and answers -LOADING within one,
// so that a client never gets -LOADING from a server whose INFO says
// loading:0 (a test read DBSIZE as 0 keys in that gap once).
func TestStartupHoldsClientsOutsideTheLoad(t *testing.T) {
	set := DefaultSettings()
	set.Port = -1
	set.Bind = []string{"127.0.0.1"}
	srv := New(Options{Settings: set})
	srv.SetStarting(true)
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	w := dialServer(t, srv)

	silent := func(what string) {
		t.Helper()
		w.c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
		_, err := w.r.Peek(1)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("%s: the server answered (err %v), want the command held", what, err)
		}
	}
	setLoading := func(on bool) {
		srv.Lock()
		srv.SetLoading(on)
		srv.Unlock()
	}

	w.send("PING")
	silent("before the load")
	setLoading(true)
	if got := w.read(); got != "-LOADING Redis is loading the dataset in memory" {
		t.Fatalf("the held PING once the load began = %s", got)
	}
	if got := w.do("GET", "k"); got != "-LOADING Redis is loading the dataset in memory" {
		t.Fatalf("GET during the load = %s", got)
	}
	setLoading(false)
	w.send("DBSIZE")
	silent("after the load, start-up unfinished")
	srv.SetStarting(false)
	if got := w.read(); got != ":0" {
		t.Fatalf("the held DBSIZE once start-up ended = %s", got)
	}
	if got := w.do("PING"); got != "+PONG" {
		t.Fatalf("PING after start-up = %s", got)
	}
}
