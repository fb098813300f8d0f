package command

import (
	"math"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/glob"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("del", delCmd)
	register("unlink", delCmd)
	register("exists", existsCmd)
	register("touch", touchCmd)
	register("type", typeCmd)
	register("expire", func(c *Ctx) { expireGeneric(c, c.Now, true) })
	register("pexpire", func(c *Ctx) { expireGeneric(c, c.Now, false) })
	register("expireat", func(c *Ctx) { expireGeneric(c, 0, true) })
	register("pexpireat", func(c *Ctx) { expireGeneric(c, 0, false) })
	register("ttl", func(c *Ctx) { ttlGeneric(c, false, false) })
	register("pttl", func(c *Ctx) { ttlGeneric(c, true, false) })
	register("expiretime", func(c *Ctx) { ttlGeneric(c, false, true) })
	register("pexpiretime", func(c *Ctx) { ttlGeneric(c, true, true) })
	register("persist", persistCmd)
	register("rename", func(c *Ctx) { renameGeneric(c, false) })
	register("renamenx", func(c *Ctx) { renameGeneric(c, true) })
	register("copy", copyCmd)
	register("keys", keysCmd)
	register("scan", scanCmd)
	register("randomkey", randomkeyCmd)
	register("dbsize", dbsizeCmd)
}

// Error texts of the generic key commands.
const (
	errExpireNXCombo  = "ERR NX and XX, GT or LT options at the same time are not compatible"
	errExpireGTLT     = "ERR GT and LT options at the same time are not compatible"
	errSameObject     = "ERR source and destination objects are the same"
	errDBIndexRange   = "ERR DB index is out of range"
	errCopyOtherDB    = "ERR Copying to another database is not allowed in cluster mode"
	errUnsupportedOpt = "ERR Unsupported option "
	errIntRange       = "ERR value is out of range, value must between -2147483648 and 2147483647"
)

// redisDatabases is the number of databases the reference server has in
// cluster mode too (its default of 16): COPY ... DB n answers "not
// allowed in cluster mode" below it and "out of range" from it on, and
// Mnemo answers alike although it has one database.
const redisDatabases = 16

// lookupNoTouch returns key's entry without updating its access time, as
// Redis's LOOKUP_NOTOUCH reads (TTL, TYPE, EXISTS, OBJECT) do; it still
// counts a keyspace hit or miss.
func (c *Ctx) lookupNoTouch(key string) *keyspace.Entry {
	e := c.DB.Lookup(key, c.Now)
	if e == nil {
		c.E.stats.keyspaceMisses++
	} else {
		c.E.stats.keyspaceHits++
	}
	return e
}

// delCmd serves DEL and UNLINK: Mnemo frees memory through Go's garbage
// collector, so deleting is always as cheap as UNLINK.
func delCmd(c *Ctx) {
	var n int64
	for i := 1; i < len(c.Args); i++ {
		key := c.Key(i)
		// Lookup removes an expired key, which then does not count.
		if c.DB.Lookup(key, c.Now) != nil && c.DB.Delete(key) {
			c.Modified(key)
			n++
		}
	}
	c.W.Int(n)
}

// existsCmd counts the keys that exist, a repeated key once per mention.
func existsCmd(c *Ctx) {
	var n int64
	for i := 1; i < len(c.Args); i++ {
		if c.lookupNoTouch(c.Key(i)) != nil {
			n++
		}
	}
	c.W.Int(n)
}

func touchCmd(c *Ctx) {
	var n int64
	for i := 1; i < len(c.Args); i++ {
		if c.Lookup(c.Key(i)) != nil {
			n++
		}
	}
	c.W.Int(n)
}

func typeCmd(c *Ctx) {
	e := c.lookupNoTouch(c.Key(1))
	if e == nil {
		c.W.Status("none")
		return
	}
	c.W.Status(e.Value.Type())
}

// expireFlags are EXPIRE's NX/XX/GT/LT options.
type expireFlags struct{ nx, xx, gt, lt bool }

func parseExpireFlags(c *Ctx) (expireFlags, bool) {
	var f expireFlags
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "NX"):
			f.nx = true
		case c.ArgIs(i, "XX"):
			f.xx = true
		case c.ArgIs(i, "GT"):
			f.gt = true
		case c.ArgIs(i, "LT"):
			f.lt = true
		default:
			c.Error(errUnsupportedOpt + c.Arg(i))
			return f, false
		}
	}
	if f.nx && (f.xx || f.gt || f.lt) {
		c.Error(errExpireNXCombo)
		return f, false
	}
	if f.gt && f.lt {
		c.Error(errExpireGTLT)
		return f, false
	}
	return f, true
}

// expireGeneric serves EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: argument
// 2 is a time in seconds or milliseconds, added to base (now for the
// relative forms, 0 for the absolute ones). A time already past deletes
// the key.
func expireGeneric(c *Ctx, base int64, seconds bool) {
	f, ok := parseExpireFlags(c)
	if !ok {
		return
	}
	when, ok := c.Int(2)
	if !ok {
		return
	}
	if seconds {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.Error(errExpireTime(c))
			return
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		c.Error(errExpireTime(c))
		return
	}
	when += base
	key := c.Key(1)
	e := c.LookupWrite(key)
	if e == nil {
		c.W.Int(0)
		return
	}
	// cur is the current expiry time, -1 for none (an infinite TTL for
	// GT and LT).
	cur := e.ExpireAt
	if cur == 0 {
		cur = -1
	}
	if (f.nx && cur != -1) || (f.xx && cur == -1) ||
		(f.gt && (when <= cur || cur == -1)) || (f.lt && cur != -1 && when >= cur) {
		c.W.Int(0)
		return
	}
	if when <= c.Now {
		c.DB.Delete(key)
		c.Effect(bDEL, c.Args[1])
	} else {
		c.DB.SetExpire(key, e, when)
		c.Effect(bPEXPIREAT, c.Args[1], fxInt(when))
	}
	c.Modified(key)
	c.W.Int(1)
}

// ttlGeneric serves TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a
// missing key, -1 for no expiry time, else the time left (or the absolute
// time), seconds rounded to the nearest.
func ttlGeneric(c *Ctx, ms, abs bool) {
	e := c.lookupNoTouch(c.Key(1))
	switch {
	case e == nil:
		c.W.Int(-2)
	case e.ExpireAt == 0:
		c.W.Int(-1)
	default:
		t := e.ExpireAt
		if !abs {
			t = max(t-c.Now, 0)
		}
		if !ms {
			t = (t + 500) / 1000
		}
		c.W.Int(t)
	}
}

func persistCmd(c *Ctx) {
	key := c.Key(1)
	e := c.LookupWrite(key)
	if e == nil || e.ExpireAt == 0 {
		c.W.Int(0)
		return
	}
	c.DB.SetExpire(key, e, 0)
	c.Modified(key)
	c.W.Int(1)
}

// renameGeneric serves RENAME and RENAMENX. The value moves with its
// expiry time; renaming a key to itself changes nothing but still needs
// the key to exist.
func renameGeneric(c *Ctx, nx bool) {
	src, dst := c.Key(1), c.Key(2)
	e := c.LookupWrite(src)
	if e == nil {
		c.Error(errNoSuchKey)
		return
	}
	if src == dst {
		if nx {
			c.W.Int(0)
		} else {
			c.W.OK()
		}
		return
	}
	if nx && c.LookupWrite(dst) != nil {
		c.W.Int(0)
		return
	}
	val, exp := e.Value, e.ExpireAt
	c.DB.Delete(src)
	ne := c.DB.Set(dst, val)
	ne.Access = c.Now
	if exp != 0 {
		c.DB.SetExpire(dst, ne, exp)
	}
	c.movedValue(dst, val)
	c.Modified(src)
	c.Modified(dst)
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
}

// copyCmd serves COPY src dst [DB n] [REPLACE]. The copy shares nothing
// with the source (Value.Clone) and keeps its expiry time.
func copyCmd(c *Ctx) {
	replace := false
	db := int64(0)
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "REPLACE"):
			replace = true
		case c.ArgIs(i, "DB") && i+1 < len(c.Args):
			i++
			v, ok := c.Int(i)
			if !ok {
				return
			}
			if v < math.MinInt32 || v > math.MaxInt32 {
				c.Error(errIntRange)
				return
			}
			if v < 0 || v >= redisDatabases {
				c.Error(errDBIndexRange)
				return
			}
			db = v
		default:
			c.ErrSyntax()
			return
		}
	}
	if db != 0 {
		c.Error(errCopyOtherDB)
		return
	}
	src, dst := c.Key(1), c.Key(2)
	if src == dst {
		c.Error(errSameObject)
		return
	}
	e := c.Lookup(src)
	if e == nil {
		c.W.Int(0)
		return
	}
	if c.LookupWrite(dst) != nil && !replace {
		c.W.Int(0)
		return
	}
	ne := c.DB.Set(dst, e.Value.Clone())
	ne.Access = c.Now
	c.movedValue(dst, ne.Value)
	if e.ExpireAt != 0 {
		c.DB.SetExpire(dst, ne, e.ExpireAt)
	}
	c.Modified(dst)
	c.W.Int(1)
}

// keysCmd serves KEYS. Expired keys are left out but not removed, as in
// Redis. A pattern that starts with a literal {hash tag} can only match
// keys of that tag's slot, so only that slot is read.
func keysCmd(c *Ctx) {
	pattern := c.Arg(1)
	all := pattern == "*"
	var keys []string
	visit := func(k string, e *keyspace.Entry) bool {
		if (e.ExpireAt == 0 || e.ExpireAt > c.Now) && (all || glob.Match(pattern, k)) {
			keys = append(keys, k)
		}
		return true
	}
	if slot, ok := patternSlot(pattern); ok {
		c.DB.KeysInSlot(slot, visit)
	} else {
		c.DB.ForEach(visit)
	}
	c.W.BulkStrings(keys)
}

// patternSlot returns the hash slot every key matching pattern is in,
// when the pattern starts with a literal prefix holding a non-empty
// {hash tag}: a matching key then has the same first '{' and '}' and so
// the same tag.
func patternSlot(pattern string) (int, bool) {
	open := -1
	for i := 0; i < len(pattern); i++ {
		switch ch := pattern[i]; {
		case ch == '*' || ch == '?' || ch == '[' || ch == '\\':
			return 0, false
		case ch == '{' && open < 0:
			open = i
		case ch == '}' && open >= 0:
			if i == open+1 {
				return 0, false
			}
			return keyspace.KeySlot(pattern[:i+1]), true
		}
	}
	return 0, false
}

// scanOpts are SCAN's parsed options.
type scanOpts struct {
	count   int64
	match   string
	typ     string
	useGlob bool
}

// parseScanCursor parses a cursor as Redis does with strtoul: an optional
// sign ("-1" wraps around to the largest cursor), then digits; the empty
// string reads as 0.
func parseScanCursor(b []byte) (uint64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil && len(b) > 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func parseScanOpts(c *Ctx, from int) (scanOpts, bool) {
	o := scanOpts{count: 10}
	for i := from; i < len(c.Args); i++ {
		if i+1 >= len(c.Args) {
			c.ErrSyntax()
			return o, false
		}
		switch {
		case c.ArgIs(i, "COUNT"):
			n, ok := c.Int(i + 1)
			if !ok {
				return o, false
			}
			if n < 1 {
				c.ErrSyntax()
				return o, false
			}
			o.count = n
		case c.ArgIs(i, "MATCH"):
			o.match = c.Arg(i + 1)
			o.useGlob = o.match != "*"
		case c.ArgIs(i, "TYPE"):
			o.typ = c.Arg(i + 1)
		default:
			c.ErrSyntax()
			return o, false
		}
		i++
	}
	return o, true
}

// scanCmd serves SCAN; see keyspace.DB.Scan for what the cursor is.
func scanCmd(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[1])
	if !ok {
		c.Error(errInvalidCursor)
		return
	}
	o, ok := parseScanOpts(c, 2)
	if !ok {
		return
	}
	var keys []string
	count := int(min(o.count, math.MaxInt32))
	next := c.DB.Scan(cursor, count, func(k string, _ *keyspace.Entry) {
		keys = append(keys, k)
	})
	// Filter after the walk: removing expired keys while iterating a
	// slot is best avoided.
	out := keys[:0]
	for _, k := range keys {
		if o.useGlob && !glob.Match(o.match, k) {
			continue
		}
		e := c.DB.Lookup(k, c.Now)
		if e == nil || (o.typ != "" && !equalFold(o.typ, e.Value.Type())) {
			continue
		}
		out = append(out, k)
	}
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.BulkStrings(out)
}

// equalFold compares ASCII strings ignoring case, as strcasecmp does.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func randomkeyCmd(c *Ctx) {
	k, ok := c.DB.RandomKey(c.Now)
	if !ok {
		c.W.Null()
		return
	}
	c.W.BulkString(k)
}

func dbsizeCmd(c *Ctx) { c.W.Int(int64(c.DB.Len())) }

// replyEmptyScan answers a SCAN-family command on a missing key: cursor 0
// and no elements.
func replyEmptyScan(c *Ctx) {
	c.W.Array(2)
	c.W.BulkString("0")
	c.W.Array(0)
}
