// Command waitlat measures what a client that wants its writes on replicas
// pays: N times, one SET then WAIT numreplicas timeout, timed together, on
// one connection. It prints "p50 p90 p99 max" in milliseconds, or an error
// line when a WAIT came back with fewer replicas than asked (the figure
// would then time the timeout, not replication). bench/wait.sh runs it
// against Redis and Tandem.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "master address")
	n := flag.Int("n", 10000, "SET+WAIT pairs")
	replicas := flag.Int("replicas", 1, "WAIT's numreplicas")
	timeout := flag.Int("timeout", 1000, "WAIT's timeout in ms")
	flag.Parse()
	if err := run(*addr, *n, *replicas, *timeout); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func run(addr string, n, replicas, timeout int) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	lat := make([]time.Duration, 0, n)
	wait := command("WAIT", strconv.Itoa(replicas), strconv.Itoa(timeout))
	for i := 0; i < n; i++ {
		set := command("SET", "waitlat:"+strconv.Itoa(i%1000), strconv.Itoa(i))
		start := time.Now()
		conn.SetDeadline(start.Add(time.Duration(timeout)*time.Millisecond + 10*time.Second))
		if _, err := conn.Write(append(set, wait...)); err != nil {
			return err
		}
		if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
			return fmt.Errorf("SET: %q %v", line, err)
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
		got, err := strconv.Atoi(line[1 : len(line)-2])
		if line[0] != ':' || err != nil || got < replicas {
			return fmt.Errorf("WAIT %d answered %q", replicas, line)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(q float64) string {
		return strconv.FormatFloat(float64(lat[int(q*float64(len(lat)-1))])/1e6, 'f', 3, 64)
	}
	fmt.Println(ms(0.5), ms(0.9), ms(0.99), ms(1))
	return nil
}

// command is a request in RESP.
func command(args ...string) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b
}
