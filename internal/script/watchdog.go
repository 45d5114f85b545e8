package script

import (
	"errors"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemdb/tandem/internal/lua"
)

// hook is the Lua state's instruction hook (lua.LState.SetInterrupt; Redis
// sets a Lua count hook instead): the VM loads signal before every
// instruction, which costs one atomic load while nothing is asked of the
// script; the watchdog (or SCRIPT KILL) raises signal when the script must
// look up: it went past busy-reply-threshold, it must let other clients
// in, it was killed, or it grew the heap past the cap. The VM then calls
// check.
type hook struct {
	s      *Scripting
	signal atomic.Bool
	// abort is closed once the running script must stop, and err says
	// why: signal stays up and the VM raises err at every instruction,
	// so that pcall cannot catch it for good.
	abort chan struct{}
	err   error
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// check is the hook's function, called by the VM while signal is up: the
// error it returns stops the script.
func (h *hook) check(*lua.LState) error {
	if h.s.interrupt() != nil {
		return h.err
	}
	return nil
}

// Errors that stop a script; the VM raises their text.
var (
	errKilled   = errors.New("Script killed by user with SCRIPT KILL...")
	errMemLimit = errors.New("Script used more memory than the Lua memory limit allows")
	errShutdown = errors.New("Script stopped: the server is shutting down")
	// errLoadTimeout stops a library's code that runs too long on
	// FUNCTION LOAD.
	errLoadTimeout = errors.New("FUNCTION LOAD timeout")
)

// watchdog watches the running script from its own goroutine, every
// watchTick: its run time (busy-reply-threshold) and the heap's growth
// since it started (the memory cap). It runs while scripts run and stops
// after a second without one, so an idle server has no extra goroutine.
type watchdog struct {
	mu      sync.Mutex
	running bool
	// seq identifies the run being watched (0: none); start is when it
	// started (unix nanoseconds). Both are written by the script's
	// goroutine under the server lock and read here.
	seq   atomic.Uint64
	start atomic.Int64
	// threshold is busy-reply-threshold in nanoseconds (0: never busy).
	threshold atomic.Int64
	// memLimit is the cap on heap growth during one script, in bytes.
	memLimit atomic.Int64
	// busy is set by the watchdog once the run is past threshold; over
	// is set when the heap grew past memLimit.
	busy, over atomic.Bool
	hook       *hook
}

const watchTick = time.Millisecond

// begin marks a run started at start (server lock held) and makes sure
// the watchdog goroutine is there.
func (w *watchdog) begin(seq uint64, start time.Time) {
	w.busy.Store(false)
	w.over.Store(false)
	w.start.Store(start.UnixNano())
	w.seq.Store(seq)
	w.mu.Lock()
	if !w.running {
		w.running = true
		go w.loop()
	}
	w.mu.Unlock()
}

// end marks the run over.
func (w *watchdog) end() { w.seq.Store(0) }

func heapBytes(s []metrics.Sample) int64 {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

func (w *watchdog) loop() {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(watchTick)
	defer t.Stop()
	var seen uint64
	var base int64
	idleSince := time.Now()
	for now := range t.C {
		seq := w.seq.Load()
		if seq == 0 {
			if now.Sub(idleSince) > time.Second {
				w.mu.Lock()
				if w.seq.Load() == 0 {
					w.running = false
					w.mu.Unlock()
					return
				}
				w.mu.Unlock()
			}
			continue
		}
		idleSince = now
		heap := heapBytes(sample)
		if seq != seen {
			// The first look at a run takes the heap as its base: what
			// the script allocated in its first tick is not counted.
			seen, base = seq, heap
			continue
		}
		if lim := w.memLimit.Load(); lim > 0 && heap-base > lim {
			w.over.Store(true)
			w.hook.signal.Store(true)
		}
		if th := w.threshold.Load(); th > 0 && now.UnixNano()-w.start.Load() >= th {
			// Past the threshold the script looks up at every tick, to
			// let other clients in (they get BUSY) and to see SCRIPT KILL.
			w.busy.Store(true)
			w.hook.signal.Store(true)
		}
	}
}
