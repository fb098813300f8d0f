//go:build linux

package failover

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// A raw RESP2 client: the tests must know exactly which command was sent
// once and whether its reply arrived, which a client library that retries
// and pools connections would hide.

// value is one RESP2 reply.
type value struct {
	kind  byte // + - : $ *
	str   string
	n     int64
	elems []value
	null  bool
}

func (v value) isErr() bool { return v.kind == '-' }

func (v value) String() string {
	switch v.kind {
	case '*':
		if v.null {
			return "(nil array)"
		}
		parts := make([]string, len(v.elems))
		for i, e := range v.elems {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case '$':
		if v.null {
			return "(nil)"
		}
		return strconv.Quote(v.str)
	case ':':
		return "(integer) " + strconv.FormatInt(v.n, 10)
	}
	return string(v.kind) + v.str
}

// conn is one connection. Not safe for concurrent use.
type conn struct {
	nc net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
}

func dial(addr string) (*conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{nc: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}, nil
}

func (c *conn) close() { c.nc.Close() }

// send buffers one command; flush sends what is buffered.
func (c *conn) send(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *conn) flush() error {
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.w.Flush()
}

// readTimeout reads one reply, waiting at most d.
func (c *conn) readTimeout(d time.Duration) (value, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	return readValue(c.r)
}

// do sends one command and reads its reply within 10 s.
func (c *conn) do(args ...string) (value, error) {
	return c.doTimeout(10*time.Second, args...)
}

func (c *conn) doTimeout(d time.Duration, args ...string) (value, error) {
	c.send(args...)
	if err := c.flush(); err != nil {
		return value{}, err
	}
	return c.readTimeout(d)
}

func readValue(r *bufio.Reader) (value, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return value{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return value{}, fmt.Errorf("bad reply line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-':
		return value{kind: kind, str: body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return value{kind: kind, n: n, str: body}, err
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return value{}, err
		}
		if n < 0 {
			return value{kind: kind, null: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return value{}, err
		}
		return value{kind: kind, str: string(buf[:n])}, nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return value{}, err
		}
		if n < 0 {
			return value{kind: kind, null: true}, nil
		}
		v := value{kind: kind, elems: make([]value, n)}
		for i := range v.elems {
			if v.elems[i], err = readValue(r); err != nil {
				return value{}, err
			}
		}
		return v, nil
	}
	return value{}, fmt.Errorf("unknown reply type %q", kind)
}
