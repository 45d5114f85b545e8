package repl

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tandemdb/tandem/internal/resp"
)

// fuzzMaxBulk is the proto-max-bulk-len of the fuzzed replica: Redis's
// smallest allowed value, so a declared bulk costs at most this much.
const fuzzMaxBulk = 1 << 20

// chunkReader hands out data n bytes at a time (n >= 1), as a socket may.
type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), c.n, len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

// countWriter counts what copyPayload writes.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// replayMaster runs the replica's parsers over everything a master sent
// on one connection, in the order once() reads it: the replies to PING and
// to the two REPLCONFs, the PSYNC reply (after keepalive newlines), the RDB
// payload's header and bytes when it asks for a full sync, then the command
// stream. It stops where the link would drop the connection. t checks
// the bounds every step must keep.
func replayMaster(t *testing.T, data []byte, cached bool, chunk int) {
	br := bufio.NewReaderSize(&chunkReader{data: data, n: chunk}, 16)
	line, err := readMasterLine(br)
	if err != nil || !pingReplyOK(line) {
		return
	}
	for i := 0; i < 2; i++ {
		if _, err := readMasterLine(br); err != nil {
			return
		}
	}
	for { // the PSYNC reply, after any keepalive newlines
		if line, err = readMasterLine(br); err != nil {
			return
		}
		if line != "" {
			break
		}
	}
	if len(line) > maxMasterLine {
		t.Fatalf("line of %d bytes accepted", len(line))
	}
	reply, err := parsePSYNCReply(line, cached)
	if err != nil {
		return
	}
	switch reply.action {
	case psyncLater:
		return
	case psyncContinue:
		if !cached {
			t.Fatalf("+CONTINUE accepted without a cached master: %q", line)
		}
		if reply.replID != "" && !validReplID(reply.replID) {
			t.Fatalf("bad +CONTINUE ID accepted: %q", line)
		}
	case psyncFull, psyncSync:
		if reply.action == psyncFull && (!validReplID(reply.replID) || reply.offset < 0) {
			t.Fatalf("bad +FULLRESYNC accepted: %q", line)
		}
		var h payloadHeader
		for {
			hl, err := readMasterLine(br)
			if err != nil {
				return
			}
			if hl == "" {
				continue
			}
			if h, err = parsePayloadHeader(hl); err != nil {
				return
			}
			break
		}
		if h.mark == nil && h.size < 0 || h.mark != nil && len(h.mark) != IDLen {
			t.Fatalf("bad payload header accepted: %+v", h)
		}
		var w countWriter
		if err := copyPayload(br, &w, h); err != nil {
			return
		}
		if w.n > int64(len(data)) || h.mark == nil && w.n != h.size {
			t.Fatalf("payload of %d bytes from %d input bytes (header %+v)", w.n, len(data), h)
		}
	}
	// The command stream, as stream() and apply() read it.
	rd := newStreamReader(fuzzMaxBulk)
	var consumed int64
	limit := fuzzMaxBulk + 4*resp.MaxInlineSize + 2*len(data)
	for {
		n, err := br.Read(rd.Space())
		if n > 0 {
			rd.Advance(n)
		}
		if rd.Cap() > limit {
			t.Fatalf("stream buffer grew to %d bytes for %d input bytes", rd.Cap(), len(data))
		}
		for {
			ok, perr := nextMasterCommand(rd)
			if perr != nil {
				return
			}
			if !ok {
				break
			}
			raw := rd.Raw()
			if len(raw) == 0 {
				t.Fatal("a command of zero bytes: the offset would not move")
			}
			consumed += int64(len(raw))
			for _, a := range rd.Args {
				if int64(len(a)) > fuzzMaxBulk {
					t.Fatalf("argument of %d bytes over proto-max-bulk-len", len(a))
				}
			}
		}
		if consumed > int64(len(data)) {
			t.Fatalf("stream offset %d beyond the %d input bytes", consumed, len(data))
		}
		if err != nil {
			return
		}
	}
}

// FuzzReplicaStream feeds arbitrary bytes, split in arbitrary chunks, to
// everything a replica parses from its master (handshake replies, PSYNC
// reply, RDB payload framing, command stream): no input may panic, accept
// a malformed ID, offset or length, or grow a buffer past the bounds that
// proto-max-bulk-len and the input's own size set. The RDB's contents are
// the RDB loader's fuzz target (internal/rdb).
func FuzzReplicaStream(f *testing.F) {
	for _, s := range replicaStreamSeeds(f) {
		f.Add(s.data, s.cached, s.chunk)
	}
	f.Fuzz(func(t *testing.T, data []byte, cached bool, chunk byte) {
		replayMaster(t, data, cached, int(chunk%64)+1)
	})
}

type streamSeed struct {
	data   []byte
	cached bool
	chunk  byte
}

// replicaStreamSeeds are real conversations captured from Redis 7.0.15
// (/work/shared/testdata/replication, copied into testdata/) and the
// hostile answers of issue 14. The committed corpus under
// testdata/fuzz/FuzzReplicaStream holds the same seeds.
func replicaStreamSeeds(tb testing.TB) []streamSeed {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	payload := read("fullsync-diskless-payload.bin") // $EOF:<mark>\r\n<rdb><mark>
	stream := read("replication-stream-after-fullsync.bin")
	rdbBytes := payload[47 : len(payload)-40]
	const id = "1ba9fe0fa82bab35ddc9ff0662584d7570d257ec"
	hs := "+PONG\r\n+OK\r\n+OK\r\n"
	cat := func(parts ...string) []byte { return []byte(bytesJoin(parts)) }
	return []streamSeed{
		{cat(hs, "\n\n\n+FULLRESYNC "+id+" 138\r\n", string(payload), string(stream)), false, 63},
		{cat(hs, "+FULLRESYNC "+id+" 0\r\n", "$298\r\n", string(rdbBytes), string(stream)), false, 7},
		{cat(hs, "+CONTINUE "+id+"\r\n", string(stream)), true, 1},
		{cat(hs, "+CONTINUE\r\n", string(stream)), true, 13},
		{cat(hs, "-ERR unknown command 'PSYNC'\r\n", "$298\r\n", string(rdbBytes), string(stream)), false, 31},
		{cat(hs, "-LOADING Redis is loading the dataset in memory\r\n"), false, 5},
		// Hostile masters (issue 14, finding 9).
		{cat(hs, "+CONTINUE\r\n", string(stream)), false, 3},
		{cat(hs, "+FULLRESYNC "+id[:39]+"z 0\r\n$1\r\nx"), false, 9},
		{cat(hs, "+FULLRESYNC "+id+" -7\r\n$1\r\nx"), false, 9},
		{cat(hs, "+FULLRESYNC "+id+" 0\r\n$-5\r\n"), false, 9},
		{cat(hs, "+FULLRESYNC "+id+" 0\r\n$99999999999999999999\r\n"), false, 9},
		{cat(hs, "+FULLRESYNC "+id+" 0\r\n$EOF:short\r\n"), false, 9},
		{cat(hs, "+FULLRESYNC "+id+" 0\r\n$9\r\nREDIS0010garbage"), false, 4},
		{cat(hs, "+CONTINUE\r\n*2147483648\r\n"), true, 11},
		{cat(hs, "+CONTINUE\r\n*1\r\n$9223372036854775807\r\nxx"), true, 11},
		{cat(hs, "+CONTINUE\r\n*1\r\n$-1\r\n*-3\r\n*3\r\n$3\r\nset\r\n$-2\r\n"), true, 2},
		{cat(hs, "+CONTINUE\r\n*2\r\n$4\r\nping\r\nPING\r\n"), true, 2},
	}
}

func bytesJoin(parts []string) string {
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString(p)
	}
	return b.String()
}
