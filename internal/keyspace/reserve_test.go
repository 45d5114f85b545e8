package keyspace

import (
	"runtime"
	"testing"
)

// TestReserveBoundsForgedHint: a RESIZEDB hint is read from a file or a
// master before any key, so a forged one (2^32 keys, 2^32 expires) must
// not allocate much more than the documented 128 MB table.
func TestReserveBoundsForgedHint(t *testing.T) {
	ks := New(1)
	var m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m1)
	ks.DBs[0].Reserve(1<<32, 1<<32)
	runtime.ReadMemStats(&m2)
	if got := m2.TotalAlloc - m1.TotalAlloc; got > 200<<20 {
		t.Fatalf("a forged size hint allocated %d MB", got>>20)
	}
	if n := len(ks.DBs[0].dict.tables[0]); n < 1<<24 {
		t.Fatalf("table of %d slots, want the hint capped at %d", n, 1<<24)
	}
}
