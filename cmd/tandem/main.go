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
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/tandemdb/tandem/internal/app"
	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/proctitle"
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
	// First: the process title takes the memory os.Args and the
	// environment are read from (they move to the heap).
	title, titleErr := proctitle.Take()
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
	// Read before the server runs: a CONFIG SET that fails rewrites the
	// whole Config (restore), racing with a read from here afterwards.
	dir := cfg.Dir
	// Go's own report of a fatal error (an unrecovered panic on some
	// goroutine) goes to the log file too, not only to stderr.
	if cfg.LogFile != "" {
		if f, err := os.OpenFile(cfg.LogFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			debug.SetCrashOutput(f, debug.CrashOptions{})
			f.Close() // SetCrashOutput keeps its own copy
		}
	}
	// A crash report is written; then the process ends with the status a
	// death by that signal gives (128+sig): Go ignores a SIGSEGV it sends
	// itself, and Go's SIGABRT handling would print a second dump.
	die := func(sig int) { os.Exit(128 + sig) }
	opts := app.Options{Crash: die}
	if titleErr == nil {
		opts.SetTitle, opts.Title = title.Set, os.Args[0]
	}
	inst, err := app.Start(cfg, opts)
	if err != nil {
		var banner *config.FileError
		if errors.As(err, &banner) {
			fmt.Fprint(os.Stderr, err) // ends with its own newline
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
	// SIGABRT (kill -ABRT, an abort) gets a crash report with every
	// goroutine's stack before the process ends, as Redis's handler writes.
	aborts := make(chan os.Signal, 1)
	signal.Notify(aborts, syscall.SIGABRT)
	go func() {
		<-aborts
		inst.Server.CrashReport(fmt.Sprintf("Tandem %s crashed by signal: %d, si_code: 0 (SIGABRT)", server.TandemVersion, int(syscall.SIGABRT)))
		die(int(syscall.SIGABRT))
	}()
	waitForShutdown(inst, dir)
	inst.Shutdown()
}

// waitForShutdown returns once the server is stopping: a client's
// SHUTDOWN, or SIGTERM / SIGINT, which shut down as shutdown-on-sigterm /
// shutdown-on-sigint say (a master waits for its replicas first). As in
// Redis, a signal's shutdown that fails (the final save) or that SHUTDOWN
// ABORT cancels leaves the server running, and a SIGINT while a signal's
// shutdown is under way exits at once with status 1 ("You insist"),
// removing the final save's temp file. dir is where that file is written
// (the start-up dir; CONFIG SET dir later is not followed).
func waitForShutdown(inst *app.Instance, dir string) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	outcome := make(chan error, 1)
	pending := false // a signal's shutdown is under way (Redis's shutdown_asap)
	for {
		select {
		case sig := <-sigs:
			if pending && sig == syscall.SIGINT {
				inst.Log.Warningf("You insist... exiting now.")
				removeTempRDB(dir)
				os.Exit(1)
			}
			name := "SIGTERM"
			if sig == syscall.SIGINT {
				name = "SIGINT"
			}
			inst.Log.Warningf("Received %s scheduling shutdown...", name)
			if pending {
				continue
			}
			pending = true
			// The request may save before it returns: off this goroutine,
			// which must stay free to hear a second SIGINT.
			go func() { outcome <- <-inst.Server.RequestShutdown(signalFlags(inst, sig)) }()
		case <-outcome:
			pending = false
			if inst.Server.Stopping() {
				return
			}
		case <-inst.Server.Done():
			// A client's SHUTDOWN saved and stopped the server; what is
			// left (files, the pid file) is released by the caller.
			return
		}
	}
}

// signalFlags are the SHUTDOWN flags a signal implies: shutdown-on-sigint
// or shutdown-on-sigterm, read when the signal arrives (CONFIG SET may
// have changed them).
func signalFlags(inst *app.Instance, sig os.Signal) server.ShutdownFlags {
	inst.Server.Lock()
	f := inst.Config.ShutdownOnSigterm
	if sig == syscall.SIGINT {
		f = inst.Config.ShutdownOnSigint
	}
	inst.Server.Unlock()
	var out server.ShutdownFlags
	for _, m := range []struct {
		c config.ShutdownFlags
		s server.ShutdownFlags
	}{
		{config.ShutdownSave, server.ShutdownSave},
		{config.ShutdownNoSave, server.ShutdownNoSave},
		{config.ShutdownNow, server.ShutdownNow},
		{config.ShutdownForce, server.ShutdownForce},
	} {
		if f&m.c != 0 {
			out |= m.s
		}
	}
	return out
}

// removeTempRDB removes the temp files of saves of this process in dir
// (temp-<pid>-*.rdb), as Redis removes its temp-<pid>.rdb when it exits
// without finishing a save.
func removeTempRDB(dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("temp-%d-*.rdb", os.Getpid())))
	for _, f := range files {
		os.Remove(f)
	}
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
