package command

import (
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

func init() {
	register("get", getCmd)
	register("set", setCmd)
}

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

// setOpts are SET's parsed options.
type setOpts struct {
	nx, xx, get, keepTTL bool
	expireAt             int64 // absolute Unix ms; 0 for none
}

// parseSetOpts parses SET's options from argument 3 on, writing the error
// reply on failure.
func parseSetOpts(c *Ctx) (setOpts, bool) {
	var o setOpts
	expSeen := false
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.ArgIs(i, "NX") && !o.xx:
			o.nx = true
		case c.ArgIs(i, "XX") && !o.nx:
			o.xx = true
		case c.ArgIs(i, "GET"):
			o.get = true
		case c.ArgIs(i, "KEEPTTL") && !expSeen:
			o.keepTTL = true
		case (c.ArgIs(i, "EX") || c.ArgIs(i, "PX") || c.ArgIs(i, "EXAT") || c.ArgIs(i, "PXAT")) &&
			!expSeen && !o.keepTTL && i+1 < len(c.Args):
			unit := c.Arg(i)
			i++
			v, ok := c.Int(i)
			if !ok {
				return o, false
			}
			at, ok := expireArg(c, unit, v)
			if !ok {
				return o, false
			}
			o.expireAt, expSeen = at, true
		default:
			c.ErrSyntax()
			return o, false
		}
	}
	return o, true
}

// expireArg turns a SET/GETEX expiry option into an absolute Unix ms time,
// writing "invalid expire time" when it is not positive or overflows.
func expireArg(c *Ctx, unit string, v int64) (int64, bool) {
	bad := func() (int64, bool) {
		c.Error("ERR invalid expire time in '" + c.Cmd.Name + "' command")
		return 0, false
	}
	if v <= 0 {
		return bad()
	}
	switch unit[0] | 0x20 {
	case 'e': // EX, EXAT
		if v > maxInt64/1000 {
			return bad()
		}
		v *= 1000
		if len(unit) == 2 {
			if v > maxInt64-c.Now {
				return bad()
			}
			v += c.Now
		}
	default: // PX, PXAT
		if len(unit) == 2 {
			if v > maxInt64-c.Now {
				return bad()
			}
			v += c.Now
		}
	}
	return v, true
}

const maxInt64 = 1<<63 - 1

func setCmd(c *Ctx) {
	o, ok := parseSetOpts(c)
	if !ok {
		return
	}
	key := c.Key(1)
	e := c.LookupWrite(key)
	if o.get {
		if e != nil {
			s, isStr := e.Value.(*keyspace.String)
			if !isStr {
				c.ErrWrongType()
				return
			}
			defer c.W.Bulk(s.B)
		} else {
			defer c.W.Null()
		}
	}
	if (o.nx && e != nil) || (o.xx && e == nil) {
		if !o.get {
			c.W.Null()
		}
		return
	}
	val := keyspace.NewString(c.Args[2])
	var ent *keyspace.Entry
	if o.keepTTL {
		ent = c.DB.SetKeepTTL(key, val)
	} else {
		ent = c.DB.Set(key, val)
	}
	ent.Access = c.Now
	if o.expireAt != 0 {
		c.DB.SetExpire(key, ent, o.expireAt)
	}
	c.Modified(key)
	if !o.get {
		c.W.OK()
	}
}
