package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pongServer answers every line with +PONG, as any server would answer
// the PING that tells a test its server is up; it returns its port.
func pongServer(t *testing.T) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(fakeServer(t, "+PONG\r\n", ""))
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOwnsListener(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads Linux's /proc")
	}
	port := pongServer(t)
	if !ownsListener(os.Getpid(), port) {
		t.Errorf("this process listens on %d but is not found to", port)
	}
	if ownsListener(os.Getpid(), FreePort(t)) {
		t.Error("a port nobody listens on is found owned")
	}
}

// A server whose port another server took before it could bind it is not
// taken for started because the other one answers PING.
func TestWaitOwnPingTellsAnotherServerApart(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads Linux's /proc")
	}
	port := pongServer(t)
	p := launch(t, Binary(t), nil, "--port", fmt.Sprint(port))
	p.Port = port
	err := p.waitOwnPing(5 * time.Second)
	if err == nil {
		t.Fatal("the other server's PONG was taken for this one's")
	}
	if !p.WaitExit(5*time.Second) || !strings.Contains(p.LogText(), "address already in use") {
		t.Errorf("the server did not end on the taken port (%v):\n%s", err, p.LogText())
	}
}

// fakeServer answers PING with ping and INFO with a bulk string of info.
func fakeServer(t *testing.T, ping, info string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(line, "INFO") {
						fmt.Fprintf(c, "$%d\r\n%s\r\n", len(info), info)
					} else {
						fmt.Fprint(c, ping)
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestProbeUpWaitsOutTheStartUpWindow(t *testing.T) {
	for _, tc := range []struct {
		name, ping, info string
		up               bool
	}{
		{"pong", "+PONG\r\n", "", true},
		{"noauth", "-NOAUTH Authentication required.\r\n", "", true},
		{"loading a dataset", "-LOADING Redis is loading the dataset in memory\r\n", "# Persistence\r\nloading:1\r\n", true},
		{"start-up finishing", "-LOADING Redis is loading the dataset in memory\r\n", "# Persistence\r\nloading:0\r\n", false},
		{"other error", "-ERR no\r\n", "", false},
	} {
		err := probeUp(fakeServer(t, tc.ping, tc.info))
		if (err == nil) != tc.up {
			t.Errorf("%s: probeUp = %v, want up=%v", tc.name, err, tc.up)
		}
	}
}
