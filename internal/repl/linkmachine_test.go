package repl

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/config"
)

// The replica link's scripts: testdata/replica/*.txt drive a linkMachine
// with events and list the actions each one must produce. The format, one
// directive a line ('#' starts a comment):
//
//	config key=value ...   settings of the next steps: timeout, auth, user,
//	                       port, announce-ip, diskless-load
//	world key=value ...    the rest of the server: empty, streamdb, seldb,
//	                       offset (of the identity)
//	time +5s               the clock moves on
//	event[@gen] name args  a step; the lines after it that start with
//	                       "action " are the actions it must return, in order
//	state                  the next line, "is ...", is the machine's state
//
// {x40} stands for forty x's (IDs and EOF marks); payload and sent bytes
// are Go-quoted. The script interpreter plays the driver's part for the
// world: it applies set-id, master-session and flush to it, and counts
// applied stream bytes into the identity's offset as the backlog would.
// Run with -update to rewrite the expected lines from what the machine
// does (then read the diff).
var update = flag.Bool("update", false, "rewrite testdata/replica scripts with the actions produced")

func TestLinkScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/replica/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runLinkScript(t, f) })
	}
}

// scriptEpoch is the clock's start in every script.
var scriptEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// expand replaces {x40} with forty x's.
func expand(s string) string {
	for {
		i := strings.Index(s, "40}")
		if i < 2 || s[i-2] != '{' {
			return s
		}
		s = s[:i-2] + strings.Repeat(s[i-1:i], 40) + s[i+3:]
	}
}

// compact is expand's inverse, for -update.
func compact(s string) string {
	for _, c := range "0123456789abcdefghijklmnopqrstuvwxyz" {
		s = strings.ReplaceAll(s, strings.Repeat(string(c), 40), "{"+string(c)+"40}")
	}
	return s
}

type scriptRun struct {
	t   *testing.T
	sm  *linkMachine
	w   world
	ids int
}

func newScriptRun(t *testing.T) *scriptRun {
	r := &scriptRun{t: t}
	r.sm = newLinkMachine(func() string {
		r.ids++
		return strings.Repeat(string("abcdef"[(r.ids-1)%6]), 40)
	})
	r.w = world{now: scriptEpoch, id: Identity{ID: strings.Repeat("9", 40), ID2: ZeroID, SecondOffset: -1},
		selDB: -1, numDBs: 16, empty: true,
		cfg: linkSettings{timeout: 60 * time.Second, port: 6380}}
	return r
}

func runLinkScript(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	r := newScriptRun(t)
	var out []string // the script as it should read (for -update)
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		out = append(out, line)
		trim := strings.TrimSpace(line)
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		word, rest, _ := strings.Cut(trim, " ")
		var got []string
		prefix := ""
		switch {
		case word == "config":
			r.config(rest)
			continue
		case word == "world":
			r.setWorld(rest)
			continue
		case word == "time":
			d, err := time.ParseDuration(strings.TrimPrefix(rest, "+"))
			if err != nil {
				t.Fatalf("%s:%d: %v", path, i+1, err)
			}
			r.w.now = r.w.now.Add(d)
			continue
		case word == "state":
			got, prefix = []string{"is " + r.state()}, "is "
		case word == "event" || strings.HasPrefix(word, "event@"):
			gen := r.sm.gen
			if g, ok := strings.CutPrefix(word, "event@"); ok {
				gen, _ = strconv.ParseInt(g, 10, 64)
			}
			for _, a := range r.step(gen, rest, path, i+1) {
				got = append(got, "action "+a)
			}
			prefix = "action "
		default:
			t.Fatalf("%s:%d: unknown directive %q", path, i+1, word)
		}
		var want []string
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], prefix) {
			i++
			want = append(want, expand(lines[i]))
		}
		for _, g := range got {
			out = append(out, compact(g))
		}
		if *update {
			continue
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:%d: %s\ngot:\n  %s\nwant:\n  %s", path, i+1, trim,
				strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (r *scriptRun) config(rest string) {
	for _, kv := range strings.Fields(rest) {
		k, v, _ := strings.Cut(kv, "=")
		c := &r.w.cfg
		switch k {
		case "timeout":
			c.timeout, _ = time.ParseDuration(v)
		case "auth":
			c.auth = v
		case "user":
			c.user = v
		case "port":
			c.port, _ = strconv.Atoi(v)
		case "announce-ip":
			c.announceIP = v
		case "diskless-load":
			switch v {
			case "disabled":
				c.disklessLoad = config.DisklessLoadDisabled
			case "on-empty-db":
				c.disklessLoad = config.DisklessLoadOnEmptyDB
			case "swapdb":
				c.disklessLoad = config.DisklessLoadSwapDB
			default:
				r.t.Fatalf("diskless-load %q", v)
			}
		default:
			r.t.Fatalf("unknown config %q", k)
		}
	}
}

func (r *scriptRun) setWorld(rest string) {
	for _, kv := range strings.Fields(rest) {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "empty":
			r.w.empty = v == "true"
		case "streamdb":
			r.w.streamDB = int(n)
		case "nodata":
			r.w.noDataTail = n
		case "seldb":
			r.w.selDB = int(n)
		case "offset":
			r.w.id.Offset = n
		case "id":
			r.w.id.ID = expand(v)
		default:
			r.t.Fatalf("unknown world key %q", k)
		}
	}
}

// state is the machine's state as INFO and ROLE see it, and the identity.
func (r *scriptRun) state() string {
	sm := r.sm
	cached := "none"
	if c := sm.cached; c != nil {
		cached = fmt.Sprintf("%s:%d:%d", c.replID, c.offset, c.db)
	}
	ago := func(t time.Time) string {
		if t.IsZero() {
			return "-1"
		}
		return strconv.FormatInt(int64(r.w.now.Sub(t).Seconds()), 10)
	}
	id := r.w.id
	return (fmt.Sprintf("phase=%s role=%s sync=%d reploff=%d readoff=%d total=%d read=%d io=%s down=%s loading=%v cached=%s id=%s id2=%s second=%d offset=%d",
		sm.phase, sm.phase.role(), b01(sm.phase.syncing()), sm.reploff, sm.readOff, sm.syncTotal, sm.syncRead,
		ago(sm.lastIO), ago(sm.downSince), sm.loading, cached, id.ID, id.ID2, id.SecondOffset, id.Offset))
}

// step parses one event, feeds it, and applies the actions that change
// the world the way the driver would.
func (r *scriptRun) step(gen int64, text, path string, lineNo int) []string {
	name, rest, _ := strings.Cut(text, " ")
	rest = expand(rest)
	ev := event{gen: gen}
	quoted := func() []byte {
		s, err := strconv.Unquote(rest)
		if err != nil {
			r.t.Fatalf("%s:%d: %v", path, lineNo, err)
		}
		return []byte(s)
	}
	switch name {
	case "replicaof":
		if strings.EqualFold(rest, "no one") {
			ev = event{kind: evNoOne, text: "test"}
			break
		}
		f := strings.Fields(rest)
		port, _ := strconv.Atoi(f[1])
		ev = event{kind: evReplicaOf, host: f[0], port: port, text: "test"}
		if len(f) > 2 && f[2] == "failover" {
			// FAILOVER's switch to its target (failover.go).
			ev.flag, ev.text = true, ""
		}
	case "restore":
		f := strings.Fields(rest)
		off, _ := strconv.ParseInt(f[1], 10, 64)
		db, _ := strconv.Atoi(f[2])
		ev = event{kind: evRestore, cached: cachedMaster{replID: f[0], offset: off, db: db}}
	case "line":
		ev.kind, ev.text = evLine, rest
		if strings.HasPrefix(rest, `"`) {
			ev.text = string(quoted())
		}
	case "payload":
		ev.kind, ev.data = evPayload, quoted()
	case "file-error":
		ev.kind, ev.text = evFileError, rest
		if t, ok := strings.CutPrefix(rest, "open "); ok {
			ev.flag, ev.text = true, t
		}
	case "loaded":
		ev.kind = evLoaded
		ev.load.streamDB = -1
		for _, kv := range splitQuoted(rest) {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "keys":
				ev.load.keys = n
			case "expired":
				ev.load.expired = n
			case "ver":
				ev.load.redisVer = v
			case "db":
				ev.load.streamDB = n
			case "trailer":
				s, _ := strconv.Unquote(v)
				ev.load.trailer = []byte(s)
			case "trailer-error":
				ev.load.trailerErr = strings.ReplaceAll(v, "_", " ")
			}
		}
	case "stream-inline":
		ev.kind, ev.text, ev.flag = evStreamError, errInlineFromMaster.Error(), true
	case "panic":
		ev.kind, ev.text, ev.data = evPanic, rest, []byte("<stack>")
	case "debug-sync-delay":
		ev.kind = evDebugSyncDelay
		ev.d, _ = time.ParseDuration(rest)
	case "read":
		n, _ := strconv.Atoi(rest)
		r.sm.streamRead(r.w.now, n)
		return nil
	case "applied":
		n, _ := strconv.ParseInt(rest, 10, 64)
		r.sm.applied(n)
		r.w.id.Offset = r.sm.reploff
		return nil
	case "progress":
		n, _ := strconv.Atoi(rest)
		r.sm.payloadRead(r.w.now, n)
		return nil
	default:
		found := false
		for k, v := range eventNames {
			if v == name {
				ev.kind, ev.text, found = k, rest, true
			}
		}
		if !found {
			r.t.Fatalf("%s:%d: unknown event %q", path, lineNo, name)
		}
	}
	acts := r.sm.Step(r.w, ev)
	if len(acts) == 0 && ev.kind >= evStart && ev.kind <= evPanic && ev.kind != evTick && ev.kind != evAckDue {
		// The driver would wait forever: a script feeding an event the
		// link cannot receive in its phase is a wrong script.
		r.t.Errorf("%s:%d: %s: no action (phase %s)", path, lineNo, text, r.sm.phase)
	}
	var out []string
	for _, a := range acts {
		switch a.kind {
		case actSetID:
			r.w.id = a.id
		case actMasterSession, actStartLink:
			r.w.streamDB = int(a.n)
		case actFlush:
			r.w.empty = true
		}
		out = append(out, a.String())
	}
	return out
}

// splitQuoted splits on spaces outside double quotes.
func splitQuoted(s string) []string {
	var out []string
	var cur bytes.Buffer
	inQ := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && inQ && i+1 < len(s):
			cur.WriteByte(c)
			i++
			cur.WriteByte(s[i])
			continue
		case c == '"':
			inQ = !inQ
		case c == ' ' && !inQ:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(c)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// TestPayloadFramerAtEverySplit: the EOF mark is found however the reads
// cut the payload, and nothing of it reaches the file.
func TestPayloadFramerAtEverySplit(t *testing.T) {
	mark := []byte(strings.Repeat("0123456789", 4))
	body := []byte("REDIS0010" + strings.Repeat("x", 100) + "0123")
	in := append(append([]byte{}, body...), mark...)
	for cut1 := 1; cut1 < len(in); cut1++ {
		for _, cut2 := range []int{cut1, (cut1 + len(in)) / 2, len(in)} {
			f := payloadFramer{hdr: payloadHeader{size: -1, mark: mark}}
			var got []byte
			done := false
			for _, chunk := range [][]byte{in[:cut1], in[cut1:cut2], in[cut2:]} {
				if done && len(chunk) > 0 {
					t.Fatalf("cut %d/%d: data after the mark", cut1, cut2)
				}
				if len(chunk) == 0 {
					continue
				}
				p, d := f.feed(chunk)
				got = append(got, p...)
				done = d
			}
			if !done || !bytes.Equal(got, body) {
				t.Fatalf("cut %d/%d: done %v, %q", cut1, cut2, done, got)
			}
		}
	}
}

// TestActionsAreClassified: the actions a link goroutine waits on are
// returned to it, never performed in the critical section (an exit
// performed there would leave the goroutine nothing to do).
func TestActionsAreClassified(t *testing.T) {
	io := map[actionKind]bool{actDial: true, actExit: true, actSend: true, actReadLine: true, actReceiveFile: true,
		actReadPayload: true, actWriteFile: true, actStore: true, actDelay: true, actLoad: true, actStream: true,
		actAck: true, actClose: true, actRetry: true, actKeepAlive: true}
	for k, name := range actionNames {
		if k.locked() == io[k] {
			t.Errorf("%s: locked %v", name, k.locked())
		}
	}
	for k := range eventNames {
		if eventNames[k] == "" {
			t.Errorf("event %d has no name", k)
		}
	}
}
