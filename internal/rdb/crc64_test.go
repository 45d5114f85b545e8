package rdb

import (
	"math/rand"
	"testing"
)

// TestCRC64FoldMatchesTables: CRC64 (folded with PCLMULQDQ where the
// processor has it) equals the tables' CRC for every length around the
// folding threshold and block edges, any starting CRC, any alignment, and
// when a long input is split anywhere.
func TestCRC64FoldMatchesTables(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	buf := make([]byte, 5000)
	rng.Read(buf)
	for n := 0; n <= 700; n++ {
		for _, off := range []int{0, 1, 7} {
			p := buf[off : off+n]
			crc := rng.Uint64()
			if got, want := CRC64(crc, p), crcTable(crc, p); got != want {
				t.Fatalf("len %d offset %d: CRC64 %#x, tables %#x", n, off, got, want)
			}
		}
	}
	for _, n := range []int{1043, 4096, 4999} {
		want := crcTable(0, buf[:n])
		for cut := 0; cut <= n; cut += 61 {
			if got := CRC64(CRC64(0, buf[:cut]), buf[cut:n]); got != want {
				t.Fatalf("len %d cut at %d: %#x, want %#x", n, cut, got, want)
			}
		}
	}
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("check value %#x", got)
	}
}
