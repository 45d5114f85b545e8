package server

import (
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// INFO's section selection, checked against redis-server 7.0.15: which
// sections an argument list selects, always in Redis's order, whatever the
// order and case of the arguments.
func TestInfoSelectsSectionsAsRedis(t *testing.T) {
	srv := startServer(t, nil)
	c := dialServer(t, srv)
	defaults := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"}
	all := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"}
	for _, tc := range []struct {
		args string
		want []string
	}{
		{"INFO", defaults},
		{"INFO default", defaults},
		{"INFO all", all},
		{"INFO everything", all},
		{"INFO ALL", all},
		{"INFO server", []string{"Server"}},
		{"INFO CLIENTS server", []string{"Server", "Clients"}},
		{"INFO keyspace replication stats", []string{"Stats", "Replication", "Keyspace"}},
		{"INFO default commandstats", []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Cluster", "Keyspace"}},
		{"INFO commandstats", []string{"Commandstats"}},
		{"INFO latencystats", []string{"Latencystats"}},
		{"INFO cpu", []string{"CPU"}},
		{"INFO server server", []string{"Server"}},
		{"INFO nosuch", nil},
		{"INFO server nosuch", []string{"Server"}},
	} {
		text := c.bulk(tc.args)
		got := parseInfo(t, text).titles
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: sections %v, want %v", tc.args, got, tc.want)
		}
		// Sections are separated by one empty line, and there is no
		// empty line at the end.
		if n := strings.Count(text, "\r\n\r\n"); len(tc.want) > 0 && n != len(tc.want)-1 {
			t.Errorf("%s: %d blank lines between %d sections", tc.args, n, len(tc.want))
		}
	}
	if got := c.do("INFO nosuch"); got != `""` {
		t.Errorf("INFO nosuch = %s, want an empty bulk string", got)
	}
}

// The fields of the sections tools parse, in Redis 7.0.15's order (the
// replication and persistence sections here are the core server's own:
// persistence and replication replace them in a full instance). Tandem
// adds its version and Go's at the end of the server section.
func TestInfoFieldsInRedisOrder(t *testing.T) {
	srv := startServer(t, func(s *Settings) { s.Hz = 17; s.MaxClients = 123 })
	c := dialServer(t, srv)
	sections := map[string][]string{
		"Server": {"redis_version", "redis_git_sha1", "redis_git_dirty", "redis_build_id", "redis_mode", "os", "arch_bits",
			"monotonic_clock", "multiplexing_api", "atomicvar_api", "gcc_version", "process_id", "process_supervised", "run_id",
			"tcp_port", "server_time_usec", "uptime_in_seconds", "uptime_in_days", "hz", "configured_hz", "lru_clock",
			"executable", "config_file", "io_threads_active", "tandem_version", "go_version"},
		"Clients": {"connected_clients", "cluster_connections", "maxclients", "client_recent_max_input_buffer",
			"client_recent_max_output_buffer", "blocked_clients", "tracking_clients", "clients_in_timeout_table"},
		"Stats": {"total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
			"total_net_input_bytes", "total_net_output_bytes", "total_net_repl_input_bytes", "total_net_repl_output_bytes",
			"instantaneous_input_kbps", "instantaneous_output_kbps", "instantaneous_input_repl_kbps",
			"instantaneous_output_repl_kbps", "rejected_connections", "sync_full", "sync_partial_ok", "sync_partial_err",
			"expired_keys", "expired_stale_perc", "expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds",
			"evicted_keys", "evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time",
			"keyspace_hits", "keyspace_misses", "pubsub_channels", "pubsub_patterns", "pubsubshard_channels",
			"latest_fork_usec", "total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys", "active_defrag_hits",
			"active_defrag_misses", "active_defrag_key_hits", "active_defrag_key_misses", "total_active_defrag_time",
			"current_active_defrag_time", "tracking_total_keys", "tracking_total_items", "tracking_total_prefixes",
			"unexpected_error_replies", "total_error_replies", "dump_payload_sanitizations", "total_reads_processed",
			"total_writes_processed", "io_threaded_reads_processed", "io_threaded_writes_processed",
			"reply_buffer_shrinks", "reply_buffer_expands"},
		"Replication": {"role", "connected_slaves", "master_failover_state", "master_replid", "master_replid2",
			"master_repl_offset", "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
			"repl_backlog_first_byte_offset", "repl_backlog_histlen"},
		"CPU": {"used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
			"used_cpu_sys_main_thread", "used_cpu_user_main_thread"},
		"Cluster": {"cluster_enabled"},
	}
	in := parseInfo(t, c.bulk("INFO all"))
	for title, want := range sections {
		if got := in.names[title]; !slices.Equal(got, want) {
			t.Errorf("# %s fields:\n got %v\nwant %v", title, got, want)
		}
	}
	for k, want := range map[string]string{
		"redis_version": Version, "redis_mode": "standalone", "arch_bits": "64", "hz": "17", "configured_hz": "17",
		"maxclients": "123", "connected_clients": "1", "blocked_clients": "0", "role": "master",
		"master_replid2": strings.Repeat("0", 40), "second_repl_offset": "-1", "cluster_enabled": "0",
		"tandem_version": TandemVersion, "run_id": srv.RunID(),
		"tcp_port": strconv.Itoa(srv.Addr().(*net.TCPAddr).Port),
	} {
		if got := in.values[k]; got != want {
			t.Errorf("%s:%s, want %s", k, got, want)
		}
	}
}

// The counters INFO reports follow what clients did: commands, errors by
// code, keyspace hits and misses, keys per database, per-command stats,
// connections and blocked clients.
func TestInfoCountersFollowTheCommands(t *testing.T) {
	srv := startServer(t, nil)
	c := dialServer(t, srv)
	for _, tc := range []struct{ cmd, want string }{
		{"SET a 1", "+OK"}, {"SET b 2 EX 100", "+OK"}, {"GET a", `"1"`}, {"GET nokey", "nil"},
		{"NOSUCH", "-ERR unknown command 'NOSUCH', with args beginning with: "},
		{"LPUSH a x", "-WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"INCR b", ":3"}, {"SELECT 3", "+OK"}, {"SET c 3", "+OK"}, {"GET", "-ERR wrong number of arguments for 'get' command"},
	} {
		if got := c.do(tc.cmd); got != tc.want {
			t.Fatalf("%s: %s, want %s", tc.cmd, got, tc.want)
		}
	}
	blocked := dialServer(t, srv)
	blocked.send("BLPOP", "q", "0")
	waitFor(t, "a blocked client", func() bool {
		return parseInfo(t, c.bulk("INFO clients")).values["blocked_clients"] == "1"
	})
	in := parseInfo(t, c.bulk("INFO everything"))
	for k, want := range map[string]string{
		"connected_clients":          "2",
		"blocked_clients":            "1",
		"total_connections_received": "2",
		"keyspace_hits":              "1",
		"keyspace_misses":            "1",
		"total_error_replies":        "3",
		"errorstat_ERR":              "count=2",
		"errorstat_WRONGTYPE":        "count=1",
		"db3":                        "keys=1,expires=0,avg_ttl=0",
	} {
		if got := in.values[k]; got != want {
			t.Errorf("%s:%s, want %s", k, got, want)
		}
	}
	// avg_ttl is an estimate the expiry cycle refreshes: only its shape.
	if v := in.values["db0"]; !strings.HasPrefix(v, "keys=2,expires=1,avg_ttl=") {
		t.Errorf("db0:%s", v)
	}
	// cmdstat_<name>:calls=…,usec=…,usec_per_call=…,rejected_calls=…,failed_calls=…
	for name, want := range map[string]string{
		"cmdstat_set":   "calls=3 rejected=0 failed=0",
		"cmdstat_get":   "calls=2 rejected=1 failed=0",
		"cmdstat_lpush": "calls=1 rejected=0 failed=1",
		"cmdstat_blpop": "calls=1 rejected=0 failed=0",
	} {
		v, ok := in.values[name]
		if !ok {
			t.Errorf("no %s in %v", name, in.names["Commandstats"])
			continue
		}
		f := map[string]string{}
		for _, kv := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(kv, "=")
			f[k] = val
		}
		if keys := strings.Join(slices.Sorted(maps.Keys(f)), ","); keys != "calls,failed_calls,rejected_calls,usec,usec_per_call" {
			t.Errorf("%s:%s: fields %s", name, v, keys)
		}
		if got := "calls=" + f["calls"] + " rejected=" + f["rejected_calls"] + " failed=" + f["failed_calls"]; got != want {
			t.Errorf("%s:%s, want %s", name, v, want)
		}
	}
	if _, ok := in.values["cmdstat_nosuch"]; ok {
		t.Error("an unknown command has commandstats")
	}
	if in.values["used_memory"] == "" || in.values["used_memory_human"] == "" {
		t.Errorf("memory section without used_memory: %v", in.names["Memory"])
	}
}

func TestHumanBytes(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "0B"}, {1023, "1023B"}, {1024, "1.00K"}, {1536, "1.50K"}, {1 << 20, "1.00M"},
		{5<<30 + 1<<29, "5.50G"}, {1 << 40, "1024.00G"},
	} {
		if got := humanBytes(tc.n); got != tc.want {
			t.Errorf("humanBytes(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}
