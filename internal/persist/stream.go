package persist

import (
	"io"
	"sync"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/rdb"
)

// Aux is an RDB AUX field.
type Aux struct{ Key, Value string }

// StreamOptions configure one RDB stream.
type StreamOptions struct {
	Encode rdb.EncodeOptions
	// Aux returns the AUX fields, called at the snapshot instant with the
	// lock held (so repl-offset matches the instant exactly).
	Aux func() []Aux
	// Functions returns the function libraries' codes, called at the
	// snapshot instant with the lock held (nil: none).
	Functions func() [][]byte
	// AtInstant, if set, runs at the snapshot instant with the lock held.
	AtInstant func()
	// MaxPending bounds the bytes produced and not yet written before the
	// walker pauses (writes racing the walker can still add captured keys).
	MaxPending int
	// StepBuckets is how many table buckets the walker visits per lock hold.
	StepBuckets int
	// InLoop, if set, offers the walk to the server's event loop (it
	// returns nil when there is none). Never for a stream whose caller
	// holds the lock throughout (SAVE): the loop could not run it.
	InLoop func(step func(deadline time.Time) bool) LoopHandle
}

// StreamResult describes a finished stream.
type StreamResult struct {
	Keys        int64 // keys written
	Captured    int64 // of which handed over by writes ahead of the walker
	Bytes       int64 // total bytes written
	PeakPending int   // largest amount of output waiting at once
}

// pending collects encoder output until the streamer drains it.
type pending struct{ b []byte }

func (p *pending) Write(b []byte) (int, error) { p.b = append(p.b, b...); return len(b), nil }

// sink encodes every key the snapshot hands over, as it is handed over.
type sink struct {
	ks    *keyspace.Keyspace
	enc   *rdb.Encoder
	out   *pending
	curDB int
	sizes [][2]int
	ent   rdb.Entry
	err   error
}

func (s *sink) Key(db int, e *keyspace.Entry, expireAt int64) {
	if s.err != nil {
		return
	}
	if db != s.curDB {
		if s.err = s.enc.SelectDB(db); s.err != nil {
			return
		}
		if db < len(s.sizes) && s.sizes[db] != [2]int{} {
			s.err = s.enc.ResizeDB(uint64(s.sizes[db][0]), uint64(s.sizes[db][1]))
			s.sizes[db] = [2]int{} // hint once per database
		}
		s.curDB = db
	}
	if s.err = toRDB(db, e, expireAt, &s.ent); s.err != nil {
		return
	}
	// The idle time or LFU counter, as Redis saves them under an LRU or
	// LFU policy (read now, with the lock held, as the value is).
	s.ent.LRU = rdb.LRUInfo{}
	if idle, freq := s.ks.SavedAccess(e); idle >= 0 {
		s.ent.LRU.HasIdle, s.ent.LRU.Idle = true, uint64(idle)
	} else if freq >= 0 {
		s.ent.LRU.HasFreq, s.ent.LRU.Freq = true, uint8(freq)
	}
	s.err = s.enc.WriteEntry(&s.ent)
}

// Stream writes a point-in-time RDB of ks to w. mu is the server lock: the
// snapshot is taken and walked with it held, in steps, and the output is
// written with it released, so clients keep running throughout. Memory is
// bounded by MaxPending plus whatever racing writes capture.
func Stream(mu sync.Locker, ks *keyspace.Keyspace, w io.Writer, opts StreamOptions) (StreamResult, error) {
	mu.Lock()
	st, err := BeginStream(ks, w, opts)
	mu.Unlock()
	if err != nil {
		return StreamResult{}, err
	}
	return st.Run(mu)
}

// Streamer is a stream whose snapshot is taken: Run walks and writes it.
type Streamer struct {
	snap *keyspace.Snapshot
	sk   *sink
	out  *pending
	w    io.Writer
	opts StreamOptions
	// With the walk on the event loop: walked is set (lock held) once it
	// is complete; ready signals Run that output (or the end) is there.
	walked bool
	ready  chan struct{}
}

// BeginStream takes the snapshot (lock held): the stream's point in time
// is now, whenever Run goes on to write it. BGSAVE begins under its own
// command, as Redis forks before it replies.
func BeginStream(ks *keyspace.Keyspace, w io.Writer, opts StreamOptions) (*Streamer, error) {
	if opts.MaxPending <= 0 {
		opts.MaxPending = 1 << 20
	}
	if opts.StepBuckets <= 0 {
		opts.StepBuckets = 64
	}
	out := &pending{}
	sk := &sink{ks: ks, out: out, curDB: -1}
	sk.enc = rdb.NewEncoder(out, opts.Encode)
	snap := ks.Snapshot(sk)
	if snap == nil {
		return nil, ErrSnapshotRunning
	}
	if opts.AtInstant != nil {
		opts.AtInstant()
	}
	sk.sizes = snap.Sizes()
	err := sk.enc.Header()
	if err == nil && opts.Aux != nil {
		for _, a := range opts.Aux() {
			if err = sk.enc.Aux(a.Key, a.Value); err != nil {
				break
			}
		}
	}
	if err == nil && opts.Functions != nil {
		for _, code := range opts.Functions() {
			if err = sk.enc.Function(code); err != nil {
				break
			}
		}
	}
	if err != nil {
		snap.Abort()
		return nil, err
	}
	return &Streamer{snap: snap, sk: sk, out: out, w: w, opts: opts}, nil
}

// Abort drops a begun stream that will not run (lock held).
func (st *Streamer) Abort() { st.snap.Abort() }

// LoopHandle is a walk handed to the server's event loop (server.LoopTask).
type LoopHandle interface {
	Wake()
	Remove()
	Stopped() <-chan struct{}
}

// Run walks the snapshot and writes it. The walk runs in steps under mu:
// on the server's event loop, between its rounds of clients, when
// opts.InLoop takes it; otherwise on this goroutine. The writing always
// happens here, without the lock.
func (st *Streamer) Run(mu sync.Locker) (StreamResult, error) {
	snap, sk, out, w, opts := st.snap, st.sk, st.out, st.w, st.opts
	var lt LoopHandle
	if opts.InLoop != nil {
		st.ready = make(chan struct{}, 1)
		lt = opts.InLoop(st.loopStep)
	}
	if lt != nil {
		defer lt.Remove()
	}
	var res StreamResult
	var spare []byte
	for {
		if lt != nil {
			select {
			case <-st.ready:
			case <-lt.Stopped():
				mu.Lock()
				snap.Abort()
				mu.Unlock()
				return res, ErrSnapshotAborted
			}
		}
		mu.Lock()
		done := false
		if lt != nil {
			done = st.walked
		} else if len(out.b) < opts.MaxPending {
			done = snap.Step(opts.StepBuckets)
		}
		if sk.err == nil {
			sk.err = sk.enc.Flush()
		}
		if done && sk.err == nil && snap.Aborted() {
			sk.err = ErrSnapshotAborted
		}
		if done && sk.err == nil {
			sk.err = sk.enc.Finish()
		}
		if sk.err != nil {
			snap.Abort()
			mu.Unlock()
			return res, sk.err
		}
		if len(out.b) > res.PeakPending {
			res.PeakPending = len(out.b)
		}
		chunk := out.b
		out.b = spare[:0]
		res.Keys, res.Captured = snap.Keys, snap.Captured
		mu.Unlock()
		if lt != nil && !done {
			lt.Wake() // there is room again: the walk goes on meanwhile
		}

		if len(chunk) > 0 {
			n, werr := w.Write(chunk)
			res.Bytes += int64(n)
			if werr != nil {
				mu.Lock()
				snap.Abort()
				mu.Unlock()
				return res, werr
			}
		}
		spare = chunk
		if done {
			return res, nil
		}
	}
}

// loopStep is the walk's slice on the event loop (server lock held): steps
// until the deadline, the end of the walk, or MaxPending bytes waiting for
// Run; then Run is signalled. It returns whether it has more to do at
// once (false: it waits for Run's Wake).
func (st *Streamer) loopStep(deadline time.Time) bool {
	more := false
	for !st.walked && st.sk.err == nil && len(st.out.b) < st.opts.MaxPending {
		st.walked = st.snap.Step(st.opts.StepBuckets)
		if st.sk.err == nil {
			st.sk.err = st.sk.enc.Flush()
		}
		if !time.Now().Before(deadline) {
			more = !st.walked && st.sk.err == nil && len(st.out.b) < st.opts.MaxPending
			break
		}
	}
	select {
	case st.ready <- struct{}{}:
	default: // Run has a signal waiting already
	}
	return more
}
