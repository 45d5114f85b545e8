package repl

// The I/O of a replica's full sync: receiving its master's RDB payload
// into a temp file, or straight into a loader (repl-diskless-load),
// loading it on a lowered-priority thread while newlines keep the master
// patient. Which of these happens, and in what order with the flush, the
// swap and the abandon checks, is the machine's business (linkmachine.go):
// each function here performs one action and reports its outcome as the
// next event.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/rdb"
)

// createFile opens the temp file a disk transfer is received into.
func (l *link) createFile() error {
	l.m.srv.Lock()
	dir := l.m.cfg.Dir
	l.m.srv.Unlock()
	l.dropFile()
	tmp := filepath.Join(dir, fmt.Sprintf("temp-%d.%d.rdb", time.Now().Unix(), os.Getpid()))
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	l.file, l.tmpPath = f, tmp
	return nil
}

// dropFile closes and removes the temp file, if any.
func (l *link) dropFile() {
	if l.file != nil {
		l.file.Close()
		os.Remove(l.tmpPath)
		l.file, l.tmpPath = nil, ""
	}
}

// readPayload reads at most a.n payload bytes, with repl-timeout as the
// deadline, for the machine to frame.
func (l *link) readPayload(a action) event {
	if l.payload == nil {
		l.payload = make([]byte, framerRead)
	}
	buf := l.payload[:min(a.n, int64(len(l.payload)))]
	n, err := (&deadlineReader{l: l, r: l.br, timeout: a.d}).read(buf, false)
	if n > 0 {
		return event{kind: evPayload, data: buf[:n]}
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return event{kind: evReadError, text: err.Error()}
}

// store fsyncs the received payload and rewinds the file for the load.
func (l *link) store() event {
	if err := l.file.Sync(); err != nil {
		return event{kind: evFileError, text: err.Error()}
	}
	if _, err := l.file.Seek(0, io.SeekStart); err != nil {
		return event{kind: evFileError, text: err.Error()}
	}
	return event{kind: evStored}
}

// loadFromDisk loads the stored payload into the flushed dataset, taking
// the server lock in slices (persist.Load), so clients get -LOADING
// meanwhile rather than waiting.
func (l *link) loadFromDisk(a action) event {
	m := l.m
	m.srv.Lock()
	opts := persist.LoadOptions{Limits: persist.Limits(m.cfg), Checksum: m.cfg.RDBChecksum}
	m.srv.Unlock()
	defer l.dropFile()
	var res persist.LoadResult
	var err error
	l.loadPolitely(a.host == "panic", func() {
		res, err = persist.Load(bufio.NewReaderSize(quitReader{l: l, r: l.file}, 1<<16), m.ks, m.srv, opts)
	})
	if err == nil {
		// The master's function libraries replace ours, as its data did.
		m.srv.Lock()
		err = m.pm.ReplaceFunctions(res.Functions)
		m.srv.Unlock()
	}
	if err != nil {
		return event{kind: evLoadFailed, text: err.Error()}
	}
	return event{kind: evLoaded, load: asLoadResult(res)}
}

// loadFromSocket parses the RDB straight from the connection into a
// private keyspace, which the machine swaps in at the end: readers keep
// the old data until the new one is complete, the way swapdb works. A
// REPLICAOF meanwhile makes the next read fail and the swap not happen.
// What follows the RDB (the EOF mark, or the rest of a length-form
// payload) is read for the machine to check.
func (l *link) loadFromSocket(a action) event {
	m := l.m
	m.srv.Lock()
	opts := persist.LoadOptions{Limits: persist.Limits(m.cfg), Checksum: m.cfg.RDBChecksum}
	tmp := keyspace.New(len(m.ks.DBs))
	m.srv.Unlock()
	dr := &deadlineReader{l: l, r: l.br, timeout: a.d}
	src := bufio.NewReaderSize(dr, 64<<10)
	if a.text == "" {
		src = bufio.NewReaderSize(io.LimitReader(dr, a.n), 64<<10)
	}
	var res persist.LoadResult
	var err error
	l.loadPolitely(a.host == "panic", func() {
		res, err = persist.Load(src, tmp, nil, opts)
	})
	if l.quit.Load() {
		return event{kind: evLoadFailed, text: errAbandoned.Error()}
	}
	if err != nil {
		ev := event{kind: evLoadFailed, text: err.Error()}
		var re *rdb.Error
		if errors.As(err, &re) && errors.Is(err, io.ErrUnexpectedEOF) {
			ev.flag, ev.at = true, re.Offset
		}
		return ev
	}
	lr := asLoadResult(res)
	if a.text != "" {
		lr.trailer = make([]byte, len(a.text))
		if _, err := io.ReadFull(src, lr.trailer); err != nil {
			lr.trailerErr = err.Error()
		}
	} else if _, err := io.Copy(io.Discard, src); err != nil {
		lr.trailerErr = err.Error()
	}
	m.srv.Lock()
	l.loaded = tmp
	l.loadedFunctions = res.Functions
	m.srv.Unlock()
	return event{kind: evLoaded, load: lr}
}

func asLoadResult(res persist.LoadResult) loadResult {
	lr := loadResult{keys: int64(res.Keys), expired: int64(res.Expired), redisVer: res.Aux["redis-ver"], streamDB: -1}
	if v, ok := res.AuxInt("repl-stream-db"); ok && v >= 0 {
		lr.streamDB = v
	}
	return lr
}

// loadPolitely runs a load on the lowered-priority thread (runPolitely)
// while the keepalive (setKeepAlive, of normal priority) writes newlines
// to the master. A panic on the loading thread is raised again here, in
// the link's goroutine, whose recover reports it. boom is DEBUG
// REPLICA-LOAD-PANIC.
func (l *link) loadPolitely(boom bool, fn func()) {
	var lp *linkPanic
	runPolitely(func() {
		defer func() {
			if p := recover(); p != nil {
				lp = asLinkPanic(p)
			}
		}()
		if boom {
			panic("DEBUG REPLICA-LOAD-PANIC")
		}
		fn()
	})
	if lp != nil {
		panic(lp)
	}
}

// setKeepAlive starts (on) or stops the keepalive of a full sync: from
// the end of the transfer until the link is up, a goroutine of normal
// priority writes a newline to the master at once and then once a second,
// as a Redis replica does while it flushes and loads. The master takes
// it as a sign of life, so our own work on the payload (fsync, load),
// however long, does not get us dropped. Link goroutine only.
func (l *link) setKeepAlive(on bool) {
	if on && l.stopKeepAlive == nil && l.conn != nil {
		l.stopKeepAlive = l.keepAlive()
	} else if !on && l.stopKeepAlive != nil {
		l.stopKeepAlive()
		l.stopKeepAlive = nil
	}
}

// keepAlive writes "\n" to the master at once and then every second,
// until stop is called, the link stops or a write fails.
func (l *link) keepAlive() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	conn := l.conn
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			l.connMu.Lock()
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, err := conn.Write([]byte("\n"))
			l.connMu.Unlock()
			if err != nil {
				return
			}
			select {
			case <-done:
				return
			case <-l.stopCh:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// quitReader fails reads once the link is stopped (a disk load abandoned
// at shutdown).
type quitReader struct {
	l *link
	r io.Reader
}

func (q quitReader) Read(p []byte) (int, error) {
	if q.l.quit.Load() {
		return 0, errAbandoned
	}
	return q.r.Read(p)
}

// deadlineReader refreshes the read deadline on every read, so a stalled
// master is noticed after repl-timeout, counts the bytes, and fails once
// the link is stopped (an abandoned sync reads nothing more).
type deadlineReader struct {
	l       *link
	r       io.Reader
	timeout time.Duration
}

func (d *deadlineReader) Read(p []byte) (int, error) { return d.read(p, true) }

// read reads once; progress says whether the machine's transfer counters
// are updated here (a socket load, whose bytes the machine does not see)
// or by the step that receives the bytes (a disk transfer).
func (d *deadlineReader) read(p []byte, progress bool) (int, error) {
	l := d.l
	if l.quit.Load() {
		return 0, errAbandoned
	}
	l.conn.SetReadDeadline(time.Now().Add(d.timeout))
	n, err := d.r.Read(p)
	l.conn.SetReadDeadline(time.Time{})
	if n > 0 {
		m := l.m
		m.srv.Lock()
		m.stats.netIn += int64(n)
		if progress && !l.stopped {
			m.machine.payloadRead(time.Now(), n)
		}
		m.srv.Unlock()
	}
	return n, err
}
