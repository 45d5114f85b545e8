package config

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func pairs(kv ...string) [][2]string {
	var p [][2]string
	for i := 0; i+1 < len(kv); i += 2 {
		p = append(p, [2]string{kv[i], kv[i+1]})
	}
	return p
}

// Replies of redis-server 7.0.15 to CONFIG SET, for a server in its
// default configuration ("" = +OK).
var redisSetReplies = []struct {
	set  []string
	want string
}{
	{[]string{"foo", "bar", "port", "x"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{[]string{"port", "x", "foo", "bar"}, "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{[]string{"port", "abc", "maxmemory-policy", "xyz"}, "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"},
	{[]string{"maxmemory-policy", "xyz", "port", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
	{[]string{"port", "17002", "daemonize", "yes"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{[]string{"daemonize", "yes", "foo", "bar"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{[]string{"daemonize", "yes", "port", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{[]string{"port", "1", "port", "2"}, "ERR CONFIG SET failed (possibly related to argument 'port') - duplicate parameter"},
	{[]string{"PORT", "1", "port", "2"}, "ERR CONFIG SET failed (possibly related to argument 'port') - duplicate parameter"},
	{[]string{"slave-priority", "1", "replica-priority", "2"}, ""},
	{[]string{"SLAVE-PRIORITY", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer"},
	{[]string{"unixsocketperm", "1"}, "ERR CONFIG SET failed (possibly related to argument 'unixsocketperm') - can't set immutable config"},
	{[]string{"replicaof", "127.0.0.1 1"}, "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config"},
	{[]string{"appendfilename", "x"}, "ERR CONFIG SET failed (possibly related to argument 'appendfilename') - can't set immutable config"},
	{[]string{"dir", "/nonexistent"}, "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
	{[]string{"dbfilename", "a/b"}, "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"},
	{[]string{"maxmemory", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"maxmemory", " 1"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{[]string{"maxmemory", "18446744073709551616"}, ""},
	{[]string{"proto-max-bulk-len", "9223372036854775808"}, "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"},
	{[]string{"proto-max-bulk-len", ""}, "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"},
	{[]string{"proto-max-bulk-len", "+5"}, "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value"},
	{[]string{"maxmemory-samples", "05"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument couldn't be parsed into an integer"},
	{[]string{"maxmemory-samples", "2147483648"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument must be between 1 and 2147483647 inclusive"},
	{[]string{"save", "100"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"save", "0 1"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"save", "1 -1"}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"save", "  100   10  "}, "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{[]string{"client-output-buffer-limit", "master 1 2 3"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Invalid client class specified in buffer limit configuration."},
	{[]string{"client-output-buffer-limit", "normal 1 2 x"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration."},
	{[]string{"client-output-buffer-limit", "normal 1 2"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration."},
	{[]string{"client-output-buffer-limit", "normal 1 2 -1"}, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration."},
	{[]string{"client-output-buffer-limit", ""}, ""},
	{[]string{"maxmemory-clients", "101%"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"},
	{[]string{"maxmemory-clients", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value"},
	{[]string{"maxmemory-clients", "-5"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value"},
	{[]string{"notify-keyspace-events", "Q"}, "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
	{[]string{"oom-score-adj-values", "1 2"}, "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments"},
	{[]string{"oom-score-adj-values", "1 2 3000"}, "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
	{[]string{"oom-score-adj-values", "0  200 800"}, "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments"},
	{[]string{"latency-tracking-info-percentiles", "50 101"}, "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
	{[]string{"latency-tracking-info-percentiles", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters"},
	{[]string{"proc-title-template", "{foo}"}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"proc-title-template", "{title}"}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"proc-title-template", "{server-mode}"}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"proc-title-template", " {title}"}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"proc-title-template", "{title"}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"proc-title-template", "{}"}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"proc-title-template", ""}, "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables"},
	{[]string{"proc-title-template", "{title}}"}, ""},
	{[]string{"proc-title-template", "{{title}"}, ""},
	{[]string{"proc-title-template", "{config-file}"}, ""},
	{[]string{"proc-title-template", "{port}"}, ""},
	{[]string{"proc-title-template", "}"}, ""},
	{[]string{"loglevel", ""}, "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning"},
	{[]string{"shutdown-on-sigint", "save nosave"}, "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously"},
	{[]string{"shutdown-on-sigint", ""}, "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - argument(s) must be one of the following: default, save, nosave, now, force"},
	{[]string{"propagation-error-behavior", "bogus"}, "ERR CONFIG SET failed (possibly related to argument 'propagation-error-behavior') - argument(s) must be one of the following: ignore, panic, panic-on-replicas"},
	// C's parsers (memtoull, strcasecmp) stop at a NUL; string2ll does not.
	{[]string{"hash-max-listpack-value", "1\x00", "hash-max-ziplist-entries", "nan"}, "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument couldn't be parsed into an integer"},
	{[]string{"slowlog-max-len", "5", "zset-max-listpack-value", "1\x00"}, ""},
	{[]string{"hz", "5\x00"}, "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"},
	{[]string{"maxmemory-clients", "5%\x00"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value"},
	{[]string{"appendfsync", "\x00"}, "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no"},
	{[]string{"socket-mark-id", "bogus"}, "ERR CONFIG SET failed (possibly related to argument 'socket-mark-id') - can't set immutable config"},
}

func TestSetRepliesLikeRedis(t *testing.T) {
	for _, tc := range redisSetReplies {
		c := New()
		err := c.Set(pairs(tc.set...))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Set(%q) = %q\nwant %q", tc.set, got, tc.want)
		}
	}
}

// CONFIG GET after CONFIG SET on redis-server 7.0.15.
func TestSetThenGetShowsRedisForm(t *testing.T) {
	for _, tc := range []struct{ name, set, get string }{
		{"repl-backlog-size", "1", "16384"},
		{"hz", "1000", "500"},
		{"hz", "0", "1"},
		{"save", "", ""},
		{"save", "100 10", "100 10"},
		{"bind", "", ""},
		{"notify-keyspace-events", "KEA", "AKE"},
		{"notify-keyspace-events", "Kx", "xK"},
		{"notify-keyspace-events", "Agm$n", "Am"},
		{"notify-keyspace-events", "g$lshzxetd", "A"},
		{"notify-keyspace-events", "Ed", "dE"},
		{"maxmemory", "1kb", "1024"},
		{"maxmemory", "1G", "1000000000"},
		{"maxmemory", "18446744073709551616", "18446744073709551615"},
		{"maxmemory", "", "0"},
		{"client-output-buffer-limit", "replica 1 2 3", "normal 0 0 0 slave 1 2 3 pubsub 33554432 8388608 60"},
		{"client-output-buffer-limit", "slave 1mb 2mb 3 pubsub 1 1 1", "normal 0 0 0 slave 1048576 2097152 3 pubsub 1 1 1"},
		{"client-output-buffer-limit", "NORMAL 1 2 3", "normal 1 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
		{"maxmemory-clients", "5%", "5%"},
		{"oom-score-adj-values", "10 5 1", "10 5 1"},
		{"oom-score-adj", "relative", "yes"},
		{"latency-tracking-info-percentiles", "50.5 99.99 1e1", "50.5 99.99 10"},
		{"latency-tracking-info-percentiles", "", ""},
		{"loglevel", "WARNING", "warning"},
		{"shutdown-on-sigint", "save now", "save now"},
		{"shutdown-on-sigint", "NOW save", "save now"},
		{"shutdown-on-sigint", "default save", "save"},
		{"shutdown-on-sigint", "force", "force"},
		{"masteruser", "", ""},
		{"requirepass", "secret", "secret"},
		{"list-max-ziplist-size", "-3", "-3"},
		{"lua-time-limit", "100", "100"},
		{"maxmemory", "2mb\x00junk", "2097152"},
		{"maxmemory", "k\x00", "0"},
		{"maxmemory-clients", "10\x00%", "10"},
		{"appendfsync", "no\x00x", "no"},
		{"lazyfree-lazy-eviction", "yes\x00x", "yes"},
	} {
		c := New()
		if err := c.Set(pairs(tc.name, tc.set)); err != nil {
			t.Errorf("Set(%s %q): %v", tc.name, tc.set, err)
			continue
		}
		if got, _ := c.Value(tc.name); got != tc.get {
			t.Errorf("Set(%s %q) then Get = %q, want %q", tc.name, tc.set, got, tc.get)
		}
	}
}

func TestSetIsAllOrNothing(t *testing.T) {
	c := New()
	before := c.Get("*")
	err := c.Set(pairs("maxmemory", "10mb", "save", "1 1", "bind", "1.1.1.1", "client-output-buffer-limit", "pubsub 1 1 1",
		"oom-score-adj-values", "1 2 3", "maxmemory-policy", "bogus"))
	if err == nil {
		t.Fatal("Set accepted a bad maxmemory-policy")
	}
	if after := c.Get("*"); !slices.Equal(before, after) {
		t.Errorf("a failed Set changed values")
	}
	if c.MaxMemory != 0 || len(c.Save) != 3 || c.Bind[0] != "*" {
		t.Errorf("typed fields changed: maxmemory %d save %v bind %v", c.MaxMemory, c.Save, c.Bind)
	}
}

func TestSubscribersRunAfterChangesAndCanVeto(t *testing.T) {
	c := New()
	var seen []string
	c.Subscribe(func(c *Config) error {
		seen = append(seen, fmt.Sprintf("maxmemory=%d port=%d", c.MaxMemory, c.Port))
		return nil
	}, "maxmemory")
	c.Subscribe(func(c *Config) error {
		if c.Port == 7000 {
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		seen = append(seen, fmt.Sprintf("port=%d", c.Port))
		return nil
	}, "port")

	err := c.Set(pairs("maxmemory", "5mb", "port", "7000"))
	want := "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if c.MaxMemory != 0 || c.Port != 6379 {
		t.Errorf("values not restored: maxmemory %d port %d", c.MaxMemory, c.Port)
	}
	// The maxmemory hook saw the new values, then ran again on the old
	// ones so the server could return to them; so did the port hook.
	wantSeen := []string{"maxmemory=5242880 port=7000", "maxmemory=0 port=6379", "port=6379"}
	if !slices.Equal(seen, wantSeen) {
		t.Errorf("hooks saw %q, want %q", seen, wantSeen)
	}

	seen = nil
	if err := c.Set(pairs("maxmemory", "0", "port", "6379", "slave-priority", "1")); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 0 {
		t.Errorf("hooks ran for unchanged values: %q", seen)
	}
	if err := c.Set(pairs("port", "7001")); err != nil || !slices.Equal(seen, []string{"port=7001"}) {
		t.Errorf("Set port: %v, hooks saw %q", err, seen)
	}
}

func TestSubscribeAcceptsAliasesRunsOncePerSetAndPanicsOnTypos(t *testing.T) {
	c := New()
	called := 0
	c.Subscribe(func(*Config) error { called++; return nil }, "slave-priority", "hz")
	if err := c.Set(pairs("replica-priority", "5")); err != nil || called != 1 {
		t.Errorf("alias subscription: %v, called %d times", err, called)
	}
	// Two watched directives changed by one Set: one call.
	if err := c.Set(pairs("replica-priority", "6", "hz", "20", "maxmemory-samples", "7")); err != nil || called != 2 {
		t.Errorf("two watched changes: %v, called %d times, want 2 in all", err, called)
	}
	if err := c.Set(pairs("maxmemory-samples", "8")); err != nil || called != 2 {
		t.Errorf("unwatched change: %v, called %d times, want 2 in all", err, called)
	}
	every := 0
	c.Subscribe(func(*Config) error { every++; return nil })
	if err := c.Set(pairs("maxmemory-samples", "9", "lfu-log-factor", "3")); err != nil || every != 1 {
		t.Errorf("subscription to every directive: %v, called %d times, want 1", err, every)
	}
	defer func() {
		if recover() == nil {
			t.Error("Subscribe to an unknown name did not panic")
		}
	}()
	c.Subscribe(func(*Config) error { return nil }, "maxmemroy")
}

func TestProtectedAndLoadingRules(t *testing.T) {
	dir := t.TempDir()
	c := New()
	c.EnableProtectedConfigs = AllowLocal
	if err := c.Set(pairs("dir", dir)); err == nil {
		t.Error("dir set from a remote client with enable-protected-configs local")
	}
	if err := c.Set(pairs("dir", dir), FromLocalClient()); err != nil || c.Dir != dir {
		t.Errorf("local client: %v, dir %q", err, c.Dir)
	}
	c.EnableProtectedConfigs = AllowYes
	for _, tc := range []struct{ dir, want string }{
		{"/nonexistent", "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"},
		{"/etc/passwd", "ERR CONFIG SET failed (possibly related to argument 'dir') - Not a directory"},
		{"", "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"},
	} {
		if err := c.Set(pairs("dir", tc.dir)); err == nil || err.Error() != tc.want {
			t.Errorf("dir %q: %v", tc.dir, err)
		}
	}
	if err := c.Set(pairs("dbfilename", "a/b")); err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename" {
		t.Errorf("dbfilename: %v", err)
	}
	for _, name := range []string{"appendonly", "dir", "repl-diskless-load"} {
		if err := c.Set(pairs(name, "x"), WhileLoading()); !errors.Is(err, ErrLoading) {
			t.Errorf("%s while loading: %v", name, err)
		}
	}
	if ErrLoading.Error() != "LOADING Redis is loading the dataset in memory" {
		t.Error(ErrLoading)
	}
}

func TestGetAnswersLikeRedis(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		patterns []string
		want     [][2]string
	}{
		{[]string{"PORT"}, pairs("PORT", "6379")},
		{[]string{"PORT", "port"}, pairs("PORT", "6379")},
		{[]string{"P*RT", "PORT"}, pairs("port", "6379")},
		{[]string{"Slave-Read-Only"}, pairs("Slave-Read-Only", "yes")},
		{[]string{"SLAVE-READ-*"}, pairs("slave-read-only", "yes")},
		{[]string{"slave-read-only", "replica-read-*"}, pairs("slave-read-only", "yes", "replica-read-only", "yes")},
		{[]string{"nonexistent"}, nil},
		{[]string{"rdb-key-save-delay", "*delay*"}, pairs("rdb-key-save-delay", "0", "repl-diskless-sync-delay", "5", "repl-disable-tcp-nodelay", "no")},
		{[]string{"tls-*port*"}, pairs("tls-port", "0")},
		{[]string{"maxmemory-p[a-z]licy"}, pairs("maxmemory-policy", "noeviction")},
	} {
		got := c.Get(tc.patterns...)
		slices.SortFunc(got, func(a, b [2]string) int { return cmpStr(a[0], b[0]) })
		want := slices.Clone(tc.want)
		slices.SortFunc(want, func(a, b [2]string) int { return cmpStr(a[0], b[0]) })
		if !slices.Equal(got, want) {
			t.Errorf("Get(%q) = %q, want %q", tc.patterns, got, want)
		}
	}
	slaves := c.Get("slave-*")
	if len(slaves) != 7 {
		t.Errorf("Get(slave-*) = %q, want Redis's 7 aliases", slaves)
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestCloneIsIndependent(t *testing.T) {
	c := New()
	c.Subscribe(func(*Config) error { return errors.New("no") }, "port")
	n := c.Clone()
	if err := n.Set(pairs("port", "1", "bind", "1.2.3.4", "save", "5 5", "oom-score-adj-values", "1 2 3")); err != nil {
		t.Fatalf("subscriptions must not follow a clone: %v", err)
	}
	if c.Port != 6379 || c.Bind[0] != "*" || c.Save[0].Seconds != 3600 {
		t.Errorf("clone shares state with the original")
	}
	if v, _ := c.Value("oom-score-adj-values"); v != "0 200 800" {
		t.Errorf("clone shares stored settings: %q", v)
	}
}

func TestSensitive(t *testing.T) {
	for name, want := range map[string]bool{"requirepass": true, "MASTERAUTH": true, "masteruser": true, "port": false, "nope": false} {
		if Sensitive(name) != want {
			t.Errorf("Sensitive(%s) != %v", name, want)
		}
	}
}
