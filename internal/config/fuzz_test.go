package config

import (
	"os"
	"strings"
	"testing"
)

func addDebianLines(f *testing.F) {
	data, err := os.ReadFile(debianConf)
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			f.Add(l)
		}
	}
}

// FuzzParse feeds arbitrary configuration text to the line parser: it
// must return a value or an error, never panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"port 6379", "save \"\"\nsave 1 1", "bind * -::*", `requirepass "a\x20b"`, "port \"abc",
		"client-output-buffer-limit normal 0 0 0 slave 1 2 3", "notify-keyspace-events KEA",
		"replicaof 1.2.3.4 5", "rename-command GET \"\"", "loadmodule x.so", "a.b c", "sentinel",
		"maxmemory 18446744073709551615gb", "proc-title-template {{title}", "unixsocketperm 0777",
		"latency-tracking-info-percentiles 0x1p-2000", "shutdown-on-sigint save now force",
	} {
		f.Add(s)
	}
	addDebianLines(f)
	f.Fuzz(func(t *testing.T, text string) {
		// include could read any file, /dev/zero included.
		if strings.Contains(strings.ToLower(text), "include") {
			return
		}
		c := New()
		c.loading = &loadState{loader: Loader{Version: "fuzz"}}
		if err := c.loadString(text, "fuzz.conf"); err != nil {
			_ = err.Error()
		}
		c.loading = nil
		_ = c.Get("*")
		_ = c.rewriteContent(text)
	})
}

// FuzzSet checks that CONFIG SET never panics and that what CONFIG GET
// shows after a successful SET is accepted again unchanged.
func FuzzSet(f *testing.F) {
	for _, d := range table.list {
		f.Add(d.name, "")
		f.Add(d.name, "1")
		f.Add(d.name, "yes")
	}
	f.Add("save", "1 1 2 2")
	f.Add("client-output-buffer-limit", "pubsub 1k 1kb 1")
	f.Add("maxmemory-clients", "50%")
	f.Fuzz(func(t *testing.T, name, value string) {
		if lower(name) == "dir" {
			return // touches the file system
		}
		c := New()
		c.EnableProtectedConfigs = AllowYes
		if err := c.Set([][2]string{{name, value}}); err != nil {
			_ = err.Error()
			return
		}
		got, ok := c.Value(name)
		if !ok {
			t.Fatalf("Set(%q) succeeded but Value does not know it", name)
		}
		if err := c.Set([][2]string{{name, got}}); err != nil {
			t.Fatalf("Set(%q, %q) then Set of its Get form %q: %v", name, value, got, err)
		}
		if again, _ := c.Value(name); again != got {
			t.Fatalf("Set(%q, %q): Get %q, then %q", name, value, got, again)
		}
	})
}
