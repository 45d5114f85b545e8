package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLine is AOF_ANNOTATION_LINE_MAX_LEN: the longest annotation, `*` or
// `$` line, CRLF included.
const maxLine = 1024

// maxBulk bounds one argument (Redis's loader has no limit; ours refuses a
// length no server could have written, instead of allocating it).
const maxBulk = 1 << 32

// errShort is an end of file in the middle of a record: a truncated tail.
var errShort = errors.New("unexpected end of file")

// FormatError is a malformed record: the file is corrupt at Offset.
type FormatError struct {
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset) }

// recordKind is what cmdReader.next found.
type recordKind int

const (
	recCommand recordKind = iota
	recAnnotation
)

// cmdReader reads AOF records (multibulk commands and '#' annotation lines)
// from a buffered reader, with the rules of redis-check-aof: every `*` and
// `$` line and every argument ends with CRLF; inline commands are not
// allowed. Argument slices are valid until the next call to next.
type cmdReader struct {
	br   *bufio.Reader
	off  int64 // offset of the next unread byte
	argv [][]byte
	line []byte // the annotation, for recAnnotation (valid until next)
	buf  []byte // backing store of argv
	lb   []byte
}

func newCmdReader(br *bufio.Reader, off int64) *cmdReader {
	return &cmdReader{br: br, off: off}
}

// next reads one record. It returns io.EOF at a clean end, errShort when
// the input ends inside a record, or a *FormatError.
func (r *cmdReader) next() (recordKind, error) {
	start := r.off
	line, err := r.readLine()
	if err != nil {
		if err == io.EOF && len(line) == 0 {
			return 0, io.EOF
		}
		if err == io.EOF {
			return 0, errShort
		}
		if fe, ok := err.(*FormatError); ok {
			fe.Offset = start
		}
		return 0, err
	}
	if line[0] == '#' {
		r.line = line
		return recAnnotation, nil
	}
	if line[0] != '*' {
		return 0, &FormatError{Offset: start, Msg: "Bad file format: expected '*'"}
	}
	argc, ok := parseLen(line[1:])
	if !ok || argc < 1 {
		return 0, &FormatError{Offset: start, Msg: "Bad file format: invalid multibulk length"}
	}
	r.argv = r.argv[:0]
	r.buf = r.buf[:0]
	type span struct{ at, n int }
	var spans [8]span
	sp := spans[:0]
	for j := int64(0); j < argc; j++ {
		at := r.off
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF {
				return 0, errShort
			}
			if fe, ok := err.(*FormatError); ok {
				fe.Offset = at
			}
			return 0, err
		}
		if line[0] != '$' {
			return 0, &FormatError{Offset: at, Msg: "Bad file format: expected '$'"}
		}
		n, ok := parseLen(line[1:])
		if !ok || n < 0 || n > maxBulk {
			return 0, &FormatError{Offset: at, Msg: "Bad file format: invalid bulk length"}
		}
		pos := len(r.buf)
		if err := r.readBulk(int(n)); err != nil {
			return 0, err
		}
		if r.buf[len(r.buf)-2] != '\r' || r.buf[len(r.buf)-1] != '\n' {
			return 0, &FormatError{Offset: r.off - 2, Msg: "Bad file format: expected CRLF after argument"}
		}
		r.buf = r.buf[:len(r.buf)-2]
		sp = append(sp, span{pos, int(n)})
	}
	for _, s := range sp {
		r.argv = append(r.argv, r.buf[s.at:s.at+s.n:s.at+s.n])
	}
	return recCommand, nil
}

// readLine reads one line ending in LF, at most maxLine bytes; it must end
// in CRLF. The returned line excludes the CRLF.
func (r *cmdReader) readLine() ([]byte, error) {
	r.lb = r.lb[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		r.lb = append(r.lb, frag...)
		r.off += int64(len(frag))
		if len(r.lb) > maxLine {
			return nil, &FormatError{Msg: "Bad file format: line too long"}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF {
				return r.lb, io.EOF
			}
			return nil, err
		}
		break
	}
	l := r.lb
	if len(l) < 2 || l[len(l)-2] != '\r' {
		return nil, &FormatError{Msg: "Bad file format: line not terminated by CRLF"}
	}
	l = l[:len(l)-2]
	if len(l) == 0 {
		return nil, &FormatError{Msg: "Bad file format: empty line"}
	}
	return l, nil
}

// readBulk appends n bytes plus the 2-byte terminator to r.buf, growing in
// steps so that a corrupt huge length fails at the end of the data instead
// of allocating it.
func (r *cmdReader) readBulk(n int) error {
	want := n + 2
	for want > 0 {
		chunk := want
		if chunk > 1<<20 {
			chunk = 1 << 20
		}
		pos := len(r.buf)
		r.buf = append(r.buf, make([]byte, chunk)...)
		got, err := io.ReadFull(r.br, r.buf[pos:])
		r.off += int64(got)
		if err != nil {
			r.buf = r.buf[:pos+got]
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return errShort
			}
			return err
		}
		want -= chunk
	}
	return nil
}

// parseLen parses the decimal number of a `*` or `$` line. It is
// deliberately more lenient than resp.ParseInt: Redis's AOF loader reads
// these numbers with atoi/strtol, which take leading zeros and "-0", so a
// file another tool wrote that way loads here too. It is not strtol either:
// a '+' or spaces, which no writer produces, are refused as corruption.
func parseLen(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// isCmd reports whether argv[0] is name (ASCII, case-insensitive).
func isCmd(argv [][]byte, name string) bool {
	return len(argv) > 0 && bytes.EqualFold(argv[0], []byte(name))
}

// applyError is an error of the apply function, with the offset of the
// command.
type applyError struct {
	Offset int64
	Err    error
}

func (e *applyError) Error() string { return fmt.Sprintf("%v (at offset %d)", e.Err, e.Offset) }
func (e *applyError) Unwrap() error { return e.Err }

// replayResult describes one file's RESP part.
type replayResult struct {
	// ValidUpTo is the end of the last complete command outside a
	// transaction (where a truncated file is cut).
	ValidUpTo int64
	// Truncated: the input ended inside a command or inside MULTI.
	Truncated bool
	// InMulti: the input ended inside MULTI (the transaction is reverted).
	InMulti  bool
	Commands int
}

// replay runs every command of the records in br (which starts at byte
// off of its file) through apply, and every annotation line through annot.
// A format error or an apply error stops it; an end of file inside a
// command or a transaction is reported in the result, not as an error.
func replay(br *bufio.Reader, off int64, apply func(argv [][]byte) error, annot func(line []byte)) (replayResult, error) {
	r := newCmdReader(br, off)
	res := replayResult{ValidUpTo: off}
	inMulti := false
	beforeMulti := off
	for {
		at := r.off
		kind, err := r.next()
		if err == io.EOF {
			if inMulti {
				res.Truncated, res.InMulti = true, true
				res.ValidUpTo = beforeMulti
			}
			return res, nil
		}
		if err == errShort {
			res.Truncated = true
			if inMulti {
				res.InMulti = true
				res.ValidUpTo = beforeMulti
			}
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if kind == recAnnotation {
			if annot != nil {
				annot(r.line)
			}
			if !inMulti {
				res.ValidUpTo = r.off
			}
			continue
		}
		switch {
		case isCmd(r.argv, "multi"):
			if !inMulti {
				beforeMulti = res.ValidUpTo
			}
			inMulti = true
		case isCmd(r.argv, "exec"), isCmd(r.argv, "discard"):
			inMulti = false
		}
		if err := apply(r.argv); err != nil {
			return res, &applyError{Offset: at, Err: err}
		}
		res.Commands++
		if !inMulti {
			res.ValidUpTo = r.off
		}
	}
}
