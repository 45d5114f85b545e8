package persist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/types"
)

// ErrSnapshotRunning is returned when a snapshot is already in progress.
var ErrSnapshotRunning = errors.New("a snapshot is already in progress")

// ErrSnapshotAborted is returned by Stream when the snapshot was stopped
// from outside (a replica discarding its data for a new full sync): what
// was written is not a whole image.
var ErrSnapshotAborted = errors.New("the snapshot was aborted")

// LoadResult describes a finished load.
type LoadResult struct {
	Keys, Expired, EmptySkipped, StreamsSkipped int
	Aux                                         map[string]string
	// ExpiredKeys are the keys DropExpired skipped: a master restarting
	// from its RDB tells its replicas to delete them (RestoreFromRDB), as
	// Redis feeds its backlog a DEL for each.
	ExpiredKeys []ExpiredKey
	// Functions are the codes of the function libraries the RDB holds;
	// the caller loads them (Manager.ReplaceFunctions) where the load
	// replaces the dataset.
	Functions [][]byte
	Info      rdb.Info
}

// AuxInt returns an AUX field as an integer (ok=false when absent/invalid).
// Redis reads its integer AUX fields (repl-offset, ctime, ...) with strtol,
// not string2ll, so this stays lenient (strconv.ParseInt takes "+5" and
// "007") rather than using resp.ParseInt.
func (r *LoadResult) AuxInt(key string) (int64, bool) {
	v, ok := r.Aux[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// ExpiredKey is a key a load dropped because its time had passed.
type ExpiredKey struct {
	DB  int
	Key []byte
}

// LoadOptions configure a load.
type LoadOptions struct {
	Limits types.Limits
	// DropExpired skips keys whose time has passed (a master loading its
	// own file); a replica keeps them and waits for its master's DELs.
	DropExpired bool
	Now         int64
	// Checksum verifies the CRC (rdbchecksum yes).
	Checksum bool
	// OnSkip is told of skipped keys (for Redis's log lines).
	OnSkip func(key []byte, reason rdb.SkipReason)
	// Batch is how many keys are inserted per lock hold.
	Batch int
}

type loader struct {
	ks   *keyspace.Keyspace
	mu   sync.Locker
	opts LoadOptions
	res  LoadResult
	// bulk holds keys decoded and not yet inserted: they are prepared
	// without the lock and inserted Batch at a time under it.
	bulk keyspace.BulkLoader
}

// flush inserts the pending keys under the lock.
func (l *loader) flush() {
	if l.bulk.Len() == 0 {
		return
	}
	if l.mu != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
	}
	l.bulk.Flush()
}

func (l *loader) Aux(key, value []byte) error {
	l.res.Aux[string(key)] = string(value)
	return nil
}

// ResizeDB sizes the database's table from the file's hint, so that the
// keys that follow are inserted without rehashing.
func (l *loader) ResizeDB(db int, size, expires uint64) error {
	if db < 0 || db >= len(l.ks.DBs) {
		return nil // Entry reports the bad database if a key comes
	}
	if l.mu != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
	}
	l.ks.DBs[db].Reserve(size, expires)
	return nil
}

func (l *loader) Entry(e *rdb.Entry) error {
	if e.DB >= len(l.ks.DBs) {
		return fmt.Errorf("database %d out of range", e.DB)
	}
	if l.opts.DropExpired && e.ExpireAt != rdb.NoExpiry && e.ExpireAt < l.opts.Now {
		l.res.Expired++
		l.res.ExpiredKeys = append(l.res.ExpiredKeys, ExpiredKey{DB: e.DB, Key: bytes.Clone(e.Key)})
		return nil
	}
	str, val, err := fromRDB(e, &l.opts.Limits)
	if err != nil {
		return err
	}
	l.bulk.Add(l.ks.DBs[e.DB], e.Key, str, val, e.ExpireAt, e.ExpireAt != rdb.NoExpiry)
	if e.LRU.HasIdle || e.LRU.HasFreq {
		idle, freq := int64(-1), int64(-1)
		if e.LRU.HasIdle {
			idle = int64(min(e.LRU.Idle, 1<<40))
		}
		if e.LRU.HasFreq {
			freq = int64(e.LRU.Freq)
		}
		l.bulk.SetAccess(idle, freq)
	}
	l.res.Keys++
	if l.bulk.Len() >= l.opts.Batch {
		l.flush()
	}
	return nil
}

func (l *loader) Skip(e *rdb.Entry, reason rdb.SkipReason) error {
	switch reason {
	case rdb.SkipEmpty:
		l.res.EmptySkipped++
	case rdb.SkipStream:
		l.res.StreamsSkipped++
	}
	if l.opts.OnSkip != nil {
		l.opts.OnSkip(e.Key, reason)
	}
	return nil
}

func (l *loader) Function(code []byte) error {
	l.res.Functions = append(l.res.Functions, append([]byte(nil), code...))
	return nil
}

func (l *loader) ModuleAux(moduleID, when uint64) error {
	name, _ := rdb.ModuleName(moduleID)
	return fmt.Errorf("the RDB file contains AUX module data for the module '%s' that Tandem cannot load", name)
}

// loadGCPercent is GOGC while a load runs.
const loadGCPercent = 400

// Load reads an RDB from r into ks. When mu is not nil the keys are
// inserted under it in batches, so clients (answered -LOADING meanwhile) are
// not starved; with mu nil the caller holds whatever lock it needs. If r is
// a *bufio.Reader, nothing past the RDB's checksum is consumed.
func Load(r io.Reader, ks *keyspace.Keyspace, mu sync.Locker, opts LoadOptions) (LoadResult, error) {
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	// Nearly everything a load allocates stays live, so collections during
	// it mark a growing heap again and again for little garbage: fewer of
	// them (the heap may grow 5x between two instead of 2x) cut the load's
	// CPU, which on a replica competes with its master on a shared host.
	defer debug.SetGCPercent(debug.SetGCPercent(loadGCPercent))
	l := &loader{ks: ks, mu: mu, opts: opts, res: LoadResult{Aux: map[string]string{}}}
	if _, ok := r.(*bufio.Reader); !ok {
		r = bufio.NewReaderSize(r, 1<<16)
	}
	info, err := rdb.LoadWithInfo(r, l, rdb.LoadOptions{SkipChecksum: !opts.Checksum, Databases: len(ks.DBs)})
	l.flush() // what was read before an error stays loaded, as before
	l.res.Info = info
	return l.res, err
}
