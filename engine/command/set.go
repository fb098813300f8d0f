package command

import (
	"math"
	"slices"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/glob"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("sadd", saddCmd)
	register("srem", sremCmd)
	register("scard", scardCmd)
	register("sismember", sismemberCmd)
	register("smismember", smismemberCmd)
	register("smembers", smembersCmd)
	register("srandmember", srandmemberCmd)
	register("spop", spopCmd)
	register("smove", smoveCmd)
	register("sinter", sinterCmd)
	register("sintercard", sintercardCmd)
	register("sinterstore", sinterstoreCmd)
	register("sunion", sunionCmd)
	register("sunionstore", sunionstoreCmd)
	register("sdiff", sdiffCmd)
	register("sdiffstore", sdiffstoreCmd)
	register("sscan", sscanCmd)
}

// Error texts of the set commands.
const (
	errNumkeysPositive = "ERR numkeys should be greater than 0"
	errNumkeysTooMany  = "ERR Number of keys can't be greater than number of args"
	errLimitNegative   = "ERR LIMIT can't be negative"
	// errSrandmemberRange is getRangeLongFromObjectOrReply's text for the
	// count range SRANDMEMBER accepts (-LONG_MAX..LONG_MAX).
	errSrandmemberRange = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

// spopMoveStrategyMul is Redis's SPOP_MOVE_STRATEGY_MUL: when what stays
// after SPOP is at most a fifth of what is popped, Redis copies the
// remaining members into a new set, which re-decides its encoding.
const spopMoveStrategyMul = 5

// lookupSet returns key's set, nil if the key does not exist, and ok=false
// (after writing WRONGTYPE) if it holds another type. write selects a
// lookup for writing, which does not count keyspace hits and misses.
func (c *Ctx) lookupSet(key string, write bool) (s *keyspace.Set, ok bool) {
	var e *keyspace.Entry
	if write {
		e = c.LookupWrite(key)
	} else {
		e = c.Lookup(key)
	}
	if e == nil {
		return nil, true
	}
	s, ok = e.Value.(*keyspace.Set)
	if !ok {
		c.ErrWrongType()
	}
	return s, ok
}

// setLimits returns the thresholds that decide a set's encoding, and with
// it the order Redis lists an intset's members in.
func (c *Ctx) setLimits() keyspace.Limits {
	return keyspace.Limits{SetMaxIntsetEntries: c.E.cfg.Int("set-max-intset-entries")}
}

// storeSet makes s the value of key, replacing whatever was there and its
// expiry time, or deletes key when s is empty; it replies with s's size.
func (c *Ctx) storeSet(key string, s *keyspace.Set) {
	if s.Len() == 0 {
		if c.DB.Delete(key) {
			c.Modified(key)
		}
		c.W.Int(0)
		return
	}
	c.DB.Set(key, s).Access = c.Now
	c.Modified(key)
	c.W.Int(int64(s.Len()))
}

// replyMembers writes a set reply (an array in RESP2).
func (c *Ctx) replyMembers(members []string) {
	c.W.Set(len(members))
	for _, m := range members {
		c.W.BulkString(m)
	}
}

func saddCmd(c *Ctx) {
	key := c.Key(1)
	s, ok := c.lookupSet(key, true)
	if !ok {
		return
	}
	created := s == nil
	if created {
		s = keyspace.NewSet()
	}
	added := 0
	for _, m := range c.Args[2:] {
		if s.Add(string(m)) {
			added++
		}
	}
	if created {
		c.DB.Set(key, s).Access = c.Now
	}
	if added > 0 {
		c.Modified(key)
	}
	c.W.Int(int64(added))
}

func sremCmd(c *Ctx) {
	key := c.Key(1)
	s, ok := c.lookupSet(key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	removed := 0
	for _, m := range c.Args[2:] {
		if s.Remove(string(m)) {
			removed++
			if s.Len() == 0 {
				c.DB.Delete(key)
				break
			}
		}
	}
	if removed > 0 {
		c.Modified(key)
	}
	c.W.Int(int64(removed))
}

func scardCmd(c *Ctx) {
	s, ok := c.lookupSet(c.Key(1), false)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.Len()))
}

func sismemberCmd(c *Ctx) {
	s, ok := c.lookupSet(c.Key(1), false)
	if !ok {
		return
	}
	if s != nil && s.Has(string(c.Args[2])) {
		c.W.Int(1)
		return
	}
	c.W.Int(0)
}

func smismemberCmd(c *Ctx) {
	s, ok := c.lookupSet(c.Key(1), false)
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if s != nil && s.Has(string(m)) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

// SMEMBERS is SINTER of one key in Redis 7.0, and replies like it.
func smembersCmd(c *Ctx) { sinterGeneric(c, c.Args[1:2], "", false, 0) }

func srandmemberCmd(c *Ctx) {
	if len(c.Args) > 3 {
		c.ErrSyntax()
		return
	}
	if len(c.Args) == 2 {
		s, ok := c.lookupSet(c.Key(1), false)
		if !ok {
			return
		}
		if s == nil {
			c.W.Null()
			return
		}
		c.W.BulkString(s.Random())
		return
	}
	n, ok := c.Int(2)
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.Error(errSrandmemberRange)
		return
	}
	s, ok := c.lookupSet(c.Key(1), false)
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.W.Array(0)
		return
	}
	if n < 0 {
		// Repeats allowed: each pick is independent.
		c.W.Array(int(-n))
		for ; n < 0; n++ {
			c.W.BulkString(s.Random())
		}
		return
	}
	if n >= int64(s.Len()) {
		members := s.Members(c.setLimits())
		c.W.Array(len(members))
		for _, m := range members {
			c.W.BulkString(m)
		}
		return
	}
	c.W.BulkStrings(s.Sample(int(n)))
}

// spopEffectChunk is how many popped members one SREM effect carries.
const spopEffectChunk = 1024

func spopCmd(c *Ctx) {
	if len(c.Args) > 3 {
		c.ErrSyntax()
		return
	}
	key := c.Key(1)
	if len(c.Args) == 2 {
		s, ok := c.lookupSet(key, true)
		if !ok {
			return
		}
		if s == nil {
			c.W.Null()
			return
		}
		m := s.Pop()
		if s.Len() == 0 {
			c.DB.Delete(key)
		}
		c.Modified(key)
		// The log records the member chosen, not the choice.
		c.Effect(bSREM, c.Args[1], []byte(m))
		c.W.BulkString(m)
		return
	}
	n, ok := parseIntArg(c.Args[2])
	if !ok || n < 0 {
		c.Error(errMustBePositive)
		return
	}
	s, ok := c.lookupSet(key, true)
	if !ok {
		return
	}
	if s == nil || n == 0 {
		c.W.Set(0)
		return
	}
	size := int64(s.Len())
	if n >= size {
		// Redis replies with the SUNION of the one set, a new set whose
		// encoding (and so order) is decided afresh.
		s.Rebuilt()
		c.replyMembers(s.Members(c.setLimits()))
		c.DB.Delete(key)
		c.Modified(key)
		c.Effect(bDEL, c.Args[1])
		return
	}
	c.W.Set(int(n))
	// The members chosen go to the log as SREMs of at most spopEffectChunk
	// members each, as Redis propagates SPOP with a count.
	fx := [][]byte{bSREM, c.Args[1]}
	for i := int64(0); i < n; i++ {
		m := s.Pop()
		c.W.BulkString(m)
		fx = append(fx, []byte(m))
		if len(fx)-2 == spopEffectChunk || i == n-1 {
			c.Effect(fx...)
			fx = [][]byte{bSREM, c.Args[1]}
		}
	}
	if (size-n)*spopMoveStrategyMul <= n {
		s.Rebuilt()
	}
	c.Modified(key)
}

func smoveCmd(c *Ctx) {
	srcKey, dstKey := c.Key(1), c.Key(2)
	member := string(c.Args[3])
	srcE := c.LookupWrite(srcKey)
	dstE := c.LookupWrite(dstKey)
	if srcE == nil {
		c.W.Int(0)
		return
	}
	src, ok := srcE.Value.(*keyspace.Set)
	if !ok {
		c.ErrWrongType()
		return
	}
	var dst *keyspace.Set
	if dstE != nil {
		if dst, ok = dstE.Value.(*keyspace.Set); !ok {
			c.ErrWrongType()
			return
		}
	}
	if srcKey == dstKey {
		if src.Has(member) {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
		return
	}
	if !src.Remove(member) {
		c.W.Int(0)
		return
	}
	if src.Len() == 0 {
		c.DB.Delete(srcKey)
	}
	if dst == nil {
		dst = keyspace.NewSet()
		c.DB.Set(dstKey, dst).Access = c.Now
	}
	c.Modified(srcKey)
	if dst.Add(member) {
		c.Modified(dstKey)
	}
	c.W.Int(1)
}

// readSets looks up keys as sets for SINTER, SUNION, SDIFF and their
// variants: nil for missing keys, ok=false (after WRONGTYPE) when any key
// holds another type, which Redis checks for every key before computing
// anything.
func (c *Ctx) readSets(keys [][]byte) (sets []*keyspace.Set, ok bool) {
	sets = make([]*keyspace.Set, len(keys))
	for i, k := range keys {
		if sets[i], ok = c.lookupSet(string(k), false); !ok {
			return nil, false
		}
	}
	return sets, true
}

func sinterCmd(c *Ctx)      { sinterGeneric(c, c.Args[1:], "", false, 0) }
func sinterstoreCmd(c *Ctx) { sinterGeneric(c, c.Args[2:], c.Key(1), false, 0) }

func sintercardCmd(c *Ctx) {
	numkeys, ok := parseIntArg(c.Args[1])
	if !ok || numkeys < 1 {
		c.Error(errNumkeysPositive)
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Error(errNumkeysTooMany)
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(c.Args); i++ {
		if !c.ArgIs(i, "LIMIT") || i+1 == len(c.Args) {
			c.ErrSyntax()
			return
		}
		i++
		if limit, ok = parseIntArg(c.Args[i]); !ok || limit < 0 {
			c.Error(errLimitNegative)
			return
		}
	}
	sinterGeneric(c, c.Args[2:2+numkeys], "", true, limit)
}

// sinterGeneric is SINTER, SINTERSTORE (dst set), SINTERCARD (cardOnly,
// stopping at limit when it is not 0) and SMEMBERS, as Redis's
// sinterGenericCommand: it walks the smallest set and keeps the members
// every other set has.
func sinterGeneric(c *Ctx, keys [][]byte, dst string, cardOnly bool, limit int64) {
	sets, ok := c.readSets(keys)
	if !ok {
		return
	}
	if slices.Contains(sets, nil) {
		switch {
		case dst != "":
			c.storeSet(dst, keyspace.NewSet())
		case cardOnly:
			c.W.Int(0)
		default:
			c.W.Set(0)
		}
		return
	}
	slices.SortStableFunc(sets, func(a, b *keyspace.Set) int { return a.Len() - b.Len() })
	inAll := func(m string) bool {
		for _, o := range sets[1:] {
			if o != sets[0] && !o.Has(m) {
				return false
			}
		}
		return true
	}
	switch {
	case cardOnly:
		var n int64
		sets[0].Each(func(m string) bool {
			if inAll(m) {
				n++
			}
			return limit == 0 || n < limit
		})
		c.W.Int(n)
	case dst != "":
		out := keyspace.NewSet()
		sets[0].Each(func(m string) bool {
			if inAll(m) {
				out.Add(m)
			}
			return true
		})
		c.storeSet(dst, out)
	default:
		var out []string
		for _, m := range sets[0].Members(c.setLimits()) {
			if inAll(m) {
				out = append(out, m)
			}
		}
		c.replyMembers(out)
	}
}

func sunionCmd(c *Ctx)      { sunionDiffGeneric(c, c.Args[1:], "", false) }
func sunionstoreCmd(c *Ctx) { sunionDiffGeneric(c, c.Args[2:], c.Key(1), false) }
func sdiffCmd(c *Ctx)       { sunionDiffGeneric(c, c.Args[1:], "", true) }
func sdiffstoreCmd(c *Ctx)  { sunionDiffGeneric(c, c.Args[2:], c.Key(1), true) }

// sunionDiffGeneric is SUNION, SDIFF and their STORE variants (dst set),
// as Redis's sunionDiffGenericCommand. The result is built as a new set
// the way Redis builds it, so that its encoding comes out the same.
func sunionDiffGeneric(c *Ctx, keys [][]byte, dst string, diff bool) {
	sets, ok := c.readSets(keys)
	if !ok {
		return
	}
	out := keyspace.NewSet()
	addAll := func(s *keyspace.Set) {
		s.Each(func(m string) bool {
			out.Add(m)
			return true
		})
	}
	switch {
	case !diff:
		for _, s := range sets {
			if s != nil {
				addAll(s)
			}
		}
	case sets[0] == nil || slices.Contains(sets[1:], sets[0]):
		// Nothing to subtract from, or the first set subtracted from
		// itself: empty.
	default:
		rest := slices.DeleteFunc(slices.Clone(sets[1:]), func(s *keyspace.Set) bool { return s == nil })
		// Redis's choice between its two algorithms: probing every other
		// set for each member of the first (O(N*M), favoured), or copying
		// the first and removing the others' members (O(N)).
		one, two := int64(sets[0].Len()), int64(sets[0].Len())
		for _, s := range rest {
			one += int64(sets[0].Len())
			two += int64(s.Len())
		}
		if one/2 <= two {
			slices.SortStableFunc(rest, func(a, b *keyspace.Set) int { return b.Len() - a.Len() })
			sets[0].Each(func(m string) bool {
				for _, s := range rest {
					if s.Has(m) {
						return true
					}
				}
				out.Add(m)
				return true
			})
		} else {
			addAll(sets[0])
			for _, s := range rest {
				s.Each(func(m string) bool {
					out.Remove(m)
					return out.Len() > 0
				})
				if out.Len() == 0 {
					break
				}
			}
		}
	}
	if dst != "" {
		c.storeSet(dst, out)
		return
	}
	c.replyMembers(out.Members(c.setLimits()))
}

// sscanOpts are SSCAN's parsed options.
type sscanOpts struct {
	match string // "" matches everything
	count int
}

func sscanCmd(c *Ctx) {
	cursor, ok := parseScanCursor(c.Args[2])
	if !ok {
		c.Error(errInvalidCursor)
		return
	}
	s, ok := c.lookupSet(c.Key(1), false)
	if !ok {
		return
	}
	if s == nil {
		// Redis answers a missing key before looking at the options.
		replyEmptyScan(c)
		return
	}
	o := sscanOpts{count: 10}
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "COUNT") && i+1 < len(c.Args):
			i++
			n, ok := c.Int(i)
			if !ok {
				return
			}
			if n < 1 {
				c.ErrSyntax()
				return
			}
			o.count = int(min(n, math.MaxInt))
		case c.ArgIs(i, "MATCH") && i+1 < len(c.Args):
			i++
			if o.match = c.Arg(i); o.match == "*" {
				o.match = ""
			}
		default:
			c.ErrSyntax()
			return
		}
	}
	var found []string
	lim := c.setLimits()
	if s.Encoding(lim) == "intset" {
		// Compact encodings are returned whole, whatever the cursor.
		found, cursor = s.Members(lim), 0
	} else {
		cursor = s.Scan(cursor, o.count, func(m string) { found = append(found, m) })
	}
	if o.match != "" {
		found = slices.DeleteFunc(found, func(m string) bool { return !glob.Match(o.match, m) })
	}
	c.W.Array(2)
	c.W.BulkString(strconv.FormatUint(cursor, 10))
	c.W.BulkStrings(found)
}
