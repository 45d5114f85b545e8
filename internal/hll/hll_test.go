package hll

import (
	"bytes"
	"math/rand"
	"strconv"
	"testing"
)

func TestNewIsAnEmptySparseValue(t *testing.T) {
	want := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff")
	if got := New(); !bytes.Equal(got, want) {
		t.Fatalf("New() = %q, want %q", got, want)
	}
	if n, ok := CachedCount(New()); !ok || n != 0 {
		t.Errorf("cached count of a new value: %d %v", n, ok)
	}
	if n, err := Count(New()); err != nil || n != 0 {
		t.Errorf("Count(New()) = %d, %v", n, err)
	}
}

// TestSparseEdits follows the run-length code through a series of register
// changes, each expectation worked out by hand from the opcode rules.
func TestSparseEdits(t *testing.T) {
	b := New()
	for _, step := range []struct {
		idx     int
		v       uint8
		changed bool
		want    string
	}{
		{0, 1, true, "v:1,1 Z:16383"},
		{1, 1, true, "v:1,2 Z:16382"},                       // split XZERO, then merged with the VAL before
		{5, 3, true, "v:1,2 z:3 v:3,1 Z:16378"},             // XZERO split into ZERO, VAL, XZERO
		{2, 1, true, "v:1,3 z:2 v:3,1 Z:16378"},             // ZERO split at its start, merged to the left
		{5, 2, false, "v:1,3 z:2 v:3,1 Z:16378"},            // lower than the register: nothing
		{1, 4, true, "v:1,1 v:4,1 v:1,1 z:2 v:3,1 Z:16378"}, // VAL run split in three
		{3, 1, true, "v:1,1 v:4,1 v:1,2 z:1 v:3,1 Z:16378"},
		{4, 3, true, "v:1,1 v:4,1 v:1,2 v:3,2 Z:16378"}, // one-register ZERO rewritten, merged right
		{16383, 32, true, "v:1,1 v:4,1 v:1,2 v:3,2 Z:16377 v:32,1"},
	} {
		var err error
		var changed bool
		b, changed, err = setRegister(b, step.idx, step.v, DefaultSparseMaxBytes)
		if err != nil || changed != step.changed {
			t.Fatalf("set %d=%d: changed %v err %v", step.idx, step.v, changed, err)
		}
		if got := Decode(b); got != step.want {
			t.Fatalf("set %d=%d: %s, want %s", step.idx, step.v, got, step.want)
		}
	}
	if !IsSparse(b) {
		t.Fatal("promoted too early")
	}
	// 33 does not fit a VAL opcode: the value turns dense.
	b, changed, err := setRegister(b, 7, 33, DefaultSparseMaxBytes)
	if err != nil || !changed || IsSparse(b) || len(b) != DenseSize {
		t.Fatalf("promotion: changed %v err %v sparse %v len %d", changed, err, IsSparse(b), len(b))
	}
	regs := DenseRegisters(b)
	for i, want := range map[int]uint8{0: 1, 1: 4, 2: 1, 3: 1, 4: 3, 5: 3, 6: 0, 7: 33, 16383: 32} {
		if regs[i] != want {
			t.Errorf("after promotion register %d = %d, want %d", i, regs[i], want)
		}
	}
}

func TestSparseMaxBytesPromotes(t *testing.T) {
	b := New()
	var err error
	for i := 0; i < 10; i++ {
		if b, _, err = setRegister(b, i*100, 1, 24); err != nil {
			t.Fatal(err)
		}
	}
	if IsSparse(b) {
		t.Fatalf("a value over 24 bytes stayed sparse: %d bytes", len(b))
	}
}

func TestDenseRegistersRoundTrip(t *testing.T) {
	regs := make([]byte, DenseSize-HeaderSize)
	for i := 0; i < Registers; i++ {
		densePut(regs, i, uint8((i*7)%64))
	}
	var all [Registers]uint8
	denseDecode(regs, &all)
	for i := 0; i < Registers; i++ {
		if got := denseGet(regs, i); got != uint8((i*7)%64) || all[i] != got {
			t.Fatalf("register %d = %d, decoded in groups %d", i, got, all[i])
		}
	}
	again := make([]byte, len(regs))
	denseEncode(&all, again)
	if !bytes.Equal(again, regs) {
		t.Fatal("packing in groups differs from packing one by one")
	}
}

// TestSparseAndDenseAgree: the same elements counted into a sparse value
// and into a dense one give the same registers and the same estimate.
func TestSparseAndDenseAgree(t *testing.T) {
	sparse := New()
	dense, _ := ToDense(New())
	for i := 0; i < 20000; i++ {
		e := []byte("elem:" + strconv.Itoa(i))
		sparse, _, _ = Add(sparse, e, 1<<30) // never promoted on size
		dense, _, _ = Add(dense, e, 1<<30)
	}
	if !IsSparse(sparse) {
		t.Skip("a register went past 32; the sparse value was promoted")
	}
	d, err := ToDense(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d[HeaderSize:], dense[HeaderSize:]) {
		t.Fatal("registers differ between the sparse and the dense value")
	}
	a, _ := Count(sparse)
	b, _ := Count(dense)
	if a != b {
		t.Fatalf("estimates differ: %d and %d", a, b)
	}
	if a < 19000 || a > 21000 {
		t.Errorf("estimate of 20000 elements: %d", a)
	}
}

func TestValid(t *testing.T) {
	dense, _ := ToDense(New())
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{New(), true},
		{dense, true},
		{dense[:len(dense)-1], false},
		{[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), false}, // short header
		{[]byte("HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), false},
		{[]byte("HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"), false},
		{[]byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), true}, // no registers: caught by the walkers
	} {
		if got := Valid(tc.b); got != tc.want {
			t.Errorf("Valid(%q) = %v", tc.b, got)
		}
	}
}

func TestSelfTestPasses(t *testing.T) {
	if err := SelfTest(42); err != nil {
		t.Fatal(err)
	}
}

// FuzzValue feeds arbitrary register bytes behind a valid header to every
// operation: corrupt values get ErrCorrupt, never a panic, and a value the
// walkers accept converts to dense with the registers the merge reported.
func FuzzValue(f *testing.F) {
	f.Add(byte(1), []byte("\x7f\xff"), []byte("a"))
	f.Add(byte(1), []byte("\x80\x7f\xfe"), []byte("b"))
	f.Add(byte(1), []byte("\x7f"), []byte(""))
	f.Add(byte(0), bytes.Repeat([]byte{0xff}, DenseSize-HeaderSize), []byte("c"))
	f.Fuzz(func(t *testing.T, enc byte, regs, elem []byte) {
		b := append(New()[:HeaderSize:HeaderSize], regs...)
		b[4] = enc % 2
		if !Valid(b) {
			return
		}
		var max [Registers]uint8
		mergeErr := MergeInto(&max, b)
		_, countErr := Count(b)
		d, denseErr := ToDense(append([]byte(nil), b...))
		if (mergeErr == nil) != (denseErr == nil) || (mergeErr == nil) != (countErr == nil) {
			t.Fatalf("walkers disagree: merge %v count %v dense %v", mergeErr, countErr, denseErr)
		}
		if denseErr == nil {
			got := DenseRegisters(d)
			for i := range max {
				if got[i] != max[i]&regMax {
					t.Fatalf("register %d: dense %d, walk %d", i, got[i], max[i])
				}
			}
		}
		Add(append([]byte(nil), b...), elem, DefaultSparseMaxBytes)
		Decode(b)
	})
}

// The fused merge raises the registers as decoding then raising does.
func TestDenseMergeInto(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	packed := make([]byte, Registers*regBits/8)
	for round := 0; round < 20; round++ {
		rng.Read(packed)
		var max, want [Registers]uint8
		for i := range max {
			max[i] = uint8(rng.Intn(64))
		}
		want = max
		var regs [Registers]uint8
		denseDecode(packed, &regs)
		for i, v := range regs {
			want[i] = maxU8(want[i], v)
		}
		denseMergeInto(packed, &max)
		if max != want {
			t.Fatalf("round %d: the fused merge differs", round)
		}
	}
}
