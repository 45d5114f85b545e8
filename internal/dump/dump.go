// Package dump moves values between servers and compares datasets:
//
//   - DUMP and RESTORE (and RESTORE-ASKING) with Redis 7.0's payload, the
//     RDB encoding of one value followed by the RDB version and a CRC-64
//     (see rdb.Dumper), so values cross between Tandem and Redis both ways;
//   - MIGRATE, which DUMPs keys to another server over a connection it
//     caches for a while, as Redis does (migrate.go);
//   - DEBUG DIGEST and DIGEST-VALUE, computed with Redis's algorithm so that
//     a Tandem replica and a Redis master can be compared in one command,
//     and DEBUG POPULATE (digest.go).
//
// A Manager holds what these commands keep between calls (the cached
// MIGRATE connections, scratch buffers); all its methods run with the
// server lock held, as command handlers, cron jobs and DEBUG providers do.
package dump

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/rdb"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/server"
	"github.com/tandemdb/tandem/internal/types"
)

// Manager implements DUMP, RESTORE, MIGRATE and the DEBUG digest and OBJECT
// subcommands for one server. Its fields are guarded by the server lock.
type Manager struct {
	srv *server.Server
	cfg *config.Config
	log *logger.Logger

	dumper  rdb.Dumper
	decoder rdb.DumpDecoder
	ent     rdb.Entry // scratch for the value being dumped
	// spare is a hash no key holds, that RESTORE builds the next listpack
	// hash into (rdb.DumpOptions.HashInto): the one the last REPLACE
	// freed. Why: a RESTORE ... REPLACE of a small hash otherwise leaves
	// the old one, a kilobyte, to the collector each time, and collecting
	// that was a tenth of the command's CPU (see restoreCmd).
	spare   *types.Hash
	sockets map[string]*cachedConn
	// SkipChecksum accepts DUMP payloads whatever their CRC-64 (Redis's
	// DEBUG SET-SKIP-CHECKSUM-VALIDATION); the RDB version is still
	// checked.
	SkipChecksum bool
	// migrateTLS is tls-cluster's dialer configuration (tls.go).
	migrateTLS MigrateTLS
}

// corruptPayload logs why RESTORE refused a payload whose footer was
// right (the decoder's reason, e.g. "Hash ziplist integrity check
// failed"), at warning level as Redis logs a corrupt value: an operator
// moving keys between servers sees which value and why.
func (m *Manager) corruptPayload(err error) {
	if m.log != nil {
		m.log.Warningf("RESTORE refused a corrupt DUMP payload: %v", err)
	}
}

var (
	_ server.DebugProvider = (*Manager)(nil)
	_ server.CronJob       = (*Manager)(nil)
)

// New attaches the commands to srv's command table (replacing the stubs
// a bare server answers with); internal/app wires the Manager in as a
// cron job and DEBUG provider.
func New(srv *server.Server, cfg *config.Config, log *logger.Logger) *Manager {
	m := &Manager{srv: srv, cfg: cfg, log: log, sockets: map[string]*cachedConn{}}
	restoreSpec := func(name, group, summary, since string) *command.Spec {
		return &command.Spec{Name: name, Arity: -4, Flags: command.Write | command.DenyOOM, FirstKey: 1, LastKey: 1, Step: 1,
			Handler: m.restoreCmd, Group: group, Summary: summary, Since: since}
	}
	srv.Engine().Table.Add(
		&command.Spec{Name: "dump", Arity: 2, Flags: command.ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: m.dumpCmd,
			Group: "generic", Summary: "Return a serialized version of the value stored at the specified key.", Since: "2.6.0"},
		restoreSpec("restore", "generic", "Create a key using the provided serialized value, previously obtained using DUMP.", "2.6.0"),
		restoreSpec("restore-asking", "server", "An internal command for migrating keys in a cluster", "3.0.0"),
		&command.Spec{Name: "migrate", Arity: -6, Flags: command.Write, FirstKey: 3, LastKey: 3, Step: 1, KeysFn: migrateKeys,
			Handler: m.migrateCmd, Group: "generic", Summary: "Atomically transfer a key from a Redis instance to another one.", Since: "2.6.0"},
	)
	return m
}

// payload returns the DUMP payload of the value of e in db (valid until
// the next call).
func (m *Manager) payload(c *command.Ctx, db int, key []byte) ([]byte, error) {
	e := c.E.KS.DBs[db].Peek(key)
	if e == nil {
		return nil, errors.New("no such key")
	}
	defer m.clearEntry()
	if err := persist.ToRDB(db, e, rdb.NoExpiry, &m.ent); err != nil {
		return nil, err
	}
	return m.dumper.Dump(&m.ent, rdb.EncodeOptions{Compression: m.cfg.RDBCompression, Limits: &c.E.Limits})
}

// clearEntry drops the scratch entry's references to a live value.
func (m *Manager) clearEntry() {
	const keep = 1 << 12
	e := &m.ent
	e.Key, e.Str = nil, nil
	for _, s := range []*[][]byte{&e.List, &e.Set} {
		clear(*s)
		if cap(*s) > keep {
			*s = nil
		}
	}
	clear(e.Hash)
	clear(e.ZSet)
	if cap(e.Hash) > keep {
		e.Hash = nil
	}
	if cap(e.ZSet) > keep {
		e.ZSet = nil
	}
}

// dumpCmd is DUMP key: a read of the key (it counts a hit or a miss and
// touches it), then its payload.
func (m *Manager) dumpCmd(c *command.Ctx) {
	key := c.Args[1]
	if c.DB.Lookup(key) == nil {
		c.W.Null()
		return
	}
	p, err := m.payload(c, c.DB.ID, key)
	if err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	c.W.Bulk(p)
}

// debugObject is DEBUG OBJECT key. Its serializedlength is, as in Redis,
// the size of the value's RDB encoding (compressed as rdbcompression says),
// which is the DUMP payload without its type byte and footer.
func (m *Manager) debugObject(c *command.Ctx) {
	key := c.Args[2]
	e := c.DB.Peek(key)
	if e == nil {
		c.Error(command.ErrNoSuchKey)
		return
	}
	p, err := m.payload(c, c.DB.ID, key)
	if err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	const framing = 1 + 2 + 8 // type byte; RDB version and CRC64 footer
	ks := c.E.KS
	c.W.Simple(fmt.Sprintf("Value at:0x0 refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d",
		command.EncodingName(e), len(p)-framing, e.LRU(), ks.Idle(e)))
}

// maxSpare bounds the buffer of the spare hash RESTORE keeps (a larger
// one is left to the collector rather than kept for a payload that may
// never come): a small hash is at most hash-max-listpack-entries of
// hash-max-listpack-value bytes, 8 KB by default.
const maxSpare = 64 << 10

// Redis's replies of RESTORE.
const (
	errBusyKey   = "BUSYKEY Target key name already exists."
	errBadFooter = "ERR DUMP payload version or checksum are wrong"
	errBadData   = "ERR Bad data format"
	errTTL       = "ERR Invalid TTL value, must be >= 0"
	errIdleTime  = "ERR Invalid IDLETIME value, must be >= 0"
	errFreq      = "ERR Invalid FREQ value, must be >= 0 and <= 255"
)

// restoreCmd is RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s]
// [FREQ f] (and RESTORE-ASKING, the same outside cluster mode), checking
// in Redis's order: the options, the key's absence, the TTL, the payload's
// footer, then the value. The value is decoded and rebuilt whole before
// anything changes, so a payload that fails leaves the key as it was.
//
// Every payload is checked deeply, whatever sanitize-dump-payload says:
// Tandem rebuilds each value from its elements, which walks them all
// anyway, so the deep checks (duplicates, every element of a listpack)
// cost little and a corrupt payload can never be loaded half-way.
//
// Propagation is Redis's: a relative TTL becomes absolute (the TTL
// argument replaced, ABSTTL appended), and a TTL already past deletes the
// key REPLACE removed, propagated as DEL.
func (m *Manager) restoreCmd(c *command.Ctx) {
	replace, absTTL := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		// EqualFold: no lowered copy of each option (RESTORE is often
		// pipelined by the thousand).
		switch opt := c.Args[j]; {
		case bytes.EqualFold(opt, []byte("replace")):
			replace = true
		case bytes.EqualFold(opt, []byte("absttl")):
			absTTL = true
		case bytes.EqualFold(opt, []byte("idletime")) && more >= 1 && freq == -1:
			v, ok := resp.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(command.ErrNotInt)
				return
			}
			if v < 0 {
				c.Error(errIdleTime)
				return
			}
			idle = v
			j++
		case bytes.EqualFold(opt, []byte("freq")) && more >= 1 && idle == -1:
			v, ok := resp.ParseInt(c.Args[j+1])
			if !ok {
				c.Error(command.ErrNotInt)
				return
			}
			if v < 0 || v > 255 {
				c.Error(errFreq)
				return
			}
			freq = v
			j++
		default:
			c.Error(command.ErrSyntax)
			return
		}
	}
	key := c.Args[1]
	if !replace && c.DB.Exists(key) {
		c.Error(errBusyKey)
		return
	}
	ttl, ok := resp.ParseInt(c.Args[2])
	if !ok {
		c.Error(command.ErrNotInt)
		return
	}
	if ttl < 0 {
		c.Error(errTTL)
		return
	}
	ent, err := m.decoder.Decode(c.Args[3], rdb.DumpOptions{SkipChecksum: m.SkipChecksum, MaxStringLen: c.E.MaxStringSize,
		HashLimits: &c.E.Limits, HashInto: m.spare})
	switch {
	case errors.Is(err, rdb.ErrDumpFooter):
		c.Error(errBadFooter)
		return
	case err != nil:
		m.corruptPayload(err)
		c.Error(errBadData)
		return
	}
	str, val, err := persist.FromRDB(ent, &c.E.Limits)
	if err != nil {
		m.corruptPayload(err)
		c.Error(errBadData)
		return
	}
	if ttl != 0 && !absTTL {
		ttl += c.Now() // wraps like Redis's long long sum: then already past
	}
	// A time already past: the key is not created (on a master; a replica
	// and our master's stream keep it and wait for the master's DEL).
	if ttl != 0 && ttl <= c.Now() && c.E.KS.DeletesExpired() && c.S.Flags&command.FlagMaster == 0 {
		if replace && c.DB.Delete(key) {
			c.Rewrite([]byte("DEL"), key)
			c.DB.Modified(key)
			c.Notify(command.EvGeneric, "del", key)
		}
		c.W.OK()
		return
	}
	if h, ok := val.(*types.Hash); ok && h == m.spare {
		m.spare = nil // the key takes it
	}
	switch {
	case val == nil:
		if replace {
			c.DB.Delete(key)
		}
		c.DB.SetString(key, str, false)
	case replace:
		// Redis deletes the old key and adds the new one: ReplaceValue
		// does both in one lookup, keeping the node. A small hash it
		// frees becomes the spare the next payload is built into.
		old, _ := c.DB.ReplaceValue(key, val)
		if h, ok := old.(*types.Hash); ok && m.spare == nil && h.Recyclable(maxSpare) {
			m.spare = h
		}
	default:
		c.DB.SetValue(key, val, false)
	}
	if ttl != 0 {
		c.DB.SetExpire(key, ttl)
		if !absTTL {
			argv := make([][]byte, 0, len(c.Args)+1)
			argv = append(argv, c.Args...)
			argv[2] = strconv.AppendInt(nil, ttl, 10)
			c.Rewrite(append(argv, []byte("ABSTTL"))...)
		}
	}
	// As Redis's objectSetLRUOrLFU: FREQ counts under an LFU policy only,
	// IDLETIME under the others; the other one is accepted and ignored.
	if e := c.DB.Peek(key); e != nil {
		c.E.KS.SetAccess(e, idle, freq)
	}
	c.DB.Modified(key)
	c.Notify(command.EvGeneric, "restore", key)
	c.W.OK()
}
