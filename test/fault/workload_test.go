package fault

// Writers: each finds the master through Sentinel, writes, and records
// every write it was told succeeded.
//
// Sessions resolve the master with SENTINEL GET-MASTER-ADDR-BY-NAME (the
// first Sentinel that answers), again after every error but NOREPLICAS
// and whenever a Sentinel publishes +switch-master — what Sentinel-aware
// clients such as go-redis's failover client do. The suite keeps its own
// resolver rather than go-redis's so that every acknowledgement names the
// node that gave it (an isolated old master's acks are reported apart).

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// mode is a write mode of the table.
type mode struct {
	name string
	wait int // WAIT for this many replicas after each SET (0 = async)
}

var (
	modeAsync   = mode{name: "async"}
	modeWait1   = mode{name: "wait1", wait: 1}
	modeWaitAll = mode{name: "waitall", wait: 2} // every replica of the group
)

// waitTimeout is the WAIT timeout in milliseconds.
const waitTimeout = 1000

// ack is one write a client was told succeeded.
type ack struct {
	key, val string
	at       time.Time
	node     string // announced address of the node that acknowledged it
}

// switchWatch follows +switch-master from every Sentinel: gen counts the
// messages and addr is the newest master they named. Clients take the
// address from the message itself (as go-redis and Jedis do): asking a
// Sentinel again could reach one that has not switched yet.
type switchWatch struct {
	mu   sync.Mutex
	gen  int64
	addr string
	subs []*redis.PubSub
	wg   sync.WaitGroup
}

func (g *group) watchSwitches() *switchWatch {
	w := &switchWatch{}
	for _, c := range g.sc {
		ps := c.Subscribe(ctxBG, "+switch-master")
		w.subs = append(w.subs, ps)
		ch := ps.Channel()
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for msg := range ch {
				// <name> <old ip> <old port> <new ip> <new port>
				f := strings.Fields(msg.Payload)
				if len(f) != 5 || f[0] != masterName {
					continue
				}
				w.mu.Lock()
				w.gen++
				w.addr = f[3] + ":" + f[4]
				w.mu.Unlock()
			}
		}()
	}
	return w
}

// latest returns the number of switches seen and the newest master named.
func (w *switchWatch) latest() (int64, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gen, w.addr
}

func (w *switchWatch) close() {
	for _, ps := range w.subs {
		ps.Close()
	}
	w.wg.Wait()
}

// session is one client's view of the master: a connection to the node
// Sentinel named, dropped when something says the master moved.
type session struct {
	g       *group
	sw      *switchWatch
	first   int // the Sentinel asked first (spreads the load)
	gen     int64
	pub     string // announced address of the current master ("" = resolve)
	clients map[string]*redis.Client
}

func newSession(g *group, sw *switchWatch, first int) *session {
	return &session{g: g, sw: sw, first: first, clients: map[string]*redis.Client{}}
}

// conn returns a client for the current master, resolving it first when
// needed; nil when no Sentinel answers.
func (s *session) conn() (*redis.Client, string) {
	if gen, addr := s.sw.latest(); gen != s.gen {
		s.gen, s.pub = gen, addr
	}
	if s.pub == "" {
		for i := range s.g.sc {
			if a, err := s.g.sentinelMaster((s.first + i) % len(s.g.sc)); err == nil {
				s.pub = a
				break
			}
		}
		if s.pub == "" {
			return nil, ""
		}
	}
	c := s.clients[s.pub]
	if c == nil {
		c = redis.NewClient(&redis.Options{Addr: s.g.direct(s.pub), Protocol: 2,
			DialTimeout: 500 * time.Millisecond, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
			MaxRetries: -1, PoolSize: 1, DialerRetries: 1})
		s.clients[s.pub] = c
	}
	return c, s.pub
}

// failed notes an error: every error but NOREPLICAS makes the next command
// ask Sentinel again.
func (s *session) failed(err error) {
	if !isNoReplicas(err) {
		s.pub = ""
	}
}

func (s *session) close() {
	for _, c := range s.clients {
		c.Close()
	}
}

func isNoReplicas(err error) bool {
	var re redis.Error
	return errors.As(err, &re) && len(re.Error()) >= 10 && re.Error()[:10] == "NOREPLICAS"
}

// certainlyFailed reports whether err proves the command did not take
// effect: the server refused it with an error reply, or the connection
// could not even be made. Timeouts and broken connections prove nothing.
func certainlyFailed(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op == "dial"
	}
	var re redis.Error
	return errors.As(err, &re) && !errors.Is(err, redis.Nil)
}

// pacer spaces a writer's commands at most rate per second (0 = no limit).
type pacer struct {
	every time.Duration
	next  time.Time
}

func newPacer(rate int) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	return &pacer{every: time.Second / time.Duration(rate)}
}

func (p *pacer) wait() {
	if p.every == 0 {
		return
	}
	now := time.Now()
	if p.next.After(now) {
		time.Sleep(p.next.Sub(now))
		now = p.next
	}
	p.next = now.Add(p.every)
}

// writer writes unique keys in one mode and records what was acknowledged.
type writer struct {
	m        mode
	id       int
	prefix   string
	sess     *session
	rate     int
	acks     []ack
	attempts int
	errs     map[string]int // first words of the errors seen, counted
}

func (w *writer) run(stop <-chan struct{}) {
	p := newPacer(w.rate)
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return
		default:
		}
		p.wait()
		c, pub := w.sess.conn()
		if c == nil {
			w.note(errors.New("NOSENTINEL no Sentinel answered"))
			time.Sleep(50 * time.Millisecond)
			continue
		}
		key := fmt.Sprintf("%s:%s:%d:%d", w.prefix, w.m.name, w.id, seq)
		val := strconv.Itoa(seq)
		w.attempts++
		ctx, cancel := ctxOp()
		err := c.Set(ctx, key, val, 0).Err()
		if err == nil && w.m.wait > 0 {
			var n int64
			n, err = c.Do(ctx, "WAIT", w.m.wait, waitTimeout).Int64()
			if err == nil && n < int64(w.m.wait) {
				err = fmt.Errorf("%w %d of %d replicas", errWaitShort, n, w.m.wait)
			}
		}
		cancel()
		if err == nil {
			w.acks = append(w.acks, ack{key: key, val: val, at: time.Now(), node: pub})
			continue
		}
		w.note(err)
		if !errors.Is(err, errWaitShort) {
			// A short WAIT says nothing about who the master is: if it
			// moved, +switch-master will say so.
			w.sess.failed(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// errWaitShort: WAIT answered fewer replicas than the mode asks for, so
// the write was not acknowledged (it may still survive).
var errWaitShort = errors.New("WAITSHORT")

var ctxBG = context.Background()

// ctxOp bounds one command (the client's own timeouts are shorter).
func ctxOp() (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctxBG, 5*time.Second)
}

func (w *writer) note(err error) {
	s := err.Error()
	if i := indexSpace(s); i > 0 {
		s = s[:i]
	}
	w.errs[s]++
}

func indexSpace(s string) int {
	for i := 0; i < len(s) && i < 40; i++ {
		if s[i] == ' ' || s[i] == ':' {
			return i
		}
	}
	return min(len(s), 40)
}

// regOp is one operation on the single register, for porcupine.
type regOp struct {
	write bool
	val   string
}

// registerClient reads and writes one key at random (seeded), recording a
// history for the linearizability check. A write that failed with an
// error reply certainly did not happen and is left out; one that timed out
// or lost its connection may have, so it stays in the history with no
// return (it may take effect at any later time).
type registerClient struct {
	id    int
	key   string
	sess  *session
	rng   *rand.Rand
	rate  int
	t0    time.Time
	hist  []regOpRecord
	count int
}

type regOpRecord struct {
	op       regOp
	out      string
	call     int64
	ret      int64
	clientID int
}

func (r *registerClient) run(stop <-chan struct{}) {
	p := newPacer(r.rate)
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		p.wait()
		c, _ := r.sess.conn()
		if c == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		op := regOp{write: r.rng.Intn(2) == 0}
		if op.write {
			op.val = fmt.Sprintf("c%d-%d", r.id, n)
		}
		ctx, cancel := ctxOp()
		call := time.Since(r.t0).Nanoseconds()
		var out string
		var err error
		if op.write {
			err = c.Set(ctx, r.key, op.val, 0).Err()
		} else {
			out, err = c.Get(ctx, r.key).Result()
			if errors.Is(err, redis.Nil) {
				out, err = "", nil
			}
		}
		ret := time.Since(r.t0).Nanoseconds()
		cancel()
		r.count++
		switch {
		case err == nil:
			r.hist = append(r.hist, regOpRecord{op: op, out: out, call: call, ret: ret, clientID: r.id})
		case op.write && !certainlyFailed(err):
			r.hist = append(r.hist, regOpRecord{op: op, call: call, ret: math.MaxInt64, clientID: r.id})
		}
		if err != nil {
			r.sess.failed(err)
			time.Sleep(10 * time.Millisecond)
		}
	}
}
