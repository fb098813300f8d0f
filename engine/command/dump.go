package command

import (
	"errors"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/rdb"
)

func init() {
	register("dump", dumpCmd)
	register("restore", restoreCmd)
}

// Error texts of RESTORE, Redis's own.
const (
	errBusyKey        = "BUSYKEY Target key name already exists."
	errDumpPayload    = "ERR DUMP payload version or checksum are wrong"
	errBadDataFormat  = "ERR Bad data format"
	errRestoreTTL     = "ERR Invalid TTL value, must be >= 0"
	errRestoreIdle    = "ERR Invalid IDLETIME value, must be >= 0"
	errRestoreFreq    = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	restoreNoIdleFreq = -1
)

// dumpCmd serves DUMP: the value in Redis's serialization format, with
// the RDB version and checksum footer.
func dumpCmd(c *Ctx) {
	e := c.Lookup(c.Key(1))
	if e == nil {
		c.W.Null()
		return
	}
	p, err := rdb.Dump(e.Value, c.limits())
	if err != nil {
		c.Error("ERR " + err.Error())
		return
	}
	c.W.Bulk(p)
}

// restoreOpts are RESTORE's options.
type restoreOpts struct {
	replace, absTTL bool
	idle, freq      int64 // restoreNoIdleFreq when not given
}

// parseRestoreOpts parses the options after the payload in Redis's
// order: IDLETIME and FREQ exclude each other (the second is a syntax
// error).
func parseRestoreOpts(c *Ctx) (restoreOpts, bool) {
	o := restoreOpts{idle: restoreNoIdleFreq, freq: restoreNoIdleFreq}
	for i := 4; i < len(c.Args); i++ {
		more := i+1 < len(c.Args)
		switch {
		case c.ArgIs(i, "REPLACE"):
			o.replace = true
		case c.ArgIs(i, "ABSTTL"):
			o.absTTL = true
		case c.ArgIs(i, "IDLETIME") && more && o.freq == restoreNoIdleFreq:
			i++
			v, ok := c.Int(i)
			if !ok {
				return o, false
			}
			if v < 0 {
				c.Error(errRestoreIdle)
				return o, false
			}
			o.idle = v
		case c.ArgIs(i, "FREQ") && more && o.idle == restoreNoIdleFreq:
			i++
			v, ok := c.Int(i)
			if !ok {
				return o, false
			}
			if v < 0 || v > 255 {
				c.Error(errRestoreFreq)
				return o, false
			}
			o.freq = v
		default:
			c.ErrSyntax()
			return o, false
		}
	}
	return o, true
}

// restoreCmd serves RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME
// s] [FREQ f], checking in Redis's order: options, existing key, TTL,
// payload footer, payload body. It logs itself with an absolute TTL (and
// REPLACE, which changes nothing for a key known to be absent), so that
// replaying it gives the same expiry.
func restoreCmd(c *Ctx) {
	o, ok := parseRestoreOpts(c)
	if !ok {
		return
	}
	key := c.Key(1)
	if !o.replace && c.LookupWrite(key) != nil {
		c.Error(errBusyKey)
		return
	}
	ttl, ok := c.Int(2)
	if !ok {
		return
	}
	if ttl < 0 {
		c.Error(errRestoreTTL)
		return
	}
	payload := c.Args[3]
	if rdb.VerifyPayload(payload) != nil {
		c.Error(errDumpPayload)
		return
	}
	v, err := rdb.Restore(payload, c.limits())
	if err != nil {
		if !errors.Is(err, rdb.ErrBadFormat) {
			c.Error("ERR " + err.Error())
			return
		}
		c.Error(errBadDataFormat)
		return
	}
	if ttl != 0 && !o.absTTL {
		ttl += c.Now
	}
	if ttl != 0 && ttl <= c.Now && !c.E.replaying {
		// Already expired: Redis answers OK and stores nothing, deleting
		// the old value when REPLACE asked to.
		if o.replace && c.DB.Delete(key) {
			c.Modified(key)
			c.Effect(bDEL, []byte(key))
		} else {
			c.NoEffect()
		}
		c.W.OK()
		return
	}
	ent := c.DB.Set(key, v)
	ent.Access = c.Now
	ent.Freq = 0
	if ttl != 0 {
		c.DB.SetExpire(key, ent, ttl)
	}
	if o.idle >= 0 && !c.lfuPolicy() {
		ent.Access = c.Now - o.idle*1000
	}
	if o.freq >= 0 && c.lfuPolicy() {
		ent.Freq = uint8(o.freq)
	}
	c.movedValue(key, v)
	c.Modified(key)
	fx := [][]byte{[]byte("RESTORE"), []byte(key), strconv.AppendInt(nil, ttl, 10), payload, []byte("REPLACE")}
	if ttl != 0 {
		fx = append(fx, []byte("ABSTTL"))
	}
	c.Effect(fx...)
	c.W.OK()
}
