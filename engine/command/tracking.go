package command

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/resp"
)

// Client-side caching (CLIENT TRACKING), as Redis 7.0's tracking.c.
//
// In the default mode the engine remembers, per key, the clients that
// read it while tracking; the first change of the key sends each of them
// one invalidation and forgets them. In BCAST mode clients name key
// prefixes instead, and hear about every changed key under them, batched
// per command. Invalidations go to the client itself as RESP3 pushes
// (">2 invalidate [keys]"), or to the client it redirects to: as a push
// if that one speaks RESP3, else as a message on __redis__:invalidate if
// it is subscribed. A flush sends a null invalidation to every tracking
// client.

func init() {
	register("client|tracking", clientTrackingCmd)
	register("client|caching", clientCachingCmd)
	register("client|getredir", clientGetRedirCmd)
	register("client|trackinginfo", clientTrackingInfoCmd)
}

// Error texts of CLIENT TRACKING and CLIENT CACHING, Redis's own.
const (
	errTrackRedirOne      = "ERR A client can only redirect to a single other client"
	errTrackRedirMissing  = "ERR The client ID you want redirect to does not exist"
	errTrackPrefixNoBcast = "ERR PREFIX option requires BCAST mode to be enabled"
	errTrackBcastSwitch   = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	errTrackOptBcast      = "ERR OPTIN and OPTOUT are not compatible with BCAST"
	errTrackOptBoth       = "ERR You can't specify both OPTIN mode and OPTOUT mode"
	errTrackOptSwitch     = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	errTrackPrefixOverlap = "ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap."
	errTrackPrefixSelf    = "ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap."
	errCachingOff         = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
	errCachingYes         = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
	errCachingNo          = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
)

// trackingChannel is the Pub/Sub channel RESP2 redirect targets receive
// invalidations on.
const trackingChannel = "__redis__:invalidate"

// clientTracking is one tracking client's settings.
type clientTracking struct {
	redirect    int64
	bcast       bool
	optin       bool
	optout      bool
	noloop      bool
	caching     bool // CLIENT CACHING given for the next command
	brokenRedir bool
	prefixes    map[string]struct{}
}

// bcastPrefix is one prefix BCAST clients registered: its clients, and the
// keys under it changed since the last broadcast with the client that
// changed each last (nil for expiry), for NOLOOP.
type bcastPrefix struct {
	clients map[*Client]struct{}
	keys    map[string]*Client
}

// trackingState is the engine's tracking tables. Guarded by the engine
// lock.
type trackingState struct {
	clients map[*Client]*clientTracking
	// table maps a key to the IDs of the clients that read it while
	// tracking in the default mode.
	table    map[string]map[int64]struct{}
	prefixes map[string]*bcastPrefix
	// current is the client whose command is running, whose own
	// invalidations wait (pending, "" for a flush) until its reply is
	// written.
	current *Client
	pending []*string
}

// trk returns the engine's tracking state, creating it on first use.
func (e *Engine) trk() *trackingState {
	if e.tracking == nil {
		e.tracking = &trackingState{
			clients:  map[*Client]*clientTracking{},
			table:    map[string]map[int64]struct{}{},
			prefixes: map[string]*bcastPrefix{},
		}
	}
	return e.tracking
}

// trackingOptions are CLIENT TRACKING's parsed arguments.
type trackingOptions struct {
	on                           bool
	redirect                     int64
	bcast, optin, optout, noloop bool
	prefixes                     []string
}

func parseTrackingOptions(c *Ctx) (trackingOptions, bool) {
	var o trackingOptions
	for j := 3; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case c.ArgIs(j, "REDIRECT") && more:
			j++
			if o.redirect != 0 {
				c.Error(errTrackRedirOne)
				return o, false
			}
			id, ok := c.Int(j)
			if !ok {
				return o, false
			}
			if c.E.clients[id] == nil {
				c.Error(errTrackRedirMissing)
				return o, false
			}
			o.redirect = id
		case c.ArgIs(j, "BCAST"):
			o.bcast = true
		case c.ArgIs(j, "OPTIN"):
			o.optin = true
		case c.ArgIs(j, "OPTOUT"):
			o.optout = true
		case c.ArgIs(j, "NOLOOP"):
			o.noloop = true
		case c.ArgIs(j, "PREFIX") && more:
			j++
			o.prefixes = append(o.prefixes, c.Arg(j))
		default:
			c.ErrSyntax()
			return o, false
		}
	}
	switch {
	case c.ArgIs(2, "ON"):
		o.on = true
	case c.ArgIs(2, "OFF"):
	default:
		c.ErrSyntax()
		return o, false
	}
	return o, true
}

// clientTrackingCmd serves CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX
// p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP], checking in Redis's order.
func clientTrackingCmd(c *Ctx) {
	o, ok := parseTrackingOptions(c)
	if !ok {
		return
	}
	t := c.E.trk()
	if !o.on {
		c.E.trackingOff(c.C)
		c.W.OK()
		return
	}
	cur := t.clients[c.C]
	switch {
	case !o.bcast && len(o.prefixes) > 0:
		c.Error(errTrackPrefixNoBcast)
		return
	case cur != nil && cur.bcast != o.bcast:
		c.Error(errTrackBcastSwitch)
		return
	case o.bcast && (o.optin || o.optout):
		c.Error(errTrackOptBcast)
		return
	case o.optin && o.optout:
		c.Error(errTrackOptBoth)
		return
	case cur != nil && (o.optin && cur.optout || o.optout && cur.optin):
		c.Error(errTrackOptSwitch)
		return
	}
	if o.bcast && !checkPrefixes(c, cur, o.prefixes) {
		return
	}
	if cur == nil {
		cur = &clientTracking{}
		t.clients[c.C] = cur
		c.C.async = true
	}
	caching := cur.caching
	prefixes := cur.prefixes
	*cur = clientTracking{redirect: o.redirect, bcast: o.bcast, optin: o.optin, optout: o.optout,
		noloop: o.noloop, caching: caching, prefixes: prefixes}
	if o.bcast {
		if len(o.prefixes) == 0 {
			o.prefixes = []string{""}
		}
		for _, p := range o.prefixes {
			t.addPrefix(c.C, cur, p)
		}
	}
	c.W.OK()
}

// checkPrefixes refuses prefixes that overlap (one starting the other)
// with the client's or with each other, as Redis's
// checkPrefixCollisionsOrReply.
func checkPrefixes(c *Ctx, cur *clientTracking, ps []string) bool {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range ps {
		if cur != nil {
			for _, old := range sortedKeys(cur.prefixes) {
				if overlap(old, p) {
					c.Error(fmt.Sprintf(errTrackPrefixOverlap, p, old))
					return false
				}
			}
		}
		for _, q := range ps[i+1:] {
			if overlap(p, q) {
				c.Error(fmt.Sprintf(errTrackPrefixSelf, p, q))
				return false
			}
		}
	}
	return true
}

func (t *trackingState) addPrefix(cl *Client, ct *clientTracking, p string) {
	bp := t.prefixes[p]
	if bp == nil {
		bp = &bcastPrefix{clients: map[*Client]struct{}{}, keys: map[string]*Client{}}
		t.prefixes[p] = bp
	}
	bp.clients[cl] = struct{}{}
	if ct.prefixes == nil {
		ct.prefixes = map[string]struct{}{}
	}
	ct.prefixes[p] = struct{}{}
}

// trackingOff disables tracking for cl (CLIENT TRACKING OFF, or the
// client going away). Keys it read stay in the table until they change,
// as in Redis, and are then skipped.
func (e *Engine) trackingOff(cl *Client) {
	t := e.tracking
	if t == nil {
		return
	}
	ct := t.clients[cl]
	if ct == nil {
		return
	}
	for p := range ct.prefixes {
		if bp := t.prefixes[p]; bp != nil {
			delete(bp.clients, cl)
			if len(bp.clients) == 0 {
				delete(t.prefixes, p)
			}
		}
	}
	delete(t.clients, cl)
}

// clientCachingCmd serves CLIENT CACHING YES|NO: the next command's keys
// are tracked (OPTIN) or not (OPTOUT) against the client's default.
func clientCachingCmd(c *Ctx) {
	var ct *clientTracking
	if t := c.E.tracking; t != nil {
		ct = t.clients[c.C]
	}
	if ct == nil {
		c.Error(errCachingOff)
		return
	}
	switch {
	case c.ArgIs(2, "YES"):
		if !ct.optin {
			c.Error(errCachingYes)
			return
		}
	case c.ArgIs(2, "NO"):
		if !ct.optout {
			c.Error(errCachingNo)
			return
		}
	default:
		c.ErrSyntax()
		return
	}
	ct.caching = true
	c.W.OK()
}

// clientTracking returns cl's tracking settings, nil when it does not
// track.
func (e *Engine) clientTracking(cl *Client) *clientTracking {
	if e.tracking == nil {
		return nil
	}
	return e.tracking.clients[cl]
}

// clientGetRedirCmd answers the client tracking redirects to: 0 for
// none, -1 when tracking is off.
func clientGetRedirCmd(c *Ctx) {
	if ct := c.E.clientTracking(c.C); ct != nil {
		c.W.Int(ct.redirect)
		return
	}
	c.W.Int(-1)
}

// clientTrackingInfoCmd serves CLIENT TRACKINGINFO.
func clientTrackingInfoCmd(c *Ctx) {
	ct := c.E.clientTracking(c.C)
	var flags []string
	redirect := int64(-1)
	var prefixes []string
	if ct == nil {
		flags = []string{"off"}
	} else {
		flags = []string{"on"}
		if ct.bcast {
			flags = append(flags, "bcast")
		}
		if ct.optin {
			flags = append(flags, "optin")
			if ct.caching {
				flags = append(flags, "caching-yes")
			}
		}
		if ct.optout {
			flags = append(flags, "optout")
			if ct.caching {
				flags = append(flags, "caching-no")
			}
		}
		if ct.noloop {
			flags = append(flags, "noloop")
		}
		if ct.brokenRedir {
			flags = append(flags, "broken_redirect")
		}
		redirect = ct.redirect
		prefixes = sortedKeys(ct.prefixes)
	}
	c.W.Map(3)
	c.W.BulkString("flags")
	c.W.Set(len(flags))
	for _, f := range flags {
		c.W.BulkString(f)
	}
	c.W.BulkString("redirect")
	c.W.Int(redirect)
	c.W.BulkString("prefixes")
	c.W.Array(len(prefixes))
	for _, p := range prefixes {
		c.W.BulkString(p)
	}
}

// trackingFlags returns the CLIENT LIST flag letters of tracking: t, R
// (broken redirect) and B (BCAST).
func (e *Engine) trackingFlags(cl *Client) string {
	ct := e.clientTracking(cl)
	if ct == nil {
		return ""
	}
	f := "t"
	if ct.brokenRedir {
		f += "R"
	}
	if ct.bcast {
		f += "B"
	}
	return f
}

// trackingRedir is CLIENT LIST's redir field.
func (e *Engine) trackingRedir(cl *Client) int64 {
	if ct := e.clientTracking(cl); ct != nil {
		return ct.redirect
	}
	return -1
}

// trackRead runs after each command: a read-only command's keys are
// remembered for its client if it tracks in the default mode (and its
// OPTIN/OPTOUT choice allows), even when the command failed, as Redis's
// call() does.
func (e *Engine) trackRead(cl *Client, cmd *Command, args [][]byte) {
	t := e.tracking
	if t == nil {
		return
	}
	ct := t.clients[cl]
	if ct == nil {
		return
	}
	if cmd.Is(FlagReadonly) && !ct.bcast && !cmd.Is(FlagPubSub) {
		if (!ct.optin || ct.caching) && (!ct.optout || !ct.caching) {
			var posArr [8]int
			for _, p := range cmd.KeyPositions(args, posArr[:0]) {
				key := string(args[p])
				ids := t.table[key]
				if ids == nil {
					ids = map[int64]struct{}{}
					t.table[key] = ids
				}
				ids[cl.ID] = struct{}{}
			}
		}
	}
}

// trackingInvalidate is called for every changed, expired or deleted key.
func (e *Engine) trackingInvalidate(key string) {
	t := e.tracking
	if t == nil {
		return
	}
	if len(t.prefixes) > 0 {
		for p, bp := range t.prefixes {
			if !strings.HasPrefix(key, p) {
				continue
			}
			// The last client to change the key, for NOLOOP.
			bp.keys[key] = t.current
		}
	}
	ids := t.table[key]
	if ids == nil {
		return
	}
	delete(t.table, key)
	for _, id := range sortedIDs(ids) {
		target := e.clients[id]
		if target == nil {
			continue
		}
		ct := t.clients[target]
		if ct == nil || ct.bcast {
			continue
		}
		if target == t.current {
			if ct.noloop {
				continue
			}
			k := key
			t.pending = append(t.pending, &k)
			continue
		}
		e.sendInvalidation(target, ct, []string{key}, false, nil)
	}
}

func sortedIDs(m map[int64]struct{}) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// trackingFlushAll sends every tracking client a null invalidation
// (FLUSHALL, FLUSHDB) and forgets every tracked key.
func (e *Engine) trackingFlushAll() {
	t := e.tracking
	if t == nil {
		return
	}
	for _, cl := range e.sortedTrackingClients() {
		if cl == t.current {
			t.pending = append(t.pending, nil)
			continue
		}
		e.sendInvalidation(cl, t.clients[cl], nil, true, nil)
	}
	clear(t.table)
}

func (e *Engine) sortedTrackingClients() []*Client {
	cls := make([]*Client, 0, len(e.tracking.clients))
	for cl := range e.tracking.clients {
		cls = append(cls, cl)
	}
	sort.Slice(cls, func(i, j int) bool { return cls[i].ID < cls[j].ID })
	return cls
}

// sendInvalidation delivers one invalidation of keys (null when null is
// set) for tracking client cl, to cl or its redirect target. w, when not
// nil, is cl's own reply buffer, used for messages that must follow its
// reply.
func (e *Engine) sendInvalidation(cl *Client, ct *clientTracking, keys []string, null bool, w *resp.Writer) {
	target := cl
	redirected := false
	if ct.redirect != 0 {
		target = e.clients[ct.redirect]
		if target == nil {
			ct.brokenRedir = true
			if cl.Proto() > 2 {
				e.pushTo(cl, w, func(w *resp.Writer) {
					w.Push(2)
					w.BulkString("tracking-redir-broken")
					w.Int(ct.redirect)
				})
			}
			return
		}
		redirected = true
		if target != cl {
			w = nil
		}
	}
	proto := cl.Proto()
	body := func(w *resp.Writer) {
		if null {
			// Redis writes the null of the tracking client's protocol,
			// whatever the target speaks.
			if proto > 2 {
				w.Raw([]byte("_\r\n"))
			} else {
				w.Raw([]byte("$-1\r\n"))
			}
			return
		}
		w.Array(len(keys))
		for _, k := range keys {
			w.BulkString(k)
		}
	}
	switch {
	case target.Proto() > 2:
		e.pushTo(target, w, func(w *resp.Writer) {
			w.Push(2)
			w.BulkString("invalidate")
			body(w)
		})
	case redirected && target.subscriptions() > 0:
		e.pushTo(target, w, func(w *resp.Writer) {
			w.Push(3)
			w.BulkString("message")
			w.BulkString(trackingChannel)
			body(w)
		})
	}
}

// pushTo writes a message to cl: into w (its reply buffer, after its
// reply) when given, else out of band.
func (e *Engine) pushTo(cl *Client, w *resp.Writer, write func(w *resp.Writer)) {
	if w != nil {
		write(w)
		return
	}
	cl.push(write)
}

// trackingBeforeExecute marks c as the client whose command runs: its
// own invalidations wait for its reply, and NOLOOP spares it.
func (e *Engine) trackingBeforeExecute(c *Client) {
	if e.tracking != nil {
		e.tracking.current = c
	}
}

// trackingAfterExecute runs at the end of each Execute: the running
// client's own invalidations follow its reply, then BCAST clients hear
// about the keys changed under their prefixes. The CACHING flag lasts one
// command (or one transaction), CLIENT subcommands aside, as Redis's
// resetClient clears it.
func (e *Engine) trackingAfterExecute(c *Client) {
	t := e.tracking
	if t == nil {
		return
	}
	t.current = nil
	if ct := t.clients[c]; ct != nil && c.multi == nil && !strings.HasPrefix(c.lastCmd, "client") {
		ct.caching = false
	}
	if len(t.pending) > 0 {
		pending := t.pending
		t.pending = nil
		if ct := t.clients[c]; ct != nil {
			for _, k := range pending {
				if k == nil {
					e.sendInvalidation(c, ct, nil, true, c.W)
				} else {
					e.sendInvalidation(c, ct, []string{*k}, false, c.W)
				}
			}
		}
	}
	e.trackingBroadcast(c)
}

// trackingBroadcast sends BCAST clients the keys changed under their
// prefixes, one message per prefix in prefix order with the keys sorted,
// leaving out for a NOLOOP client the keys only it changed. c, when not
// nil, is the client whose reply is in its buffer.
func (e *Engine) trackingBroadcast(c *Client) {
	t := e.tracking
	for _, p := range sortedKeys(t.prefixes) {
		bp := t.prefixes[p]
		if len(bp.keys) == 0 {
			continue
		}
		keys := sortedKeys(bp.keys)
		clients := make([]*Client, 0, len(bp.clients))
		for cl := range bp.clients {
			clients = append(clients, cl)
		}
		sort.Slice(clients, func(i, j int) bool { return clients[i].ID < clients[j].ID })
		for _, cl := range clients {
			ct := t.clients[cl]
			send := keys
			if ct.noloop {
				send = nil
				for _, k := range keys {
					if bp.keys[k] != cl {
						send = append(send, k)
					}
				}
				if len(send) == 0 {
					continue
				}
			}
			var w *resp.Writer
			if cl == c {
				w = c.W
			}
			e.sendInvalidation(cl, ct, send, false, w)
		}
		clear(bp.keys)
	}
}
