package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/resp"
)

// target is what a load feeds: the RDB part of a base, and commands.
type target interface {
	// loadRDB reads one RDB (a base, or an old-style preamble) from br,
	// consuming nothing past its checksum.
	loadRDB(br *bufio.Reader) (persist.LoadResult, error)
	// apply runs one command.
	apply(argv [][]byte) error
	// endFile is called after each file (the AOF client of Redis lives
	// for one file: SELECT and MULTI state do not carry over).
	endFile()
}

// errNoAOF: there is nothing to load (no manifest or an empty one).
var errNoAOF = errors.New("no append only file")

// LoadError is a fatal load problem, naming the file and the offset.
type LoadError struct {
	File   string
	Offset int64
	Msg    string
}

func (e *LoadError) Error() string { return e.Msg }

// loadOptions configure loadDir.
type loadOptions struct {
	fs        FS
	dir       string // the AOF directory
	root      string // dir (where an old single-file AOF would be)
	name      string // appendfilename
	truncOK   bool   // aof-load-truncated
	log       *logger.Logger
	upgrade   func(m *Manifest) error // persists m during an upgrade
	manifest  *Manifest               // already read (nil: read it)
	noUpgrade bool
}

// loadResult describes a finished load.
type loadResult struct {
	man       *Manifest
	baseSize  int64
	totalSize int64
	repl      map[string]string // restored replication state, or nil
	rdbRes    persist.LoadResult
	truncated bool
}

// readManifest reads dir's manifest; a missing one is an empty manifest.
func readManifest(fsys FS, dir, name string) (*Manifest, bool, error) {
	path := join(dir, name+manifestSuffix)
	f, err := fsys.Open(path)
	if err != nil {
		if isNotExist(err) {
			return &Manifest{}, false, nil
		}
		return nil, false, fmt.Errorf("Fatal error: can't open the AOF manifest file %s for reading: %s", path, strerror(err))
	}
	defer f.Close()
	m, err := ParseManifest(f)
	if err != nil {
		return nil, true, fmt.Errorf("*** FATAL AOF MANIFEST FILE ERROR *** (%s): %v", path, err)
	}
	return m, true, nil
}

// loadDir loads an AOF directory into t as loadAppendOnlyFiles does: the
// upgrade of an old single-file AOF, then the base and every incr file in
// order. It returns errNoAOF when there is nothing to load.
func loadDir(o loadOptions, t target) (*loadResult, error) {
	m := o.manifest
	if m == nil {
		var err error
		if m, _, err = readManifest(o.fs, o.dir, o.name); err != nil {
			return nil, err
		}
	}
	old := join(o.root, o.name)
	if !o.noUpgrade && exists(o.fs, old) {
		if m.empty() || (m.Base != nil && len(m.Incr) == 0 && m.Base.Name == o.name && !exists(o.fs, join(o.dir, o.name))) {
			if err := upgradePrepare(o, m); err != nil {
				return nil, err
			}
		}
	}
	res := &loadResult{man: m}
	if m.empty() {
		return res, errNoAOF
	}
	files := []fileInfo{}
	if m.Base != nil {
		files = append(files, *m.Base)
	}
	files = append(files, m.Incr...)
	sizes := make([]int64, len(files))
	for i, fi := range files {
		n, err := o.fs.Size(join(o.dir, fi.Name))
		if err != nil {
			if isNotExist(err) {
				return nil, &LoadError{File: fi.Name, Msg: fmt.Sprintf("The append log file %s doesn't exist: %s", fi.Name, strerror(err))}
			}
			return nil, &LoadError{File: fi.Name, Msg: fmt.Sprintf("Unable to obtain the AOF file %s length. stat: %s", fi.Name, strerror(err))}
		}
		sizes[i] = n
		res.totalSize += n
	}
	if res.totalSize == 0 {
		return res, errNoAOF
	}
	var tr replTracker
	for i, fi := range files {
		last := i == len(files)-1
		isBase := fi.Type == typeBase
		if sizes[i] == 0 {
			continue
		}
		start := time.Now()
		fr, err := loadFile(o, fi.Name, isBase, last, t, &tr)
		t.endFile()
		if err != nil {
			return nil, err
		}
		if isBase {
			res.baseSize = sizes[i]
			if fr.rdb {
				res.rdbRes = fr.rdbRes
			}
			o.log.Noticef("DB loaded from base file %s: %.3f seconds", fi.Name, time.Since(start).Seconds())
		} else {
			o.log.Noticef("DB loaded from incr file %s: %.3f seconds", fi.Name, time.Since(start).Seconds())
		}
		if fr.truncatedTo >= 0 {
			res.truncated = true
			res.totalSize -= sizes[i] - fr.truncatedTo
		}
	}
	res.repl = tr.aux()
	return res, nil
}

// upgradePrepare moves an old single-file AOF (<dir>/<appendfilename>)
// into the AOF directory as the base of a new manifest (aofUpgradePrepare).
// A crash at any step is retried at the next start.
func upgradePrepare(o loadOptions, m *Manifest) error {
	if err := o.fs.MkdirAll(o.dir); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %s", o.dir, strerror(err))
	}
	m.Base = &fileInfo{Name: o.name, Seq: 1, Type: typeBase}
	m.BaseSeq = 1
	if o.upgrade != nil {
		if err := o.upgrade(m); err != nil {
			return err
		}
	}
	if err := o.fs.Rename(join(o.root, o.name), join(o.dir, o.name)); err != nil {
		return fmt.Errorf("Error trying to move the old AOF file %s into dir %s: %s", o.name, o.dir, strerror(err))
	}
	o.log.Noticef("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", o.name, o.dir)
	return nil
}

// fileResult describes one loaded file.
type fileResult struct {
	rdb         bool
	rdbRes      persist.LoadResult
	truncatedTo int64 // -1: not truncated
}

// countingReader counts the bytes read from the file, so the offset of the
// RESP part after an RDB preamble is known.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// loadFile loads one file (loadSingleAppendOnlyFile): an RDB part when it
// starts with "REDIS", then RESP records to the end. A truncated last file
// is cut at the last complete command when truncOK; anything else that
// is not well-formed is fatal, with the file and the offset.
func loadFile(o loadOptions, name string, isBase, last bool, t target, tr *replTracker) (fileResult, error) {
	fr := fileResult{truncatedTo: -1}
	path := join(o.dir, name)
	f, err := o.fs.Open(path)
	if err != nil {
		return fr, &LoadError{File: name, Msg: fmt.Sprintf("Fatal error: can't open the append log file %s for reading: %s", name, strerror(err))}
	}
	defer f.Close()
	cr := &countingReader{r: f}
	br := bufio.NewReaderSize(cr, 64<<10)
	var off int64
	dirtyCmds := !isBase // commands after the replication state change it
	if sig, _ := br.Peek(5); bytes.Equal(sig, []byte("REDIS")) {
		oldStyle := name == o.name
		if oldStyle {
			o.log.Noticef("Reading RDB preamble from AOF file...")
		} else {
			o.log.Noticef("Reading RDB base file on AOF loading...")
		}
		res, err := t.loadRDB(br)
		if err != nil {
			what := "the RDB base file"
			if oldStyle {
				what = "the RDB preamble of the AOF file"
			}
			return fr, &LoadError{File: name, Msg: fmt.Sprintf("Error reading %s %s, AOF loading aborted: %v", what, name, err)}
		}
		fr.rdb, fr.rdbRes = true, res
		if isBase {
			tr.fromAux(res.Aux)
		}
		off = cr.n - int64(br.Buffered())
		if oldStyle {
			o.log.Noticef("Reading the remaining AOF tail...")
		}
		dirtyCmds = true // a RESP tail after a preamble follows the snapshot
	}
	apply := func(argv [][]byte) error {
		if err := t.apply(argv); err != nil {
			return err
		}
		if dirtyCmds {
			tr.dirty = true
		}
		return nil
	}
	rr, err := replay(br, off, apply, tr.annotation)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return fr, &LoadError{File: name, Offset: fe.Offset, Msg: fmt.Sprintf(
				"Bad file format reading the append only file %s at offset %d (%s): make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
				name, fe.Offset, fe.Msg)}
		}
		var ae *applyError
		if errors.As(err, &ae) {
			return fr, &LoadError{File: name, Offset: ae.Offset, Msg: fmt.Sprintf("%v %s (command at offset %d)", ae.Err, name, ae.Offset)}
		}
		return fr, &LoadError{File: name, Msg: fmt.Sprintf("Unrecoverable error reading the append only file %s: %v", name, err)}
	}
	if !rr.Truncated {
		return fr, nil
	}
	if rr.InMulti {
		o.log.Warningf("Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
	}
	if !last {
		return fr, &LoadError{File: name, Offset: rr.ValidUpTo, Msg: fmt.Sprintf(
			"Fatal error: the truncated file %s is not the last file (unexpected end of file after offset %d)", name, rr.ValidUpTo)}
	}
	if !o.truncOK {
		return fr, &LoadError{File: name, Offset: rr.ValidUpTo, Msg: fmt.Sprintf(
			"Unexpected end of file reading the append only file %s (last valid command ends at offset %d). You can: "+
				"1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "+
				"2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name, rr.ValidUpTo)}
	}
	o.log.Warningf("!!! Warning: short read while loading the AOF file %s!!!", name)
	o.log.Warningf("!!! Truncating the AOF %s at offset %d !!!", name, rr.ValidUpTo)
	if err := truncateDurably(o.fs, path, rr.ValidUpTo); err != nil {
		return fr, &LoadError{File: name, Offset: rr.ValidUpTo, Msg: fmt.Sprintf("Error truncating the AOF file %s: %s", name, strerror(err))}
	}
	o.log.Warningf("AOF %s loaded anyway because aof-load-truncated is enabled", name)
	fr.truncatedTo = rr.ValidUpTo
	return fr, nil
}

// truncateDurably cuts a file and fsyncs it.
func truncateDurably(fsys FS, path string, size int64) error {
	if err := fsys.Truncate(path, size); err != nil {
		return err
	}
	f, err := fsys.OpenAppend(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// engineTarget loads into the running server: RDB parts through
// persist.Load, commands through the engine with a session flagged like a
// master link (no replies kept, logically expired keys visible), in lock
// holds of up to 1024 commands so clients get -LOADING meanwhile.
type engineTarget struct {
	a      *Manager
	sess   command.Session
	locked bool
	n      int
}

func (t *engineTarget) newSession() {
	t.sess = command.Session{ID: -1, Flags: command.FlagMaster, Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}, User: "default"}
}

func (t *engineTarget) lock() {
	if !t.locked {
		t.a.srv.Lock()
		t.locked = true
	}
}

func (t *engineTarget) release() {
	if t.locked {
		t.a.srv.Unlock()
		t.locked = false
		t.n = 0
	}
}

func (t *engineTarget) loadRDB(br *bufio.Reader) (persist.LoadResult, error) {
	t.release()
	a := t.a
	a.srv.Lock()
	opts := persist.LoadOptions{
		Limits:   persist.Limits(a.cfg),
		Now:      time.Now().UnixMilli(),
		Checksum: a.cfg.RDBChecksum,
		OnSkip: func(key []byte, reason rdb.SkipReason) {
			if reason == rdb.SkipEmpty {
				a.log.Warningf("rdbLoadObject skipping empty key: %s", key)
			} else {
				a.log.Warningf("Skipping key %s: %s", key, reason)
			}
		},
	}
	a.srv.Unlock()
	res, err := persist.Load(br, a.ks, a.srv, opts)
	if err != nil {
		return res, err
	}
	// The preamble's function libraries, before the commands after it
	// (which may FUNCTION LOAD more).
	a.srv.Lock()
	err = a.pm.ReplaceFunctions(res.Functions)
	a.srv.Unlock()
	if err != nil {
		return res, err
	}
	if v := res.Aux["redis-ver"]; v != "" {
		a.log.Noticef("Loading RDB produced by version %s", v)
	}
	if ct, ok := res.AuxInt("ctime"); ok {
		a.log.Noticef("RDB age %d seconds", time.Now().Unix()-ct)
	}
	if um, ok := res.AuxInt("used-mem"); ok {
		a.log.Noticef("RDB memory usage when created %.2f Mb", float64(um)/(1024*1024))
	}
	a.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d.", res.Keys, res.Expired)
	return res, nil
}

func (t *engineTarget) apply(argv [][]byte) error {
	t.lock()
	if t.a.eng.Table.LookupOriginal(argv[0]) == nil {
		return fmt.Errorf("Unknown command '%s' reading the append only file", truncArg(argv[0]))
	}
	t.sess.W.Reset()
	t.a.eng.Call(&t.sess, argv)
	t.n++
	if t.n >= 1024 {
		t.release()
	}
	return nil
}

func (t *engineTarget) endFile() {
	t.lock()
	t.a.eng.Disconnect(&t.sess)
	t.release()
	t.newSession()
}

func truncArg(b []byte) string {
	if len(b) > 128 {
		b = b[:128]
	}
	return strings.ToValidUTF8(string(b), "?")
}
