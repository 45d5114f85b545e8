// Package glob matches byte strings against Redis-style glob patterns, as
// used by KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET: `*` any run, `?` one
// byte, `[abc]`, `[^a-z]` classes, and `\` escaping the next byte.
package glob

// Match reports whether s matches pattern. With nocase, ASCII letters are
// compared case-insensitively. Every token other than `*` consumes exactly
// one byte, so the matcher only ever backtracks to the most recent star:
// O(len(pattern)*len(s)) in the worst case, never exponential.
func Match(pattern, s []byte, nocase bool) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) && pattern[p] == '*' {
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true
			}
			starP, starI = p, i
			continue
		}
		if p < len(pattern) {
			if n, ok := matchOne(pattern[p:], s[i], nocase); ok {
				p += n
				i++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
}

// matchOne matches the single token at the start of p (not a star) against
// c, returning how many pattern bytes the token spans.
func matchOne(p []byte, c byte, nocase bool) (int, bool) {
	switch p[0] {
	case '?':
		return 1, true
	case '\\':
		if len(p) >= 2 {
			return 2, eq(p[1], c, nocase)
		}
		return 1, eq(p[0], c, nocase)
	case '[':
		j := 1
		not := j < len(p) && p[j] == '^'
		if not {
			j++
		}
		matched := false
		for j < len(p) && p[j] != ']' {
			switch {
			case p[j] == '\\' && j+1 < len(p):
				j++
				if p[j] == c {
					matched = true
				}
			case j+2 < len(p) && p[j+1] == '-':
				start, end, cc := p[j], p[j+2], c
				if start > end {
					start, end = end, start
				}
				if nocase {
					start, end, cc = lower(start), lower(end), lower(c)
				}
				if cc >= start && cc <= end {
					matched = true
				}
				j += 2
			default:
				if eq(p[j], c, nocase) {
					matched = true
				}
			}
			j++
		}
		if j < len(p) { // the closing ']'
			j++
		}
		return j, matched != not
	default:
		return 1, eq(p[0], c, nocase)
	}
}

func eq(a, b byte, nocase bool) bool {
	if nocase {
		return lower(a) == lower(b)
	}
	return a == b
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
