package aof

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FS is the file-system layer under the AOF: the few operations the AOF
// performs, so that tests can swap in CrashFS and check what survives a
// crash (only fsynced bytes, only directory entries made durable by
// SyncDir). Names are full paths.
type FS interface {
	// Create opens name for writing, creating or truncating it.
	Create(name string) (File, error)
	// OpenAppend opens name for appending, creating it if missing.
	OpenAppend(name string) (File, error)
	// Open opens name for reading.
	Open(name string) (io.ReadCloser, error)
	// Size is the length of name (an error wrapping fs.ErrNotExist when
	// it does not exist).
	Size(name string) (int64, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	// Truncate cuts name to size bytes (not durable until the file is
	// fsynced).
	Truncate(name string, size int64) error
	MkdirAll(dir string) error
	// SyncDir makes the entries of dir (creations, renames, removals)
	// durable.
	SyncDir(dir string) error
	// List returns the names (not paths) of the entries of dir.
	List(dir string) ([]string, error)
}

// File is an open file of an FS.
type File interface {
	io.Writer
	// Sync makes everything written so far durable (fdatasync).
	Sync() error
	// Truncate cuts the file to size bytes.
	Truncate(size int64) error
	Close() error
}

// OSFS is the real file system.
type OSFS struct{}

var _ FS = OSFS{}

func (OSFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (OSFS) OpenAppend(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (OSFS) Open(name string) (io.ReadCloser, error) { return os.Open(name) }

func (OSFS) Size(name string) (int64, error) {
	st, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (OSFS) Rename(oldname, newname string) error   { return os.Rename(oldname, newname) }
func (OSFS) Remove(name string) error               { return os.Remove(name) }
func (OSFS) Truncate(name string, size int64) error { return os.Truncate(name, size) }
func (OSFS) MkdirAll(dir string) error              { return os.MkdirAll(dir, 0o755) }

func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (OSFS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

// osFile is an *os.File whose Sync is fdatasync where the platform has it.
type osFile struct{ *os.File }

func (f osFile) Sync() error { return fdatasync(f.File) }

// exists reports whether name exists on fsys.
func exists(fsys FS, name string) bool {
	_, err := fsys.Size(name)
	return err == nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// join is filepath.Join, kept short for the many path builds.
func join(dir, name string) string { return filepath.Join(dir, name) }
