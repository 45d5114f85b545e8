package script

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"testing"
)

// Engine-level benchmarks: the scripts of bench/scripting.sh run through
// Engine.Call on one goroutine, without the network or a client, so that
// ns/op is the server's own cost of one script (steadier than the
// benchmarks over TCP on a loaded machine; compare them alternated).
func benchEngine(b *testing.B, setup [][]string, args func(i int) []string) {
	s, sess := engineScripting(b)
	for _, a := range setup {
		call(s.eng, sess, a...)
	}
	argv := make([][][]byte, 1024)
	for i := range argv {
		for _, a := range args(i) {
			argv[i] = append(argv[i], []byte(a))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sess.W.Reset()
		s.eng.Call(sess, argv[i%len(argv)])
	}
	b.StopTimer()
	if out := string(sess.W.Buf); len(out) > 0 && out[0] == '-' {
		b.Fatal(out)
	}
}

const (
	getSetScript = "local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], 'x') return v"
	loopScript   = "for i = 1, 1000 do redis.call('incr', 'n:' .. KEYS[1]) end return 1"
	getSetLib    = "#!lua name=benchlib\nredis.register_function('getset', function(keys) local v = redis.call('get', keys[1]) redis.call('set', keys[1], 'x') return v end)"
)

func BenchmarkEngineEvalGetSet(b *testing.B) {
	benchEngine(b, [][]string{{"SCRIPT", "LOAD", getSetScript}}, func(i int) []string {
		return []string{"EVALSHA", shaHex(getSetScript), "1", fmt.Sprintf("key:%d", i)}
	})
}

func BenchmarkEngineFcallGetSet(b *testing.B) {
	benchEngine(b, [][]string{{"FUNCTION", "LOAD", getSetLib}}, func(i int) []string {
		return []string{"FCALL", "getset", "1", fmt.Sprintf("key:%d", i)}
	})
}

func BenchmarkEngineLoop1000(b *testing.B) {
	benchEngine(b, [][]string{{"SCRIPT", "LOAD", loopScript}}, func(i int) []string {
		return []string{"EVALSHA", shaHex(loopScript), "1", "k"}
	})
}

func shaHex(body string) string {
	sum := sha1.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}
