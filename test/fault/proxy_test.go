package fault

import (
	"bytes"
	"net"
	"sync"
	"time"
)

// faultProxy forwards TCP connections to one node and injects faults into
// them. It is the node's public address: Sentinel, and replicas
// reconfigured by Sentinel, reach the node only through it (see doc.go).
//
// A connection that carried a PSYNC or SYNC from its client is a
// replication link; faults apply either to every connection or to
// replication links only (scope), so a link flap can break replication
// while Sentinel still sees the node.
//
// Unlike a cut, a blackhole behaves like a partition: bytes are read and
// dropped, a side that closes is not told to the other side, and new
// connections are accepted but never reach the node. Heal ends the
// blackhole and closes every connection that lost bytes or a close (TCP
// never loses bytes silently, so forwarding more would corrupt the
// stream).
type faultProxy struct {
	ln     net.Listener
	target string
	port   int

	mu        sync.Mutex
	conns     map[*proxyConn]struct{}
	blackhole scope         // which connections lose their bytes
	delay     time.Duration // how long each chunk waits before it is forwarded
	delayOn   scope
	closed    bool
	wg        sync.WaitGroup
}

// scope says which connections a fault applies to.
type scope int

const (
	scopeNone scope = iota
	scopeAll
	scopeRepl // replication links only
)

func (s scope) covers(pc *proxyConn) bool {
	return s == scopeAll || (s == scopeRepl && pc.repl)
}

type proxyConn struct {
	client net.Conn
	server net.Conn // nil for a connection held in a blackhole
	// (faultProxy.mu)
	repl    bool // the client sent PSYNC or SYNC
	damaged bool // bytes or a close were swallowed by a blackhole
}

func (pc *proxyConn) close() {
	pc.client.Close()
	if pc.server != nil {
		pc.server.Close()
	}
}

// listenProxy opens the proxy's listener on a free loopback port; it
// forwards nothing until start. Splitting the two lets a node be told its
// announced port before it is started.
func listenProxy() (*faultProxy, error) {
	for i := 0; i < 20; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if port == 6379 { // never the default port
			ln.Close()
			continue
		}
		return &faultProxy{ln: ln, port: port, conns: map[*proxyConn]struct{}{}}, nil
	}
	return nil, net.ErrClosed
}

// addr is the proxy's listening address (the node's announced address).
func (p *faultProxy) addr() string { return p.ln.Addr().String() }

// start forwards connections to target from now on.
func (p *faultProxy) start(target string) {
	p.target = target
	p.wg.Add(1)
	go p.accept()
}

func (p *faultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		pc := &proxyConn{client: c}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		if p.blackhole == scopeAll {
			// A partition: the connect "succeeds" (as a SYN would if the
			// far side were merely slow) but nothing ever answers.
			pc.damaged = true
			p.conns[pc] = struct{}{}
			p.wg.Add(1)
			p.mu.Unlock()
			go p.drain(pc)
			continue
		}
		p.mu.Unlock()
		s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		pc.server = s
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			pc.close()
			return
		}
		p.conns[pc] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pump(pc, c, s, true)
		go p.pump(pc, s, c, false)
	}
}

// drain reads and drops what a client held in a blackhole sends, until
// Heal or Close closes it.
func (p *faultProxy) drain(pc *proxyConn) {
	defer p.wg.Done()
	buf := make([]byte, 16<<10)
	for {
		if _, err := pc.client.Read(buf); err != nil {
			return
		}
	}
}

// pump copies src to dst, applying the faults in force to each chunk.
// toServer is the client-to-node direction, where replication links are
// recognised.
func (p *faultProxy) pump(pc *proxyConn, src, dst net.Conn, toServer bool) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			if toServer && !pc.repl && isSyncCommand(buf[:n]) {
				pc.repl = true
			}
			// A connection that lost bytes never forwards again, even in
			// the moment between Heal lifting the blackhole and closing
			// it: the bytes after a gap would reach the node as a corrupt
			// stream (a replica then discards its master and full-syncs,
			// which is the harness's doing, not the server's).
			drop := p.blackhole.covers(pc) || pc.damaged
			if drop {
				pc.damaged = true
			}
			var delay time.Duration
			if p.delayOn.covers(pc) {
				delay = p.delay
			}
			p.mu.Unlock()
			if delay > 0 {
				time.Sleep(delay)
			}
			if !drop {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					p.forget(pc)
					return
				}
			}
		}
		if err != nil {
			p.mu.Lock()
			swallow := p.blackhole.covers(pc) && !p.closed
			if swallow {
				// The close does not cross the partition: the other
				// side learns of it when Heal cuts the connection.
				pc.damaged = true
			}
			p.mu.Unlock()
			if !swallow {
				p.forget(pc)
			}
			return
		}
	}
}

// isSyncCommand reports whether a chunk from a client holds a PSYNC or SYNC
// command (as a RESP bulk or inline), which makes its connection a
// replication link.
func isSyncCommand(b []byte) bool {
	u := bytes.ToUpper(b)
	return bytes.Contains(u, []byte("\r\nPSYNC\r\n")) || bytes.Contains(u, []byte("\r\nSYNC\r\n")) ||
		bytes.HasPrefix(u, []byte("PSYNC ")) || bytes.HasPrefix(u, []byte("SYNC\r\n"))
}

// forget closes a connection and drops it from the table.
func (p *faultProxy) forget(pc *proxyConn) {
	pc.close()
	p.mu.Lock()
	delete(p.conns, pc)
	p.mu.Unlock()
}

// Blackhole starts a partition of the connections in s (scopeAll also
// holds new connections). It lasts until Heal.
func (p *faultProxy) Blackhole(s scope) {
	p.mu.Lock()
	p.blackhole = s
	p.mu.Unlock()
}

// Delay holds every chunk of the connections in s for d (0 ends it).
func (p *faultProxy) Delay(s scope, d time.Duration) {
	p.mu.Lock()
	p.delayOn, p.delay = s, d
	p.mu.Unlock()
}

// Heal ends a blackhole and a delay and closes the connections that lost
// bytes or a close meanwhile.
func (p *faultProxy) Heal() {
	p.mu.Lock()
	p.blackhole, p.delayOn, p.delay = scopeNone, scopeNone, 0
	var cut []*proxyConn
	for pc := range p.conns {
		if pc.damaged {
			cut = append(cut, pc)
			delete(p.conns, pc)
		}
	}
	p.mu.Unlock()
	for _, pc := range cut {
		pc.close()
	}
}

// Cut closes the connections in s at once (both sides see the close).
func (p *faultProxy) Cut(s scope) int {
	p.mu.Lock()
	var cut []*proxyConn
	for pc := range p.conns {
		if s.covers(pc) {
			cut = append(cut, pc)
			delete(p.conns, pc)
		}
	}
	p.mu.Unlock()
	for _, pc := range cut {
		pc.close()
	}
	return len(cut)
}

// replLinks is the number of open replication links through the proxy.
func (p *faultProxy) replLinks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for pc := range p.conns {
		if pc.repl {
			n++
		}
	}
	return n
}

// Close stops the proxy and waits for its goroutines.
func (p *faultProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	conns := p.conns
	p.conns = map[*proxyConn]struct{}{}
	p.mu.Unlock()
	p.ln.Close()
	for pc := range conns {
		pc.close()
	}
	p.wg.Wait()
}
