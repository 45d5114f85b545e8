package aof

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyVectorDir puts a shared vector directory into fsys as the AOF dir.
func copyVectorDir(t *testing.T, fsys *CrashFS, rel string) {
	t.Helper()
	src := vectorPath(t, rel)
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fsys.WriteFile(aofDir()+"/"+e.Name(), b)
	}
}

// The two directories written by Redis 7.0.15 (see testdata/README.md) load
// into the data their history describes.
func TestLoadsRedisVectorDirectories(t *testing.T) {
	common := map[string]string{
		"0/t1":           "string:x",
		"0/t2":           "string:1",
		"0/post-rewrite": "string:1",
		"0/ts-key":       "string:2",
		"3/l":            `list:["a" "b"]`,
	}
	cases := []struct {
		dir   string
		extra map[string]string
	}{
		{"aof-resp-base", nil},
		{"aof-rdb-base", map[string]string{"0/after-rewrite": "string:hello", "0/h": `hash:["a=1"]`, "5/s": `set:["x"]`}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			fsys := NewCrashFS()
			copyVectorDir(t, fsys, c.dir)
			in := mustInst(t, fsys, nil)
			want := map[string]string{}
			for k, v := range common {
				want[k] = v
			}
			for k, v := range c.extra {
				want[k] = v
			}
			if d := diffDumps(want, in.dump()); d != "" {
				t.Fatalf("%s\nlog:\n%s", d, in.logs)
			}
			// We append to their last incr file, and restart on it.
			in.client().do("SET", "ours", "1")
			want["0/ours"] = "string:1"
			if d := diffDumps(want, restart(t, in).dump()); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// An old single-file AOF with an RDB preamble (Redis 4–6) is moved into the
// directory as the base and loaded, preamble and RESP tail.
func TestUpgradesAnOldStyleRDBPreambleAOF(t *testing.T) {
	b, err := os.ReadFile(vectorPath(t, "rdb-preamble.aof"))
	if err != nil {
		t.Fatal(err)
	}
	fsys := NewCrashFS()
	fsys.WriteFile(testDir+"/appendonly.aof", b)
	in := mustInst(t, fsys, nil)
	want := map[string]string{"0/k1": "string:v1", "0/k2": "string:v2", "0/k3": "string:v3"}
	if d := diffDumps(want, in.dump()); d != "" {
		t.Fatal(d)
	}
	m, _ := fsys.ReadFile(aofDir() + "/appendonly.aof.manifest")
	if string(m) != "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n" {
		t.Fatalf("manifest:\n%s", m)
	}
	if _, err := fsys.ReadFile(testDir + "/appendonly.aof"); err == nil {
		t.Fatal("the old file was not moved into the directory")
	}
	log := in.logs.String()
	for _, l := range []string{"Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory", "Reading RDB preamble from AOF file...", "Reading the remaining AOF tail..."} {
		if !strings.Contains(log, l) {
			t.Errorf("log lacks %q", l)
		}
	}
	in.client().do("SET", "k4", "v4")
	want["0/k4"] = "string:v4"
	if d := diffDumps(want, restart(t, in).dump()); d != "" {
		t.Fatal(d)
	}
}
