package hll

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// SelfTest checks the implementation on the spot (PFSELFTEST): every
// register of a dense value holds what was written to it, and elements
// counted into a sparse and a dense value give the same registers and
// an estimate within HyperLogLog's error bound. seed makes a run
// repeatable.
func SelfTest(seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	regs := make([]byte, DenseSize-HeaderSize)
	want := make([]uint8, Registers)
	for round := 0; round < 100; round++ {
		for i := range want {
			want[i] = uint8(rng.IntN(regMax + 1))
			densePut(regs, i, want[i])
		}
		for i, w := range want {
			if got := denseGet(regs, i); got != w {
				return fmt.Errorf("register %d holds %d, %d was written", i, got, w)
			}
		}
	}

	sparse := New()
	dense, _ := ToDense(New())
	// The relative error is 1.04/sqrt(Registers), 0.81%; five of them
	// leave a wrong estimate no room while a correct one always passes.
	bound := 5 * 1.04 / math.Sqrt(Registers)
	var err error
	for n := 1; n <= 100000; n++ {
		elem := []byte("selftest:" + strconv.Itoa(n) + ":" + strconv.FormatUint(seed, 16))
		if sparse, _, err = Add(sparse, elem, DefaultSparseMaxBytes); err != nil {
			return fmt.Errorf("sparse add: %v", err)
		}
		dense, _, _ = Add(dense, elem, DefaultSparseMaxBytes)
		if n%1000 != 0 && n > 100 {
			continue
		}
		a, err := Count(sparse)
		if err != nil {
			return fmt.Errorf("count of the sparse value: %v", err)
		}
		b, _ := Count(dense)
		if a != b {
			return fmt.Errorf("after %d elements: %d from the sparse value, %d from the dense one", n, a, b)
		}
		if n >= 1000 {
			if e := math.Abs(float64(b)-float64(n)) / float64(n); e > bound {
				return fmt.Errorf("after %d elements: estimate %d, error %.4f over %.4f", n, b, e, bound)
			}
		}
	}
	return nil
}
