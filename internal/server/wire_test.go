package server

// Helpers for the server's unit tests: a server started in-process on a
// free loopback port, and a plain RESP connection to it whose replies are
// rendered in a compact notation (+OK, -ERR …, :5, "bulk", nil, *nil,
// [a b], %{k v}, _) so that a table can hold them. The tests talk to the
// server through its socket, its exported methods and its commands, not
// through the client struct, whose shape is free to change.

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// startServer starts a server with Redis's defaults, changed by mod, on a
// free port of 127.0.0.1, and closes it when the test ends.
func startServer(t *testing.T, mod func(*Settings)) *Server {
	t.Helper()
	set := DefaultSettings()
	set.Port = -1
	set.Bind = []string{"127.0.0.1"}
	if mod != nil {
		mod(&set)
	}
	srv := New(Options{Settings: set})
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// wireConn is one client connection.
type wireConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialServer(t *testing.T, srv *Server) *wireConn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &wireConn{t: t, c: c, r: bufio.NewReader(c)}
}

// send writes one command; a line is split at spaces, or args are given
// one by one when an argument holds spaces.
func (w *wireConn) send(args ...string) {
	w.t.Helper()
	if len(args) == 1 {
		args = strings.Fields(args[0])
	}
	var b []byte
	b = fmt.Appendf(b, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := w.c.Write(b); err != nil {
		w.t.Fatal(err)
	}
}

// read renders the next reply, failing the test after 5 s.
func (w *wireConn) read() string {
	w.t.Helper()
	w.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := testutil.RenderReply(w.r)
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	return s
}

// do sends a command and renders its reply.
func (w *wireConn) do(args ...string) string {
	w.t.Helper()
	w.send(args...)
	return w.read()
}

// bulk sends a command whose reply is a bulk string (or verbatim text)
// and returns its text.
func (w *wireConn) bulk(args ...string) string {
	w.t.Helper()
	r := w.do(args...)
	r = strings.TrimPrefix(r, "=")
	s, err := strconv.Unquote(r)
	if err != nil {
		w.t.Fatalf("%v: not a bulk reply: %s", args, r)
	}
	return strings.TrimPrefix(s, "txt:")
}

// infoFields parses INFO text into its section titles (in order) and each
// section's field names (in order) and values.
type infoText struct {
	titles []string
	names  map[string][]string // section title → field names
	values map[string]string   // field name → value
}

func parseInfo(t *testing.T, text string) infoText {
	t.Helper()
	in := infoText{names: map[string][]string{}, values: map[string]string{}}
	if text != "" && !strings.HasSuffix(text, "\r\n") {
		t.Fatalf("INFO text does not end with CRLF: %q", text)
	}
	section := ""
	for _, l := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		switch {
		case l == "":
		case strings.HasPrefix(l, "# "):
			section = l[2:]
			in.titles = append(in.titles, section)
		default:
			k, v, ok := strings.Cut(l, ":")
			if !ok || section == "" {
				t.Fatalf("bad INFO line %q", l)
			}
			in.names[section] = append(in.names[section], k)
			in.values[k] = v
		}
	}
	return in
}

// waitFor polls cond until it holds or 2 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
