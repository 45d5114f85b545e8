package gobench

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tandemdb/tandem"
)

// BenchmarkServer drives an embedded Tandem server over loopback TCP the
// way redis-benchmark does: C connections, each sending P requests (one
// write) and reading the P replies before the next batch. ns/op is wall
// time per request across all connections, so req/s = 1e9 / ns/op. The
// client side is kept minimal (pre-encoded requests, replies checked by
// length and once by content) so a CPU profile of this benchmark is
// dominated by the server:
//
//	go test -run '^$' -bench 'Server/SET/P1/c50$' -cpuprofile cpu.prof ./bench/gobench
//	go tool pprof -top gobench.test cpu.prof
func BenchmarkServer(b *testing.B) {
	for _, cmd := range []string{"SET", "GET"} {
		for _, p := range []int{1, 16} {
			for _, c := range []int{50, 300} {
				b.Run(fmt.Sprintf("%s/P%d/c%d", cmd, p, c), func(b *testing.B) {
					benchServer(b, cmd, p, c)
				})
			}
		}
	}
}

func benchServer(b *testing.B, cmd string, pipeline, conns int) {
	srv, err := tandem.Start(tandem.Config{Directives: [][]string{{"save", ""}, {"appendonly", "no"}}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()

	var req, reply []byte
	switch cmd {
	case "SET":
		req = setCommand()
		reply = []byte("+OK\r\n")
	case "GET":
		req = []byte("*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000042\r\n")
		reply = []byte("$16\r\nxxxxxxxxxxxxxxxx\r\n")
	}
	batch := bytes.Repeat(req, pipeline)
	replies := bytes.Repeat(reply, pipeline)

	cs := make([]net.Conn, conns)
	for i := range cs {
		if cs[i], err = net.Dial("tcp", srv.Addr()); err != nil {
			b.Fatal(err)
		}
		defer cs[i].Close()
	}
	// Seed the key GET reads, and check each connection works.
	for _, c := range cs {
		if _, err := c.Write(setCommand()); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "+OK\r\n" {
			b.Fatalf("seed: %q %v", buf, err)
		}
	}

	// Work is handed out in batches from a shared counter so that every
	// connection stays busy until the end.
	batches := int64((b.N + pipeline - 1) / pipeline)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for _, c := range cs {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			buf := make([]byte, len(replies))
			checked := false
			for next.Add(1) <= batches {
				if _, err := c.Write(batch); err != nil {
					failed.Store(err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					failed.Store(err)
					return
				}
				if !checked {
					if !bytes.Equal(buf, replies) {
						failed.Store(fmt.Errorf("unexpected reply %q", buf))
						return
					}
					checked = true
				}
			}
		}(c)
	}
	wg.Wait()
	b.StopTimer()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
