// Command tandem runs a Tandem server, invoked like redis-server:
//
//	tandem [/path/to/redis.conf] [--directive value ...]
//	tandem -v | --version
//	tandem -h | --help
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/tandemdb/tandem/internal/app"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/server"
)

// daemonEnv marks the re-executed child of `daemonize yes`: Go cannot fork
// a running process, so the parent starts a copy of itself in a new session
// and exits.
const daemonEnv = "TANDEM_DAEMONIZED"

const defaultPidfile = "/var/run/tandem.pid"

func usage() {
	fmt.Fprintf(os.Stderr, `Usage: tandem [/path/to/redis.conf] [options] [-]
       tandem - (read config from stdin)
       tandem -v or --version
       tandem -h or --help

Examples:
       tandem (run the server with default config)
       tandem /etc/redis/6379.conf
       tandem --port 7777
       tandem --port 7777 --replicaof 127.0.0.1 8888
       tandem /etc/myredis.conf --loglevel verbose -
       tandem /etc/myredis.conf --loglevel verbose
`)
}

func main() {
	args := os.Args[1:]
	if len(args) == 1 {
		switch args[0] {
		case "-v", "--version":
			fmt.Printf("Tandem server v=%s redis_version=%s bits=64 build=go\n", server.TandemVersion, server.Version)
			return
		case "-h", "--help":
			usage()
			return
		}
	}
	path := ""
	if len(args) > 0 && (len(args[0]) < 2 || args[0][:2] != "--") {
		path, args = args[0], args[1:]
	}
	cfg, err := config.Loader{Version: "Redis " + server.Version}.Load(path, args)
	if err != nil {
		// The banner ends with its own newline, as redis-server prints it.
		fmt.Fprint(os.Stderr, err)
		os.Exit(1)
	}
	if cfg.Daemonize && os.Getenv(daemonEnv) == "" {
		if err := daemonize(); err != nil {
			fmt.Fprintf(os.Stderr, "daemonize: %v\n", err)
			os.Exit(1)
		}
		return
	}
	// Like redis-server, work from `dir` (relative paths in later config
	// changes and in logs then mean what the operator expects).
	if err := os.Chdir(cfg.Dir); err != nil {
		fmt.Fprintf(os.Stderr, "Can't chdir to '%s': %v\n", cfg.Dir, err)
		os.Exit(1)
	}
	// A daemon writes a pid file even without pidfile, as redis-server
	// does (CONFIG GET pidfile then shows the default path); app.Start
	// writes it and the shutdown removes it.
	if cfg.PidFile == "" && cfg.Daemonize {
		cfg.PidFile = defaultPidfile
	}
	inst, err := app.Start(cfg, app.Options{})
	if err != nil {
		var banner *config.FileError
		if errors.As(err, &banner) {
			fmt.Fprint(os.Stderr, err) // ends with its own newline
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	select {
	case sig := <-sigs:
		name := "SIGTERM"
		if sig == syscall.SIGINT {
			name = "SIGINT"
		}
		inst.Log.Warningf("Received %s scheduling shutdown...", name)
	case <-inst.Server.Done():
		// A client's SHUTDOWN saved and stopped the server; what is left
		// (files, the pid file) is released below.
	}
	inst.Shutdown()
}

// daemonize re-runs this program detached: a new session, standard streams
// on /dev/null, the same arguments. The child sees daemonEnv and runs the
// server; the parent returns at once, as redis-server's parent does.
func daemonize() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, devnull
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd.Start()
}
