// Package glob matches strings against Redis glob-style patterns, with the
// exact semantics of Redis's stringmatchlen: * ? [abc] [^abc] [a-z] and
// backslash escapes. KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET and ACL key
// and channel patterns all use it.
package glob

// maxNesting bounds the recursion on '*', as Redis does, so a hostile
// pattern cannot exhaust the stack.
const maxNesting = 1000

// Match reports whether s matches pattern.
func Match(pattern, s string) bool {
	skip := false
	return match(pattern, s, false, &skip, 0)
}

// MatchFold is Match, ignoring ASCII case.
func MatchFold(pattern, s string) bool {
	skip := false
	return match(pattern, s, true, &skip, 0)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func eq(a, b byte, fold bool) bool {
	if fold {
		return lower(a) == lower(b)
	}
	return a == b
}

func match(p, s string, fold bool, skipLonger *bool, nesting int) bool {
	if nesting > maxNesting {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if match(p[1:], s, fold, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) == 0 {
					// Unterminated class: Redis steps back so the outer
					// loop's advance lands on the end of the pattern.
					p = "\x00"
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end, c := p[0], p[2], s[0]
					if start > end {
						start, end = end, start
					}
					if fold {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else if eq(p[0], s[0], fold) {
					matched = true
				}
				p = p[1:]
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if !eq(p[0], s[0], fold) {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
