// Command streamgroup measures consumer-group throughput: each connection
// reads one entry with XREADGROUP GROUP g c<w> COUNT 1 STREAMS s > and then
// acknowledges it with XACK s g <id>, the pair a worker does per message,
// which redis-benchmark cannot do (XACK takes the ID the read returned).
// Modes:
//
//	-mode load  creates the stream -key with -entries entries of one
//	            16-byte field, and the group g at 0
//	-mode run   -n read+ack pairs over -conns connections
//
// run prints "<pairs per second>"; any error prints "error: …" and exits
// 1. bench/streams.sh runs it against Redis and Tandem.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	mode := flag.String("mode", "run", "load or run")
	key := flag.String("key", "sg", "stream key")
	entries := flag.Int("entries", 300000, "entries to load")
	n := flag.Int("n", 200000, "read+ack pairs (run)")
	conns := flag.Int("conns", 50, "connections")
	flag.Parse()
	var err error
	switch *mode {
	case "load":
		err = load(*addr, *key, *entries)
	case "run":
		var rps float64
		rps, err = run(*addr, *key, *n, *conns)
		if err == nil {
			fmt.Printf("%.0f\n", rps)
		}
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func command(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// reply reads one reply and returns its bulk strings in order (arrays
// flattened, a status or integer as one string); an error reply is an
// error.
func reply(r *bufio.Reader, out []string) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return out, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return out, errors.New("empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return append(out, line[1:]), nil
	case '-':
		return out, errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return out, err
		}
		if n < 0 {
			return out, nil
		}
		buf := make([]byte, n+2)
		if _, err := ioFull(r, buf); err != nil {
			return out, err
		}
		return append(out, string(buf[:n])), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return out, err
		}
		for i := 0; i < n; i++ {
			if out, err = reply(r, out); err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return out, fmt.Errorf("unexpected reply %q", line)
}

func ioFull(r *bufio.Reader, buf []byte) (int, error) {
	got := 0
	for got < len(buf) {
		k, err := r.Read(buf[got:])
		got += k
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

func dial(addr string) (net.Conn, *bufio.Reader, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	return c, bufio.NewReaderSize(c, 64<<10), nil
}

// load (re)creates the stream and its group, 1,000 XADDs per round trip.
func load(addr, key string, entries int) error {
	c, r, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Write(command("DEL", key))
	if _, err := reply(r, nil); err != nil {
		return err
	}
	for i := 0; i < entries; i += 1000 {
		var buf []byte
		m := min(1000, entries-i)
		for j := 0; j < m; j++ {
			buf = append(buf, command("XADD", key, "*", "field", fmt.Sprintf("value-%010d", i+j))...)
		}
		if _, err := c.Write(buf); err != nil {
			return err
		}
		for j := 0; j < m; j++ {
			if _, err := reply(r, nil); err != nil {
				return err
			}
		}
	}
	c.Write(command("XGROUP", "CREATE", key, "g", "0"))
	_, err = reply(r, nil)
	return err
}

// run does n read+ack pairs and returns pairs per second.
func run(addr, key string, n, conns int) (float64, error) {
	per := n / conns
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c, r, err := dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			read := command("XREADGROUP", "GROUP", "g", "c"+strconv.Itoa(w), "COUNT", "1", "STREAMS", key, ">")
			var out []string
			for i := 0; i < per; i++ {
				if _, err := c.Write(read); err != nil {
					errs <- err
					return
				}
				// [[key, [[id, [field, value]]]]] flattened: key id field value.
				if out, err = reply(r, out[:0]); err != nil || len(out) < 2 {
					errs <- fmt.Errorf("XREADGROUP: %v %q (stream exhausted? load more entries)", err, out)
					return
				}
				if _, err := c.Write(command("XACK", key, "g", out[1])); err != nil {
					errs <- err
					return
				}
				if out, err = reply(r, out[:0]); err != nil || len(out) != 1 || out[0] != "1" {
					errs <- fmt.Errorf("XACK: %v %q", err, out)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(per*conns) / elapsed.Seconds(), nil
}
