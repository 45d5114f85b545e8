package config

import (
	"strings"
	"testing"
)

// Values Tandem cannot honour yet stop start-up with Redis's banner, at
// the line that set them; their default, disabled values load.
func TestCheckSupportedRefusesWhatTandemCannotHonour(t *testing.T) {
	for _, tc := range []struct {
		file string
		args []string
		want string // "" = accepted
	}{
		{"maxmemory 0\nmaxmemory-policy noeviction\ntls-port 0\naclfile \"\"\ntls-cert-file \"\"\n", nil, ""},
		{"maxmemory 0mb\nmaxmemory-clients 0\nrdb-del-sync-files no\nshutdown-on-sigterm nosave now\n", nil, ""},
		// maxmemory, its policies and maxmemory-clients are built.
		{"hz 10\nmaxmemory 100mb\nmaxmemory-policy allkeys-lru\n", nil, ""},
		{"maxmemory-clients 10%\n", nil, ""},
		{"maxmemory-clients 64mb\n", nil, ""},
		{"port 7000\naclfile /etc/redis/users.acl\n", nil, ""},
		// TLS is built (its files are checked when the server starts).
		{"tls-port 6380\ntls-cert-file /x.crt\ntls-replication yes\ntls-auth-clients no\ntls-cluster yes\n", nil, ""},
		{"rdb-del-sync-files yes\n", nil, "rdb-del-sync-files is not supported by Tandem yet\n"},
		{"shutdown-on-sigterm save\nshutdown-on-sigint save now force\n", nil, ""},
		// The first line in reading order is named, command line included.
		{"hz 5\nrdb-del-sync-files no\n", []string{"--rdb-del-sync-files", "yes"}, "at line 4\n>>> 'rdb-del-sync-files \"yes\"'\nrdb-del-sync-files is not supported by Tandem yet\n"},
		// A later line putting the default back wins.
		{"rdb-del-sync-files yes\nrdb-del-sync-files no\n", nil, ""},
	} {
		c, err := Loader{Version: "Redis 7.0.15"}.Load(writeConf(t, t.TempDir(), "c.conf", tc.file), tc.args)
		if err != nil {
			t.Fatalf("%q: Load: %v", tc.file, err)
		}
		err = c.CheckSupported("Redis 7.0.15")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q %q: %v", tc.file, tc.args, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n") || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q %q: got %v, want …%s", tc.file, tc.args, err, tc.want)
		}
	}
}

// CONFIG SET (with OnlySupported, as the server calls it) refuses the same
// values with Redis's CONFIG SET error, and changes nothing.
func TestSetOnlySupportedRefusesWhatTandemCannotHonour(t *testing.T) {
	for _, tc := range []struct {
		pairs []string
		want  string
	}{
		{[]string{"maxmemory", "0"}, ""},
		{[]string{"maxmemory-policy", "noeviction", "tls-port", "0"}, ""},
		{[]string{"maxmemory-clients", "10mb", "maxmemory", "1gb", "maxmemory-policy", "allkeys-lfu"}, ""},
		{[]string{"hz", "20", "rdb-del-sync-files", "yes"}, "ERR CONFIG SET failed (possibly related to argument 'rdb-del-sync-files') - rdb-del-sync-files is not supported by Tandem yet"},
		{[]string{"tls-key-file-pass", "x"}, ""},
		{[]string{"TLS-PORT", "6380", "tls-cluster", "yes"}, ""},
		{[]string{"shutdown-on-sigint", "save now"}, ""},
		{[]string{"maxmemory", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	} {
		c := New()
		var pairs [][2]string
		for i := 0; i < len(tc.pairs); i += 2 {
			pairs = append(pairs, [2]string{tc.pairs[i], tc.pairs[i+1]})
		}
		err := c.Set(pairs, OnlySupported())
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("CONFIG SET %q: got %q, want %q", tc.pairs, got, tc.want)
		}
		if err != nil && (c.HZ != 10 || c.MaxMemory != 0) {
			t.Errorf("CONFIG SET %q failed but changed hz=%d maxmemory=%d", tc.pairs, c.HZ, c.MaxMemory)
		}
		// The grammar alone accepts them.
		if err := New().Set(pairs); err != nil && tc.want != "" && strings.Contains(tc.want, "not supported") {
			t.Errorf("Set without OnlySupported %q: %v", tc.pairs, err)
		}
	}
}
