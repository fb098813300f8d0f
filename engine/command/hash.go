package command

import (
	"math"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/glob"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// Error texts of the hash commands, exactly as Redis 7.0 sends them.
const (
	errHashNotInt     = "ERR hash value is not an integer"
	errHashNotFloat   = "ERR hash value is not a float"
	errHashIncrNaNInf = "ERR value is NaN or Infinity"
	errHashIncrNaN    = "ERR increment would produce NaN or Infinity"
	errHashRandRange  = "ERR value is out of range"
	errHashRandLimits = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

func init() {
	register("hset", hsetCmd)
	register("hmset", hsetCmd)
	register("hsetnx", hsetnxCmd)
	register("hget", hgetCmd)
	register("hmget", hmgetCmd)
	register("hdel", hdelCmd)
	register("hlen", hlenCmd)
	register("hstrlen", hstrlenCmd)
	register("hexists", hexistsCmd)
	register("hkeys", hkeysCmd)
	register("hvals", hvalsCmd)
	register("hgetall", hgetallCmd)
	register("hincrby", hincrbyCmd)
	register("hincrbyfloat", hincrbyfloatCmd)
	register("hrandfield", hrandfieldCmd)
	register("hscan", hscanCmd)
}

// hashLimits returns the thresholds that decide when a hash stops being a
// listpack; a write applies the ones configured at that moment.
func (c *Ctx) hashLimits() keyspace.Limits {
	cfg := c.E.Config()
	return keyspace.Limits{
		HashMaxListpackEntries: cfg.Int("hash-max-listpack-entries"),
		HashMaxListpackValue:   cfg.Int("hash-max-listpack-value"),
	}
}

// lookupHash returns key's hash for reading, nil if the key does not
// exist, and ok=false (after writing WRONGTYPE) if it holds another type.
// Fields whose time has passed are removed first (hash_ttl_expire.go).
func (c *Ctx) lookupHash(key string) (h *keyspace.Hash, ok bool) {
	h, ok = asHash(c, c.Lookup(key))
	if h != nil && h.HasTTLs() {
		h = c.expireHashFields(key, h)
	}
	return h, ok
}

// lookupHashWrite is lookupHash for a command that will change the key.
func (c *Ctx) lookupHashWrite(key string) (h *keyspace.Hash, ok bool) {
	h, ok = asHash(c, c.LookupWrite(key))
	if h != nil && h.HasTTLs() {
		h = c.expireHashFields(key, h)
	}
	return h, ok
}

func asHash(c *Ctx, e *keyspace.Entry) (*keyspace.Hash, bool) {
	if e == nil {
		return nil, true
	}
	h, ok := e.Value.(*keyspace.Hash)
	if !ok {
		c.ErrWrongType()
	}
	return h, ok
}

// storeNewHash adds h, just created by a write, under key.
func (c *Ctx) storeNewHash(key string, h *keyspace.Hash) {
	c.DB.Set(key, h).Access = c.Now
}

// hsetCmd is HSET and HMSET, which differ only in their reply.
func hsetCmd(c *Ctx) {
	if len(c.Args)%2 == 1 {
		c.ErrArity()
		return
	}
	key := c.Key(1)
	h, ok := c.lookupHashWrite(key)
	if !ok {
		return
	}
	created := h == nil
	if created {
		h = keyspace.NewHash()
	}
	l := c.hashLimits()
	// Redis converts on the length of every argument before setting any.
	for _, a := range c.Args[2:] {
		h.NoteLength(len(a), l)
	}
	added := 0
	for i := 2; i < len(c.Args); i += 2 {
		if h.Set(string(c.Args[i]), string(c.Args[i+1]), l) {
			added++
		}
	}
	if created {
		c.storeNewHash(key, h)
	}
	c.Modified(key)
	if c.Cmd.Name == "hmset" {
		c.W.OK()
		return
	}
	c.W.Int(int64(added))
}

func hsetnxCmd(c *Ctx) {
	key := c.Key(1)
	h, ok := c.lookupHashWrite(key)
	if !ok {
		return
	}
	field := string(c.Args[2])
	if h != nil && h.Has(field) {
		c.W.Int(0)
		return
	}
	created := h == nil
	if created {
		h = keyspace.NewHash()
	}
	h.Set(field, string(c.Args[3]), c.hashLimits())
	if created {
		c.storeNewHash(key, h)
	}
	c.Modified(key)
	c.W.Int(1)
}

func hgetCmd(c *Ctx) {
	h, ok := c.lookupHash(c.Key(1))
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(string(c.Args[2])); found {
			c.W.BulkString(v)
			return
		}
	}
	c.W.Null()
}

func hmgetCmd(c *Ctx) {
	h, ok := c.lookupHash(c.Key(1))
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, f := range c.Args[2:] {
		if h != nil {
			if v, found := h.Get(string(f)); found {
				c.W.BulkString(v)
				continue
			}
		}
		c.W.Null()
	}
}

func hdelCmd(c *Ctx) {
	key := c.Key(1)
	h, ok := c.lookupHashWrite(key)
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	deleted := 0
	for _, f := range c.Args[2:] {
		if h.Delete(string(f)) {
			deleted++
			if h.Len() == 0 {
				c.DB.Delete(key)
				break
			}
		}
	}
	if deleted > 0 {
		c.Modified(key)
	}
	c.W.Int(int64(deleted))
}

func hlenCmd(c *Ctx) {
	h, ok := c.lookupHash(c.Key(1))
	if !ok {
		return
	}
	if h == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(h.Len()))
}

func hstrlenCmd(c *Ctx) {
	h, ok := c.lookupHash(c.Key(1))
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(string(c.Args[2]))
		n = len(v)
	}
	c.W.Int(int64(n))
}

func hexistsCmd(c *Ctx) {
	h, ok := c.lookupHash(c.Key(1))
	if !ok {
		return
	}
	if h != nil && h.Has(string(c.Args[2])) {
		c.W.Int(1)
		return
	}
	c.W.Int(0)
}

func hkeysCmd(c *Ctx)   { hgetallGeneric(c, true, false) }
func hvalsCmd(c *Ctx)   { hgetallGeneric(c, false, true) }
func hgetallCmd(c *Ctx) { hgetallGeneric(c, true, true) }

// hgetallGeneric replies with the fields, the values or both (a map) of a
// hash, as Redis's genericHgetallCommand.
func hgetallGeneric(c *Ctx, fields, values bool) {
	h, ok := c.lookupHash(c.Key(1))
	if !ok {
		return
	}
	n := 0
	if h != nil {
		n = h.Len()
	}
	if fields && values {
		c.W.Map(n)
	} else {
		c.W.Array(n)
	}
	if h == nil {
		return
	}
	h.Each(func(f, v string) bool {
		if fields {
			c.W.BulkString(f)
		}
		if values {
			c.W.BulkString(v)
		}
		return true
	})
}

func hincrbyCmd(c *Ctx) {
	incr, ok := c.Int(3)
	if !ok {
		return
	}
	key := c.Key(1)
	h, ok := c.lookupHashWrite(key)
	if !ok {
		return
	}
	field := string(c.Args[2])
	var old int64
	if h != nil {
		if v, found := h.Get(field); found {
			if old, ok = resp.ParseInt([]byte(v)); !ok {
				c.Error(errHashNotInt)
				return
			}
		}
	}
	if (incr < 0 && old < 0 && incr < math.MinInt64-old) ||
		(incr > 0 && old > 0 && incr > math.MaxInt64-old) {
		c.Error(errOverflow)
		return
	}
	created := h == nil
	if created {
		h = keyspace.NewHash()
	}
	h.SetKeepTTL(field, strconv.FormatInt(old+incr, 10), c.hashLimits())
	if created {
		c.storeNewHash(key, h)
	}
	c.Modified(key)
	c.W.Int(old + incr)
}

func hincrbyfloatCmd(c *Ctx) {
	incr, ok := ldParse(c.Args[3])
	if !ok {
		c.Error(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.Error(errHashIncrNaNInf)
		return
	}
	key := c.Key(1)
	h, ok := c.lookupHashWrite(key)
	if !ok {
		return
	}
	field := string(c.Args[2])
	sum := ldNew().Set(incr)
	if h != nil {
		if v, found := h.Get(field); found {
			old, ok := ldParse([]byte(v))
			if !ok {
				c.Error(errHashNotFloat)
				return
			}
			if old.IsInf() {
				c.Error(errHashIncrNaN)
				return
			}
			sum.Add(old, incr)
		}
	}
	if ldOverflows(sum) {
		c.Error(errHashIncrNaN)
		return
	}
	s := ldFormatHuman(sum)
	created := h == nil
	if created {
		h = keyspace.NewHash()
	}
	h.SetKeepTTL(field, s, c.hashLimits())
	c.hashSetEffect(h, c.Args[1], c.Args[2], []byte(s))
	if created {
		c.storeNewHash(key, h)
	}
	c.Modified(key)
	c.W.BulkString(s)
}

func hrandfieldCmd(c *Ctx) {
	if len(c.Args) == 2 {
		h, ok := c.lookupHash(c.Key(1))
		if !ok {
			return
		}
		if h == nil {
			c.W.Null()
			return
		}
		f, _ := h.Random()
		c.W.BulkString(f)
		return
	}
	n, ok := parseIntArg(c.Args[2])
	if !ok {
		c.Error(errNotInt)
		return
	}
	if n == math.MinInt64 {
		c.Error(errHashRandLimits)
		return
	}
	withValues := false
	if len(c.Args) > 4 || (len(c.Args) == 4 && !c.ArgIs(3, "WITHVALUES")) {
		c.ErrSyntax()
		return
	}
	if len(c.Args) == 4 {
		withValues = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			c.Error(errHashRandRange)
			return
		}
	}
	h, ok := c.lookupHash(c.Key(1))
	if !ok {
		return
	}
	if h == nil || n == 0 {
		c.W.Array(0)
		return
	}
	// One element: a bulk field, or with values a flat pair in RESP2 and
	// a nested two-element array in RESP3, as Redis replies.
	elem := func(f, v string) {
		if withValues && c.W.Proto == 3 {
			c.W.Array(2)
		}
		c.W.BulkString(f)
		if withValues {
			c.W.BulkString(v)
		}
	}
	header := func(count int64) {
		if withValues && c.W.Proto != 3 {
			count *= 2
		}
		c.W.Array(int(count))
	}
	if n < 0 || n == 1 {
		// Negative: that many independent picks, repeats allowed.
		count := n
		if count < 0 {
			count = -count
		}
		header(count)
		for ; count > 0; count-- {
			elem(h.Random())
		}
		return
	}
	size := int64(h.Len())
	if n >= size {
		header(size)
		h.Each(func(f, v string) bool { elem(f, v); return true })
		return
	}
	header(n)
	h.RandomDistinct(int(n), elem)
}

// hscanOpts are HSCAN's parsed options.
type hscanOpts struct {
	count   int64
	pattern string
	match   bool // a pattern other than "*" was given
}

func hscanCmd(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		c.Error(errInvalidCursor)
		return
	}
	h, ok := c.lookupHash(c.Key(1))
	if !ok {
		return
	}
	if h == nil {
		replyEmptyScan(c)
		return
	}
	o := hscanOpts{count: 10}
	for i := 3; i < len(c.Args); i += 2 {
		switch {
		case c.ArgIs(i, "COUNT") && i+1 < len(c.Args):
			v, ok := c.Int(i + 1)
			if !ok {
				return
			}
			if v < 1 {
				c.ErrSyntax()
				return
			}
			o.count = v
		case c.ArgIs(i, "MATCH") && i+1 < len(c.Args):
			o.pattern = c.Arg(i + 1)
			o.match = o.pattern != "*"
		default:
			c.ErrSyntax()
			return
		}
	}
	var out []string
	collect := func(f, v string) {
		if !o.match || glob.Match(o.pattern, f) {
			out = append(out, f, v)
		}
	}
	next := uint64(0)
	if h.Listpack() {
		// Redis returns a listpack-encoded hash whole, whatever the
		// cursor and COUNT.
		h.Each(func(f, v string) bool { collect(f, v); return true })
	} else {
		next = h.Scan(cursor, int(min(o.count, math.MaxInt32)), collect)
	}
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(next, 10))
	c.W.BulkStrings(out)
}
