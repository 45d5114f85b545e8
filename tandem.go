// Package tandem embeds a Tandem server — a Redis-compatible in-memory data
// server — in a Go program or test:
//
//	srv, err := tandem.Start(tandem.Config{})
//	if err != nil { ... }
//	defer srv.Close()
//	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
//
// The server is the same one the tandem binary runs; only its listener,
// logging and (without a ConfigFile) save-point defaults differ. Several
// servers may run in one process: each has its own configuration, data,
// files and goroutines, and Close gives all of them back.
//
// One behaviour reaches beyond the server: with appendonly yes and
// appendfsync always, a failed write or fsync of the AOF exits the process,
// as it exits redis-server, because a write already acknowledged as durable
// could not be made so.
package tandem

import (
	"strconv"

	"github.com/tandemdb/tandem/internal/app"
	"github.com/tandemdb/tandem/internal/config"
)

// Config chooses how an embedded server starts.
type Config struct {
	// Port to listen on; 0 picks a free port on 127.0.0.1.
	Port int
	// ConfigFile is an optional redis.conf to read first. Its settings,
	// and Redis's defaults for what it leaves out, apply as they do to the
	// binary.
	ConfigFile string
	// Directives are extra configuration lines in redis.conf form, applied
	// after the file (for example {"requirepass", "secret"} or
	// {"dir", "/data"}). Each entry is one directive with its arguments.
	//
	// Without a ConfigFile, the server has no save points unless
	// Directives set some (the binary's default is Redis's "3600 1 300 100
	// 60 10000"): a server embedded in a program or a test then neither
	// saves by the clock nor on Close, and never writes dump.rdb into the
	// working directory (its default dir) unasked. It still loads a
	// dump.rdb (or, with appendonly yes, the AOF) found in its dir at Start.
	Directives [][]string
	// Verbose logs to standard output as the binary does; by default an
	// embedded server logs warnings only.
	Verbose bool
}

// Server is a running embedded server.
type Server struct {
	inst *app.Instance
}

// Start starts a server: it listens, writes its pid file if pidfile is
// set, loads its data (the AOF with appendonly yes, else the RDB), and
// starts replicating if replicaof is set. When it fails (a bad directive,
// the port in use, an unreadable or corrupt data file, ...) it returns the
// error, as redis-server would print it, and has given back everything it
// took: no listener, goroutine or open file is left behind.
func Start(cfg Config) (*Server, error) {
	var args []string
	if cfg.ConfigFile == "" {
		// Directives come after this and may add save points back.
		args = append(args, "--save", "")
	}
	if cfg.Port == 0 {
		args = append(args, "--bind", "127.0.0.1")
	} else {
		args = append(args, "--port", strconv.Itoa(cfg.Port))
	}
	if !cfg.Verbose {
		args = append(args, "--loglevel", "warning")
	}
	for _, d := range cfg.Directives {
		if len(d) == 0 {
			continue
		}
		args = append(args, "--"+d[0])
		if len(d) == 1 {
			args = append(args, "")
		}
		args = append(args, d[1:]...)
	}
	c, err := config.Load(cfg.ConfigFile, args)
	if err != nil {
		return nil, err
	}
	inst, err := app.Start(c, app.Options{EphemeralPort: cfg.Port == 0, Quiet: !cfg.Verbose})
	if err != nil {
		return nil, err
	}
	return &Server{inst: inst}, nil
}

// Addr is the host:port clients connect to.
func (s *Server) Addr() string { return s.inst.Server.Addr().String() }

// Close stops the server the way SHUTDOWN FORCE stops the tandem binary:
//   - a master whose replicas have not acknowledged its offset waits for
//     them, writes paused, up to shutdown-timeout (default 10 s); a
//     client's SHUTDOWN ABORT ends the wait early but not the Close;
//   - a running BGSAVE or AOF rewrite is stopped;
//   - with appendonly yes, every write acknowledged to a client is written
//     to the AOF, which is fsynced and closed, whatever appendfsync says;
//   - when save points are configured, the RDB is saved (see
//     Config.Directives for the embedded default: none); a failed save is
//     returned as the error, and the server stops anyway;
//   - replication links to a master and to replicas are closed;
//   - the listeners and client connections are closed, and the pid file
//     is removed.
//
// Close returns when every goroutine the server started has ended and its
// files are closed. It may be called again (also after a client's
// SHUTDOWN); later calls return the first one's result.
func (s *Server) Close() error { return s.inst.Shutdown() }
