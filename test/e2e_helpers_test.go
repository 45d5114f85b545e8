// Package test holds Tandem's end-to-end tests: they start the real tandem
// binary (and Debian's redis-server as the reference for differential
// tests) on free loopback ports and talk to them with go-redis v9,
// redis-cli, redis-benchmark and raw TCP.
package test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// replyTimeout bounds every single read of a reply. Under -race the server
// binary is race-built too, and a command that allocates hundreds of
// megabytes (SETBIT at offset 2^32-1 builds a 512 MB string, as in Redis)
// also touches the detector's shadow memory for them: seconds, not
// milliseconds.
var replyTimeout = map[bool]time.Duration{false: 10 * time.Second, true: 60 * time.Second}[testutil.RaceEnabled]

// rawConn is a RESP connection that returns replies as raw bytes, so tests
// can compare them byte for byte.
type rawConn struct {
	t    testing.TB
	addr string
	c    net.Conn
	r    *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, addr: addr, c: c, r: bufio.NewReaderSize(c, 64*1024)}
}

// encode builds a multibulk request.
func encode(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// send writes raw bytes.
func (rc *rawConn) send(b []byte) {
	rc.t.Helper()
	rc.c.SetWriteDeadline(time.Now().Add(replyTimeout))
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatalf("write to %s: %v", rc.addr, err)
	}
}

// do sends one command and returns its raw reply.
func (rc *rawConn) do(args ...string) string {
	rc.t.Helper()
	rc.send(encode(args...))
	return rc.read()
}

// read reads one whole reply.
func (rc *rawConn) read() string {
	rc.t.Helper()
	s, err := rc.tryRead(replyTimeout)
	if err != nil {
		rc.t.Fatalf("read reply from %s: %v (got %q)", rc.addr, err, s)
	}
	return s
}

func (rc *rawConn) tryRead(d time.Duration) (string, error) {
	rc.c.SetReadDeadline(time.Now().Add(d))
	var b bytes.Buffer
	err := readReply(rc.r, &b)
	return b.String(), err
}

// expectClosed checks the server closes the connection within d (after
// any replies still in flight, which are returned).
func (rc *rawConn) expectClosed(d time.Duration) string {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(d))
	rest, err := io.ReadAll(rc.r)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			rc.t.Fatalf("connection to %s not closed within %v (read %q)", rc.addr, d, rest)
		}
		// A reset also means closed.
	}
	return string(rest)
}

// readReply copies one RESP2/RESP3 reply, nested elements included, from r
// to out.
func readReply(r *bufio.Reader, out *bytes.Buffer) error {
	line, err := r.ReadString('\n')
	out.WriteString(line)
	if err != nil {
		return err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return fmt.Errorf("bad reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', '_', '#', ',', '(':
		return nil
	case '$', '!', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			if strings.HasPrefix(body, "EOF:") {
				return fmt.Errorf("unexpected EOF-marked bulk")
			}
			return fmt.Errorf("bad bulk length %q", line)
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			out.Write(buf)
			return err
		}
		out.Write(buf)
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad aggregate length %q", line)
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(r, out); err != nil {
				return err
			}
		}
		if line[0] == '|' { // an attribute precedes the real reply
			return readReply(r, out)
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", line)
}

// splitCmd splits a command line on spaces; "double quotes" keep spaces
// and allow the empty argument "", and \r \n \xHH escapes inside them.
func splitCmd(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '"' {
			i++
			var b strings.Builder
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					switch s[i+1] {
					case 'r':
						b.WriteByte('\r')
					case 'n':
						b.WriteByte('\n')
					case 'x':
						v, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
						b.WriteByte(byte(v))
						i += 2
					default:
						b.WriteByte(s[i+1])
					}
					i += 2
					continue
				}
				b.WriteByte(s[i])
				i++
			}
			i++ // closing quote
			out = append(out, b.String())
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}

// ctxFor is a context that ends with the test (or after d).
func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns a go-redis client for addr with the given protocol
// (0 = go-redis default, RESP3), closed when the test ends.
func newClient(t testing.TB, addr string, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         addr,
		Protocol:     proto,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		MaxRetries:   -1,
		PoolSize:     4,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// startTandem starts the binary with the DEBUG command enabled (most
// tests want it) plus args.
func startTandem(t testing.TB, args ...string) *testutil.Proc {
	t.Helper()
	return testutil.StartTandem(t, append([]string{"--enable-debug-command", "yes"}, args...)...)
}

// startRedis starts the reference server the same way.
func startRedis(t testing.TB, args ...string) *testutil.Proc {
	t.Helper()
	return testutil.StartRedis(t, append([]string{"--enable-debug-command", "yes"}, args...)...)
}

// infoFields parses an INFO payload into field → value.
func infoFields(info string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			m[k] = v
		}
	}
	return m
}

// sorted returns a sorted copy.
func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// fileContains reports whether path currently contains sub.
func fileContains(path, sub string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), sub)
}

// startServerFile starts bin with a config file as its first argument
// (where redis-server expects it), then the usual test arguments, and
// waits for PING. testutil.StartTandem cannot put a file first.
func startServerFile(t testing.TB, bin, conf string, args ...string) *testutil.Proc {
	t.Helper()
	p := &testutil.Proc{Port: testutil.FreePort(t), Dir: t.TempDir()}
	p.Log = filepath.Join(p.Dir, "server.log")
	full := append([]string{conf, "--port", strconv.Itoa(p.Port), "--bind", "127.0.0.1", "--dir", p.Dir}, args...)
	logf, err := os.Create(p.Log)
	if err != nil {
		t.Fatal(err)
	}
	p.Cmd = exec.Command(bin, full...)
	p.Cmd.Dir = p.Dir
	p.Cmd.Stdout, p.Cmd.Stderr = logf, logf
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { p.Cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			p.Cmd.Process.Kill()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
		}
	})
	if err := testutil.WaitPing(p.Addr(), 10*time.Second); err != nil {
		log, _ := os.ReadFile(p.Log)
		t.Fatalf("server did not start: %v\nlog:\n%s", err, log)
	}
	return p
}

// mustDo runs a go-redis command and fails the test on error.
func mustDo(t testing.TB, ctx context.Context, c *redis.Client, args ...any) any {
	t.Helper()
	v, err := c.Do(ctx, args...).Result()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}
