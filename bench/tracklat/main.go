// Command tracklat measures what client-side caching costs the server on
// reads: GETs of random keys from c connections (one request in flight
// each, like redis-benchmark -P 1), first with plain connections, then
// with connections in RESP3 that turned CLIENT TRACKING ON (default
// mode: the server remembers every key each of them read), alternated for
// a number of rounds. redis-benchmark has no tracking option, hence this
// program; bench/tracking.sh runs it against Redis and Tandem.
//
// -only runs one of the two modes (to profile it). It prints one line per
// run, "mode rps cpu_us", where cpu_us is the
// server's CPU time (user+system, from /proc/<pid>/stat) per GET when
// -pid is given (0 otherwise): on a shared machine that figure moves
// less than the throughput does. Tracked connections skip the
// invalidation pushes they may receive (there are none unless something
// writes the keys).
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	conns := flag.Int("c", 50, "connections")
	n := flag.Int("n", 200000, "GETs per run")
	keys := flag.Int("keys", 100000, "keys read: key:%012d for 0 <= i < keys (as redis-benchmark -r names them)")
	rounds := flag.Int("rounds", 3, "alternated untracked/tracked runs")
	pid := flag.Int("pid", 0, "server pid, for its CPU time (0: not measured)")
	only := flag.String("only", "", "run only this mode (untracked or tracked), e.g. under a profiler")
	flag.Parse()
	for r := 0; r < *rounds; r++ {
		for _, tracked := range []bool{false, true} {
			if *only != "" && (*only == "tracked") != tracked {
				continue
			}
			rps, cpu, err := run(*addr, *conns, *n, *keys, *pid, tracked)
			if err != nil {
				fmt.Println("error:", err)
				os.Exit(1)
			}
			mode := "untracked"
			if tracked {
				mode = "tracked"
			}
			fmt.Printf("%s %.0f %.3f\n", mode, rps, cpu)
		}
	}
}

// cpuTicks is the process's utime+stime in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The fields after the command name (which may hold spaces).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s, nil
}

// clockTick is the kernel's USER_HZ, 100 on every Linux this runs on.
const clockTick = 100

func run(addr string, conns, n, keys, pid int, tracked bool) (rps, cpuUs float64, err error) {
	cs := make([]*client, conns)
	for i := range cs {
		if cs[i], err = dial(addr, tracked); err != nil {
			return 0, 0, err
		}
		defer cs[i].conn.Close()
	}
	var t0 int64
	if pid > 0 {
		if t0, err = cpuTicks(pid); err != nil {
			return 0, 0, err
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i)))
			for j := i; j < n; j += conns {
				k := fmt.Sprintf("key:%012d", rng.Intn(keys))
				if err := c.get(k); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	if pid > 0 {
		t1, err := cpuTicks(pid)
		if err != nil {
			return 0, 0, err
		}
		cpuUs = float64(t1-t0) / clockTick * 1e6 / float64(n)
	}
	return float64(n) / el.Seconds(), cpuUs, nil
}

type client struct {
	conn net.Conn
	r    *bufio.Reader
	buf  []byte
}

func dial(addr string, tracked bool) (*client, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, r: bufio.NewReader(conn)}
	if tracked {
		if err := c.do("HELLO", "3"); err != nil {
			return nil, fmt.Errorf("HELLO 3: %w", err)
		}
		if err := c.do("CLIENT", "TRACKING", "ON"); err != nil {
			return nil, fmt.Errorf("CLIENT TRACKING ON: %w", err)
		}
	}
	return c, nil
}

func (c *client) send(args ...string) error {
	c.buf = append(c.buf[:0], '*')
	c.buf = strconv.AppendInt(c.buf, int64(len(args)), 10)
	c.buf = append(c.buf, '\r', '\n')
	for _, a := range args {
		c.buf = append(c.buf, '$')
		c.buf = strconv.AppendInt(c.buf, int64(len(a)), 10)
		c.buf = append(c.buf, '\r', '\n')
		c.buf = append(c.buf, a...)
		c.buf = append(c.buf, '\r', '\n')
	}
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, err := c.conn.Write(c.buf)
	return err
}

// do sends a command and reads its reply, skipping pushes.
func (c *client) do(args ...string) error {
	if err := c.send(args...); err != nil {
		return err
	}
	for {
		push, err := c.skipReply()
		if err != nil || !push {
			return err
		}
	}
}

func (c *client) get(key string) error { return c.do("GET", key) }

// skipReply reads one whole reply (errors are errors) and says whether it
// was a push.
func (c *client) skipReply() (push bool, err error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return false, err
	}
	if len(line) < 3 {
		return false, fmt.Errorf("bad reply line %q", line)
	}
	switch line[0] {
	case '-', '!':
		return false, errors.New(strings.TrimSpace(line[1:]))
	case '+', ':', ',', '#', '_', '(':
		return false, nil
	case '$', '=':
		n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil || n < 0 {
			return false, err
		}
		_, err = c.r.Discard(n + 2)
		return false, err
	case '*', '%', '~', '>', '|':
		n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil {
			return false, err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if _, err := c.skipReply(); err != nil {
				return false, err
			}
		}
		return line[0] == '>', nil
	}
	return false, fmt.Errorf("unknown reply type %q", line)
}
