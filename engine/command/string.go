package command

import (
	"fmt"
	"math"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("get", getCmd)
	register("set", setCmd)
	register("setnx", setnxCmd)
	register("setex", setexCmd)
	register("psetex", psetexCmd)
	register("getex", getexCmd)
	register("getdel", getdelCmd)
	register("getset", getsetCmd)
	register("mget", mgetCmd)
	register("mset", msetCmd)
	register("msetnx", msetnxCmd)
	register("append", appendCmd)
	register("strlen", strlenCmd)
	register("getrange", getrangeCmd)
	register("substr", getrangeCmd)
	register("setrange", setrangeCmd)
	register("incr", incrCmd)
	register("decr", decrCmd)
	register("incrby", incrbyCmd)
	register("decrby", decrbyCmd)
	register("incrbyfloat", incrbyfloatCmd)
	register("lcs", lcsCmd)
}

// Error texts of the string commands (errors.go holds the shared ones).
const (
	errOffsetRange    = "ERR offset is out of range"
	errDecrOverflow   = "ERR decrement would overflow"
	errIncrNaN        = "ERR increment would produce NaN or Infinity"
	errLCSNotString   = "ERR The specified keys must contain string values"
	errLCSLenAndIdx   = "ERR If you want both the length and indexes, please just use IDX."
	errLCSTooLong     = "ERR String too long for LCS"
	errLCSMemoryLimit = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)

// lookupString returns key's string value for reading, nil if the key does
// not exist, and ok=false (after writing WRONGTYPE) if it holds another
// type.
func (c *Ctx) lookupString(key string) (s *keyspace.String, ok bool) {
	e := c.Lookup(key)
	if e == nil {
		return nil, true
	}
	s, ok = e.Value.(*keyspace.String)
	if !ok {
		c.ErrWrongType()
	}
	return s, ok
}

// lookupStringWrite is lookupString for commands that change the value.
func (c *Ctx) lookupStringWrite(key string) (s *keyspace.String, ok bool) {
	e := c.LookupWrite(key)
	if e == nil {
		return nil, true
	}
	s, ok = e.Value.(*keyspace.String)
	if !ok {
		c.ErrWrongType()
	}
	return s, ok
}

func getCmd(c *Ctx) {
	s, ok := c.lookupString(c.Key(1))
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	c.W.Bulk(s.B)
}

// Expiry units of SET, GETEX, SETEX and PSETEX.
const (
	unitNone = iota
	unitEX   // relative seconds
	unitPX   // relative milliseconds
	unitEXAT // absolute Unix seconds
	unitPXAT // absolute Unix milliseconds
)

// strOpts are the parsed options of SET and GETEX.
type strOpts struct {
	nx, xx, get, keepTTL, persist bool
	// unit is the expiry option given (unitNone for none) and expire its
	// unparsed argument: Redis reads the number only after every option
	// was accepted, so a syntax error wins over a bad number.
	unit   int
	expire []byte
}

// parseStrOpts parses SET's options (or GETEX's when getex is set) from
// argument from on, with the exact compatibility rules of Redis's
// parseExtendedStringArgumentsOrReply: an option may repeat, but not
// combine with one it excludes.
func parseStrOpts(c *Ctx, from int, getex bool) (strOpts, bool) {
	var o strOpts
	for i := from; i < len(c.Args); i++ {
		hasNext := i+1 < len(c.Args)
		exp := o.unit != unitNone
		switch {
		case !getex && c.ArgIs(i, "NX") && !o.xx:
			o.nx = true
		case !getex && c.ArgIs(i, "XX") && !o.nx:
			o.xx = true
		case !getex && c.ArgIs(i, "GET"):
			o.get = true
		case !getex && c.ArgIs(i, "KEEPTTL") && !exp:
			o.keepTTL = true
		case getex && c.ArgIs(i, "PERSIST") && !exp:
			o.persist = true
		case hasNext && !o.keepTTL && !o.persist && expUnit(c, i) != unitNone &&
			(!exp || o.unit == expUnit(c, i)):
			o.unit = expUnit(c, i)
			i++
			o.expire = c.Args[i]
		default:
			c.ErrSyntax()
			return o, false
		}
	}
	return o, true
}

// expUnit returns the expiry unit argument i names, or unitNone.
func expUnit(c *Ctx, i int) int {
	switch {
	case c.ArgIs(i, "EX"):
		return unitEX
	case c.ArgIs(i, "PX"):
		return unitPX
	case c.ArgIs(i, "EXAT"):
		return unitEXAT
	case c.ArgIs(i, "PXAT"):
		return unitPXAT
	}
	return unitNone
}

// expireAt turns an expiry argument into an absolute Unix ms time, writing
// Redis's error when it is not a positive integer or the time overflows
// (getExpireMillisecondsOrReply).
func expireAt(c *Ctx, arg []byte, unit int) (int64, bool) {
	v, ok := parseIntArg(arg)
	if !ok {
		c.Error(errNotInt)
		return 0, false
	}
	if v <= 0 || ((unit == unitEX || unit == unitEXAT) && v > maxInt64/1000) {
		c.Error(errExpireTime(c))
		return 0, false
	}
	if unit == unitEX || unit == unitEXAT {
		v *= 1000
	}
	if unit == unitEX || unit == unitPX {
		if v > maxInt64-c.Now {
			c.Error(errExpireTime(c))
			return 0, false
		}
		v += c.Now
	}
	return v, true
}

// errExpireTime is the invalid expire time error of the running command.
func errExpireTime(c *Ctx) string { return fmt.Sprintf(errInvalidExpire, c.Cmd.Name) }

const maxInt64 = 1<<63 - 1

// setReply selects the replies of the SET family: what a successful set
// and an aborted one (NX or XX not met) answer.
type setReply int

const (
	replyOKNull  setReply = iota // SET: +OK or null
	replyOneZero                 // SETNX: 1 or 0
)

func setCmd(c *Ctx) {
	o, ok := parseStrOpts(c, 3, false)
	if !ok {
		return
	}
	setGeneric(c, &o, c.Args[2], replyOKNull)
}

func setnxCmd(c *Ctx) {
	setGeneric(c, &strOpts{nx: true}, c.Args[2], replyOneZero)
}

func setexCmd(c *Ctx) {
	setGeneric(c, &strOpts{unit: unitEX, expire: c.Args[2]}, c.Args[3], replyOKNull)
}

func psetexCmd(c *Ctx) {
	setGeneric(c, &strOpts{unit: unitPX, expire: c.Args[2]}, c.Args[3], replyOKNull)
}

// setGeneric is Redis's setGenericCommand: it stores val under argument 1
// as o asks. It is GET's twin on the hot path, so the plain SET k v case
// costs one lookup and the value's copy.
func setGeneric(c *Ctx, o *strOpts, val []byte, r setReply) {
	key := c.Key(1)
	var at int64
	if o.unit != unitNone {
		var ok bool
		if at, ok = expireAt(c, o.expire, o.unit); !ok {
			return
		}
	}
	var e *keyspace.Entry
	if o.get {
		// The old value is sent before the key changes; the reply
		// buffer holds a copy, so replacing the value is safe.
		e = c.Lookup(key)
		if e == nil {
			c.W.Null()
		} else if s, isStr := e.Value.(*keyspace.String); isStr {
			c.W.Bulk(s.B)
		} else {
			c.ErrWrongType()
			return
		}
	} else {
		e = c.LookupWrite(key)
	}
	if (o.nx && e != nil) || (o.xx && e == nil) {
		switch {
		case o.get:
		case r == replyOneZero:
			c.W.Int(0)
		default:
			c.W.Null()
		}
		return
	}
	if old, isStr := valueOf[*keyspace.String](e); isStr && cap(old.B) >= len(val) && cap(old.B) <= 2*len(val)+64 {
		// Overwriting a string: reuse its buffer. Nothing aliases a
		// stored value (replies and log effects copy), and sessions and
		// counters are overwritten far more often than created.
		old.B = append(old.B[:0], val...)
		old.Raw, old.NoInt, old.Copied = false, false, false
		if !o.keepTTL && e.ExpireAt != 0 {
			c.DB.SetExpire(key, e, 0)
		}
	} else {
		v := keyspace.NewString(val)
		if o.keepTTL {
			e = c.DB.SetKeepTTL(key, v)
		} else {
			e = c.DB.Set(key, v)
		}
	}
	e.Access = c.Now
	if at != 0 {
		c.DB.SetExpire(key, e, at)
	}
	c.Modified(key)
	// The effect is unconditional (it is only logged because the key was
	// set) and its expiry absolute.
	switch {
	case at != 0:
		c.Effect(bSET, c.Args[1], val, bPXAT, fxInt(at))
	case o.keepTTL:
		c.Effect(bSET, c.Args[1], val, bKEEPTTL)
	default:
		c.Effect(bSET, c.Args[1], val)
	}
	switch {
	case o.get:
	case r == replyOneZero:
		c.W.Int(1)
	default:
		c.W.OK()
	}
}

func getexCmd(c *Ctx) {
	o, ok := parseStrOpts(c, 2, true)
	if !ok {
		return
	}
	key := c.Key(1)
	e := c.Lookup(key)
	if e == nil {
		// Like Redis, a missing key wins over a bad expiry time.
		c.W.Null()
		return
	}
	s, ok := e.Value.(*keyspace.String)
	if !ok {
		c.ErrWrongType()
		return
	}
	var at int64
	if o.unit != unitNone {
		if at, ok = expireAt(c, o.expire, o.unit); !ok {
			return
		}
	}
	c.W.Bulk(s.B)
	switch {
	case (o.unit == unitEXAT || o.unit == unitPXAT) && at <= c.Now:
		c.DB.Delete(key)
		c.Modified(key)
		c.Effect(bDEL, c.Args[1])
	case o.unit != unitNone:
		c.DB.SetExpire(key, e, at)
		c.Modified(key)
		c.Effect(bPEXPIREAT, c.Args[1], fxInt(at))
	case o.persist && e.ExpireAt != 0:
		c.DB.SetExpire(key, e, 0)
		c.Modified(key)
		c.Effect(bPERSIST, c.Args[1])
	}
}

func getdelCmd(c *Ctx) {
	key := c.Key(1)
	s, ok := c.lookupString(key)
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	c.W.Bulk(s.B)
	c.DB.Delete(key)
	c.Modified(key)
}

func getsetCmd(c *Ctx) {
	key := c.Key(1)
	s, ok := c.lookupString(key)
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
	} else {
		c.W.Bulk(s.B)
	}
	e := c.DB.Set(key, keyspace.NewString(c.Args[2]))
	e.Access = c.Now
	c.Modified(key)
}

func mgetCmd(c *Ctx) {
	c.W.Array(len(c.Args) - 1)
	for i := 1; i < len(c.Args); i++ {
		e := c.Lookup(c.Key(i))
		if e == nil {
			c.W.Null()
			continue
		}
		if s, ok := e.Value.(*keyspace.String); ok {
			c.W.Bulk(s.B)
		} else {
			c.W.Null()
		}
	}
}

func msetCmd(c *Ctx) {
	if len(c.Args)%2 != 1 {
		c.ErrArity()
		return
	}
	msetAll(c)
	c.W.OK()
}

func msetnxCmd(c *Ctx) {
	if len(c.Args)%2 != 1 {
		c.ErrArity()
		return
	}
	for i := 1; i < len(c.Args); i += 2 {
		if c.LookupWrite(c.Key(i)) != nil {
			c.W.Int(0)
			return
		}
	}
	msetAll(c)
	c.W.Int(1)
}

// msetAll stores every key/value pair of MSET's arguments, the last value
// winning for a repeated key.
func msetAll(c *Ctx) {
	for i := 1; i < len(c.Args); i += 2 {
		key := c.Key(i)
		e := c.DB.Set(key, keyspace.NewString(c.Args[i+1]))
		e.Access = c.Now
		c.Modified(key)
	}
}

func appendCmd(c *Ctx) {
	key := c.Key(1)
	s, ok := c.lookupStringWrite(key)
	if !ok {
		return
	}
	var n int
	if s == nil {
		c.DB.Set(key, keyspace.NewString(c.Args[2])).Access = c.Now
		n = len(c.Args[2])
	} else {
		if !c.checkStringLength(int64(len(s.B)), int64(len(c.Args[2]))) {
			return
		}
		n = s.Append(c.Args[2])
	}
	c.Modified(key)
	c.W.Int(int64(n))
}

// checkStringLength writes Redis's error and returns false when a string
// of size bytes grown by more would exceed proto-max-bulk-len.
func (c *Ctx) checkStringLength(size, more int64) bool {
	total := size + more
	if total < size || total > c.E.cfg.Int("proto-max-bulk-len") {
		c.Error(errStringTooLong)
		return false
	}
	return true
}

func strlenCmd(c *Ctx) {
	s, ok := c.lookupString(c.Key(1))
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(len(s.B)))
}

func getrangeCmd(c *Ctx) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	end, ok := c.Int(3)
	if !ok {
		return
	}
	s, ok := c.lookupString(c.Key(1))
	if !ok {
		return
	}
	if s == nil {
		c.W.Bulk(nil)
		return
	}
	c.W.Bulk(s.Range(start, end))
}

func setrangeCmd(c *Ctx) {
	offset, ok := c.Int(2)
	if !ok {
		return
	}
	if offset < 0 {
		c.Error(errOffsetRange)
		return
	}
	key, val := c.Key(1), c.Args[3]
	s, ok := c.lookupStringWrite(key)
	if !ok {
		return
	}
	if s == nil {
		if len(val) == 0 {
			c.W.Int(0)
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
		s = &keyspace.String{}
		c.DB.Set(key, s).Access = c.Now
	} else {
		if len(val) == 0 {
			c.W.Int(int64(len(s.B)))
			return
		}
		if !c.checkStringLength(offset, int64(len(val))) {
			return
		}
	}
	n := s.SetRange(int(offset), val)
	c.Modified(key)
	c.W.Int(int64(n))
}

func incrCmd(c *Ctx) { incrDecr(c, 1) }

func decrCmd(c *Ctx) { incrDecr(c, -1) }

func incrbyCmd(c *Ctx) {
	if by, ok := c.Int(2); ok {
		incrDecr(c, by)
	}
}

func decrbyCmd(c *Ctx) {
	by, ok := c.Int(2)
	if !ok {
		return
	}
	if by == math.MinInt64 {
		c.Error(errDecrOverflow)
		return
	}
	incrDecr(c, -by)
}

// incrDecr adds by to the integer held by argument 1, a missing key
// counting as 0. The value is rewritten in place and keeps its TTL.
func incrDecr(c *Ctx, by int64) {
	key := c.Key(1)
	s, ok := c.lookupStringWrite(key)
	if !ok {
		return
	}
	var cur int64
	if s != nil {
		if cur, ok = s.Int(); !ok {
			c.Error(errNotInt)
			return
		}
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		c.Error(errOverflow)
		return
	}
	cur += by
	if s != nil {
		s.SetInt(cur)
	} else {
		c.DB.Set(key, keyspace.NewInt(cur)).Access = c.Now
	}
	c.Modified(key)
	c.W.Int(cur)
}

func incrbyfloatCmd(c *Ctx) {
	key := c.Key(1)
	s, ok := c.lookupStringWrite(key)
	if !ok {
		return
	}
	cur := ldNew()
	if s != nil {
		if cur, ok = ldParse(s.B); !ok {
			c.Error(errNotFloat)
			return
		}
	}
	by, ok := ldParse(c.Args[2])
	if !ok {
		c.Error(errNotFloat)
		return
	}
	if cur.IsInf() || by.IsInf() {
		// inf+x is inf and inf-inf is NaN: either way Redis refuses.
		c.Error(errIncrNaN)
		return
	}
	sum := ldNew().Add(cur, by)
	if ldOverflows(sum) {
		c.Error(errIncrNaN)
		return
	}
	v := &keyspace.String{B: []byte(ldFormatHuman(sum)), NoInt: true}
	c.DB.SetKeepTTL(key, v).Access = c.Now
	c.Modified(key)
	c.Effect(bSET, c.Args[1], v.B, bKEEPTTL)
	c.W.Bulk(v.B)
}

// lcsOpts are LCS's parsed options.
type lcsOpts struct {
	getLen, getIdx, withMatchLen bool
	minMatchLen                  int64
}

// lcsRange is one matched range of LCS IDX: a[aStart..aEnd] equals
// b[bStart..bEnd].
type lcsRange struct{ aStart, aEnd, bStart, bEnd uint32 }

func lcsCmd(c *Ctx) {
	// Redis looks the keys up and checks their types before it reads the
	// options.
	a, b, ok := lcsOperand(c, 1), lcsOperand(c, 2), true
	if a == nil || b == nil {
		c.Error(errLCSNotString)
		return
	}
	var o lcsOpts
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "IDX"):
			o.getIdx = true
		case c.ArgIs(i, "LEN"):
			o.getLen = true
		case c.ArgIs(i, "WITHMATCHLEN"):
			o.withMatchLen = true
		case c.ArgIs(i, "MINMATCHLEN") && i+1 < len(c.Args):
			i++
			if o.minMatchLen, ok = c.Int(i); !ok {
				return
			}
			o.minMatchLen = max(o.minMatchLen, 0)
		default:
			c.ErrSyntax()
			return
		}
	}
	if o.getIdx && o.getLen {
		c.Error(errLCSLenAndIdx)
		return
	}
	if int64(len(a)) >= math.MaxUint32-1 || int64(len(b)) >= math.MaxUint32-1 {
		c.Error(errLCSTooLong)
		return
	}
	if cells := (int64(len(a)) + 1) * (int64(len(b)) + 1); cells*4 > c.E.cfg.Int("proto-max-bulk-len") {
		c.Error(errLCSMemoryLimit)
		return
	}
	lcs, ranges := computeLCS(a, b, o.minMatchLen, !o.getLen || o.getIdx)
	switch {
	case o.getIdx:
		c.W.Map(2)
		c.W.BulkString("matches")
		c.W.Array(len(ranges))
		for _, r := range ranges {
			if o.withMatchLen {
				c.W.Array(3)
			} else {
				c.W.Array(2)
			}
			c.W.Array(2)
			c.W.Int(int64(r.aStart))
			c.W.Int(int64(r.aEnd))
			c.W.Array(2)
			c.W.Int(int64(r.bStart))
			c.W.Int(int64(r.bEnd))
			if o.withMatchLen {
				c.W.Int(int64(r.aEnd - r.aStart + 1))
			}
		}
		c.W.BulkString("len")
		c.W.Int(int64(len(lcs)))
	case o.getLen:
		c.W.Int(int64(len(lcs)))
	default:
		c.W.Bulk(lcs)
	}
}

// lcsOperand returns the string LCS compares for argument i: the empty
// string for a missing key, nil for a key of another type.
func lcsOperand(c *Ctx, i int) []byte {
	e := c.Lookup(c.Key(i))
	if e == nil {
		return []byte{}
	}
	if s, ok := e.Value.(*keyspace.String); ok {
		return s.B
	}
	return nil
}

// computeLCS returns a longest common subsequence of a and b, and, when
// walk is set, the matched ranges of at least minLen bytes, from the end
// of the strings backwards, as Redis's lcsCommand emits them. Without walk
// only the length is right (the returned slice holds zeros).
func computeLCS(a, b []byte, minLen int64, walk bool) ([]byte, []lcsRange) {
	alen, blen := uint32(len(a)), uint32(len(b))
	cols := blen + 1
	table := make([]uint32, (int(alen)+1)*int(cols))
	at := func(i, j uint32) uint32 { return table[int(i)*int(cols)+int(j)] }
	for i := uint32(1); i <= alen; i++ {
		for j := uint32(1); j <= blen; j++ {
			v := max(at(i-1, j), at(i, j-1))
			if a[i-1] == b[j-1] {
				v = at(i-1, j-1) + 1
			}
			table[int(i)*int(cols)+int(j)] = v
		}
	}
	idx := at(alen, blen)
	result := make([]byte, idx)
	if !walk {
		return result, nil
	}
	var ranges []lcsRange
	// cur.aStart == alen means no range is open.
	cur := lcsRange{aStart: alen}
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if cur.aStart == alen {
				cur = lcsRange{i - 1, i - 1, j - 1, j - 1}
			} else if cur.aStart == i && cur.bStart == j {
				cur.aStart--
				cur.bStart--
			} else {
				emit = true
			}
			if cur.aStart == 0 || cur.bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			if cur.aStart != alen {
				emit = true
			}
		}
		if emit {
			if n := int64(cur.aEnd - cur.aStart + 1); minLen == 0 || n >= minLen {
				ranges = append(ranges, cur)
			}
			cur.aStart = alen
		}
	}
	return result, ranges
}

// valueOf returns the entry's value as a T, if it holds one.
func valueOf[T keyspace.Value](e *keyspace.Entry) (T, bool) {
	var zero T
	if e == nil {
		return zero, false
	}
	v, ok := e.Value.(T)
	return v, ok
}
