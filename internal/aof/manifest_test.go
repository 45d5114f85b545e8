package aof

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseManifestAcceptsWhatRedisAccepts(t *testing.T) {
	cases := []struct {
		name, text string
		base       string
		incr       []string
		hist       int
		baseSeq    int64
		incrSeq    int64
	}{
		{"redis sample", "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
			"appendonly.aof.2.base.rdb", []string{"appendonly.aof.2.incr.aof"}, 0, 2, 2},
		{"keys in any order, case-insensitive, extra pairs", "type b SEQ 7 File a.base.rdb future x\nfile a.1.incr.aof type i seq 1\n",
			"a.base.rdb", []string{"a.1.incr.aof"}, 0, 7, 1},
		{"comments and history", "# hello\nfile a.1.base.rdb seq 1 type h\nfile a.2.base.rdb seq 2 type b\nfile a.3.incr.aof seq 3 type i\nfile a.5.incr.aof seq 5 type i\n",
			"a.2.base.rdb", []string{"a.3.incr.aof", "a.5.incr.aof"}, 1, 2, 5},
		{"quoted name", "file \"my file.aof\" seq 1 type i\n", "", []string{"my file.aof"}, 0, 0, 1},
		{"CRLF lines", "file a.1.incr.aof seq 1 type i\r\n", "", []string{"a.1.incr.aof"}, 0, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseManifest(strings.NewReader(c.text))
			if err != nil {
				t.Fatal(err)
			}
			base := ""
			if m.Base != nil {
				base = m.Base.Name
			}
			var incr []string
			for _, i := range m.Incr {
				incr = append(incr, i.Name)
			}
			if base != c.base || strings.Join(incr, ",") != strings.Join(c.incr, ",") || len(m.History) != c.hist || m.BaseSeq != c.baseSeq || m.IncrSeq != c.incrSeq {
				t.Fatalf("got base %q incr %q hist %d seqs %d/%d", base, incr, len(m.History), m.BaseSeq, m.IncrSeq)
			}
		})
	}
}

func TestParseManifestRefusesWhatRedisRefuses(t *testing.T) {
	cases := []struct{ name, text, msg string }{
		{"empty", "", "Found an empty AOF manifest"},
		{"blank line", "file a seq 1 type i\n\n", "Invalid AOF manifest file format"},
		{"too few fields", "file a seq 1\n", "Invalid AOF manifest file format"},
		{"odd fields", "file a seq 1 type i x\n", "Invalid AOF manifest file format"},
		{"seq zero", "file a seq 0 type i\n", "Invalid AOF manifest file format"},
		{"missing file", "name a seq 1 type i\n", "Invalid AOF manifest file format"},
		{"two bases", "file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"},
		{"non-monotonic", "file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number"},
		{"unknown type", "file a seq 1 type x\n", "Unknown AOF file type"},
		{"path", "file ../a seq 1 type i\n", "File can't be a path, just a filename"},
		{"no final newline", "file a seq 1 type i", "The AOF manifest file contains too long line"},
		{"too long", "file " + strings.Repeat("a", 1100) + " seq 1 type i\n", "The AOF manifest file contains too long line"},
		{"unbalanced quotes", "file \"a seq 1 type i\n", "Invalid AOF manifest file format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseManifest(strings.NewReader(c.text))
			var me *ManifestError
			if !errors.As(err, &me) || me.Message != c.msg {
				t.Fatalf("err = %v, want %q", err, c.msg)
			}
		})
	}
}

func TestManifestEncodeRoundTrips(t *testing.T) {
	m := &Manifest{}
	m.newBase("appendonly.aof", true)
	m.newIncr("appendonly.aof")
	m.newIncr("appendonly.aof")
	m.newBase("appendonly.aof", false)
	m.incrToHistory(true)
	m.Incr = append(m.Incr, fileInfo{Name: "odd \"name\"\x01", Seq: 9, Type: typeIncr})
	// Redis's order: each file turned into history goes to the head of
	// the list, the old base first, then the rewritten incr files.
	want := "file appendonly.aof.2.base.aof seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.1.base.rdb seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type i\n" +
		"file \"odd \\\"name\\\"\\x01\" seq 9 type i\n"
	if got := string(m.Encode()); got != want {
		t.Fatalf("encode:\n%s\nwant:\n%s", got, want)
	}
	back, err := ParseManifest(bytes.NewReader(m.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Encode()) != want {
		t.Fatalf("round trip:\n%s", back.Encode())
	}
}

func TestVectorManifestsParse(t *testing.T) {
	for _, d := range []string{"aof-rdb-base", "aof-resp-base"} {
		b, err := os.ReadFile(vectorPath(t, d+"/appendonly.aof.manifest"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseManifest(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Encode(), b) {
			t.Fatalf("%s: re-encoded manifest differs:\n%s", d, m.Encode())
		}
	}
}
