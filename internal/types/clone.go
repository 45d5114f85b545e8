package types

// Deep copies (COPY, and anything else that must duplicate a value) and
// memory estimates (MEMORY USAGE, redis-cli --memkeys).

// Clone returns an independent copy of the list with the same fill.
func (l *List) Clone() *List {
	c := &List{fill: l.fill, n: l.n}
	for nd := l.head; nd != nil; nd = nd.next {
		cn := &lnode{buf: allocBytes(nd.live()), cnt: nd.cnt}
		cn.hi = int32(copy(cn.buf, nd.buf[nd.lo:nd.hi]))
		c.linkAfter(c.tail, cn)
	}
	return c
}

// Clone returns an independent copy of the hash with the same encoding.
func (h *Hash) Clone() *Hash {
	c := &Hash{}
	if h.d != nil {
		c.d = h.d.clone()
	} else if h.lp != nil {
		c.lp = append([]byte(nil), h.lp...)
	}
	return c
}

// Clone returns an independent copy of the sorted set with the same
// encoding.
func (z *ZSet) Clone() *ZSet {
	c := &ZSet{}
	if z.big == nil {
		if z.lp != nil {
			c.lp = append([]byte(nil), z.lp...)
		}
		return c
	}
	b := &zbig{d: z.big.d.clone()}
	// Walking in order appends to the tree, which packs its leaves.
	z.big.t.walk(0, false, func(e *zent) bool {
		b.t.insert(e.member, e.score)
		return true
	})
	c.big = b
	return c
}

// Approximate fixed costs of the Go objects involved, in bytes.
const (
	sizeListHeader = 32
	sizeListNode   = 64
	sizeValue      = 32 // Hash, Set, ZSet headers
	sizeDictHeader = 160
	sizeTreeEntry  = 32 // 24-byte entries in leaves about 3/4 full
)

// sampleStringBytes estimates the bytes of the strings held by d from the
// first samples entries (all when samples <= 0), rounded to 8-byte size
// classes, like MEMORY USAGE's SAMPLES.
func (d *dict) sampleStringBytes(samples int) int {
	n := d.len()
	if n == 0 {
		return 0
	}
	k := n
	if samples > 0 && samples < n {
		k = samples
	}
	total := 0
	for i := 0; i < k; i++ {
		total += (len(d.keys[i]) + 7) &^ 7
	}
	return total * n / k
}

func (d *dict) memoryUsage(samples int) int {
	per := 16 + 4 + 4 // keys, next, hashes
	if d.klen != nil {
		per += 4
	}
	if d.scores != nil {
		per += 8
	}
	return sizeDictHeader + 4*len(d.buckets) + per*cap(d.keys) + d.sampleStringBytes(samples)
}

// MemoryUsage estimates the bytes the list occupies (MEMORY USAGE). It
// walks the nodes, a few thousand for a million elements.
func (l *List) MemoryUsage() int {
	total := sizeListHeader
	for nd := l.head; nd != nil; nd = nd.next {
		total += sizeListNode + len(nd.buf)
	}
	return total
}

// MemoryUsageSampled estimates the bytes the list occupies from its first
// samples nodes (0: every node), as Redis's MEMORY USAGE samples a
// quicklist's nodes.
func (l *List) MemoryUsageSampled(samples int) int {
	if samples <= 0 || l.n == 0 {
		return l.MemoryUsage()
	}
	bytes, elems, k := 0, 0, 0
	for nd := l.head; nd != nil && k < samples; nd = nd.next {
		bytes += sizeListNode + cap(nd.buf)
		elems += int(nd.cnt)
		k++
	}
	if elems == 0 || elems >= l.n {
		return sizeListHeader + bytes
	}
	return sizeListHeader + bytes*l.n/elems
}

// MemoryUsage estimates the bytes the hash occupies; samples bounds how many
// big-encoding entries are looked at (0 = all), as MEMORY USAGE SAMPLES does.
func (h *Hash) MemoryUsage(samples int) int {
	if h.d != nil {
		return sizeValue + h.d.memoryUsage(samples)
	}
	return sizeValue + cap(h.lp)
}

// MemoryUsage estimates the bytes the set occupies, like Hash.MemoryUsage.
func (s *Set) MemoryUsage(samples int) int {
	if s.d != nil {
		return sizeValue + s.d.memoryUsage(samples)
	}
	return sizeValue + cap(s.is)
}

// MemoryUsage estimates the bytes the sorted set occupies, like
// Hash.MemoryUsage.
func (z *ZSet) MemoryUsage(samples int) int {
	if z.big != nil {
		return sizeValue + z.big.d.memoryUsage(samples) + sizeTreeEntry*z.big.t.n
	}
	return sizeValue + cap(z.lp)
}
