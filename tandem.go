// Package tandem embeds a Tandem server — a Redis-compatible in-memory data
// server — in a Go program or test:
//
//	srv, err := tandem.Start(tandem.Config{})
//	if err != nil { ... }
//	defer srv.Close()
//	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
//
// The server is the same one the tandem binary runs; only its listener and
// logging defaults differ.
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
	// ConfigFile is an optional redis.conf to read first.
	ConfigFile string
	// Directives are extra configuration lines in redis.conf form, applied
	// after the file (for example {"requirepass", "secret"} or
	// {"save", ""}). Each entry is one directive with its arguments.
	Directives [][]string
	// Verbose logs to standard output as the binary does; by default an
	// embedded server logs warnings only.
	Verbose bool
}

// Server is a running embedded server.
type Server struct {
	inst *app.Instance
}

// Start starts a server.
func Start(cfg Config) (*Server, error) {
	var args []string
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

// Close stops the server and waits for its goroutines.
func (s *Server) Close() error { return s.inst.Server.Close() }
