// Command dumprestore measures DUMP and RESTORE throughput on hashes of
// about 1 KB (16 fields of 56 random letters: the listpack encoding in Redis 7.0
// and in Tandem), which redis-benchmark cannot do since RESTORE takes a
// binary payload. Modes:
//
//	-mode load     writes -keys hashes dr:0 … dr:<keys-1>
//	-mode dump     DUMPs random keys: -n requests over -conns connections,
//	               -pipeline requests in flight per connection
//	-mode restore  fetches each key's payload once, then RESTOREs random
//	               keys with REPLACE the same way
//
// dump and restore print "<requests per second> <payload bytes>"; any
// error prints "error: …" and exits 1. bench/dumprestore.sh runs it
// against Redis and Tandem.
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
	mode := flag.String("mode", "dump", "load, dump or restore")
	keys := flag.Int("keys", 10000, "number of hashes")
	n := flag.Int("n", 200000, "requests (dump, restore)")
	conns := flag.Int("conns", 50, "connections")
	pipeline := flag.Int("pipeline", 1, "requests in flight per connection")
	flag.Parse()
	var err error
	switch *mode {
	case "load":
		err = load(*addr, *keys)
	case "dump", "restore":
		var rps float64
		var size int
		rps, size, err = measure(*addr, *mode, *keys, *n, *conns, max(*pipeline, 1))
		if err == nil {
			fmt.Printf("%.0f %d\n", rps, size)
		}
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

// command encodes a request.
func command(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// reply reads one reply: a status, an integer or a bulk string (nil bulk
// as ""); an error reply is returned as an error.
func reply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := readFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

func readFull(r *bufio.Reader, buf []byte) (int, error) {
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

func key(i int) string { return "dr:" + strconv.Itoa(i) }

// load writes the hashes, 100 per round trip.
func load(addr string, keys int) error {
	c, r, err := dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	// Random letters: values LZF cannot shrink, as most real data.
	rng := rand.New(rand.NewSource(1))
	val := func() string {
		b := make([]byte, 56)
		for i := range b {
			b[i] = byte('a' + rng.Intn(26))
		}
		return string(b)
	}
	for i := 0; i < keys; i += 100 {
		var buf []byte
		m := min(100, keys-i)
		for j := 0; j < m; j++ {
			args := []string{"HSET", key(i + j)}
			for f := 0; f < 16; f++ {
				args = append(args, fmt.Sprintf("field-%02d", f), val())
			}
			buf = append(buf, command(args...)...)
		}
		if _, err := c.Write(buf); err != nil {
			return err
		}
		for j := 0; j < m; j++ {
			if _, err := reply(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// measure runs n DUMP or RESTORE requests and returns requests per second
// and the size of one payload.
func measure(addr, mode string, keys, n, conns, pipeline int) (float64, int, error) {
	var payloads []string
	if mode == "restore" {
		c, r, err := dial(addr)
		if err != nil {
			return 0, 0, err
		}
		payloads = make([]string, keys)
		for i := range payloads {
			c.Write(command("DUMP", key(i)))
			if payloads[i], err = reply(r); err != nil || payloads[i] == "" {
				c.Close()
				return 0, 0, fmt.Errorf("DUMP %s: %q %v (load first)", key(i), payloads[i], err)
			}
		}
		c.Close()
	}
	per := n / conns
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	size := 0
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
			rng := rand.New(rand.NewSource(int64(w)))
			var buf []byte
			for done := 0; done < per; {
				m := min(pipeline, per-done)
				buf = buf[:0]
				for j := 0; j < m; j++ {
					i := rng.Intn(keys)
					if mode == "dump" {
						buf = append(buf, command("DUMP", key(i))...)
					} else {
						buf = append(buf, command("RESTORE", key(i), "0", payloads[i], "REPLACE")...)
					}
				}
				if _, err := c.Write(buf); err != nil {
					errs <- err
					return
				}
				for j := 0; j < m; j++ {
					v, err := reply(r)
					if err != nil {
						errs <- fmt.Errorf("%s: %v", mode, err)
						return
					}
					if mode == "dump" && v == "" {
						errs <- errors.New("DUMP of a missing key (load first)")
						return
					}
					if w == 0 && size == 0 {
						size = len(v)
					}
				}
				done += m
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	if mode == "restore" {
		size = len(payloads[0])
	}
	return float64(per*conns) / elapsed.Seconds(), size, nil
}
