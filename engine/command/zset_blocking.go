package command

import (
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

func init() {
	register("zpopmin", func(c *Ctx) { zpopCmd(c, false) })
	register("zpopmax", func(c *Ctx) { zpopCmd(c, true) })
	register("bzpopmin", func(c *Ctx) { bzpopCmd(c, false) })
	register("bzpopmax", func(c *Ctx) { bzpopCmd(c, true) })
	register("zmpop", func(c *Ctx) { zmpopCmd(c, 1, false) })
	register("bzmpop", func(c *Ctx) { zmpopCmd(c, 2, true) })
}

// zpopShape is how a pop reply is laid out; the four pop commands differ.
type zpopShape struct {
	// emitKey puts the key first (BZPOP*, ZMPOP, BZMPOP).
	emitKey bool
	// nested makes each element a [member, score] pair (ZMPOP, BZMPOP,
	// and ZPOP* with a count in RESP3); otherwise elements are flat.
	nested bool
}

// zpop pops up to count elements (count >= 1) from the low or high end of
// key's set z and writes them in the given shape.
func zpop(c *Ctx, key string, z *keyspace.ZSet, high bool, count int64, shape zpopShape) {
	n := min(count, int64(z.Len()))
	// Whatever popped (ZPOP*, ZMPOP, or a blocking pop that was served),
	// the log records the plain pop of this key and count.
	word := bZPOPMIN
	if high {
		word = bZPOPMAX
	}
	c.Effect(word, []byte(key), fxInt(n))
	switch {
	case shape.emitKey && shape.nested:
		c.W.Array(2)
		c.W.BulkString(key)
		c.W.Array(int(n))
	case shape.emitKey:
		c.W.Array(int(2*n + 1))
		c.W.BulkString(key)
	case shape.nested:
		c.W.Array(int(n))
	default:
		c.W.Array(int(2 * n))
	}
	for ; n > 0; n-- {
		x := z.First()
		if high {
			x = z.Last()
		}
		m, s := x.Member(), x.Score()
		z.Remove(m)
		if shape.nested {
			c.W.Array(2)
		}
		c.W.BulkString(m)
		c.W.Double(s)
	}
	zsetDeleteIfEmpty(c, key, z)
	c.Modified(key)
}

// zpopCmd is ZPOPMIN and ZPOPMAX.
func zpopCmd(c *Ctx, high bool) {
	if len(c.Args) > 3 {
		c.ErrSyntax()
		return
	}
	count := int64(-1) // plain pop: one element, flat reply
	if len(c.Args) == 3 {
		v, ok := resp.ParseInt(c.Args[2])
		if !ok || v < 0 {
			c.Error(errMustBePositive)
			return
		}
		count = v
	}
	key := c.Key(1)
	z, ok := c.lookupZSetWrite(key)
	if !ok {
		return
	}
	if z == nil || count == 0 {
		c.W.Array(0)
		return
	}
	shape := zpopShape{nested: c.W.Proto == 3 && count != -1}
	zpop(c, key, z, high, max(count, 1), shape)
}

// zpopFirst pops from the first non-empty set among keys, as ZMPOP and the
// blocking pops do. It writes WRONGTYPE for a key of another type met
// before one with elements, except while a blocked command is re-run: then
// Redis 7.0 keeps the client waiting, so such a key counts as empty. It
// returns whether it wrote a reply.
func zpopFirst(c *Ctx, keys []string, high bool, count int64, shape zpopShape) bool {
	for _, key := range keys {
		e := c.LookupWrite(key)
		if e == nil {
			continue
		}
		z, ok := e.Value.(*keyspace.ZSet)
		if !ok {
			if c.reprocessing {
				continue
			}
			c.ErrWrongType()
			return true
		}
		zpop(c, key, z, high, count, shape)
		return true
	}
	return false
}

// bzpopCmd is BZPOPMIN and BZPOPMAX: key [key ...] timeout.
func bzpopCmd(c *Ctx, high bool) {
	last := len(c.Args) - 1
	deadline, ok := c.Timeout(last)
	if !ok {
		return
	}
	keys := make([]string, 0, last-1)
	for i := 1; i < last; i++ {
		keys = append(keys, c.Key(i))
	}
	if zpopFirst(c, keys, high, 1, zpopShape{emitKey: true}) {
		return
	}
	c.Block(keys, deadline, func(w *resp.Writer) { w.NullArray() })
}

// zmpopCmd is ZMPOP (numkeys at 1) and BZMPOP (timeout at 1, numkeys at
// 2): numkeys key [key ...] MIN|MAX [COUNT count].
func zmpopCmd(c *Ctx, nk int, blocking bool) {
	n, ok := resp.ParseInt(c.Args[nk])
	if !ok || n < 1 {
		c.Error(errZNumkeys)
		return
	}
	if n >= int64(len(c.Args)) {
		c.ErrSyntax()
		return
	}
	where := int64(nk) + n + 1
	if where >= int64(len(c.Args)) {
		c.ErrSyntax()
		return
	}
	var high bool
	switch {
	case c.ArgIs(int(where), "MIN"):
	case c.ArgIs(int(where), "MAX"):
		high = true
	default:
		c.ErrSyntax()
		return
	}
	count := int64(-1)
	for j := int(where) + 1; j < len(c.Args); j++ {
		if count == -1 && c.ArgIs(j, "COUNT") && j+1 < len(c.Args) {
			j++
			v, ok := resp.ParseInt(c.Args[j])
			if !ok || v < 1 {
				c.Error(errZCount)
				return
			}
			count = v
			continue
		}
		c.ErrSyntax()
		return
	}
	count = max(count, 1)
	var deadline int64
	if blocking {
		if deadline, ok = c.Timeout(1); !ok {
			return
		}
	}
	keys := make([]string, 0, n)
	for i := nk + 1; i < int(where); i++ {
		keys = append(keys, c.Key(i))
	}
	shape := zpopShape{emitKey: true, nested: true}
	if zpopFirst(c, keys, high, count, shape) {
		return
	}
	if !blocking {
		c.W.NullArray()
		return
	}
	c.Block(keys, deadline, func(w *resp.Writer) { w.NullArray() })
}
