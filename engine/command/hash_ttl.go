package command

import (
	"math"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Hash field expiration: HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT, HTTL,
// HPTTL, HEXPIRETIME, HPEXPIRETIME, HPERSIST (Redis 7.4), HGETEX and
// HSETEX (Redis 8.0). Times are absolute Unix milliseconds once parsed;
// what a command changed is logged with absolute times (HPEXPIREAT, HSETEX
// … PXAT) or as HDEL for fields a time in the past deleted, so that a
// replay, which runs at time zero, rebuilds the same hash.

// Error texts of the field-expiration commands, as Redis 7.4/8.0 send them.
const (
	errHFEFieldsMissing   = "ERR Mandatory argument FIELDS is missing or not at the right position"
	errHFENumFields       = "ERR Parameter `numFields` should be greater than 0"
	errHFENumFieldsMatch  = "ERR The `numfields` parameter must match the number of arguments"
	errHFENumFieldsPos    = "ERR Number of fields must be a positive integer"
	errHFENumFieldsSetex  = "ERR invalid number of fields"
	errHFEExpireNegative  = "ERR invalid expire time, must be >= 0"
	errHFEOneOfFNXFXX     = "ERR Only one of FXX or FNX arguments can be specified"
	errHFEOneOfExpiry     = "ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified"
	errHFEUnknownArgument = "ERR unknown argument: "
)

// hfeMaxExpire is the largest expiry time Redis accepts for a field
// (EB_EXPIRE_TIME_MAX, 2^48-1 ms).
const hfeMaxExpire = 1<<48 - 1

// Replies of the per-field commands.
const (
	hfeNoField  = -2 // no such field (or key)
	hfeNoTTL    = -1 // HTTL/HPERSIST: the field has no expiry time
	hfeNotMet   = 0  // HEXPIRE: NX/XX/GT/LT not met
	hfeSet      = 1  // HEXPIRE: time set; HPERSIST: TTL removed
	hfeDeleted  = 2  // HEXPIRE: time in the past, field deleted
	hfeCondNone = 0
)

// Effect words of this file.
var (
	bHDEL       = []byte("HDEL")
	bHPEXPIREAT = []byte("HPEXPIREAT")
	bHSETEX     = []byte("HSETEX")
	bHPERSIST   = []byte("HPERSIST")
	bFIELDS     = []byte("FIELDS")
)

func init() {
	register("hexpire", func(c *Ctx) { hexpireGeneric(c, 1000, true) })
	register("hpexpire", func(c *Ctx) { hexpireGeneric(c, 1, true) })
	register("hexpireat", func(c *Ctx) { hexpireGeneric(c, 1000, false) })
	register("hpexpireat", func(c *Ctx) { hexpireGeneric(c, 1, false) })
	register("httl", func(c *Ctx) { httlGeneric(c, 1000, true) })
	register("hpttl", func(c *Ctx) { httlGeneric(c, 1, true) })
	register("hexpiretime", func(c *Ctx) { httlGeneric(c, 1000, false) })
	register("hpexpiretime", func(c *Ctx) { httlGeneric(c, 1, false) })
	register("hpersist", hpersistCmd)
	register("hgetex", hgetexCmd)
	register("hsetex", hsetexCmd)
}

// hashSetEffect logs HINCRBYFLOAT's result: HSET, or, for a field with an
// expiry time, HSETEX KEEPTTL, since HSET would drop the time on replay.
func (c *Ctx) hashSetEffect(h *keyspace.Hash, key, field, value []byte) {
	if at, _ := h.FieldExpireAt(string(field)); at != 0 {
		c.Effect(bHSETEX, key, bKEEPTTL, bFIELDS, bOne, field, value)
		return
	}
	c.Effect(bHSET, key, field, value)
}

// parseNumFields reads "FIELDS numfields field…" at argument i, which must
// run to the end of the command, as the HEXPIRE family and HTTL family
// parse it; it returns the fields.
func parseNumFields(c *Ctx, i int, errCount string) ([][]byte, bool) {
	if i >= len(c.Args) || !c.ArgIs(i, "FIELDS") {
		c.Error(errHFEFieldsMissing)
		return nil, false
	}
	if i+1 >= len(c.Args) {
		c.Error(errHFENumFieldsMatch)
		return nil, false
	}
	n, ok := parseIntArg(c.Args[i+1])
	if !ok || n <= 0 {
		c.Error(errCount)
		return nil, false
	}
	if n != int64(len(c.Args)-i-2) {
		c.Error(errHFENumFieldsMatch)
		return nil, false
	}
	return c.Args[i+2:], true
}

// parseExpireTime turns a time argument in unit ms (1 or 1000), relative
// to base (Now for relative forms, 0 for absolute ones), into an absolute
// Unix ms time, checking Redis's bounds.
func parseExpireTime(c *Ctx, i int, unit, base int64) (int64, bool) {
	v, ok := c.Int(i)
	if !ok {
		return 0, false
	}
	if v < 0 {
		c.Error(errHFEExpireNegative)
		return 0, false
	}
	if v > hfeMaxExpire/unit || v*unit > hfeMaxExpire-base {
		c.Error("ERR invalid expire time in '" + c.Cmd.Name + "' command")
		return 0, false
	}
	return v*unit + base, true
}

// hexpireCond is HEXPIRE's NX/XX/GT/LT.
type hexpireCond int

const (
	condNX hexpireCond = iota + 1
	condXX
	condGT
	condLT
)

// met reports whether a field whose current time is prev (0: none) may
// get time at. A field without a time counts as never expiring, so LT
// holds for it and GT does not.
func (cond hexpireCond) met(prev, at int64) bool {
	switch cond {
	case condNX:
		return prev == 0
	case condXX:
		return prev != 0
	case condGT:
		return prev != 0 && at > prev
	case condLT:
		return prev == 0 || at < prev
	}
	return true
}

// hexpireGeneric is HEXPIRE, HPEXPIRE, HEXPIREAT and HPEXPIREAT:
// key time [NX|XX|GT|LT] FIELDS numfields field…
func hexpireGeneric(c *Ctx, unit int64, relative bool) {
	key := c.Key(1)
	ent := c.LookupWrite(key)
	h, ok := asHash(c, ent)
	if !ok {
		return
	}
	base := int64(0)
	if relative {
		base = c.Now
	}
	at, ok := parseExpireTime(c, 2, unit, base)
	if !ok {
		return
	}
	cond, fieldsAt := hexpireCond(hfeCondNone), 3
	switch {
	case c.ArgIs(3, "NX"):
		cond = condNX
	case c.ArgIs(3, "XX"):
		cond = condXX
	case c.ArgIs(3, "GT"):
		cond = condGT
	case c.ArgIs(3, "LT"):
		cond = condLT
	}
	if cond != hfeCondNone {
		fieldsAt++
	}
	fields, ok := parseNumFields(c, fieldsAt, errHFENumFields)
	if !ok {
		return
	}
	if h != nil && h.HasTTLs() {
		h = c.expireHashFields(key, h)
	}
	c.W.Array(len(fields))
	if h == nil {
		for range fields {
			c.W.Int(hfeNoField)
		}
		return
	}
	h.MarkExpiring()
	var set, deleted [][]byte
	for _, f := range fields {
		prev, exists := h.FieldExpireAt(string(f))
		switch {
		case !exists:
			c.W.Int(hfeNoField)
		case !cond.met(prev, at):
			c.W.Int(hfeNotMet)
		case at <= c.Now:
			h.Delete(string(f))
			deleted = append(deleted, f)
			c.W.Int(hfeDeleted)
		default:
			h.SetFieldExpire(string(f), at)
			set = append(set, f)
			c.W.Int(hfeSet)
		}
	}
	c.hashTTLsWritten(key, h, at, set, deleted)
}

// hashTTLsWritten finishes a command that gave fields of key the time at
// (set) or deleted them because at had passed: it deletes the emptied
// hash, registers the times for active expiry and logs the change.
func (c *Ctx) hashTTLsWritten(key string, h *keyspace.Hash, at int64, set, deleted [][]byte) {
	if len(set) == 0 && len(deleted) == 0 {
		c.NoEffect()
		return
	}
	k := c.Args[1]
	if len(set) > 0 {
		c.Effect(append([][]byte{bHPEXPIREAT, k, fxInt(at), bFIELDS, fxInt(int64(len(set)))}, set...)...)
	}
	if len(deleted) > 0 {
		c.Effect(append([][]byte{bHDEL, k}, deleted...)...)
	}
	if h.Len() == 0 {
		c.DB.Delete(key)
	} else {
		c.hashTTLsChanged(key, h)
	}
	c.Modified(key)
}

// httlGeneric is HTTL, HPTTL (relative) and HEXPIRETIME, HPEXPIRETIME
// (absolute): key FIELDS numfields field…
func httlGeneric(c *Ctx, unit int64, relative bool) {
	key := c.Key(1)
	h, ok := asHash(c, c.Lookup(key))
	if !ok {
		return
	}
	fields, ok := parseNumFields(c, 2, errHFENumFields)
	if !ok {
		return
	}
	if h != nil && h.HasTTLs() {
		h = c.expireHashFields(key, h)
	}
	c.W.Array(len(fields))
	for _, f := range fields {
		if h == nil {
			c.W.Int(hfeNoField)
			continue
		}
		at, exists := h.FieldExpireAt(string(f))
		switch {
		case !exists:
			c.W.Int(hfeNoField)
		case at == 0:
			c.W.Int(hfeNoTTL)
		default:
			v := at
			if relative {
				v -= c.Now
			}
			if unit > 1 {
				v = (v + unit - 1) / unit
			}
			c.W.Int(v)
		}
	}
}

// hpersistCmd is HPERSIST key FIELDS numfields field…; deterministic, so
// its arguments are its effect.
func hpersistCmd(c *Ctx) {
	key := c.Key(1)
	h, ok := asHash(c, c.LookupWrite(key))
	if !ok {
		return
	}
	fields, ok := parseNumFields(c, 2, errHFENumFields)
	if !ok {
		return
	}
	if h != nil && h.HasTTLs() {
		h = c.expireHashFields(key, h)
	}
	c.W.Array(len(fields))
	changed := false
	for _, f := range fields {
		if h == nil {
			c.W.Int(hfeNoField)
			continue
		}
		at, exists := h.FieldExpireAt(string(f))
		switch {
		case !exists:
			c.W.Int(hfeNoField)
		case at == 0:
			c.W.Int(hfeNoTTL)
		default:
			h.PersistField(string(f))
			changed = true
			c.W.Int(hfeSet)
		}
	}
	if changed {
		c.Modified(key)
	}
}

// hfeExpiry is the expiry option of HGETEX and HSETEX.
type hfeExpiry struct {
	set     bool  // EX, PX, EXAT or PXAT given
	at      int64 // absolute ms
	persist bool  // HGETEX PERSIST
	keepTTL bool  // HSETEX KEEPTTL
}

// parseExpiryOption parses EX/PX/EXAT/PXAT at argument i (the value is at
// i+1) into o.
func parseExpiryOption(c *Ctx, i int, o *hfeExpiry) bool {
	unit, base := int64(1000), c.Now
	switch {
	case c.ArgIs(i, "PX"):
		unit = 1
	case c.ArgIs(i, "EXAT"):
		base = 0
	case c.ArgIs(i, "PXAT"):
		unit, base = 1, 0
	}
	at, ok := parseExpireTime(c, i+1, unit, base)
	if !ok {
		return false
	}
	o.set, o.at = true, at
	return true
}

func isExpiryWord(c *Ctx, i int) bool {
	return c.ArgIs(i, "EX") || c.ArgIs(i, "PX") || c.ArgIs(i, "EXAT") || c.ArgIs(i, "PXAT")
}

// hgetexCmd is HGETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]
// FIELDS numfields field…: the values, and the fields' times changed.
func hgetexCmd(c *Ctx) {
	key := c.Key(1)
	h, ok := asHash(c, c.LookupWrite(key))
	if !ok {
		return
	}
	var o hfeExpiry
	i := 2
	for ; i < len(c.Args) && !c.ArgIs(i, "FIELDS"); i++ {
		switch {
		case isExpiryWord(c, i) && i+1 < len(c.Args):
			if o.set || o.persist {
				c.ErrSyntax()
				return
			}
			if !parseExpiryOption(c, i, &o) {
				return
			}
			i++
		case c.ArgIs(i, "PERSIST"):
			if o.set || o.persist {
				c.ErrSyntax()
				return
			}
			o.persist = true
		default:
			c.ErrSyntax()
			return
		}
	}
	fields, ok := parseNumFields(c, i, errHFENumFieldsPos)
	if !ok {
		return
	}
	if h != nil && h.HasTTLs() {
		h = c.expireHashFields(key, h)
	}
	c.W.Array(len(fields))
	if h == nil {
		for range fields {
			c.W.Null()
		}
		return
	}
	if o.set {
		h.MarkExpiring()
	}
	var set, deleted, persisted [][]byte
	for _, f := range fields {
		v, found := h.Get(string(f))
		if !found {
			c.W.Null()
			continue
		}
		c.W.BulkString(v)
		switch {
		case o.persist:
			if h.PersistField(string(f)) {
				persisted = append(persisted, f)
			}
		case o.set && o.at <= c.Now:
			h.Delete(string(f))
			deleted = append(deleted, f)
		case o.set:
			h.SetFieldExpire(string(f), o.at)
			set = append(set, f)
		}
	}
	if len(persisted) > 0 {
		c.Effect(append([][]byte{bHPERSIST, c.Args[1], bFIELDS, fxInt(int64(len(persisted)))}, persisted...)...)
		c.Modified(key)
		return
	}
	c.hashTTLsWritten(key, h, o.at, set, deleted)
}

// hsetexOpts are HSETEX's parsed options.
type hsetexOpts struct {
	fnx, fxx bool
	exp      hfeExpiry
	pairs    [][]byte // field, value, field, value…
}

// parseHsetex parses HSETEX key [FNX|FXX] [EX|PX|EXAT|PXAT time|KEEPTTL]
// FIELDS numfields field value…
func parseHsetex(c *Ctx) (hsetexOpts, bool) {
	var o hsetexOpts
	i := 2
	for ; i < len(c.Args) && !c.ArgIs(i, "FIELDS"); i++ {
		switch {
		case c.ArgIs(i, "FNX") || c.ArgIs(i, "FXX"):
			if o.fnx || o.fxx {
				c.Error(errHFEOneOfFNXFXX)
				return o, false
			}
			o.fnx, o.fxx = c.ArgIs(i, "FNX"), c.ArgIs(i, "FXX")
		case isExpiryWord(c, i):
			if o.exp.set || o.exp.keepTTL {
				c.Error(errHFEOneOfExpiry)
				return o, false
			}
			if i+1 >= len(c.Args) {
				c.Error("ERR missing expire time")
				return o, false
			}
			if !parseExpiryOption(c, i, &o.exp) {
				return o, false
			}
			i++
		case c.ArgIs(i, "KEEPTTL"):
			if o.exp.set || o.exp.keepTTL {
				c.Error(errHFEOneOfExpiry)
				return o, false
			}
			o.exp.keepTTL = true
		default:
			c.Error(errHFEUnknownArgument + c.Arg(i))
			return o, false
		}
	}
	if i >= len(c.Args) {
		c.Error(errHFEFieldsMissing)
		return o, false
	}
	if i+1 >= len(c.Args) {
		c.ErrArity()
		return o, false
	}
	n, ok := parseIntArg(c.Args[i+1])
	if !ok || n < 1 || n > math.MaxInt32 {
		c.Error(errHFENumFieldsSetex)
		return o, false
	}
	if n*2 != int64(len(c.Args)-i-2) {
		c.ErrArity()
		return o, false
	}
	o.pairs = c.Args[i+2:]
	return o, true
}

// hsetexCmd is HSETEX: it sets all the fields (replying 1) or, when FNX
// or FXX does not hold for every field, none (replying 0).
func hsetexCmd(c *Ctx) {
	key := c.Key(1)
	h, ok := asHash(c, c.LookupWrite(key))
	if !ok {
		return
	}
	o, ok := parseHsetex(c)
	if !ok {
		return
	}
	if h != nil && h.HasTTLs() {
		h = c.expireHashFields(key, h)
	}
	for i := 0; i < len(o.pairs) && (o.fnx || o.fxx); i += 2 {
		exists := h != nil && h.Has(string(o.pairs[i]))
		if exists == o.fnx {
			c.W.Int(0)
			return
		}
	}
	c.W.Int(1)
	if o.exp.set && o.exp.at <= c.Now {
		// Already expired: the fields are deleted, not set.
		var deleted [][]byte
		for i := 0; h != nil && i < len(o.pairs); i += 2 {
			if h.Delete(string(o.pairs[i])) {
				deleted = append(deleted, o.pairs[i])
			}
		}
		if len(deleted) == 0 {
			c.NoEffect()
			return
		}
		c.hashTTLsWritten(key, h, 0, nil, deleted)
		return
	}
	created := h == nil
	if created {
		h = keyspace.NewHash()
	}
	h.MarkExpiring()
	l := c.hashLimits()
	for _, a := range o.pairs {
		h.NoteLength(len(a), l)
	}
	for i := 0; i < len(o.pairs); i += 2 {
		f, v := string(o.pairs[i]), string(o.pairs[i+1])
		if o.exp.keepTTL {
			h.SetKeepTTL(f, v, l)
		} else {
			h.Set(f, v, l)
		}
		if o.exp.set {
			h.SetFieldExpire(f, o.exp.at)
		}
	}
	if created {
		c.storeNewHash(key, h)
	}
	fx := [][]byte{bHSETEX, c.Args[1]}
	switch {
	case o.exp.set:
		fx = append(fx, bPXAT, fxInt(o.exp.at))
		c.hashTTLsChanged(key, h)
	case o.exp.keepTTL:
		fx = append(fx, bKEEPTTL)
	}
	fx = append(fx, bFIELDS, fxInt(int64(len(o.pairs)/2)))
	c.Effect(append(fx, o.pairs...)...)
	c.Modified(key)
}
