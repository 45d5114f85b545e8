package command

import (
	"bytes"
	"slices"
	"strings"

	"github.com/tandemdb/tandem/internal/resp"
	"github.com/tandemdb/tandem/internal/types"
)

// SORT and SORT_RO, with Redis 7.0's rules:
//
//   - a list or sorted set keeps its own order under BY <constant> (no
//     sorting, LIMIT taken from that order, DESC reversing it); a set
//     under BY <constant> with STORE is sorted ALPHA instead, so that what
//     is stored does not depend on the set's internal order;
//   - numeric weights are read like strtod reads them, ties broken by
//     comparing the elements byte by byte, so the order is total;
//   - ALPHA compares as strcoll does in the C locale (bytes up to a NUL),
//     or byte by byte with STORE; with BY, elements whose weight key is
//     missing come first;
//   - the sort is stable, as glibc's qsort (a merge sort) is on the
//     Debian builds of Redis: equal weights keep the input order.
//
// SORT ... STORE is propagated as it is, as Redis 7.0 does (a replica
// sorts the same data the same way); SORT without STORE writes nothing.

func sortCommands() []*Spec {
	return []*Spec{
		{Name: "sort", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, KeysFn: sortKeys, Handler: sortCmd, Group: "generic", Summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", Since: "1.0.0"},
		{Name: "sort_ro", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Handler: sortCmd, Group: "generic", Summary: "Returns the sorted elements of a list, a set, or a sorted set.", Since: "7.0.0"},
	}
}

// sortKeys finds SORT's keys: the sorted key and the STORE destination
// (Redis's sortGetKeys: the last STORE wins, options with arguments are
// skipped whole).
func sortKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	keys := []int{1}
	store := -1
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "limit":
			i += 2
		case "get", "by":
			i++
		case "store":
			if i+1 < len(args) {
				store = i + 1
			}
			i++
		}
	}
	if store > 0 {
		keys = append(keys, store)
	}
	return keys
}

func sortCmd(c *Ctx) {
	readonly := c.Spec.Name == "sort_ro"
	var desc, alpha, dontsort bool
	var limitStart, limitCount int64 = 0, -1
	var sortBy, store []byte
	var gets [][]byte
	for j := 2; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch opt := strings.ToLower(string(c.Args[j])); {
		case opt == "asc":
			desc = false
		case opt == "desc":
			desc = true
		case opt == "alpha":
			alpha = true
		case opt == "limit" && left >= 2:
			s, ok1 := resp.ParseInt(c.Args[j+1])
			n, ok2 := resp.ParseInt(c.Args[j+2])
			if !ok1 || !ok2 {
				c.Error(ErrNotInt)
				return
			}
			limitStart, limitCount = s, n
			j += 2
		case !readonly && opt == "store" && left >= 1:
			store = c.Args[j+1]
			j++
		case opt == "by" && left >= 1:
			sortBy = c.Args[j+1]
			// A pattern without '*' names no per-element key: nothing to
			// sort by, the native order stays.
			dontsort = bytes.IndexByte(cstr(sortBy), '*') < 0
			if !dontsort && !c.ReadsAnyKey() {
				c.Error("ERR BY option of SORT denied due to insufficient ACL permissions.")
				return
			}
			j++
		case opt == "get" && left >= 1:
			if !c.ReadsAnyKey() {
				c.Error("ERR GET option of SORT denied due to insufficient ACL permissions.")
				return
			}
			gets = append(gets, c.Args[j+1])
			j++
		default:
			c.Error(ErrSyntax)
			return
		}
	}

	sc := getSortScratch()
	defer sc.release()
	var isSet, sorted bool
	if e := c.DB.Lookup(c.Args[1]); e != nil {
		switch v := e.Val().(type) {
		case *types.List:
			v.Each(func(m []byte) bool { sc.add(m); return true })
			sorted = true
		case *types.Set:
			v.Each(func(m []byte) bool { sc.add(m); return true })
			isSet = true
		case *types.ZSet:
			// Redis converts a sorted set it sorts to its big encoding,
			// for good (sort.c: "destructively convert"); OBJECT
			// ENCODING shows it.
			if v.Encoding() != "skiplist" {
				c.DB.Reencode(c.Args[1], func(any) { v.ToSkiplist() })
			}
			v.Each(func(m []byte, _ float64) bool { sc.add(m); return true })
			sorted = true
		default:
			c.Error(ErrWrongType)
			return
		}
	}
	// A set has no order of its own: where the result must be the same
	// everywhere (stored, or returned to a script, whose later writes may
	// depend on it), it is sorted as ALPHA, as Redis does.
	if dontsort && isSet && (store != nil || c.S.Flags&FlagScript != 0) {
		dontsort, alpha, sortBy = false, true, nil
	}

	n := int64(len(sc.items))
	start := min(max(limitStart, 0), n)
	count := min(max(limitCount, -1), n)
	end := n - 1
	if count >= 0 {
		end = start + count - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)

	if dontsort && sorted && desc {
		slices.Reverse(sc.items)
	}
	if !dontsort {
		convErr := false
		for i := range sc.items {
			it := &sc.items[i]
			by := sc.elem(it)
			if sortBy != nil {
				v, ok := sortLookup(c, sortBy, by)
				if !ok {
					continue // weight 0, or a missing ALPHA weight
				}
				by = v
			}
			if alpha {
				if sortBy != nil {
					it.wOff = len(sc.arena)
					sc.arena = append(sc.arena, by...)
					it.wEnd, it.wOK = len(sc.arena), true
				}
				continue
			}
			f, ok := types.SortWeight(by)
			if !ok {
				convErr = true
			}
			it.score = f
		}
		if convErr {
			c.Error("ERR One or more scores can't be converted into double")
			return
		}
		sc.sort(alpha, sortBy != nil, store != nil, desc)
	}

	outLen := end - start + 1
	if len(gets) > 0 {
		outLen *= int64(len(gets))
	}
	if store == nil {
		c.W.Array(int(outLen))
		for i := start; i <= end; i++ {
			elem := sc.elem(sc.at(int(i)))
			if len(gets) == 0 {
				c.W.Bulk(elem)
			}
			for _, g := range gets {
				if v, ok := sortLookup(c, g, elem); ok {
					c.W.Bulk(v)
				} else {
					c.W.Null()
				}
			}
		}
		return
	}
	out := newList(c)
	for i := start; i <= end; i++ {
		elem := sc.elem(sc.at(int(i)))
		if len(gets) == 0 {
			out.PushBack(elem)
		}
		for _, g := range gets {
			v, _ := sortLookup(c, g, elem)
			out.PushBack(v) // a missing value is stored as ""
		}
	}
	if outLen > 0 {
		c.DB.SetValue(store, out, false)
		c.DB.Modified(store)
		c.Notify(EvList, "sortstore", store)
		c.E.KS.Dirty += outLen - 1
	} else if c.DB.Delete(store) {
		c.DB.Modified(store)
		c.Notify(EvGeneric, "del", store)
	}
	c.W.Int(outLen)
}

// sortLookup is Redis's lookupKeyByPattern: "#" is the element itself;
// otherwise the first '*' of pattern is replaced by the element and the
// string at that key is the value, or, for "pre*post->field", the hash
// field of that key. A pattern without '*', a missing key or field, or a
// key of another type give ok=false. Like Redis, the searches stop at a
// NUL byte of the pattern.
func sortLookup(c *Ctx, pattern, elem []byte) ([]byte, bool) {
	cpat := cstr(pattern)
	if len(cpat) == 1 && cpat[0] == '#' {
		return elem, true
	}
	star := bytes.IndexByte(cpat, '*')
	if star < 0 {
		return nil, false
	}
	postEnd := len(pattern)
	var field []byte
	if f := bytes.Index(cpat[star+1:], []byte("->")); f >= 0 {
		f += star + 1
		if f+2 < len(cpat) {
			field = pattern[f+2:]
			postEnd = f
		}
	}
	key := make([]byte, 0, star+len(elem)+postEnd-star-1)
	key = append(key, pattern[:star]...)
	key = append(key, elem...)
	key = append(key, pattern[star+1:postEnd]...)
	e := c.DB.Lookup(key)
	if e == nil {
		return nil, false
	}
	if field != nil {
		h, ok := e.Val().(*types.Hash)
		if !ok {
			return nil, false
		}
		return h.Get(field)
	}
	if !e.IsString() {
		return nil, false
	}
	return []byte(e.Str()), true
}
