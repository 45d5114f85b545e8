package test

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// The command table as clients see it: COMMAND INFO, COMMAND LIST
// FILTERBY and COMMAND GETKEYS[ANDFLAGS] give Redis 7.0's answers for
// every command (key spec notes, Redis's prose, aside).

// withoutNotes drops the "notes" entries of key spec maps, recursively.
func withoutNotes(v any) any {
	switch x := v.(type) {
	case map[any]any:
		out := map[any]any{}
		for k, e := range x {
			if k == "notes" {
				continue
			}
			out[k] = withoutNotes(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutNotes(e)
		}
		return out
	}
	return v
}

func commandInfoByName(t *testing.T, c *redis.Client) map[string]any {
	t.Helper()
	all, err := c.Do(context.Background(), "COMMAND", "INFO").Slice()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, e := range all {
		entry := withoutNotes(e).([]any)
		// Redis lists a container's subcommands in its hash table's
		// order, which changes from process to process: compare them by
		// name.
		if subs, ok := entry[9].([]any); ok {
			subs = slices.DeleteFunc(subs, func(e any) bool { return tandemOnlyCommands[e.([]any)[0].(string)] })
			entry[9] = subs
			sort.Slice(subs, func(i, j int) bool { return subs[i].([]any)[0].(string) < subs[j].([]any)[0].(string) })
		}
		out[entry[0].(string)] = entry
	}
	return out
}

func TestCommandInfoMatchesRedis(t *testing.T) {
	t.Parallel()
	td, ref := startTandem(t), startRedis(t)
	ctx := context.Background()
	tc := redis.NewClient(&redis.Options{Addr: td.Addr(), Protocol: 3})
	rc := redis.NewClient(&redis.Options{Addr: ref.Addr(), Protocol: 3})
	defer tc.Close()
	defer rc.Close()

	got, want := commandInfoByName(t, tc), commandInfoByName(t, rc)
	var missing []string
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("COMMAND INFO %s:\n  tandem %v\n  redis  %v", name, g, w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("COMMAND INFO has %s, which Redis 7.0 does not", name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("commands Redis 7.0 has and Tandem's COMMAND does not show: %v", missing)
	}

	t.Run("list", func(t *testing.T) {
		cats, err := rc.Do(ctx, "ACL", "CAT").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		filters := [][]string{{}, {"FILTERBY", "PATTERN", "config*"}, {"FILTERBY", "PATTERN", "*|*"},
			{"FILTERBY", "MODULE", "x"}, {"FILTERBY", "ACLCAT", "nosuchcategory"}}
		for _, cat := range cats {
			filters = append(filters, []string{"FILTERBY", "ACLCAT", cat}, []string{"FILTERBY", "ACLCAT", strings.ToUpper(cat)})
		}
		for _, f := range filters {
			args := append([]any{"COMMAND", "LIST"}, anys(f)...)
			g, err1 := tc.Do(ctx, args...).StringSlice()
			w, err2 := rc.Do(ctx, args...).StringSlice()
			if err1 != nil || err2 != nil {
				t.Fatalf("COMMAND LIST %v: %v / %v", f, err1, err2)
			}
			g = slices.DeleteFunc(g, func(n string) bool { return tandemOnlyCommands[n] })
			if extra, missing := setDiff(g, w); len(extra)+len(missing) > 0 {
				t.Errorf("COMMAND LIST %v: tandem has %v more, %v less", f, extra, missing)
			}
		}
	})

	t.Run("getkeys", func(t *testing.T) {
		calls := []string{
			"get k", "set k v", "set k v get", "set k v GET", "set k get get", "set k v ex 10",
			"mset a 1 b 2", "mset a 1 b", "del a b c", "lmove a b left right", "rename a b",
			"migrate h p \"\" 0 5 KEYS a b", "migrate h p k 0 5", "migrate h p k 0 5 keys", "migrate h p \"\" 0 5 copy keys a",
			"sort k by x store dst", "sort k limit 0 1 store d", "sort k store", "sort_ro k", "sort_ro k by x",
			"georadius k 1 2 3 m store d", "georadius k 1 2 3 m storedist d", "georadius k 1 2 3 m store",
			"georadiusbymember k m 1 km store d", "georadius_ro k 1 2 3 m", "geosearchstore d s frommember m byradius 1 km",
			"xread streams a b 0 0", "xread count 2 streams a", "xread streams a b c 0 0 0 x", "xread streams a",
			"xreadgroup group g c streams a 0", "xinfo stream k", "xadd k * f v",
			"eval s 2 a b c", "eval s 0", "eval s -1 a", "eval s x", "evalsha_ro s 1 a", "fcall f 1 a", "fcall f 0",
			"spublish ch m", "publish ch m", "ping", "ssubscribe a b",
			"zunionstore d 2 a b", "zinterstore d 0 a", "zinterstore d x a", "zunion 2 a b", "zdiff 1 a withscores",
			"blmpop 0 2 a b left", "lmpop 2 a", "lmpop 1 a left", "zmpop 1 a min", "bzmpop 0 1 a max", "sintercard 2 a b",
			"zintercard 1 a limit 1", "blpop a b 0", "brpoplpush a b 0", "blmove a b left right 0",
			"object encoding k", "memory usage k", "bitfield k", "bitfield k get u8 0", "bitfield k overflow wrap",
			"bitfield k get u8 0 set u8 0 1", "bitfield k incrby u8 0 1", "bitfield k foo", "bitfield k get u8",
			"bitfield_ro k get u8 0", "lcs a b", "pfcount a b", "pfmerge d a b", "copy a b", "restore k 0 p",
			"dump k", "touch a b", "exists a", "watch a b", "unlink a", "getex k persist", "bitop and d a b",
			"smove a b m", "smembers", "debug object k", "config get x", "xautoclaim k g c 0 0", "xclaim k g c 0 0-1",
			"object freq k", "object help", "client list", "command", "pfdebug getreg k", "hello",
		}
		for _, call := range calls {
			for _, sub := range []string{"GETKEYS", "GETKEYSANDFLAGS"} {
				args := append([]string{"COMMAND", sub}, splitCmd(call)...)
				g := dialAndDo(t, td.Addr(), args)
				w := dialAndDo(t, ref.Addr(), args)
				if g != w {
					t.Errorf("COMMAND %s %s:\n  tandem %q\n  redis  %q", sub, call, g, w)
				}
			}
		}
	})
}

// tandemOnlyCommands are subcommands Tandem has and Redis 7.0 does not:
// CLIENT SETINFO (Redis 7.2), which go-redis v9 sends on every connection.
var tandemOnlyCommands = map[string]bool{"client|setinfo": true}

// setDiff returns what a has that b lacks, and the other way round.
func setDiff(a, b []string) (extra, missing []string) {
	in := func(s []string, x string) bool { return slices.Contains(s, x) }
	for _, x := range a {
		if !in(b, x) {
			extra = append(extra, x)
		}
	}
	for _, x := range b {
		if !in(a, x) {
			missing = append(missing, x)
		}
	}
	return extra, missing
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// dialAndDo sends one command on a new RESP3 connection and returns the
// raw reply.
func dialAndDo(t *testing.T, addr string, args []string) string {
	t.Helper()
	c := dialRaw(t, addr)
	c.do("HELLO", "3")
	return c.do(args...)
}
