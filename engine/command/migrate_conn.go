package command

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// migrateConn is a migration's pipelined connection to the target
// primary: the source writes batches (CLUSTER IMPORTKEYS) without
// waiting for each reply, and a reader goroutine checks the replies as
// they come. The target answers a batch only once its log committed it,
// so a reply read means the batch's keys are durable on the target.
type migrateConn struct {
	nc net.Conn
	w  *bufio.Writer

	mu sync.Mutex
	// settled is signalled when a reply arrives or the reader stops.
	settled *sync.Cond
	// inflight counts the commands sent and not yet answered; window
	// bounds it. Guarded by mu.
	inflight, window int
	err              error         // the first error reply or read failure; guarded by mu
	done             chan struct{} // closed when the reader stops
}

// migrateWindow is how many batches a connection may have awaiting their
// reply. At most migrateStreams × migrateWindow batches wait in the
// target's log at a time, and a foreground write there waits behind them:
// with one per connection the move still overlaps the commit of one
// batch with the sending of the next (measured in docs/benchmarks.md).
const migrateWindow = 1

// migrateAuth is the AUTH command a migration's connections start with:
// the credentials given to CLUSTER MIGRATESLOTS (AUTH password or AUTH2
// username password, as MIGRATE takes them), nil for none. The target
// checks them like any client's, so a Cluster whose default user is off
// can still move slots.
type migrateAuth []string

// errMigrateAuth is the target refusing a migration's credentials (or
// the lack of them): retrying does not help.
var errMigrateAuth = errors.New("the target refused the migration's credentials")

// dial connects to addr and authenticates, within timeout.
func (a migrateAuth) dial(addr string, timeout time.Duration) (net.Conn, *bufio.Reader, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, nil, err
	}
	r := bufio.NewReaderSize(nc, 64<<10)
	if len(a) == 0 {
		return nc, r, nil
	}
	nc.SetDeadline(time.Now().Add(timeout))
	if _, err := roundTrip(nc, r, a...); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("%w: %w", errMigrateAuth, err)
	}
	nc.SetDeadline(time.Time{})
	return nc, r, nil
}

func dialMigrate(addr string, auth migrateAuth) (*migrateConn, error) {
	nc, r, err := auth.dial(addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	m := &migrateConn{nc: nc, w: bufio.NewWriterSize(nc, 1<<20), window: migrateWindow, done: make(chan struct{})}
	m.settled = sync.NewCond(&m.mu)
	go m.read(r)
	return m, nil
}

// send writes one command and flushes it; its reply must be +OK or an
// integer. It waits while the window is full.
func (m *migrateConn) send(args ...[]byte) error {
	m.mu.Lock()
	for m.inflight >= m.window && m.err == nil {
		m.settled.Wait()
	}
	if m.err != nil {
		m.mu.Unlock()
		return m.err
	}
	m.inflight++
	m.mu.Unlock()
	m.w.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		m.w.WriteString("$" + strconv.Itoa(len(a)) + "\r\n")
		m.w.Write(a)
		m.w.WriteString("\r\n")
	}
	return m.flush()
}

func (m *migrateConn) flush() error {
	m.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if err := m.w.Flush(); err != nil {
		m.setErr(fmt.Errorf("cannot send to the target: %w", err))
		return m.failed()
	}
	return nil
}

// wait flushes and waits until every command sent was answered, and
// returns the first failure.
func (m *migrateConn) wait() error {
	if err := m.flush(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for m.inflight > 0 && m.err == nil {
		m.settled.Wait()
	}
	return m.err
}

func (m *migrateConn) failed() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

func (m *migrateConn) setErr(err error) {
	m.mu.Lock()
	if m.err == nil {
		m.err = err
	}
	m.settled.Broadcast()
	m.mu.Unlock()
}

func (m *migrateConn) close() {
	m.nc.Close()
	<-m.done
}

// read checks replies until the connection ends.
func (m *migrateConn) read(r *bufio.Reader) {
	defer close(m.done)
	for {
		m.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
		line, err := r.ReadSlice('\n')
		if err != nil {
			if !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
				err = fmt.Errorf("target connection: %w", err)
			}
			m.setErr(fmt.Errorf("lost the target: %w", err))
			return
		}
		m.mu.Lock()
		if len(line) > 0 && line[0] == '-' && m.err == nil {
			m.err = fmt.Errorf("the target refused a batch: %s", trimCRLF(line[1:]))
		}
		m.inflight--
		m.settled.Broadcast()
		m.mu.Unlock()
	}
}

func trimCRLF(b []byte) string {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return string(b)
}

// request sends one command on a fresh connection and returns its reply
// line (simple replies) or bulk payload; for the source's questions to
// the target (CLUSTER INFO).
func request(addr string, timeout time.Duration, auth migrateAuth, args ...string) (string, error) {
	nc, r, err := auth.dial(addr, timeout)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(timeout))
	return roundTrip(nc, r, args...)
}

// roundTrip sends one command and reads its reply line (simple replies)
// or bulk payload; an error reply is an error.
func roundTrip(nc net.Conn, r *bufio.Reader, args ...string) (string, error) {
	w := bufio.NewWriter(nc)
	w.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		w.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = trimCRLF([]byte(line))
	switch {
	case line == "":
		return "", errors.New("empty reply")
	case line[0] == '-':
		return "", errors.New(line[1:])
	case line[0] == '$' || line[0] == '=':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", errors.New("bad reply")
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return line[1:], nil
}

// migrateStreams is how many connections a migration sends on. The
// target stops reading a connection while it waits for the commit of
// what it read, so a second connection keeps it busy meanwhile. Batches
// go round the connections; a key appears once per round of the
// migration, and a round starts only when the previous one was answered
// (wait), so a key's values never overtake each other.
const migrateStreams = 2

// migrateLink is a migration's set of connections to the target, with
// the batch being filled. Used by the migration's driver only.
type migrateLink struct {
	conns []*migrateConn
	next  int
	buf   *importBatch
}

func dialMigrateLink(addr string, auth migrateAuth) (*migrateLink, error) {
	l := &migrateLink{buf: newImportBatch(migrateBatchBytes, migrateBatchKeys)}
	for range migrateStreams {
		c, err := dialMigrate(addr, auth)
		if err != nil {
			l.close()
			return nil, err
		}
		l.conns = append(l.conns, c)
	}
	return l, nil
}

// send writes a batch on the next connection.
func (l *migrateLink) send(args [][]byte) error {
	c := l.conns[l.next%len(l.conns)]
	l.next++
	return c.send(args...)
}

// wait waits until every connection's commands were answered.
func (l *migrateLink) wait() error {
	for _, c := range l.conns {
		if err := c.flush(); err != nil {
			return err
		}
	}
	for _, c := range l.conns {
		if err := c.wait(); err != nil {
			return err
		}
	}
	return nil
}

func (l *migrateLink) close() {
	for _, c := range l.conns {
		c.close()
	}
}
