package command

import (
	"sort"

	"github.com/mnemo-dev/mnemo/engine/glob"
	"github.com/mnemo-dev/mnemo/engine/resp"
)

// pubsub is the node's channel and pattern subscriptions.
type pubsub struct {
	channels map[string]map[*Client]struct{}
	patterns map[string]map[*Client]struct{}
}

func (p *pubsub) init() {
	p.channels = map[string]map[*Client]struct{}{}
	p.patterns = map[string]map[*Client]struct{}{}
}

func init() {
	register("subscribe", subscribeCmd)
	register("unsubscribe", unsubscribeCmd)
	register("psubscribe", psubscribeCmd)
	register("punsubscribe", punsubscribeCmd)
	register("publish", publishCmd)
	register("pubsub|channels", pubsubChannelsCmd)
	register("pubsub|numsub", pubsubNumsubCmd)
	register("pubsub|numpat", pubsubNumpatCmd)
	register("pubsub|help", pubsubHelpCmd)
}

// subscribeReply writes a (un)subscribe confirmation as a push.
func subscribeReply(w *resp.Writer, kind string, name []byte, count int) {
	w.Push(3)
	w.BulkString(kind)
	if name == nil {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(int64(count))
}

func subscribeCmd(c *Ctx) {
	cl := c.C
	if cl.channels == nil {
		cl.channels = map[string]struct{}{}
	}
	for _, a := range c.Args[1:] {
		ch := string(a)
		if _, ok := cl.channels[ch]; !ok {
			cl.channels[ch] = struct{}{}
			addSub(c.E.pubsub.channels, ch, cl)
		}
		subscribeReply(c.W, "subscribe", a, cl.subscriptions())
	}
	cl.async = true
}

func psubscribeCmd(c *Ctx) {
	cl := c.C
	if cl.patterns == nil {
		cl.patterns = map[string]struct{}{}
	}
	for _, a := range c.Args[1:] {
		p := string(a)
		if _, ok := cl.patterns[p]; !ok {
			cl.patterns[p] = struct{}{}
			addSub(c.E.pubsub.patterns, p, cl)
		}
		subscribeReply(c.W, "psubscribe", a, cl.subscriptions())
	}
	cl.async = true
}

func unsubscribeCmd(c *Ctx) {
	unsubscribeGeneric(c, c.C.channels, c.E.pubsub.channels, "unsubscribe")
}

func punsubscribeCmd(c *Ctx) {
	unsubscribeGeneric(c, c.C.patterns, c.E.pubsub.patterns, "punsubscribe")
}

func unsubscribeGeneric(c *Ctx, mine map[string]struct{}, all map[string]map[*Client]struct{}, kind string) {
	cl := c.C
	names := c.Args[1:]
	if len(names) == 0 {
		// A fresh slice: appending to c.Args[1:] would write into the
		// connection's argument array.
		names = nil
		for _, n := range sortedKeys(mine) {
			names = append(names, []byte(n))
		}
		if len(names) == 0 {
			subscribeReply(c.W, kind, nil, cl.subscriptions())
			return
		}
	}
	for _, a := range names {
		n := string(a)
		if _, ok := mine[n]; ok {
			delete(mine, n)
			delSub(all, n, cl)
		}
		subscribeReply(c.W, kind, a, cl.subscriptions())
	}
}

func addSub(m map[string]map[*Client]struct{}, name string, c *Client) {
	s := m[name]
	if s == nil {
		s = map[*Client]struct{}{}
		m[name] = s
	}
	s[c] = struct{}{}
}

func delSub(m map[string]map[*Client]struct{}, name string, c *Client) {
	if s := m[name]; s != nil {
		delete(s, c)
		if len(s) == 0 {
			delete(m, name)
		}
	}
}

func (p *pubsub) unsubscribeAll(c *Client) {
	for ch := range c.channels {
		delSub(p.channels, ch, c)
	}
	for pat := range c.patterns {
		delSub(p.patterns, pat, c)
	}
	c.channels, c.patterns = nil, nil
}

// publish delivers a message and returns the number of receivers.
func (e *Engine) publish(channel, msg []byte) int {
	n := 0
	ch := string(channel)
	for sub := range e.pubsub.channels[ch] {
		sub.push(func(w *resp.Writer) {
			w.Push(3)
			w.BulkString("message")
			w.Bulk(channel)
			w.Bulk(msg)
		})
		n++
	}
	for pat, subs := range e.pubsub.patterns {
		if !glob.Match(pat, ch) {
			continue
		}
		for sub := range subs {
			sub.push(func(w *resp.Writer) {
				w.Push(4)
				w.BulkString("pmessage")
				w.BulkString(pat)
				w.Bulk(channel)
				w.Bulk(msg)
			})
			n++
		}
	}
	e.stats.pubsubMessages++
	return n
}

func publishCmd(c *Ctx) {
	c.W.Int(int64(c.E.publish(c.Args[1], c.Args[2])))
}

func pubsubChannelsCmd(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error("ERR unknown subcommand or wrong number of arguments for '" + c.Arg(1) + "'. Try PUBSUB HELP.")
		return
	}
	var out []string
	for ch := range c.E.pubsub.channels {
		if len(c.Args) == 2 || glob.Match(c.Arg(2), ch) {
			out = append(out, ch)
		}
	}
	sort.Strings(out)
	c.W.BulkStrings(out)
}

func pubsubNumsubCmd(c *Ctx) {
	// A flat array in RESP3 too, as Redis 7.0 sends it.
	c.W.Array(2 * (len(c.Args) - 2))
	for _, a := range c.Args[2:] {
		c.W.Bulk(a)
		c.W.Int(int64(len(c.E.pubsub.channels[string(a)])))
	}
}

func pubsubNumpatCmd(c *Ctx) {
	c.W.Int(int64(len(c.E.pubsub.patterns)))
}

func pubsubHelpCmd(c *Ctx) {
	replyHelp(c, "PUBSUB", []string{
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
