package test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// RESTORE ... REPLACE keeps the small hash it frees and builds the next
// listpack hash payload into it (dump.Manager's spare). That is only
// right if the freed hash is really no key's any more and a payload that
// fails or is not installed leaves every key alone: a random sequence of
// RESTOREs (good, corrupt, duplicate-field, already expired, without
// REPLACE), in-place HSETs and DELs over a few keys must leave Tandem
// with Redis's replies and values after every step.
func TestRestoreReplaceReuseKeepsEveryKeyLikeRedis(t *testing.T) {
	t.Parallel()
	tp, rp := startTandem(t), startRedis(t, "--sanitize-dump-payload", "yes")
	td, rd := dialRaw(t, tp.Addr()), dialRaw(t, rp.Addr())
	rng := rand.New(rand.NewSource(26))
	letters := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + rng.Intn(26))
		}
		return string(b)
	}
	// Payloads from Redis: listpack hashes of several sizes (so the
	// spare is sometimes large enough, sometimes not, sometimes much
	// too large), hash tables, a list and a string.
	var payloads []string
	hash := func(fields, vlen int) {
		args := []string{"HSET", "src"}
		for f := 0; f < fields; f++ {
			args = append(args, fmt.Sprintf("field-%02d", f), letters(vlen))
		}
		rd.do("DEL", "src")
		rd.do(args...)
		r := rd.do("DUMP", "src")
		_, body, _ := strings.Cut(r, "\r\n")
		payloads = append(payloads, strings.TrimSuffix(body, "\r\n"))
	}
	for _, s := range [][2]int{{1, 3}, {2, 10}, {16, 56}, {16, 56}, {16, 40}, {8, 56}, {40, 50}, {130, 5}, {2, 100}} {
		hash(s[0], s[1])
	}
	rd.do("DEL", "src")
	rd.do("RPUSH", "src", "a", "b", "c")
	_, body, _ := strings.Cut(rd.do("DUMP", "src"), "\r\n")
	payloads = append(payloads, strings.TrimSuffix(body, "\r\n"))
	rd.do("SET", "src", "plain")
	_, body, _ = strings.Cut(rd.do("DUMP", "src"), "\r\n")
	payloads = append(payloads, strings.TrimSuffix(body, "\r\n"))
	rd.do("DEL", "src")
	// A listpack hash whose field repeats: it passes the walk and fails
	// the duplicate check, the last step before the hash is built.
	dup := payloadWithFooter("\x10\x13\x13\x00\x00\x00\x04\x00\x81a\x02\x811\x02\x81a\x02\x812\x02\xff", 10)

	keys := []string{"k0", "k1", "k2", "k3"}
	for step := 0; step < 600; step++ {
		k := keys[rng.Intn(len(keys))]
		p := payloads[rng.Intn(len(payloads))]
		var cmd []string
		switch r := rng.Intn(20); {
		case r < 10:
			cmd = []string{"RESTORE", k, "0", p, "REPLACE"}
		case r < 11:
			cmd = []string{"RESTORE", k, "0", corruptPayload(p, len(p)/2), "REPLACE"}
		case r < 12:
			cmd = []string{"RESTORE", k, "0", dup, "REPLACE"}
		case r < 13:
			cmd = []string{"RESTORE", k, "1", p, "ABSTTL", "REPLACE"} // already past: deletes
		case r < 15:
			cmd = []string{"RESTORE", k, "0", p}
		case r < 18:
			cmd = []string{"HSET", k, fmt.Sprintf("field-%02d", rng.Intn(20)), letters(rng.Intn(60))}
		default:
			cmd = []string{"DEL", k}
		}
		if got, want := td.do(cmd...), rd.do(cmd...); got != want {
			t.Fatalf("step %d %.60q: tandem %.200q, redis %.200q", step, cmd, got, want)
		}
		args := append([]string{"DEBUG", "DIGEST-VALUE"}, keys...)
		if got, want := td.do(args...), rd.do(args...); got != want {
			t.Fatalf("step %d, after %.60q: digests differ:\n tandem %q\n  redis %q", step, cmd, got, want)
		}
	}
}

// A BGSAVE running while RESTORE ... REPLACE replaces hashes (and builds
// later payloads into the hashes it freed) saves every hash as it was when
// the save began: the snapshot captures a value before a write replaces
// it, so the reused buffer is no longer the snapshot's.
func TestRestoreReplaceReuseDuringBgsaveSavesTheOldValues(t *testing.T) {
	t.Parallel()
	tp := startTandem(t)
	td := dialRaw(t, tp.Addr())
	const keys = 200
	orig := func(i int) string { return fmt.Sprintf("orig-%03d-%s", i, strings.Repeat("o", 40)) }
	for i := 0; i < keys; i++ {
		args := []string{"HSET", fmt.Sprintf("h%03d", i)}
		for f := 0; f < 16; f++ {
			args = append(args, fmt.Sprintf("f%02d", f), orig(i))
		}
		td.do(args...)
	}
	// Payloads of other contents, of the same size, so every one can be
	// built into the hash the previous RESTORE freed.
	var payloads []string
	for p := 0; p < 4; p++ {
		args := []string{"HSET", "src"}
		for f := 0; f < 16; f++ {
			args = append(args, fmt.Sprintf("f%02d", f), fmt.Sprintf("new!-%03d-%s", p, strings.Repeat("n", 40)))
		}
		td.do("DEL", "src")
		td.do(args...)
		_, body, _ := strings.Cut(td.do("DUMP", "src"), "\r\n")
		payloads = append(payloads, strings.TrimSuffix(body, "\r\n"))
	}
	td.do("DEL", "src")
	td.do("CONFIG", "SET", "rdb-key-save-delay", "5000") // 1 s for 200 keys
	if r := td.do("BGSAVE"); !strings.HasPrefix(r, "+Background saving started") {
		t.Fatalf("BGSAVE: %q", r)
	}
	for round := 0; round < 2; round++ {
		for i := 0; i < keys; i++ {
			if r := td.do("RESTORE", fmt.Sprintf("h%03d", i), "0", payloads[(i+round)%len(payloads)], "REPLACE"); r != "+OK\r\n" {
				t.Fatalf("RESTORE h%03d: %q", i, r)
			}
		}
	}
	if !strings.Contains(td.do("INFO", "persistence"), "rdb_bgsave_in_progress:1") {
		t.Fatal("the save ended before the RESTOREs did: nothing was tested")
	}
	td.do("CONFIG", "SET", "rdb-key-save-delay", "0")
	testutil.Eventually(t, 30*time.Second, "the save to end", func() bool {
		return strings.Contains(td.do("INFO", "persistence"), "rdb_bgsave_in_progress:0")
	})
	if r := td.do("DEBUG", "RELOAD", "NOSAVE"); r != "+OK\r\n" {
		t.Fatalf("DEBUG RELOAD NOSAVE: %q", r)
	}
	for i := 0; i < keys; i++ {
		for _, f := range []string{"f00", "f07", "f15"} {
			want := fmt.Sprintf("$%d\r\n%s\r\n", len(orig(i)), orig(i))
			if got := td.do("HGET", fmt.Sprintf("h%03d", i), f); got != want {
				t.Fatalf("h%03d %s saved as %q, want %q", i, f, got, want)
			}
		}
	}
}
