package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// Ctx is the context of one command's execution.
type Ctx struct {
	E    *Engine
	C    *Client
	Cmd  *Command
	Args [][]byte
	W    *resp.Writer
	DB   *keyspace.DB
	// Now is the command's time in Unix milliseconds, fixed for its whole
	// execution (and for a whole MULTI/EXEC) as Redis does.
	Now int64

	// inExec is set while running a transaction's commands; blocking
	// commands then behave as if they timed out.
	inExec bool
	// reprocessing is set when a blocked command is run again because a
	// key it waits for was touched.
	reprocessing bool
	blockedAgain bool
	// rewritten is set when the handler logged its own effects (Effect)
	// or none (NoEffect) instead of its arguments.
	rewritten bool
	// redacted marks arguments (by position, below 64) that must never be
	// recorded, such as passwords.
	redacted uint64
}

// Redact keeps argument i out of the slow log (and any other record of
// the command), as Redis does for AUTH's password.
func (c *Ctx) Redact(i int) {
	if i < 64 {
		c.redacted |= 1 << uint(i)
	}
}

// Error writes an error reply.
func (c *Ctx) Error(msg string) { c.W.Error(msg) }

// ErrArity writes the wrong-number-of-arguments error for the command.
func (c *Ctx) ErrArity() { c.W.Error(errWrongArgs(c.Cmd.Name)) }

// ErrSyntax writes "ERR syntax error".
func (c *Ctx) ErrSyntax() { c.W.Error(errSyntax) }

// ErrWrongType writes the WRONGTYPE error.
func (c *Ctx) ErrWrongType() { c.W.Error(errWrongType) }

// Key returns argument i as a key.
func (c *Ctx) Key(i int) string { return string(c.Args[i]) }

// Arg returns argument i as a string.
func (c *Ctx) Arg(i int) string { return string(c.Args[i]) }

// ArgIs reports whether argument i equals s, ignoring case.
func (c *Ctx) ArgIs(i int, s string) bool {
	return len(c.Args[i]) == len(s) && strings.EqualFold(string(c.Args[i]), s)
}

// Int parses argument i as a 64-bit integer, writing Redis's error when it
// is not one.
func (c *Ctx) Int(i int) (int64, bool) {
	v, ok := resp.ParseInt(c.Args[i])
	if !ok {
		c.W.Error(errNotInt)
	}
	return v, ok
}

// Float parses argument i as a float with Redis's rules (no NaN, "inf"
// and "-inf" allowed), writing "ERR value is not a valid float" on failure.
func (c *Ctx) Float(i int) (float64, bool) {
	v, ok := ParseFloat(c.Args[i])
	if !ok {
		c.W.Error(errNotFloat)
	}
	return v, ok
}

// ParseFloat parses a float the way Redis's string2d/strtod accept it:
// no leading or trailing space, no NaN.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 5120 || isSpace(b[0]) || isSpace(b[len(b)-1]) {
		return 0, false
	}
	s := string(b)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			// strtod returns ±HUGE_VAL on overflow and Redis accepts it
			// (errno is not checked), but 0 on underflow is fine too.
			if math.IsInf(v, 0) {
				return 0, false
			}
			return v, true
		}
		return 0, false
	}
	if math.IsNaN(v) {
		return 0, false
	}
	// Go accepts forms strtod does not ("0x1p-2" is accepted by both,
	// "1_000" only by Go).
	if strings.ContainsRune(s, '_') {
		return 0, false
	}
	return v, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// Lookup returns the entry of key for reading, or nil; it counts a
// keyspace hit or miss and updates the key's access time.
func (c *Ctx) Lookup(key string) *keyspace.Entry {
	e := c.DB.Lookup(key, c.Now)
	if e == nil {
		c.E.stats.keyspaceMisses++
		c.E.notifyMiss(key)
		return nil
	}
	c.E.stats.keyspaceHits++
	c.E.touch(e, c.Now)
	return e
}

// LookupWrite returns the entry of key for a write, or nil.
func (c *Ctx) LookupWrite(key string) *keyspace.Entry {
	e := c.DB.Lookup(key, c.Now)
	if e != nil {
		c.E.touch(e, c.Now)
	}
	return e
}

// Modified records that the command changed key: it invalidates WATCHes on
// it, wakes clients blocked on it, and counts a change (Redis's
// signalModifiedKey plus server.dirty). Call it once for each key a
// command actually changes, and not for keys it leaves as they were.
func (c *Ctx) Modified(key string) {
	e := c.E
	e.keyModified(key)
	e.changed(c, key)
	e.dirty++
	if e.log != nil && !e.replaying {
		e.fx.keys = append(e.fx.keys, key)
	}
}

// Block suspends the client until one of keys is modified or timeoutMs
// (an absolute Unix millisecond time, 0 for never) passes; then the command
// runs again from the start. onTimeout writes the reply sent when time runs
// out. Inside MULTI/EXEC a blocking command cannot wait, and times out at
// once, as in Redis. The handler must return right after calling Block
// without writing a reply.
func (c *Ctx) Block(keys []string, timeoutMs int64, onTimeout func(w *resp.Writer)) {
	if c.inExec {
		onTimeout(c.W)
		return
	}
	if c.reprocessing {
		c.blockedAgain = true
		return
	}
	c.E.block(c.C, keys, timeoutMs, onTimeout, c.Cmd, c.Args)
}

// Timeout parses a blocking command's timeout argument (seconds, may be
// fractional) into an absolute deadline in Unix ms, 0 meaning forever. It
// follows Redis 7.0's getTimeoutFromObjectOrReply: the value is read as a
// long double, so "inf" and 1e400 parse; milliseconds are rounded up; a
// value whose milliseconds do not fit in 64 bits wraps negative in C, so
// Redis calls it negative, and so does Mnemo.
func (c *Ctx) Timeout(i int) (int64, bool) {
	s := string(c.Args[i])
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		ne, ok := err.(*strconv.NumError)
		if !ok || ne.Err != strconv.ErrRange {
			c.W.Error(errTimeoutNotFloat)
			return 0, false
		}
		if v == 0 {
			// Below float64's range but not long double's: a tiny
			// positive (or negative) timeout.
			v = math.SmallestNonzeroFloat64
			if strings.HasPrefix(s, "-") {
				v = -v
			}
		}
	}
	if math.IsNaN(v) || len(s) == 0 || isSpace(s[0]) {
		c.W.Error(errTimeoutNotFloat)
		return 0, false
	}
	ms := math.Ceil(v * 1000)
	if ms < 0 || ms >= math.MaxInt64 {
		c.W.Error(errTimeoutNegative)
		return 0, false
	}
	if ms == 0 {
		return 0, true
	}
	if int64(ms) > math.MaxInt64-c.Now {
		return math.MaxInt64, true
	}
	return c.Now + int64(ms), true
}
