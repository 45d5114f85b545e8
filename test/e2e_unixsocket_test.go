package test

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// dialUnix opens a raw RESP connection on a Unix socket.
func dialUnix(t testing.TB, path string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, addr: path, c: c, r: bufio.NewReaderSize(c, 64*1024)}
}

// clientFields picks addr, laddr and flags out of a CLIENT LIST/INFO line.
var clientFieldsRe = regexp.MustCompile(`addr=(\S*) laddr=(\S*) .*flags=(\S*) `)

// TestUnixSocketServesClientsLikeRedis: with unixsocket and
// unixsocketperm the server listens on the socket as well as on TCP, in
// both connection modes; the file has the mode asked for, Unix clients are
// named "<path>:0" with flag U in CLIENT LIST and "unix:<path>" in
// MONITOR, as Redis names them; redis-cli -s works; the file is removed at
// shutdown.
func TestUnixSocketServesClientsLikeRedis(t *testing.T) {
	t.Parallel()
	refSock := filepath.Join(t.TempDir(), "redis.sock")
	startRedis(t, "--unixsocket", refSock, "--unixsocketperm", "700")
	refInfo := dialUnix(t, refSock).do("CLIENT", "INFO")
	for _, mode := range []string{"loop", "goroutine"} {
		t.Run(mode, func(t *testing.T) {
			sock := filepath.Join(t.TempDir(), "tandem.sock")
			srv := testutil.StartTandemEnv(t, []string{"TANDEM_CONN_MODE=" + mode}, "--unixsocket", sock, "--unixsocketperm", "700")
			if err := testutil.WaitReady(srv.Addr(), 10*time.Second); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(sock)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o700 {
				t.Fatalf("socket file mode %v", fi.Mode())
			}
			u := dialUnix(t, sock)
			if got := u.do("SET", "k", "v"); got != "+OK\r\n" {
				t.Fatalf("SET over the socket: %q", got)
			}
			if got := dialRaw(t, srv.Addr()).do("GET", "k"); got != "$1\r\nv\r\n" {
				t.Fatalf("GET over TCP: %q", got)
			}
			got := clientFieldsRe.FindStringSubmatch(u.do("CLIENT", "INFO"))
			want := clientFieldsRe.FindStringSubmatch(strings.ReplaceAll(refInfo, refSock, sock))
			if got == nil || want == nil || strings.Join(got[1:], " ") != strings.Join(want[1:], " ") {
				t.Errorf("CLIENT INFO addr laddr flags: tandem %q, redis %q", got, want)
			}
			if list := dialRaw(t, srv.Addr()).do("CLIENT", "LIST"); !strings.Contains(list, "addr="+sock+":0 laddr="+sock+":0 ") {
				t.Errorf("CLIENT LIST:\n%s", list)
			}
			mon := dialRaw(t, srv.Addr())
			mon.do("MONITOR")
			u.do("ECHO", "from-unix")
			if line := mon.read(); !strings.Contains(line, "[0 unix:"+sock+`] "ECHO" "from-unix"`) {
				t.Errorf("MONITOR line: %q", line)
			}
			if out := testutil.RedisCLI(t, 0, "-s", sock, "GET", "k"); out != "v" {
				t.Errorf("redis-cli -s: %q", out)
			}
			// A big reply and a blocking command over the socket (the
			// latter moves the client off the event loop).
			big := strings.Repeat("x", 1<<20)
			u.do("SET", "big", big)
			if got := u.do("GET", "big"); len(got) != len(big)+len("$1048576\r\n\r\n") {
				t.Errorf("GET big over the socket: %d bytes", len(got))
			}
			if got := u.do("BLPOP", "nolist", "0.05"); got != "*-1\r\n" {
				t.Errorf("BLPOP over the socket: %q", got)
			}
			u.send(encode("SHUTDOWN", "NOSAVE"))
			u.expectClosed(10 * time.Second)
			if !srv.WaitExit(10 * time.Second) {
				t.Fatal("no exit after SHUTDOWN")
			}
			if _, err := os.Stat(sock); !os.IsNotExist(err) {
				t.Errorf("socket file left after shutdown: %v", err)
			}
		})
	}
}

// TestUnixSocketOnly: port 0 with unixsocket listens on the socket alone;
// a socket file left by a killed server is replaced.
func TestUnixSocketOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sock := filepath.Join(dir, "only.sock")
	// A stale socket file, as a killed server leaves it.
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, testutil.Binary(t), "--port", "0", "--save", "", "--dir", dir, "--unixsocket", sock)
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	var c *rawConn
	testutil.Eventually(t, 10*time.Second, "PONG on the socket", func() bool {
		conn, err := net.DialTimeout("unix", sock, time.Second)
		if err != nil {
			return false
		}
		c = &rawConn{t: t, addr: sock, c: conn, r: bufio.NewReader(conn)}
		t.Cleanup(func() { conn.Close() })
		return true
	})
	testutil.Eventually(t, 10*time.Second, "PONG (not -LOADING)", func() bool { return c.do("PING") == "+PONG\r\n" })
	if got := c.do("CONFIG", "GET", "port"); got != "*2\r\n$4\r\nport\r\n$1\r\n0\r\n" {
		t.Fatalf("CONFIG GET port: %q", got)
	}
	if got := c.do("CONFIG", "GET", "unixsocket"); got != "*2\r\n$10\r\nunixsocket\r\n$"+strconv.Itoa(len(sock))+"\r\n"+sock+"\r\n" {
		t.Fatalf("CONFIG GET unixsocket: %q", got)
	}
	// SIGTERM removes the file too.
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGINT")
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket file left after SIGINT: %v\n%s", err, out.String())
	}
}
