package aof

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// itemsPerCmd is AOF_REWRITE_ITEMS_PER_CMD.
const itemsPerCmd = 64

// commandStreamOptions configure streamCommands.
type commandStreamOptions struct {
	// AtInstant runs at the snapshot instant with the lock held.
	AtInstant func()
	// Header returns bytes written first (annotations), called at the
	// instant with the lock held.
	Header func() []byte
	// MaxPending bounds the output produced and not yet written before
	// the walker pauses.
	MaxPending  int
	StepBuckets int
}

// cmdSink turns each key the snapshot hands over into the commands that
// rebuild it, as rewriteAppendOnlyFileRio does: SET, RPUSH, SADD, ZADD,
// HMSET (at most 64 items per command), then PEXPIREAT for a key with a
// TTL, after a SELECT when the database changes.
type cmdSink struct {
	out   []byte
	curDB int
	args  [][]byte
	num   []byte
	err   error
}

var (
	cmdSet       = []byte("SET")
	cmdRPush     = []byte("RPUSH")
	cmdSAdd      = []byte("SADD")
	cmdZAdd      = []byte("ZADD")
	cmdHMSet     = []byte("HMSET")
	cmdPExpireAt = []byte("PEXPIREAT")
)

func (s *cmdSink) Key(db int, e *keyspace.Entry, expireAt int64) {
	if s.err != nil {
		return
	}
	if db != s.curDB {
		s.out = resp.AppendCommand(s.out, argSelect, []byte(strconv.Itoa(db)))
		s.curDB = db
	}
	key := []byte(e.Key())
	if e.IsString() {
		s.out = resp.AppendCommand(s.out, cmdSet, key, []byte(e.Str()))
	} else {
		switch v := e.Val().(type) {
		case *types.List:
			s.batch(cmdRPush, key, func(add func(...[]byte)) {
				v.Each(func(el []byte) bool { add(el); return true })
			})
		case *types.Set:
			s.batch(cmdSAdd, key, func(add func(...[]byte)) {
				v.Each(func(m []byte) bool { add(m); return true })
			})
		case *types.Hash:
			s.batch(cmdHMSet, key, func(add func(...[]byte)) {
				v.Each(func(f, val []byte) bool { add(f, val); return true })
			})
		case *types.ZSet:
			s.batch(cmdZAdd, key, func(add func(...[]byte)) {
				v.Each(func(m []byte, sc float64) bool { add(formatScore(sc), m); return true })
			})
		case *types.Stream:
			s.out = appendStreamCommands(s.out, key, v)
		default:
			s.err = fmt.Errorf("aof rewrite: cannot serialize value of type %T for key %q", v, e.Key())
			return
		}
	}
	if expireAt >= 0 {
		s.out = resp.AppendCommand(s.out, cmdPExpireAt, key, []byte(strconv.FormatInt(expireAt, 10)))
	}
}

// batch emits cmd key item... in commands of at most itemsPerCmd items (an
// item is one element, or a field/value or score/member pair).
func (s *cmdSink) batch(cmd, key []byte, each func(add func(...[]byte))) {
	s.args = append(s.args[:0], cmd, key)
	items := 0
	each(func(parts ...[]byte) {
		for _, p := range parts {
			s.args = append(s.args, append([]byte(nil), p...))
		}
		items++
		if items == itemsPerCmd {
			s.out = resp.AppendCommand(s.out, s.args...)
			s.args = append(s.args[:0], cmd, key)
			items = 0
		}
	})
	if items > 0 {
		s.out = resp.AppendCommand(s.out, s.args...)
	}
}

// formatScore is rioWriteBulkDouble's %.17g.
func formatScore(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return []byte(strconv.FormatFloat(f, 'g', 17, 64))
}

// streamCommands writes a point-in-time RESP base of ks to w: the same
// fork-less snapshot and pacing as persist.Stream, with a sink that emits
// commands instead of RDB records. It returns the number of keys written.
func streamCommands(mu sync.Locker, ks *keyspace.Keyspace, w io.Writer, opts commandStreamOptions) (int64, error) {
	if opts.MaxPending <= 0 {
		opts.MaxPending = 1 << 20
	}
	if opts.StepBuckets <= 0 {
		opts.StepBuckets = 64
	}
	sk := &cmdSink{curDB: -1}
	mu.Lock()
	snap := ks.Snapshot(sk)
	if snap == nil {
		mu.Unlock()
		return 0, persist.ErrSnapshotRunning
	}
	if opts.AtInstant != nil {
		opts.AtInstant()
	}
	if opts.Header != nil {
		sk.out = append(sk.out, opts.Header()...)
	}
	mu.Unlock()

	var spare []byte
	var keys int64
	for {
		mu.Lock()
		done := false
		if len(sk.out) < opts.MaxPending {
			done = snap.Step(opts.StepBuckets)
		}
		if done && sk.err == nil && snap.Aborted() {
			sk.err = persist.ErrSnapshotAborted
		}
		if sk.err != nil {
			snap.Abort()
			mu.Unlock()
			return keys, sk.err
		}
		chunk := sk.out
		sk.out = spare[:0]
		keys = snap.Keys
		mu.Unlock()
		if len(chunk) > 0 {
			if _, err := w.Write(chunk); err != nil {
				mu.Lock()
				snap.Abort()
				mu.Unlock()
				return keys, err
			}
		}
		spare = chunk
		if done {
			return keys, nil
		}
	}
}
