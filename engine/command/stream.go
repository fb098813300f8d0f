package command

import (
	"strconv"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// The stream commands that add, read and remove entries. Consumer groups
// are in stream_group.go, XREAD and XREADGROUP in stream_read.go, XINFO in
// stream_info.go.

func init() {
	register("xadd", xaddCmd)
	register("xrange", func(c *Ctx) { xrangeCmd(c, false) })
	register("xrevrange", func(c *Ctx) { xrangeCmd(c, true) })
	register("xlen", xlenCmd)
	register("xdel", xdelCmd)
	register("xtrim", xtrimCmd)
	register("xsetid", xsetidCmd)
}

// Stream error texts, as Redis 7.0 sends them.
const (
	errStreamID           = "ERR Invalid stream ID specified as stream command argument"
	errXaddTooSmall       = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errXaddZero           = "ERR The ID specified in XADD must be greater than 0-0"
	errXaddExhausted      = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errXaddTooLarge       = "ERR Elements are too large to be stored"
	errMaxlenNegative     = "ERR The MAXLEN argument must be >= 0."
	errXLimitNegative     = "ERR The LIMIT argument must be >= 0."
	errMaxlenAndMinid     = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errLimitNoStrategy    = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errXtrimNoStrategy    = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errLimitNoApprox      = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errIntervalStart      = "ERR invalid start ID for the interval"
	errIntervalEnd        = "ERR invalid end ID for the interval"
	errXsetidEntriesAdded = "ERR entries_added must be positive"
	errXsetidMaxDeleted   = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	errXsetidTop          = "ERR The ID specified in XSETID is smaller than the target stream top item"
	errXsetidLength       = "ERR The entries_added specified in XSETID is smaller than the target stream length"
)

// streamMaxElements is STREAM_LISTPACK_MAX_SIZE: the most bytes of fields
// and values one entry may have.
const streamMaxElements = 1 << 30

// Effect words of the stream commands.
var (
	bXADD           = []byte("XADD")
	bXTRIM          = []byte("XTRIM")
	bXCLAIM         = []byte("XCLAIM")
	bXGROUP         = []byte("XGROUP")
	bSETID          = []byte("SETID")
	bCREATECONSUMER = []byte("CREATECONSUMER")
	bENTRIESREAD    = []byte("ENTRIESREAD")
	bMAXLEN         = []byte("MAXLEN")
	bEqual          = []byte("=")
	bTIME           = []byte("TIME")
	bRETRYCOUNT     = []byte("RETRYCOUNT")
	bFORCE          = []byte("FORCE")
	bJUSTID         = []byte("JUSTID")
	bLASTID         = []byte("LASTID")
	bZero           = []byte("0")
)

// lookupStream returns key's stream (nil when missing), writing WRONGTYPE
// and returning ok=false for another type.
func lookupStream(c *Ctx, key string, write bool) (s *keyspace.Stream, ok bool) {
	var e *keyspace.Entry
	if write {
		e = c.LookupWrite(key)
	} else {
		e = c.Lookup(key)
	}
	if e == nil {
		return nil, true
	}
	s, ok = e.Value.(*keyspace.Stream)
	if !ok {
		c.ErrWrongType()
	}
	return s, ok
}

// string2ull is Redis's string2ull: a strict integer first, then what
// strtoull accepts (leading blanks, a sign, no overflow).
func string2ull(s string) (uint64, bool) {
	if v, ok := resp.ParseInt([]byte(s)); ok {
		return uint64(v), v >= 0
	}
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i:], 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// idSyntax is how an ID argument may be written.
type idSyntax struct {
	strict  bool // "-" and "+" are not IDs
	seqStar bool // "ms-*" is allowed (XADD)
}

// parseID parses a stream ID as streamGenericParseIDOrReply does: "-",
// "+", "ms" (the sequence is missingSeq) or "ms-seq". seqGiven is false
// for "ms-*". It writes the error and returns ok=false when invalid.
func parseID(c *Ctx, b []byte, missingSeq uint64, syn idSyntax) (id keyspace.StreamID, seqGiven, ok bool) {
	id, seqGiven, ok = parseIDText(string(b), missingSeq, syn)
	if !ok && c != nil {
		c.Error(errStreamID)
	}
	return id, seqGiven, ok
}

func parseIDText(s string, missingSeq uint64, syn idSyntax) (keyspace.StreamID, bool, bool) {
	if len(s) > 127 {
		return keyspace.StreamID{}, false, false
	}
	// Redis reads the argument as a C string.
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "-":
		return keyspace.StreamID{}, true, !syn.strict
	case "+":
		return keyspace.MaxStreamID, true, !syn.strict
	}
	msPart, seqPart, dash := strings.Cut(s, "-")
	ms, ok := string2ull(msPart)
	if !ok {
		return keyspace.StreamID{}, false, false
	}
	if !dash {
		return keyspace.StreamID{Ms: ms, Seq: missingSeq}, true, true
	}
	if syn.seqStar && seqPart == "*" {
		return keyspace.StreamID{Ms: ms}, false, true
	}
	seq, ok := string2ull(seqPart)
	if !ok {
		return keyspace.StreamID{}, false, false
	}
	return keyspace.StreamID{Ms: ms, Seq: seq}, true, true
}

// parseIntervalID parses a range bound, where "(" makes it exclusive
// (streamParseIntervalIDOrReply); exclusive bounds are strict IDs.
func parseIntervalID(c *Ctx, b []byte, missingSeq uint64) (id keyspace.StreamID, excl, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, _, ok = parseID(c, b[1:], missingSeq, idSyntax{strict: true})
		return id, true, ok
	}
	id, _, ok = parseID(c, b, missingSeq, idSyntax{})
	return id, false, ok
}

// parseRange parses a start and end bound, applying exclusivity.
func parseRange(c *Ctx, startArg, endArg []byte) (start, end keyspace.StreamID, ok bool) {
	start, excl, ok := parseIntervalID(c, startArg, 0)
	if !ok {
		return start, end, false
	}
	if excl {
		if start, ok = start.Incr(); !ok {
			c.Error(errIntervalStart)
			return start, end, false
		}
	}
	end, excl, ok = parseIntervalID(c, endArg, ^uint64(0))
	if !ok {
		return start, end, false
	}
	if excl {
		if end, ok = end.Decr(); !ok {
			c.Error(errIntervalEnd)
			return start, end, false
		}
	}
	return start, end, true
}

func fxID(id keyspace.StreamID) []byte { return id.Append(nil) }

// writeStreamID writes an ID as a bulk string.
func writeStreamID(w *resp.Writer, id keyspace.StreamID) {
	var buf [48]byte
	w.Bulk(id.Append(buf[:0]))
}

// writeEntry writes an entry as [id, [field, value, ...]].
func writeEntry(w *resp.Writer, e keyspace.StreamEntry) {
	w.Array(2)
	writeStreamID(w, e.ID)
	w.Array(len(e.Fields))
	for _, f := range e.Fields {
		w.BulkString(f)
	}
}

// rangeEntries collects up to count (0: all) live entries in [start, end].
func rangeEntries(s *keyspace.Stream, start, end keyspace.StreamID, rev bool, count int64) []keyspace.StreamEntry {
	var out []keyspace.StreamEntry
	s.Range(start, end, rev, func(e keyspace.StreamEntry) bool {
		out = append(out, e)
		return count == 0 || int64(len(out)) < count
	})
	return out
}

func writeEntries(w *resp.Writer, es []keyspace.StreamEntry) {
	w.Array(len(es))
	for _, e := range es {
		writeEntry(w, e)
	}
}

// addTrimArgs are XADD's and XTRIM's parsed options
// (streamParseAddOrTrimArgsOrReply).
type addTrimArgs struct {
	trim        keyspace.TrimArgs
	limitGiven  bool
	noMkstream  bool
	id          keyspace.StreamID
	idGiven     bool
	seqGiven    bool
	idIndex     int // XADD: the ID argument
	strategyArg int // the MAXLEN/MINID keyword
	valueArg    int // its threshold
}

// parseAddTrim parses options from argument 2; for XADD it stops at the ID
// and returns its index. It writes the error and returns -1 when invalid.
func parseAddTrim(c *Ctx, a *addTrimArgs, xadd bool) int {
	a.seqGiven = true
	i := 2
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		opt := c.Args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			a.idIndex = i
			return a.finish(c, xadd, i)
		case c.ArgIs(i, "MAXLEN") && more > 0, c.ArgIs(i, "MINID") && more > 0:
			if a.trim.Strategy != 0 {
				c.Error(errMaxlenAndMinid)
				return -1
			}
			maxlen := c.ArgIs(i, "MAXLEN")
			a.strategyArg = i
			a.trim.Approx = false
			if next := c.Args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.trim.Approx = next[0] == '~'
				i++
			}
			a.valueArg = i + 1
			if maxlen {
				v, ok := c.Int(i + 1)
				if !ok {
					return -1
				}
				if v < 0 {
					c.Error(errMaxlenNegative)
					return -1
				}
				a.trim.MaxLen = v
				a.trim.Strategy = keyspace.TrimMaxLen
			} else {
				id, _, ok := parseID(c, c.Args[i+1], 0, idSyntax{strict: true})
				if !ok {
					return -1
				}
				a.trim.MinID = id
				a.trim.Strategy = keyspace.TrimMinID
			}
			i++
		case c.ArgIs(i, "LIMIT") && more > 0:
			v, ok := c.Int(i + 1)
			if !ok {
				return -1
			}
			if v < 0 {
				c.Error(errXLimitNegative)
				return -1
			}
			a.trim.Limit = v
			a.limitGiven = true
			i++
		case xadd && c.ArgIs(i, "NOMKSTREAM"):
			a.noMkstream = true
		case xadd:
			id, seqGiven, ok := parseID(c, opt, 0, idSyntax{strict: true, seqStar: true})
			if !ok {
				return -1
			}
			a.id, a.idGiven, a.seqGiven, a.idIndex = id, true, seqGiven, i
			return a.finish(c, xadd, i)
		default:
			c.ErrSyntax()
			return -1
		}
	}
	return a.finish(c, xadd, i)
}

func (a *addTrimArgs) finish(c *Ctx, xadd bool, i int) int {
	if a.trim.Limit != 0 && a.trim.Strategy == 0 {
		c.Error(errLimitNoStrategy)
		return -1
	}
	if !xadd && a.trim.Strategy == 0 {
		c.Error(errXtrimNoStrategy)
		return -1
	}
	if a.limitGiven {
		if !a.trim.Approx {
			c.Error(errLimitNoApprox)
			return -1
		}
	} else if a.trim.Approx {
		// Bound the work of an approximate trim to 100 nodes.
		a.trim.Limit = 100 * keyspace.StreamNodeMaxEntries
	} else {
		a.trim.Limit = 0
	}
	return i
}

// trimEffect is the deterministic form of an approximate trim that
// removed entries: an exact trim to the length it left, which removes the
// same whole nodes when replayed.
func trimEffect(s *keyspace.Stream) [][]byte {
	return [][]byte{bMAXLEN, bEqual, fxInt(s.Len())}
}

func xaddCmd(c *Ctx) {
	var a addTrimArgs
	i := parseAddTrim(c, &a, true)
	if i < 0 {
		return
	}
	fieldPos := i + 1
	if n := len(c.Args) - fieldPos; n < 2 || n%2 == 1 {
		c.ErrArity()
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.Error(errXaddZero)
		return
	}
	key := c.Key(1)
	s, ok := lookupStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		if a.noMkstream {
			c.W.Null()
			return
		}
	} else if s.LastID == keyspace.MaxStreamID {
		c.Error(errXaddExhausted)
		return
	}
	last := keyspace.StreamID{}
	if s != nil {
		last = s.LastID
	}
	var id keyspace.StreamID
	switch {
	case !a.idGiven:
		id = keyspace.StreamID{Ms: uint64(max(c.Now, 0))}
		if id.Ms <= last.Ms {
			id, _ = last.Incr()
		}
	case !a.seqGiven:
		id = a.id
		if last.Ms == a.id.Ms {
			var ok bool
			if id, ok = last.Incr(); !ok || id.Ms != last.Ms {
				id = last // fails the check below
			}
		}
	default:
		id = a.id
	}
	total := 0
	for _, f := range c.Args[fieldPos:] {
		total += len(f)
	}
	if s == nil {
		// Redis creates the key before it appends; the append cannot
		// fail on an empty stream with an ID above 0-0.
		s = keyspace.NewStream()
		c.DB.Set(key, s).Access = c.Now
	}
	if id.Compare(s.LastID) <= 0 {
		c.Error(errXaddTooSmall)
		return
	}
	if total > streamMaxElements {
		c.Error(errXaddTooLarge)
		return
	}
	s.Append(id, c.Args[fieldPos:])
	writeStreamID(c.W, id)
	fx := [][]byte{bXADD, []byte(key)}
	if a.trim.Strategy != 0 {
		s.Trim(a.trim)
		if a.trim.Approx {
			fx = append(fx, trimEffect(s)...)
		} else {
			fx = append(fx, c.Args[a.strategyArg], bEqual, c.Args[a.valueArg])
		}
	}
	fx = append(fx, fxID(id))
	fx = append(fx, c.Args[fieldPos:]...)
	c.Effect(fx...)
	c.Modified(key)
}

func xrangeCmd(c *Ctx, rev bool) {
	startArg, endArg := c.Args[2], c.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, end, ok := parseRange(c, startArg, endArg)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if c.ArgIs(j, "COUNT") && j+1 < len(c.Args) {
			v, ok := c.Int(j + 1)
			if !ok {
				return
			}
			count = max(v, 0)
			j++
			continue
		}
		c.ErrSyntax()
		return
	}
	s, ok := lookupStream(c, c.Key(1), false)
	if !ok {
		return
	}
	if s == nil {
		c.W.Array(0)
		return
	}
	if count == 0 {
		c.W.NullArray()
		return
	}
	writeEntries(c.W, rangeEntries(s, start, end, rev, max(count, 0)))
}

func xlenCmd(c *Ctx) {
	s, ok := lookupStream(c, c.Key(1), false)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(s.Len())
}

func xdelCmd(c *Ctx) {
	key := c.Key(1)
	s, ok := lookupStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	ids := make([]keyspace.StreamID, 0, len(c.Args)-2)
	for j := 2; j < len(c.Args); j++ {
		id, _, ok := parseID(c, c.Args[j], 0, idSyntax{strict: true})
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	var deleted int64
	first := false
	for _, id := range ids {
		if s.Delete(id) {
			if id == s.FirstID {
				first = true
			}
			if id.Compare(s.MaxDeletedID) > 0 {
				s.MaxDeletedID = id
			}
			deleted++
		}
	}
	if deleted > 0 {
		if s.Len() == 0 {
			s.FirstID = keyspace.StreamID{}
		} else if first {
			s.RefreshFirstID()
		}
		c.Modified(key)
	}
	c.W.Int(deleted)
}

func xtrimCmd(c *Ctx) {
	var a addTrimArgs
	if parseAddTrim(c, &a, false) < 0 {
		return
	}
	key := c.Key(1)
	s, ok := lookupStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	deleted := s.Trim(a.trim)
	if deleted > 0 {
		if a.trim.Approx {
			c.Effect(append([][]byte{bXTRIM, []byte(key)}, trimEffect(s)...)...)
		}
		c.Modified(key)
	}
	c.W.Int(deleted)
}

func xsetidCmd(c *Ctx) {
	id, _, ok := parseID(c, c.Args[2], 0, idSyntax{strict: true})
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel keyspace.StreamID
	for i := 3; i < len(c.Args); i += 2 {
		more := len(c.Args) - 1 - i
		switch {
		case c.ArgIs(i, "ENTRIESADDED") && more > 0:
			v, ok := c.Int(i + 1)
			if !ok {
				return
			}
			if v < 0 {
				c.Error(errXsetidEntriesAdded)
				return
			}
			entriesAdded = v
		case c.ArgIs(i, "MAXDELETEDID") && more > 0:
			v, _, ok := parseID(c, c.Args[i+1], 0, idSyntax{strict: true})
			if !ok {
				return
			}
			if id.Compare(v) < 0 {
				c.Error(errXsetidMaxDeleted)
				return
			}
			maxDel = v
		default:
			c.ErrSyntax()
			return
		}
	}
	key := c.Key(1)
	s, ok := lookupStream(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.Error(errNoSuchKey)
		return
	}
	if s.Len() > 0 {
		if id.Compare(s.LastValidID()) < 0 {
			c.Error(errXsetidTop)
			return
		}
		if entriesAdded != -1 && s.Len() > entriesAdded {
			c.Error(errXsetidLength)
			return
		}
	}
	s.LastID = id
	if entriesAdded != -1 {
		s.EntriesAdded = entriesAdded
	}
	if !maxDel.IsZero() {
		s.MaxDeletedID = maxDel
	}
	c.Modified(key)
	c.W.OK()
}
