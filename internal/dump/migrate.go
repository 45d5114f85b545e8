package dump

import (
	"bufio"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// The connection cache of MIGRATE, as Redis keeps it: one connection per
// "host:port" as the client wrote them, at most socketCacheItems (a random
// one is dropped to make room), closed by the cron once unused for more
// than socketCacheTTL. A connection remembers the database it last
// SELECTed so the next MIGRATE to the same database skips the SELECT.
const (
	socketCacheItems = 64
	socketCacheTTL   = 10 * time.Second
	// migrateChunk is how much is written per deadline, as Redis writes
	// its buffer 64 KB at a time, each with the full timeout.
	migrateChunk = 64 << 10
	// replyLineMax bounds a reply line read from the target (Redis reads
	// lines into a 1 KB buffer).
	replyLineMax = 1024
)

// cachedConn is one cached MIGRATE connection.
type cachedConn struct {
	conn    net.Conn
	r       *bufio.Reader
	lastDB  int64 // -1: SELECT before the next RESTORE
	lastUse time.Time
}

// Cron closes the cached connections unused for longer than
// socketCacheTTL (server lock held).
func (m *Manager) Cron() {
	now := time.Now()
	for name, cc := range m.sockets {
		if now.Sub(cc.lastUse) > socketCacheTTL {
			cc.conn.Close()
			delete(m.sockets, name)
		}
	}
}

// CachedSockets is the number of cached MIGRATE connections, for INFO
// stats' migrate_cached_sockets (server lock held).
func (m *Manager) CachedSockets() int { return len(m.sockets) }

// Close closes every cached connection (once the server has stopped).
func (m *Manager) Close() {
	for name, cc := range m.sockets {
		cc.conn.Close()
		delete(m.sockets, name)
	}
}

// getConn returns the cached connection to host:port or dials one within
// timeout, evicting a random cached one when the cache is full.
func (m *Manager) getConn(host, port []byte, timeout time.Duration) (*cachedConn, error) {
	name := string(host) + ":" + string(port)
	if cc := m.sockets[name]; cc != nil {
		cc.lastUse = time.Now()
		return cc, nil
	}
	if len(m.sockets) >= socketCacheItems {
		for n, cc := range m.sockets { // map order is random enough
			cc.conn.Close()
			delete(m.sockets, n)
			break
		}
	}
	// The port as C's atoi reads it, cut to 16 bits as getaddrinfo does.
	addr := net.JoinHostPort(string(host), strconv.Itoa(int(uint16(atoi(port)))))
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	if conn, err = m.wrapTLS(conn, timeout); err != nil {
		return nil, err
	}
	cc := &cachedConn{conn: conn, r: bufio.NewReaderSize(conn, 4096), lastDB: -1, lastUse: time.Now()}
	m.sockets[name] = cc
	return cc, nil
}

// closeConn drops the cached connection to host:port, if any.
func (m *Manager) closeConn(host, port []byte) {
	name := string(host) + ":" + string(port)
	if cc := m.sockets[name]; cc != nil {
		cc.conn.Close()
		delete(m.sockets, name)
	}
}

// atoi is C's atoi: the leading decimal digits (after an optional sign),
// 0 when there are none.
func atoi(b []byte) int {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// migrateKeys finds MIGRATE's keys as Redis's migrateGetKeys does: the key
// argument, or with KEYS (met after the options, skipping the AUTH and
// AUTH2 values) every argument after it; a non-empty key argument with
// KEYS is a syntax error the command reports, and names no keys.
func migrateKeys(args [][]byte) []int {
	first, num := 3, 1
	if len(args) < 4 {
		return nil
	}
	for i := 6; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		if opt == "keys" {
			if len(args[3]) > 0 {
				num = 0
			} else {
				first, num = i+1, len(args)-i-1
			}
			break
		}
		switch opt {
		case "auth":
			i++
		case "auth2":
			i += 2
		}
	}
	out := make([]int, num)
	for i := range out {
		out[i] = first + i
	}
	return out
}

// Errors of MIGRATE, Redis's texts (the IOERR code included).
const (
	errKeysNotEmpty = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
	errConnect      = "IOERR error or timeout connecting to the client"
	errIOWriting    = "IOERR error or timeout writing to target instance"
	errIOReading    = "IOERR error or timeout reading to target instance"
)

// migrateCmd is MIGRATE host port key|"" db timeout [COPY] [REPLACE]
// [AUTH pw | AUTH2 user pw] [KEYS key…], as Redis 7.0 runs it: with the
// server stopped meanwhile (it holds the lock through the exchange, each
// step bounded by timeout ms), one RESTORE per key that exists and has not
// expired, pipelined after AUTH and SELECT when needed, and the keys the
// target acknowledged deleted here unless COPY, propagated as one DEL.
// A connection that fails before the first reply, other than by timing
// out, is redialed once: a cached one may have been closed by the peer.
func (m *Manager) migrateCmd(c *command.Ctx) {
	var copyOnly, replace bool
	var user, pass []byte
	firstKey, numKeys := 3, 1
	for j := 6; j < len(c.Args); j++ {
		more := len(c.Args) - 1 - j
		switch strings.ToLower(string(c.Args[j])) {
		case "copy":
			copyOnly = true
		case "replace":
			replace = true
		case "auth":
			if more < 1 {
				c.Error(command.ErrSyntax)
				return
			}
			j++
			pass = c.Args[j]
		case "auth2":
			if more < 2 {
				c.Error(command.ErrSyntax)
				return
			}
			user, pass = c.Args[j+1], c.Args[j+2]
			j += 2
		case "keys":
			if len(c.Args[3]) != 0 {
				c.Error(errKeysNotEmpty)
				return
			}
			firstKey, numKeys = j+1, len(c.Args)-j-1
			j = len(c.Args)
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	timeoutMs, ok := resp.ParseInt(c.Args[5])
	if !ok {
		c.Error(command.ErrNotInt)
		return
	}
	dbid, ok := resp.ParseInt(c.Args[4])
	if !ok {
		c.Error(command.ErrNotInt)
		return
	}
	if timeoutMs <= 0 {
		timeoutMs = 1000
	}
	timeout := time.Duration(min(timeoutMs, int64(time.Duration(1<<62)/time.Millisecond))) * time.Millisecond
	var keys [][]byte
	for _, k := range c.Args[firstKey : firstKey+numKeys] {
		if c.DB.Lookup(k) != nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		c.W.Simple("NOKEY")
		return
	}
	host, port := c.Args[1], c.Args[2]
	for mayRetry := true; ; mayRetry = false {
		cc, err := m.getConn(host, port, timeout)
		if err != nil {
			// Redis 7.0's blocking connect reports success once the
			// socket is writable or the timeout passed, whether or not
			// the connection was made, so only a name that does not
			// resolve answers "connecting"; a refused or timed-out
			// connection fails at the first write, and is retried once
			// unless it timed out.
			var dnsErr *net.DNSError
			var addrErr *net.AddrError
			if errors.As(err, &dnsErr) || errors.As(err, &addrErr) {
				c.Error(errConnect)
				return
			}
			if mayRetry && !isTimeout(err) {
				continue
			}
			c.Error(errIOWriting)
			return
		}
		res := m.migrateOnce(c, cc, keys, dbid, timeout, user, pass, copyOnly, replace)
		if res.retry && mayRetry {
			m.closeConn(host, port)
			continue
		}
		if res.socketErr {
			m.closeConn(host, port)
		}
		if len(res.deleted) > 0 {
			c.Rewrite(append([][]byte{[]byte("DEL")}, res.deleted...)...)
		}
		switch {
		case res.targetErr != "":
			c.Error("ERR Target instance replied with error: " + res.targetErr)
		case res.socketErr && res.writeErr:
			c.Error(errIOWriting)
		case res.socketErr:
			c.Error(errIOReading)
		default:
			cc.lastDB = dbid
			c.W.OK()
		}
		return
	}
}

// migrateResult is what one attempt of MIGRATE came to.
type migrateResult struct {
	deleted   [][]byte // keys acknowledged and deleted here
	targetErr string   // the first error the target replied, without its '-'
	socketErr bool     // the connection failed (it must be closed)
	writeErr  bool     // ... while writing
	retry     bool     // failed before any reply, not by a timeout: try again
}

// migrateOnce sends the keys' RESTOREs over cc and reads the replies.
func (m *Manager) migrateOnce(c *command.Ctx, cc *cachedConn, keys [][]byte, dbid int64, timeout time.Duration,
	user, pass []byte, copyOnly, replace bool) migrateResult {
	var res migrateResult
	var buf []byte
	if pass != nil {
		if user != nil {
			buf = resp.AppendCommand(buf, []byte("AUTH"), user, pass)
		} else {
			buf = resp.AppendCommand(buf, []byte("AUTH"), pass)
		}
	}
	sel := cc.lastDB != dbid
	if sel {
		buf = resp.AppendCommand(buf, []byte("SELECT"), strconv.AppendInt(nil, dbid, 10))
	}
	// Serializing takes time: a key found live above may have expired
	// since, and is then left out (Redis computes the TTL at this point).
	sent := keys[:0:0]
	argv := make([][]byte, 0, 5)
	for _, k := range keys {
		ttl := int64(0)
		if at := c.DB.ExpireAt(k); at != -1 {
			ttl = at - c.E.KS.Now()
			if ttl < 0 {
				continue
			}
			ttl = max(ttl, 1)
		}
		p, err := m.payload(c, c.DB.ID, k)
		if err != nil {
			continue // gone meanwhile (cannot happen under the lock)
		}
		argv = append(argv[:0], []byte("RESTORE"), k, strconv.AppendInt(nil, ttl, 10), p)
		if replace {
			argv = append(argv, []byte("REPLACE"))
		}
		buf = resp.AppendCommand(buf, argv...)
		sent = append(sent, k)
	}
	for pos := 0; pos < len(buf); {
		n := min(len(buf)-pos, migrateChunk)
		cc.conn.SetWriteDeadline(time.Now().Add(timeout))
		w, err := cc.conn.Write(buf[pos : pos+n])
		pos += w
		if err != nil {
			res.socketErr, res.writeErr = true, true
			res.retry = !isTimeout(err)
			return res
		}
	}
	var authReply, selReply string
	var err error
	if pass != nil {
		if authReply, err = readLine(cc, timeout); err != nil {
			res.socketErr, res.retry = true, !isTimeout(err)
			return res
		}
	}
	if sel {
		if selReply, err = readLine(cc, timeout); err != nil {
			res.socketErr, res.retry = true, !isTimeout(err)
			return res
		}
	}
	for j, k := range sent {
		line, err := readLine(cc, timeout)
		if err != nil {
			res.socketErr = true
			res.retry = j == 0 && res.targetErr == "" && !isTimeout(err)
			break
		}
		var bad string
		switch {
		case strings.HasPrefix(authReply, "-"):
			bad = authReply
		case strings.HasPrefix(selReply, "-"):
			bad = selReply
		case strings.HasPrefix(line, "-"):
			bad = line
		}
		if bad != "" {
			if res.targetErr == "" {
				cc.lastDB = -1 // the SELECT may not have happened
				res.targetErr = bad[1:]
			}
			continue
		}
		if !copyOnly {
			c.DB.Delete(k)
			c.DB.Modified(k)
			c.Notify(command.EvGeneric, "del", k)
			res.deleted = append(res.deleted, k)
		}
	}
	return res
}

// readLine reads one reply line within timeout, without its CRLF: a
// status or an error (RESTORE, AUTH and SELECT answer nothing longer).
func readLine(cc *cachedConn, timeout time.Duration) (string, error) {
	cc.conn.SetReadDeadline(time.Now().Add(timeout))
	line, err := cc.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", errors.New("reply line too long")
		}
		return "", err
	}
	s := strings.TrimRight(string(line), "\r\n")
	if len(s) > replyLineMax {
		s = s[:replyLineMax]
	}
	return s, nil
}

// isTimeout reports whether err is a deadline passing (Redis's ETIMEDOUT,
// after which it does not retry).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
