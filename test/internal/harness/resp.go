//go:build linux

package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// A raw RESP2 client: the fault tests must know exactly which command was
// sent once and whether its reply arrived, which a client library that
// retries and pools connections would hide.

// Value is one RESP2 reply.
type Value struct {
	Kind  byte // + - : $ *
	Str   string
	N     int64
	Elems []Value
	Null  bool
}

// IsErr reports whether the reply is an error.
func (v Value) IsErr() bool { return v.Kind == '-' }

func (v Value) String() string {
	switch v.Kind {
	case '*':
		if v.Null {
			return "(nil array)"
		}
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case '$':
		if v.Null {
			return "(nil)"
		}
		return strconv.Quote(v.Str)
	case ':':
		return "(integer) " + strconv.FormatInt(v.N, 10)
	}
	return string(v.Kind) + v.Str
}

// Conn is one connection. Not safe for concurrent use.
type Conn struct {
	nc net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
}

// Dial connects to addr within 2 s.
func Dial(addr string) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{nc: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}, nil
}

// Close closes the connection.
func (c *Conn) Close() { c.nc.Close() }

// Send buffers one command; Flush sends what is buffered.
func (c *Conn) Send(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

// Flush sends the buffered commands within 10 s.
func (c *Conn) Flush() error {
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.w.Flush()
}

// ReadTimeout reads one reply, waiting at most d.
func (c *Conn) ReadTimeout(d time.Duration) (Value, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	return readValue(c.r)
}

// Do sends one command and reads its reply within 10 s.
func (c *Conn) Do(args ...string) (Value, error) {
	return c.DoTimeout(10*time.Second, args...)
}

// DoTimeout sends one command and reads its reply within d.
func (c *Conn) DoTimeout(d time.Duration, args ...string) (Value, error) {
	c.Send(args...)
	if err := c.Flush(); err != nil {
		return Value{}, err
	}
	return c.ReadTimeout(d)
}

// IsTimeout reports whether err is a read deadline passing.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func readValue(r *bufio.Reader) (Value, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return Value{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return Value{}, fmt.Errorf("bad reply line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-':
		return Value{Kind: kind, Str: body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return Value{Kind: kind, N: n, Str: body}, err
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return Value{Kind: kind, Null: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Value{}, err
		}
		return Value{Kind: kind, Str: string(buf[:n])}, nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return Value{Kind: kind, Null: true}, nil
		}
		v := Value{Kind: kind, Elems: make([]Value, n)}
		for i := range v.Elems {
			if v.Elems[i], err = readValue(r); err != nil {
				return Value{}, err
			}
		}
		return v, nil
	}
	return Value{}, fmt.Errorf("unknown reply type %q", kind)
}
