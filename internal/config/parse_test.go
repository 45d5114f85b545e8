package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func ptr(s string) *string { return &s }

// writeConf writes a configuration file in a test directory.
func writeConf(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// redisBanners are what redis-server 7.0.15 printed on stderr for each
// file (written with a final newline; nil = no file) and arguments.
var redisBanners = []struct {
	file *string
	args []string
	want string
}{
	{ptr("port abc"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'port abc'\nargument couldn't be parsed into an integer\n"},
	{ptr("port 70000"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'port 70000'\nargument must be between 0 and 65535 inclusive\n"},
	{ptr("daemonize maybe"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'daemonize maybe'\nargument must be 'yes' or 'no'\n"},
	{ptr("maxmemory 1x"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'maxmemory 1x'\nargument must be a memory value\n"},
	{ptr("foo bar"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"},
	{ptr("port 1 2"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'port 1 2'\nwrong number of arguments\n"},
	{ptr("port \"abc"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'port \"abc'\nUnbalanced quotes in configuration line\n"},
	{ptr("loglevel loud"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'loglevel loud'\nargument(s) must be one of the following: debug, verbose, notice, warning\n"},
	{ptr("save 100"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'save 100'\nInvalid save parameters\n"},
	{ptr("replicaof a 65536"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'replicaof a 65536'\nInvalid master port\n"},
	{ptr("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17'\nToo many bind addresses specified.\n"},
	{ptr("client-output-buffer-limit master 1 2 3"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'client-output-buffer-limit master 1 2 3'\nInvalid client class specified in buffer limit configuration.\n"},
	{ptr("client-output-buffer-limit normal 1 2"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'client-output-buffer-limit normal 1 2'\nWrong number of arguments in buffer limit configuration.\n"},
	{ptr("client-output-buffer-limit normal 1 2 x"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'client-output-buffer-limit normal 1 2 x'\nError in hard, soft or soft_seconds setting in buffer limit configuration.\n"},
	{ptr("notify-keyspace-events Q"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'notify-keyspace-events Q'\nInvalid event class character. Use 'Ag$lshzxeKEtmdn'.\n"},
	{ptr("unixsocketperm 1000"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'unixsocketperm 1000'\nargument must be between 0 and 777 inclusive\n"},
	{ptr("unixsocketperm 9"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'unixsocketperm 9'\nargument couldn't be parsed as an octal number\n"},
	{ptr("maxmemory-clients 101%"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'maxmemory-clients 101%'\npercentage argument must be less or equal to 100\n"},
	{ptr("maxmemory-clients x"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'maxmemory-clients x'\nargument must be a memory or percent value\n"},
	{ptr("dbfilename a/b"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'dbfilename a/b'\ndbfilename can't be a path, just a filename\n"},
	{ptr("appendfilename \"\""), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'appendfilename \"\"'\nappendfilename can't be empty\n"},
	{ptr("appenddirname a/b"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'appenddirname a/b'\nappenddirname can't be a path, just a dirname\n"},
	{ptr("dir /nonexistent"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'dir /nonexistent'\nNo such file or directory\n"},
	{ptr("dir /etc/passwd"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'dir /etc/passwd'\nNot a directory\n"},
	{ptr("sentinel monitor x"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'sentinel monitor x'\nsentinel directive while not in sentinel mode\n"},
	{ptr("a.b"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'a.b'\nModule config specified without value\n"},
	{ptr("oom-score-adj-values 1 2 3000"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'oom-score-adj-values 1 2 3000'\nInvalid oom-score-adj-values, elements must be between -2000 and 2000.\n"},
	{ptr("oom-score-adj-values 1 2"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'oom-score-adj-values 1 2'\nwrong number of arguments\n"},
	{ptr("latency-tracking-info-percentiles 101"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'latency-tracking-info-percentiles 101'\nlatency-tracking-info-percentiles parameters should sit between [0.0,100.0]\n"},
	{ptr("latency-tracking-info-percentiles x"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'latency-tracking-info-percentiles x'\nInvalid latency-tracking-info-percentiles parameters\n"},
	{ptr("proc-title-template {foo}"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'proc-title-template {foo}'\ntemplate format is invalid or contains unknown variables\n"},
	{ptr("cluster-announce-hostname a_b"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'cluster-announce-hostname a_b'\nHostnames may only contain alphanumeric characters, hyphens or dots\n"},
	{ptr("shutdown-on-sigint save nosave"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'shutdown-on-sigint save nosave'\nshutdown options SAVE and NOSAVE can't be used simultaneously\n"},
	{ptr("shutdown-on-sigint loud"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'shutdown-on-sigint loud'\nargument(s) must be one of the following: default, save, nosave, now, force\n"},
	{ptr("proto-max-bulk-len 1k"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'proto-max-bulk-len 1k'\nargument must be between 1048576 and 9223372036854775807 inclusive\n"},
	{ptr("maxclients 0"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'maxclients 0'\nargument must be between 1 and 4294967295 inclusive\n"},
	{ptr("repl-backlog-size 0"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'repl-backlog-size 0'\nargument must be between 1 and 9223372036854775807 inclusive\n"},
	{ptr("list-max-ziplist-entries"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'list-max-ziplist-entries'\nBad directive or wrong number of arguments\n"},
	{ptr("include"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'include'\nBad directive or wrong number of arguments\n"},
	{ptr("# comment\n\n   port 1 2  \t"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'port 1 2'\nwrong number of arguments\n"},
	{ptr("port 7001\n\n# c\n"), []string{"--port", "7002", "--zzz", "x"},
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 6\n>>> 'zzz \"x\"'\nBad directive or wrong number of arguments\n"},
	{nil, []string{"--port", "7000", "--zzz", "a", "b"},
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'zzz \"a\" \"b\"'\nBad directive or wrong number of arguments\n"},
	{nil, []string{"--port", "7000", "--maxmemory", "--zzz"},
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'maxmemory \"--zzz\"'\nargument must be a memory value\n"},
	{nil, []string{"--port"},
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port'\nwrong number of arguments\n"},
	{nil, []string{"--zzz", "a b", "c\"d"},
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'zzz \"a b\" \"c\\\"d\"'\nBad directive or wrong number of arguments\n"},
	{nil, []string{"--save", "--zzz", "1"},
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'zzz \"1\"'\nBad directive or wrong number of arguments\n"},
	{nil, []string{"--port 1 2"},
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port 1 2'\nwrong number of arguments\n"},
	{nil, []string{"--port", "7000", "x", "--zzz"},
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'port \"7000\" \"x\"'\nwrong number of arguments\n"},
	{ptr("hz -1"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'hz -1'\nargument must be between 0 and 2147483647 inclusive\n"},
	{ptr("tcp-backlog 1k"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'tcp-backlog 1k'\nargument couldn't be parsed into an integer\n"},
	{ptr("slowlog-log-slower-than -2"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'slowlog-log-slower-than -2'\nargument must be between -1 and 9223372036854775807 inclusive\n"},
	{ptr("supervised maybe"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'supervised maybe'\nargument(s) must be one of the following: upstart, systemd, auto, no\n"},
	{ptr("appendonly 1"), nil,
		"\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'appendonly 1'\nargument must be 'yes' or 'no'\n"},
}

func TestErrorBannersMatchRedis(t *testing.T) {
	dir := t.TempDir()
	l := Loader{Version: "Redis 7.0.15"}
	for _, tc := range redisBanners {
		path := ""
		if tc.file != nil {
			text := *tc.file
			if !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			path = writeConf(t, dir, "c.conf", text)
		}
		_, err := l.Load(path, tc.args)
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("Load(%q, %q) = %v, want a FileError", ptrOr(tc.file), tc.args, err)
			continue
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("Load(%q, %q) error:\n%q\nwant:\n%q", ptrOr(tc.file), tc.args, got, tc.want)
		}
	}
}

func ptrOr(s *string) string {
	if s == nil {
		return "<no file>"
	}
	return *s
}

func TestBannerWithoutLineForWholeConfigErrors(t *testing.T) {
	path := writeConf(t, t.TempDir(), "c.conf", "cluster-enabled yes\nreplicaof 10.0.0.1 6379\n")
	_, err := Loader{Version: "Tandem 1.0"}.Load(path, nil)
	want := "\n*** FATAL CONFIG FILE ERROR (Tandem 1.0) ***\nreplicaof directive not allowed in cluster mode\n"
	if err == nil || err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestDefaultVersionNamesTandem(t *testing.T) {
	_, err := Load(writeConf(t, t.TempDir(), "c.conf", "port x\n"), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "\n*** FATAL CONFIG FILE ERROR (Tandem) ***\n") {
		t.Errorf("got %q", err)
	}
}

func TestLoadReadsValuesUnitsQuotesAndComments(t *testing.T) {
	text := `# a comment
   # an indented comment

PORT 7000
maxmemory 100MB
repl-backlog-size 1gb
client-query-buffer-limit 2g
requirepass "pass word\x21"
masterauth 'it\'s'
bind 127.0.0.1 -::1
client-output-buffer-limit replica 512mb 128mb 120 pubsub 1k 1kb 5
notify-keyspace-events "KEA"
unixsocketperm 0700
loglevel WARNING
maxmemory-policy allkeys-LRU
slaveof 10.0.0.9 6380
slave-read-only no
hash-max-ziplist-entries 1000
lua-time-limit 100
list-max-ziplist-entries 7
hz 1000
repl-backlog-size 1
maxmemory-clients 18446744073709551615
shutdown-on-sigterm NOW save
`
	c, err := Load(writeConf(t, t.TempDir(), "c.conf", text), nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !equalAny(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("Port", c.Port, 7000)
	check("MaxMemory", c.MaxMemory, uint64(100<<20))
	check("ClientQueryBufferLimit", c.ClientQueryBufferLimit, int64(2000000000))
	check("RequirePass", c.RequirePass, "pass word!")
	check("MasterAuth", c.MasterAuth, "it's")
	check("Bind", strings.Join(c.Bind, ","), "127.0.0.1,-::1")
	check("replica limit", c.ClientOutputBufferLimit[ClassReplica], OutputBufferLimit{512 << 20, 128 << 20, 120})
	check("pubsub limit", c.ClientOutputBufferLimit[ClassPubSub], OutputBufferLimit{1000, 1024, 5})
	check("NotifyKeyspaceEvents", c.NotifyKeyspaceEvents, EventsAll|EventsKeyspace|EventsKeyevent)
	check("UnixSocketPerm", c.UnixSocketPerm, fs.FileMode(0o700))
	check("LogLevel", c.LogLevel, LogWarning)
	check("MaxMemoryPolicy", c.MaxMemoryPolicy, AllKeysLRU)
	check("ReplicaOf", c.ReplicaOf, HostPort{"10.0.0.9", 6380})
	check("ReplicaReadOnly", c.ReplicaReadOnly, false)
	check("HashMaxListpackEntries", c.HashMaxListpackEntries, int64(1000))
	check("BusyReplyThreshold", c.BusyReplyThreshold, int64(100))
	check("HZ", c.HZ, 500)                                // clamped, as Redis does
	check("ReplBacklogSize", c.ReplBacklogSize, int64(1)) // only CONFIG SET raises it
	check("ShutdownOnSigterm", c.ShutdownOnSigterm, ShutdownSave|ShutdownNow)
	for name, want := range map[string]string{
		"notify-keyspace-events": "AKE", "unixsocketperm": "700", "slaveof": "10.0.0.9 6380",
		"maxmemory-clients":   "1%", // Redis's reading of 2^64-1 as -1%
		"shutdown-on-sigterm": "save now", "client-output-buffer-limit": "normal 0 0 0 slave 536870912 134217728 120 pubsub 1000 1024 5",
	} {
		if got, _ := c.Value(name); got != want {
			t.Errorf("Value(%s) = %q, want %q", name, got, want)
		}
	}
}

func equalAny(a, b any) bool { return a == b }

// Checked with redis-server 7.0.15: `save` lines of the file and of the
// command line add up; the first replaces the defaults.
func TestSaveLinesAccumulate(t *testing.T) {
	path := writeConf(t, t.TempDir(), "c.conf", "save 900 1\nsave 300 10\nSAVE 60 100\n")
	c, err := Load(path, []string{"--save", "5", "5"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Value("save"); got != "900 1 300 10 60 100 5 5" {
		t.Errorf("save = %q", got)
	}
	for _, tc := range []struct {
		text string
		args []string
		want string
	}{
		{"", nil, "3600 1 300 100 60 10000"},
		{"save \"\"\n", nil, ""},
		{"save\n", nil, ""},
		{"save 10 1\nsave \"\"\nsave 20 2\n", nil, "20 2"},
		{"save 10 1\nsave\nsave 20 2\n", nil, "10 1 20 2"},
		{"", []string{"--save"}, ""},
		{"", []string{"--save", "--port", "7000"}, ""},
		{"", []string{"--save", ""}, ""},
		{"", []string{"--save", "10", "1", "20", "2"}, "10 1 20 2"},
		{"", []string{"--save", "10 1 20 2"}, "10 1 20 2"}, // one argument is split on spaces, as redis-server 7.0.15 does
	} {
		path := writeConf(t, t.TempDir(), "c.conf", tc.text)
		c, err := Load(path, tc.args)
		if err != nil {
			t.Errorf("Load(%q, %q): %v", tc.text, tc.args, err)
			continue
		}
		if got, _ := c.Value("save"); got != tc.want {
			t.Errorf("Load(%q, %q): save = %q, want %q", tc.text, tc.args, got, tc.want)
		}
	}
}

func TestCommandLineOptionsFollowTheFile(t *testing.T) {
	path := writeConf(t, t.TempDir(), "c.conf", "port 7001\nmaxmemory 1mb\n")
	c, err := Load(path, []string{"--port", "7000", "--replicaof", "127.0.0.1", "6379", "--requirepass", "a b", "--maxmemory-policy", "--volatile-lru"})
	if err == nil {
		t.Fatalf("a value starting with -- after a bare option is a value (Redis); want an error for %q", "--volatile-lru")
	}
	c, err = Load(path, []string{"--port", "7000", "--replicaof", "127.0.0.1", "6379", "--requirepass", "a b", "--bind", "127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 7000 || c.ReplicaOf != (HostPort{"127.0.0.1", 6379}) || c.RequirePass != "a b" ||
		c.MaxMemory != 1<<20 || !slices.Equal(c.Bind, []string{"127.0.0.1", "::1"}) {
		t.Errorf("got port %d replicaof %v requirepass %q maxmemory %d bind %q", c.Port, c.ReplicaOf, c.RequirePass, c.MaxMemory, c.Bind)
	}
	if c.Path() != path {
		t.Errorf("Path = %q, want %q", c.Path(), path)
	}
	// An option and its value in one argument, as some scripts pass them.
	c, err = Load("", []string{"--port 7005"})
	if err != nil || c.Port != 7005 || c.Path() != "" {
		t.Errorf("--\"port 7005\": %v, port %d", err, c.Port)
	}
}

func TestCommandLineLinesAreBuiltAsRedisDoes(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		hasFile bool
		want    string
		stdin   bool
	}{
		{[]string{"--port", "7000", "--replicaof", "127.0.0.1", "6379"}, true, "port \"7000\" \nreplicaof \"127.0.0.1\" \"6379\" ", false},
		{[]string{"--save"}, false, "save \"\"", false},
		{[]string{"--save", "--appendonly", "yes"}, false, "save \"\"\nappendonly \"yes\" ", false},
		{[]string{"--SAVE", "--appendonly", "yes"}, false, "SAVE \"\"\nappendonly \"yes\" ", false},
		{[]string{"--sentinel", "--port", "1"}, false, "sentinel \nport \"1\" ", false},
		{[]string{"--port 1", "--maxmemory", "--x"}, false, "port 1 \nmaxmemory \"--x\" ", false},
		{[]string{"-", "--port", "1"}, false, "port \"1\" ", true},
		{[]string{"-", "--port", "1"}, true, "\"-\" \nport \"1\" ", false},
		{[]string{"--port", "1", "-"}, true, "port \"1\" ", true},
	} {
		got, stdin := commandLine(tc.args, tc.hasFile)
		if got != tc.want || stdin != tc.stdin {
			t.Errorf("commandLine(%q, %v) = %q, %v; want %q, %v", tc.args, tc.hasFile, got, stdin, tc.want, tc.stdin)
		}
	}
}

func TestStdinIsReadForDashAndAfterTheFile(t *testing.T) {
	c, err := Loader{Stdin: strings.NewReader("port 7100\n")}.Load("-", nil)
	if err != nil || c.Port != 7100 || c.Path() != "" {
		t.Fatalf("Load(-): %v, port %d, path %q", err, c.Port, c.Path())
	}
	path := writeConf(t, t.TempDir(), "c.conf", "port 7001\ndatabases 4\n")
	c, err = Loader{Stdin: strings.NewReader("port 7200\nfoo\n")}.Load(path, []string{"--port", "7300", "-"})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 4 || fe.Text != "foo" {
		t.Fatalf("stdin lines must follow the file's: %v", err)
	}
	c, err = Loader{Stdin: strings.NewReader("port 7200\n")}.Load(path, []string{"--port", "7300", "-"})
	if err != nil || c.Port != 7300 || c.Databases != 4 || c.Path() != path {
		t.Errorf("got %v, port %d", err, c.Port)
	}
}

func TestIncludeIsRelativeToTheWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	writeConf(t, dir, "a.conf", "maxmemory 1mb\n")
	writeConf(t, sub, "b.conf", "databases 3\n")
	writeConf(t, sub, "frag1.conf", "hz 20\n")
	writeConf(t, sub, "frag2.conf", "hz 30\n")
	main := writeConf(t, dir, "main.conf", strings.Join([]string{
		"include a.conf",     // the working directory
		"dir sub",            // Redis chdirs here...
		"include b.conf",     // ...so this is sub/b.conf
		"include frag*.conf", // a pattern, read in order
		"include nothing-matches-*.conf",
		"port 7000",
	}, "\n"))
	c, err := Load(main, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxMemory != 1<<20 || c.Databases != 3 || c.HZ != 30 || c.Port != 7000 || c.Dir != sub {
		t.Errorf("maxmemory %d databases %d hz %d port %d dir %q", c.MaxMemory, c.Databases, c.HZ, c.Port, c.Dir)
	}
}

func TestIncludeErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeConf(t, dir, "bad.conf", "# one\nport 1\nport x\n")
	main := writeConf(t, dir, "main.conf", "port 2\ninclude "+bad+"\n")
	_, err := Load(main, nil)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 3 || fe.File != bad || fe.Text != "port x" {
		t.Errorf("error in an included file: %v (%+v)", err, fe)
	}

	missing := filepath.Join(dir, "missing.conf")
	main = writeConf(t, dir, "main.conf", "include "+missing+"\n")
	_, err = Load(main, nil)
	want := "Fatal error, can't open config file '" + missing + "': No such file or directory"
	if err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want %q", err, want)
	}
	if _, err := Load(missing, nil); err == nil || !strings.HasPrefix(err.Error(), "Fatal error, can't open config file") {
		t.Errorf("missing main file: %v", err)
	}

	loop := filepath.Join(dir, "loop.conf")
	writeConf(t, dir, "loop.conf", "include "+loop+"\n")
	if _, err := Load(loop, nil); err == nil || !strings.Contains(err.Error(), "include nesting") {
		t.Errorf("include cycle: %v", err)
	}
}

func TestDirectivesOnlyTheFileKnows(t *testing.T) {
	text := "rename-command CONFIG \"\"\nrename-command FLUSHALL nuke\nloadmodule /x.so a b\nsentinel\n" +
		"list-max-ziplist-value 5\nlua-replicate-commands yes\nmymod.opt 1\n"
	c, err := Load(writeConf(t, t.TempDir(), "c.conf", text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]string{{"CONFIG", ""}, {"FLUSHALL", "nuke"}}; !slices.Equal(c.RenameCommands, want) {
		t.Errorf("RenameCommands = %q", c.RenameCommands)
	}
	if len(c.LoadModules) != 1 || !slices.Equal(c.LoadModules[0], []string{"/x.so", "a", "b"}) {
		t.Errorf("LoadModules = %q", c.LoadModules)
	}
	if err := c.CheckSupported("Tandem"); err == nil || !strings.Contains(err.Error(), "modules are not supported") {
		t.Errorf("CheckSupported = %v", err)
	}

	c, err = Load(writeConf(t, t.TempDir(), "c.conf", "user bob on >pw ~* +@all\nuser alice (~a* +get)\n"), nil)
	if err != nil {
		t.Fatalf("user: %v", err)
	}
	if want := [][]string{{"bob", "on", ">pw", "~*", "+@all"}, {"alice", "(~a*", "+get)"}}; !slices.EqualFunc(c.Users, want, slices.Equal) {
		t.Errorf("Users = %q", c.Users)
	}
}

// user lines are checked as Redis checks them while reading the file:
// the rules' syntax and duplicates (unknown commands wait for start-up),
// with Redis's messages (which name the line's argument at the rule's
// index among the rules, as Redis's do).
func TestUserLinesChecked(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"user bob on >pw\nuser bob off\n", "Error in user declaration 'bob': Duplicate user found. A user can only be defined once in config files"},
		{"user bob on %X~k\n", "Error in user declaration 'bob': Syntax error"},
		{"user bob on #abc\n", "Error in user declaration 'bob': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{"user bob ~* ~x\n", "Adding a pattern after the * pattern"},
		{"user bob +nosuchcommand +@nosuchcat\n", ""},
	} {
		_, err := Load(writeConf(t, t.TempDir(), "c.conf", tc.file), nil)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.file, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: got %v, want …%s", tc.file, err, tc.want)
		}
	}
}

func TestCheckSupportedRefusesClusterMode(t *testing.T) {
	c, err := Load(writeConf(t, t.TempDir(), "c.conf", "cluster-enabled yes\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "\n*** FATAL CONFIG FILE ERROR (Tandem 2) ***\ncluster mode (cluster-enabled yes) is not supported\n"
	if err := c.CheckSupported("Tandem 2"); err == nil || err.Error() != want {
		t.Errorf("got %q", err)
	}
	if err := New().CheckSupported(""); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// Redis checks rename-command against its command table; Tandem does when
// the server passes its own.
func TestRenameCommandIsCheckedWhenCommandsAreKnown(t *testing.T) {
	known := map[string]bool{"get": true, "set": true, "config": true}
	l := Loader{Version: "Redis 7.0.15", CommandExists: func(n string) bool { return known[n] }}
	for text, want := range map[string]string{
		"rename-command GET x\nrename-command x y\n":      "",
		"rename-command get get\n":                        "",
		"rename-command foo bar\n":                        "No such command in rename-command",
		"rename-command get \"\"\nrename-command get x\n": "No such command in rename-command",
		"rename-command get set\n":                        "Target command name already exists",
	} {
		_, err := l.Load(writeConf(t, t.TempDir(), "c.conf", text), nil)
		var fe *FileError
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "" && (!errors.As(err, &fe) || fe.Reason != want):
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
