package aof

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/persist"
)

// loadManifestIfAny reads the manifest on disk so sequence numbers go on
// from it (aofLoadManifestFromDisk); a missing one is an empty manifest.
func (a *Manager) loadManifestIfAny() error {
	m, _, err := readManifest(a.fs, a.dir, a.name)
	if err != nil {
		return err
	}
	a.man = m
	return nil
}

// LoadAtStartup loads the AOF when appendonly is yes (the RDB file is then
// ignored, as Redis does) and opens it for appending. The result carries
// the replication state kept in the AOF (repl-id, repl-offset,
// repl-stream-db) for repl.Manager.RestoreFromRDB, when it is known
// exactly. A corrupt AOF is an error naming the file and the offset: the
// server must not start half-loaded.
func (a *Manager) LoadAtStartup() (persist.LoadResult, error) {
	a.srv.Lock()
	a.setPaths()
	enabled := a.cfg.AppendOnly
	truncOK := a.cfg.AOFLoadTruncated
	a.srv.Unlock()
	if err := a.loadManifestIfAny(); err != nil {
		return persist.LoadResult{}, err
	}
	if !enabled {
		return persist.LoadResult{}, nil
	}
	start := time.Now()
	a.srv.Lock()
	a.srv.SetLoading(true)
	prevExpire := a.ks.ExpireMode()
	// Keys whose time passed stay until the load ends (no active expiry,
	// the replay sees them), as in Redis.
	a.ks.SetExpireMode(keyspace.ExpireLoading)
	a.srv.Unlock()
	t := &engineTarget{a: a}
	t.newSession()
	res, err := loadDir(loadOptions{
		fs: a.fs, dir: a.dir, root: a.cfg.Dir, name: a.name, truncOK: truncOK, log: a.log,
		manifest: a.man, upgrade: a.persistManifest,
	}, t)
	t.release()
	// Clients keep getting -LOADING until the AOF is open for appending
	// (no BGREWRITEAOF or CONFIG SET racing the files being set up).
	defer func() {
		a.srv.Lock()
		a.srv.SetLoading(false)
		a.srv.Unlock()
	}()
	a.srv.Lock()
	a.ks.SetExpireMode(prevExpire)
	a.srv.Unlock()
	var out persist.LoadResult
	switch {
	case errors.Is(err, errNoAOF):
		if res != nil {
			a.man = res.man
		}
	case err != nil:
		return out, fmt.Errorf("Fatal error loading the DB from the append only file: %w. Exiting.", err)
	default:
		a.man = res.man
		a.log.Noticef("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
		out = res.rdbRes
		out.Aux = res.repl
		if out.Aux == nil {
			out.Aux = map[string]string{}
		}
	}
	if err := a.openOnStart(res); err != nil {
		return out, err
	}
	a.srv.Lock()
	a.ks.Dirty = 0
	a.srv.Unlock()
	return out, nil
}

// openOnStart is aofOpenIfNeededOnServerStart: with an empty AOF a base is
// written first; then the last incr file is opened for appending (or a new
// one created) and the manifest persisted. Leftover temp files of an
// interrupted rewrite are removed, and so are history files.
func (a *Manager) openOnStart(res *loadResult) error {
	if err := a.fs.MkdirAll(a.dir); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %s", a.dir, strerror(err))
	}
	a.removeTempFiles()
	if a.man.empty() {
		m := a.man.clone()
		a.srv.Lock()
		rw := &rewrite{rdb: a.cfg.AOFUseRDBPreamble, enc: persist.EncodeOptions(a.cfg), ts: a.cfg.AOFTimestampEnabled}
		a.srv.Unlock()
		base := m.newBase(a.name, rw.rdb)
		tmp := join(a.dir, tempPrefix+"rewriteaof-startup.aof")
		if _, err := a.writeBase(tmp, rw, nil); err != nil {
			a.fs.Remove(tmp)
			return fmt.Errorf("Creating the AOF base file failed: %v", err)
		}
		if err := a.fs.Rename(tmp, join(a.dir, base)); err != nil {
			return fmt.Errorf("Creating the AOF base file failed: %s", strerror(err))
		}
		a.man = m
		a.log.Noticef("Creating AOF base file %s on server start", base)
	}
	name := a.man.lastIncr()
	created := name == ""
	if created {
		name = a.man.newIncr(a.name)
	}
	f, err := a.fs.OpenAppend(join(a.dir, name))
	if err != nil {
		return fmt.Errorf("Can't open the append-only file %s: %s", name, strerror(err))
	}
	if err := a.persistManifest(a.man); err != nil {
		f.Close()
		return fmt.Errorf("Can't persist the AOF manifest: %v", err)
	}
	if created {
		a.log.Noticef("Creating AOF incr file %s on server start", name)
	} else {
		a.log.Noticef("Opening AOF incr file %s on server start", name)
	}
	a.srv.Lock()
	defer a.srv.Unlock()
	a.state = stateOn
	a.switchTo(f, name)
	a.mark = ""
	if res != nil && res.repl != nil {
		a.mark = markPrefix + res.repl["repl-id"] + " " + res.repl["repl-offset"] + " " + res.repl["repl-stream-db"]
	}
	a.baseSize = 0
	if a.man.Base != nil {
		if n, err := a.fs.Size(join(a.dir, a.man.Base.Name)); err == nil {
			a.baseSize = n
		}
	}
	total := a.baseSize
	for _, fi := range a.man.Incr {
		if n, err := a.fs.Size(join(a.dir, fi.Name)); err == nil {
			total += n
		}
	}
	a.currentSize.Store(total)
	a.rewriteBaseSize = a.baseSize
	a.lastFsync.Store(time.Now().UnixNano())
	a.deleteHistory()
	return nil
}

// removeTempFiles deletes what an interrupted rewrite left: temp bases,
// the temp incr and the temp manifest (no manifest lists them).
func (a *Manager) removeTempFiles() {
	names, err := a.fs.List(a.dir)
	if err != nil {
		return
	}
	for _, n := range names {
		if strings.HasPrefix(n, "temp-rewriteaof-") || n == tempPrefix+a.name+incrSuffix || n == tempPrefix+a.name+manifestSuffix {
			a.fs.Remove(join(a.dir, n))
		}
	}
}
