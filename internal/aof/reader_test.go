package aof

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/testutil"
)

// vectors are Redis 7.0.15 AOF files in shared/ beside the repository.
var vectors = filepath.Join(testutil.SharedDir(), "testdata", "aof")

// vectorPath finds a shared test vector, skipping when absent.
func vectorPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(vectors, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("test vector %s not available", p)
	}
	return p
}

func cmd(args ...string) []byte {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	return resp.AppendCommand(nil, argv...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// collect replays data and returns the commands applied (joined by spaces)
// and annotations.
func collect(data []byte) ([]string, []string, replayResult, error) {
	var cmds, notes []string
	res, err := replay(bufio.NewReader(bytes.NewReader(data)), 0, func(argv [][]byte) error {
		parts := make([]string, len(argv))
		for i, a := range argv {
			parts[i] = string(a)
		}
		cmds = append(cmds, strings.Join(parts, " "))
		return nil
	}, func(line []byte) { notes = append(notes, string(line)) })
	return cmds, notes, res, err
}

func TestReplayRunsCommandsAndSkipsAnnotations(t *testing.T) {
	data := cat([]byte("#TS:1795271170\r\n"), cmd("SELECT", "0"), cmd("set", "k", "v\r\nwith crlf"), []byte("#tandem-repl:x 1 0\r\n"), cmd("DEL", "k"))
	cmds, notes, res, err := collect(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SELECT 0", "set k v\r\nwith crlf", "DEL k"}
	if strings.Join(cmds, "|") != strings.Join(want, "|") {
		t.Fatalf("commands %q, want %q", cmds, want)
	}
	if len(notes) != 2 || notes[0] != "#TS:1795271170" {
		t.Fatalf("annotations %q", notes)
	}
	if res.Truncated || res.ValidUpTo != int64(len(data)) || res.Commands != 3 {
		t.Fatalf("result %+v, len %d", res, len(data))
	}
}

func TestReplayRejectsMalformedRecordsWithOffset(t *testing.T) {
	good := cmd("SET", "a", "1")
	cases := []struct {
		name string
		tail string
	}{
		{"inline command", "SET a 1\r\n"},
		{"zero arguments", "*0\r\n"},
		{"bad multibulk length", "*x\r\n"},
		{"missing dollar", "*1\r\n+OK\r\n"},
		{"bad bulk length", "*1\r\n$-3\r\nabc\r\n"},
		{"no CRLF after argument", "*1\r\n$3\r\nabcXY"},
		{"LF only line", "*1\n$3\r\nabc\r\n"},
		{"empty line", "\r\n"},
		{"line too long", "#" + strings.Repeat("x", 2000) + "\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := cat(good, []byte(c.tail), good)
			cmds, _, _, err := collect(data)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FormatError", err)
			}
			if fe.Offset < int64(len(good)) || fe.Offset > int64(len(good)+len(c.tail)) {
				t.Fatalf("offset %d outside the bad record [%d,%d]", fe.Offset, len(good), len(good)+len(c.tail))
			}
			if len(cmds) != 1 {
				t.Fatalf("applied %q before the error, want the first SET only", cmds)
			}
		})
	}
}

// TestReplayTruncatedAtEveryByte cuts a file at every byte: the commands
// applied are always the complete ones before the cut (a transaction only
// when its EXEC is in), and the cut point is the last complete command.
func TestReplayTruncatedAtEveryByte(t *testing.T) {
	records := [][]byte{
		cmd("SELECT", "0"),
		cmd("SET", "a", "1"),
		[]byte("#TS:1700000000\r\n"),
		cmd("MULTI"),
		cmd("INCR", "a"),
		cmd("SET", "b", strings.Repeat("x", 300)),
		cmd("EXEC"),
		cmd("DEL", "a"),
	}
	data := cat(records...)
	// boundaries[i] = end of record i; which records are "committed" there
	var ends []int
	pos := 0
	for _, r := range records {
		pos += len(r)
		ends = append(ends, pos)
	}
	for cut := 0; cut <= len(data); cut++ {
		cmds, _, res, err := collect(data[:cut])
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		// expected: complete records before cut, with the MULTI..EXEC
		// group counted only once EXEC is complete.
		complete := 0
		for complete < len(ends) && ends[complete] <= cut {
			complete++
		}
		validUpTo := 0
		if complete > 0 {
			validUpTo = ends[complete-1]
		}
		inMulti := complete >= 4 && complete < 7
		if inMulti {
			validUpTo = ends[2]
		}
		if res.ValidUpTo != int64(validUpTo) {
			t.Fatalf("cut %d: ValidUpTo %d, want %d", cut, res.ValidUpTo, validUpTo)
		}
		wantTrunc := cut != validUpTo
		if res.Truncated != wantTrunc {
			t.Fatalf("cut %d: truncated %v, want %v", cut, res.Truncated, wantTrunc)
		}
		// applied commands: records minus the annotation
		nCmds := complete
		if complete > 2 {
			nCmds--
		}
		if len(cmds) != nCmds {
			t.Fatalf("cut %d: %d commands applied, want %d", cut, len(cmds), nCmds)
		}
	}
}

func TestReplayReportsApplyErrorsWithOffset(t *testing.T) {
	data := cat(cmd("SET", "a", "1"), cmd("NOSUCH", "x"))
	_, err := replay(bufio.NewReader(bytes.NewReader(data)), 100, func(argv [][]byte) error {
		if string(argv[0]) == "NOSUCH" {
			return errors.New("unknown")
		}
		return nil
	}, nil)
	var ae *applyError
	if !errors.As(err, &ae) || ae.Offset != 100+int64(len(cmd("SET", "a", "1"))) {
		t.Fatalf("err %v", err)
	}
}

// FuzzReplay feeds arbitrary bytes to the record reader: it must never
// panic, offsets stay within the input, and replaying the valid prefix
// gives the same commands with no truncation.
func FuzzReplay(f *testing.F) {
	f.Add(cat(cmd("SELECT", "0"), cmd("SET", "k", "v"), []byte("#TS:1\r\n"), cmd("MULTI"), cmd("INCR", "n"), cmd("EXEC")))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000000\r\n"))
	f.Add([]byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n"))
	for _, name := range []string{"aof-resp-base/appendonly.aof.3.base.aof", "aof-resp-base/appendonly.aof.3.incr.aof", "aof-rdb-base/appendonly.aof.4.incr.aof"} {
		if b, err := os.ReadFile(filepath.Join(vectors, name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, _, res, err := collect(data)
		if res.ValidUpTo < 0 || res.ValidUpTo > int64(len(data)) {
			t.Fatalf("ValidUpTo %d outside [0,%d]", res.ValidUpTo, len(data))
		}
		var fe *FormatError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		if err != nil && (fe.Offset < 0 || fe.Offset > int64(len(data))) {
			t.Fatalf("error offset %d outside input", fe.Offset)
		}
		if err == nil {
			again, _, res2, err2 := collect(data[:res.ValidUpTo])
			if err2 != nil || res2.Truncated {
				t.Fatalf("valid prefix does not replay cleanly: %v %+v", err2, res2)
			}
			if !res.Truncated && len(again) != len(cmds) {
				t.Fatalf("prefix replays %d commands, whole input %d", len(again), len(cmds))
			}
		}
	})
}
