package repl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
)

// This file holds what a replica parses from its master, as functions of
// the bytes alone: the handshake's reply lines, the PSYNC reply, the RDB
// payload's framing and the command stream's framing. Every byte comes from
// the network, and a master may be hostile or a man in the middle may speak
// for it, so each function validates its input and answers with an error
// rather than trusting a length or an ID; the link (replica.go) logs the
// error, drops the connection and retries. FuzzReplicaStream drives these
// functions with arbitrary bytes.

// maxMasterLine bounds one line of the handshake (a reply, the PSYNC
// answer, the payload header). Real ones are under 100 bytes; Redis reads
// them into fixed buffers of a few hundred bytes to 16 KB.
const maxMasterLine = 16 << 10

// errLineTooLong is a handshake line longer than maxMasterLine.
var errLineTooLong = errors.New("line from MASTER too long")

// readMasterLine reads one LF-terminated line of at most maxMasterLine
// bytes and strips its CR LF. The bufio.Reader keeps what follows.
func readMasterLine(br *bufio.Reader) (string, error) {
	var long []byte
	for {
		frag, err := br.ReadSlice('\n')
		if err == nil {
			if long != nil {
				frag = append(long, frag...)
			}
			if len(frag) > maxMasterLine {
				return "", errLineTooLong
			}
			return strings.TrimRight(string(frag), "\r\n"), nil
		}
		if err != bufio.ErrBufferFull {
			return "", err
		}
		long = append(long, frag...)
		if len(long) > maxMasterLine {
			return "", errLineTooLong
		}
	}
}

// quoteLine makes a line from the master safe for the log: control bytes
// are escaped and a long line is cut.
func quoteLine(s string) string {
	const max = 128
	cut := ""
	if len(s) > max {
		s, cut = s[:max], "..."
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '\\' {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String() + cut
}

// validReplID reports whether s is a replication ID: 40 hex digits.
func validReplID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// pingReplyOK applies Redis's rule to the answer to our PING: any status,
// or an error saying only that we must authenticate first.
func pingReplyOK(line string) bool {
	return strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-NOAUTH") ||
		strings.HasPrefix(line, "-NOPERM") || strings.HasPrefix(line, "-ERR operation not permitted")
}

// psyncAction is what a PSYNC reply asks of the replica.
type psyncAction int

const (
	psyncFull     psyncAction = iota // +FULLRESYNC <id> <offset>: an RDB follows
	psyncContinue                    // +CONTINUE [<id>]: the stream follows
	psyncLater                       // -NOMASTERLINK / -LOADING: retry later
	psyncSync                        // anything else: fall back to SYNC
)

// psyncReply is a parsed answer to PSYNC.
type psyncReply struct {
	action psyncAction
	replID string // +FULLRESYNC's ID, or +CONTINUE's new ID ("" if none)
	offset int64  // +FULLRESYNC's offset
	// from: +CONTINUE's offset, where the master resumes a replica that
	// offered REWIND (rewind.go); 0 when absent.
	from int64
}

// parsePSYNCReply parses the (non-empty) line answering PSYNC. cached says
// whether we asked for a partial resync: +CONTINUE answering `PSYNC ? -1`
// is a protocol error (there is no history to continue).
func parsePSYNCReply(line string, cached bool) (psyncReply, error) {
	switch {
	case strings.HasPrefix(line, "+FULLRESYNC"):
		f := strings.Split(line, " ")
		if len(f) != 3 || f[0] != "+FULLRESYNC" || !validReplID(f[1]) {
			return psyncReply{}, errors.New("Master replied with wrong +FULLRESYNC syntax.")
		}
		off, ok := resp.ParseInt([]byte(f[2]))
		if !ok || off < 0 {
			return psyncReply{}, errors.New("Master replied with wrong +FULLRESYNC syntax.")
		}
		return psyncReply{action: psyncFull, replID: f[1], offset: off}, nil
	case strings.HasPrefix(line, "+CONTINUE"):
		if !cached {
			return psyncReply{}, fmt.Errorf("Master accepted a partial resynchronization we did not ask for (reply: %s)", quoteLine(line))
		}
		rest := line[len("+CONTINUE"):]
		if rest == "" {
			return psyncReply{action: psyncContinue}, nil
		}
		id := strings.TrimSpace(rest)
		var from int64
		if i := strings.IndexByte(id, ' '); i >= 0 && rest[0] == ' ' {
			// +CONTINUE <replid> <offset>: a rewound resume (rewind.go).
			off, ok := resp.ParseInt([]byte(id[i+1:]))
			if !ok || off <= 0 {
				return psyncReply{}, fmt.Errorf("Master replied with wrong +CONTINUE syntax (reply: %s)", quoteLine(line))
			}
			id, from = id[:i], off
		}
		if rest[0] != ' ' || !validReplID(id) {
			return psyncReply{}, fmt.Errorf("Master replied with wrong +CONTINUE syntax (reply: %s)", quoteLine(line))
		}
		return psyncReply{action: psyncContinue, replID: id, from: from}, nil
	case strings.HasPrefix(line, "-NOMASTERLINK"), strings.HasPrefix(line, "-LOADING"):
		return psyncReply{action: psyncLater}, nil
	}
	return psyncReply{action: psyncSync}, nil
}

// payloadHeader is the line before the RDB: `$<len>` or `$EOF:<40 bytes>`.
type payloadHeader struct {
	size int64  // bytes of RDB that follow; -1 in the EOF-mark form
	mark []byte // the 40-byte end mark, nil in the length form
}

// parsePayloadHeader parses the (non-empty) line that starts the RDB
// transfer. Redis's own rules: `-<msg>` is an error from the master, the
// EOF form needs at least 40 bytes after `$EOF:` (the first 40 are the
// mark), and the length must be a canonical non-negative integer.
func parsePayloadHeader(line string) (payloadHeader, error) {
	if strings.HasPrefix(line, "-") {
		return payloadHeader{}, fmt.Errorf("MASTER aborted replication with an error: %s", quoteLine(line[1:]))
	}
	if !strings.HasPrefix(line, "$") {
		return payloadHeader{}, fmt.Errorf("Bad protocol from MASTER, the first byte is not '$' (we received '%s'), are you sure the host and port are right?", quoteLine(line))
	}
	if strings.HasPrefix(line, "$EOF:") && len(line) >= 5+IDLen {
		return payloadHeader{size: -1, mark: []byte(line[5 : 5+IDLen])}, nil
	}
	n, ok := resp.ParseInt([]byte(line[1:]))
	if !ok || n < 0 {
		return payloadHeader{}, fmt.Errorf("Bad protocol from MASTER, invalid RDB payload length (we received '%s')", quoteLine(line))
	}
	return payloadHeader{size: n}, nil
}

// copyPayload copies the RDB payload from r to w as the link's machine
// frames it (payloadFramer): exactly h.size bytes, or everything before
// the 40-byte mark in the EOF form. The fuzz tests drive it.
func copyPayload(r io.Reader, w io.Writer, h payloadHeader) error {
	f := payloadFramer{hdr: h}
	if f.done() {
		return nil
	}
	buf := make([]byte, framerRead)
	for {
		n, err := r.Read(buf[:f.want()])
		if n > 0 {
			data, done := f.feed(buf[:n])
			if _, werr := w.Write(data); werr != nil {
				return werr
			}
			if done {
				return nil
			}
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("I/O error trying to sync with MASTER: %v", err)
		}
	}
}

// newStreamReader is the parser of the master's command stream: bulks are
// limited by our proto-max-bulk-len, as any client's are (a master, or a
// man in the middle, announcing more is a protocol error rather than an
// allocation of that size).
func newStreamReader(maxBulk int64) *resp.Reader {
	return resp.NewReader(maxBulk)
}

// errInlineFromMaster is an inline command in the master's stream: a real
// master only sends RESP arrays (and bare newlines before the RDB).
var errInlineFromMaster = errors.New("inline protocol from master")

// nextMasterCommand parses the next command of the master's stream from rd
// (whose MaxBulk is our proto-max-bulk-len). It returns false with a nil
// error when more bytes are needed; true with rd.Args (possibly empty: `*0`
// or a bare newline, which still count in the offset) and rd.Raw set; or
// an error for a malformed stream, after which the link must be dropped.
func nextMasterCommand(rd *resp.Reader) (bool, error) {
	err := rd.Next()
	if err == resp.ErrIncomplete {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if rd.Inline && len(rd.Args) > 0 {
		return false, errInlineFromMaster
	}
	return true, nil
}
