package testutil

import (
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy is a fault-injecting TCP proxy for links between servers (a
// replica connects to the proxy, the proxy to the master). Faults:
//
//   - Cut closes every current connection (both sides see a reset/EOF);
//   - Refuse makes new connections close at once, so a cut link stays down;
//   - Pause stops moving bytes (buffers fill, the sender's writes block);
//   - Blackhole reads and drops every byte (the sender sees no back-pressure,
//     the receiver sees silence); the connections that lost bytes are cut
//     when it ends;
//   - Delay holds each chunk for a while before passing it on.
//
// Faults apply to both directions. All methods are safe for concurrent use;
// the proxy is closed when the test ends.
type Proxy struct {
	t      testing.TB
	target string
	ln     net.Listener
	Port   int

	mu        sync.Mutex
	cond      *sync.Cond
	conns     map[*proxyConn]struct{}
	paused    bool
	blackhole bool
	refuse    bool
	delay     time.Duration
	accepted  int
	closed    bool
	wg        sync.WaitGroup
}

type proxyConn struct {
	client, server net.Conn
	dropped        bool // (Proxy.mu) a blackhole ate bytes of this connection
}

func (pc *proxyConn) close() {
	pc.client.Close()
	pc.server.Close()
}

// StartProxy listens on a free loopback port and forwards to target
// (host:port).
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, target: target, ln: ln, Port: ln.Addr().(*net.TCPAddr).Port, conns: map[*proxyConn]struct{}{}}
	if p.Port == 6379 { // never take the default port
		ln.Close()
		return StartProxy(t, target)
	}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's listening address.
func (p *Proxy) Addr() string { return fmt.Sprintf("127.0.0.1:%d", p.Port) }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse, closed := p.refuse, p.closed
		p.mu.Unlock()
		if refuse || closed {
			c.Close()
			continue
		}
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		pc := &proxyConn{client: c, server: s}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			pc.close()
			continue
		}
		p.conns[pc] = struct{}{}
		p.accepted++
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pump(pc, c, s)
		go p.pump(pc, s, c)
	}
}

// pump copies src to dst, applying the current faults to each chunk.
func (p *Proxy) pump(pc *proxyConn, src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		pc.close()
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		if !p.waitUnpaused(pc) {
			return
		}
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitUnpaused(pc) {
				return
			}
			p.mu.Lock()
			drop, delay := p.blackhole, p.delay
			if drop {
				pc.dropped = true
			}
			p.mu.Unlock()
			if delay > 0 {
				time.Sleep(delay)
			}
			if !drop {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return // EOF or error: tear down both sides
		}
	}
}

// waitUnpaused blocks while the proxy is paused; false when the connection
// was cut meanwhile.
func (p *Proxy) waitUnpaused(pc *proxyConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.paused && !p.closed {
		if _, ok := p.conns[pc]; !ok {
			return false
		}
		p.cond.Wait()
	}
	_, ok := p.conns[pc]
	return ok && !p.closed
}

// Cut closes every current connection; new ones are still accepted
// (unless Refuse is on).
func (p *Proxy) Cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[*proxyConn]struct{}{}
	p.mu.Unlock()
	for pc := range conns {
		pc.close()
	}
	p.cond.Broadcast()
}

// Refuse makes the proxy close new connections at once (on) or forward
// them again (off).
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// Down cuts every connection and refuses new ones until Up.
func (p *Proxy) Down() {
	p.Refuse(true)
	p.Cut()
}

// Up accepts connections again (after Down or Refuse).
func (p *Proxy) Up() { p.Refuse(false) }

// Pause stops (on) or resumes (off) moving bytes in both directions.
// Connections stay open; what was sent meanwhile is delivered on resume.
func (p *Proxy) Pause(on bool) {
	p.mu.Lock()
	p.paused = on
	p.mu.Unlock()
	p.cond.Broadcast()
}

// Blackhole drops every byte read (on) or forwards them again (off). TCP
// never loses bytes silently, so turning it off cuts the connections that
// lost some (forwarding more would hand the peer a corrupt stream).
func (p *Proxy) Blackhole(on bool) {
	p.mu.Lock()
	p.blackhole = on
	var cut []*proxyConn
	if !on {
		for pc := range p.conns {
			if pc.dropped {
				cut = append(cut, pc)
				delete(p.conns, pc)
			}
		}
	}
	p.mu.Unlock()
	for _, pc := range cut {
		pc.close()
	}
	p.cond.Broadcast()
}

// SetDelay holds each chunk for d before forwarding it (0 = none).
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Conns is the number of open proxied connections.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Accepted is the number of connections forwarded so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Close stops the proxy and its connections and waits for its goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.Cut()
	p.cond.Broadcast()
	p.wg.Wait()
}

// EchoServer listens on a free port of 127.0.0.1 and sends back every
// byte it receives (a target for proxy tests); it stops with the test.
func EchoServer(t testing.TB) string {
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
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}
