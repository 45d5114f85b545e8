// Command lazyfree measures whether freeing a big value stalls a server:
// it fills one key with n elements (a set by SADD, or a hash by HSET, in
// pipelined batches), then, while a second connection sends PING in a
// loop (one in flight), deletes the key with DEL, UNLINK or FLUSHALL
// ASYNC, and keeps pinging for a while after the reply (a collector or a
// background free thread may still be at work then). It prints one line
// per run:
//
//	kind how n cmd_ms maxping_ms pings
//
// cmd_ms is how long the deleting command took as its client saw it,
// maxping_ms the longest PING round trip from just before the command
// until -after past its reply: the stall another client sees.
// bench/lazyfree.sh runs it against Redis and Tandem.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	n := flag.Int("n", 10_000_000, "elements in the big value")
	kind := flag.String("kind", "set", "set or hash")
	how := flag.String("how", "del", "del, unlink or flushall-async")
	after := flag.Duration("after", time.Second, "how long to keep pinging after the reply")
	flag.Parse()
	if err := run(*addr, *n, *kind, *how, *after); err != nil {
		fmt.Fprintln(os.Stderr, "lazyfree:", err)
		os.Exit(1)
	}
}

func run(addr string, n int, kind, how string, after time.Duration) error {
	ctl, err := dial(addr)
	if err != nil {
		return err
	}
	defer ctl.Close()
	if _, err := ctl.do("FLUSHALL"); err != nil {
		return err
	}
	if err := fill(ctl, kind, n); err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	var cmd []string
	switch how {
	case "del":
		cmd = []string{"DEL", "big"}
	case "unlink":
		cmd = []string{"UNLINK", "big"}
	case "flushall-async":
		cmd = []string{"FLUSHALL", "ASYNC"}
	default:
		return fmt.Errorf("unknown -how %q", how)
	}

	pinger, err := dial(addr)
	if err != nil {
		return err
	}
	defer pinger.Close()
	var stop atomic.Bool
	type result struct {
		max   time.Duration
		pings int
		err   error
	}
	done := make(chan result, 1)
	started := make(chan struct{})
	go func() {
		var r result
		first := true
		for !stop.Load() {
			t := time.Now()
			if _, err := pinger.do("PING"); err != nil {
				r.err = err
				break
			}
			r.max = max(r.max, time.Since(t))
			r.pings++
			if first {
				close(started)
				first = false
			}
		}
		done <- r
	}()
	<-started
	time.Sleep(50 * time.Millisecond) // pings before the command count too
	t := time.Now()
	if _, err := ctl.do(cmd...); err != nil {
		return err
	}
	cmdTime := time.Since(t)
	time.Sleep(after)
	stop.Store(true)
	r := <-done
	if r.err != nil {
		return fmt.Errorf("ping: %w", r.err)
	}
	fmt.Printf("%s %s %d %.2f %.2f %d\n", kind, how, n, ms(cmdTime), ms(r.max), r.pings)
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fill writes n elements into key "big", 1000 per command, 64 commands in
// flight.
func fill(c *conn, kind string, n int) error {
	const per, depth = 1000, 64
	inFlight := 0
	for i := 0; i < n; i += per {
		args := []string{"SADD", "big"}
		if kind == "hash" {
			args[0] = "HSET"
		}
		for j := i; j < min(n, i+per); j++ {
			m := "m:" + strconv.Itoa(j)
			args = append(args, m)
			if kind == "hash" {
				args = append(args, "v")
			}
		}
		c.send(args...)
		inFlight++
		if inFlight == depth {
			if err := c.w.Flush(); err != nil {
				return err
			}
			for ; inFlight > depth/2; inFlight-- {
				if _, err := c.reply(); err != nil {
					return err
				}
			}
		}
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	for ; inFlight > 0; inFlight-- {
		if _, err := c.reply(); err != nil {
			return err
		}
	}
	return nil
}

type conn struct {
	net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func dial(addr string) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: nc, r: bufio.NewReaderSize(nc, 64<<10), w: bufio.NewWriterSize(nc, 64<<10)}, nil
}

func (c *conn) send(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *conn) do(args ...string) (string, error) {
	c.send(args...)
	if err := c.w.Flush(); err != nil {
		return "", err
	}
	return c.reply()
}

// reply reads one simple reply (status, error, integer or bulk).
func (c *conn) reply() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case line == "":
		return "", errors.New("empty reply line")
	case line[0] == '-':
		return "", errors.New(line[1:])
	case line[0] == '$':
		size, _ := strconv.Atoi(line[1:])
		if size < 0 {
			return "", nil
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return "", err
		}
		return string(buf[:size]), nil
	}
	return line[1:], nil
}
