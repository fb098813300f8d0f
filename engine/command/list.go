package command

import (
	"bytes"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// List command error texts, as Redis 7.0 sends them.
const (
	errLposRank = "ERR RANK can't be zero: use 1 to start from the first match, " +
		"2 from the second ... or use negative to start from the end of the list"
	errLposCount   = "ERR COUNT can't be negative"
	errLposMaxlen  = "ERR MAXLEN can't be negative"
	errNumkeys     = "ERR numkeys should be greater than 0"
	errCountAbove0 = "ERR count should be greater than 0"
)

func init() {
	register("lpush", func(c *Ctx) { pushCmd(c, true, false) })
	register("rpush", func(c *Ctx) { pushCmd(c, false, false) })
	register("lpushx", func(c *Ctx) { pushCmd(c, true, true) })
	register("rpushx", func(c *Ctx) { pushCmd(c, false, true) })
	register("lpop", func(c *Ctx) { popCmd(c, true) })
	register("rpop", func(c *Ctx) { popCmd(c, false) })
	register("llen", llenCmd)
	register("lindex", lindexCmd)
	register("lset", lsetCmd)
	register("lrange", lrangeCmd)
	register("ltrim", ltrimCmd)
	register("linsert", linsertCmd)
	register("lrem", lremCmd)
	register("lpos", lposCmd)
	register("lmove", lmoveCmd)
	register("rpoplpush", rpoplpushCmd)
	register("lmpop", lmpopCmd)
}

// lookupList returns key's list for reading (counting a keyspace hit or
// miss), nil if the key does not exist, and ok=false after writing
// WRONGTYPE if it holds another type.
func (c *Ctx) lookupList(key string) (l *keyspace.List, ok bool) {
	return c.asList(c.Lookup(key))
}

// lookupListWrite is lookupList for commands that change the key: Redis
// does not count their lookups as hits or misses.
func (c *Ctx) lookupListWrite(key string) (l *keyspace.List, ok bool) {
	return c.asList(c.LookupWrite(key))
}

func (c *Ctx) asList(e *keyspace.Entry) (*keyspace.List, bool) {
	if e == nil {
		return nil, true
	}
	l, ok := e.Value.(*keyspace.List)
	if !ok {
		c.ErrWrongType()
	}
	return l, ok
}

// createList stores a new empty list at key.
func (c *Ctx) createList(key string) *keyspace.List {
	l := keyspace.NewList()
	c.DB.Set(key, l).Access = c.Now
	return l
}

// listPopped finishes a change that removed elements from key's list: an
// empty list is deleted, as Redis never keeps one.
func (c *Ctx) listPopped(key string, l *keyspace.List) {
	if l.Len() == 0 {
		c.DB.Delete(key)
	}
	c.Modified(key)
}

// listPop removes one element from the head (left) or tail of l.
func listPop(l *keyspace.List, left bool) []byte {
	if left {
		return l.PopFront()
	}
	return l.PopBack()
}

// listPush adds a copy of v at the head (left) or tail of l.
func listPush(l *keyspace.List, v []byte, left bool) {
	if left {
		l.PushFront(v)
	} else {
		l.PushBack(v)
	}
}

// listIndex turns a possibly negative LINDEX/LSET index into a position,
// ok=false when it is out of range.
func listIndex(l *keyspace.List, i int64) (int, bool) {
	n := int64(l.Len())
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, false
	}
	return int(i), true
}

// listRange clamps LRANGE/LTRIM's start and stop to the list, Redis's
// way; empty reports a range that selects nothing.
func listRange(n, start, stop int64) (s, e int64, empty bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0, true
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, false
}

// parseWhere parses LEFT or RIGHT, writing a syntax error for anything
// else; left is true for LEFT.
func parseWhere(c *Ctx, i int) (left, ok bool) {
	switch {
	case c.ArgIs(i, "LEFT"):
		return true, true
	case c.ArgIs(i, "RIGHT"):
		return false, true
	}
	c.ErrSyntax()
	return false, false
}

// pushCmd is LPUSH, RPUSH and, with onlyExisting, LPUSHX and RPUSHX.
func pushCmd(c *Ctx, left, onlyExisting bool) {
	key := c.Key(1)
	l, ok := c.lookupListWrite(key)
	if !ok {
		return
	}
	if l == nil {
		if onlyExisting {
			c.W.Int(0)
			return
		}
		l = c.createList(key)
	}
	for _, v := range c.Args[2:] {
		listPush(l, v, left)
	}
	c.Modified(key)
	c.W.Int(int64(l.Len()))
}

// popCmd is LPOP and RPOP, with their optional count.
func popCmd(c *Ctx, left bool) {
	if len(c.Args) > 3 {
		c.ErrArity()
		return
	}
	withCount := len(c.Args) == 3
	var count int64
	if withCount {
		v, ok := parseIntArg(c.Args[2])
		if !ok || v < 0 {
			c.Error(errMustBePositive)
			return
		}
		count = v
	}
	key := c.Key(1)
	l, ok := c.lookupListWrite(key)
	if !ok {
		return
	}
	switch {
	case l == nil && withCount:
		c.W.NullArray()
	case l == nil:
		c.W.Null()
	case !withCount:
		c.W.Bulk(listPop(l, left))
		c.listPopped(key, l)
	case count == 0:
		c.W.Array(0)
	default:
		n := min(count, int64(l.Len()))
		c.W.Array(int(n))
		for range n {
			c.W.Bulk(listPop(l, left))
		}
		c.listPopped(key, l)
	}
}

func llenCmd(c *Ctx) {
	l, ok := c.lookupList(c.Key(1))
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(l.Len()))
}

// lindexCmd looks the key up before it parses the index, as Redis does: a
// missing key answers null whatever the index.
func lindexCmd(c *Ctx) {
	l, ok := c.lookupList(c.Key(1))
	if !ok {
		return
	}
	if l == nil {
		c.W.Null()
		return
	}
	i, ok := c.Int(2)
	if !ok {
		return
	}
	pos, ok := listIndex(l, i)
	if !ok {
		c.W.Null()
		return
	}
	c.W.Bulk(l.Index(pos))
}

// lsetCmd, like LINDEX, looks the key up before it parses the index.
func lsetCmd(c *Ctx) {
	key := c.Key(1)
	l, ok := c.lookupListWrite(key)
	if !ok {
		return
	}
	if l == nil {
		c.Error(errNoSuchKey)
		return
	}
	i, ok := c.Int(2)
	if !ok {
		return
	}
	pos, ok := listIndex(l, i)
	if !ok {
		c.Error(errOutOfRange)
		return
	}
	l.Set(pos, c.Args[3])
	c.Modified(key)
	c.W.OK()
}

func lrangeCmd(c *Ctx) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	stop, ok := c.Int(3)
	if !ok {
		return
	}
	l, ok := c.lookupList(c.Key(1))
	if !ok {
		return
	}
	if l == nil {
		c.W.Array(0)
		return
	}
	s, e, empty := listRange(int64(l.Len()), start, stop)
	if empty {
		c.W.Array(0)
		return
	}
	c.W.Array(int(e - s + 1))
	for i := s; i <= e; i++ {
		c.W.Bulk(l.Index(int(i)))
	}
}

// ltrimCmd signals the key as modified even when nothing was trimmed:
// Redis does, so a WATCH on the key fails either way.
func ltrimCmd(c *Ctx) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	stop, ok := c.Int(3)
	if !ok {
		return
	}
	key := c.Key(1)
	l, ok := c.lookupListWrite(key)
	if !ok {
		return
	}
	if l == nil {
		c.W.OK()
		return
	}
	s, e, empty := listRange(int64(l.Len()), start, stop)
	if empty {
		l.Clear()
	} else {
		l.Trim(int(s), int(e))
	}
	c.listPopped(key, l)
	c.W.OK()
}

func linsertCmd(c *Ctx) {
	var after bool
	switch {
	case c.ArgIs(2, "AFTER"):
		after = true
	case c.ArgIs(2, "BEFORE"):
	default:
		c.ErrSyntax()
		return
	}
	key := c.Key(1)
	l, ok := c.lookupListWrite(key)
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	pivot := c.Args[3]
	for i := range l.Len() {
		if bytes.Equal(l.Index(i), pivot) {
			if after {
				i++
			}
			l.Insert(i, c.Args[4])
			c.Modified(key)
			c.W.Int(int64(l.Len()))
			return
		}
	}
	c.W.Int(-1)
}

func lremCmd(c *Ctx) {
	count, ok := c.Int(2)
	if !ok {
		return
	}
	key := c.Key(1)
	l, ok := c.lookupListWrite(key)
	if !ok {
		return
	}
	if l == nil {
		c.W.Int(0)
		return
	}
	fromTail := count < 0
	if fromTail {
		count = -count
		if count < 0 {
			// -LONG_MIN: Redis's counter never reaches it, so every
			// match goes.
			count = 0
		}
	}
	removed := l.Remove(c.Args[3], count, fromTail)
	if removed > 0 {
		c.listPopped(key, l)
	}
	c.W.Int(removed)
}

// lposOpts are LPOS's parsed options; count is -1 when COUNT is absent.
type lposOpts struct {
	rank, count, maxlen int64
}

// parseLposOpts parses LPOS's options from argument 3 on, checking each
// as it comes, as Redis does (so the first bad option names the error).
func parseLposOpts(c *Ctx) (lposOpts, bool) {
	o := lposOpts{rank: 1, count: -1}
	for i := 3; i < len(c.Args); i++ {
		more := i+1 < len(c.Args)
		switch {
		case c.ArgIs(i, "RANK") && more:
			i++
			v, ok := c.Int(i)
			if !ok {
				return o, false
			}
			if v == 0 {
				c.Error(errLposRank)
				return o, false
			}
			o.rank = v
		case c.ArgIs(i, "COUNT") && more:
			i++
			v, ok := parseIntArg(c.Args[i])
			if !ok || v < 0 {
				c.Error(errLposCount)
				return o, false
			}
			o.count = v
		case c.ArgIs(i, "MAXLEN") && more:
			i++
			v, ok := parseIntArg(c.Args[i])
			if !ok || v < 0 {
				c.Error(errLposMaxlen)
				return o, false
			}
			o.maxlen = v
		default:
			c.ErrSyntax()
			return o, false
		}
	}
	return o, true
}

// lposCmd follows Redis's loop exactly, including its integer
// arithmetic: RANK -9223372036854775808 negates to itself and then
// matches from the first hit, as in Redis.
func lposCmd(c *Ctx) {
	o, ok := parseLposOpts(c)
	if !ok {
		return
	}
	fromTail := o.rank < 0
	rank := o.rank
	if fromTail {
		rank = -rank
	}
	l, ok := c.lookupList(c.Key(1))
	if !ok {
		return
	}
	if l == nil {
		if o.count != -1 {
			c.W.Array(0)
		} else {
			c.W.Null()
		}
		return
	}
	ele := c.Args[2]
	n := int64(l.Len())
	var matches int64
	var found []int64
	for idx := int64(0); idx < n && (o.maxlen == 0 || idx < o.maxlen); idx++ {
		pos := idx
		if fromTail {
			pos = n - idx - 1
		}
		if !bytes.Equal(l.Index(int(pos)), ele) {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		found = append(found, pos)
		if o.count == -1 || (o.count != 0 && matches-rank+1 >= o.count) {
			break
		}
	}
	if o.count != -1 {
		c.W.Array(len(found))
		for _, p := range found {
			c.W.Int(p)
		}
		return
	}
	if len(found) == 0 {
		c.W.Null()
		return
	}
	c.W.Int(found[0])
}

func lmoveCmd(c *Ctx) {
	from, ok := parseWhere(c, 3)
	if !ok {
		return
	}
	to, ok := parseWhere(c, 4)
	if !ok {
		return
	}
	lmove(c, c.Key(1), c.Key(2), from, to)
}

func rpoplpushCmd(c *Ctx) { lmove(c, c.Key(1), c.Key(2), false, true) }

// lmove is LMOVE's work, shared by RPOPLPUSH and the blocking forms. It
// writes a null reply when the source is missing (the blocking forms
// check for that first).
func lmove(c *Ctx, src, dst string, from, to bool) {
	sl, ok := c.lookupListWrite(src)
	if !ok {
		return
	}
	if sl == nil {
		c.W.Null()
		return
	}
	dl, ok := c.lookupListWrite(dst)
	if !ok {
		return
	}
	// With src == dst, dl is sl: the element goes back onto the same
	// list, which therefore never empties.
	v := listPop(sl, from)
	if dl == nil {
		dl = c.createList(dst)
	}
	listPush(dl, v, to)
	c.Modified(dst)
	if src != dst {
		c.listPopped(src, sl)
	}
	c.W.Bulk(v)
}

// lmpopArgs are LMPOP's and BLMPOP's parsed arguments.
type lmpopArgs struct {
	keys  []string
	left  bool
	count int64
}

// parseLmpop parses numkeys (at index at), the keys, LEFT|RIGHT and COUNT,
// in Redis's order, writing the error reply on failure.
func parseLmpop(c *Ctx, at int) (lmpopArgs, bool) {
	a := lmpopArgs{count: -1}
	numkeys, ok := parseIntArg(c.Args[at])
	if !ok || numkeys <= 0 {
		c.Error(errNumkeys)
		return a, false
	}
	if numkeys >= int64(len(c.Args)-at-1) {
		c.ErrSyntax()
		return a, false
	}
	where := at + int(numkeys) + 1
	if a.left, ok = parseWhere(c, where); !ok {
		return a, false
	}
	for i := where + 1; i < len(c.Args); i++ {
		if a.count == -1 && c.ArgIs(i, "COUNT") && i+1 < len(c.Args) {
			i++
			v, ok := parseIntArg(c.Args[i])
			if !ok || v <= 0 {
				c.Error(errCountAbove0)
				return a, false
			}
			a.count = v
			continue
		}
		c.ErrSyntax()
		return a, false
	}
	if a.count == -1 {
		a.count = 1
	}
	a.keys = make([]string, numkeys)
	for i := range a.keys {
		a.keys[i] = c.Key(at + 1 + i)
	}
	return a, true
}

func lmpopCmd(c *Ctx) {
	a, ok := parseLmpop(c, 1)
	if !ok {
		return
	}
	if !lmpopServe(c, a) {
		c.W.NullArray()
	}
}

// lmpopServe pops from the first non-empty list of a.keys and writes the
// [key, [elements]] reply. It returns false, writing nothing, when every
// list is empty; on WRONGTYPE it writes the error and returns true. A key
// of another type is skipped instead when a blocked BLMPOP runs again
// (Redis 7.0 serves blocked clients only from keys holding lists).
func lmpopServe(c *Ctx, a lmpopArgs) bool {
	for _, key := range a.keys {
		e := c.LookupWrite(key)
		if e == nil {
			continue
		}
		l, isList := e.Value.(*keyspace.List)
		if !isList {
			if c.reprocessing {
				continue
			}
			c.ErrWrongType()
			return true
		}
		n := min(a.count, int64(l.Len()))
		c.W.Array(2)
		c.W.BulkString(key)
		c.W.Array(int(n))
		for range n {
			c.W.Bulk(listPop(l, a.left))
		}
		c.listPopped(key, l)
		// LMPOP and a served BLMPOP are logged as the pop of this key.
		c.Effect(bLMPOP, bOne, []byte(key), whereWord(a.left), bCOUNT, fxInt(n))
		return true
	}
	return false
}
