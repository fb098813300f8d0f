package command

import (
	"time"
)

// slowlogEntry is one SLOWLOG entry.
type slowlogEntry struct {
	id       int64
	at       int64 // Unix seconds
	duration int64 // microseconds
	args     []string
	addr     string
	name     string
}

// slowlog keeps the slowest recent commands; guarded by the engine lock.
type slowlog struct {
	entries []slowlogEntry // newest first
	nextID  int64
}

func (s *slowlog) init() {}

// maxSlowlogArgs and maxSlowlogArgLen bound what an entry keeps of a
// command, as Redis's SLOWLOG_ENTRY_MAX_ARGC and _STRING do.
const (
	maxSlowlogArgs   = 32
	maxSlowlogArgLen = 128
)

func (s *slowlog) record(e *Engine, c *Client, args [][]byte, dur time.Duration) {
	threshold := e.cfg.Int("slowlog-log-slower-than")
	if threshold < 0 || dur.Microseconds() < threshold {
		return
	}
	max := int(e.cfg.Int("slowlog-max-len"))
	ent := slowlogEntry{id: s.nextID, at: e.Now().Unix(), duration: dur.Microseconds(), addr: c.Addr, name: c.name}
	s.nextID++
	n := len(args)
	if n > maxSlowlogArgs {
		n = maxSlowlogArgs
	}
	for i := 0; i < n; i++ {
		a := args[i]
		if i == maxSlowlogArgs-1 && len(args) > maxSlowlogArgs {
			ent.args = append(ent.args, "... ("+itoa(int64(len(args)-maxSlowlogArgs+1))+" more arguments)")
			break
		}
		if len(a) > maxSlowlogArgLen {
			ent.args = append(ent.args, string(a[:maxSlowlogArgLen])+"... ("+itoa(int64(len(a)-maxSlowlogArgLen))+" more bytes)")
		} else {
			ent.args = append(ent.args, string(a))
		}
	}
	s.entries = append([]slowlogEntry{ent}, s.entries...)
	if len(s.entries) > max {
		s.entries = s.entries[:max]
	}
}

// latencyMonitor records latency spikes per event (LATENCY LATEST,
// HISTORY); guarded by the engine lock.
type latencyMonitor struct {
	events map[string]*latencyEvent
}

type latencyEvent struct {
	history []latencySample // oldest first, at most 160
	max     int64           // ms, all-time
}

type latencySample struct {
	at int64 // Unix seconds
	ms int64
}

func (l *latencyMonitor) record(e *Engine, cmd *Command, dur time.Duration) {
	threshold := e.cfg.Int("latency-monitor-threshold")
	ms := dur.Milliseconds()
	if threshold == 0 || ms < threshold {
		return
	}
	event := "command"
	if cmd.Is(FlagFast) {
		event = "fast-command"
	}
	l.add(event, e.Now().Unix(), ms)
}

func (l *latencyMonitor) add(event string, at, ms int64) {
	if l.events == nil {
		l.events = map[string]*latencyEvent{}
	}
	ev := l.events[event]
	if ev == nil {
		ev = &latencyEvent{}
		l.events[event] = ev
	}
	if n := len(ev.history); n > 0 && ev.history[n-1].at == at {
		if ms > ev.history[n-1].ms {
			ev.history[n-1].ms = ms
		}
	} else {
		ev.history = append(ev.history, latencySample{at, ms})
		if len(ev.history) > 160 {
			ev.history = ev.history[1:]
		}
	}
	if ms > ev.max {
		ev.max = ms
	}
}
