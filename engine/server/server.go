package server

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// flushAbove is the reply size at which replies are written out even when
// more pipelined commands are waiting, so a long pipeline does not hold
// everything in memory.
const flushAbove = 64 * 1024

// Server serves one engine on one listener.
type Server struct {
	Engine *command.Engine
	Log    *slog.Logger

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{} // guarded by mu
	closed bool                  // guarded by mu
	wg     sync.WaitGroup
}

// New returns a server for engine e.
func New(e *command.Engine, log *slog.Logger) *Server {
	return &Server{Engine: e, Log: log, conns: map[net.Conn]struct{}{}}
}

// Serve accepts connections on ln until Close. It returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	for {
		conn, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return nil
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.handle(conn)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
		}()
	}
}

// Close stops accepting, closes every connection and waits for their
// goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// conn is one client connection.
type conn struct {
	s   *Server
	nc  net.Conn
	rd  *resp.Reader
	cl  *command.Client
	err error // first write error

	writerDone chan struct{} // closed when the async writer exits
	stopWriter chan struct{}
}

func (s *Server) handle(nc net.Conn) {
	e := s.Engine
	cfg := e.Config()
	if int64(e.ClientCount()) >= cfg.Int("maxclients") {
		e.RejectClient()
		io.WriteString(nc, "-ERR max number of clients reached\r\n")
		nc.Close()
		return
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		if ka := cfg.Int("tcp-keepalive"); ka > 0 {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(time.Duration(ka) * time.Second)
		}
	}
	c := &conn{s: s, nc: nc, rd: resp.NewReader(countingReader{nc, &e.Net().Input})}
	c.cl = e.NewClient(nc.RemoteAddr().String(), nc.LocalAddr().String(), func() { nc.Close() })
	defer func() {
		c.stopAsync()
		e.RemoveClient(c.cl)
		nc.Close()
	}()
	c.serve()
}

func (c *conn) serve() {
	e := c.s.Engine
	cfg := e.Config()
	for {
		c.rd.MaxBulkLen = cfg.Int("proto-max-bulk-len")
		c.rd.MaxBuffer = cfg.Int("client-query-buffer-limit")
		if t := cfg.Int("timeout"); t > 0 && !c.cl.Async() {
			c.nc.SetReadDeadline(time.Now().Add(time.Duration(t) * time.Second))
		}
		args, err := c.rd.ReadCommand()
		if err != nil {
			if resp.IsProtocolError(err) {
				c.cl.W.Error("ERR " + err.Error())
				c.flush()
				c.s.Log.Debug("Closed client after protocol error", "client", c.cl.Addr, "error", err)
			} else if errors.Is(err, resp.ErrQueryBufferLimit) {
				c.s.Log.Warn("Closed client that reached the query buffer limit", "client", c.cl.Addr)
			}
			return
		}
		if e.Execute(c.cl, args) {
			// Replies of earlier pipelined commands go out before the
			// client waits.
			if !c.send(c.cl.AwaitCommit(c.cl.PreBlockOutput(), c.cl.TakePreBlockMarks())) {
				return
			}
			if !c.waitBlocked() {
				return
			}
		}
		if c.cl.CloseAfterReply {
			c.flush()
			return
		}
		if !c.cl.Async() && c.cl.ReplyOverLimit(c.cl.W.Len()) {
			c.s.Log.Warn("Closed client that reached its output buffer limit", "client", c.cl.Addr, "bytes", c.cl.W.Len())
			return
		}
		if c.rd.Buffered() == 0 || c.cl.W.Len() > flushAbove {
			if !c.flush() {
				return
			}
		}
		if c.cl.Killed() {
			return
		}
	}
}

// waitBlocked waits for a blocked command while watching the connection,
// so a client that goes away stops waiting (and is never served a value it
// would lose). It returns false when the client went away.
func (c *conn) waitBlocked() bool {
	gone := make(chan error, 1)
	go func() { gone <- c.rd.FillMore() }()
	ok := c.s.Engine.WaitBlocked(c.cl, gone)
	// Stop the watching read: a deadline in the past makes it return.
	c.nc.SetReadDeadline(time.Unix(1, 0))
	err := <-gone
	c.nc.SetReadDeadline(time.Time{})
	if err != nil {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			ok = false
		}
	}
	if ok {
		return c.flush()
	}
	return false
}

// flush sends the pending replies. It returns false after a write error.
func (c *conn) flush() bool {
	// Replies that depend on uncommitted writes wait for the log here,
	// without holding the engine.
	ok := c.send(c.cl.AwaitCommit(c.cl.W.Bytes(), c.cl.TakeMarks()))
	c.cl.W.Reset()
	return ok
}

// send writes encoded replies to the client, through the async writer once
// the client receives pushes. It returns false after a write error.
func (c *conn) send(b []byte) bool {
	if c.err != nil {
		return false
	}
	if len(b) == 0 {
		return true
	}
	if c.cl.Async() {
		c.startAsync()
		c.cl.QueueBytes(b)
		return true
	}
	n, err := c.nc.Write(b)
	c.s.Engine.Net().Output.Add(int64(n))
	if err != nil {
		c.err = err
		return false
	}
	return true
}

// startAsync starts the writer for a client that receives pushes.
func (c *conn) startAsync() {
	if c.writerDone != nil {
		return
	}
	c.writerDone = make(chan struct{})
	c.stopWriter = make(chan struct{})
	go func() {
		defer close(c.writerDone)
		for {
			stopping := false
			select {
			case <-c.cl.Notify:
			case <-c.stopWriter:
				stopping = true
			}
			if out := c.cl.TakeOutput(); len(out) > 0 {
				n, err := c.nc.Write(out)
				c.s.Engine.Net().Output.Add(int64(n))
				if err != nil {
					c.nc.Close()
					return
				}
			}
			if stopping {
				return
			}
		}
	}()
}

// stopAsync drains and stops the writer.
func (c *conn) stopAsync() {
	if c.writerDone == nil {
		return
	}
	close(c.stopWriter)
	<-c.writerDone
}

// countingReader counts the bytes read from a connection (INFO
// total_net_input_bytes).
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
