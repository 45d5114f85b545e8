package aof

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/keyspace"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/persist"
	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/server"
	"github.com/tandemdb/tandem/internal/types"
)

// inst is an in-process server with persistence and the AOF over a
// CrashFS. Commands run as a client's batch does: under the lock, then
// (lock released) the reply barriers.
type inst struct {
	t    testing.TB
	fs   *CrashFS
	cfg  *config.Config
	srv  *server.Server
	pm   *persist.Manager
	a    *Manager
	logs logFile
	// exits counts calls of the exit function (a fatal AOF error).
	exits sync.Map
	// loaded is what LoadAtStartup returned.
	loaded persist.LoadResult
	// dead: the instance was crashed (its lock is held for good).
	dead atomic.Bool
	// barriers run before a batch's reply is returned: the AOF's, and
	// any a test adds after it.
	barriers []func()
}

const testDir = "/data"

// logFile is the path of an instance's log; String returns its text.
type logFile string

func (l logFile) String() string {
	b, _ := os.ReadFile(string(l))
	return string(b)
}

// newInst starts an instance on fsys (appendonly yes unless mod says
// otherwise) and loads its AOF.
func newInst(t testing.TB, fsys *CrashFS, mod func(c *config.Config)) (*inst, error) {
	t.Helper()
	cfg := config.New()
	cfg.Dir = testDir
	cfg.AppendOnly = true
	cfg.Save = nil
	if mod != nil {
		mod(cfg)
	}
	set := server.DefaultSettings()
	set.Port = 0
	set.Hz = 50
	logs := logFile(filepath.Join(t.TempDir(), "server.log"))
	log := logger.New(string(logs), logger.Verbose, func() byte { return 'M' })
	srv := server.New(server.Options{Settings: set, Logger: log})
	pm := persist.NewManager(srv, cfg, log)
	in := &inst{t: t, fs: fsys, cfg: cfg, srv: srv, pm: pm, logs: logs}
	in.a = New(Options{Server: srv, Config: cfg, Log: log, Persist: pm, FS: fsys, Exit: func(code int) {
		in.exits.Store(code, true)
		runtime.Goexit()
	}})
	// Wired as internal/app wires an instance, without replication.
	in.barriers = []func(){in.a.Barrier}
	srv.Engine().Sinks = append(srv.Engine().Sinks, in.a)
	srv.Engine().Flushes = pm
	pm.SetAOF(in.a)
	cfg.Subscribe(in.a.ConfigChanged, "appendonly", "appendfsync")
	srv.SetInfoSection("persistence", pm.Info)
	srv.Wire(server.Parts{
		Cron:     []server.CronJob{pm, in.a},
		Gates:    []server.Gate{pm, in.a},
		Barriers: []server.ReplyBarrier{in.a},
		Shutdown: []server.ShutdownPreparer{in.a, pm},
		Debug:    []server.DebugProvider{pm},
		LastSave: pm,
	})
	ensureCollectionCommands(srv.Engine())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !in.dead.Load() {
			srv.Close()
		}
	})
	res, err := in.a.LoadAtStartup()
	if err != nil {
		srv.Close()
		return in, err
	}
	in.loaded = res
	return in, nil
}

func mustInst(t testing.TB, fsys *CrashFS, mod func(c *config.Config)) *inst {
	t.Helper()
	in, err := newInst(t, fsys, mod)
	if err != nil {
		t.Fatalf("start: %v\nlog:\n%s", err, in.logs)
	}
	return in
}

// client is one connection's state.
type client struct {
	in   *inst
	sess command.Session
}

func (in *inst) client() *client {
	return &client{in: in, sess: command.Session{ID: 1, Authed: true, Proto: 2, W: &resp.Writer{Proto: 2}, User: "default"}}
}

// do runs one command as a batch of one and returns its raw reply once it
// may be sent (after the barrier).
func (c *client) do(args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	return c.doBatch(argv)
}

func (c *client) doBatch(cmds ...[][]byte) string {
	in := c.in
	func() {
		in.srv.Lock()
		defer in.srv.Unlock()
		c.sess.W.Reset()
		for _, argv := range cmds {
			in.srv.Engine().Call(&c.sess, argv)
		}
	}()
	for _, fn := range in.barriers {
		fn()
	}
	return string(c.sess.W.Buf)
}

// locked runs fn with the server lock held.
func (in *inst) locked(fn func()) {
	in.srv.Lock()
	defer in.srv.Unlock()
	fn()
}

// info returns the AOF INFO fields.
func (in *inst) info() map[string]string {
	var b strings.Builder
	in.locked(func() { in.a.InfoAOF(&b) })
	out := map[string]string{}
	for _, l := range strings.Split(b.String(), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// waitRewrite waits until no rewrite runs or is scheduled.
func (in *inst) waitRewrite() {
	in.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		busy := true
		in.locked(func() { busy = in.a.rw != nil || in.a.scheduled || in.a.state == stateWait })
		if !busy {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	in.t.Fatalf("rewrite did not finish\nlog:\n%s", in.logs)
}

// dump renders the whole dataset (type, value, expiry) for comparisons.
func (in *inst) dump() map[string]string {
	out := map[string]string{}
	in.locked(func() { out = dumpKeyspace(in.srv.Keyspace()) })
	return out
}

func dumpKeyspace(ks *keyspace.Keyspace) map[string]string {
	out := map[string]string{}
	for _, db := range ks.DBs {
		db.Each(func(e *keyspace.Entry) bool {
			var v string
			if e.IsString() {
				v = "string:" + e.Str()
			} else {
				switch x := e.Val().(type) {
				case *types.List:
					var el []string
					x.Each(func(b []byte) bool { el = append(el, string(b)); return true })
					v = fmt.Sprintf("list:%q", el)
				case *types.Set:
					var el []string
					x.Each(func(b []byte) bool { el = append(el, string(b)); return true })
					sort.Strings(el)
					v = fmt.Sprintf("set:%q", el)
				case *types.Hash:
					var el []string
					x.Each(func(f, val []byte) bool { el = append(el, string(f)+"="+string(val)); return true })
					sort.Strings(el)
					v = fmt.Sprintf("hash:%q", el)
				case *types.ZSet:
					var el []string
					x.Each(func(m []byte, s float64) bool { el = append(el, fmt.Sprintf("%s=%v", m, s)); return true })
					v = fmt.Sprintf("zset:%q", el)
				default:
					v = fmt.Sprintf("%T", x)
				}
			}
			if at := db.ExpireAt([]byte(e.Key())); at >= 0 {
				v += fmt.Sprintf(" ttl@%d", at)
			}
			out[fmt.Sprintf("%d/%s", db.ID, e.Key())] = v
			return true
		})
	}
	return out
}

func diffDumps(want, got map[string]string) string {
	var d []string
	for k, v := range want {
		if got[k] != v {
			d = append(d, fmt.Sprintf("%s: want %.60q got %.60q", k, v, got[k]))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%s: unexpected %.60q", k, v))
		}
	}
	sort.Strings(d)
	if len(d) > 20 {
		d = append(d[:20], fmt.Sprintf("… %d more", len(d)-20))
	}
	return strings.Join(d, "\n")
}

// ensureCollectionCommands registers minimal RPUSH/SADD/HSET/HMSET/ZADD
// when the engine does not have them yet (data-type commands land
// separately): the AOF vectors and RESP bases use them. The real commands
// are used whenever they exist.
func ensureCollectionCommands(e *command.Engine) {
	lim := types.DefaultLimits()
	add := func(name string, arity int, fn func(c *command.Ctx)) {
		if e.Table.Lookup([]byte(name)) == nil {
			e.Table.Add(&command.Spec{Name: name, Arity: arity, Flags: command.Write, Handler: fn})
		}
	}
	get := func(c *command.Ctx) any {
		if en := c.DB.LookupWrite(c.Args[1]); en != nil {
			return en.Val()
		}
		return nil
	}
	add("rpush", -3, func(c *command.Ctx) {
		l, _ := get(c).(*types.List)
		if l == nil {
			l = types.NewList(lim.ListMaxListpackSize)
			c.DB.SetValue(c.Args[1], l, false)
		}
		for _, v := range c.Args[2:] {
			l.PushBack(append([]byte(nil), v...))
		}
		c.DB.Modified(c.Args[1])
		c.W.Int(int64(l.Len()))
	})
	add("sadd", -3, func(c *command.Ctx) {
		s, _ := get(c).(*types.Set)
		if s == nil {
			s = types.NewSet()
			c.DB.SetValue(c.Args[1], s, false)
		}
		for _, v := range c.Args[2:] {
			s.Add(append([]byte(nil), v...), &lim)
		}
		c.DB.Modified(c.Args[1])
		c.W.Int(int64(s.Len()))
	})
	hset := func(c *command.Ctx) {
		h, _ := get(c).(*types.Hash)
		if h == nil {
			h = types.NewHash()
			c.DB.SetValue(c.Args[1], h, false)
		}
		for i := 2; i+1 < len(c.Args); i += 2 {
			h.Set(append([]byte(nil), c.Args[i]...), append([]byte(nil), c.Args[i+1]...), &lim)
		}
		c.DB.Modified(c.Args[1])
		c.W.OK()
	}
	add("hset", -4, hset)
	add("hmset", -4, hset)
	add("zadd", -4, func(c *command.Ctx) {
		z, _ := get(c).(*types.ZSet)
		if z == nil {
			z = types.NewZSet()
			c.DB.SetValue(c.Args[1], z, false)
		}
		for i := 2; i+1 < len(c.Args); i += 2 {
			var f float64
			switch strings.ToLower(string(c.Args[i])) {
			case "inf", "+inf":
				f = math.Inf(1)
			case "-inf":
				f = math.Inf(-1)
			default:
				fmt.Sscan(string(c.Args[i]), &f)
			}
			z.Add(append([]byte(nil), c.Args[i+1]...), f, 0, &lim)
		}
		c.DB.Modified(c.Args[1])
		c.W.Int(int64(z.Len()))
	})
}
