package aof

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/types"
)

// recordTarget loads RDB parts into a scratch keyspace and counts commands.
type recordTarget struct {
	ks   *keyspace.Keyspace
	cmds int
}

func (r *recordTarget) loadRDB(br *bufio.Reader) (persist.LoadResult, error) {
	return persist.Load(br, r.ks, nil, persist.LoadOptions{Limits: types.DefaultLimits(), Checksum: true})
}

func (r *recordTarget) apply(argv [][]byte) error {
	r.cmds++
	return nil
}

func (r *recordTarget) endFile() {}

// FuzzLoadFile runs the file loader (RDB preamble or base, then RESP
// records, truncation handling) on arbitrary bytes, as the last file of an
// AOF with aof-load-truncated yes: it must never panic, fail only with a
// LoadError inside the file, allocate at most a bounded multiple of the
// input (plus the 128 MB a RESIZEDB hint may reserve), and after a
// truncation the file must be cut to a prefix that loads cleanly. Seeds:
// the AOF vectors and testdata/fuzz/FuzzLoadFile (forged lengths).
func FuzzLoadFile(f *testing.F) {
	for _, name := range []string{"aof-rdb-base/appendonly.aof.4.base.rdb", "aof-rdb-base/appendonly.aof.4.incr.aof",
		"aof-resp-base/appendonly.aof.3.base.aof", "aof-resp-base/appendonly.aof.3.incr.aof", "rdb-preamble.aof"} {
		if b, err := os.ReadFile(filepath.Join(vectors, name)); err == nil {
			f.Add(b)
		}
	}
	f.Add(cat(cmd("SELECT", "0"), cmd("MULTI"), cmd("SET", "a", "1")))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := NewCrashFS()
		fsys.WriteFile("/d/f.aof", data)
		o := loadOptions{fs: fsys, dir: "/d", root: "/", name: "appendonly.aof", truncOK: true, log: logger.Discard()}
		var tr replTracker
		var m1, m2 runtime.MemStats
		runtime.ReadMemStats(&m1)
		fr, err := loadFile(o, "f.aof", false, true, &recordTarget{ks: keyspace.New(16)}, &tr)
		runtime.ReadMemStats(&m2)
		if a, limit := m2.TotalAlloc-m1.TotalAlloc, uint64(len(data))*512+200<<20; a > limit {
			t.Fatalf("loading %d bytes allocated %d MB", len(data), a>>20)
		}
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T: %v", err, err)
			}
			if le.Offset < 0 || le.Offset > int64(len(data)) {
				t.Fatalf("offset %d outside the file (%d bytes)", le.Offset, len(data))
			}
			return
		}
		if fr.truncatedTo >= 0 {
			cut, _ := fsys.ReadFile("/d/f.aof")
			if int64(len(cut)) != fr.truncatedTo || string(cut) != string(data[:len(cut)]) {
				t.Fatalf("truncated to %d bytes, file has %d", fr.truncatedTo, len(cut))
			}
			fr2, err := loadFile(o, "f.aof", false, true, &recordTarget{ks: keyspace.New(16)}, &tr)
			if err != nil || fr2.truncatedTo >= 0 {
				t.Fatalf("the cut file does not load cleanly: %v %+v", err, fr2)
			}
		}
	})
}
