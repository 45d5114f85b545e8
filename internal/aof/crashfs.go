package aof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// CrashFS is an in-memory FS that simulates a machine crash, in the manner
// of pebble's strict vfs.MemFS: Crash drops every byte that was not
// fsynced, and every directory change (create, rename, remove) that was
// not made durable by SyncDir. Tests use it to check what the AOF promises
// about acknowledged writes. It can also inject write and fsync errors.
// Safe for concurrent use.
type CrashFS struct {
	mu   sync.Mutex
	live map[string]*memNode // path → node, as the running process sees it
	// durable is the namespace as it would be found after a crash: the
	// entries of each directory as of its last SyncDir.
	durable map[string]*memNode
	dirs    map[string]bool
	// gen counts crashes: files opened before the last one are dead (the
	// process that held them is gone), and every operation on them fails.
	gen int

	// FailWrite, if set, is consulted before every write: a non-nil error
	// fails it after writing the first n bytes (n may be 0).
	FailWrite func(name string, p []byte) (n int, err error)
	// FailSync, if set, can fail an fsync.
	FailSync func(name string) error
	// Syncs counts successful file fsyncs.
	Syncs int
}

type memNode struct {
	data   []byte
	synced []byte // contents as of the last fsync
	open   int
}

var _ FS = (*CrashFS)(nil)

// NewCrashFS returns an empty CrashFS.
func NewCrashFS() *CrashFS {
	return &CrashFS{live: map[string]*memNode{}, durable: map[string]*memNode{}, dirs: map[string]bool{"/": true}}
}

// Crash simulates power loss: the namespace reverts to its durable state
// and each file to its fsynced contents. Files open before the crash must
// not be used any more.
func (m *CrashFS) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	live := map[string]*memNode{}
	for p, n := range m.durable {
		n.data = append([]byte(nil), n.synced...)
		n.open = 0
		live[p] = n
	}
	m.live = live
}

// SyncAll makes everything durable (a clean shutdown of the machine).
func (m *CrashFS) SyncAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.durable = map[string]*memNode{}
	for p, n := range m.live {
		n.synced = append([]byte(nil), n.data...)
		m.durable[p] = n
	}
}

// ReadFile returns a file's current contents.
func (m *CrashFS) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.live[clean(name)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return append([]byte(nil), n.data...), nil
}

// WriteFile creates name with data, durably (test set-up).
func (m *CrashFS) WriteFile(name string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := clean(name)
	n := &memNode{data: append([]byte(nil), data...), synced: append([]byte(nil), data...)}
	m.live[p] = n
	m.durable[p] = n
	m.mkdirs(filepath.Dir(p))
}

func clean(name string) string { return filepath.Clean("/" + name) }

func (m *CrashFS) mkdirs(dir string) {
	for d := dir; ; d = filepath.Dir(d) {
		m.dirs[d] = true
		if d == "/" || d == "." {
			return
		}
	}
}

func (m *CrashFS) parentOK(p string) error {
	if !m.dirs[filepath.Dir(p)] {
		return &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	return nil
}

func (m *CrashFS) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := clean(name)
	if err := m.parentOK(p); err != nil {
		return nil, err
	}
	n, ok := m.live[p]
	if ok {
		n.data = n.data[:0]
	} else {
		n = &memNode{}
		m.live[p] = n
	}
	n.open++
	return &memFile{fs: m, node: n, name: p, gen: m.gen}, nil
}

func (m *CrashFS) OpenAppend(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := clean(name)
	if err := m.parentOK(p); err != nil {
		return nil, err
	}
	n, ok := m.live[p]
	if !ok {
		n = &memNode{}
		m.live[p] = n
	}
	n.open++
	return &memFile{fs: m, node: n, name: p, gen: m.gen}, nil
}

func (m *CrashFS) Open(name string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.live[clean(name)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return io.NopCloser(bytes.NewReader(append([]byte(nil), n.data...))), nil
}

func (m *CrashFS) Size(name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.live[clean(name)]
	if !ok {
		if m.dirs[clean(name)] {
			return 0, nil
		}
		return 0, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return int64(len(n.data)), nil
}

func (m *CrashFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	op, np := clean(oldname), clean(newname)
	n, ok := m.live[op]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldname, Err: fs.ErrNotExist}
	}
	if err := m.parentOK(np); err != nil {
		return err
	}
	delete(m.live, op)
	m.live[np] = n
	return nil
}

func (m *CrashFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := clean(name)
	if _, ok := m.live[p]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(m.live, p)
	return nil
}

func (m *CrashFS) Truncate(name string, size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.live[clean(name)]
	if !ok {
		return &fs.PathError{Op: "truncate", Path: name, Err: fs.ErrNotExist}
	}
	return n.truncate(size)
}

func (n *memNode) truncate(size int64) error {
	if size < 0 {
		return errors.New("negative size")
	}
	if size <= int64(len(n.data)) {
		n.data = n.data[:size]
	} else {
		n.data = append(n.data, make([]byte, size-int64(len(n.data)))...)
	}
	return nil
}

func (m *CrashFS) MkdirAll(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mkdirs(clean(dir))
	return nil
}

// SyncDir makes the current entries of dir durable (directories themselves
// are treated as always durable).
func (m *CrashFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := clean(dir)
	for p := range m.durable {
		if filepath.Dir(p) == d {
			delete(m.durable, p)
		}
	}
	for p, n := range m.live {
		if filepath.Dir(p) == d {
			m.durable[p] = n
		}
	}
	return nil
}

func (m *CrashFS) List(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := clean(dir)
	if !m.dirs[d] {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: fs.ErrNotExist}
	}
	var out []string
	for p := range m.live {
		if filepath.Dir(p) == d {
			out = append(out, filepath.Base(p))
		}
	}
	sort.Strings(out)
	return out, nil
}

// Dump lists every live file with its size and how much of it is synced
// (for test failure messages).
func (m *CrashFS) Dump() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lines []string
	for p, n := range m.live {
		_, dur := m.durable[p]
		lines = append(lines, fmt.Sprintf("%s size=%d synced=%d durable-entry=%v", p, len(n.data), len(n.synced), dur))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

type memFile struct {
	fs     *CrashFS
	node   *memNode
	name   string
	gen    int
	closed bool
}

// errCrashed is returned by a file handle that outlived a simulated crash.
var errCrashed = errors.New("crashfs: file handle from before the crash")

// dead reports why f can no longer be used (fs.mu held).
func (f *memFile) dead() error {
	if f.closed {
		return fs.ErrClosed
	}
	if f.gen != f.fs.gen {
		return errCrashed
	}
	return nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.dead(); err != nil {
		return 0, err
	}
	if f.fs.FailWrite != nil {
		if n, err := f.fs.FailWrite(f.name, p); err != nil {
			if n > len(p) {
				n = len(p)
			}
			f.node.data = append(f.node.data, p[:n]...)
			return n, err
		}
	}
	f.node.data = append(f.node.data, p...)
	return len(p), nil
}

func (f *memFile) Sync() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.dead(); err != nil {
		return err
	}
	if f.fs.FailSync != nil {
		if err := f.fs.FailSync(f.name); err != nil {
			return err
		}
	}
	f.node.synced = append(f.node.synced[:0], f.node.data...)
	f.fs.Syncs++
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if err := f.dead(); err != nil {
		return err
	}
	return f.node.truncate(size)
}

func (f *memFile) Close() error {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return fs.ErrClosed
	}
	f.closed = true
	f.node.open--
	return nil
}
