package aof

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
)

// File types of a manifest line.
const (
	typeBase    = 'b'
	typeHistory = 'h'
	typeIncr    = 'i'
)

// Naming rules (aof.c).
const (
	baseSuffix     = ".base"
	incrSuffix     = ".incr"
	rdbSuffix      = ".rdb"
	aofSuffix      = ".aof"
	manifestSuffix = ".manifest"
	tempPrefix     = "temp-"
)

// maxManifestLine is MANIFEST_MAX_LINE.
const maxManifestLine = 1024

// fileInfo is one line of the manifest.
type fileInfo struct {
	Name string
	Seq  int64
	Type byte
}

// Manifest lists the files of a multi-part AOF: at most one base, history
// files awaiting deletion, and the incremental files in order. BaseSeq and
// IncrSeq are the last sequence numbers handed out (independent counters,
// as in Redis).
type Manifest struct {
	Base    *fileInfo
	History []fileInfo
	Incr    []fileInfo
	BaseSeq int64
	IncrSeq int64
}

// clone returns a deep copy, to be modified and persisted before it
// replaces the current manifest.
func (m *Manifest) clone() *Manifest {
	c := &Manifest{BaseSeq: m.BaseSeq, IncrSeq: m.IncrSeq}
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	c.History = append([]fileInfo(nil), m.History...)
	c.Incr = append([]fileInfo(nil), m.Incr...)
	return c
}

// empty reports whether the manifest names no base and no incr file.
func (m *Manifest) empty() bool { return m.Base == nil && len(m.Incr) == 0 }

// newBase names the next base file and turns the current one into history.
func (m *Manifest) newBase(prefix string, rdbFormat bool) string {
	if m.Base != nil {
		h := *m.Base
		h.Type = typeHistory
		m.History = append([]fileInfo{h}, m.History...)
	}
	m.BaseSeq++
	suffix := aofSuffix
	if rdbFormat {
		suffix = rdbSuffix
	}
	name := prefix + "." + strconv.FormatInt(m.BaseSeq, 10) + baseSuffix + suffix
	m.Base = &fileInfo{Name: name, Seq: m.BaseSeq, Type: typeBase}
	return name
}

// newIncr names the next incremental file and appends it.
func (m *Manifest) newIncr(prefix string) string {
	m.IncrSeq++
	name := prefix + "." + strconv.FormatInt(m.IncrSeq, 10) + incrSuffix + aofSuffix
	m.Incr = append(m.Incr, fileInfo{Name: name, Seq: m.IncrSeq, Type: typeIncr})
	return name
}

// incrToHistory turns every incr file into history, except the last one
// when keepLast (it is the one being written).
func (m *Manifest) incrToHistory(keepLast bool) {
	n := len(m.Incr)
	if keepLast && n > 0 {
		n--
	}
	for i := n - 1; i >= 0; i-- {
		h := m.Incr[i]
		h.Type = typeHistory
		m.History = append([]fileInfo{h}, m.History...)
	}
	m.Incr = append([]fileInfo(nil), m.Incr[n:]...)
}

// lastIncr is the name of the last incr file, or "".
func (m *Manifest) lastIncr() string {
	if len(m.Incr) == 0 {
		return ""
	}
	return m.Incr[len(m.Incr)-1].Name
}

// Encode renders the manifest as Redis writes it: base, history, incr, one
// LF-terminated line each, names quoted C-style when they need it.
func (m *Manifest) Encode() []byte {
	var b bytes.Buffer
	line := func(fi fileInfo) {
		name := fi.Name
		if needsRepr(name) {
			name = repr(name)
		}
		fmt.Fprintf(&b, "file %s seq %d type %c\n", name, fi.Seq, fi.Type)
	}
	if m.Base != nil {
		line(*m.Base)
	}
	for _, h := range m.History {
		line(h)
	}
	for _, i := range m.Incr {
		line(i)
	}
	return b.Bytes()
}

// ManifestError is a fatal manifest problem, with Redis's wording.
type ManifestError struct {
	Line    int    // 1-based, 0 when not about one line
	Text    string // the offending line
	Message string
}

func (e *ManifestError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (manifest line %d: '%s')", e.Message, e.Line, e.Text)
	}
	return e.Message
}

// ParseManifest reads a manifest with the rules of aofLoadManifestFromFile:
// '#' lines are comments; every other line is "key value" pairs parsed
// like Redis arguments, at least file/seq/type, in any order, extra pairs
// allowed; a blank line, a line over 1024 bytes, a missing key, a second
// base, an unknown type or non-increasing incr sequence numbers are fatal,
// and so is an empty manifest.
func ParseManifest(r io.Reader) (*Manifest, error) {
	br := bufio.NewReaderSize(r, maxManifestLine+1)
	m := &Manifest{}
	var maxSeq int64
	linenum := 0
	for {
		raw, err := readLimitedLine(br, maxManifestLine)
		if err == io.EOF && raw == nil {
			if linenum == 0 {
				return nil, &ManifestError{Message: "Found an empty AOF manifest"}
			}
			return m, nil
		}
		if err != nil && err != io.EOF && err != errLineTooLong {
			return nil, &ManifestError{Message: "Read AOF manifest failed: " + err.Error()}
		}
		linenum++
		if len(raw) > 0 && raw[0] == '#' {
			continue
		}
		if err == errLineTooLong || !bytes.HasSuffix(raw, []byte("\n")) {
			// fgets without a newline: either too long or a last line with
			// no LF, which Redis also refuses ("contains too long line").
			return nil, &ManifestError{Line: linenum, Text: string(raw), Message: "The AOF manifest file contains too long line"}
		}
		line := strings.Trim(string(raw), " \t\r\n")
		if line == "" {
			return nil, &ManifestError{Line: linenum, Text: line, Message: "Invalid AOF manifest file format"}
		}
		args, serr := resp.SplitArgs(line)
		if serr != nil || len(args) < 6 || len(args)%2 != 0 {
			return nil, &ManifestError{Line: linenum, Text: line, Message: "Invalid AOF manifest file format"}
		}
		var fi fileInfo
		for i := 0; i < len(args); i += 2 {
			switch strings.ToLower(args[i]) {
			case "file":
				fi.Name = args[i+1]
				if strings.ContainsRune(fi.Name, '/') {
					return nil, &ManifestError{Line: linenum, Text: line, Message: "File can't be a path, just a filename"}
				}
			case "seq":
				fi.Seq = atoll(args[i+1])
			case "type":
				if len(args[i+1]) > 0 {
					fi.Type = args[i+1][0]
				}
			}
		}
		if fi.Name == "" || fi.Seq == 0 || fi.Type == 0 {
			return nil, &ManifestError{Line: linenum, Text: line, Message: "Invalid AOF manifest file format"}
		}
		switch fi.Type {
		case typeBase:
			if m.Base != nil {
				return nil, &ManifestError{Line: linenum, Text: line, Message: "Found duplicate base file information"}
			}
			b := fi
			m.Base = &b
			m.BaseSeq = fi.Seq
		case typeHistory:
			m.History = append(m.History, fi)
		case typeIncr:
			if fi.Seq <= maxSeq {
				return nil, &ManifestError{Line: linenum, Text: line, Message: "Found a non-monotonic sequence number"}
			}
			m.Incr = append(m.Incr, fi)
			m.IncrSeq = fi.Seq
			maxSeq = fi.Seq
		default:
			return nil, &ManifestError{Line: linenum, Text: line, Message: "Unknown AOF file type"}
		}
	}
}

var errLineTooLong = fmt.Errorf("line too long")

// readLimitedLine reads up to and including '\n', at most max bytes; a
// longer line is consumed entirely and reported with errLineTooLong.
func readLimitedLine(br *bufio.Reader, max int) ([]byte, error) {
	var out []byte
	for {
		frag, err := br.ReadSlice('\n')
		out = append(out, frag...)
		if len(out) > max {
			if err == bufio.ErrBufferFull {
				// swallow the rest of the line
				for err == bufio.ErrBufferFull {
					_, err = br.ReadSlice('\n')
				}
			}
			return out[:max], errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(out) == 0 {
			return nil, io.EOF
		}
		return out, err
	}
}

// atoll parses a leading decimal integer as C's atoll does (0 when none).
func atoll(s string) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var n int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// needsRepr mirrors sdsneedsrepr: a name with quotes, backslashes, spaces
// or non-printable bytes is written quoted.
func needsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '"' || c == '\n' || c == '\r' || c == '\t' || c == '\a' || c == '\b' || c < 0x20 || c > 0x7e || c == ' ' {
			return true
		}
	}
	return false
}

// repr mirrors sdscatrepr.
func repr(s string) string { return string(resp.AppendRepr(nil, s)) }
