package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemdb/tandem/internal/types"
)

// Quicklist node containers (type 18).
const (
	containerPlain  = 1
	containerPacked = 2
)

// readValue decodes the value of type t into d.e. A non-zero SkipReason
// means the key has no value to deliver.
func (d *decoder) readValue(t Type) (SkipReason, error) {
	e := &d.e
	switch t {
	case TypeString:
		e.Kind = KindString
		s, err := d.r.readString(true)
		e.Str = s
		return 0, err
	case TypeList:
		e.Kind = KindList
		return d.readPlainList()
	case TypeSet:
		e.Kind = KindSet
		return d.readPlainSet()
	case TypeZSet, TypeZSet2:
		e.Kind = KindZSet
		return d.readPlainZSet(t == TypeZSet2)
	case TypeHash:
		e.Kind = KindHash
		return d.readPlainHash()
	case TypeListQuicklist, TypeListQuicklist2:
		e.Kind = KindList
		return d.readQuicklist(t == TypeListQuicklist2)
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		e.Kind = KindStream
		return 0, d.readStream(t)
	case TypeModule, TypeModule2:
		e.Kind = KindModule
		id, err := d.r.readLen()
		if err != nil {
			return 0, err
		}
		name, _ := ModuleName(id)
		return 0, d.r.errorf(ErrModuleNotSupported, "key %q holds a value of module type %q", e.Key, name)
	}
	// Every other type is one string holding a compact encoding.
	blob, err := d.r.readString(false)
	if err != nil {
		return 0, err
	}
	switch t {
	case TypeHashZipmap:
		e.Kind = KindHash
		return d.fromZipmap(blob)
	case TypeListZiplist:
		e.Kind = KindList
		return d.fromCompact(blob, zlIterate, "List ziplist integrity check failed", d.toList)
	case TypeSetIntset:
		e.Kind = KindSet
		return d.fromIntset(blob)
	case TypeZSetZiplist:
		e.Kind = KindZSet
		return d.fromCompact(blob, zlIterate, "Zset ziplist integrity check failed", d.toZSet)
	case TypeHashZiplist:
		e.Kind = KindHash
		return d.fromCompact(blob, zlIterate, "Hash ziplist integrity check failed", d.toHash)
	case TypeHashListpack:
		e.Kind = KindHash
		return d.hashFromListpack(blob)
	case TypeZSetListpack:
		e.Kind = KindZSet
		return d.fromCompact(blob, lpIterate, "Zset listpack integrity check failed", d.toZSet)
	case TypeSetListpack:
		e.Kind = KindSet
		return d.fromCompact(blob, lpIterate, "Set listpack integrity check failed", d.toSet)
	}
	return 0, d.r.corrupt("Unknown RDB encoding type %d", t)
}

// bytesOf returns el as bytes owned by the arena (integers in decimal).
func (d *decoder) bytesOf(el element) []byte {
	if el.isInt {
		s := strconv.AppendInt(d.r.num[:0], el.v, 10)
		return append(d.r.arena.alloc(len(s))[:0], s...)
	}
	return append(d.r.arena.alloc(len(el.s))[:0], el.s...)
}

func (d *decoder) readPlainList() (SkipReason, error) {
	n, err := d.r.readCount()
	if err != nil || n == 0 {
		return SkipEmpty, err
	}
	e := &d.e
	for range n {
		s, err := d.r.readString(true)
		if err != nil {
			return 0, err
		}
		e.List = append(e.List, s)
	}
	return 0, nil
}

func (d *decoder) readPlainSet() (SkipReason, error) {
	n, err := d.r.readCount()
	if err != nil || n == 0 {
		return SkipEmpty, err
	}
	e := &d.e
	for range n {
		s, err := d.r.readString(true)
		if err != nil {
			return 0, err
		}
		e.Set = append(e.Set, s)
	}
	return 0, d.checkSetDups()
}

func (d *decoder) readPlainHash() (SkipReason, error) {
	n, err := d.r.readCount()
	if err != nil || n == 0 {
		return SkipEmpty, err
	}
	e := &d.e
	for range n {
		f, err := d.r.readString(true)
		if err != nil {
			return 0, err
		}
		v, err := d.r.readString(true)
		if err != nil {
			return 0, err
		}
		e.Hash = append(e.Hash, Pair{Field: f, Value: v})
	}
	return 0, d.checkHashDups()
}

func (d *decoder) readPlainZSet(binaryScores bool) (SkipReason, error) {
	n, err := d.r.readCount()
	if err != nil || n == 0 {
		return SkipEmpty, err
	}
	e := &d.e
	for range n {
		m, err := d.r.readString(true)
		if err != nil {
			return 0, err
		}
		var score float64
		if binaryScores {
			var b [8]byte
			if err := d.r.readFull(b[:]); err != nil {
				return 0, err
			}
			score = math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
		} else if score, err = d.readASCIIDouble(); err != nil {
			return 0, err
		}
		if math.IsNaN(score) {
			return 0, d.r.corrupt("Zset with NAN score detected")
		}
		e.ZSet = append(e.ZSet, ZMember{Member: m, Score: score})
	}
	return 0, d.checkZSetDups()
}

// readASCIIDouble reads the score format of type 3: a length byte, with
// 253/254/255 standing for NaN/+inf/-inf, then that many characters.
func (d *decoder) readASCIIDouble() (float64, error) {
	n, err := d.r.readByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	var buf [255]byte
	if err := d.r.readFull(buf[:n]); err != nil {
		return 0, err
	}
	f, err := parseScore(bytes.TrimSpace(buf[:n]))
	if err != nil {
		return 0, d.r.corrupt("invalid double value %q", buf[:n])
	}
	return f, nil
}

func (d *decoder) readQuicklist(v2 bool) (SkipReason, error) {
	n, err := d.r.readCount()
	if err != nil || n == 0 {
		return SkipEmpty, err
	}
	e := &d.e
	for range n {
		container := uint64(containerPacked)
		if v2 {
			if container, err = d.r.readLen(); err != nil {
				return 0, err
			}
			if container != containerPacked && container != containerPlain {
				return 0, d.r.corrupt("Quicklist integrity check failed.")
			}
		}
		// A PLAIN node is one element, kept as is; a packed node is parsed
		// and its elements copied out.
		data, err := d.r.readString(container == containerPlain)
		if err != nil {
			return 0, err
		}
		if len(data) == 0 {
			return 0, d.r.corrupt("Empty quicklist node")
		}
		if container == containerPlain {
			e.List = append(e.List, data)
			continue
		}
		iter, msg := lpIterate, "Listpack integrity check failed."
		if !v2 {
			iter, msg = zlIterate, "Ziplist integrity check failed."
		}
		// Empty nodes are skipped silently, as Redis does; a list that
		// ends up empty is an empty key.
		if _, err := iter(data, func(el element) error {
			e.List = append(e.List, d.bytesOf(el))
			return nil
		}); err != nil {
			return 0, d.r.corrupt("%s", msg)
		}
	}
	if len(e.List) == 0 {
		return SkipEmpty, nil
	}
	return 0, nil
}

// fromCompact collects the elements of a listpack or ziplist blob and
// builds the value with build.
func (d *decoder) fromCompact(blob []byte, iter func([]byte, func(element) error) (int, error), msg string, build func() (SkipReason, error)) (SkipReason, error) {
	d.elems = d.elems[:0]
	if _, err := iter(blob, func(el element) error {
		d.elems = append(d.elems, el)
		return nil
	}); err != nil {
		return 0, d.r.corrupt("%s", msg)
	}
	if len(d.elems) == 0 {
		return SkipEmpty, nil
	}
	d.compactMsg = msg
	skip, err := build()
	d.compactMsg = ""
	clear(d.elems)
	return skip, err
}

func (d *decoder) toList() (SkipReason, error) {
	for _, el := range d.elems {
		d.e.List = append(d.e.List, d.bytesOf(el))
	}
	return 0, nil
}

// oneBlobBytes is bytesOf for the types held in a single blob: with
// borrow, a string element is the blob's own bytes.
func (d *decoder) oneBlobBytes(el element) []byte {
	if d.borrow && !el.isInt {
		return el.s
	}
	return d.bytesOf(el)
}

func (d *decoder) toSet() (SkipReason, error) {
	for _, el := range d.elems {
		d.e.Set = append(d.e.Set, d.oneBlobBytes(el))
	}
	return 0, d.checkSetDups()
}

func (d *decoder) toHash() (SkipReason, error) {
	if len(d.elems)%2 != 0 {
		return 0, d.r.corrupt("Hash with an odd number of elements")
	}
	for i := 0; i < len(d.elems); i += 2 {
		d.e.Hash = append(d.e.Hash, Pair{Field: d.oneBlobBytes(d.elems[i]), Value: d.oneBlobBytes(d.elems[i+1])})
	}
	return 0, d.checkHashDups()
}

// hashFromListpack is fromCompact(blob, lpIterate, …, toHash) in one
// walk: the pairs are taken as the listpack is read, without the element
// list in between (the usual RESTORE and RDB load of a small hash), with
// the same checks and errors. With hashLim set the pairs are packed and
// the hash built here (Entry.Built), the duplicate check done on the
// fields' hashes taken on the way; a repeated hash (a duplicate, or a
// collision) goes the general way, which names the duplicate.
func (d *decoder) hashFromListpack(blob []byte) (SkipReason, error) {
	if d.hashLim != nil {
		d.packed, d.hashes, d.longest = d.packed[:0], d.hashes[:0], 0
		n, err := walkListpack(blob, d, packHashElem, true)
		if err != nil || n == 0 || n&1 != 0 || !distinctHashes(d.hashes) {
			return d.hashPairsFromListpack(blob)
		}
		if h := d.hashInto; h != nil {
			h.ResetPacked(d.packed, n/2, d.longest, d.hashLim)
			d.e.Built = h
		} else {
			d.e.Built = types.NewHashPacked(d.packed, n/2, d.longest, d.hashLim)
		}
		return 0, nil
	}
	return d.hashPairsFromListpack(blob)
}

// hashPairsFromListpack lists the hash's pairs in Entry.Hash.
func (d *decoder) hashPairsFromListpack(blob []byte) (SkipReason, error) {
	d.pending = nil
	n, err := walkListpack(blob, d, pairHashElem, false)
	if err != nil {
		return 0, d.r.corrupt("%s", "Hash listpack integrity check failed")
	}
	if n == 0 {
		return SkipEmpty, nil
	}
	if n&1 != 0 {
		return 0, d.r.corrupt("Hash with an odd number of elements")
	}
	d.compactMsg = "Hash listpack integrity check failed"
	defer func() { d.compactMsg = "" }()
	return 0, d.checkHashDups()
}

// pairHashElem takes the i-th element of a hash listpack into Entry.Hash
// (a field waits in d.pending for its value).
func pairHashElem(d *decoder, i int, s []byte) {
	if i&1 == 0 {
		d.pending = s
		return
	}
	d.e.Hash = append(d.e.Hash, Pair{Field: d.pending, Value: s})
}

// packHashElem packs the i-th element of a hash listpack, and hashes the
// fields for the duplicate check.
func packHashElem(d *decoder, i int, s []byte) {
	if i&1 == 0 {
		d.hashes = append(d.hashes, maphash.Bytes(dupSeed, s))
	}
	d.longest = max(d.longest, len(s))
	d.packed = types.AppendPacked(d.packed, s)
}

// walkListpack is lpIterate with each element handed to take as bytes (an
// integer in decimal: in the arena, or with intScratch in d.r.num, valid
// until the next element) and
// the common entry, a string under 64 bytes and its one-byte backlen,
// decoded in line: RESTORE of a small hash spent a good part of its time
// in the per-element calls. The checks are lpIterate's, in the same
// order.
func walkListpack(blob []byte, d *decoder, take func(d *decoder, i int, s []byte), intScratch bool) (int, error) {
	if len(blob) < lpHeaderSize+1 || uint64(binary.LittleEndian.Uint32(blob)) != uint64(len(blob)) || blob[len(blob)-1] != lpEOF {
		return 0, errListpack
	}
	end := uint64(len(blob) - 1) // index of the terminator
	p := uint64(lpHeaderSize)
	count := 0
	for p < end {
		var s []byte
		var next uint64
		if c := blob[p]; c&0xC0 == 0x80 {
			size := 1 + uint64(c&0x3F)
			next = p + size + 1
			if next > end {
				return 0, errListpack
			}
			// A one-byte backlen equal to the size is what
			// lpDecodeBacklen accepts first; anything else takes the
			// general check.
			if blob[next-1] != byte(size) && lpDecodeBacklen(blob[:next]) != size {
				return 0, errListpack
			}
			s = blob[p+1 : p+size : p+size]
			if !d.borrow {
				s = d.bytesOf(element{s: s})
			}
		} else {
			el, size, ok := lpDecode(blob[p:end])
			if !ok {
				return 0, errListpack
			}
			next = p + size + uint64(lpBacklenSize(size))
			if next > end || lpDecodeBacklen(blob[:next]) != size {
				return 0, errListpack
			}
			switch {
			case el.isInt && intScratch:
				s = strconv.AppendInt(d.r.num[:0], el.v, 10) // copied by take
			default:
				s = d.oneBlobBytes(el)
			}
		}
		take(d, count, s)
		count++
		p = next
	}
	if hdr := binary.LittleEndian.Uint16(blob[4:6]); hdr != lpCountMax && int(hdr) != count {
		return 0, errListpack
	}
	return count, nil
}

// distinctHashes reports whether the hashes, sorted in place, are all
// different.
func distinctHashes(h []uint64) bool {
	if len(h) <= 32 {
		// A small hash (RESTORE's usual payload): insertion sort without
		// pdqsort's set-up, which took most of this function's time.
		for i := 1; i < len(h); i++ {
			v, j := h[i], i
			for ; j > 0 && h[j-1] > v; j-- {
				h[j] = h[j-1]
			}
			h[j] = v
		}
	} else {
		slices.Sort(h)
	}
	for i := 1; i < len(h); i++ {
		if h[i] == h[i-1] {
			return false
		}
	}
	return true
}

func (d *decoder) toZSet() (SkipReason, error) {
	if len(d.elems)%2 != 0 {
		return 0, d.r.corrupt("Zset with an odd number of elements")
	}
	for i := 0; i < len(d.elems); i += 2 {
		var score float64
		if s := d.elems[i+1]; s.isInt {
			score = float64(s.v)
		} else {
			var err error
			if score, err = parseScore(s.s); err != nil {
				return 0, d.r.corrupt("invalid zset score %q", s.s)
			}
		}
		if math.IsNaN(score) {
			return 0, d.r.corrupt("Zset with NAN score detected")
		}
		d.e.ZSet = append(d.e.ZSet, ZMember{Member: d.oneBlobBytes(d.elems[i]), Score: score})
	}
	return 0, d.checkZSetDups()
}

func (d *decoder) fromZipmap(blob []byte) (SkipReason, error) {
	e := &d.e
	if _, err := zipmapIterate(blob, func(f, v []byte) error {
		e.Hash = append(e.Hash, Pair{Field: d.bytesOf(element{s: f}), Value: d.bytesOf(element{s: v})})
		return nil
	}); err != nil {
		return 0, d.r.corrupt("Zipmap integrity check failed.")
	}
	d.compactMsg = "Zipmap integrity check failed"
	defer func() { d.compactMsg = "" }()
	return 0, d.checkHashDups()
}

func (d *decoder) fromIntset(blob []byte) (SkipReason, error) {
	e := &d.e
	if _, err := intsetIterate(blob, func(v int64) error {
		e.Set = append(e.Set, d.bytesOf(element{v: v, isInt: true}))
		return nil
	}); err != nil {
		return 0, d.r.corrupt("Intset integrity check failed.")
	}
	return 0, nil
}

// checkDups fails if the n members returned by at hold the same bytes
// twice. A 64-bit hash of each member is sorted first: distinct hashes
// prove distinct members, and only a repeated hash (a duplicate, or a
// collision) costs the exact check, which sorts the members themselves.
// Both avoid the per-member allocation a map would cost.
func (d *decoder) checkDups(n int, at func(int) []byte, msg string) error {
	if d.opts.SkipDuplicateCheck || n < 2 {
		return nil
	}
	h := d.hashes[:0]
	for i := range n {
		h = append(h, maphash.Bytes(dupSeed, at(i)))
	}
	d.hashes = h
	if distinctHashes(h) {
		return nil
	}
	s := d.sorted[:0]
	for i := range n {
		s = append(s, at(i))
	}
	d.sorted = s
	defer clear(s)
	slices.SortFunc(s, bytes.Compare)
	for i := 1; i < len(s); i++ {
		if bytes.Equal(s[i-1], s[i]) {
			if d.compactMsg != "" {
				return d.r.corrupt("%s: %s with dup elements (%q)", d.compactMsg, compactName(d.compactMsg), s[i])
			}
			return d.r.corrupt("%s: %q", msg, s[i])
		}
	}
	return nil
}

// compactName is the encoding an integrity message is about.
func compactName(msg string) string {
	for _, name := range []string{"listpack", "ziplist", "Zipmap"} {
		if strings.Contains(msg, name) {
			return strings.ToLower(name)
		}
	}
	return "encoding"
}

// dupSeed seeds checkDups's hashes.
var dupSeed = maphash.MakeSeed()

func (d *decoder) checkSetDups() error {
	return d.checkDups(len(d.e.Set), func(i int) []byte { return d.e.Set[i] }, "Duplicate set members detected")
}

func (d *decoder) checkHashDups() error {
	return d.checkDups(len(d.e.Hash), func(i int) []byte { return d.e.Hash[i].Field }, "Duplicate hash fields detected")
}

func (d *decoder) checkZSetDups() error {
	return d.checkDups(len(d.e.ZSet), func(i int) []byte { return d.e.ZSet[i].Member }, "Duplicate zset fields detected")
}

// String describes the element for error messages and tests.
func (el element) String() string {
	if el.isInt {
		return fmt.Sprint(el.v)
	}
	return fmt.Sprintf("%q", el.s)
}
