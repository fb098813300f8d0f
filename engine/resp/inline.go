package resp

import "bytes"

// SplitArgs splits an inline command line into arguments with the rules of
// Redis's sdssplitargs: arguments are separated by spaces; "double quotes"
// allow \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' allow \'; a
// closing quote must be followed by a space or the end of the line. It
// appends to dst and reports false on unbalanced quotes.
func SplitArgs(line []byte, dst [][]byte) ([][]byte, bool) {
	// sdssplitargs reads a C string: a NUL ends the line, so a quote
	// still open there is unbalanced.
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			return dst, true
		}
		var cur []byte
		inq, insq, done := false, false, false
		for !done {
			if inq {
				if p == len(line) {
					return dst, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+3 < len(line) && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					cur = append(cur, hexVal(line[p+2])<<4|hexVal(line[p+3]))
					p += 3
				case c == '\\' && p+1 < len(line):
					p++
					switch e := line[p]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					// The closing quote must be followed by a space or
					// nothing at all.
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return dst, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else if insq {
				if p == len(line) {
					return dst, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+1 < len(line) && line[p+1] == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return dst, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else {
				if p == len(line) {
					break
				}
				switch c := line[p]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		dst = append(dst, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
