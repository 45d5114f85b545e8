package script

// lrand48 is Redis's redisLrand48 (rand.c): the 48-bit linear congruential
// generator of POSIX lrand48, started from the same fixed state, so that
// math.random gives Redis's sequence: after math.randomseed(n) exactly
// Redis's numbers, and from a fresh server the same first numbers.
type lrand48 struct{ x uint64 }

const (
	randMul  = 0x5DEECE66D
	randAdd  = 0xB
	randMask = 1<<48 - 1
	// randMax is REDIS_LRAND48_MAX (INT32_MAX).
	randMax = 1<<31 - 1
)

func newRand() lrand48 { return lrand48{x: 0x1234ABCD330E} }

// seed is redisSrand48: the seed's 32 bits above the constant 0x330E.
func (r *lrand48) seed(s int32) { r.x = uint64(uint32(s))<<16 | 0x330E }

// next is redisLrand48: the state's top 31 bits.
func (r *lrand48) next() int32 {
	r.x = (randMul*r.x + randAdd) & randMask
	return int32(r.x >> 17)
}
