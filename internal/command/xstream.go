package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// Stream commands (Redis 7.0's t_stream.c): XADD, XRANGE, XREVRANGE, XLEN,
// XDEL, XTRIM, XSETID here; XREAD and XREADGROUP in xstream_read.go;
// XINFO in xstream_info.go; the consumer groups in xstream_group.go.

func streamCommands() []*Spec {
	k1 := func(s *Spec) *Spec { s.FirstKey, s.LastKey, s.Step = 1, 1, 1; return s }
	g := "stream"
	return []*Spec{
		k1(&Spec{Name: "xadd", Arity: -5, Flags: Write | DenyOOM | Fast, Handler: xaddCmd, Group: g, Summary: "Appends a new entry to a stream", Since: "5.0.0"}),
		k1(&Spec{Name: "xrange", Arity: -4, Flags: ReadOnly, Handler: xrangeCmd(false), Group: g, Summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval", Since: "5.0.0"}),
		k1(&Spec{Name: "xrevrange", Arity: -4, Flags: ReadOnly, Handler: xrangeCmd(true), Group: g, Summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", Since: "5.0.0"}),
		k1(&Spec{Name: "xlen", Arity: 2, Flags: ReadOnly | Fast, Handler: xlenCmd, Group: g, Summary: "Return the number of entries in a stream", Since: "5.0.0"}),
		k1(&Spec{Name: "xdel", Arity: -3, Flags: Write | Fast, Handler: xdelCmd, Group: g, Summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", Since: "5.0.0"}),
		k1(&Spec{Name: "xtrim", Arity: -4, Flags: Write, Handler: xtrimCmd, Group: g, Summary: "Trims the stream to (approximately if '~' is passed) a certain size", Since: "5.0.0"}),
		k1(&Spec{Name: "xsetid", Arity: -3, Flags: Write | DenyOOM | Fast, Handler: xsetidCmd, Group: g, Summary: "An internal command for replicating stream values", Since: "5.0.0"}),
		{Name: "xread", Arity: -4, Flags: ReadOnly | Blocking | MovableKeys, KeysFn: xreadKeys, Handler: xreadCmd, Group: g, Summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", Since: "5.0.0"},
		{Name: "xinfo", Arity: -2, Flags: 0, KeysFn: xinfoKeys, Handler: xinfoCmd, Group: g, Summary: "A container for stream introspection commands", Since: "5.0.0",
			Subcommands: []string{"consumers", "groups", "help", "stream"}},
	}
}

// allStreamCommands are the stream commands, groups included.
func allStreamCommands() []*Spec { return append(streamCommands(), streamGroupCommands()...) }

const (
	errStreamID        = "ERR Invalid stream ID specified as stream command argument"
	errXAddSmaller     = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errXAddZero        = "ERR The ID specified in XADD must be greater than 0-0"
	errXAddExhausted   = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errXAddTooLarge    = "ERR Elements are too large to be stored"
	errTrimBoth        = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errTrimLimitNoTrim = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errTrimLimitExact  = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errXTrimNoStrategy = "ERR syntax error, XTRIM must be called with a trimming strategy"
)

func getStream(c *Ctx, key []byte, write bool) (*types.Stream, bool) {
	e := lookupEntry(c, key, write)
	if e == nil {
		return nil, true
	}
	s, ok := e.Val().(*types.Stream)
	if !ok {
		c.Error(ErrWrongType)
	}
	return s, ok
}

// parseStreamID is streamGenericParseIDOrReply: "<ms>-<seq>", "<ms>"
// (seq = missingSeq), "-" and "+" unless strict, and "<ms>-*" when
// seqStar (seqGiven false then). Like Redis it reads the argument as a C
// string, up to a NUL byte.
func parseStreamID(arg []byte, missingSeq uint64, strict, seqStar bool) (id types.StreamID, seqGiven, ok bool) {
	if len(arg) > 127 {
		return id, false, false
	}
	b := cstr(arg)
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, false
		}
		if b[0] == '+' {
			return types.MaxStreamID, true, true
		}
		return id, true, true
	}
	msPart, seqPart, hasSeq := strings.Cut(string(b), "-")
	ms, ok := string2ull(msPart)
	if !ok {
		return id, false, false
	}
	seq := missingSeq
	seqGiven = true
	if hasSeq {
		if seqStar && seqPart == "*" {
			seq, seqGiven = 0, false
		} else if seq, ok = string2ull(seqPart); !ok {
			return id, false, false
		}
	}
	return types.StreamID{Ms: ms, Seq: seq}, seqGiven, true
}

// string2ull is Redis's: a canonical integer (negative refused), else
// what strtoull accepts whole (leading spaces, a sign, leading zeros; a
// minus sign negates, wrapping).
func string2ull(s string) (uint64, bool) {
	if v, ok := resp.ParseInt([]byte(s)); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var v uint64
	for ; i < len(s); i++ {
		ch := s[i]
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false // ERANGE
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// streamIDArg parses an ID argument, answering Redis's error.
func streamIDArg(c *Ctx, arg []byte, missingSeq uint64, strict bool) (types.StreamID, bool) {
	id, _, ok := parseStreamID(arg, missingSeq, strict, false)
	if !ok {
		c.Error(errStreamID)
	}
	return id, ok
}

// trimArgs are XADD's and XTRIM's parsed options (streamAddTrimArgs).
type trimArgs struct {
	types.TrimArgs
	argIdx     int // the MAXLEN/MINID value's position, for the rewrite
	id         types.StreamID
	idGiven    bool
	seqGiven   bool
	noMkStream bool
}

// parseTrimArgs is streamParseAddOrTrimArgsOrReply: it returns the
// position of XADD's ID argument (for XTRIM, len(args)), or -1 after
// answering an error.
func parseTrimArgs(c *Ctx, a *trimArgs, xadd bool) int {
	args := c.Args
	i := 2
	limitGiven := false
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			// The common auto-ID case.
		case strings.EqualFold(string(opt), "maxlen") && more > 0, strings.EqualFold(string(opt), "minid") && more > 0:
			if a.Strategy != types.TrimNone {
				c.Error(errTrimBoth)
				return -1
			}
			a.Approx = false
			next := args[i+1]
			if more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.Approx = next[0] == '~'
				i++
			}
			if strings.EqualFold(string(opt), "maxlen") {
				n, ok := resp.ParseInt(args[i+1])
				if !ok {
					c.Error(ErrNotInt)
					return -1
				}
				if n < 0 {
					c.Error("ERR The MAXLEN argument must be >= 0.")
					return -1
				}
				a.MaxLen = n
				a.Strategy = types.TrimMaxLen
			} else {
				id, ok := streamIDArg(c, args[i+1], 0, true)
				if !ok {
					return -1
				}
				a.MinID = id
				a.Strategy = types.TrimMinID
			}
			i++
			a.argIdx = i
			continue
		case strings.EqualFold(string(opt), "limit") && more > 0:
			n, ok := resp.ParseInt(args[i+1])
			if !ok {
				c.Error(ErrNotInt)
				return -1
			}
			if n < 0 {
				c.Error("ERR The LIMIT argument must be >= 0.")
				return -1
			}
			a.Limit = n
			limitGiven = true
			i++
			continue
		case xadd && strings.EqualFold(string(opt), "nomkstream"):
			a.noMkStream = true
			continue
		case xadd:
			id, seqGiven, ok := parseStreamID(opt, 0, true, true)
			if !ok {
				c.Error(errStreamID)
				return -1
			}
			a.id, a.seqGiven, a.idGiven = id, seqGiven, true
		default:
			c.Error(ErrSyntax)
			return -1
		}
		break
	}
	if a.Limit != 0 && a.Strategy == types.TrimNone {
		c.Error(errTrimLimitNoTrim)
		return -1
	}
	if !xadd && a.Strategy == types.TrimNone {
		c.Error(errXTrimNoStrategy)
		return -1
	}
	if c.E.KS.FromMaster {
		// Our master and the AOF send the exact trim Redis applied (the
		// argument was rewritten), so no work limit applies.
		a.Limit = 0
	} else if limitGiven {
		if !a.Approx {
			c.Error(errTrimLimitExact)
			return -1
		}
	} else if a.Approx {
		// At most 100 nodes' worth per call, so trimming cannot stall.
		a.Limit = 100 * int64(c.E.Limits.StreamNodeMaxEntries)
		if a.Limit <= 0 {
			a.Limit = 10000
		}
		if a.Limit > 1000000 {
			a.Limit = 1000000
		}
	} else {
		a.Limit = 0
	}
	return i
}

// rewriteTrim is what an approximate trim propagates: "=" and the length
// (or first ID, tombstones included) the stream was left with
// (streamRewriteApproxSpecifier, streamRewriteTrimArgument), so replicas
// and the AOF trim exactly what was trimmed here.
func rewriteTrim(argv [][]byte, s *types.Stream, a *trimArgs) {
	argv[a.argIdx-1] = []byte("=")
	if a.Strategy == types.TrimMaxLen {
		argv[a.argIdx] = strconv.AppendUint(nil, s.Length, 10)
	} else {
		argv[a.argIdx] = s.EdgeID(true, false).AppendTo(nil)
	}
}

func xaddCmd(c *Ctx) {
	var a trimArgs
	idPos := parseTrimArgs(c, &a, true)
	if idPos < 0 {
		return
	}
	fieldPos := idPos + 1
	if n := len(c.Args) - fieldPos; n < 2 || n%2 == 1 {
		c.Error(ErrArity(c.Spec.Name))
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.Error(errXAddZero)
		return
	}
	key := c.Args[1]
	s, ok := getStream(c, key, true)
	if !ok {
		return
	}
	created := false
	if s == nil {
		if a.noMkStream {
			c.W.Null()
			return
		}
		s = types.NewStream()
		created = true
	}
	if s.LastID == types.MaxStreamID {
		c.Error(errXAddExhausted)
		return
	}
	var id types.StreamID
	switch {
	case !a.idGiven:
		if now := uint64(c.E.KS.Now()); now > s.LastID.Ms {
			id = types.StreamID{Ms: now}
		} else {
			id, _ = s.LastID.Incr()
		}
	case !a.seqGiven:
		if s.LastID.Ms == a.id.Ms {
			if s.LastID.Seq == math.MaxUint64 {
				c.Error(errXAddSmaller)
				return
			}
			id = types.StreamID{Ms: a.id.Ms, Seq: s.LastID.Seq + 1}
		} else {
			id = a.id
		}
	default:
		id = a.id
	}
	if id.Compare(s.LastID) <= 0 {
		c.Error(errXAddSmaller)
		return
	}
	fv := c.Args[fieldPos:]
	total := 0
	for _, b := range fv {
		total += len(b)
	}
	if total > types.StreamListpackMaxSize {
		c.Error(errXAddTooLarge)
		return
	}
	if created {
		c.DB.SetValue(key, s, false)
	}
	s.Append(id, fv, c.E.Limits.StreamNodeMaxBytes, c.E.Limits.StreamNodeMaxEntries)
	var idBuf [48]byte
	c.W.Bulk(id.AppendTo(idBuf[:0]))
	c.Notify(EvStream, "xadd", key)
	trimmed := false
	if a.Strategy != types.TrimNone {
		if s.Trim(a.TrimArgs) > 0 {
			c.Notify(EvStream, "xtrim", key)
		}
		trimmed = a.Approx
	}
	// The rewritten form (concrete ID, exact trim) is only built when
	// something will propagate it: with no replica, backlog or AOF an
	// XADD allocates nothing for it.
	if (trimmed || !a.idGiven || !a.seqGiven) && c.E.sinksActive() {
		argv := append([][]byte(nil), c.Args...)
		if trimmed {
			rewriteTrim(argv, s, &a)
		}
		if !a.idGiven || !a.seqGiven {
			argv[idPos] = id.AppendTo(nil)
		}
		c.Rewrite(argv...)
	}
	c.DB.Modified(key)
}

// streamRangeArgs parses an XRANGE bound: "(" excludes it (strict ID).
func streamRangeArg(c *Ctx, arg []byte, missingSeq uint64) (id types.StreamID, exclude, ok bool) {
	if len(arg) > 1 && arg[0] == '(' {
		id, ok = streamIDArg(c, arg[1:], missingSeq, true)
		return id, true, ok
	}
	id, ok = streamIDArg(c, arg, missingSeq, false)
	return id, false, ok
}

func xrangeCmd(rev bool) Handler {
	return func(c *Ctx) {
		startArg, endArg := c.Args[2], c.Args[3]
		if rev {
			startArg, endArg = endArg, startArg
		}
		start, ex, ok := streamRangeArg(c, startArg, 0)
		if !ok {
			return
		}
		if ex {
			if start, ok = start.Incr(); !ok {
				c.Error("ERR invalid start ID for the interval")
				return
			}
		}
		end, ex, ok := streamRangeArg(c, endArg, math.MaxUint64)
		if !ok {
			return
		}
		if ex {
			if end, ok = end.Decr(); !ok {
				c.Error("ERR invalid end ID for the interval")
				return
			}
		}
		count := int64(-1)
		for j := 4; j < len(c.Args); j++ {
			if strings.EqualFold(string(c.Args[j]), "count") && j+1 < len(c.Args) {
				n, ok := resp.ParseInt(c.Args[j+1])
				if !ok {
					c.Error(ErrNotInt)
					return
				}
				count = max(n, 0)
				j++
				continue
			}
			c.Error(ErrSyntax)
			return
		}
		s, ok := getStream(c, c.Args[1], false)
		if !ok {
			return
		}
		if s == nil {
			c.W.Array(0)
			return
		}
		if count == 0 {
			c.W.NullArray()
			return
		}
		writeStreamRange(c.W, s, start, end, max(count, 0), rev)
	}
}

// writeStreamRange writes the entries of s in [start, end] (at most count
// of them, 0 = all) as an array of [id, [field, value, …]] and returns how
// many there were.
func writeStreamRange(w *resp.Writer, s *types.Stream, start, end types.StreamID, count int64, rev bool) int64 {
	// One walk writes the entries; the array's header goes before them
	// once they are counted.
	mark := w.Len()
	var n int64
	var idArr [48]byte
	idBuf := idArr[:0]
	each := func(id types.StreamID, fv [][]byte) bool {
		idBuf = writeStreamEntry(w, id, fv, idBuf)
		n++
		return count <= 0 || n < count
	}
	if rev {
		s.Range(start, end, true, each)
	} else {
		// XREAD comes back for what follows: RangeFrom starts where the
		// previous forward read stopped.
		s.RangeFrom(start, end, each)
	}
	w.ArrayAt(mark, int(n))
	return n
}

// writeStreamEntry writes one entry as [id, [field, value, …]].
func writeStreamEntry(w *resp.Writer, id types.StreamID, fv [][]byte, idBuf []byte) []byte {
	w.Array(2)
	idBuf = id.AppendTo(idBuf[:0])
	w.Bulk(idBuf)
	w.Array(len(fv))
	for _, b := range fv {
		w.Bulk(b)
	}
	return idBuf
}

func xlenCmd(c *Ctx) {
	s, ok := getStream(c, c.Args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Length))
}

func xdelCmd(c *Ctx) {
	key := c.Args[1]
	s, ok := getStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	// Every ID is checked before any is deleted, so a bad one deletes
	// nothing.
	ids := make([]types.StreamID, 0, len(c.Args)-2)
	for _, arg := range c.Args[2:] {
		id, ok := streamIDArg(c, arg, 0, true)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	deleted, first := 0, false
	for _, id := range ids {
		if !s.Delete(id) {
			continue
		}
		if id == s.FirstID {
			first = true
		}
		if id.Compare(s.MaxDeletedID) > 0 {
			s.MaxDeletedID = id
		}
		deleted++
	}
	if deleted > 0 {
		if s.Length == 0 {
			s.FirstID = types.StreamID{}
		} else if first {
			s.FirstID = s.EdgeID(true, true)
		}
		modifiedNoWake(c, key)
		c.Notify(EvStream, "xdel", key)
	}
	c.W.Int(int64(deleted))
}

func xtrimCmd(c *Ctx) {
	var a trimArgs
	if parseTrimArgs(c, &a, false) < 0 {
		return
	}
	key := c.Args[1]
	s, ok := getStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	deleted := s.Trim(a.TrimArgs)
	if deleted > 0 {
		c.Notify(EvStream, "xtrim", key)
		if a.Approx {
			argv := append([][]byte(nil), c.Args...)
			rewriteTrim(argv, s, &a)
			c.Rewrite(argv...)
		}
		modifiedNoWake(c, key)
	}
	c.W.Int(deleted)
}

func xsetidCmd(c *Ctx) {
	id, ok := streamIDArg(c, c.Args[2], 0, true)
	if !ok {
		return
	}
	var maxDel types.StreamID
	entriesAdded := int64(-1)
	for i := 3; i < len(c.Args); i += 2 {
		more := len(c.Args) - 1 - i
		opt := string(c.Args[i])
		switch {
		case strings.EqualFold(opt, "entriesadded") && more > 0:
			n, ok := resp.ParseInt(c.Args[i+1])
			if !ok {
				c.Error(ErrNotInt)
				return
			}
			if n < 0 {
				c.Error("ERR entries_added must be positive")
				return
			}
			entriesAdded = n
		case strings.EqualFold(opt, "maxdeletedid") && more > 0:
			if maxDel, ok = streamIDArg(c, c.Args[i+1], 0, true); !ok {
				return
			}
			if id.Less(maxDel) {
				c.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.Error(ErrSyntax)
			return
		}
	}
	key := c.Args[1]
	s, ok := getStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.Error(ErrNoSuchKey)
		return
	}
	if s.Length > 0 {
		if id.Less(s.LastValidID()) {
			c.Error("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded != -1 && s.Length > uint64(entriesAdded) {
			c.Error("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.LastID = id
	if entriesAdded != -1 {
		s.EntriesAdded = uint64(entriesAdded)
	}
	if !maxDel.IsZero() {
		s.MaxDeletedID = maxDel
	}
	modifiedNoWake(c, key)
	c.W.OK()
	c.Notify(EvStream, "xsetid", key)
}

// modifiedNoWake is DB.Modified (the change counter, WATCH, client-side
// caching) without waking the clients blocked on key. Redis 7.0 signals a
// stream key as ready only on XADD, on the key's creation, overwrite or
// deletion, and on XGROUP DESTROY; XSETID, XGROUP SETID|CREATE|
// CREATECONSUMER|DELCONSUMER, XDEL, XTRIM, XACK, XCLAIM, XAUTOCLAIM and
// a group read change the stream without waking anyone. It shows after
// XSETID (or XGROUP SETID back): a blocked XREAD stays blocked with the
// stream's last ID past the one it waits after, until a signalling
// change serves it (checked against redis-server 7.0.15: XREAD BLOCK …
// $, XSETID to a later ID, then XADD: the XADD's entry is the reply,
// where a wake at XSETID would have answered an empty list).
func modifiedNoWake(c *Ctx, key []byte) {
	c.E.noWake = true
	c.DB.Modified(key)
	c.E.noWake = false
}
