package aof

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/config"
)

func TestTruncatedTailIsCutAndLogged(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	c := in.client()
	c.do("SET", "a", "1")
	c.do("SET", "b", "2")
	name := aofDir() + "/" + in.incrName()
	restartClean := func() { in.locked(func() { in.a.beforeShutdown() }); in.srv.Close() }
	restartClean()
	good, _ := fsys.ReadFile(name)
	partial := cmd("SET", "c", "3")
	fsys.WriteFile(name, append(append([]byte(nil), good...), partial[:len(partial)-4]...))

	if _, err := newInst(t, fsys, func(c *config.Config) { c.AOFLoadTruncated = false }); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("last valid command ends at offset %d", len(good))) {
		t.Fatalf("aof-load-truncated no: %v", err)
	}
	in2 := mustInst(t, fsys, nil)
	if d := in2.dump(); d["0/a"] != "string:1" || d["0/b"] != "string:2" || len(d) != 2 {
		t.Fatalf("data %v", d)
	}
	if !strings.Contains(in2.logs.String(), fmt.Sprintf("!!! Truncating the AOF appendonly.aof.1.incr.aof at offset %d !!!", len(good))) {
		t.Fatalf("log:\n%s", in2.logs)
	}
	if b, _ := fsys.ReadFile(name); !bytes.Equal(b, good) {
		t.Fatalf("file not cut back to %d bytes: %d", len(good), len(b))
	}
	// Appending after the cut works and reloads.
	in2.client().do("SET", "c", "3")
	if d := restart(t, in2).dump(); d["0/c"] != "string:3" {
		t.Fatalf("after cut and append: %v", d)
	}
}

func TestTransactionCutByTheEndIsReverted(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	in.client().do("SET", "a", "1")
	in.locked(func() { in.a.beforeShutdown() })
	in.srv.Close()
	name := aofDir() + "/" + in.incrName()
	good, _ := fsys.ReadFile(name)
	fsys.WriteFile(name, cat(good, cmd("MULTI"), cmd("SET", "a", "2"), cmd("SET", "b", "2")))
	in2 := mustInst(t, fsys, nil)
	if d := in2.dump(); d["0/a"] != "string:1" || len(d) != 1 {
		t.Fatalf("an unfinished transaction was applied: %v", d)
	}
	if !strings.Contains(in2.logs.String(), "Revert incomplete MULTI/EXEC transaction in AOF file appendonly.aof.1.incr.aof") {
		t.Fatalf("log:\n%s", in2.logs)
	}
}

func TestCorruptionInTheMiddleStopsStartup(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	c := in.client()
	c.do("SET", "a", "1")
	c.do("SET", "b", "2")
	c.do("SET", "c", "3")
	in.locked(func() { in.a.beforeShutdown() })
	in.srv.Close()
	name := aofDir() + "/" + in.incrName()
	b, _ := fsys.ReadFile(name)
	at := bytes.Index(b, []byte("*3\r\n$3\r\nSET\r\n$1\r\nb"))
	bad := append([]byte(nil), b...)
	bad[at] = '?'
	fsys.WriteFile(name, bad)
	_, err := newInst(t, fsys, nil)
	var le *LoadError
	if !errors.As(err, &le) || le.File != "appendonly.aof.1.incr.aof" || le.Offset != int64(at) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("appendonly.aof.1.incr.aof at offset %d", at)) {
		t.Fatalf("message does not name file and offset: %v", err)
	}
	if got, _ := fsys.ReadFile(name); !bytes.Equal(got, bad) {
		t.Fatal("a corrupt AOF must be left untouched")
	}
}

func TestUnknownCommandStopsStartup(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	in.locked(func() { in.a.beforeShutdown() })
	in.srv.Close()
	name := aofDir() + "/" + in.incrName()
	fsys.WriteFile(name, cat(cmd("SELECT", "0"), cmd("NOSUCHCMD", "x")))
	_, err := newInst(t, fsys, nil)
	if err == nil || !strings.Contains(err.Error(), "Unknown command 'NOSUCHCMD' reading the append only file appendonly.aof.1.incr.aof") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingListedFileStopsStartup(t *testing.T) {
	fsys := NewCrashFS()
	in := mustInst(t, fsys, nil)
	in.locked(func() { in.a.beforeShutdown() })
	in.srv.Close()
	fsys.Remove(aofDir() + "/appendonly.aof.1.base.rdb")
	if _, err := newInst(t, fsys, nil); err == nil || !strings.Contains(err.Error(), "appendonly.aof.1.base.rdb doesn't exist") {
		t.Fatalf("err = %v", err)
	}
}
