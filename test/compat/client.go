package compat

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// value is a reply with its RESP type kept.
type value struct {
	kind  byte // the RESP type byte: + - : $ * _ , # ( = % ~ >
	str   string
	elems []value
	null  bool // $-1 or *-1
}

func (v value) String() string {
	switch v.kind {
	case '*', '~', '%', '>':
		if v.null {
			return "(nil array)"
		}
		parts := make([]string, len(v.elems))
		for i, e := range v.elems {
			parts[i] = e.String()
		}
		return string(v.kind) + "[" + strings.Join(parts, ", ") + "]"
	case '$':
		if v.null {
			return "(nil)"
		}
		return strconv.Quote(v.str)
	case '_':
		return "(null)"
	}
	return string(v.kind) + v.str
}

// conn is a raw RESP connection to one server.
type conn struct {
	nc net.Conn
	r  *bufio.Reader
}

func dial(addr string) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, r: bufio.NewReader(nc)}, nil
}

func (c *conn) close() { c.nc.Close() }

func (c *conn) send(args []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := io.WriteString(c.nc, b.String())
	return err
}

func (c *conn) read() (value, error) {
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	return readValue(c.r)
}

func (c *conn) do(args ...string) (value, error) {
	if err := c.send(args); err != nil {
		return value{}, err
	}
	return c.read()
}

func readValue(r *bufio.Reader) (value, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return value{}, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return value{}, fmt.Errorf("empty reply line")
	}
	v := value{kind: line[0]}
	body := line[1:]
	switch v.kind {
	case '+', '-', ':', ',', '#', '(':
		v.str = body
	case '_':
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, fmt.Errorf("bad bulk length %q", body)
		}
		if n < 0 {
			v.null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return v, err
		}
		v.str = string(buf[:n])
		if v.kind == '!' {
			v.kind = '-'
		}
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, fmt.Errorf("bad aggregate length %q", body)
		}
		if n < 0 {
			v.null = true
			return v, nil
		}
		if v.kind == '%' || v.kind == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			e, err := readValue(r)
			if err != nil {
				return v, err
			}
			v.elems = append(v.elems, e)
		}
		if v.kind == '|' {
			// An attribute precedes the real reply; keep the reply.
			return readValue(r)
		}
	default:
		return v, fmt.Errorf("unknown reply type %q", line)
	}
	return v, nil
}

// canonical returns v with every aggregate sorted at every level, so
// replies Redis returns in no fixed order compare equal.
func canonical(v value) value {
	if len(v.elems) == 0 {
		return v
	}
	out := v
	out.elems = make([]value, len(v.elems))
	for i, e := range v.elems {
		out.elems[i] = canonical(e)
	}
	if v.kind == '%' {
		type pair struct{ k, v value }
		ps := make([]pair, 0, len(out.elems)/2)
		for i := 0; i+1 < len(out.elems); i += 2 {
			ps = append(ps, pair{out.elems[i], out.elems[i+1]})
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].k.String() < ps[j].k.String() })
		out.elems = out.elems[:0]
		for _, p := range ps {
			out.elems = append(out.elems, p.k, p.v)
		}
		return out
	}
	sort.Slice(out.elems, func(i, j int) bool { return out.elems[i].String() < out.elems[j].String() })
	return out
}

// pairsCanonical sorts a flat key/value array by pairs.
func pairsCanonical(v value) value {
	if len(v.elems)%2 != 0 {
		return v
	}
	type pair struct{ k, v value }
	ps := make([]pair, 0, len(v.elems)/2)
	for i := 0; i < len(v.elems); i += 2 {
		ps = append(ps, pair{v.elems[i], v.elems[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].k.String() < ps[j].k.String() })
	out := v
	out.elems = nil
	for _, p := range ps {
		out.elems = append(out.elems, p.k, p.v)
	}
	return out
}

// shape keeps a reply's type and element counts, nothing else.
func shape(v value) string {
	if len(v.elems) == 0 {
		return fmt.Sprintf("%c(null=%v)", v.kind, v.null)
	}
	return fmt.Sprintf("%c[%d]", v.kind, len(v.elems))
}
