package server

import (
	"slices"
	"strings"
	"testing"
)

// CLIENT LIST renders each client as Redis 7.0.15 does: the same fields in
// the same order, and the values that follow the client's state (name,
// database, MULTI, subscriptions, blocking, protocol, last command).
func TestClientListFields(t *testing.T) {
	srv := startServer(t, nil)
	a := dialServer(t, srv)
	for _, cmd := range []string{"CLIENT SETNAME a1", "SELECT 3", "MULTI", "SET x 1", "GET x"} {
		a.do(cmd)
	}
	b := dialServer(t, srv)
	b.send("SUBSCRIBE c1 c2")
	b.read()
	b.read()
	b.do("PSUBSCRIBE p*")
	c := dialServer(t, srv)
	c.send("BLPOP q 0")
	d := dialServer(t, srv)
	d.do("HELLO 3")
	waitFor(t, "the BLPOP to block", func() bool { return strings.Contains(d.bulk("CLIENT LIST"), "flags=b") })

	lines := strings.Split(strings.TrimSuffix(d.bulk("CLIENT LIST"), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("CLIENT LIST has %d lines: %q", len(lines), lines)
	}
	names := []string{"id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi",
		"qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd",
		"user", "redir", "resp"}
	want := []map[string]string{
		{"name": "a1", "flags": "x", "db": "3", "sub": "0", "psub": "0", "multi": "2", "cmd": "get", "resp": "2", "addr": a.c.LocalAddr().String()},
		{"name": "", "flags": "P", "db": "0", "sub": "2", "psub": "1", "multi": "-1", "cmd": "psubscribe", "resp": "2", "addr": b.c.LocalAddr().String()},
		{"flags": "b", "multi": "-1", "cmd": "blpop", "resp": "2", "addr": c.c.LocalAddr().String()},
		{"flags": "N", "cmd": "client|list", "resp": "3", "addr": d.c.LocalAddr().String()},
	}
	for i, l := range lines {
		var got []string
		f := map[string]string{}
		for _, kv := range strings.Split(l, " ") {
			k, v, _ := strings.Cut(kv, "=")
			got = append(got, k)
			f[k] = v
		}
		if !slices.Equal(got, names) {
			t.Errorf("line %d fields:\n got %v\nwant %v", i, got, names)
		}
		for k, v := range want[i] {
			if f[k] != v {
				t.Errorf("line %d: %s=%s, want %s (%s)", i, k, f[k], v, l)
			}
		}
		if f["laddr"] != srv.Addr().String() || f["user"] != "default" || f["redir"] != "-1" || f["ssub"] != "0" || f["events"] != "r" {
			t.Errorf("line %d: %s", i, l)
		}
	}
	// CLIENT INFO is the caller's own line; CLIENT ID its id.
	info := strings.TrimSuffix(d.bulk("CLIENT INFO"), "\n")
	if id := strings.TrimPrefix(d.do("CLIENT ID"), ":"); !strings.HasPrefix(info, "id="+id+" ") || !strings.Contains(info, " cmd=client|info ") {
		t.Errorf("CLIENT INFO %q, CLIENT ID %s", info, id)
	}
	// TYPE and ID filters.
	if got := d.bulk("CLIENT LIST TYPE pubsub"); strings.Count(got, "\n") != 1 || !strings.Contains(got, "flags=P") {
		t.Errorf("CLIENT LIST TYPE pubsub: %q", got)
	}
	if got := d.do("CLIENT LIST TYPE nope"); got != "-ERR Unknown client type 'nope'" {
		t.Errorf("CLIENT LIST TYPE nope: %s", got)
	}
}
