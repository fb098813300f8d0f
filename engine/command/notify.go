package command

import (
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// Keyspace notifications (notify-keyspace-events), as Redis's notify.c:
// every change a command makes to a key reaches Ctx.Modified, and every
// expiry and eviction its own hook, so events are published from there,
// with the event names of the table below instead of a call in each
// handler. An event goes to __keyspace@0__:<key> (message: the event) with
// K and to __keyevent@0__:<event> (message: the key) with E, if its class
// is enabled.

// Event classes, the letters of notify-keyspace-events.
const (
	notifyGeneric = config.NotifyGeneric
	notifyString  = config.NotifyString
	notifyList    = config.NotifyList
	notifySet     = config.NotifySet
	notifyHash    = config.NotifyHash
	notifyZSet    = config.NotifyZSet
	notifyExpired = config.NotifyExpired
	notifyEvicted = config.NotifyEvicted
	notifyKeyMiss = config.NotifyKeyMiss
	notifyNew     = config.NotifyNew
)

// keyspaceEvent is one event: its class and name.
type keyspaceEvent struct {
	class int64
	event string
}

// What a command's event becomes when the key is gone after it.
const (
	thenDel   = iota // the event, then "del": the command emptied a collection
	onlyDel          // "del" instead: a store with an empty result, an expiry in the past
	eventOnly        // the event alone: the key left by design (DEL, RENAME's source)
)

// eventRule gives a command's events for one key it changed: a fixed
// event, or one chosen from the arguments.
type eventRule struct {
	ev       keyspaceEvent
	pick     func(c *Ctx, key string) []keyspaceEvent
	whenGone int
}

func ev(class int64, name string) keyspaceEvent { return keyspaceEvent{class, name} }

var (
	evDel    = ev(notifyGeneric, "del")
	evExpire = ev(notifyGeneric, "expire")
	evSet    = ev(notifyString, "set")
)

// keyEvents is the event table, by command name.
var keyEvents = map[string]eventRule{
	"set":    {pick: setEvents},
	"setex":  {pick: func(*Ctx, string) []keyspaceEvent { return []keyspaceEvent{evSet, evExpire} }},
	"psetex": {pick: func(*Ctx, string) []keyspaceEvent { return []keyspaceEvent{evSet, evExpire} }},
	"setnx":  {ev: evSet}, "getset": {ev: evSet}, "mset": {ev: evSet}, "msetnx": {ev: evSet},
	"append": {ev: ev(notifyString, "append")}, "setrange": {ev: ev(notifyString, "setrange")},
	"incr": {ev: ev(notifyString, "incrby")}, "decr": {ev: ev(notifyString, "incrby")},
	"incrby": {ev: ev(notifyString, "incrby")}, "decrby": {ev: ev(notifyString, "incrby")},
	"incrbyfloat": {ev: ev(notifyString, "incrbyfloat")},
	"getex":       {pick: getexEvents, whenGone: onlyDel},
	"getdel":      {ev: evDel, whenGone: eventOnly},

	"del": {ev: evDel, whenGone: eventOnly}, "unlink": {ev: evDel, whenGone: eventOnly},
	"expire": {ev: evExpire, whenGone: onlyDel}, "pexpire": {ev: evExpire, whenGone: onlyDel},
	"expireat": {ev: evExpire, whenGone: onlyDel}, "pexpireat": {ev: evExpire, whenGone: onlyDel},
	"persist": {ev: ev(notifyGeneric, "persist")},
	"rename":  {pick: renameEvents, whenGone: eventOnly}, "renamenx": {pick: renameEvents, whenGone: eventOnly},
	"copy":    {ev: ev(notifyGeneric, "copy_to")},
	"restore": {ev: ev(notifyGeneric, "restore")},
	"sort":    {ev: ev(notifyGeneric, "sortstore"), whenGone: onlyDel},

	"lpush": {ev: ev(notifyList, "lpush")}, "lpushx": {ev: ev(notifyList, "lpush")},
	"rpush": {ev: ev(notifyList, "rpush")}, "rpushx": {ev: ev(notifyList, "rpush")},
	"linsert": {ev: ev(notifyList, "linsert")}, "lset": {ev: ev(notifyList, "lset")},
	"lpop": {ev: ev(notifyList, "lpop")}, "blpop": {ev: ev(notifyList, "lpop")},
	"rpop": {ev: ev(notifyList, "rpop")}, "brpop": {ev: ev(notifyList, "rpop")},
	"ltrim": {ev: ev(notifyList, "ltrim")}, "lrem": {ev: ev(notifyList, "lrem")},
	"rpoplpush": {pick: moveEvents(notifyList, "rpop", "lpush")}, "brpoplpush": {pick: moveEvents(notifyList, "rpop", "lpush")},
	"lmove": {pick: lmoveEvents}, "blmove": {pick: lmoveEvents},
	"lmpop": {pick: mpopEvents(notifyList, "LEFT", "lpop", "rpop")}, "blmpop": {pick: mpopEvents(notifyList, "LEFT", "lpop", "rpop")},

	"hset": {ev: ev(notifyHash, "hset")}, "hmset": {ev: ev(notifyHash, "hset")}, "hsetnx": {ev: ev(notifyHash, "hset")},
	"hdel": {ev: ev(notifyHash, "hdel")}, "hincrby": {ev: ev(notifyHash, "hincrby")},
	"hincrbyfloat": {ev: ev(notifyHash, "hincrbyfloat")},

	"sadd": {ev: ev(notifySet, "sadd")}, "srem": {ev: ev(notifySet, "srem")}, "spop": {ev: ev(notifySet, "spop")},
	"smove":       {pick: moveEvents(notifySet, "srem", "sadd")},
	"sinterstore": {ev: ev(notifySet, "sinterstore"), whenGone: onlyDel},
	"sunionstore": {ev: ev(notifySet, "sunionstore"), whenGone: onlyDel},
	"sdiffstore":  {ev: ev(notifySet, "sdiffstore"), whenGone: onlyDel},

	"zadd": {pick: zaddEvents}, "zincrby": {ev: ev(notifyZSet, "zincr")}, "zrem": {ev: ev(notifyZSet, "zrem")},
	"zremrangebyscore": {ev: ev(notifyZSet, "zremrangebyscore")},
	"zremrangebyrank":  {ev: ev(notifyZSet, "zremrangebyrank")},
	"zremrangebylex":   {ev: ev(notifyZSet, "zremrangebylex")},
	"zpopmin":          {ev: ev(notifyZSet, "zpopmin")}, "bzpopmin": {ev: ev(notifyZSet, "zpopmin")},
	"zpopmax": {ev: ev(notifyZSet, "zpopmax")}, "bzpopmax": {ev: ev(notifyZSet, "zpopmax")},
	"zmpop": {pick: mpopEvents(notifyZSet, "MIN", "zpopmin", "zpopmax")}, "bzmpop": {pick: mpopEvents(notifyZSet, "MIN", "zpopmin", "zpopmax")},
	"zunionstore": {ev: ev(notifyZSet, "zunionstore"), whenGone: onlyDel},
	"zinterstore": {ev: ev(notifyZSet, "zinterstore"), whenGone: onlyDel},
	"zdiffstore":  {ev: ev(notifyZSet, "zdiffstore"), whenGone: onlyDel},
	"zrangestore": {ev: ev(notifyZSet, "zrangestore"), whenGone: onlyDel},
}

func one(e keyspaceEvent) []keyspaceEvent { return []keyspaceEvent{e} }

// setEvents: SET with a time to live also sets an expiry.
func setEvents(c *Ctx, _ string) []keyspaceEvent {
	for i := 3; i < len(c.Args); i++ {
		if c.ArgIs(i, "EX") || c.ArgIs(i, "PX") || c.ArgIs(i, "EXAT") || c.ArgIs(i, "PXAT") {
			return []keyspaceEvent{evSet, evExpire}
		}
	}
	return one(evSet)
}

func getexEvents(c *Ctx, _ string) []keyspaceEvent {
	if len(c.Args) > 2 && c.ArgIs(2, "PERSIST") {
		return one(ev(notifyGeneric, "persist"))
	}
	return one(evExpire)
}

func renameEvents(c *Ctx, key string) []keyspaceEvent {
	if key == c.Key(1) {
		return one(ev(notifyGeneric, "rename_from"))
	}
	return one(ev(notifyGeneric, "rename_to"))
}

// moveEvents: the source (first key) loses an element, the destination
// gains one.
func moveEvents(class int64, from, to string) func(*Ctx, string) []keyspaceEvent {
	return func(c *Ctx, key string) []keyspaceEvent {
		if key == c.Key(1) {
			return one(ev(class, from))
		}
		return one(ev(class, to))
	}
}

// lmoveEvents: LMOVE src dst LEFT|RIGHT LEFT|RIGHT.
func lmoveEvents(c *Ctx, key string) []keyspaceEvent {
	if key == c.Key(1) {
		if c.ArgIs(3, "LEFT") {
			return one(ev(notifyList, "lpop"))
		}
		return one(ev(notifyList, "rpop"))
	}
	if c.ArgIs(4, "LEFT") {
		return one(ev(notifyList, "lpush"))
	}
	return one(ev(notifyList, "rpush"))
}

// mpopEvents: [B]LMPOP and [B]ZMPOP, whose direction follows the keys.
func mpopEvents(class int64, first, ifFirst, otherwise string) func(*Ctx, string) []keyspaceEvent {
	return func(c *Ctx, _ string) []keyspaceEvent {
		i := 1
		if c.Cmd.Name[0] == 'b' {
			i++ // the timeout comes first
		}
		n, _ := strconv.Atoi(c.Arg(i))
		if d := i + 1 + n; d < len(c.Args) && c.ArgIs(d, first) {
			return one(ev(class, ifFirst))
		}
		return one(ev(class, otherwise))
	}
}

func zaddEvents(c *Ctx, _ string) []keyspaceEvent {
	for i := 2; i < len(c.Args); i++ {
		if c.ArgIs(i, "INCR") {
			return one(ev(notifyZSet, "zincr"))
		}
	}
	return one(ev(notifyZSet, "zadd"))
}

// notifyCommand publishes the events of the running command for a key it
// changed; exists tells whether the key is still there.
func (e *Engine) notifyCommand(c *Ctx, key string, exists bool) {
	if e.cfg.Int("notify-keyspace-events") == 0 {
		return
	}
	r, ok := keyEvents[c.Cmd.Name]
	if !ok {
		return
	}
	if !exists && r.whenGone == onlyDel {
		e.notify(evDel, key)
		return
	}
	if r.pick != nil {
		for _, x := range r.pick(c, key) {
			e.notify(x, key)
		}
	} else {
		e.notify(r.ev, key)
	}
	if !exists && r.whenGone == thenDel {
		e.notify(evDel, key)
	}
}

// notifyMiss publishes a keymiss event for a key a read did not find.
func (e *Engine) notifyMiss(key string) {
	e.notify(ev(notifyKeyMiss, "keymiss"), key)
}

// notify publishes one event for key if its class is enabled, as Redis's
// notifyKeyspaceEvent.
func (e *Engine) notify(x keyspaceEvent, key string) {
	flags := e.cfg.Int("notify-keyspace-events")
	if flags&x.class == 0 || e.replaying {
		return
	}
	if flags&config.NotifyKeyspace != 0 {
		e.publish([]byte("__keyspace@0__:"+key), []byte(x.event))
	}
	if flags&config.NotifyKeyevent != 0 {
		e.publish([]byte("__keyevent@0__:"+x.event), []byte(key))
	}
}
