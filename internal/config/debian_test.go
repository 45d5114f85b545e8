package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const debianConf = "/etc/redis/redis.conf"

func readDebianConf(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(debianConf)
	if err != nil {
		t.Skipf("no %s: %v", debianConf, err)
	}
	return string(data)
}

func TestLoadsDebianRedisConf(t *testing.T) {
	readDebianConf(t)
	c, err := Load(debianConf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Bind, []string{"127.0.0.1", "-::1"}) || !c.Daemonize || c.PidFile != "/run/redis/redis-server.pid" ||
		c.LogFile != "/var/log/redis/redis-server.log" || c.Dir != "/var/lib/redis" || c.Port != 6379 {
		t.Errorf("bind %q daemonize %v pidfile %q logfile %q dir %q port %d", c.Bind, c.Daemonize, c.PidFile, c.LogFile, c.Dir, c.Port)
	}
	if err := c.CheckSupported(""); err != nil {
		t.Errorf("CheckSupported: %v", err)
	}
}

// debianRefused are the commented-out lines of Debian's redis.conf that
// start with a directive name but that redis-server 7.0.15 refuses when
// uncommented (prose and placeholders), with its reason.
var debianRefused = map[string]string{
	"include /path/to/local.conf":                                                    "open",
	"include /path/to/other.conf":                                                    "open",
	"save <seconds> <changes> [<seconds> <changes> ...]":                             "Invalid save parameters",
	"replicaof <masterip> <masterport>":                                              "Invalid master port",
	"masteruser configuration as such:":                                              "wrong number of arguments",
	"replica-announced set to 'no', the replica can be promoted to master. To":       "Unbalanced quotes in configuration line",
	"min-replicas-max-lag is set to 10.":                                             "wrong number of arguments",
	"acl-pubsub-default configuration directive, which accepts one of these values:": "wrong number of arguments",
	"maxmemory <bytes>":                                                              "argument must be a memory value",
	"oom-score-adj-values to positive values will always succeed.":                   "wrong number of arguments",
	"cluster-announce-tls-port has no effect if cluster-tls is set to no.":           "wrong number of arguments",
	"latency-monitor-threshold configuration directive. When its value is set":       "wrong number of arguments",
	"client-output-buffer-limit <class> <hard limit> <soft limit> <soft seconds>":    "Wrong number of arguments in buffer limit configuration.",
}

// Every commented-out directive of Debian's redis.conf is uncommented in
// place, one at a time, and the file loaded: what redis-server 7.0.15
// accepts must load, what it refuses must fail for its reason.
func TestEachCommentedOutDebianDirectiveLoads(t *testing.T) {
	lines := strings.Split(readDebianConf(t), "\n")
	known := regexp.MustCompile(`^# ?([a-z][a-z0-9_-]*) `)
	dir := t.TempDir()
	tried := 0
	for i, line := range lines {
		m := known.FindStringSubmatch(line)
		if m == nil || table.lookup(m[1]) == nil && !keptDirectives[m[1]] {
			continue
		}
		uncommented := strings.TrimPrefix(strings.TrimPrefix(line, "#"), " ")
		variant := slices.Clone(lines)
		variant[i] = uncommented
		path := writeConf(t, dir, "redis.conf", strings.Join(variant, "\n"))
		tried++
		_, err := Load(path, nil)
		want, refused := debianRefused[strings.TrimSpace(uncommented)]
		var fe *FileError
		var oe *OpenError
		switch {
		case !refused && err != nil:
			t.Errorf("line %d %q: %v", i+1, uncommented, err)
		case refused && want == "open" && !errors.As(err, &oe):
			t.Errorf("line %d %q: %v, want a file that cannot be opened", i+1, uncommented, err)
		case refused && want != "open" && (!errors.As(err, &fe) || fe.Reason != want || fe.Line != i+1):
			t.Errorf("line %d %q: %v, want %q at that line", i+1, uncommented, err, want)
		}
	}
	t.Logf("%d commented-out directives tried", tried)
	if tried < 120 {
		t.Errorf("only %d commented-out directives found; redis-server 7.0.15's file has 129", tried)
	}
}

// The same steps as with redis-server 7.0.15: start on a copy of Debian's
// file with command-line overrides, CONFIG SET, CONFIG REWRITE. Redis's
// result differs from the original file by exactly the changes listed
// here (lines are also trimmed and runs of blank lines collapsed); it also
// wrote a `user default` line that Tandem does not.
func TestRewriteOfDebianConfMatchesRedis(t *testing.T) {
	orig := readDebianConf(t)
	dir := t.TempDir()
	replaced := map[string]string{
		"bind 127.0.0.1 -::1":                           "bind 127.0.0.1",
		"port 6379":                                     "port 17005",
		"daemonize yes":                                 "daemonize no",
		"pidfile /run/redis/redis-server.pid":           "",
		"logfile /var/log/redis/redis-server.log":       `logfile ""`,
		"dbfilename dump.rdb":                           `dbfilename "dump.rdb"`,
		"dir /var/lib/redis":                            "dir " + quote(dir),
		"replica-priority 100":                          "replica-priority 50",
		`notify-keyspace-events ""`:                     `notify-keyspace-events "xE"`,
		"stream-node-max-bytes 4096":                    "stream-node-max-bytes 4kb",
		"client-output-buffer-limit pubsub 32mb 8mb 60": "client-output-buffer-limit pubsub 64mb 16mb 90",
		"hz 10": "hz 20",
	}
	var want []string
	found := 0
	for _, l := range strings.Split(orig, "\n") {
		l = strings.Trim(l, " \t\r")
		if r, ok := replaced[l]; ok {
			l = r
			found++
		}
		if l == "" && len(want) > 0 && want[len(want)-1] == "" {
			continue
		}
		want = append(want, l)
	}
	if found != len(replaced) {
		t.Skipf("%s is not the Debian 7.0 file this test was written for", debianConf)
	}
	want = append(want, rewriteSignature,
		"latency-tracking-info-percentiles 50 99 99.9",
		"repl-backlog-size 10mb",
		"unixsocket "+quote(dir+"/s.sock"),
		"save 900 1",
		"maxmemory 100mb",
		"maxmemory-policy allkeys-lru",
	)

	path := writeConf(t, dir, "redis.conf", orig)
	c, err := Load(path, []string{"--port", "17005", "--daemonize", "no", "--logfile", "", "--pidfile", "",
		"--dir", dir, "--unixsocket", filepath.Join(dir, "s.sock")})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Set(pairs("maxmemory", "100mb", "maxmemory-policy", "allkeys-lru", "save", "900 1", "replica-priority", "50",
		"notify-keyspace-events", "Ex", "client-output-buffer-limit", "pubsub 64mb 16mb 90", "bind", "127.0.0.1",
		"hz", "20", "repl-backlog-size", "10mb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	compareRewrite(t, path, strings.Join(want, "\n")+"\n")
}
