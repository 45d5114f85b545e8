package keyspace

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// A full scan returns every key present for the whole scan at least once,
// even while the table grows and shrinks between calls.
func TestDictScanGuaranteeAcrossResizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	d := newDict(maphash.MakeSeed())
	stable := map[string]bool{}
	for i := 0; i < 500; i++ {
		k := fmt.Sprintf("stable%d", i)
		d.insert(newNode(k, "", nil))
		stable[k] = true
	}
	seen := map[string]bool{}
	cursor := uint64(0)
	extra := 0
	for steps := 0; ; steps++ {
		cursor = d.scan(cursor, func(n *node) { seen[n.keyStr()] = true })
		// churn: grow a lot, then shrink
		if steps < 200 {
			for j := 0; j < 20; j++ {
				d.insert(newNode(fmt.Sprintf("tmp%d", extra), "", nil))
				extra++
			}
		} else {
			for j := 0; j < 40 && extra > 0; j++ {
				extra--
				d.remove([]byte(fmt.Sprintf("tmp%d", extra)))
			}
			d.shrinkIfNeeded()
		}
		if rng.IntN(3) == 0 && d.rehashing() {
			d.rehashStep(1)
		}
		if cursor == 0 {
			break
		}
		if steps > 1000000 {
			t.Fatal("scan did not terminate")
		}
	}
	for k := range stable {
		if !seen[k] {
			t.Fatalf("scan missed %s", k)
		}
	}
}

func TestDictBasics(t *testing.T) {
	d := newDict(maphash.MakeSeed())
	for i := 0; i < 10000; i++ {
		d.insert(newNode(fmt.Sprint(i), fmt.Sprint(i*2), nil))
	}
	if d.len() != 10000 {
		t.Fatal(d.len())
	}
	for i := 0; i < 10000; i += 3 {
		if d.remove([]byte(fmt.Sprint(i))) == nil {
			t.Fatal("missing", i)
		}
	}
	for i := 0; i < 10000; i++ {
		n := d.find([]byte(fmt.Sprint(i)))
		if (i%3 == 0) != (n == nil) {
			t.Fatal("find", i)
		}
		if n != nil && n.strv() != fmt.Sprint(i*2) {
			t.Fatal("value", i)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		seen[d.random().keyStr()] = true
	}
	if len(seen) < 1000 {
		t.Fatalf("random returned only %d distinct keys", len(seen))
	}
}
