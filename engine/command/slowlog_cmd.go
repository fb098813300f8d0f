package command

import "fmt"

func init() {
	register("slowlog|get", slowlogGetCmd)
	register("slowlog|len", slowlogLenCmd)
	register("slowlog|reset", slowlogResetCmd)
	register("slowlog|help", slowlogHelpCmd)
	register("latency|latest", latencyLatestCmd)
	register("latency|history", latencyHistoryCmd)
	register("latency|reset", latencyResetCmd)
	register("latency|help", latencyHelpCmd)
	register("latency|histogram", latencyHistogramCmd)
}

// errSubcommandSyntax is Redis's addReplySubcommandSyntaxError, for a known
// subcommand given the wrong number of arguments by its own rules.
func errSubcommandSyntax(sub, container string) string {
	return fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.", sub, container)
}

// slowlogGetCmd is SLOWLOG GET [count]: the newest count entries (10 by
// default, -1 for all).
func slowlogGetCmd(c *Ctx) {
	if len(c.Args) > 3 {
		c.Error(errSubcommandSyntax(c.Arg(1), "SLOWLOG"))
		return
	}
	entries := c.E.slowlog.entries
	count := int64(10)
	if len(c.Args) == 3 {
		n, ok := parseIntArg(c.Args[2])
		if !ok || n < -1 {
			c.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = n
		if n == -1 {
			count = int64(len(entries))
		}
	}
	if count < int64(len(entries)) {
		entries = entries[:count]
	}
	c.W.Array(len(entries))
	for _, ent := range entries {
		c.W.Array(6)
		c.W.Int(ent.id)
		c.W.Int(ent.at)
		c.W.Int(ent.duration)
		c.W.BulkStrings(ent.args)
		c.W.BulkString(ent.addr)
		c.W.BulkString(ent.name)
	}
}

func slowlogLenCmd(c *Ctx) { c.W.Int(int64(len(c.E.slowlog.entries))) }

func slowlogResetCmd(c *Ctx) {
	c.E.slowlog.entries = nil
	c.W.OK()
}

func slowlogHelpCmd(c *Ctx) {
	replyHelp(c, "SLOWLOG", []string{
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	})
}

// latencyLatestCmd is LATENCY LATEST: for each event with samples, its
// name, the time and latency of its latest sample, and its all-time
// maximum.
func latencyLatestCmd(c *Ctx) {
	events := c.E.latency.events
	names := sortedKeys(events)
	c.W.Array(len(names))
	for _, name := range names {
		ev := events[name]
		last := ev.history[len(ev.history)-1]
		c.W.Array(4)
		c.W.BulkString(name)
		c.W.Int(last.at)
		c.W.Int(last.ms)
		c.W.Int(ev.max)
	}
}

// latencyHistoryCmd is LATENCY HISTORY event: its samples, oldest first.
func latencyHistoryCmd(c *Ctx) {
	ev := c.E.latency.events[c.Arg(2)]
	if ev == nil {
		c.W.Array(0)
		return
	}
	c.W.Array(len(ev.history))
	for _, s := range ev.history {
		c.W.Array(2)
		c.W.Int(s.at)
		c.W.Int(s.ms)
	}
}

// latencyResetCmd is LATENCY RESET [event ...]: it forgets the named
// events, or all, and replies how many it forgot.
func latencyResetCmd(c *Ctx) {
	l := &c.E.latency
	n := 0
	if len(c.Args) == 2 {
		n = len(l.events)
		l.events = nil
	} else {
		for _, a := range c.Args[2:] {
			if _, ok := l.events[string(a)]; ok {
				delete(l.events, string(a))
				n++
			}
		}
	}
	c.W.Int(int64(n))
}

func latencyHelpCmd(c *Ctx) {
	replyHelp(c, "LATENCY", []string{
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	})
}

// latencyHistogramCmd is LATENCY HISTOGRAM [command ...]: for each command
// with recorded calls (all of them without arguments; a container also
// brings its subcommands), its call count and a cumulative distribution
// of its latencies in microseconds over power-of-two buckets, as Redis
// reports its HdrHistogram with a logarithmic iterator from 1024 ns.
func latencyHistogramCmd(c *Ctx) {
	e := c.E
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = e.allCommands()
	} else {
		for _, a := range c.Args[2:] {
			cmd := e.tab.lookupFullName(string(a))
			if cmd == nil {
				continue
			}
			cmds = append(cmds, cmd)
			cmds = append(cmds, servedSubcommands(cmd, cmd.info.elems[9].elems)...)
		}
	}
	var withData []*Command
	for _, cmd := range cmds {
		if h := e.latency.hists[cmd]; h != nil && h.total > 0 {
			withData = append(withData, cmd)
		}
	}
	c.W.Map(len(withData))
	for _, cmd := range withData {
		h := e.latency.hists[cmd]
		c.W.BulkString(cmd.Name)
		c.W.Map(2)
		c.W.BulkString("calls")
		c.W.Int(h.total)
		c.W.BulkString("histogram_usec")
		cdf := h.cumulative()
		c.W.Map(len(cdf))
		for _, p := range cdf {
			c.W.Int(p[0])
			c.W.Int(p[1])
		}
	}
}
